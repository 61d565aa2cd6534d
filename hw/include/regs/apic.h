/* apic.h - local APIC registers (Intel SDM vol. 3A, 10.4 and 10.12).  xAPIC
 * registers are MMIO at these offsets; in x2APIC mode register at offset R
 * is MSR 0x800 + (R >> 4). */
#ifndef NTSTOR_REGS_APIC_H
#define NTSTOR_REGS_APIC_H

#define IA32_APIC_BASE_MSR      0x1B
#define APIC_BASE_BSP           (1ull << 8)
#define APIC_BASE_X2APIC_ENABLE (1ull << 10)
#define APIC_BASE_GLOBAL_ENABLE (1ull << 11)
#define APIC_BASE_ADDRESS_MASK  0x000FFFFFFFFFF000ull
#define X2APIC_MSR_BASE         0x800

#define CPUID_1_ECX_X2APIC      (1u << 21)
#define CPUID_1_EDX_APIC        (1u << 9)
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)  /* set by hypervisors, 0 on hardware */

#define APIC_REG_ID             0x020   /* xAPIC: id in bits 31:24 */
#define APIC_REG_VERSION        0x030
#define APIC_REG_TPR            0x080
#define APIC_REG_EOI            0x0B0
#define APIC_REG_SVR            0x0F0
#define APIC_REG_ESR            0x280
#define APIC_REG_ICR_LOW        0x300   /* x2APIC: one 64-bit MSR 0x830, dest in 63:32 */
#define APIC_REG_ICR_HIGH       0x310   /* xAPIC: destination in bits 31:24 */
#define APIC_REG_LVT_TIMER      0x320
#define APIC_REG_LVT_LINT0      0x350
#define APIC_REG_LVT_LINT1      0x360
#define APIC_REG_LVT_ERROR      0x370
#define APIC_REG_TIMER_INITIAL  0x380
#define APIC_REG_TIMER_CURRENT  0x390
#define APIC_REG_TIMER_DIVIDE   0x3E0

#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_SPURIOUS_VECTOR    0xFF
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_TIMER_DIVIDE_16    0x3

/* Interrupt command register (SDM 10.6.1). */
#define APIC_ICR_DELIVERY_INIT  (5u << 8)
#define APIC_ICR_LEVEL_ASSERT   (1u << 14)
#define APIC_ICR_SEND_PENDING   (1u << 12)  /* xAPIC only; x2APIC has no such bit */
#define APIC_ICR_XAPIC_DEST_SHIFT 24
#define APIC_XAPIC_MAX_ID       0xFF

#define APIC_MMIO_SIZE          0x1000
#define APIC_DEFAULT_BASE       0xFEE00000ull

/* MSI message (SDM 10.11.1, 10.11.2): physical destination, fixed, edge. */
#define MSI_ADDRESS_BASE        0xFEE00000u
#define MSI_ADDRESS_DEST_SHIFT  12
#define MSI_DATA_VECTOR_MASK    0xFF

#endif
