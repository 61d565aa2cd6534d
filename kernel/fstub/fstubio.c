/* fstubio.c - the kernel's partition-table routines (NT's fstub):
 * IoReadPartitionTableEx, ntstor's NtstorReadPartitionTableEx (the same
 * plus the problem report the disk driver shows) and IoReadDiskSignature.
 *
 * They run the one parser (partition.c) over sectors read from the device
 * the caller names, the way NT's fstub does: IOCTL_DISK_GET_DRIVE_GEOMETRY_EX
 * for the sector size and the disk's size, IRP_MJ_READ built with
 * IoBuildSynchronousFsdRequest for the sectors, waiting at PASSIVE_LEVEL.
 * So whatever the device is -- a disk FDO, a stack on top of one -- the
 * reads go down the same path as everyone else's, and nothing here knows
 * about SCSI or the port. */
#include <ntos.h>
#include <ob.h>
#include <rtl.h>
#include <fstub.h>

#define FSTUB_TAG_LAYOUT  NTSTOR_TAG('F', 's', 'L', 'y')   /* layouts handed to callers */
#define FSTUB_TAG_WORK    NTSTOR_TAG('F', 's', 'W', 'k')   /* the parser's layout and scratch */

typedef struct _FSTUB_DISK {
    PDEVICE_OBJECT Device;
    ULONG SectorSize;
    ULONG64 Sectors;
} FSTUB_DISK, *PFSTUB_DISK;

/* Sends an IRP built with an event and waits for it. */
static NTSTATUS FstubCallAndWait(PDEVICE_OBJECT Device, PIRP Irp, PKEVENT Event, PIO_STATUS_BLOCK Iosb)
{
    NTSTATUS status = IoCallDriver(Device, Irp);

    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(Event, Executive, KernelMode, FALSE, NULL);
        status = Iosb->Status;
    }
    return status;
}

static NTSTATUS FstubGetGeometry(PDEVICE_OBJECT Device, PDISK_GEOMETRY_EX Geometry)
{
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    PIRP irp;
    NTSTATUS status;

    RtlZeroMemory(Geometry, sizeof(*Geometry));
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, Device, NULL, 0, Geometry,
                                        sizeof(*Geometry), FALSE, &event, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = FstubCallAndWait(Device, irp, &event, &iosb);
    if (NT_SUCCESS(status) && iosb.Information < offsetof(DISK_GEOMETRY_EX, Data))
        status = STATUS_DEVICE_PROTOCOL_ERROR;
    return status;
}

/* Count sectors at Lba through the disk's own IRP_MJ_READ/WRITE path, so the
 * disk driver's rules apply (a disk not enabled for writing refuses a write:
 * DESIGN.md "Safety").  PASSIVE_LEVEL: it waits. */
