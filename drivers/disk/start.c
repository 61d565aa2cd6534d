/* start.c - IRP_MN_START_DEVICE work of the disk FDO: ask the disk what it
 * is (INQUIRY, the VPD pages it lists, the port's device property and
 * serial, READ CAPACITY(10) and (16) when wanted, MODE SENSE's write
 * protection, VPD 0xB0 block limits, the AHCI port's GET_INFO), decide
 * whether writes are allowed, read the partition table and create the
 * partition devices and symbolic links (disk.h lists the names).  What
 * the device answers decides, never the bus it is on (probe.c). */
#include "disk.h"

#define DISK_INQUIRY_BYTES 96
#define DISK_VPD_BYTES 255
#define DISK_CAPACITY16_BYTES 32
#define DISK_MODE_SENSE_BYTES 192
#define DISK_PORT_PROPERTY_BYTES 256

/* Copies N bytes of a SCSI ASCII field, dropping leading and trailing
 * blanks and anything unprintable. */
static VOID DiskCopyField(PCHAR Dest, ULONG DestSize, const UCHAR *Src, ULONG N)
{
    ULONG start = 0, end = N, o = 0;

    while (start < end && (Src[start] == ' ' || Src[start] == 0))
        start++;
    while (end > start && (Src[end - 1] == ' ' || Src[end - 1] == 0))
        end--;
    for (ULONG i = start; i < end && o + 1 < DestSize; i++)
        Dest[o++] = (Src[i] >= 0x20 && Src[i] < 0x7F && Src[i] != '"') ? (CHAR)Src[i] : '?';
    Dest[o] = 0;
}

static NTSTATUS DiskInquiry(PDISK_FDO Fdo, UCHAR Page, BOOLEAN Evpd, PUCHAR Buffer, ULONG Length,
                            PULONG Got)
{
    UCHAR cdb[6] = { SCSIOP_INQUIRY, Evpd ? 1 : 0, Page, (UCHAR)(Length >> 8), (UCHAR)Length, 0 };

    RtlZeroMemory(Buffer, Length);
    return DiskSendSrbSync(Fdo, cdb, sizeof(cdb), Buffer, Length, SRB_FLAGS_DATA_IN, Got, NULL, NULL);
}

/* READ CAPACITY(10) first: every direct-access device has it, and many
 * USB sticks stall or hang on (16).  (16) follows when (10) cannot hold
 * the answer or the device claims SPC-3 (DiskWantCapacity16); if (16) is
 * refused, (10)'s answer stands (2 TiB at most).  READ/WRITE(16) are used
 * only when (16) answered. */
static NTSTATUS DiskReadCapacity(PDISK_FDO Fdo, PUCHAR Buffer)
{
    UCHAR cdb16[16] = { SCSIOP_SERVICE_ACTION_IN16, SERVICE_ACTION_READ_CAPACITY16 };
    UCHAR cdb10[10] = { SCSIOP_READ_CAPACITY };
    ULONG got = 0, block = 0, block16 = 0;
    ULONG64 last = 0, last16 = 0;
    BOOLEAN lbpme = FALSE, ok10;
    NTSTATUS status, status16;

    RtlZeroMemory(Buffer, DISK_CAPACITY16_BYTES);
    status = DiskSendSrbSync(Fdo, cdb10, sizeof(cdb10), Buffer, 8, SRB_FLAGS_DATA_IN, &got, NULL, NULL);
    if (NT_SUCCESS(status))
        status = DiskParseCapacity10(Buffer, got, &last, &block);
    ok10 = NT_SUCCESS(status);
    if (!ok10)
        DbgPrint("disk%u: READ CAPACITY(10): 0x%08X, trying READ CAPACITY(16)\n", Fdo->Number,
                 (ULONG)status);
    Fdo->Use16 = FALSE;
    if (!ok10 || DiskWantCapacity16(Fdo->InquiryVersion, last)) {
        ScsiPutBe32(cdb16 + 10, DISK_CAPACITY16_BYTES);
        RtlZeroMemory(Buffer, DISK_CAPACITY16_BYTES);
        status16 = DiskSendSrbSync(Fdo, cdb16, sizeof(cdb16), Buffer, DISK_CAPACITY16_BYTES,
                                   SRB_FLAGS_DATA_IN, &got, NULL, NULL);
        if (NT_SUCCESS(status16))
            status16 = DiskParseCapacity16(Buffer, got, &last16, &block16, &lbpme);
        if (NT_SUCCESS(status16)) {
            last = last16;
            block = block16;
            Fdo->Trim = lbpme;
            Fdo->Use16 = TRUE;
        } else if (!ok10) {
            return status16;
        } else {
            DbgPrint("disk%u: READ CAPACITY(16) refused (0x%08X): READ CAPACITY(10)'s answer "
                     "stands\n", Fdo->Number, (ULONG)status16);
            if (last == 0xFFFFFFFF)
                DbgPrint("disk%u: larger than 2 TiB but READ CAPACITY(16) failed: using 2 TiB\n",
                         Fdo->Number);
        }
    }
    if (!DiskBlockSizeOk(block)) {
        DbgPrint("disk%u: block size %u not supported\n", Fdo->Number, block);
        return STATUS_UNRECOGNIZED_MEDIA;
    }
    if (last == ~0ull)
        return STATUS_UNRECOGNIZED_MEDIA;
    Fdo->SectorSize = block;
    Fdo->SectorShift = (ULONG)__builtin_ctz(block);
    Fdo->Sectors = last + 1;
    return STATUS_SUCCESS;
}

