/* ioctl.c - IRP_MJ_DEVICE_CONTROL of a disk or partition: geometry,
 * length, partition information and layout (ntdddisk.h), property
 * queries, device number and TRIM (ntddstor.h), ATA pass-through (as an
 * ATA PASS-THROUGH(16) SRB, SAT-4 12.2.2), ntstor's write switch and facts
 * (ntstor_disk.h), and the AHCI port's private IOCTLs passed down.
 * METHOD_BUFFERED throughout: input and output share the system buffer.
 * PASSIVE_LEVEL (the SRB-sending ones wait). */
#include "disk.h"


static VOID DiskFillPartitionInfo(PDISK_FDO Fdo, const DISK_COMMON *Common, PPARTITION_INFORMATION_EX Info)
{
    /* A partition: the kernel's entry as it is. */
    if (Common->Partition) {
        *Info = *Common->Partition;
        return;
    }
    RtlZeroMemory(Info, sizeof(*Info));
    Info->PartitionStyle = Fdo->Layout ? Fdo->Layout->PartitionStyle : PARTITION_STYLE_RAW;
    Info->StartingOffset.QuadPart = 0;
    Info->PartitionLength.QuadPart = (LONGLONG)(Common->Sectors * Fdo->SectorSize);
    Info->PartitionNumber = 0;
}

static NTSTATUS DiskGetLayout(PDISK_FDO Fdo, PVOID Buffer, ULONG OutLength, PULONG_PTR Information)
{
    PDRIVE_LAYOUT_INFORMATION_EX out = Buffer, l = Fdo->Layout;
    ULONG count = l ? l->PartitionCount : 0, fit;

    if (OutLength < DRIVE_LAYOUT_INFORMATION_EX_SIZE(0))
        return STATUS_BUFFER_TOO_SMALL;
    RtlZeroMemory(out, DRIVE_LAYOUT_INFORMATION_EX_SIZE(0));
    if (l)
        RtlCopyMemory(out, l, DRIVE_LAYOUT_INFORMATION_EX_SIZE(0));
    else
        out->PartitionStyle = PARTITION_STYLE_RAW;
    fit = (OutLength - DRIVE_LAYOUT_INFORMATION_EX_SIZE(0)) / sizeof(PARTITION_INFORMATION_EX);
    if (fit > count)
        fit = count;
    if (fit)
        RtlCopyMemory(out->PartitionEntry, l->PartitionEntry, fit * sizeof(PARTITION_INFORMATION_EX));
    *Information = DRIVE_LAYOUT_INFORMATION_EX_SIZE(fit);
    return fit < count ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* StorageDeviceProperty: the descriptor, then vendor, product, revision
 * and serial strings. */
static NTSTATUS DiskQueryProperty(PDISK_FDO Fdo, PVOID Buffer, ULONG InLength, ULONG OutLength,
                                  PULONG_PTR Information)
{
    PSTORAGE_PROPERTY_QUERY q = Buffer;
    STORAGE_PROPERTY_ID id;
    STORAGE_QUERY_TYPE type;

    if (InLength < offsetof(STORAGE_PROPERTY_QUERY, AdditionalParameters))
        return STATUS_INVALID_PARAMETER;
    id = q->PropertyId;
    type = q->QueryType;
    if (id != StorageDeviceProperty && id != StorageAccessAlignmentProperty &&
        id != StorageDeviceTrimProperty)
        return STATUS_NOT_SUPPORTED;
    if (type == PropertyExistsQuery)
        return STATUS_SUCCESS;
    if (type != PropertyStandardQuery)
        return STATUS_INVALID_PARAMETER;

    if (id == StorageDeviceProperty) {
        PCSTR strings[4] = { Fdo->Vendor, Fdo->Product, Fdo->Revision, Fdo->Serial };
        ULONG offsets[4], size = offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties);
        UCHAR full[offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties) + 9 + 17 + 5 + 41];
        PSTORAGE_DEVICE_DESCRIPTOR d = (PSTORAGE_DEVICE_DESCRIPTOR)full;

        RtlZeroMemory(full, sizeof(full));
        for (ULONG i = 0; i < 4; i++) {
            ULONG n = 0;
            offsets[i] = size;
            while (strings[i][n])
                n++;
            RtlCopyMemory(full + size, strings[i], n + 1);
            size += n + 1;
        }
        d->Version = sizeof(STORAGE_DEVICE_DESCRIPTOR);
        d->Size = size;
        d->DeviceType = Fdo->DeviceType;
        d->CommandQueueing = Fdo->HaveAhciInfo && Fdo->AhciInfo.NcqDepth > 0;
        d->VendorIdOffset = offsets[0];
        d->ProductIdOffset = offsets[1];
        d->ProductRevisionOffset = offsets[2];
        d->SerialNumberOffset = offsets[3];
        d->BusType = Fdo->BusType;
        d->RemovableMedia = Fdo->Removable;
        /* As NT: a short buffer gets the header (Version, Size) so the
         * caller can ask again with enough. */
        if (OutLength < sizeof(STORAGE_DESCRIPTOR_HEADER))
            return STATUS_BUFFER_TOO_SMALL;
        if (OutLength > size)
            OutLength = size;
        RtlCopyMemory(Buffer, full, OutLength);
        *Information = OutLength;
        return STATUS_SUCCESS;
    }
    if (id == StorageAccessAlignmentProperty) {
        STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR a = { sizeof(a), sizeof(a), 64, 0, Fdo->SectorSize,
                                                  Fdo->SectorSize, 0 };
        if (OutLength < sizeof(a))
            return STATUS_BUFFER_TOO_SMALL;
        RtlCopyMemory(Buffer, &a, sizeof(a));
        *Information = sizeof(a);
        return STATUS_SUCCESS;
    }
    {
        DEVICE_TRIM_DESCRIPTOR t = { sizeof(t), sizeof(t), Fdo->Trim };
        if (OutLength < sizeof(t))
            return STATUS_BUFFER_TOO_SMALL;
        RtlCopyMemory(Buffer, &t, sizeof(t));
        *Information = sizeof(t);
        return STATUS_SUCCESS;
    }
}

