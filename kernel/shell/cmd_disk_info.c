/* cmd_disk_info.c - `disks`, `parts <disk>`, `writable <disk> on|off`,
 * `mode <disk> poll|msi|intx`, `flush <disk>`, `trim <disk> <lba> <count>`:
 * the disk class driver's facts and switches, all through IOCTLs on
 * \??\PhysicalDrive<n>.
 *
 *   ntstor> disks
 *   disk n=0 ctrl=0 port=0 model="QEMU HARDDISK" serial="QM00001" sectors=131072 sector_size=512
 *        ncq=1 trim=1 mode=msi writable=0 style=gpt partitions=1 max_transfer=1048576
 *        quirks=- bounced=0 state=ready physical_sector_size=512 alignment=0 bus=sata
 *        vendor="ATA" product="QEMU HARDDISK" write_protected=0 removable=0 boot=1  (one line)
 *   disks count=1 */
#include "cmd_disk.h"

VOID DiskFormatQuirks(ULONG Quirks, PCHAR Text, SIZE_T TextSize)
{
    SIZE_T len = 0;
    Text[0] = 0;
#define QUIRK_NAME(bit, name)                                                         \
    if ((Quirks & (bit)) && len + sizeof(name) + 1 < TextSize) {                      \
        RtlStringCbPrintfA(Text + len, TextSize - len, "%s%s", len ? "," : "", name); \
        len = RtlAsciiLength(Text);                                                   \
    }
    NTSTOR_AHCI_QUIRK_NAMES(QUIRK_NAME)
#undef QUIRK_NAME
    if (!len)
        RtlAsciiCopy(Text, TextSize, "-");
}

static PCSTR DiskStyleName(ULONG Style)
{
    return Style == PARTITION_STYLE_GPT ? "gpt" : Style == PARTITION_STYLE_MBR ? "mbr" : "raw";
}

/* The boot volume's GPT partition GUID, from the loader's device path
 * (UEFI 2.x 10.3.5.1: HD(<n>,GPT,<guid>,<start>,<size>)); FALSE when the
 * path has none (an MBR volume, a CD, no path). */
static BOOLEAN DiskBootPartitionGuid(PCHAR Guid, SIZE_T Size)
{
    PCSTR p = KeQueryBootDevicePath();
    SIZE_T n = 0;

    for (; *p; p++)
        if (!RtlAsciiCompareN(p, "HD(", 3, TRUE) && (p == KeQueryBootDevicePath() || p[-1] == '/'))
            break;
    if (!*p)
        return FALSE;
    p += 3;
    while (*p && *p != ',' && *p != ')')
        p++;
    if (*p != ',' || RtlAsciiCompareN(p + 1, "GPT,", 4, TRUE))
        return FALSE;
    p += 5;
    while (p[n] && p[n] != ',' && p[n] != ')' && n + 1 < Size) {
        Guid[n] = p[n];
        n++;
    }
    Guid[n] = 0;
    return n == 36;
}

/* Whether one of Disk's GPT partitions is the boot volume: the partition
 * GUID in the device path names it, whatever bus the disk is on. */
static BOOLEAN DiskIsBootDisk(PDISK_SHELL Disk, PCSTR BootGuid)
{
    ULONG bytes = DRIVE_LAYOUT_INFORMATION_EX_SIZE(Disk->Info.PartitionCount);
    PDRIVE_LAYOUT_INFORMATION_EX layout;
    BOOLEAN found = FALSE;
    ULONG_PTR info;

    if (!BootGuid[0] || Disk->Info.PartitionStyle != PARTITION_STYLE_GPT || !Disk->Info.PartitionCount)
        return FALSE;
    layout = ExAllocatePoolWithTag(NonPagedPool, bytes, DISK_SHELL_TAG);
    if (!layout)
        return FALSE;
    if (NT_SUCCESS(DiskShellIoctl(Disk, IOCTL_DISK_GET_DRIVE_LAYOUT_EX, NULL, 0, layout, bytes, &info)))
        for (ULONG i = 0; i < layout->PartitionCount && !found; i++) {
            CHAR guid[40];
            if (layout->PartitionEntry[i].PartitionStyle != PARTITION_STYLE_GPT)
                continue;
            RtlFormatGuidA(&layout->PartitionEntry[i].Gpt.PartitionId, guid, sizeof(guid));
            found = !RtlAsciiCompare(guid, BootGuid, TRUE);
        }
    ExFreePoolWithTag(layout, DISK_SHELL_TAG);
    return found;
}

