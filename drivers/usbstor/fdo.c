/* fdo.c - the FDO on a USB mass-storage device: start (device and
 * configuration descriptors, SELECT_CONFIGURATION, the serial string, GET
 * MAX LUN, INQUIRY of each LUN), bus relations (one PDO per LUN), and
 * surprise removal / removal.  PnP IRPs arrive at PASSIVE_LEVEL. */
#include "usbstor.h"

#define USBSTOR_MAX_INTERFACES 8
#define USBSTOR_LANGID_EN_US 0x0409
#define USBSTOR_INQUIRY_TRIES 3

static NTSTATUS UsbstorPassDown(PUSBSTOR_FDO Fdo, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Fdo->Lower, Irp);
}

/* SELECT_CONFIGURATION names every interface of the configuration
 * (alternate setting 0); the pipes of ours come back with their handles. */
static NTSTATUS UsbstorSelectConfiguration(PUSBSTOR_FDO Fdo, PUCHAR Config, ULONG Length)
{
    UCHAR numbers[USBSTOR_MAX_INTERFACES], endpoints[USBSTOR_MAX_INTERFACES];
    ULONG n = UsbstorListInterfaces(Config, Length, numbers, endpoints, USBSTOR_MAX_INTERFACES);
    ULONG size = offsetof(struct _URB_SELECT_CONFIGURATION, Interface);
    PURB urb;
    PUSBD_INTERFACE_INFORMATION info;
    NTSTATUS status;

    for (ULONG i = 0; i < n; i++)
        size += GET_USBD_INTERFACE_SIZE(endpoints[i] ? endpoints[i] : 1);
    urb = ExAllocatePoolZero(NonPagedPool, size, USBSTOR_TAG_URB);
    if (!urb)
        return STATUS_INSUFFICIENT_RESOURCES;
    urb->UrbHeader.Length = (USHORT)size;
    urb->UrbHeader.Function = URB_FUNCTION_SELECT_CONFIGURATION;
    urb->UrbSelectConfiguration.ConfigurationDescriptor = (PUSB_CONFIGURATION_DESCRIPTOR)Config;
    info = &urb->UrbSelectConfiguration.Interface;
    for (ULONG i = 0; i < n; i++) {
        info->Length = (USHORT)GET_USBD_INTERFACE_SIZE(endpoints[i] ? endpoints[i] : 1);
        info->InterfaceNumber = numbers[i];
        info->AlternateSetting = 0;
        info->NumberOfPipes = endpoints[i];
        for (ULONG p = 0; p < endpoints[i]; p++)
            info->Pipes[p].MaximumTransferSize = USBSTOR_MAX_TRANSFER;
        info = (PUSBD_INTERFACE_INFORMATION)((PUCHAR)info + info->Length);
    }
    status = UsbstorSubmitUrb(Fdo, urb, USBSTOR_CONTROL_TIMEOUT_MS, NULL);
    if (NT_SUCCESS(status)) {
        Fdo->ConfigurationHandle = urb->UrbSelectConfiguration.ConfigurationHandle;
        info = &urb->UrbSelectConfiguration.Interface;
        for (ULONG i = 0; i < n; i++) {
            if (info->InterfaceNumber == Fdo->Interface.InterfaceNumber) {
                ULONG pipes = info->NumberOfPipes < endpoints[i] ? info->NumberOfPipes : endpoints[i];
                for (ULONG p = 0; p < pipes; p++) {
                    if (info->Pipes[p].EndpointAddress == Fdo->Interface.BulkIn)
                        Fdo->PipeIn = info->Pipes[p].PipeHandle;
                    else if (info->Pipes[p].EndpointAddress == Fdo->Interface.BulkOut)
                        Fdo->PipeOut = info->Pipes[p].PipeHandle;
                }
            }
            info = (PUSBD_INTERFACE_INFORMATION)((PUCHAR)info + GET_USBD_INTERFACE_SIZE(
                                                                    endpoints[i] ? endpoints[i] : 1));
        }
        if (!Fdo->PipeIn || !Fdo->PipeOut) {
            DbgPrint("usbstor%u: SELECT_CONFIGURATION gave no handle for bulk endpoint %02x or %02x\n",
                     Fdo->Number, Fdo->Interface.BulkIn, Fdo->Interface.BulkOut);
            status = STATUS_DEVICE_PROTOCOL_ERROR;
        }
    } else {
        DbgPrint("usbstor%u: SELECT_CONFIGURATION: 0x%08X (USBD 0x%08X)\n", Fdo->Number, (ULONG)status,
                 (ULONG)urb->UrbHeader.Status);
    }
    ExFreePoolWithTag(urb, USBSTOR_TAG_URB);
    return status;
}