/* The medium's write protection from the MODE SENSE header (SBC-3 6.5.1
 * WP): (6) for all pages, (10) if (6) is refused.  A device that answers
 * neither is taken as not protected, as Linux's sd does; the log says so
 * (writes stay refused unless enabled, as on every disk). */
static VOID DiskReadWriteProtect(PDISK_FDO Fdo, PUCHAR Buffer)
{
    UCHAR cdb6[6] = { SCSIOP_MODE_SENSE, 0, MODE_SENSE_RETURN_ALL, 0, DISK_MODE_SENSE_BYTES, 0 };
    UCHAR cdb10[10] = { SCSIOP_MODE_SENSE10, 0, MODE_SENSE_RETURN_ALL };
    ULONG got = 0;
    BOOLEAN wp = FALSE;
    NTSTATUS status;

    RtlZeroMemory(Buffer, DISK_MODE_SENSE_BYTES);
    status = DiskSendSrbSync(Fdo, cdb6, sizeof(cdb6), Buffer, DISK_MODE_SENSE_BYTES, SRB_FLAGS_DATA_IN,
                             &got, NULL, NULL);
    if (NT_SUCCESS(status))
        status = DiskModeSenseWriteProtect(Buffer, got, FALSE, &wp);
    if (!NT_SUCCESS(status)) {
        ScsiPutBe16(cdb10 + 7, DISK_MODE_SENSE_BYTES);
        RtlZeroMemory(Buffer, DISK_MODE_SENSE_BYTES);
        status = DiskSendSrbSync(Fdo, cdb10, sizeof(cdb10), Buffer, DISK_MODE_SENSE_BYTES,
                                 SRB_FLAGS_DATA_IN, &got, NULL, NULL);
        if (NT_SUCCESS(status))
            status = DiskModeSenseWriteProtect(Buffer, got, TRUE, &wp);
    }
    if (!NT_SUCCESS(status))
        DbgPrint("disk%u: MODE SENSE failed (0x%08X): write protection unknown, taken as off\n",
                 Fdo->Number, (ULONG)status);
    Fdo->WriteProtected = wp;
    if (wp)
        DbgPrint("disk%u: the medium is write-protected (MODE SENSE WP): writes refused\n", Fdo->Number);
}

/* The port adapter's largest request (StorageAdapterProperty; usbstor
 * answers it, ahci gives its limit in NTSTOR_AHCI_INFO): 0 if unknown. */
