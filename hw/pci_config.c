/* pci_config.c - PCI configuration space access: ECAM (memory-mapped,
 * 4 KiB per function, PCIe Base 4.0 7.2.2) for segments and buses the MCFG
 * describes, else configuration mechanism #1 at 0xCF8/0xCFC (PCI 3.0
 * 3.2.2.3.2) for segment 0, which reaches only the first 256 bytes.
 * ECAM is mapped one bus (1 MiB) at a time on first use: a q35 machine
 * touches a handful of buses, not all 256 MiB of its window.
 *
 * Reads of what does not exist return all ones, as a master abort does;
 * writes to it are dropped.  Callers: PASSIVE_LEVEL for the first access to
 * a bus (it maps), any IRQL afterwards. */
#include "halp.h"
#include "pcip.h"
#include <regs/pci.h>

typedef struct _HALP_ECAM_REGION {
    HAL_ECAM_INFO Info;
    volatile UCHAR *Bus[256];           /* mapped buses, by bus number */
    UCHAR MapFailed[256 / 8];           /* do not retry a failed map */
} HALP_ECAM_REGION;

static HALP_ECAM_REGION HalpEcam[HAL_MAX_ECAM];
static ULONG HalpEcamCount;
static BOOLEAN HalpPciConfigReady;

static VOID HalpPciConfigInit(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    HalpPciConfigReady = TRUE;
    for (ULONG i = 0; i < acpi->EcamCount && i < HAL_MAX_ECAM; i++) {
        HalpEcam[HalpEcamCount++].Info = acpi->Ecam[i];
        DbgPrint("pci: ECAM segment %u buses %u-%u at 0x%llx\n", acpi->Ecam[i].Segment,
                 acpi->Ecam[i].StartBus, acpi->Ecam[i].EndBus,
                 (unsigned long long)acpi->Ecam[i].Base);
    }
    if (HalpEcamCount == 0)
        DbgPrint("pci: no MCFG, using port 0xCF8 (first 256 bytes of config space only)\n");
}

static ULONG HalpPciRead(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, ULONG Size);

/* The ECAM address of (Seg, Bus, Dev, Fn), or NULL: use the legacy path. */
static volatile UCHAR *HalpEcamFunction(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn)
{
    if (!HalpPciConfigReady)
        HalpPciConfigInit();
    for (ULONG i = 0; i < HalpEcamCount; i++) {
        HALP_ECAM_REGION *r = &HalpEcam[i];
        if (r->Info.Segment != Seg || Bus < r->Info.StartBus || Bus > r->Info.EndBus)
            continue;
        if (!r->Bus[Bus] && !(r->MapFailed[Bus / 8] & (1u << (Bus % 8)))) {
            PHYSICAL_ADDRESS pa;
            pa.QuadPart = (LONGLONG)(r->Info.Base + ((ULONG64)(Bus - r->Info.StartBus) << 20));
            r->Bus[Bus] = MmMapIoSpace(pa, PCI_ECAM_BUS_SIZE, MmNonCached);
            if (!r->Bus[Bus]) {
                r->MapFailed[Bus / 8] |= (UCHAR)(1u << (Bus % 8));
                DbgPrint("pci: cannot map ECAM for segment %u bus %u at 0x%llx\n", Seg, Bus,
                         (unsigned long long)pa.QuadPart);
            }
        }
        if (!r->Bus[Bus])
            break;      /* fall back to the legacy mechanism below */
        return r->Bus[Bus] + PCI_ECAM_OFFSET(Dev, Fn, 0);
    }
    return NULL;
}

/* Function 0 must exist in every device (PCI 3.0, 6.2.1), so 32 reads
 * tell whether a bus is populated.  A bus not mapped yet is probed one
 * 4 KiB function page at a time: mapping all 1 MiB of each of 255 empty
 * buses only to drop it again would cost 64 Ki page-table writes. */
BOOLEAN HalpPciBusHasDevices(USHORT Seg, UCHAR Bus)
{
    if (!HalpPciConfigReady)
        HalpPciConfigInit();
    for (ULONG i = 0; i < HalpEcamCount; i++) {
        HALP_ECAM_REGION *r = &HalpEcam[i];
        if (r->Info.Segment != Seg || Bus < r->Info.StartBus || Bus > r->Info.EndBus)
            continue;
        if (r->Bus[Bus])
            break;      /* mapped already: the ordinary reads below */
        for (UCHAR dev = 0; dev < PCI_MAX_DEVICES; dev++) {
            PHYSICAL_ADDRESS pa;
            volatile UCHAR *page;
            USHORT vendor;
            pa.QuadPart = (LONGLONG)(r->Info.Base + ((ULONG64)(Bus - r->Info.StartBus) << 20) +
                                     PCI_ECAM_OFFSET(dev, 0, 0));
            page = MmMapIoSpace(pa, PAGE_SIZE, MmNonCached);
            if (!page)
                return FALSE;
            vendor = READ_REGISTER_USHORT((volatile USHORT *)(page + PCI_CFG_VENDOR_ID));
            MmUnmapIoSpace((PVOID)page, PAGE_SIZE);
            if (vendor != PCI_INVALID_VENDOR)
                return TRUE;
        }
        return FALSE;
    }
    for (UCHAR dev = 0; dev < PCI_MAX_DEVICES; dev++)
        if (HalpPciRead(Seg, Bus, dev, 0, PCI_CFG_VENDOR_ID, 2) != PCI_INVALID_VENDOR)
            return TRUE;
    return FALSE;
}