/* iSerialNumber in the device's first language (USB 2.0 9.6.7). */
static VOID UsbstorReadSerial(PUSBSTOR_FDO Fdo, UCHAR Index, PUCHAR Buffer)
{
    USHORT lang = USBSTOR_LANGID_EN_US;
    ULONG got = 0;

    Fdo->Serial[0] = 0;
    if (!Index)
        return;
    if (NT_SUCCESS(UsbstorGetDescriptor(Fdo, USB_STRING_DESCRIPTOR_TYPE, 0, 0, Buffer, 255, &got)) &&
        got >= 4 && Buffer[1] == USB_STRING_DESCRIPTOR_TYPE)
        lang = (USHORT)(Buffer[2] | (Buffer[3] << 8));
    if (NT_SUCCESS(UsbstorGetDescriptor(Fdo, USB_STRING_DESCRIPTOR_TYPE, Index, lang, Buffer, 255, &got)))
        UsbstorStringToAscii(Buffer, got, Fdo->Serial, sizeof(Fdo->Serial));
    else
        DbgPrint("usbstor%u: serial string %u not read\n", Fdo->Number, Index);
}

/* GET MAX LUN (BOT 3.2): a stall means one LUN; an answer above 15 is
 * not one the spec allows and is taken as one LUN too. */
static UCHAR UsbstorGetMaxLun(PUSBSTOR_FDO Fdo, PUCHAR Buffer)
{
    ULONG got = 0;
    NTSTATUS status = UsbstorClassRequest(Fdo, TRUE, BOT_REQUEST_GET_MAX_LUN, 0, Buffer, 1, &got);

    if (!NT_SUCCESS(status) || got != 1) {
        DbgPrint("usbstor%u: GET MAX LUN not answered (0x%08X): one LUN\n", Fdo->Number, (ULONG)status);
        return 0;
    }
    if (Buffer[0] > BOT_MAX_LUN) {
        DbgPrint("usbstor%u: GET MAX LUN said %u (above 15): one LUN\n", Fdo->Number, Buffer[0]);
        return 0;
    }
    return Buffer[0];
}

/* INQUIRY of one LUN through the engine (the queue's thread is not
 * running yet: START is the only one talking to the device). */
static NTSTATUS UsbstorInquiry(PUSBSTOR_FDO Fdo, UCHAR Lun, PUCHAR Buffer, PULONG Got)
{
    UCHAR sense[18];
    NTSTATUS status = STATUS_IO_DEVICE_ERROR;

    for (ULONG attempt = 0; attempt < USBSTOR_INQUIRY_TRIES && !Fdo->Bot.Gone; attempt++) {
        SCSI_REQUEST_BLOCK srb;
        RtlZeroMemory(&srb, sizeof(srb));
        srb.Length = sizeof(srb);
        srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
        srb.Lun = Lun;
        srb.CdbLength = 6;
        srb.Cdb[0] = SCSIOP_INQUIRY;
        srb.Cdb[4] = USBSTOR_INQUIRY_BYTES;
        srb.DataBuffer = Buffer;
        srb.DataTransferLength = USBSTOR_INQUIRY_BYTES;
        srb.SrbFlags = SRB_FLAGS_DATA_IN;
        srb.SenseInfoBuffer = sense;
        srb.SenseInfoBufferLength = sizeof(sense);
        srb.TimeOutValue = 10;
        RtlZeroMemory(Buffer, USBSTOR_INQUIRY_BYTES);
        status = BotExecuteSrb(&Fdo->Bot, &srb);
        *Got = srb.DataTransferLength;
        if (NT_SUCCESS(status))
            return status;
        DbgPrint("usbstor%u: LUN %u INQUIRY: 0x%08X (%s)\n", Fdo->Number, Lun, (ULONG)status,
                 Fdo->Bot.LastProblem);
    }
    return status;
}

