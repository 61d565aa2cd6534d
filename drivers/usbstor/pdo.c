/* pdo.c - one PDO per logical unit of a USB mass-storage device
 * (\Device\UsbStor<n>\Lun<l>): PnP IDs as ahci's disk PDOs have them
 * (SCSI\Disk&Ven_..&Prod_.., GenDisk) so disk.sys binds the same way,
 * capabilities, IRP_MJ_SCSI into the device's queue, and the storage
 * device property (BusTypeUsb, the USB serial number). */
#include "usbstor.h"
#include <ntstor_scsiid.h>
#include <ntstor_targetrel.h>

NTSTATUS UsbstorCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* SPC-4 6.4.2 peripheral device types and the names NT's port drivers
 * give them in IDs (SCSI\<Type>..., Gen<Type>). */
static VOID UsbstorTypeNames(UCHAR Type, PCSTR *Scsi, PCSTR *Generic)
{
    switch (Type) {
    case DIRECT_ACCESS_DEVICE:
        *Scsi = "Disk";
        *Generic = "GenDisk";
        break;
    case READ_ONLY_DIRECT_ACCESS_DEVICE:
        *Scsi = "CdRom";
        *Generic = "GenCdRom";
        break;
    case OPTICAL_DEVICE:
        *Scsi = "Optical";
        *Generic = "GenOptical";
        break;
    default:
        *Scsi = "Other";
        *Generic = "UsbstorOther";
        break;
    }
}

/* Copies an INQUIRY field without blanks at either end. */
static VOID UsbstorTrim(PCHAR Dest, ULONG DestSize, const UCHAR *Src, ULONG N)
{
    ULONG start = 0, end = N, o = 0;

    while (start < end && (Src[start] == ' ' || Src[start] == 0))
        start++;
    while (end > start && (Src[end - 1] == ' ' || Src[end - 1] == 0))
        end--;
    for (ULONG i = start; i < end && o + 1 < DestSize; i++)
        Dest[o++] = (CHAR)Src[i];
    Dest[o] = 0;
}

NTSTATUS UsbstorCreateLun(PUSBSTOR_FDO Fdo, UCHAR Lun, const UCHAR *Inquiry, ULONG Got)
{
    WCHAR nameBuf[48];
    UNICODE_STRING name = { 0, sizeof(nameBuf), nameBuf };
    CHAR ascii[48];
    PDEVICE_OBJECT pdo;
    PUSBSTOR_LUN ext;
    NTSTATUS status;

    if (Fdo->LunCount >= USBSTOR_MAX_LUNS)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\UsbStor%u\\Lun%u", Fdo->Number, Lun);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(Fdo->Self->DriverObject, sizeof(USBSTOR_LUN), &name, FILE_DEVICE_DISK,
                                FILE_DEVICE_SECURE_OPEN, FALSE, &pdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbstor%u: cannot create %s: 0x%08X\n", Fdo->Number, ascii, (ULONG)status);
        return status;
    }
    ext = pdo->DeviceExtension;
    ext->Common.IsFdo = FALSE;
    ext->Fdo = Fdo;
    ext->Self = pdo;
    ext->Lun = Lun;
    ext->DeviceType = Inquiry[0] & 0x1F;
    ext->Removable = (Inquiry[1] & 0x80) != 0;
    if (Got >= 16)
        UsbstorTrim(ext->Vendor, sizeof(ext->Vendor), Inquiry + 8, 8);
    if (Got >= 32)
        UsbstorTrim(ext->Product, sizeof(ext->Product), Inquiry + 16, 16);
    if (Got >= 36)
        UsbstorTrim(ext->Revision, sizeof(ext->Revision), Inquiry + 32, 4);
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_DIRECT_IO;
    pdo->AlignmentRequirement = Fdo->Self->AlignmentRequirement;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    Fdo->Luns[Fdo->LunCount++] = pdo;
    return STATUS_SUCCESS;
}

/* IRP_MN_QUERY_ID.  The SCSI IDs (ntstor_scsiid.h) from the LUN's type and
 * INQUIRY strings; the instance and serial number from the USB device. */