static ULONG DiskPortMaxTransfer(PDISK_FDO Fdo)
{
    STORAGE_PROPERTY_QUERY q;
    STORAGE_ADAPTER_DESCRIPTOR a;
    ULONG_PTR info = 0;

    RtlZeroMemory(&q, sizeof(q));
    RtlZeroMemory(&a, sizeof(a));
    q.PropertyId = StorageAdapterProperty;
    q.QueryType = PropertyStandardQuery;
    if (!NT_SUCCESS(DiskSendIoctlSync(Fdo->Lower, IOCTL_STORAGE_QUERY_PROPERTY, &q, sizeof(q), &a,
                                      sizeof(a), &info)) ||
        info < offsetof(STORAGE_ADAPTER_DESCRIPTOR, MaximumPhysicalPages))
        return 0;
    return a.MaximumTransferLength;
}

/* The port's StorageDeviceProperty (usbstor answers it: BusTypeUsb and the
 * USB serial number; ahci does not, its facts come in NTSTOR_AHCI_INFO). */
static VOID DiskQueryPort(PDISK_FDO Fdo, PUCHAR Buffer)
{
    STORAGE_PROPERTY_QUERY q;
    PSTORAGE_DEVICE_DESCRIPTOR d = (PSTORAGE_DEVICE_DESCRIPTOR)Buffer;
    ULONG_PTR info = 0;

    Fdo->BusType = Fdo->HaveAhciInfo ? BusTypeSata : BusTypeScsi;
    RtlZeroMemory(&q, sizeof(q));
    q.PropertyId = StorageDeviceProperty;
    q.QueryType = PropertyStandardQuery;
    RtlZeroMemory(Buffer, DISK_PORT_PROPERTY_BYTES);
    if (!NT_SUCCESS(DiskSendIoctlSync(Fdo->Lower, IOCTL_STORAGE_QUERY_PROPERTY, &q, sizeof(q), Buffer,
                                      DISK_PORT_PROPERTY_BYTES, &info)) ||
        info < offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties))
        return;
    if (d->BusType > BusTypeUnknown && d->BusType <= BusTypeNvme)
        Fdo->BusType = d->BusType;
    Fdo->Removable = d->RemovableMedia != 0;
    /* The serial string, if it lies wholly inside what came back. */
    if (d->SerialNumberOffset >= offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties) &&
        d->SerialNumberOffset < info) {
        ULONG n = 0;
        while (d->SerialNumberOffset + n < info && Buffer[d->SerialNumberOffset + n])
            n++;
        if (d->SerialNumberOffset + n < info)
            DiskCopyField(Fdo->Serial, sizeof(Fdo->Serial), Buffer + d->SerialNumberOffset, n);
    }
}

/* Letters only: folding with | 0x20 would also equate '@' and '`', '['
 * and '{', ... and so enable a disk whose serial was not listed. */
static CHAR DiskUpcase(CHAR c)
{
    return c >= 'a' && c <= 'z' ? (CHAR)(c - 'a' + 'A') : c;
}

/* DESIGN.md "Safety": writes only to disks named in WritableSerials (a
 * comma- or blank-separated list, letters in either case). */
static BOOLEAN DiskSerialListed(PCSTR List, PCSTR Serial)
{
    SIZE_T n = 0;

    if (!Serial[0])
        return FALSE;
    while (Serial[n])
        n++;
    while (*List) {
        SIZE_T len = 0;
        while (*List == ',' || *List == ' ' || *List == '\t' || *List == ';')
            List++;
        while (List[len] && List[len] != ',' && List[len] != ' ' && List[len] != '\t' && List[len] != ';')
            len++;
        if (len == n) {
            SIZE_T i = 0;
            while (i < n && DiskUpcase(List[i]) == DiskUpcase(Serial[i]))
                i++;
            if (i == n)
                return TRUE;
        }
        List += len;
    }
    return FALSE;
}

static NTSTATUS DiskLink(PCSTR LinkAscii, PCSTR TargetAscii)
{
    WCHAR l[80], t[80];
    UNICODE_STRING link = { 0, sizeof(l), l }, target = { 0, sizeof(t), t };
    NTSTATUS status;

    RtlAsciiToUnicodeString(&link, LinkAscii);
    RtlAsciiToUnicodeString(&target, TargetAscii);
    status = IoCreateSymbolicLink(&link, &target);
    if (!NT_SUCCESS(status))
        DbgPrint("disk: link %s -> %s: 0x%08X\n", LinkAscii, TargetAscii, (ULONG)status);
    return status;
}