static NTSTATUS UsbstorStart(PUSBSTOR_FDO Fdo)
{
    PUCHAR buf = ExAllocatePoolWithTag(NonPagedPool, USBSTOR_CONFIG_BYTES, USBSTOR_TAG);
    USB_DEVICE_DESCRIPTOR dev;
    ULONG got = 0;
    PCSTR why = NULL;
    NTSTATUS status;

    if (!buf)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = UsbstorGetDescriptor(Fdo, USB_DEVICE_DESCRIPTOR_TYPE, 0, 0, buf, sizeof(dev), &got);
    if (!NT_SUCCESS(status) || got < sizeof(dev) || buf[1] != USB_DEVICE_DESCRIPTOR_TYPE) {
        DbgPrint("usbstor%u: device descriptor not read (0x%08X, %u bytes)\n", Fdo->Number,
                 (ULONG)status, got);
        status = NT_SUCCESS(status) ? STATUS_DEVICE_DATA_ERROR : status;
        goto out;
    }
    RtlCopyMemory(&dev, buf, sizeof(dev));
    Fdo->VendorId = dev.idVendor;
    Fdo->ProductId = dev.idProduct;

    status = UsbstorGetDescriptor(Fdo, USB_CONFIGURATION_DESCRIPTOR_TYPE, 0, 0, buf, USBSTOR_CONFIG_BYTES, &got);
    if (NT_SUCCESS(status))
        status = UsbstorFindInterface(buf, got, &Fdo->Interface, &why);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbstor%u: %04x:%04x: configuration not usable: %s (0x%08X)\n", Fdo->Number,
                 dev.idVendor, dev.idProduct, why ? why : "descriptor not read", (ULONG)status);
        goto out;
    }
    status = UsbstorSelectConfiguration(Fdo, buf, got);
    if (!NT_SUCCESS(status))
        goto out;
    UsbstorReadSerial(Fdo, dev.iSerialNumber, buf);

    BotInitialize(&Fdo->Bot, &UsbstorBotOps, Fdo);
    Fdo->MaxLun = UsbstorGetMaxLun(Fdo, buf);
    for (ULONG lun = 0; lun <= Fdo->MaxLun; lun++) {
        status = UsbstorInquiry(Fdo, (UCHAR)lun, buf, &got);
        if (!NT_SUCCESS(status) || got < 5) {
            DbgPrint("usbstor%u: LUN %u does not answer INQUIRY: left out\n", Fdo->Number, lun);
            continue;
        }
        /* SPC-4 6.4.2: peripheral qualifier 0 = a device is connected. */
        if (buf[0] >> 5) {
            DbgPrint("usbstor%u: LUN %u: no device there (qualifier %u)\n", Fdo->Number, lun, buf[0] >> 5);
            continue;
        }
        UsbstorCreateLun(Fdo, (UCHAR)lun, buf, got);
    }
    if (Fdo->Bot.Gone) {
        status = STATUS_DEVICE_DOES_NOT_EXIST;
        goto out;
    }
    if (!Fdo->LunCount) {
        DbgPrint("usbstor%u: no LUN answered\n", Fdo->Number);
        status = STATUS_DEVICE_NOT_CONNECTED;
        goto out;
    }
    status = UsbstorStartQueue(Fdo);
    if (NT_SUCCESS(status)) {
        Fdo->Started = TRUE;
        DbgPrint("usbstor%u: %04x:%04x serial \"%s\" interface %u bulk in %02x out %02x, %u LUN(s)\n",
                 Fdo->Number, Fdo->VendorId, Fdo->ProductId, Fdo->Serial, Fdo->Interface.InterfaceNumber,
                 Fdo->Interface.BulkIn, Fdo->Interface.BulkOut, Fdo->LunCount);
    }