static INT CmdDisks(INT Argc, PCHAR *Argv)
{
    CHAR bootGuid[40];
    ULONG numbers[64], disks = DiskShellListDisks(numbers, ARRAYSIZE(numbers)), count = 0;

    if (!DiskBootPartitionGuid(bootGuid, sizeof(bootGuid)))
        bootGuid[0] = 0;

    for (ULONG i = 0; i < disks; i++) {
        ULONG n = numbers[i];
        DISK_SHELL d;
        CHAR num[16];
        RtlStringCbPrintfA(num, sizeof(num), "%u", n);
        if (!DiskShellOpen("disks", num, FALSE, &d))
            continue;
        CHAR quirks[256], model[RTL_ESCAPED_SIZE(sizeof(d.Ahci.Model))];
        CHAR serial[RTL_ESCAPED_SIZE(sizeof(d.Info.Serial))];
        DiskFormatQuirks(d.HaveAhci ? d.Ahci.Quirks : 0, quirks, sizeof(quirks));
        BOOLEAN ataModel = d.HaveAhci && d.Ahci.Model[0];    /* IDENTIFY's 40, not INQUIRY's 16 */
        RtlEscapeDeviceText(model, sizeof(model), ataModel ? d.Ahci.Model : d.Info.Product,
                            ataModel ? sizeof(d.Ahci.Model) : sizeof(d.Info.Product));
        RtlEscapeDeviceText(serial, sizeof(serial), d.Info.Serial, sizeof(d.Info.Serial));
        CHAR vendor[RTL_ESCAPED_SIZE(sizeof(d.Info.Vendor))], product[RTL_ESCAPED_SIZE(sizeof(d.Info.Product))];
        RtlEscapeDeviceText(vendor, sizeof(vendor), d.Info.Vendor, sizeof(d.Info.Vendor));
        RtlEscapeDeviceText(product, sizeof(product), d.Info.Product, sizeof(d.Info.Product));
        BOOLEAN boot = DiskIsBootDisk(&d, bootGuid);
        ConPrintf("disk n=%u ctrl=%d port=%d model=\"%s\" serial=\"%s\" sectors=%llu sector_size=%u "
                  "ncq=%u trim=%u mode=%s writable=%u style=%s partitions=%u max_transfer=%u "
                  "quirks=%s bounced=%u state=%s physical_sector_size=%u alignment=%u bus=%s "
                  "vendor=\"%s\" product=\"%s\" write_protected=%u removable=%u boot=%u\n",
                  n, d.HaveAhci ? (INT)d.Ahci.Controller : -1, d.HaveAhci ? (INT)d.Ahci.Port : -1,
                  model, serial,
                  d.Info.Sectors, d.Info.SectorSize, d.HaveAhci && d.Ahci.NcqDepth ? 1 : 0, d.Info.Trim,
                  d.HaveAhci ? DiskShellModeName(d.Ahci.Mode) : "unknown", d.Info.Writable,
                  DiskStyleName(d.Info.PartitionStyle), d.Info.PartitionCount, d.Info.MaxTransferBytes,
                  quirks, d.HaveAhci ? d.Ahci.BouncedCommands : 0,
                  d.HaveAhci && d.Ahci.State[0] ? d.Ahci.State : "unknown",
                  d.HaveAhci && d.Ahci.PhysicalSectorSize ? d.Ahci.PhysicalSectorSize
                                                          : d.Info.SectorSize,
                  d.HaveAhci ? d.Ahci.AlignmentOffset : 0, DiskShellBusName(d.Info.BusType), vendor,
                  product, d.Info.WriteProtected, d.Info.Removable, boot);
        count++;
        DiskShellClose(&d);
    }
    ConPrintf("disks count=%u\n", count);
    return 0;
}
SHELL_COMMAND(disks, CmdDisks, "disks", "list disks (one machine-readable line each)");

/* The driver's problem log, one line per problem; returns the lines
 * printed.  They describe what the disk holds, so they are printed as
 * device text. */
static ULONG PartsPrintLog(PDISK_SHELL Disk)
{
    PCSTR line = Disk->Info.Log;
    CHAR text[RTL_ESCAPED_SIZE(160)];
    ULONG shown = 0;

    Disk->Info.Log[sizeof(Disk->Info.Log) - 1] = 0;
    while (*line) {
        ULONG n = 0;
        while (line[n] && line[n] != '\n')
            n++;
        if (n) {
            RtlEscapeDeviceText(text, sizeof(text), line, n);
            ConPrintf("problem disk=%u text=\"%s\"\n", Disk->Number, text);
            shown++;
        }
        line += n + (line[n] == '\n');
    }
    return shown;
}