static NTSTATUS UsbstorQueryId(PUSBSTOR_LUN Lun, BUS_QUERY_ID_TYPE Type, PULONG_PTR Information)
{
    PUSBSTOR_FDO fdo = Lun->Fdo;
    CHAR serial[sizeof(fdo->Serial)];
    NTSTOR_ID_LIST ids;
    PCSTR scsi, generic;

    NtstorIdListInit(&ids);
    UsbstorTypeNames(Lun->DeviceType, &scsi, &generic);
    if (NtstorScsiAddIds(&ids, Type, scsi, generic, Lun->Vendor, Lun->Product))
        return NtstorIdListFinish(&ids, USBSTOR_TAG, Information);
    switch (Type) {
    case BusQueryInstanceID:
        /* NT's usbstor: <serial>&<lun>; the device number keeps two sticks
         * that share a serial (or have none) apart. */
        NtstorIdPiece(serial, fdo->Serial, sizeof(serial) - 1, FALSE);
        NtstorIdListAdd(&ids, "%s%s%u&%u", serial, serial[0] ? "&" : "", fdo->Number, Lun->Lun);
        break;
    case BusQueryDeviceSerialNumber:
        if (!fdo->Serial[0])
            return STATUS_NOT_SUPPORTED;
        NtstorIdListAdd(&ids, "%s", fdo->Serial);
        break;
    default:
        return STATUS_NOT_SUPPORTED;
    }
    return NtstorIdListFinish(&ids, USBSTOR_TAG, Information);
}

NTSTATUS UsbstorPdoPnp(PUSBSTOR_LUN Lun, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = Lun->Fdo ? STATUS_SUCCESS : STATUS_NO_SUCH_DEVICE;
        Lun->Started = NT_SUCCESS(status);
        break;
    case IRP_MN_QUERY_STOP_DEVICE:
        status = STATUS_NOT_SUPPORTED;
        break;
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE:
        /* The PDO lives while the USB device does (the FDO's removal
         * deletes it); requests fail once the device is gone. */
        Lun->Started = FALSE;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_ID:
        if (!Lun->Fdo) {
            status = STATUS_NO_SUCH_DEVICE;
            break;
        }
        status = UsbstorQueryId(Lun, stack->Parameters.QueryId.IdType, &Irp->IoStatus.Information);
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;
        if (Lun->Fdo) {
            caps->Address = Lun->Lun;
            caps->UINumber = Lun->Lun;
            caps->UniqueID = Lun->Fdo->Serial[0] != 0;
            caps->SilentInstall = 1;
            caps->Removable = 1;            /* on a USB port */
            caps->SurpriseRemovalOK = 1;
            status = STATUS_SUCCESS;
        }
        break;
    }
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation)
            status = NtstorTargetDeviceRelation(Lun->Self, USBSTOR_TAG, &Irp->IoStatus.Information);
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS UsbstorSrbNow(PIRP Irp, PSCSI_REQUEST_BLOCK Srb, UCHAR SrbStatus, NTSTATUS Status)
{
    if (Srb) {
        Srb->SrbStatus = SrbStatus;
        Srb->ScsiStatus = SCSISTAT_GOOD;
        if (SrbStatus != SRB_STATUS_SUCCESS)
            Srb->DataTransferLength = 0;
    }
    return UsbstorCompleteIrp(Irp, Status, 0);
}

/* IRP_MJ_SCSI on a LUN PDO.  <= DISPATCH_LEVEL: the SRB is queued for the
 * device's thread. */
NTSTATUS UsbstorPdoScsi(PUSBSTOR_LUN Lun, PIRP Irp)
{
    PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb;
    PUSBSTOR_FDO fdo = Lun->Fdo;

    if (!srb)
        return UsbstorSrbNow(Irp, NULL, 0, STATUS_INVALID_PARAMETER);
    if (!fdo || fdo->Gone)
        return UsbstorSrbNow(Irp, srb, SRB_STATUS_NO_DEVICE, STATUS_DEVICE_DOES_NOT_EXIST);
    switch (srb->Function) {
    case SRB_FUNCTION_EXECUTE_SCSI:
        if (srb->DataTransferLength > USBSTOR_MAX_TRANSFER)
            return UsbstorSrbNow(Irp, srb, SRB_STATUS_INVALID_REQUEST, STATUS_INVALID_PARAMETER);
        /* The PDO names the LUN, whatever the class driver put there. */
        srb->Lun = Lun->Lun;
        return UsbstorQueueSrb(fdo, Irp);
    case SRB_FUNCTION_CLAIM_DEVICE:
        srb->DataBuffer = Lun->Self;
        return UsbstorSrbNow(Irp, srb, SRB_STATUS_SUCCESS, STATUS_SUCCESS);
    case SRB_FUNCTION_FLUSH:            /* no cache here: SYNCHRONIZE CACHE flushes the device */
    case SRB_FUNCTION_SHUTDOWN:
    case SRB_FUNCTION_RELEASE_DEVICE:
    case SRB_FUNCTION_RELEASE_QUEUE:
    case SRB_FUNCTION_FLUSH_QUEUE:
    case SRB_FUNCTION_LOCK_QUEUE:
    case SRB_FUNCTION_UNLOCK_QUEUE:
        return UsbstorSrbNow(Irp, srb, SRB_STATUS_SUCCESS, STATUS_SUCCESS);
    default:
        /* Resets are the transport's own business (reset recovery after
         * an error); none is taken from above. */
        return UsbstorSrbNow(Irp, srb, SRB_STATUS_INVALID_REQUEST, STATUS_INVALID_DEVICE_REQUEST);
    }
}

