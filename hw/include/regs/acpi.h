/* acpi.h - ACPI table layouts as byte offsets (ACPI 6.5, chapter 5.2).
 *
 * Tables are read as byte arrays through little-endian accessors, never
 * through packed structs, so a misaligned or truncated table cannot cause an
 * unaligned or out-of-bounds access; every offset below is checked against
 * the table's Length before use. */
#ifndef NTSTOR_REGS_ACPI_H
#define NTSTOR_REGS_ACPI_H

/* Root System Description Pointer (5.2.5.3). */
#define ACPI_RSDP_SIGNATURE         "RSD PTR "
#define ACPI_RSDP_V1_LENGTH         20      /* checksum covers these bytes */
#define ACPI_RSDP_V2_LENGTH         36
#define ACPI_RSDP_OFF_CHECKSUM      8
#define ACPI_RSDP_OFF_OEMID         9       /* 6 bytes */
#define ACPI_RSDP_OFF_REVISION      15
#define ACPI_RSDP_OFF_RSDT          16      /* 32-bit */
#define ACPI_RSDP_OFF_LENGTH        20      /* 32-bit, revision >= 2 */
#define ACPI_RSDP_OFF_XSDT          24      /* 64-bit, revision >= 2 */
#define ACPI_RSDP_OFF_EXT_CHECKSUM  32

/* System Description Table Header (5.2.6), 36 bytes. */
#define ACPI_HEADER_LENGTH          36
#define ACPI_HDR_OFF_SIGNATURE      0       /* 4 bytes */
#define ACPI_HDR_OFF_LENGTH         4
#define ACPI_HDR_OFF_REVISION       8
#define ACPI_HDR_OFF_CHECKSUM       9
#define ACPI_HDR_OFF_OEMID          10      /* 6 bytes */
#define ACPI_HDR_OFF_OEM_TABLE_ID   16      /* 8 bytes */

/* Generic Address Structure (5.2.3.2), 12 bytes. */
#define ACPI_GAS_LENGTH             12
#define ACPI_GAS_OFF_SPACE          0
#define ACPI_GAS_OFF_BIT_WIDTH      1
#define ACPI_GAS_OFF_BIT_OFFSET     2
#define ACPI_GAS_OFF_ACCESS_SIZE    3
#define ACPI_GAS_OFF_ADDRESS        4
#define ACPI_SPACE_MEMORY           0
#define ACPI_SPACE_IO               1
#define ACPI_SPACE_PCI_CONFIG       2

/* MADT (5.2.12). */
#define ACPI_SIG_MADT               "APIC"
#define ACPI_MADT_OFF_LAPIC_ADDRESS 36
#define ACPI_MADT_OFF_FLAGS         40
#define ACPI_MADT_OFF_ENTRIES       44
#define ACPI_MADT_PCAT_COMPAT       0x1
#define ACPI_MADT_LOCAL_APIC        0       /* 8 bytes: uid, apic id, flags */
#define ACPI_MADT_IO_APIC           1       /* 12 bytes: id, rsvd, address, gsi base */
#define ACPI_MADT_ISO               2       /* 10 bytes: bus, source, gsi, flags */
#define ACPI_MADT_LAPIC_OVERRIDE    5       /* 12 bytes: rsvd(2), 64-bit address */
#define ACPI_MADT_LOCAL_X2APIC      9       /* 16 bytes: rsvd(2), x2apic id, flags, uid */
#define ACPI_MADT_LAPIC_ENABLED     0x1
#define ACPI_MADT_LAPIC_ONLINE_CAPABLE 0x2
/* MPS INTI flags of an interrupt source override (5.2.12.5, Table 5.50). */
#define ACPI_MPS_POLARITY_MASK      0x3
#define ACPI_MPS_POLARITY_CONFORMS  0x0
#define ACPI_MPS_POLARITY_HIGH      0x1
#define ACPI_MPS_POLARITY_LOW       0x3
#define ACPI_MPS_TRIGGER_MASK       0xC
#define ACPI_MPS_TRIGGER_CONFORMS   0x0
#define ACPI_MPS_TRIGGER_EDGE       0x4
#define ACPI_MPS_TRIGGER_LEVEL      0xC