static INT CmdParts(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    ULONG bytes;
    PDRIVE_LAYOUT_INFORMATION_EX layout;
    ULONG_PTR info;
    ULONG shown;
    NTSTATUS status;

    if (!DiskShellOpen("parts", Argc > 1 ? Argv[1] : NULL, FALSE, &d))
        return 1;
    /* The driver's facts say how many partitions there are. */
    bytes = DRIVE_LAYOUT_INFORMATION_EX_SIZE(d.Info.PartitionCount);
    layout = ExAllocatePoolWithTag(NonPagedPool, bytes, DISK_SHELL_TAG);
    if (!layout) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "parts disk=%u", d.Number);
    }
    status = DiskShellIoctl(&d, IOCTL_DISK_GET_DRIVE_LAYOUT_EX, NULL, 0, layout, bytes, &info);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(layout, DISK_SHELL_TAG);
        DiskShellClose(&d);
        return ShellErrorF(status, NULL, "parts disk=%u", d.Number);
    }
    shown = PartsPrintLog(&d);
    for (ULONG i = 0; i < layout->PartitionCount; i++) {
        PPARTITION_INFORMATION_EX p = &layout->PartitionEntry[i];
        ULONG ss = d.Info.SectorSize;
        CHAR type[40], name[RTL_ESCAPED_SIZE(ARRAYSIZE(p->Gpt.Name))], guid[40];

        name[0] = 0;
        guid[0] = 0;
        if (p->PartitionStyle == PARTITION_STYLE_GPT) {
            RtlEscapeDeviceTextW(name, sizeof(name), p->Gpt.Name, ARRAYSIZE(p->Gpt.Name));
            RtlFormatGuidA(&p->Gpt.PartitionType, type, sizeof(type));
            RtlFormatGuidA(&p->Gpt.PartitionId, guid, sizeof(guid));
        } else {
            RtlStringCbPrintfA(type, sizeof(type), "0x%02X", p->Mbr.PartitionType);
        }
        ConPrintf("part disk=%u n=%u start_lba=%llu sectors=%llu type=%s%s%s%s%s%s\n",
                  d.Number, p->PartitionNumber, (ULONG64)p->StartingOffset.QuadPart / ss,
                  (ULONG64)p->PartitionLength.QuadPart / ss, type,
                  p->PartitionStyle == PARTITION_STYLE_GPT ? " name=\"" : "",
                  p->PartitionStyle == PARTITION_STYLE_GPT ? name : "",
                  p->PartitionStyle == PARTITION_STYLE_GPT ? "\" guid=" : "",
                  guid, p->PartitionStyle == PARTITION_STYLE_MBR && p->Mbr.BootIndicator ? " boot=1" : "");
    }
    /* problems_shown < problems with truncated=1: the driver's log was
     * full, the problem lines above are the first ones only. */
    ConPrintf("parts disk=%u style=%s count=%u problems=%u problems_shown=%u truncated=%u "
              "backup_gpt=%u\n", d.Number, DiskStyleName(layout->PartitionStyle),
              layout->PartitionCount, d.Info.LayoutProblems, shown,
              d.Info.LayoutLogTruncated, d.Info.UsedBackupGpt);
    ExFreePoolWithTag(layout, DISK_SHELL_TAG);
    DiskShellClose(&d);
    return 0;
}
SHELL_COMMAND(parts, CmdParts, "parts <disk>", "partitions of a disk and what was wrong with its table");

static INT CmdWritable(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    NTSTOR_DISK_SET_WRITABLE w;
    NTSTATUS status;

    /* The argument first: nothing to open, nothing to close on a typo. */
    if (Argc > 1 && (Argc < 3 || (RtlAsciiCompare(Argv[2], "on", TRUE) &&
                                  RtlAsciiCompare(Argv[2], "off", TRUE))))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "expected on or off", "writable disk=%s", Argv[1]);
    if (!DiskShellOpen("writable", Argc > 1 ? Argv[1] : NULL, FALSE, &d))
        return 1;
    w.Writable = RtlAsciiCompare(Argv[2], "on", TRUE) == 0;
    status = DiskShellIoctl(&d, IOCTL_NTSTOR_DISK_SET_WRITABLE, &w, sizeof(w), NULL, 0, NULL);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, DiskShellWhyFor(&d, status), "writable disk=%u", d.Number);
    ConPrintf("writable disk=%u writable=%u\n", d.Number, w.Writable);
    return 0;
}
SHELL_COMMAND(writable, CmdWritable, "writable <disk> on|off", "allow or refuse writes to a disk");

