/* cmd_disk_ata.c - `identify <disk>` (ATA IDENTIFY DEVICE, ACS-3 7.12) and
 * `smart <disk>` (SMART READ DATA, ACS-3 7.44.3 / the attribute table of
 * the de-facto SFF-8035i layout) through IOCTL_ATA_PASS_THROUGH on
 * \??\PhysicalDrive<n>; the disk class driver turns it into an ATA
 * PASS-THROUGH(16) SRB.
 *
 *   identify disk=0 model="QEMU HARDDISK" serial="QM00001" firmware="2.5+" sectors=131072
 *            lba48=1 ncq=1 queue_depth=32 trim=1 smart=1 write_cache=1 sector_size=512
 *            physical_sector_size=512 alignment=0                                    (one line)
 *   smart disk=0 attributes=3 status=STATUS_SUCCESS */
#include "cmd_disk.h"

typedef struct _DISK_ATA_REQ {
    ATA_PASS_THROUGH_EX Apt;
    UCHAR Pad[512 - sizeof(ATA_PASS_THROUGH_EX) % 512];
    UCHAR Data[512];
} DISK_ATA_REQ;

static NTSTATUS DiskAtaRead512(PDISK_SHELL Disk, UCHAR Command, UCHAR Features, UCHAR LbaMid,
                               UCHAR LbaHigh, DISK_ATA_REQ *Req)
{
    ULONG_PTR info = 0;
    NTSTATUS status;

    RtlZeroMemory(Req, sizeof(*Req));
    Req->Apt.Length = sizeof(Req->Apt);
    Req->Apt.AtaFlags = ATA_FLAGS_DRDY_REQUIRED | ATA_FLAGS_DATA_IN;
    Req->Apt.DataTransferLength = 512;
    Req->Apt.TimeOutValue = 10;
    Req->Apt.DataBufferOffset = offsetof(DISK_ATA_REQ, Data);
    Req->Apt.CurrentTaskFile[0] = Features;
    Req->Apt.CurrentTaskFile[1] = 1;            /* one 512-byte block */
    Req->Apt.CurrentTaskFile[3] = LbaMid;
    Req->Apt.CurrentTaskFile[4] = LbaHigh;
    Req->Apt.CurrentTaskFile[6] = Command;
    status = DiskShellIoctl(Disk, IOCTL_ATA_PASS_THROUGH, Req, sizeof(*Req), Req, sizeof(*Req), &info);
    if (NT_SUCCESS(status) && (Req->Apt.CurrentTaskFile[6] & 0x01))
        status = STATUS_IO_DEVICE_ERROR;        /* ERR in the returned status */
    if (NT_SUCCESS(status) && info < offsetof(DISK_ATA_REQ, Data) + 512)
        status = STATUS_DEVICE_PROTOCOL_ERROR;
    return status;
}

/* A device that refuses ATA PASS-THROUGH (a SCSI device, a USB bridge
 * without SAT) cannot answer ATA commands at all: say so. */
static PCSTR DiskAtaWhy(PDISK_SHELL Disk, NTSTATUS Status, PCSTR Otherwise)
{
    if (Status == STATUS_INVALID_DEVICE_REQUEST || Status == STATUS_NOT_SUPPORTED)
        return Disk->Info.BusType == BusTypeSata
                   ? "the disk refused ATA PASS-THROUGH"
                   : "the device does not take ATA PASS-THROUGH (not an ATA disk behind this bus): "
                     "it cannot answer IDENTIFY or SMART";
    return Otherwise;
}

static USHORT W(const UCHAR *Id, ULONG Word) { return (USHORT)(Id[2 * Word] | (Id[2 * Word + 1] << 8)); }

/* ATA strings are big-endian byte pairs (ACS-3 3.4.9), blank-padded; the
 * bytes are the device's, so the result is escaped for printing. */