/* MCFG (PCI Firmware Specification 3.0, 4.1.2). */
#define ACPI_SIG_MCFG               "MCFG"
#define ACPI_MCFG_OFF_ENTRIES       44
#define ACPI_MCFG_ENTRY_LENGTH      16      /* base(8) segment(2) start(1) end(1) rsvd(4) */

/* FADT (5.2.9, Table 5.9). */
#define ACPI_SIG_FADT               "FACP"
#define ACPI_FADT_OFF_DSDT          40
#define ACPI_FADT_OFF_SCI_INT       46
#define ACPI_FADT_OFF_PM1A_CNT_BLK  64
#define ACPI_FADT_OFF_PM1B_CNT_BLK  68
#define ACPI_FADT_OFF_PM_TMR_BLK    76
#define ACPI_FADT_OFF_PM_TMR_LEN    91
#define ACPI_FADT_OFF_IAPC_BOOT_ARCH 109    /* 2 bytes, FADT revision 3 (ACPI 2.0) on */
#define ACPI_FADT_OFF_FLAGS         112
#define ACPI_FADT_OFF_RESET_REG     116     /* GAS */
#define ACPI_FADT_OFF_RESET_VALUE   128
#define ACPI_FADT_OFF_X_DSDT        140     /* 64-bit */
#define ACPI_FADT_OFF_X_PM1A_CNT    172     /* GAS */
#define ACPI_FADT_OFF_X_PM1B_CNT    184     /* GAS */
#define ACPI_FADT_OFF_X_PM_TMR      208     /* GAS */
#define ACPI_FADT_TMR_VAL_EXT       (1u << 8)
/* IAPC_BOOT_ARCH (5.2.9.3, Table 5.11). */
#define ACPI_BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_ARCH_8042           (1u << 1)
#define ACPI_FADT_REV_BOOT_ARCH       3
#define ACPI_FADT_RESET_REG_SUP     (1u << 10)

/* PM1 control register (4.8.3.2.1) and PM timer (4.8.3.3). */
#define ACPI_PM1_SLP_TYP_SHIFT      10
#define ACPI_PM1_SLP_TYP_MASK       (7u << 10)
#define ACPI_PM1_SLP_EN             (1u << 13)
#define ACPI_PM_TIMER_HZ            3579545u

/* HPET description table (IA-PC HPET spec 1.0a, 3.2.4). */
#define ACPI_SIG_HPET               "HPET"
#define ACPI_HPET_OFF_BASE          40      /* GAS */

/* Serial Port Console Redirection table (Microsoft SPCR spec, rev 2+). */
#define ACPI_SIG_SPCR               "SPCR"
#define ACPI_SPCR_OFF_INTERFACE     36      /* 0 full 16550, 1 16450, 0x12 16550 (GAS) */
#define ACPI_SPCR_OFF_BASE          40      /* GAS */
#define ACPI_SPCR_OFF_BAUD          58      /* 0 as set, 3 9600, 4 19200, 6 57600, 7 115200 */
#define ACPI_SPCR_MIN_LENGTH        80
#define ACPI_SPCR_IF_16550          0x00
#define ACPI_SPCR_IF_16450          0x01
#define ACPI_SPCR_IF_16550_GAS      0x12

/* DSDT/SSDT: AML (chapter 20) opcodes the \_S5 search decodes. */
#define ACPI_SIG_DSDT               "DSDT"
#define ACPI_SIG_RSDT               "RSDT"
#define ACPI_SIG_XSDT               "XSDT"
#define AML_ZERO_OP                 0x00
#define AML_ONE_OP                  0x01
#define AML_NAME_OP                 0x08
#define AML_BYTE_PREFIX             0x0A
#define AML_WORD_PREFIX             0x0B
#define AML_DWORD_PREFIX            0x0C
#define AML_QWORD_PREFIX            0x0E
#define AML_PACKAGE_OP              0x12
#define AML_ROOT_CHAR               0x5C    /* '\' */
#define AML_ONES_OP                 0xFF

#endif