/* ATA commands that only read (ACS-3): allowed on a read-only disk.  Any
 * other command could change the medium or the device's settings. */
static BOOLEAN DiskAtaCommandReadOnly(UCHAR Command, UCHAR Features)
{
    switch (Command) {
    case 0xEC:  /* IDENTIFY DEVICE */
    case 0xA1:  /* IDENTIFY PACKET DEVICE */
    case 0xE5:  /* CHECK POWER MODE */
    case 0x2F:  /* READ LOG EXT */
    case 0x47:  /* READ LOG DMA EXT */
    case 0x27:  /* READ NATIVE MAX ADDRESS EXT */
    case 0xF8:  /* READ NATIVE MAX ADDRESS */
        return TRUE;
    case 0xB0:  /* SMART: READ DATA, READ THRESHOLDS, READ LOG, RETURN STATUS */
        return Features == 0xD0 || Features == 0xD1 || Features == 0xD5 || Features == 0xDA;
    default:
        return FALSE;
    }
}

static NTSTATUS DiskAtaPassThrough(PDISK_FDO Fdo, PVOID Buffer, ULONG InLength, ULONG OutLength,
                                   PULONG_PTR Information)
{
    PATA_PASS_THROUGH_EX apt = Buffer;
    ULONG size = InLength > OutLength ? InLength : OutLength;
    ULONG length, flags, got = 0;
    UCHAR cdb[16] = { 0 }, sense[32], protocol;
    ULONG senseLength = sizeof(sense);
    BOOLEAN in, out, ext, registers = FALSE;
    PUCHAR data = NULL;
    NTSTATUS status;

    if (InLength < sizeof(*apt) || apt->Length != sizeof(*apt))
        return STATUS_INVALID_PARAMETER;
    length = apt->DataTransferLength;
    in = (apt->AtaFlags & ATA_FLAGS_DATA_IN) != 0;
    out = (apt->AtaFlags & ATA_FLAGS_DATA_OUT) != 0;
    ext = (apt->AtaFlags & ATA_FLAGS_48BIT_COMMAND) != 0;
    if ((in && out) || (length && !in && !out) || (!length && (in || out)) || length % 512)
        return STATUS_INVALID_PARAMETER;
    if (length) {
        if (apt->DataBufferOffset < sizeof(*apt) || (apt->DataBufferOffset & 1) ||
            apt->DataBufferOffset > size || length > size - apt->DataBufferOffset)
            return STATUS_INVALID_PARAMETER;
        if (in && apt->DataBufferOffset + length > OutLength)
            return STATUS_BUFFER_TOO_SMALL;
        data = (PUCHAR)Buffer + apt->DataBufferOffset;
    }
    if (OutLength < sizeof(*apt))
        return STATUS_BUFFER_TOO_SMALL;
    if (!DiskWritesAllowed(Fdo) && (out || !DiskAtaCommandReadOnly(apt->CurrentTaskFile[6],
                                                          apt->CurrentTaskFile[0])))
        return STATUS_MEDIA_WRITE_PROTECTED;

    /* SAT-4 12.2.2: protocol, T_LENGTH in the sector count, blocks of 512,
     * CK_COND so the returned task file comes back in the sense. */
    protocol = !length ? ATA_PT_PROTOCOL_NON_DATA
             : (apt->AtaFlags & ATA_FLAGS_USE_DMA) ? ATA_PT_PROTOCOL_DMA
             : in ? ATA_PT_PROTOCOL_PIO_DATA_IN : ATA_PT_PROTOCOL_PIO_DATA_OUT;
    cdb[0] = SCSIOP_ATA_PASSTHROUGH16;
    cdb[1] = (UCHAR)((protocol << 1) | (ext ? 1 : 0));
    cdb[2] = 0x20 | (length ? (0x04 | ATA_PT_TLENGTH_SECTOR_COUNT | (in ? 0x08 : 0)) : 0);
    cdb[3] = ext ? apt->PreviousTaskFile[0] : 0;
    cdb[4] = apt->CurrentTaskFile[0];
    cdb[5] = ext ? apt->PreviousTaskFile[1] : 0;
    cdb[6] = apt->CurrentTaskFile[1];
    cdb[7] = ext ? apt->PreviousTaskFile[2] : 0;
    cdb[8] = apt->CurrentTaskFile[2];
    cdb[9] = ext ? apt->PreviousTaskFile[3] : 0;
    cdb[10] = apt->CurrentTaskFile[3];
    cdb[11] = ext ? apt->PreviousTaskFile[4] : 0;
    cdb[12] = apt->CurrentTaskFile[4];
    cdb[13] = apt->CurrentTaskFile[5];
    cdb[14] = apt->CurrentTaskFile[6];
    flags = !length ? SRB_FLAGS_NO_DATA_TRANSFER : in ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
    status = DiskSendSrbSync(Fdo, cdb, sizeof(cdb), data, length, flags, &got, sense, &senseLength);

    /* The returned registers (SAT-4 12.2.2.6), fixed or descriptor format. */
    if (senseLength >= 18 && (sense[0] & 0x7F) == 0x70) {
        apt->CurrentTaskFile[0] = sense[3];     /* ERROR */
        apt->CurrentTaskFile[6] = sense[4];     /* STATUS */
        apt->CurrentTaskFile[5] = sense[5];     /* DEVICE */
        apt->CurrentTaskFile[1] = sense[6];     /* COUNT(7:0) */
        apt->CurrentTaskFile[2] = sense[9];     /* LBA(7:0) */
        apt->CurrentTaskFile[3] = sense[10];
        apt->CurrentTaskFile[4] = sense[11];
        registers = TRUE;
    } else if (senseLength >= 8 + 14 && (sense[0] & 0x7F) == 0x72 && sense[8] == 0x09) {
        const UCHAR *d = sense + 8;
        apt->CurrentTaskFile[0] = d[3];
        apt->CurrentTaskFile[1] = d[5];
        apt->CurrentTaskFile[2] = d[7];
        apt->CurrentTaskFile[3] = d[9];
        apt->CurrentTaskFile[4] = d[11];
        apt->CurrentTaskFile[5] = d[12];
        apt->CurrentTaskFile[6] = d[13];
        registers = TRUE;
    }
    /* A command the device rejected (ERR set) still returns its registers.
     * Only registers that came back count: unparsed sense leaves the
     * caller's command byte in CurrentTaskFile[6], whose bit 0 is not ERR. */
    if (!NT_SUCCESS(status) && !(registers && (apt->CurrentTaskFile[6] & 0x01)))
        return status;
    apt->DataTransferLength = got;
    *Information = length && in ? apt->DataBufferOffset + got : sizeof(*apt);
    return STATUS_SUCCESS;
}