static VOID AtaString(const UCHAR *Id, ULONG First, ULONG Words, PCHAR Out, ULONG Size)
{
    CHAR raw[2 * 20];
    ULONG n = 0, start = 0;

    for (ULONG w = First; w < First + Words && n + 2 <= sizeof(raw); w++) {
        raw[n++] = (CHAR)Id[2 * w + 1];
        raw[n++] = (CHAR)Id[2 * w];
    }
    while (n && (raw[n - 1] == ' ' || raw[n - 1] == 0))
        n--;
    while (start < n && raw[start] == ' ')
        start++;
    RtlEscapeDeviceText(Out, Size, raw + start, n - start);
}

static INT CmdIdentify(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    DISK_ATA_REQ *req;
    CHAR model[RTL_ESCAPED_SIZE(40)], serial[RTL_ESCAPED_SIZE(20)], firmware[RTL_ESCAPED_SIZE(8)];
    const UCHAR *id;
    ULONG64 sectors;
    ULONG sectorSize = 512;
    NTSTATUS status;

    if (!DiskShellOpen("identify", Argc > 1 ? Argv[1] : NULL, TRUE, &d))
        return 1;
    req = ExAllocatePoolWithTag(NonPagedPool, sizeof(*req), DISK_SHELL_TAG);
    if (!req) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "identify disk=%u", d.Number);
    }
    status = DiskAtaRead512(&d, 0xEC /* IDENTIFY DEVICE */, 0, 0, 0, req);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(req, DISK_SHELL_TAG);
        return ShellErrorF(status, DiskAtaWhy(&d, status, DiskShellWhy(status)), "identify disk=%u",
                           d.Number);
    }
    id = req->Data;
    AtaString(id, 27, 20, model, sizeof(model));
    AtaString(id, 10, 10, serial, sizeof(serial));
    AtaString(id, 23, 4, firmware, sizeof(firmware));
    BOOLEAN lba48 = (W(id, 83) & (1 << 10)) != 0;
    sectors = lba48 ? ((ULONG64)W(id, 100) | ((ULONG64)W(id, 101) << 16) | ((ULONG64)W(id, 102) << 32) |
                       ((ULONG64)W(id, 103) << 48))
                    : ((ULONG64)W(id, 60) | ((ULONG64)W(id, 61) << 16));
    /* Word 106: valid (bit 14 set, 15 clear) and "logical sector longer than 256 words" (bit 12). */
    if ((W(id, 106) & 0xC000) == 0x4000 && (W(id, 106) & (1 << 12)))
        sectorSize = 2 * ((ULONG)W(id, 117) | ((ULONG)W(id, 118) << 16));
    /* Word 106 bit 13: several logical sectors per physical, 2^(3:0) of
     * them; word 209 (valid: bits 15:14 = 01b): LBA 0's offset within its
     * physical sector (ACS-3 7.12.7.40, 7.12.7.86). */
    ULONG physicalSize = sectorSize, alignment = 0;
    if ((W(id, 106) & 0xC000) == 0x4000 && (W(id, 106) & (1 << 13)))
        physicalSize = sectorSize << (W(id, 106) & 0xF);
    if (physicalSize != sectorSize && (W(id, 209) & 0xC000) == 0x4000)
        alignment = W(id, 209) & 0x3FFF;
    BOOLEAN ncq = (W(id, 76) & (1 << 8)) != 0;
    ULONG depth = ncq ? (W(id, 75) & 0x1F) + 1 : 1;
    BOOLEAN trim = (W(id, 169) & 1) != 0;
    BOOLEAN smart = (W(id, 82) & 1) != 0, smartOn = (W(id, 85) & 1) != 0;
    BOOLEAN wc = (W(id, 85) & (1 << 5)) != 0;
    ULONG major = W(id, 80), ataVersion = 0;
    for (ULONG b = 4; b < 15; b++)
        if (major != 0xFFFF && (major & (1u << b)))
            ataVersion = b;

    ConPrintf("  model            %s\n", model);
    ConPrintf("  serial           %s\n", serial);
    ConPrintf("  firmware         %s\n", firmware);
    ConPrintf("  capacity         %llu sectors of %u bytes (%llu MiB)\n", sectors, sectorSize,
              sectors * sectorSize >> 20);
    ConPrintf("  physical sector  %u bytes, LBA 0 at logical offset %u\n", physicalSize, alignment);
    ConPrintf("  addressing       %s\n", lba48 ? "48-bit LBA" : "28-bit LBA");
    ConPrintf("  NCQ              %s (queue depth %u)\n", ncq ? "yes" : "no", depth);
    ConPrintf("  TRIM             %s\n", trim ? "yes" : "no");
    ConPrintf("  SMART            %s, %s\n", smart ? "supported" : "not supported", smartOn ? "enabled" : "disabled");
    ConPrintf("  write cache      %s\n", wc ? "enabled" : "disabled");
    ConPrintf("  ATA major        ATA/ATAPI-%u%s\n", ataVersion, ataVersion >= 8 ? " (ACS)" : "");
    ConPrintf("identify disk=%u model=\"%s\" serial=\"%s\" firmware=\"%s\" sectors=%llu sector_size=%u "
              "lba48=%u ncq=%u queue_depth=%u trim=%u smart=%u write_cache=%u physical_sector_size=%u "
              "alignment=%u\n", d.Number, model, serial,
              firmware, sectors, sectorSize, lba48, ncq, depth, trim, smart && smartOn, wc, physicalSize,
              alignment);
    ExFreePoolWithTag(req, DISK_SHELL_TAG);
    return 0;
}
SHELL_COMMAND(identify, CmdIdentify, "identify <disk>", "ATA IDENTIFY DEVICE, decoded");

