/* pci.c - enumerates PCI: every bus reachable from each root, recursing
 * through PCI-to-PCI bridges by their secondary bus number, all functions
 * of multi-function devices.  The roots are the MCFG's start bus of each
 * segment (bus 0 without ECAM) and then every other bus of the segment
 * that holds devices but sits behind no bridge seen so far: a second host
 * bridge (multi-socket Xeon and EPYC, QEMU's pxb/pxb-pcie) has a root bus
 * of its own that no bridge on bus 0 leads to.  ACPI names those roots
 * only in AML (PNP0A03/PNP0A08 devices, _BBN, _CRS), which ntstor does not
 * interpret, so the buses are probed instead, as Linux does for "peer
 * host bridges" without ACPI (arch/x86/pci/legacy.c).  Each function's BARs are sized and its
 * capabilities recorded.  The table is built once at boot (PASSIVE_LEVEL,
 * one CPU) and read-only afterwards. */
#include "halp.h"
#include "pcip.h"
#include <regs/pci.h>

#define HALP_PCI_MAX_BRIDGE_DEPTH 32    /* deeper than any real topology */

static HAL_PCI_FUNCTION HalpPciFunctions[HAL_PCI_MAX_FUNCTIONS];
static ULONG HalpPciCount;
static UCHAR HalpPciBusSeen[HAL_MAX_ECAM + 1][256 / 8];   /* per root segment slot */

typedef struct _HALP_PCI_ADDR { USHORT Seg; UCHAR Bus, Dev, Fn; } HALP_PCI_ADDR;

static UCHAR HalpPciReadByte(PVOID Context, USHORT Offset)
{
    const HALP_PCI_ADDR *a = Context;
    return HalPciRead8(a->Seg, a->Bus, a->Dev, a->Fn, Offset);
}

static BOOLEAN HalpPciMatchId(PVOID Context, UCHAR Id, UCHAR Offset)
{
    return Id == *(PUCHAR)Context;
}

static BOOLEAN HalpPciRecordCap(PVOID Context, UCHAR Id, UCHAR Offset)
{
    HAL_PCI_FUNCTION *f = Context;
    switch (Id) {
    case PCI_CAP_ID_MSI:  if (!f->MsiCap) f->MsiCap = Offset; break;
    case PCI_CAP_ID_MSIX: if (!f->MsixCap) f->MsixCap = Offset; break;
    case PCI_CAP_ID_PM:   if (!f->PmCap) f->PmCap = Offset; break;
    case PCI_CAP_ID_PCIE: if (!f->PcieCap) f->PcieCap = Offset; break;
    default: break;
    }
    return FALSE;   /* keep walking */
}