static BOOLEAN HalpLegacyReachable(USHORT Seg, USHORT Offset)
{
    return Seg == 0 && Offset < PCI_CONFIG_SPACE_LEGACY;
}

static VOID HalpLegacySelect(UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset)
{
    __outdword(PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_ENABLE | ((ULONG)Bus << 16) |
               ((ULONG)(Dev & 0x1F) << 11) | ((ULONG)(Fn & 7) << 8) | (Offset & 0xFC));
}

/* Size is 1, 2 or 4; Offset is aligned to it (checked by the callers). */
static ULONG HalpPciRead(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, ULONG Size)
{
    volatile UCHAR *f;
    ULONG value;
    ULONG64 flags;

    if (Dev >= PCI_MAX_DEVICES || Fn >= PCI_MAX_FUNCTIONS || Offset >= PCI_CONFIG_SPACE_PCIE ||
        (Offset & (Size - 1)))
        return 0xFFFFFFFFu;
    f = HalpEcamFunction(Seg, Bus, Dev, Fn);
    if (f) {
        switch (Size) {
        case 1: return READ_REGISTER_UCHAR(f + Offset);
        case 2: return READ_REGISTER_USHORT((volatile USHORT *)(f + Offset));
        default: return READ_REGISTER_ULONG((volatile ULONG *)(f + Offset));
        }
    }
    if (!HalpLegacyReachable(Seg, Offset))
        return 0xFFFFFFFFu;
    /* The address/data pair must not be split by another access. */
    flags = KeDisableInterrupts();
    HalpLegacySelect(Bus, Dev, Fn, Offset);
    switch (Size) {
    case 1: value = __inbyte(PCI_CONFIG_DATA_PORT + (Offset & 3)); break;
    case 2: value = __inword(PCI_CONFIG_DATA_PORT + (Offset & 2)); break;
    default: value = __indword(PCI_CONFIG_DATA_PORT); break;
    }
    KeRestoreInterrupts(flags);
    return value;
}

static VOID HalpPciWrite(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, ULONG Size,
                         ULONG Value)
{
    volatile UCHAR *f;
    ULONG64 flags;

    if (Dev >= PCI_MAX_DEVICES || Fn >= PCI_MAX_FUNCTIONS || Offset >= PCI_CONFIG_SPACE_PCIE ||
        (Offset & (Size - 1)))
        return;
    f = HalpEcamFunction(Seg, Bus, Dev, Fn);
    if (f) {
        switch (Size) {
        case 1: WRITE_REGISTER_UCHAR(f + Offset, (UCHAR)Value); break;
        case 2: WRITE_REGISTER_USHORT((volatile USHORT *)(f + Offset), (USHORT)Value); break;
        default: WRITE_REGISTER_ULONG((volatile ULONG *)(f + Offset), Value); break;
        }
        return;
    }
    if (!HalpLegacyReachable(Seg, Offset))
        return;
    flags = KeDisableInterrupts();
    HalpLegacySelect(Bus, Dev, Fn, Offset);
    switch (Size) {
    case 1: __outbyte(PCI_CONFIG_DATA_PORT + (Offset & 3), (UCHAR)Value); break;
    case 2: __outword(PCI_CONFIG_DATA_PORT + (Offset & 2), (USHORT)Value); break;
    default: __outdword(PCI_CONFIG_DATA_PORT, Value); break;
    }
    KeRestoreInterrupts(flags);
}

ULONG HalPciRead32(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset)
{
    return HalpPciRead(Seg, Bus, Dev, Fn, Offset, 4);
}

USHORT HalPciRead16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset)
{
    return (USHORT)HalpPciRead(Seg, Bus, Dev, Fn, Offset, 2);
}

UCHAR HalPciRead8(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset)
{
    return (UCHAR)HalpPciRead(Seg, Bus, Dev, Fn, Offset, 1);
}

VOID HalPciWrite32(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, ULONG Value)
{
    HalpPciWrite(Seg, Bus, Dev, Fn, Offset, 4, Value);
}

VOID HalPciWrite16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, USHORT Value)
{
    HalpPciWrite(Seg, Bus, Dev, Fn, Offset, 2, Value);
}

VOID HalPciWrite8(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, UCHAR Value)
{
    HalpPciWrite(Seg, Bus, Dev, Fn, Offset, 1, Value);
}