static NTSTATUS DiskSendUnmap(PDISK_FDO Fdo, PUCHAR List, ULONG Descriptors)
{
    UCHAR cdb[10] = { SCSIOP_UNMAP };
    ULONG bytes = 8 + 16 * Descriptors;

    ScsiPutBe16(List, bytes - 2);
    ScsiPutBe16(List + 2, 16 * Descriptors);
    RtlZeroMemory(List + 4, 4);
    ScsiPutBe16(cdb + 7, bytes);
    return DiskSendSrbSync(Fdo, cdb, sizeof(cdb), List, bytes, SRB_FLAGS_DATA_OUT, NULL, NULL, NULL);
}

static NTSTATUS DiskTrim(PDISK_FDO Fdo, const DISK_COMMON *Common, PVOID Buffer, ULONG InLength)
{
    PDEVICE_MANAGE_DATA_SET_ATTRIBUTES dsm = Buffer;
    PDEVICE_DATA_SET_RANGE ranges;
    ULONG count, n = 0;
    ULONG64 inCommand = 0;      /* blocks in the list being built */
    PUCHAR list;
    NTSTATUS status = STATUS_SUCCESS;
    DEVICE_DATA_SET_RANGE whole;

    if (InLength < sizeof(*dsm) || dsm->Size != sizeof(*dsm))
        return STATUS_INVALID_PARAMETER;
    if (dsm->Action != DeviceDsmAction_Trim)
        return STATUS_NOT_SUPPORTED;
    if (!Fdo->Trim)
        return STATUS_NOT_SUPPORTED;
    if (!DiskWritesAllowed(Fdo))
        return STATUS_MEDIA_WRITE_PROTECTED;
    if (dsm->Flags & DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE) {
        whole.StartingOffset = 0;
        whole.LengthInBytes = Common->Sectors * Fdo->SectorSize;
        ranges = &whole;
        count = 1;
    } else {
        if (dsm->DataSetRangesOffset > InLength || dsm->DataSetRangesLength > InLength - dsm->DataSetRangesOffset ||
            (dsm->DataSetRangesOffset & 7) || dsm->DataSetRangesLength % sizeof(DEVICE_DATA_SET_RANGE))
            return STATUS_INVALID_PARAMETER;
        ranges = (PDEVICE_DATA_SET_RANGE)((PUCHAR)Buffer + dsm->DataSetRangesOffset);
        count = dsm->DataSetRangesLength / sizeof(DEVICE_DATA_SET_RANGE);
    }
    /* Every range is checked before anything is sent. */
    for (ULONG i = 0; i < count; i++) {
        PCSTR why;
        if (ranges[i].LengthInBytes % Fdo->SectorSize)
            return STATUS_INVALID_PARAMETER;
        status = DiskCheckTransfer(ranges[i].StartingOffset, 0, Fdo->SectorSize, Common->Sectors, &why);
        if (!NT_SUCCESS(status) ||
            ranges[i].LengthInBytes / Fdo->SectorSize >
                Common->Sectors - (ULONG64)ranges[i].StartingOffset / Fdo->SectorSize)
            return STATUS_INVALID_PARAMETER;
    }
    list = ExAllocatePoolWithTag(NonPagedPool, 8 + 16 * DISK_UNMAP_MAX_DESCRIPTORS, DISK_TAG_BUFFER);
    if (!list)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Each UNMAP stays within the device's descriptor and block limits. */
    for (ULONG i = 0; i < count && NT_SUCCESS(status); i++) {
        ULONG64 lba = Common->StartLba + (ULONG64)ranges[i].StartingOffset / Fdo->SectorSize;
        ULONG64 blocks = ranges[i].LengthInBytes / Fdo->SectorSize;
        while (blocks && NT_SUCCESS(status)) {
            ULONG64 room = Fdo->MaxUnmapBlocks - inCommand;
            ULONG64 part = blocks > room ? room : blocks;
            PUCHAR d = list + 8 + 16 * n;
            ScsiPutBe64(d, lba);
            ScsiPutBe32(d + 8, (ULONG)part);
            RtlZeroMemory(d + 12, 4);
            lba += part;
            blocks -= part;
            inCommand += part;
            if (++n == Fdo->MaxUnmapDescriptors || inCommand == Fdo->MaxUnmapBlocks) {
                status = DiskSendUnmap(Fdo, list, n);
                n = 0;
                inCommand = 0;
            }
        }
    }
    if (n && NT_SUCCESS(status))
        status = DiskSendUnmap(Fdo, list, n);
    ExFreePoolWithTag(list, DISK_TAG_BUFFER);
    return status;
}