static VOID DiskUnlink(PCSTR LinkAscii)
{
    WCHAR l[80];
    UNICODE_STRING link = { 0, sizeof(l), l };

    RtlAsciiToUnicodeString(&link, LinkAscii);
    IoDeleteSymbolicLink(&link);
}

static NTSTATUS DiskCreatePartitionDevice(PDISK_FDO Fdo, const PARTITION_INFORMATION_EX *P)
{
    CHAR ascii[64], link[64];
    WCHAR wide[64];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT dev;
    PDISK_PARTITION_EXTENSION ext;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Harddisk%u\\Partition%u", Fdo->Number,
                       P->PartitionNumber);
    RtlAsciiToUnicodeString(&name, ascii);
    status = IoCreateDevice(Fdo->Driver, sizeof(*ext), &name, FILE_DEVICE_DISK, 0, FALSE, &dev);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk%u: IoCreateDevice %s: 0x%08X\n", Fdo->Number, ascii, (ULONG)status);
        return status;
    }
    ext = dev->DeviceExtension;
    ext->Self = dev;
    ext->Common.Kind = DiskKindPartition;
    ext->Common.Fdo = Fdo;
    ext->Common.PartitionNumber = P->PartitionNumber;
    /* The kernel's layout is in bytes, whole sectors of this disk. */
    ext->Common.StartLba = (ULONG64)P->StartingOffset.QuadPart >> Fdo->SectorShift;
    ext->Common.Sectors = (ULONG64)P->PartitionLength.QuadPart >> Fdo->SectorShift;
    ext->Common.Partition = P;
    /* Its IRPs travel on down the FDO's stack: same depth. */
    dev->StackSize = Fdo->Self->StackSize;
    dev->AlignmentRequirement = Fdo->Self->AlignmentRequirement;
    dev->SectorSize = (USHORT)Fdo->SectorSize;
    dev->Flags |= DO_DIRECT_IO;
    ObReferenceObject(Fdo->Self);       /* see DISK_PARTITION_EXTENSION */
    ext->FdoReferenced = 1;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    Fdo->Partitions[Fdo->PartitionDevices++] = dev;
    RtlStringCbPrintfA(link, sizeof(link), "\\??\\Harddisk%uPartition%u", Fdo->Number, P->PartitionNumber);
    DiskLink(link, ascii);
    return STATUS_SUCCESS;
}

VOID DiskRemoveNames(PDISK_FDO Fdo)
{
    CHAR link[64];

    for (ULONG i = 0; i < Fdo->PartitionDevices; i++) {
        PDISK_PARTITION_EXTENSION ext = Fdo->Partitions[i]->DeviceExtension;
        RtlStringCbPrintfA(link, sizeof(link), "\\??\\Harddisk%uPartition%u", Fdo->Number,
                           ext->Common.PartitionNumber);
        DiskUnlink(link);
        /* Open (only after a surprise removal: an orderly one is vetoed
         * then), the partition keeps the FDO until its last close. */
        ext->Deleted = TRUE;
        if (Fdo->Partitions[i]->ReferenceCount == 0)
            DiskReleaseFdoReference(ext);
        else
            DbgPrint("disk%u: partition %u removed while open; it fails requests until closed\n",
                     Fdo->Number, ext->Common.PartitionNumber);
        IoDeleteDevice(Fdo->Partitions[i]);
        Fdo->Partitions[i] = NULL;
    }
    Fdo->PartitionDevices = 0;
    if (Fdo->LinksCreated) {
        RtlStringCbPrintfA(link, sizeof(link), "\\??\\PhysicalDrive%u", Fdo->Number);
        DiskUnlink(link);
        RtlStringCbPrintfA(link, sizeof(link), "\\??\\Harddisk%uPartition0", Fdo->Number);
        DiskUnlink(link);
        RtlStringCbPrintfA(link, sizeof(link), "\\Device\\Harddisk%u\\Partition0", Fdo->Number);
        DiskUnlink(link);
        Fdo->LinksCreated = FALSE;
    }
}

