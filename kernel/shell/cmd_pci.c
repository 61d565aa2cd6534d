/* cmd_pci.c - `pci`: one line per PCI function found at boot, e.g.
 *
 *   pci functions=7 access=ecam
 *   pci seg=0 bus=0 dev=31 fn=2 bdf=00:1f.2 id=8086:2922 vid=8086 did=2922
 *       class=01:06:01 name="SATA (AHCI)" rev=02 subsys=1af4:1100 pin=A
 *       line=10 gsi=10 bars=bar4:io:0xc040+0x20,bar5:mem32:0xc1041000+0x1000
 *       caps=msi,pm,pcie                              (all on one line)
 *
 * bars: bar<n>:<io|mem32|mem64>[pf]:<base>+<size>; gsi: see
 * HalPciInterruptGsi (hw/ioapic.c). */
#include <ntos.h>
#include <shell.h>
#include <regs/pci.h>

#define PCI_ANY_SUBCLASS 0xFF

typedef struct _PCI_CLASS_NAME {
    UCHAR Class, SubClass;  /* SubClass PCI_ANY_SUBCLASS: any */
    SHORT ProgIf;           /* -1: any */
    PCSTR Name;
} PCI_CLASS_NAME;

/* PCI Code and ID Assignment Specification 1.12, chapter 1; the common ones. */
static const PCI_CLASS_NAME PciClassNames[] = {
    { 0x01, 0x00, -1,   "SCSI" },
    { 0x01, 0x01, -1,   "IDE" },
    { 0x01, 0x06, 0x01, "SATA (AHCI)" },
    { 0x01, 0x06, -1,   "SATA" },
    { 0x01, 0x07, -1,   "SAS" },
    { 0x01, 0x08, 0x02, "NVMe" },
    { 0x01, 0x80, -1,   "storage" },
    { 0x02, 0x00, -1,   "Ethernet" },
    { 0x02, 0x80, -1,   "network" },
    { 0x03, 0x00, -1,   "VGA" },
    { 0x03, PCI_ANY_SUBCLASS, -1, "display" },
    { 0x04, 0x03, -1,   "audio" },
    { 0x05, 0x00, -1,   "RAM" },
    { 0x06, 0x00, -1,   "host bridge" },
    { 0x06, 0x01, -1,   "ISA bridge" },
    { 0x06, 0x04, -1,   "PCI bridge" },
    { 0x06, 0x80, -1,   "bridge" },
    { 0x07, 0x00, -1,   "serial" },
    { 0x08, 0x80, -1,   "system" },
    { 0x0C, 0x03, 0x00, "USB (UHCI)" },
    { 0x0C, 0x03, 0x10, "USB (OHCI)" },
    { 0x0C, 0x03, 0x20, "USB (EHCI)" },
    { 0x0C, 0x03, 0x30, "USB (xHCI)" },
    { 0x0C, 0x05, -1,   "SMBus" },
};

static PCSTR PciClassName(const HAL_PCI_FUNCTION *f)
{
    for (ULONG i = 0; i < sizeof(PciClassNames) / sizeof(PciClassNames[0]); i++) {
        const PCI_CLASS_NAME *n = &PciClassNames[i];
        if (n->Class == f->ClassCode && (n->SubClass == f->SubClass || n->SubClass == PCI_ANY_SUBCLASS) &&
            (n->ProgIf < 0 || n->ProgIf == f->ProgIf))
            return n->Name;
    }
    return "other";
}

/* Appends to Buf (always NUL-terminated, truncated if full). */
static VOID Append(PCHAR Buf, SIZE_T Size, PCSTR Format, ...) __attribute__((format(printf, 3, 4)));
static VOID Append(PCHAR Buf, SIZE_T Size, PCSTR Format, ...)
{
    SIZE_T used = 0;
    va_list ap;

    while (used < Size && Buf[used])
        used++;
    if (used + 1 >= Size)
        return;
    va_start(ap, Format);
    RtlStringCbVPrintfA(Buf + used, Size - used, Format, ap);
    va_end(ap);
}

static VOID PciFormatBars(const HAL_PCI_FUNCTION *f, PCHAR Buf, SIZE_T Size)
{
    Buf[0] = 0;
    for (ULONG i = 0; i < 6; i++) {
        const HAL_PCI_BAR *b = &f->Bars[i];
        if (b->Size == 0)
            continue;
        Append(Buf, Size, "%sbar%u:%s%s:0x%llx+0x%llx", Buf[0] ? "," : "", i,
               b->Io ? "io" : b->Is64 ? "mem64" : "mem32", b->Prefetchable ? "pf" : "",
               (unsigned long long)b->Base, (unsigned long long)b->Size);
    }
    if (!Buf[0])
        Append(Buf, Size, "-");
}

static VOID PciFormatCaps(const HAL_PCI_FUNCTION *f, PCHAR Buf, SIZE_T Size)
{
    Buf[0] = 0;
    if (f->MsiCap)  Append(Buf, Size, "%smsi", Buf[0] ? "," : "");
    if (f->MsixCap) Append(Buf, Size, "%smsix", Buf[0] ? "," : "");
    if (f->PmCap)   Append(Buf, Size, "%spm", Buf[0] ? "," : "");
    if (f->PcieCap) Append(Buf, Size, "%spcie", Buf[0] ? "," : "");
    if (!Buf[0])
        Append(Buf, Size, "-");
}

static INT CmdPci(INT Argc, PCHAR *Argv)
{
    ULONG n = HalPciFunctionCount();
    CHAR bars[256], caps[32], gsi[16];

    if (Argc > 1)
        return ShellError("pci", STATUS_INVALID_PARAMETER, "takes no arguments");
    ConPrintf("pci functions=%u access=%s\n", n, HalGetAcpiInfo()->EcamCount ? "ecam" : "port");
    for (ULONG i = 0; i < n; i++) {
        const HAL_PCI_FUNCTION *f = HalPciGetFunction(i);
        ULONG g = HalPciInterruptGsi(f);
        PciFormatBars(f, bars, sizeof(bars));
        PciFormatCaps(f, caps, sizeof(caps));
        if (g == 0xFFFFFFFFu)
            RtlStringCbPrintfA(gsi, sizeof(gsi), "-");
        else
            RtlStringCbPrintfA(gsi, sizeof(gsi), "%u", g);
        ConPrintf("pci seg=%u bus=%u dev=%u fn=%u bdf=%02x:%02x.%x id=%04x:%04x vid=%04x did=%04x "
                  "class=%02x:%02x:%02x name=\"%s\" rev=%02x subsys=%04x:%04x pin=%c line=%u gsi=%s "
                  "bars=%s caps=%s\n",
                  f->Segment, f->Bus, f->Device, f->Function, f->Bus, f->Device, f->Function,
                  f->VendorId, f->DeviceId, f->VendorId, f->DeviceId, f->ClassCode, f->SubClass,
                  f->ProgIf, PciClassName(f), f->Revision, f->SubVendorId, f->SubSystemId,
                  f->InterruptPin >= 1 && f->InterruptPin <= 4 ? 'A' + f->InterruptPin - 1 : '-',
                  f->InterruptLine, gsi, bars, caps);
    }
    return 0;
}
SHELL_COMMAND(pci, CmdPci, "pci", "list PCI functions with IDs, class, BARs and capabilities");