static INT CmdSmart(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    DISK_ATA_REQ *req;
    ULONG attributes = 0;
    NTSTATUS status;

    if (!DiskShellOpen("smart", Argc > 1 ? Argv[1] : NULL, TRUE, &d))
        return 1;
    req = ExAllocatePoolWithTag(NonPagedPool, sizeof(*req), DISK_SHELL_TAG);
    if (!req) {
        DiskShellClose(&d);
        return ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "smart disk=%u", d.Number);
    }
    /* SMART READ DATA: B0h, feature D0h, LBA mid/high 4Fh/C2h (ACS-3 7.44). */
    status = DiskAtaRead512(&d, 0xB0, 0xD0, 0x4F, 0xC2, req);
    DiskShellClose(&d);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(req, DISK_SHELL_TAG);
        return ShellErrorF(status, DiskAtaWhy(&d, status, "SMART READ DATA failed"), "smart disk=%u",
                           d.Number);
    }
    ConPrintf("  id  flags   value worst raw\n");
    for (ULONG i = 0; i < 30; i++) {
        const UCHAR *a = req->Data + 2 + 12 * i;
        ULONG64 raw = 0;
        if (a[0] == 0)
            continue;
        for (ULONG b = 0; b < 6; b++)
            raw |= (ULONG64)a[5 + b] << (8 * b);
        ConPrintf("  %3u 0x%04x  %3u   %3u   %llu\n", a[0], a[1] | (a[2] << 8), a[3], a[4], raw);
        ConPrintf("smart_attr disk=%u id=%u flags=0x%04x value=%u worst=%u raw=%llu\n", d.Number, a[0],
                  a[1] | (a[2] << 8), a[3], a[4], raw);
        attributes++;
    }
    ConPrintf("smart disk=%u attributes=%u revision=%u status=%s\n", d.Number, attributes,
              req->Data[0] | (req->Data[1] << 8), RtlNtStatusName(status));
    ExFreePoolWithTag(req, DISK_SHELL_TAG);
    return 0;
}
SHELL_COMMAND(smart, CmdSmart, "smart <disk>", "SMART attributes (ATA SMART READ DATA)");