/* The partition table, read by the kernel (NT's fstub) through this FDO:
 * it asks IOCTL_DISK_GET_DRIVE_GEOMETRY_EX and sends IRP_MJ_READs, which
 * this driver serves like anyone's -- so the FDO must be started by now
 * (DiskStartDevice says so before calling).  The kernel logs each problem
 * naming \Device\Harddisk<n>\DR<n>; the report stays for
 * IOCTL_NTSTOR_DISK_GET_INFO (the shell's `parts`). */
static VOID DiskReadPartitions(PDISK_FDO Fdo)
{
    PDRIVE_LAYOUT_INFORMATION_EX layout = NULL;
    NTSTATUS status;

    status = NtstorReadPartitionTableEx(Fdo->Self, &layout, &Fdo->LayoutReport);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk%u: partition table not read (0x%08X): whole disk only\n", Fdo->Number,
                 (ULONG)status);
        return;
    }
    if (layout->PartitionCount > NTSTOR_MAX_PARTITIONS) {
        /* The kernel reports at most that many; more would overrun Partitions[]. */
        DbgPrint("disk%u: %u partitions reported, the first %u used\n", Fdo->Number,
                 layout->PartitionCount, NTSTOR_MAX_PARTITIONS);
        layout->PartitionCount = NTSTOR_MAX_PARTITIONS;
    }
    Fdo->Layout = layout;
    DbgPrint("disk%u: %s, %u partition(s)\n", Fdo->Number,
             layout->PartitionStyle == PARTITION_STYLE_GPT ? "GPT" :
             layout->PartitionStyle == PARTITION_STYLE_MBR ? "MBR" : "no partition table",
             layout->PartitionCount);
}

/* INQUIRY's strings go to the log escaped (RtlEscapeDeviceText): the log
 * is shown by the shell's `log`. */
static VOID DiskLogDevice(PDISK_FDO Fdo)
{
    CHAR vendor[RTL_ESCAPED_SIZE(sizeof(Fdo->Vendor))], product[RTL_ESCAPED_SIZE(sizeof(Fdo->Product))];
    CHAR serial[RTL_ESCAPED_SIZE(sizeof(Fdo->Serial))];

    RtlEscapeDeviceText(vendor, sizeof(vendor), Fdo->Vendor, sizeof(Fdo->Vendor));
    RtlEscapeDeviceText(product, sizeof(product), Fdo->Product, sizeof(Fdo->Product));
    RtlEscapeDeviceText(serial, sizeof(serial), Fdo->Serial, sizeof(Fdo->Serial));
    DbgPrint("disk%u: \"%s %s\" serial \"%s\" %llu sectors of %u bytes, max transfer %u, "
             "trim %u, writable %u\n", Fdo->Number, vendor, product, serial,
             Fdo->Sectors, Fdo->SectorSize, Fdo->MaxTransferBytes, Fdo->Trim, Fdo->Writable);
}