/* The whole log fits: LayoutLogTruncated is the only way lines go missing. */
_Static_assert(sizeof(((PNTSTOR_DISK_INFO)0)->Log) == sizeof(((PNTSTOR_PARTITION_REPORT)0)->Log),
               "NTSTOR_DISK_INFO.Log must carry the whole partition log");

static NTSTATUS DiskGetInfo(PDISK_FDO Fdo, const DISK_COMMON *Common, PVOID Buffer, ULONG OutLength,
                            PULONG_PTR Information)
{
    PNTSTOR_DISK_INFO i = Buffer;
    KIRQL irql;

    if (OutLength < sizeof(*i))
        return STATUS_BUFFER_TOO_SMALL;
    RtlZeroMemory(i, sizeof(*i));
    i->Size = sizeof(*i);
    i->DiskNumber = Fdo->Number;
    i->PartitionNumber = Common->PartitionNumber;
    i->Writable = DiskWritesAllowed(Fdo);
    i->BusType = Fdo->BusType;
    i->WriteProtected = Fdo->WriteProtected;
    i->Removable = Fdo->Removable;
    i->WritableBySerial = Fdo->WritableBySerial;
    i->SectorSize = Fdo->SectorSize;
    i->Sectors = Fdo->Sectors;
    i->MaxTransferBytes = Fdo->MaxTransferBytes;
    i->Trim = Fdo->Trim;
    RtlCopyMemory(i->Vendor, Fdo->Vendor, sizeof(i->Vendor));
    RtlCopyMemory(i->Product, Fdo->Product, sizeof(i->Product));
    RtlCopyMemory(i->Revision, Fdo->Revision, sizeof(i->Revision));
    RtlCopyMemory(i->Serial, Fdo->Serial, sizeof(i->Serial));
    i->PartitionStyle = Fdo->Layout ? Fdo->Layout->PartitionStyle : PARTITION_STYLE_RAW;
    i->PartitionCount = Fdo->Layout ? Fdo->Layout->PartitionCount : 0;
    i->LayoutProblems = Fdo->LayoutReport.Problems;
    i->LayoutLogTruncated = Fdo->LayoutReport.LogTruncated;
    i->UsedBackupGpt = Fdo->LayoutReport.UsedBackupGpt;
    RtlCopyMemory(i->Log, Fdo->LayoutReport.Log, sizeof(i->Log));
    KeAcquireSpinLock(&Fdo->Lock, &irql);
    i->Reads = Fdo->Reads;
    i->Writes = Fdo->Writes;
    i->Splits = Fdo->Splits;
    i->Retries = Fdo->Retries;
    i->Errors = Fdo->Errors;
    KeReleaseSpinLock(&Fdo->Lock, irql);
    *Information = sizeof(*i);
    return STATUS_SUCCESS;
}