static INT CmdMode(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    NTSTOR_AHCI_SET_MODE m;
    NTSTATUS status;

    /* The names are DiskShellModeName's: poll, msi, intx. */
    if (Argc > 2) {
        for (m.Mode = NtstorAhciModePoll; m.Mode <= NtstorAhciModeIntx; m.Mode++)
            if (!RtlAsciiCompare(Argv[2], DiskShellModeName(m.Mode), TRUE))
                break;
        if (m.Mode > NtstorAhciModeIntx)
            return ShellErrorF(STATUS_INVALID_PARAMETER, "expected poll, msi or intx", "mode disk=%s",
                               Argv[1]);
    }
    if (!DiskShellOpen("mode", Argc > 1 ? Argv[1] : NULL, FALSE, &d))
        return 1;
    if (Argc < 3) {
        ConPrintf("mode disk=%u mode=%s\n", d.Number, d.HaveAhci ? DiskShellModeName(d.Ahci.Mode) : "unknown");
        DiskShellClose(&d);
        return 0;
    }
    status = DiskShellIoctl(&d, IOCTL_NTSTOR_AHCI_SET_MODE, &m, sizeof(m), NULL, 0, NULL);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, status == STATUS_NOT_SUPPORTED ? "controller has no such interrupt" : NULL,
                           "mode disk=%u", d.Number);
    ConPrintf("mode disk=%u mode=%s\n", d.Number, DiskShellModeName(m.Mode));
    return 0;
}
SHELL_COMMAND(mode, CmdMode, "mode <disk> [poll|msi|intx]", "how a disk's completions are found");

static INT CmdFlush(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    IO_STATUS_BLOCK iosb;
    NTSTATUS status;

    if (!DiskShellOpen("flush", Argc > 1 ? Argv[1] : NULL, TRUE, &d))
        return 1;
    status = NtFlushBuffersFile(d.Handle, &iosb);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, "write cache not flushed", "flush disk=%u serial=\"%s\"",
                           d.Number, d.Info.Serial);
    ConPrintf("flush disk=%u status=%s\n", d.Number, RtlNtStatusName(status));
    return 0;
}
SHELL_COMMAND(flush, CmdFlush, "flush <disk>", "write the disk's cache to the medium");

static INT CmdTrim(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    ULONG64 lba, count;
    struct {
        DEVICE_MANAGE_DATA_SET_ATTRIBUTES Dsm;
        DEVICE_DATA_SET_RANGE Range;
    } req;
    NTSTATUS status;

    if (!DiskShellOpen("trim", Argc > 1 ? Argv[1] : NULL, TRUE, &d))
        return 1;
    if (!DiskShellRange("trim", &d, Argc > 2 ? Argv[2] : NULL, Argc > 3 ? Argv[3] : NULL, &lba, &count)) {
        DiskShellClose(&d);
        return 1;
    }
    RtlZeroMemory(&req, sizeof(req));
    req.Dsm.Size = sizeof(req.Dsm);
    req.Dsm.Action = DeviceDsmAction_Trim;
    req.Dsm.DataSetRangesOffset = offsetof(__typeof__(req), Range);
    req.Dsm.DataSetRangesLength = sizeof(req.Range);
    req.Range.StartingOffset = (LONGLONG)(lba * d.Info.SectorSize);
    req.Range.LengthInBytes = count * d.Info.SectorSize;
    status = DiskShellIoctl(&d, IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES, &req, sizeof(req), NULL, 0, NULL);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status))
        return ShellErrorF(status, status == STATUS_NOT_SUPPORTED
                                       ? "the device reports no UNMAP (no LBPME in READ CAPACITY(16)): "
                                         "nothing sent"
                                       : DiskShellWhyFor(&d, status),
                           "trim disk=%u lba=%llu",
                           d.Number, lba);
    ConPrintf("trim disk=%u lba=%llu count=%llu status=%s\n", d.Number, lba, count,
              RtlNtStatusName(status));
    return 0;
}
SHELL_COMMAND(trim, CmdTrim, "trim <disk> <lba> <count>", "tell the disk the sectors are unused (UNMAP)");