/* StorageDeviceProperty: the descriptor, then vendor, product, revision
 * and the USB serial number (iSerialNumber), BusType USB. */
static NTSTATUS UsbstorDeviceProperty(PUSBSTOR_LUN Lun, PVOID Buffer, ULONG OutLength, PULONG_PTR Information)
{
    PCSTR strings[4] = { Lun->Vendor, Lun->Product, Lun->Revision, Lun->Fdo->Serial };
    ULONG offsets[4], size = offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties);
    UCHAR full[offsetof(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties) + 9 + 17 + 5 + 64];
    PSTORAGE_DEVICE_DESCRIPTOR d = (PSTORAGE_DEVICE_DESCRIPTOR)full;

    RtlZeroMemory(full, sizeof(full));
    for (ULONG i = 0; i < 4; i++) {
        ULONG n = 0;
        while (strings[i][n])
            n++;
        offsets[i] = n || i < 3 ? size : 0;
        RtlCopyMemory(full + size, strings[i], n + 1);
        size += n + 1;
    }
    d->Version = sizeof(STORAGE_DEVICE_DESCRIPTOR);
    d->Size = size;
    d->DeviceType = Lun->DeviceType;
    d->RemovableMedia = Lun->Removable;
    d->VendorIdOffset = offsets[0];
    d->ProductIdOffset = offsets[1];
    d->ProductRevisionOffset = offsets[2];
    d->SerialNumberOffset = offsets[3];
    d->BusType = BusTypeUsb;
    if (OutLength < sizeof(STORAGE_DESCRIPTOR_HEADER))
        return STATUS_BUFFER_TOO_SMALL;
    if (OutLength > size)
        OutLength = size;
    RtlCopyMemory(Buffer, full, OutLength);
    *Information = OutLength;
    return STATUS_SUCCESS;
}

/* StorageAdapterProperty: one bulk transfer per SRB, so the largest the
 * USB stack takes (USBSTOR_MAX_TRANSFER) is the class driver's piece. */
static NTSTATUS UsbstorAdapterProperty(PUSBSTOR_LUN Lun, PVOID Buffer, ULONG OutLength,
                                       PULONG_PTR Information)
{
    STORAGE_ADAPTER_DESCRIPTOR a;

    RtlZeroMemory(&a, sizeof(a));
    a.Version = sizeof(a);
    a.Size = sizeof(a);
    a.MaximumTransferLength = USBSTOR_MAX_TRANSFER;
    a.MaximumPhysicalPages = USBSTOR_MAX_TRANSFER / PAGE_SIZE + 1;
    a.AlignmentMask = Lun->Self->AlignmentRequirement;
    a.BusType = BusTypeUsb;
    a.BusMajorVersion = 2;
    if (OutLength < sizeof(STORAGE_DESCRIPTOR_HEADER))
        return STATUS_BUFFER_TOO_SMALL;
    if (OutLength > sizeof(a))
        OutLength = sizeof(a);
    RtlCopyMemory(Buffer, &a, OutLength);
    *Information = OutLength;
    return STATUS_SUCCESS;
}

NTSTATUS UsbstorPdoDeviceControl(PUSBSTOR_LUN Lun, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outLength = stack->Parameters.DeviceIoControl.OutputBufferLength;
    ULONG_PTR info = 0;
    NTSTATUS status;

    if (!Lun->Fdo)
        return UsbstorCompleteIrp(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_STORAGE_QUERY_PROPERTY: {
        PSTORAGE_PROPERTY_QUERY q = buffer;
        if (!q || inLength < offsetof(STORAGE_PROPERTY_QUERY, AdditionalParameters)) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        if (q->PropertyId != StorageDeviceProperty && q->PropertyId != StorageAdapterProperty) {
            status = STATUS_NOT_SUPPORTED;
            break;
        }
        if (q->QueryType == PropertyExistsQuery) {
            status = STATUS_SUCCESS;
            break;
        }
        if (q->QueryType != PropertyStandardQuery)
            status = STATUS_INVALID_PARAMETER;
        else if (q->PropertyId == StorageDeviceProperty)
            status = UsbstorDeviceProperty(Lun, buffer, outLength, &info);
        else
            status = UsbstorAdapterProperty(Lun, buffer, outLength, &info);
        break;
    }
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    return UsbstorCompleteIrp(Irp, status, info);
}