NTSTATUS DiskDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_FDO fdo = common->Fdo;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outLength = stack->Parameters.DeviceIoControl.OutputBufferLength;
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG_PTR info = 0;
    NTSTATUS status;

    status = DiskAcquire(fdo, Irp, FALSE);
    if (!NT_SUCCESS(status))
        return DiskCompleteIrp(Irp, status, 0);
    /* The port's own IOCTLs go to it unchanged.  Released once the port
     * has it: the port's own remove lock covers it from there. */
    if (code == IOCTL_NTSTOR_AHCI_GET_INFO || code == IOCTL_NTSTOR_AHCI_SET_MODE ||
        code == IOCTL_NTSTOR_AHCI_RAW_BENCH || code == IOCTL_SCSI_GET_ADDRESS) {
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(fdo->Lower, Irp);
        DiskRelease(fdo, Irp);
        return status;
    }
    if (METHOD_FROM_CTL_CODE(code) != METHOD_BUFFERED || (!buffer && (inLength || outLength)))
        return DiskCompleteAndRelease(fdo, Irp, STATUS_INVALID_DEVICE_REQUEST, 0);

    switch (code) {
    case IOCTL_DISK_GET_DRIVE_GEOMETRY:
    case IOCTL_DISK_GET_DRIVE_GEOMETRY_EX: {
        DISK_GEOMETRY_EX g;
        ULONG want = code == IOCTL_DISK_GET_DRIVE_GEOMETRY ? sizeof(DISK_GEOMETRY)
                                                           : offsetof(DISK_GEOMETRY_EX, Data);
        RtlZeroMemory(&g, sizeof(g));
        /* A made-up CHS geometry as NT's disk class reports for LBA disks. */
        g.Geometry.MediaType = FixedMedia;
        g.Geometry.TracksPerCylinder = 255;
        g.Geometry.SectorsPerTrack = 63;
        g.Geometry.BytesPerSector = fdo->SectorSize;
        g.Geometry.Cylinders.QuadPart = (LONGLONG)(fdo->Sectors / (255 * 63));
        g.DiskSize.QuadPart = (LONGLONG)(fdo->Sectors * fdo->SectorSize);
        if (outLength < want) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        RtlCopyMemory(buffer, &g, want);
        info = want;
        status = STATUS_SUCCESS;
        break;
    }
    case IOCTL_DISK_GET_LENGTH_INFO:
        if (outLength < sizeof(GET_LENGTH_INFORMATION)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        ((PGET_LENGTH_INFORMATION)buffer)->Length.QuadPart = (LONGLONG)(common->Sectors * fdo->SectorSize);
        info = sizeof(GET_LENGTH_INFORMATION);
        status = STATUS_SUCCESS;
        break;
    case IOCTL_DISK_GET_PARTITION_INFO_EX:
        if (outLength < sizeof(PARTITION_INFORMATION_EX)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        DiskFillPartitionInfo(fdo, common, buffer);
        info = sizeof(PARTITION_INFORMATION_EX);
        status = STATUS_SUCCESS;
        break;
    case IOCTL_DISK_GET_DRIVE_LAYOUT_EX:
        status = DiskGetLayout(fdo, buffer, outLength, &info);
        break;
    case IOCTL_DISK_IS_WRITABLE:
        status = DiskWritesAllowed(fdo) ? STATUS_SUCCESS : STATUS_MEDIA_WRITE_PROTECTED;
        break;
    case IOCTL_STORAGE_GET_DEVICE_NUMBER:
        if (outLength < sizeof(STORAGE_DEVICE_NUMBER)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        ((PSTORAGE_DEVICE_NUMBER)buffer)->DeviceType = FILE_DEVICE_DISK;
        ((PSTORAGE_DEVICE_NUMBER)buffer)->DeviceNumber = fdo->Number;
        ((PSTORAGE_DEVICE_NUMBER)buffer)->PartitionNumber = common->PartitionNumber;
        info = sizeof(STORAGE_DEVICE_NUMBER);
        status = STATUS_SUCCESS;
        break;
    case IOCTL_STORAGE_QUERY_PROPERTY:
        status = DiskQueryProperty(fdo, buffer, inLength, outLength, &info);
        break;
    case IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES:
        status = DiskTrim(fdo, common, buffer, inLength);
        break;
    case IOCTL_ATA_PASS_THROUGH:
        status = DiskAtaPassThrough(fdo, buffer, inLength, outLength, &info);
        break;
    case IOCTL_NTSTOR_DISK_SET_WRITABLE:
        if (inLength < sizeof(NTSTOR_DISK_SET_WRITABLE) ||
            ((PNTSTOR_DISK_SET_WRITABLE)buffer)->Writable > 1) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        if (((PNTSTOR_DISK_SET_WRITABLE)buffer)->Writable && fdo->WriteProtected) {
            /* The medium's own switch wins: nothing to enable. */
            status = STATUS_MEDIA_WRITE_PROTECTED;
            break;
        }
        fdo->Writable = ((PNTSTOR_DISK_SET_WRITABLE)buffer)->Writable != 0;
        DbgPrint("disk%u: writes %s\n", fdo->Number, fdo->Writable ? "enabled" : "disabled");
        status = STATUS_SUCCESS;
        break;
    case IOCTL_NTSTOR_DISK_GET_INFO:
        status = DiskGetInfo(fdo, common, buffer, outLength, &info);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    return DiskCompleteAndRelease(fdo, Irp, status, info);
}