static UCHAR HalpPciCapPtrOffset(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn)
{
    if (!(HalPciRead16(Seg, Bus, Dev, Fn, PCI_CFG_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    return (HalPciRead8(Seg, Bus, Dev, Fn, PCI_CFG_HEADER_TYPE) & PCI_HEADER_TYPE_MASK) ==
                   PCI_HEADER_CARDBUS ? PCI_CFG_CARDBUS_CAP_PTR : PCI_CFG_CAP_PTR;
}

UCHAR HalPciFindCapability(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, UCHAR Id)
{
    HALP_PCI_ADDR a = { Seg, Bus, Dev, Fn };
    UCHAR ptr = HalpPciCapPtrOffset(Seg, Bus, Dev, Fn);

    if (!ptr)
        return 0;
    return HalpPciWalkCapabilities(HalpPciReadByte, &a, ptr, HalpPciMatchId, &Id);
}

/* Sizes the BARs with decoding off (PCI 3.0 6.2.5.1), so the all-ones
 * probe value is never decoded as an address.  Interrupts are off for the
 * window: nothing may touch the device (or print to a framebuffer behind
 * it) while its BARs hold the probe. */
static VOID HalpPciSizeBars(HAL_PCI_FUNCTION *f, ULONG Count)
{
    ULONG orig[6], mask[6];
    USHORT cmd;
    ULONG64 flags;
    USHORT s = f->Segment;
    UCHAR b = f->Bus, d = f->Device, fn = f->Function;

    flags = KeDisableInterrupts();
    cmd = HalPciRead16(s, b, d, fn, PCI_CFG_COMMAND);
    HalPciWrite16(s, b, d, fn, PCI_CFG_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (ULONG i = 0; i < Count; i++) {
        USHORT off = (USHORT)(PCI_CFG_BAR0 + 4 * i);
        orig[i] = HalPciRead32(s, b, d, fn, off);
        HalPciWrite32(s, b, d, fn, off, 0xFFFFFFFFu);
        mask[i] = HalPciRead32(s, b, d, fn, off);
        HalPciWrite32(s, b, d, fn, off, orig[i]);
    }
    HalPciWrite16(s, b, d, fn, PCI_CFG_COMMAND, cmd);
    KeRestoreInterrupts(flags);

    for (ULONG i = 0; i < Count;) {
        BOOLEAN haveHigh = i + 1 < Count;
        i += HalpPciDecodeBar(orig[i], mask[i], haveHigh ? orig[i + 1] : 0,
                              haveHigh ? mask[i + 1] : 0, haveHigh, &f->Bars[i]);
    }
}

static HAL_PCI_FUNCTION *HalpPciAddFunction(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn)
{
    HAL_PCI_FUNCTION *f;
    ULONG classReg;
    UCHAR capPtr, type;

    if (HalpPciCount >= HAL_PCI_MAX_FUNCTIONS) {
        DbgPrint("pci: more than %u functions, %02x:%02x.%u ignored\n", HAL_PCI_MAX_FUNCTIONS,
                 Bus, Dev, Fn);
        return NULL;
    }
    f = &HalpPciFunctions[HalpPciCount++];
    RtlZeroMemory(f, sizeof(*f));
    f->Segment = Seg;
    f->Bus = Bus;
    f->Device = Dev;
    f->Function = Fn;
    f->VendorId = HalPciRead16(Seg, Bus, Dev, Fn, PCI_CFG_VENDOR_ID);
    f->DeviceId = HalPciRead16(Seg, Bus, Dev, Fn, PCI_CFG_DEVICE_ID);
    classReg = HalPciRead32(Seg, Bus, Dev, Fn, PCI_CFG_REVISION);
    f->Revision = (UCHAR)classReg;
    f->ProgIf = (UCHAR)(classReg >> 8);
    f->SubClass = (UCHAR)(classReg >> 16);
    f->ClassCode = (UCHAR)(classReg >> 24);
    f->HeaderType = HalPciRead8(Seg, Bus, Dev, Fn, PCI_CFG_HEADER_TYPE);
    type = f->HeaderType & PCI_HEADER_TYPE_MASK;
    f->InterruptLine = HalPciRead8(Seg, Bus, Dev, Fn, PCI_CFG_INTERRUPT_LINE);
    f->InterruptPin = HalPciRead8(Seg, Bus, Dev, Fn, PCI_CFG_INTERRUPT_PIN);
    if (type == PCI_HEADER_NORMAL) {
        f->SubVendorId = HalPciRead16(Seg, Bus, Dev, Fn, PCI_CFG_SUBSYS_VENDOR);
        f->SubSystemId = HalPciRead16(Seg, Bus, Dev, Fn, PCI_CFG_SUBSYS_ID);
        HalpPciSizeBars(f, 6);
    } else if (type == PCI_HEADER_BRIDGE) {
        HalpPciSizeBars(f, 2);
    } else if (type == PCI_HEADER_CARDBUS) {
        HalpPciSizeBars(f, 1);
    } else {
        DbgPrint("pci: %02x:%02x.%u has unknown header type %u; BARs not read\n", Bus, Dev, Fn,
                 type);
    }
    capPtr = HalpPciCapPtrOffset(Seg, Bus, Dev, Fn);
    if (capPtr) {
        HALP_PCI_ADDR a = { Seg, Bus, Dev, Fn };
        HalpPciWalkCapabilities(HalpPciReadByte, &a, capPtr, HalpPciRecordCap, f);
    }
    return f;
}

static VOID HalpPciScanBus(ULONG Slot, USHORT Seg, UCHAR Bus, ULONG Depth);

static VOID HalpPciScanBridge(ULONG Slot, USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, ULONG Depth)
{
    UCHAR secondary = HalPciRead8(Seg, Bus, Dev, Fn, PCI_CFG_SECONDARY_BUS);

    /* Firmware numbers buses depth-first, so a child is always above its
     * parent; anything else is unconfigured (0) or a loop. */
    if (secondary <= Bus) {
        DbgPrint("pci: bridge %02x:%02x.%u has secondary bus %u, not scanned\n", Bus, Dev, Fn,
                 secondary);
        return;
    }
    if (Depth >= HALP_PCI_MAX_BRIDGE_DEPTH) {
        DbgPrint("pci: bridges nested deeper than %u at bus %u, not scanned\n",
                 HALP_PCI_MAX_BRIDGE_DEPTH, secondary);
        return;
    }
    HalpPciScanBus(Slot, Seg, secondary, Depth + 1);
}

static VOID HalpPciScanBus(ULONG Slot, USHORT Seg, UCHAR Bus, ULONG Depth)
{
    if (HalpPciBusSeen[Slot][Bus / 8] & (1u << (Bus % 8)))
        return;
    HalpPciBusSeen[Slot][Bus / 8] |= (UCHAR)(1u << (Bus % 8));

    for (UCHAR dev = 0; dev < PCI_MAX_DEVICES; dev++) {
        UCHAR fns;
        if (HalPciRead16(Seg, Bus, dev, 0, PCI_CFG_VENDOR_ID) == PCI_INVALID_VENDOR)
            continue;
        fns = (HalPciRead8(Seg, Bus, dev, 0, PCI_CFG_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) ?
                  PCI_MAX_FUNCTIONS : 1;
        for (UCHAR fn = 0; fn < fns; fn++) {
            if (fn && HalPciRead16(Seg, Bus, dev, fn, PCI_CFG_VENDOR_ID) == PCI_INVALID_VENDOR)
                continue;
            HAL_PCI_FUNCTION *f = HalpPciAddFunction(Seg, Bus, dev, fn);
            if (f && (f->HeaderType & PCI_HEADER_TYPE_MASK) == PCI_HEADER_BRIDGE)
                HalpPciScanBridge(Slot, Seg, Bus, dev, fn, Depth);
        }
    }
}

/* Scans the segment's first bus, then each later bus that no bridge led to
 * and that has devices: another root.  Firmware numbers a root's buses
 * above the root, so ascending order reaches every root before its
 * children. */
static VOID HalpPciScanSegment(ULONG Slot, USHORT Seg, UCHAR StartBus, UCHAR EndBus)
{
    HalpPciScanBus(Slot, Seg, StartBus, 0);
    for (ULONG bus = (ULONG)StartBus + 1; bus <= EndBus; bus++) {
        if (HalpPciBusSeen[Slot][bus / 8] & (1u << (bus % 8)))
            continue;
        if (!HalpPciBusHasDevices(Seg, (UCHAR)bus))
            continue;
        DbgPrint("pci: segment %u bus %02x is a root bus (no bridge leads to it)\n", Seg, bus);
        HalpPciScanBus(Slot, Seg, (UCHAR)bus, 0);
    }
}

VOID HalPciEnumerate(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    HalpPciCount = 0;
    RtlZeroMemory(HalpPciBusSeen, sizeof(HalpPciBusSeen));
    if (acpi->EcamCount == 0) {
        HalpPciScanSegment(HAL_MAX_ECAM, 0, 0, 255);
    } else {
        for (ULONG i = 0; i < acpi->EcamCount && i < HAL_MAX_ECAM; i++)
            HalpPciScanSegment(i, acpi->Ecam[i].Segment, acpi->Ecam[i].StartBus,
                               acpi->Ecam[i].EndBus);
    }
    DbgPrint("pci: %u functions\n", HalpPciCount);
}

ULONG HalPciFunctionCount(VOID)
{
    return HalpPciCount;
}

const HAL_PCI_FUNCTION *HalPciGetFunction(ULONG Index)
{
    return Index < HalpPciCount ? &HalpPciFunctions[Index] : NULL;
}
