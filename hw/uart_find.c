/* uart_find.c - where serial consoles are besides COM1: the UART ACPI's
 * SPCR table names (boards with no COM1 at 0x3F8, servers' BMC ports,
 * laptops' MMIO UARTs), and 16550-compatible PCI serial cards (class 07h,
 * subclass 00h, prog-if 02h; QEMU's pci-serial is one).  Each found goes to
 * HalUartAdd, which probes it and says what it uses. */
#include <ntos.h>
#include <pci.h>

#define PCI_CLASS_COMMUNICATION     0x07
#define PCI_SUBCLASS_SERIAL         0x00
#define PCI_PROGIF_16550            0x02
#define PCI_SERIAL_BAUD             115200

VOID HalUartAddSpcr(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    if (acpi->HaveSpcr)
        HalUartAdd(&acpi->Spcr, "SPCR");
}

/* A card's first BAR holds its first port (PCI serial cards and QEMU's
 * pci-serial); a card with more ports has them in later BARs or at 8-byte
 * steps, which only the first port's console needs none of. */
VOID HalUartAddPci(VOID)
{
    for (ULONG i = 0; i < HalPciFunctionCount(); i++) {
        const HAL_PCI_FUNCTION *f = HalPciGetFunction(i);
        const HAL_PCI_BAR *bar = &f->Bars[0];
        HAL_UART_DESC desc;
        CHAR name[32];
        USHORT cmd;

        if (f->ClassCode != PCI_CLASS_COMMUNICATION || f->SubClass != PCI_SUBCLASS_SERIAL ||
            f->ProgIf != PCI_PROGIF_16550)
            continue;
        RtlStringCbPrintfA(name, sizeof(name), "pci %02x:%02x.%u", f->Bus, f->Device,
                           f->Function);
        if (!bar->Base || bar->Size < 8) {
            DbgPrint("console: %s (serial, %04x:%04x) has no usable first BAR\n", name,
                     f->VendorId, f->DeviceId);
            continue;
        }
        /* Firmware decodes what it used itself; make sure of the rest. */
        cmd = HalPciRead16(f->Segment, f->Bus, f->Device, f->Function, PCI_CFG_COMMAND);
        cmd |= bar->Io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
        HalPciWrite16(f->Segment, f->Bus, f->Device, f->Function, PCI_CFG_COMMAND, cmd);
        desc.Mmio = !bar->Io;
        desc.Address = bar->Base;
        desc.Stride = 1;
        desc.Width = 1;
        desc.Baud = PCI_SERIAL_BAUD;
        HalUartAdd(&desc, name);
    }
}
