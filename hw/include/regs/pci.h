/* pci.h - PCI configuration space layout (PCI Local Bus 3.0 ch. 6, PCI-to-PCI
 * Bridge 1.2 ch. 3, PCI Express Base 4.0 7.2.2 for ECAM). */
#ifndef NTSTOR_REGS_PCI_H
#define NTSTOR_REGS_PCI_H

/* Type 0/1 common header. */
#define PCI_CFG_VENDOR_ID       0x00
#define PCI_CFG_DEVICE_ID       0x02
#define PCI_CFG_COMMAND         0x04
#define PCI_CFG_STATUS          0x06
#define PCI_CFG_REVISION        0x08
#define PCI_CFG_PROG_IF         0x09
#define PCI_CFG_SUBCLASS        0x0A
#define PCI_CFG_CLASS           0x0B
#define PCI_CFG_HEADER_TYPE     0x0E
#define PCI_CFG_BAR0            0x10
#define PCI_CFG_SUBSYS_VENDOR   0x2C    /* type 0 */
#define PCI_CFG_SUBSYS_ID       0x2E    /* type 0 */
#define PCI_CFG_CAP_PTR         0x34    /* type 0 and 1 */
#define PCI_CFG_CARDBUS_CAP_PTR 0x14    /* type 2 */
#define PCI_CFG_INTERRUPT_LINE  0x3C
#define PCI_CFG_INTERRUPT_PIN   0x3D

/* Type 1 (PCI-to-PCI bridge). */
#define PCI_CFG_PRIMARY_BUS     0x18
#define PCI_CFG_SECONDARY_BUS   0x19
#define PCI_CFG_SUBORDINATE_BUS 0x1A

#define PCI_HEADER_TYPE_MASK    0x7F
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_NORMAL       0
#define PCI_HEADER_BRIDGE       1
#define PCI_HEADER_CARDBUS      2

#define PCI_INVALID_VENDOR      0xFFFF

#define PCI_COMMAND_IO          0x0001
#define PCI_COMMAND_MEMORY      0x0002
#define PCI_COMMAND_MASTER      0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST     0x0010

/* Base address registers (6.2.5.1). */
#define PCI_BAR_IO              0x1
#define PCI_BAR_IO_MASK         0xFFFFFFFCu
#define PCI_BAR_MEM_TYPE_MASK   0x6
#define PCI_BAR_MEM_TYPE_64     0x4
#define PCI_BAR_PREFETCHABLE    0x8
#define PCI_BAR_MEM_MASK        0xFFFFFFF0u

/* Capability list (6.7): pointers are dword aligned and at or above 0x40;
 * 48 is the most entries that fit in the 192 bytes above the header. */
#define PCI_CAP_MIN_OFFSET      0x40
#define PCI_CAP_MAX_ENTRIES     48
#define PCI_CAP_ID_PM           0x01
#define PCI_CAP_ID_MSI          0x05
#define PCI_CAP_ID_PCIE         0x10
#define PCI_CAP_ID_MSIX         0x11

/* MSI capability (6.8.1). */
#define PCI_MSI_CONTROL         0x02
#define PCI_MSI_CTRL_ENABLE     0x0001
#define PCI_MSI_CTRL_64BIT      0x0080
#define PCI_MSI_CTRL_MASKABLE   0x0100
#define PCI_MSI_ADDRESS_LO      0x04
#define PCI_MSI_ADDRESS_HI      0x08    /* 64-bit capable only */
#define PCI_MSI_DATA_32         0x08
#define PCI_MSI_DATA_64         0x0C

/* MSI-X capability (6.8.2). */
#define PCI_MSIX_CONTROL        0x02
#define PCI_MSIX_CTRL_ENABLE    0x8000
#define PCI_MSIX_CTRL_MASKALL   0x4000
#define PCI_MSIX_CTRL_TABLE_SIZE 0x07FF
#define PCI_MSIX_TABLE          0x04    /* BIR in bits 2:0, offset above */

/* Legacy configuration mechanism #1 (3.2.2.3.2): offsets < 256 only. */
#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define PCI_CONFIG_DATA_PORT    0xCFC
#define PCI_CONFIG_ENABLE       0x80000000u

/* ECAM: 4 KiB per function, 1 MiB per bus (PCIe Base 4.0 7.2.2). */
#define PCI_ECAM_BUS_SIZE       (1u << 20)
#define PCI_ECAM_OFFSET(dev, fn, off) (((ULONG)(dev) << 15) | ((ULONG)(fn) << 12) | (off))

#define PCI_MAX_DEVICES         32
#define PCI_MAX_FUNCTIONS       8
#define PCI_CONFIG_SPACE_LEGACY 256
#define PCI_CONFIG_SPACE_PCIE   4096

#endif