static NTSTATUS FstubTransfer(PFSTUB_DISK Disk, UCHAR Major, ULONG64 Lba, ULONG Count, PVOID Buffer)
{
    ULONG bytes = Count * Disk->SectorSize;
    LARGE_INTEGER offset;
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    PIRP irp;
    NTSTATUS status;

    /* The parser and the writer check their LBAs against the disk; this is
     * the last guard before a request goes out. */
    if (Lba >= Disk->Sectors || Count > Disk->Sectors - Lba)
        return STATUS_INVALID_PARAMETER;
    offset.QuadPart = (LONGLONG)(Lba * Disk->SectorSize);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildSynchronousFsdRequest(Major, Disk->Device, Buffer, bytes, &offset, &event, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = FstubCallAndWait(Disk->Device, irp, &event, &iosb);
    /* A short transfer is not the sectors asked for. */
    if (NT_SUCCESS(status) && iosb.Information != bytes)
        status = STATUS_DEVICE_PROTOCOL_ERROR;
    return status;
}

/* The parser's read callback (PFSTUB_READ_SECTORS). */
static NTSTATUS FstubReadSectors(PVOID Context, ULONG64 Lba, ULONG Count, PVOID Buffer)
{
    return FstubTransfer(Context, IRP_MJ_READ, Lba, Count, Buffer);
}

/* The writer's callback (PFSTUB_WRITE_SECTORS). */
static NTSTATUS FstubWriteSectors(PVOID Context, ULONG64 Lba, ULONG Count, const VOID *Buffer)
{
    return FstubTransfer(Context, IRP_MJ_WRITE, Lba, Count, (PVOID)Buffer);
}

static NTSTATUS FstubGetDisk(PDEVICE_OBJECT Device, ULONG SectorSize, PFSTUB_DISK Disk)
{
    DISK_GEOMETRY_EX geometry;
    NTSTATUS status;

    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;     /* it waits for the device */
    status = FstubGetGeometry(Device, &geometry);
    if (!NT_SUCCESS(status))
        return status;
    Disk->Device = Device;
    Disk->SectorSize = SectorSize ? SectorSize : geometry.Geometry.BytesPerSector;
    if (!Disk->SectorSize || geometry.DiskSize.QuadPart <= 0)
        return STATUS_DEVICE_PROTOCOL_ERROR;
    Disk->Sectors = (ULONG64)geometry.DiskSize.QuadPart / Disk->SectorSize;
    return STATUS_SUCCESS;
}

/* Geometry, then the parser.  *Layout is pool the caller frees with
 * ExFreePoolWithTag(FSTUB_TAG_WORK), also on failure (it holds the log). */
static NTSTATUS FstubRead(PDEVICE_OBJECT Device, ULONG SectorSize, PFSTUB_LAYOUT *Layout,
                          PFSTUB_DISK Disk)
{
    PFSTUB_LAYOUT layout;
    PVOID scratch;
    NTSTATUS status;

    *Layout = NULL;
    status = FstubGetDisk(Device, SectorSize, Disk);
    if (!NT_SUCCESS(status))
        return status;

    layout = ExAllocatePoolWithTag(NonPagedPool, sizeof(*layout), FSTUB_TAG_WORK);
    scratch = ExAllocatePoolWithTag(NonPagedPool, FSTUB_SCRATCH_BYTES, FSTUB_TAG_WORK);
    if (!layout || !scratch) {
        if (layout)
            ExFreePoolWithTag(layout, FSTUB_TAG_WORK);
        if (scratch)
            ExFreePoolWithTag(scratch, FSTUB_TAG_WORK);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = FstubReadLayout(FstubReadSectors, Disk, Disk->SectorSize, Disk->Sectors, scratch, layout);
    ExFreePoolWithTag(scratch, FSTUB_TAG_WORK);
    *Layout = layout;
    return status;
}

/* The device's object name for the log (the log must say which disk a
 * problem belongs to); its address if it has none. */
static VOID FstubDeviceName(PDEVICE_OBJECT Device, PCHAR Name, SIZE_T Size)
{
    WCHAR wide[96];
    UNICODE_STRING path = { 0, sizeof(wide), wide };

    if (NT_SUCCESS(ObQueryNameString(Device, &path)) && path.Length)
        RtlUnicodeToAscii(Name, Size, &path);
    else
        RtlStringCbPrintfA(Name, Size, "device %p", Device);
}

/* One DbgPrint per problem, naming the device. */
static VOID FstubLogProblems(PDEVICE_OBJECT Device, const FSTUB_LAYOUT *Layout)
{
    CHAR name[96];

    if (!Layout->Problems)
        return;
    FstubDeviceName(Device, name, sizeof(name));
    for (PCSTR line = Layout->Log; *line;) {
        CHAR text[FSTUB_LOG_LINE_MAX];
        ULONG n = 0;
        while (line[n] && line[n] != '\n') {
            if (n + 1 < sizeof(text))
                text[n] = line[n];
            n++;
        }
        text[n + 1 < sizeof(text) ? n : sizeof(text) - 1] = 0;
        DbgPrint("fstub: %s: %s\n", name, text);
        line += n + (line[n] == '\n');
    }
    if (Layout->LogTruncated)
        DbgPrint("fstub: %s: %u more partition-table problem(s), not logged\n", name,
                 Layout->Problems - Layout->LogLines);
}

/* The parser's layout in NT's shape (the same fields disk.sys used to
 * fill itself: byte offsets, MBR entries all "recognized"). */
static PDRIVE_LAYOUT_INFORMATION_EX FstubBuildDriveLayout(const FSTUB_LAYOUT *L, ULONG SectorSize)
{
    SIZE_T size = DRIVE_LAYOUT_INFORMATION_EX_SIZE(L->Count);
    PDRIVE_LAYOUT_INFORMATION_EX out;

    /* PartitionEntry[1]: a caller may touch entry 0 of an empty layout. */
    if (size < sizeof(DRIVE_LAYOUT_INFORMATION_EX))
        size = sizeof(DRIVE_LAYOUT_INFORMATION_EX);
    out = ExAllocatePoolZero(NonPagedPool, size, FSTUB_TAG_LAYOUT);
    if (!out)
        return NULL;
    out->PartitionStyle = L->Style;
    out->PartitionCount = L->Count;
    if (L->Style == PARTITION_STYLE_MBR) {
        out->Mbr.Signature = L->MbrSignature;
        out->Mbr.CheckSum = L->MbrCheckSum;
    } else if (L->Style == PARTITION_STYLE_GPT) {
        out->Gpt.DiskId = L->DiskGuid;
        out->Gpt.StartingUsableOffset.QuadPart = (LONGLONG)(L->FirstUsableLba * SectorSize);
        out->Gpt.UsableLength.QuadPart = (LONGLONG)((L->LastUsableLba - L->FirstUsableLba + 1) * SectorSize);
        out->Gpt.MaxPartitionCount = L->GptEntries;
    }
    for (ULONG i = 0; i < L->Count; i++) {
        const FSTUB_PARTITION *p = &L->Partitions[i];
        PPARTITION_INFORMATION_EX e = &out->PartitionEntry[i];

        e->PartitionStyle = L->Style;
        e->StartingOffset.QuadPart = (LONGLONG)(p->StartLba * SectorSize);
        e->PartitionLength.QuadPart = (LONGLONG)(p->Sectors * SectorSize);
        e->PartitionNumber = p->Number;
        if (L->Style == PARTITION_STYLE_GPT) {
            e->Gpt.PartitionType = p->TypeGuid;
            e->Gpt.PartitionId = p->IdGuid;
            e->Gpt.Attributes = p->Attributes;
            RtlCopyMemory(e->Gpt.Name, p->Name, sizeof(e->Gpt.Name));
        } else {
            e->Mbr.PartitionType = p->MbrType;
            e->Mbr.BootIndicator = p->Bootable;
            e->Mbr.RecognizedPartition = TRUE;
            e->Mbr.HiddenSectors = (ULONG)p->StartLba;
        }
    }
    return out;
}

NTSTATUS NtstorReadPartitionTableEx(PDEVICE_OBJECT DeviceObject, PDRIVE_LAYOUT_INFORMATION_EX *DriveLayout,
                                    PNTSTOR_PARTITION_REPORT Report)
{
    PFSTUB_LAYOUT layout;
    FSTUB_DISK disk;
    NTSTATUS status;

    _Static_assert(sizeof(((PNTSTOR_PARTITION_REPORT)0)->Log) == sizeof(((PFSTUB_LAYOUT)0)->Log),
                   "the report carries the parser's whole log");
    if (Report)
        RtlZeroMemory(Report, sizeof(*Report));
    if (!DeviceObject || !DriveLayout)
        return STATUS_INVALID_PARAMETER;
    *DriveLayout = NULL;
    status = FstubRead(DeviceObject, 0, &layout, &disk);
    if (!layout) {
        CHAR name[96];
        FstubDeviceName(DeviceObject, name, sizeof(name));
        DbgPrint("fstub: %s: partition table not read (0x%08X): no geometry or no memory\n", name,
                 (ULONG)status);
        return status;
    }
    FstubLogProblems(DeviceObject, layout);
    if (Report) {
        Report->Problems = layout->Problems;
        Report->LogLines = layout->LogLines;
        Report->LogTruncated = layout->LogTruncated;
        Report->UsedBackupGpt = layout->UsedBackupGpt;
        RtlCopyMemory(Report->Log, layout->Log, sizeof(Report->Log));
    }
    if (NT_SUCCESS(status)) {
        *DriveLayout = FstubBuildDriveLayout(layout, disk.SectorSize);
        if (!*DriveLayout)
            status = STATUS_INSUFFICIENT_RESOURCES;
    }
    ExFreePoolWithTag(layout, FSTUB_TAG_WORK);
    return status;
}

NTSTATUS IoReadPartitionTableEx(PDEVICE_OBJECT DeviceObject, PDRIVE_LAYOUT_INFORMATION_EX *DriveLayout)
{
    return NtstorReadPartitionTableEx(DeviceObject, DriveLayout, NULL);
}

/* The whole parser runs, not a peek at LBA 0 and 1: the DiskId is the one
 * IoReadPartitionTableEx would report (the backup header's when the primary
 * is bad), from the same checks.  Quiet: IoReadPartitionTableEx logs. */
NTSTATUS IoReadDiskSignature(PDEVICE_OBJECT DeviceObject, ULONG BytesPerSector, PDISK_SIGNATURE Signature)
{
    PFSTUB_LAYOUT layout;
    FSTUB_DISK disk;
    NTSTATUS status;

    if (!DeviceObject || !Signature || BytesPerSector < FSTUB_MIN_SECTOR_SIZE)
        return STATUS_INVALID_PARAMETER;
    RtlZeroMemory(Signature, sizeof(*Signature));
    status = FstubRead(DeviceObject, BytesPerSector, &layout, &disk);
    if (!layout)
        return status;
    if (NT_SUCCESS(status)) {
        if (layout->Style == PARTITION_STYLE_GPT) {
            Signature->PartitionStyle = PARTITION_STYLE_GPT;
            Signature->Gpt.DiskId = layout->DiskGuid;
        } else if (layout->ProtectiveMbr) {
            /* LBA 0 says GPT, and neither header is valid. */
            status = STATUS_DISK_CORRUPT_ERROR;
        } else {
            Signature->PartitionStyle = PARTITION_STYLE_MBR;
            Signature->Mbr.Signature = layout->MbrSignature;
            Signature->Mbr.CheckSum = layout->MbrCheckSum;
        }
    }
    ExFreePoolWithTag(layout, FSTUB_TAG_WORK);
    return status;
}

/* Writes DriveLayout (MBR primaries or a whole GPT, fstub.h
 * FstubWriteLayout) through the device's IRP_MJ_WRITE.  Nothing is written
 * unless the layout is valid; the log says what was refused or failed. */
NTSTATUS IoWritePartitionTableEx(PDEVICE_OBJECT DeviceObject, PDRIVE_LAYOUT_INFORMATION_EX DriveLayout)
{
    CHAR name[96], why[160];
    FSTUB_DISK disk;
    PVOID scratch;
    NTSTATUS status;

    if (!DeviceObject || !DriveLayout)
        return STATUS_INVALID_PARAMETER;
    FstubDeviceName(DeviceObject, name, sizeof(name));
    status = FstubGetDisk(DeviceObject, 0, &disk);
    if (!NT_SUCCESS(status)) {
        DbgPrint("fstub: %s: partition table not written: no geometry (0x%08X)\n", name, (ULONG)status);
        return status;
    }
    scratch = ExAllocatePoolWithTag(NonPagedPool, FSTUB_SCRATCH_BYTES, FSTUB_TAG_WORK);
    if (!scratch)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = FstubWriteLayout(FstubReadSectors, FstubWriteSectors, &disk, disk.SectorSize, disk.Sectors,
                              DriveLayout, scratch, why, sizeof(why));
    ExFreePoolWithTag(scratch, FSTUB_TAG_WORK);
    if (NT_SUCCESS(status))
        DbgPrint("fstub: %s: %s partition table written, %u partition(s)\n", name,
                 DriveLayout->PartitionStyle == PARTITION_STYLE_GPT ? "GPT" : "MBR",
                 DriveLayout->PartitionCount);
    else
        DbgPrint("fstub: %s: partition table not written: %s (0x%08X)\n", name, why, (ULONG)status);
    return status;
}