NTSTATUS DiskStartDevice(PDISK_FDO Fdo)
{
    PDISK_DRIVER_EXTENSION drv = DiskGetDriverExtension(Fdo->Driver);
    PUCHAR buf = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, DISK_TAG_BUFFER);
    CHAR dr[48], link[48];
    ULONG got = 0, vpdMax = 0, vpdGot = 0;
    UCHAR vpdPages[64];
    BOOLEAN haveVpd = FALSE;
    ULONG_PTR info = 0;
    NTSTATUS status;

    if (!buf)
        return STATUS_INSUFFICIENT_RESOURCES;

    Fdo->HaveAhciInfo = NT_SUCCESS(DiskSendIoctlSync(Fdo->Lower, IOCTL_NTSTOR_AHCI_GET_INFO, NULL, 0,
                                                     &Fdo->AhciInfo, sizeof(Fdo->AhciInfo), &info)) &&
                        info >= sizeof(Fdo->AhciInfo);

    status = DiskInquiry(Fdo, 0, FALSE, buf, DISK_INQUIRY_BYTES, &got);
    if (!NT_SUCCESS(status) || got < INQUIRYDATABUFFERSIZE) {
        DbgPrint("disk%u: INQUIRY failed: 0x%08X\n", Fdo->Number, (ULONG)status);
        goto out;
    }
    Fdo->DeviceType = buf[0] & 0x1F;
    DiskCopyField(Fdo->Vendor, sizeof(Fdo->Vendor), buf + 8, 8);
    DiskCopyField(Fdo->Product, sizeof(Fdo->Product), buf + 16, 16);
    DiskCopyField(Fdo->Revision, sizeof(Fdo->Revision), buf + 32, 4);
    if (Fdo->DeviceType != DIRECT_ACCESS_DEVICE) {
        DbgPrint("disk%u: peripheral type 0x%02X is not a direct-access block device\n",
                 Fdo->Number, Fdo->DeviceType);
        status = STATUS_NOT_SUPPORTED;
        goto out;
    }

    Fdo->InquiryVersion = buf[2];

    /* VPD pages only from SPC-2 devices on, and only those page 00h lists
     * (SPC-4 7.8.13): older devices and many USB bridges answer an unknown
     * page badly or not at all. */
    if (Fdo->InquiryVersion >= DISK_VERSION_SPC2 &&
        NT_SUCCESS(DiskInquiry(Fdo, VPD_SUPPORTED_PAGES, TRUE, vpdPages, sizeof(vpdPages), &vpdGot)) &&
        vpdGot >= 4 && vpdPages[1] == VPD_SUPPORTED_PAGES) {
        haveVpd = TRUE;
    } else {
        vpdGot = 0;
        DbgPrint("disk%u: no VPD pages (INQUIRY version %u)\n", Fdo->Number, Fdo->InquiryVersion);
    }

    /* The serial number: the port's (USB iSerialNumber), else VPD 0x80
     * (SPC-4 7.8.15), else the AHCI port's IDENTIFY serial. */
    DiskQueryPort(Fdo, buf);
    if (!Fdo->Serial[0] && haveVpd && DiskVpdListed(vpdPages, vpdGot, VPD_SERIAL_NUMBER) &&
        NT_SUCCESS(DiskInquiry(Fdo, VPD_SERIAL_NUMBER, TRUE, buf, DISK_VPD_BYTES, &got)) && got >= 4 &&
        buf[1] == VPD_SERIAL_NUMBER) {
        ULONG len = buf[3] < got - 4 ? buf[3] : got - 4;
        DiskCopyField(Fdo->Serial, sizeof(Fdo->Serial), buf + 4, len);
    }
    if (!Fdo->Serial[0] && Fdo->HaveAhciInfo)
        DiskCopyField(Fdo->Serial, sizeof(Fdo->Serial), (const UCHAR *)Fdo->AhciInfo.Serial,
                      sizeof(Fdo->AhciInfo.Serial) - 1);

    status = DiskReadCapacity(Fdo, buf);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk%u: capacity unknown: 0x%08X\n", Fdo->Number, (ULONG)status);
        goto out;
    }
    Fdo->Common.Sectors = Fdo->Sectors;
    Fdo->Self->SectorSize = (USHORT)Fdo->SectorSize;
    DiskReadWriteProtect(Fdo, buf);

    /* VPD 0xB0 (SBC-3 6.6.4): MAXIMUM TRANSFER LENGTH in blocks, 0 = no limit. */
    /* MAXIMUM UNMAP LBA COUNT / BLOCK DESCRIPTOR COUNT: a longer UNMAP is
     * refused whole, so DiskTrim cuts its lists to them (0: not reported). */
    Fdo->MaxUnmapBlocks = DISK_UNMAP_MAX_BLOCKS;
    Fdo->MaxUnmapDescriptors = DISK_UNMAP_MAX_DESCRIPTORS;
    if (haveVpd && DiskVpdListed(vpdPages, vpdGot, VPD_BLOCK_LIMITS) &&
        NT_SUCCESS(DiskInquiry(Fdo, VPD_BLOCK_LIMITS, TRUE, buf, sizeof(VPD_BLOCK_LIMITS_PAGE), &got)) &&
        got >= 12 && buf[1] == VPD_BLOCK_LIMITS) {
        PVPD_BLOCK_LIMITS_PAGE limits = (PVPD_BLOCK_LIMITS_PAGE)buf;
        vpdMax = ScsiGetBe32(limits->MaximumTransferLength);
        if (got >= 28) {
            ULONG blocks = ScsiGetBe32(limits->MaximumUnmapLBACount);
            ULONG descs = ScsiGetBe32(limits->MaximumUnmapBlockDescriptorCount);
            if (blocks)
                Fdo->MaxUnmapBlocks = blocks;
            if (descs && descs < DISK_UNMAP_MAX_DESCRIPTORS)
                Fdo->MaxUnmapDescriptors = descs;
        }
    }
    {
        ULONG64 max = vpdMax ? (ULONG64)vpdMax * Fdo->SectorSize : 0;
        ULONG port = DiskPortMaxTransfer(Fdo);
        if (Fdo->HaveAhciInfo && Fdo->AhciInfo.MaxTransferBytes &&
            (!max || Fdo->AhciInfo.MaxTransferBytes < max))
            max = Fdo->AhciInfo.MaxTransferBytes;
        if (port && (!max || port < max))
            max = port;
        if (!max)
            max = DISK_DEFAULT_MAX_TRANSFER;
        if (max > 0x80000000ull)
            max = 0x80000000ull;
        if (max < Fdo->SectorSize)
            max = Fdo->SectorSize;
        Fdo->MaxTransferBytes = (ULONG)max;
    }
    if (Fdo->HaveAhciInfo && Fdo->AhciInfo.Trim)
        Fdo->Trim = TRUE;

    /* READ/WRITE(10) carry at most 65535 blocks. */
    if (!Fdo->Use16 && Fdo->MaxTransferBytes / Fdo->SectorSize > 0xFFFF)
        Fdo->MaxTransferBytes = 0xFFFF * Fdo->SectorSize;

    Fdo->WritableBySerial = drv && DiskSerialListed(drv->WritableSerials, Fdo->Serial);
    Fdo->Writable = Fdo->WritableBySerial;

    /* Started from here on: the kernel's partition reader sends this FDO
     * ordinary IRPs (DiskReadPartitions), which DiskAcquire refuses
     * before.  Nothing below fails the START. */
    Fdo->State = DiskStateStarted;
    DiskReadPartitions(Fdo);

    RtlStringCbPrintfA(dr, sizeof(dr), "\\Device\\Harddisk%u\\DR%u", Fdo->Number, Fdo->Number);
    RtlStringCbPrintfA(link, sizeof(link), "\\??\\PhysicalDrive%u", Fdo->Number);
    DiskLink(link, dr);
    RtlStringCbPrintfA(link, sizeof(link), "\\Device\\Harddisk%u\\Partition0", Fdo->Number);
    DiskLink(link, dr);
    RtlStringCbPrintfA(link, sizeof(link), "\\??\\Harddisk%uPartition0", Fdo->Number);
    DiskLink(link, dr);
    Fdo->LinksCreated = TRUE;
    if (Fdo->Layout)
        for (ULONG i = 0; i < Fdo->Layout->PartitionCount; i++)
            DiskCreatePartitionDevice(Fdo, &Fdo->Layout->PartitionEntry[i]);

    /* The disk is findable as a disk (the shell's list comes from here). */
    status = IoRegisterDeviceInterface(Fdo->Pdo, &GUID_DEVINTERFACE_DISK, NULL, &Fdo->Interface);
    if (NT_SUCCESS(status))
        status = IoSetDeviceInterfaceState(&Fdo->Interface, TRUE);
    if (!NT_SUCCESS(status))
        DbgPrint("disk%u: no disk interface: 0x%08X (the disk is not listed)\n", Fdo->Number,
                 (ULONG)status);
    DiskLogDevice(Fdo);
    status = STATUS_SUCCESS;
out:
    ExFreePoolWithTag(buf, DISK_TAG_BUFFER);
    return status;
}
