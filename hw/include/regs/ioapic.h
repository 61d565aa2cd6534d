/* ioapic.h - I/O APIC registers (Intel 82093AA datasheet, 3.0; ICH9
 * datasheet 13.5).  Indirect access: write the register index to IOREGSEL,
 * then read or write IOWIN. */
#ifndef NTSTOR_REGS_IOAPIC_H
#define NTSTOR_REGS_IOAPIC_H

#define IOAPIC_IOREGSEL         0x00
#define IOAPIC_IOWIN            0x10
#define IOAPIC_MMIO_SIZE        0x20

#define IOAPIC_REG_ID           0x00
#define IOAPIC_REG_VERSION      0x01    /* bits 23:16 = max redirection entry */
#define IOAPIC_REG_REDIR_LO(n)  (0x10 + 2 * (n))
#define IOAPIC_REG_REDIR_HI(n)  (0x11 + 2 * (n))

#define IOAPIC_VERSION_MAX_REDIR_SHIFT 16
#define IOAPIC_REDIR_VECTOR_MASK 0xFFu
#define IOAPIC_REDIR_ACTIVE_LOW (1u << 13)
#define IOAPIC_REDIR_LEVEL      (1u << 15)
#define IOAPIC_REDIR_MASKED     (1u << 16)
#define IOAPIC_REDIR_DEST_SHIFT 24      /* in the high dword: physical APIC id */

#endif