out:
    ExFreePoolWithTag(buf, USBSTOR_TAG);
    return status;
}

static NTSTATUS UsbstorQueryBusRelations(PUSBSTOR_FDO Fdo, PIRP Irp)
{
    PDEVICE_RELATIONS rel = ExAllocatePoolWithTag(
        NonPagedPool, sizeof(DEVICE_RELATIONS) + Fdo->LunCount * sizeof(PDEVICE_OBJECT), USBSTOR_TAG);
    ULONG n = 0;

    if (!rel)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Gone: no children any more (the PnP manager removes them). */
    for (ULONG i = 0; i < Fdo->LunCount && !Fdo->Gone; i++) {
        ObReferenceObject(Fdo->Luns[i]);
        rel->Objects[n++] = Fdo->Luns[i];
    }
    rel->Count = n;
    Irp->IoStatus.Information = (ULONG_PTR)rel;
    return STATUS_SUCCESS;
}

static VOID UsbstorDeleteLuns(PUSBSTOR_FDO Fdo)
{
    for (ULONG i = 0; i < Fdo->LunCount; i++) {
        PUSBSTOR_LUN lun = Fdo->Luns[i]->DeviceExtension;
        lun->Fdo = NULL;
        IoDeleteDevice(Fdo->Luns[i]);
        Fdo->Luns[i] = NULL;
    }
    Fdo->LunCount = 0;
}

NTSTATUS UsbstorFdoPnp(PUSBSTOR_FDO Fdo, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(Fdo->Lower, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = UsbstorStart(Fdo);
        if (!NT_SUCCESS(status))
            UsbstorDeleteLuns(Fdo);
        return UsbstorCompleteIrp(Irp, status, 0);

    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type != BusRelations || !Fdo->Started)
            return UsbstorPassDown(Fdo, Irp);
        status = UsbstorQueryBusRelations(Fdo, Irp);
        if (!NT_SUCCESS(status))
            return UsbstorCompleteIrp(Irp, status, 0);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return UsbstorPassDown(Fdo, Irp);

    case IRP_MN_QUERY_STOP_DEVICE:
        /* No resources to rebalance; a stopped stick would have to be
         * enumerated again from scratch. */
        return UsbstorCompleteIrp(Irp, STATUS_NOT_SUPPORTED, 0);

    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return UsbstorPassDown(Fdo, Irp);

    case IRP_MN_SURPRISE_REMOVAL:
        /* The stick is gone: what waits fails now, what runs fails at the
         * bus (USBD_STATUS_DEVICE_GONE); nothing new is sent. */
        Fdo->Gone = TRUE;
        DbgPrint("usbstor%u: surprise removal: pending requests fail\n", Fdo->Number);
        UsbstorFailQueued(Fdo, STATUS_DEVICE_DOES_NOT_EXIST);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return UsbstorPassDown(Fdo, Irp);

    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Fdo->Lower;
        Fdo->Gone = TRUE;
        UsbstorStopQueue(Fdo);
        UsbstorDeleteLuns(Fdo);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        DbgPrint("usbstor%u: removed (%llu requests)\n", Fdo->Number, Fdo->Requests);
        UsbstorReleaseNumber(Fdo->Number);
        IoDeleteDevice(Fdo->Self);
        return status;
    }
    default:
        return UsbstorPassDown(Fdo, Irp);
    }
}
