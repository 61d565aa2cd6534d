/* usbbot.c - test driver for the xHCI driver's URB contract
 * (tests/qemu/test_usb.py): binds a USB mass storage device (bulk-only,
 * SCSI) and, at START, exercises what usbstor will rely on, logging one
 * "usbbot: <step> ok|FAILED ..." line per step:
 *   descriptors   GET_DESCRIPTOR_FROM_DEVICE (device, configuration, string 0)
 *   select        SELECT_CONFIGURATION: two bulk pipes with handles
 *   status        GET_STATUS_FROM_DEVICE, IOCTL_INTERNAL_USB_GET_PORT_STATUS
 *   inquiry       CBW/data/CSW through bulk OUT and IN (buffers)
 *   write, read   1 MiB WRITE(10) and READ(10) through MDLs, compared by CRC-32
 *   stall         a data phase the device refuses: the IN pipe stalls
 *                 (USBD_STATUS_STALL_PID), SYNC_RESET_PIPE_AND_CLEAR_STALL,
 *                 then the CSW arrives and the next command works
 *   abort         ABORT_PIPE on an idle pipe, CLEAR_FEATURE_TO_ENDPOINT
 *   reset-port    IOCTL_INTERNAL_USB_RESET_PORT, then a command on the same pipes
 *   bad-pipe      a pipe handle that is not one is refused
 * The stick is scratch space: the test gives it a blank image. */
#include <wdm.h>
#include <usbdi.h>

#define BOT_TAG NTSTOR_TAG('U', 'b', 'o', 't')
#define BOT_BIG (1u << 20)
#define BOT_LBA 64

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

typedef struct _BOT_EXT {
    PDEVICE_OBJECT Self, Lower;
    USBD_PIPE_HANDLE In, Out;
    ULONG Tag;
    ULONG BlockSize;
} BOT_EXT, *PBOT_EXT;

#pragma pack(push, 1)
typedef struct { ULONG Sig, Tag, Len; UCHAR Flags, Lun, CbLen, Cb[16]; } CBW;
typedef struct { ULONG Sig, Tag, Residue; UCHAR Status; } CSW;
#pragma pack(pop)

static NTSTATUS BotCall(PBOT_EXT Ext, ULONG Code, PVOID Arg)
{
    KEVENT event;
    IO_STATUS_BLOCK iosb;
    PIRP irp;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(Code, Ext->Lower, NULL, 0, NULL, 0, TRUE, &event, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoGetNextIrpStackLocation(irp)->Parameters.Others.Argument1 = Arg;
    status = IoCallDriver(Ext->Lower, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    return status;
}

static NTSTATUS BotBulk(PBOT_EXT Ext, USBD_PIPE_HANDLE Pipe, PVOID Buffer, PMDL Mdl, PULONG Length,
                        USBD_STATUS * Usbd)
{
    URB urb;
    NTSTATUS st;

    RtlZeroMemory(&urb, sizeof(urb));
    UsbBuildInterruptOrBulkTransferRequest(&urb, sizeof(struct _URB_BULK_OR_INTERRUPT_TRANSFER),
                                           Pipe, Mdl ? NULL : Buffer, Mdl, *Length,
                                           USBD_SHORT_TRANSFER_OK, NULL);
    st = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, &urb);
    *Length = urb.UrbBulkOrInterruptTransfer.TransferBufferLength;
    if (Usbd)
        *Usbd = urb.UrbHeader.Status;
    return st;
}

static NTSTATUS BotPipe(PBOT_EXT Ext, USHORT Function, USBD_PIPE_HANDLE Pipe)
{
    URB urb;
    RtlZeroMemory(&urb, sizeof(urb));
    urb.UrbHeader.Length = sizeof(struct _URB_PIPE_REQUEST);
    urb.UrbHeader.Function = Function;
    urb.UrbPipeRequest.PipeHandle = Pipe;
    return BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, &urb);
}

/* One bulk-only command (BOT 1.0 5): CBW, data (In or out), CSW.
 * *DataStatus gets the data phase's USBD status; a stalled data phase is
 * recovered with SYNC_RESET_PIPE_AND_CLEAR_STALL as BOT 6.7.2 says. */
static NTSTATUS BotCommand(PBOT_EXT Ext, const UCHAR *Cdb, UCHAR CdbLen, BOOLEAN In, PVOID Buffer,
                           PMDL Mdl, ULONG Length, PUCHAR CswStatus, USBD_STATUS * DataStatus)
{
    CBW *cbw = ExAllocatePoolZero(NonPagedPool, sizeof(CBW) + sizeof(CSW), BOT_TAG);
    CSW *csw = (CSW *)(cbw + 1);
    ULONG n;
    USBD_STATUS us = USBD_STATUS_SUCCESS;
    NTSTATUS st;

    if (!cbw)
        return STATUS_INSUFFICIENT_RESOURCES;
    cbw->Sig = 0x43425355;
    cbw->Tag = ++Ext->Tag;
    cbw->Len = Length;
    cbw->Flags = In ? 0x80 : 0;
    cbw->CbLen = CdbLen;
    RtlCopyMemory(cbw->Cb, Cdb, CdbLen);
    n = 31;
    st = BotBulk(Ext, Ext->Out, cbw, NULL, &n, NULL);
    if (NT_SUCCESS(st) && Length) {
        n = Length;
        st = BotBulk(Ext, In ? Ext->In : Ext->Out, Buffer, Mdl, &n, &us);
        if (!NT_SUCCESS(st) && us == USBD_STATUS_STALL_PID) {
            st = BotPipe(Ext, URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL, In ? Ext->In : Ext->Out);
            DbgPrint("usbbot: data phase stalled after %u bytes; reset pipe: 0x%08x\n", n, (ULONG)st);
        }
    }
    if (DataStatus)
        *DataStatus = us;
    if (NT_SUCCESS(st)) {
        n = 13;
        st = BotBulk(Ext, Ext->In, csw, NULL, &n, NULL);
        if (NT_SUCCESS(st) && (n != 13 || csw->Sig != 0x53425355 || csw->Tag != cbw->Tag))
            st = STATUS_DEVICE_PROTOCOL_ERROR;
        *CswStatus = csw->Status;
    }
    ExFreePoolWithTag(cbw, BOT_TAG);
    return st;
}

static VOID BotReport(PCSTR Step, BOOLEAN Ok, PCSTR Detail)
{
    DbgPrint("usbbot: %s %s %s\n", Step, Ok ? "ok" : "FAILED", Detail);
}

static VOID BotPattern(PUCHAR Buf, ULONG Length, ULONG Seed)
{
    ULONG x = Seed;
    for (ULONG i = 0; i < Length; i++) {
        x = x * 1103515245u + 12345u;
        Buf[i] = (UCHAR)(x >> 16);
    }
}

static VOID BotRun(PBOT_EXT Ext)
{
    CHAR text[96];
    UCHAR *small = ExAllocatePoolZero(NonPagedPool, 512, BOT_TAG);
    UCHAR *big = ExAllocatePoolWithTag(NonPagedPool, BOT_BIG, BOT_TAG);
    PURB urb = ExAllocatePoolZero(NonPagedPool, sizeof(URB) + 2 * sizeof(USBD_PIPE_INFORMATION),
                                  BOT_TAG);
    PMDL mdl = NULL;
    NTSTATUS st;
    UCHAR cs = 0xFF;
    ULONG crcW, crcR;
    USBD_STATUS us;

    if (!small || !big || !urb) {
        BotReport("memory", FALSE, "");
        goto out;
    }
    /* descriptors */
    UsbBuildGetDescriptorRequest(urb, sizeof(struct _URB_CONTROL_DESCRIPTOR_REQUEST),
                                 USB_DEVICE_DESCRIPTOR_TYPE, 0, 0, small, NULL, 18, NULL);
    st = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, urb);
    PUSB_DEVICE_DESCRIPTOR dd = (PUSB_DEVICE_DESCRIPTOR)small;
    RtlStringCbPrintfA(text, sizeof(text), "device %04x:%04x length=%u status=0x%08x",
                       dd->idVendor, dd->idProduct, urb->UrbControlDescriptorRequest.TransferBufferLength,
                       (ULONG)urb->UrbHeader.Status);
    BotReport("descriptor-device", NT_SUCCESS(st) &&
              urb->UrbControlDescriptorRequest.TransferBufferLength == 18, text);
    RtlZeroMemory(urb, sizeof(URB));
    UsbBuildGetDescriptorRequest(urb, sizeof(struct _URB_CONTROL_DESCRIPTOR_REQUEST),
                                 USB_CONFIGURATION_DESCRIPTOR_TYPE, 0, 0, small, NULL, 255, NULL);
    st = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, urb);
    ULONG cfgLen = urb->UrbControlDescriptorRequest.TransferBufferLength;
    RtlStringCbPrintfA(text, sizeof(text), "configuration length=%u total=%u", cfgLen,
                       small[2] | (small[3] << 8));
    BotReport("descriptor-config", NT_SUCCESS(st) && cfgLen >= 32 && cfgLen == (ULONG)(small[2] | (small[3] << 8)), text);
    if (!NT_SUCCESS(st))
        goto out;

    /* select configuration: interface 0 with room for two pipes */
    UCHAR cfg[64];
    RtlCopyMemory(cfg, small, cfgLen < sizeof(cfg) ? cfgLen : sizeof(cfg));
    RtlZeroMemory(urb, sizeof(URB) + 2 * sizeof(USBD_PIPE_INFORMATION));
    urb->UrbHeader.Function = URB_FUNCTION_SELECT_CONFIGURATION;
    urb->UrbHeader.Length = (USHORT)(offsetof(struct _URB_SELECT_CONFIGURATION, Interface) +
                                     GET_USBD_INTERFACE_SIZE(2));
    urb->UrbSelectConfiguration.ConfigurationDescriptor = (PUSB_CONFIGURATION_DESCRIPTOR)cfg;
    urb->UrbSelectConfiguration.Interface.Length = (USHORT)GET_USBD_INTERFACE_SIZE(2);
    st = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, urb);
    PUSBD_INTERFACE_INFORMATION ii = &urb->UrbSelectConfiguration.Interface;
    for (ULONG i = 0; NT_SUCCESS(st) && i < ii->NumberOfPipes && i < 2; i++) {
        if (ii->Pipes[i].PipeType != UsbdPipeTypeBulk)
            continue;
        if (USB_ENDPOINT_DIRECTION_IN(ii->Pipes[i].EndpointAddress))
            Ext->In = ii->Pipes[i].PipeHandle;
        else
            Ext->Out = ii->Pipes[i].PipeHandle;
    }
    RtlStringCbPrintfA(text, sizeof(text), "class=%02x/%02x/%02x pipes=%u status=0x%08x",
                       ii->Class, ii->SubClass, ii->Protocol, ii->NumberOfPipes,
                       (ULONG)urb->UrbHeader.Status);
    BotReport("select", NT_SUCCESS(st) && Ext->In && Ext->Out, text);
    if (!Ext->In || !Ext->Out)
        goto out;

    /* status */
    {
        ULONG port = 0;
        RtlZeroMemory(urb, sizeof(URB));
        urb->UrbHeader.Function = URB_FUNCTION_GET_STATUS_FROM_DEVICE;
        urb->UrbHeader.Length = sizeof(struct _URB_CONTROL_GET_STATUS_REQUEST);
        urb->UrbControlGetStatusRequest.TransferBuffer = small;
        urb->UrbControlGetStatusRequest.TransferBufferLength = 2;
        st = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, urb);
        NTSTATUS ps = BotCall(Ext, IOCTL_INTERNAL_USB_GET_PORT_STATUS, &port);
        RtlStringCbPrintfA(text, sizeof(text), "device status=%04x port=%x", small[0] | (small[1] << 8),
                           port);
        BotReport("status", NT_SUCCESS(st) && NT_SUCCESS(ps) &&
                  port == (USBD_PORT_ENABLED | USBD_PORT_CONNECTED), text);
    }

    /* inquiry and capacity */
    {
        static const UCHAR inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
        static const UCHAR capacity[10] = { 0x25 };
        st = BotCommand(Ext, inquiry, 6, TRUE, small, NULL, 36, &cs, NULL);
        RtlStringCbPrintfA(text, sizeof(text), "vendor=\"%.8s\" product=\"%.16s\" csw=%u",
                           (PCSTR)small + 8, (PCSTR)small + 16, cs);
        BotReport("inquiry", NT_SUCCESS(st) && cs == 0, text);
        /* The first media access may report a unit attention: once more. */
        st = BotCommand(Ext, capacity, 10, TRUE, small, NULL, 8, &cs, NULL);
        if (NT_SUCCESS(st) && cs != 0) {
            static const UCHAR sense[6] = { 0x03, 0, 0, 0, 18, 0 };
            BotCommand(Ext, sense, 6, TRUE, small, NULL, 18, &cs, NULL);
            st = BotCommand(Ext, capacity, 10, TRUE, small, NULL, 8, &cs, NULL);
        }
        Ext->BlockSize = ((ULONG)small[4] << 24) | ((ULONG)small[5] << 16) | (small[6] << 8) | small[7];
        ULONG last = ((ULONG)small[0] << 24) | ((ULONG)small[1] << 16) | (small[2] << 8) | small[3];
        RtlStringCbPrintfA(text, sizeof(text), "blocks=%u block_size=%u", last + 1, Ext->BlockSize);
        BotReport("capacity", NT_SUCCESS(st) && cs == 0 && Ext->BlockSize == 512, text);
    }

    /* 1 MiB out and back through MDLs */
    if (Ext->BlockSize == 512) {
        UCHAR cdb[10] = { 0x2A, 0, 0, 0, 0, BOT_LBA, 0, (BOT_BIG / 512) >> 8, (BOT_BIG / 512) & 0xFF, 0 };
        mdl = IoAllocateMdl(big, BOT_BIG, FALSE, FALSE, NULL);
        if (!mdl) {
            BotReport("write", FALSE, "no MDL");
            goto out;
        }
        MmBuildMdlForNonPagedPool(mdl);
        BotPattern(big, BOT_BIG, 7);
        crcW = RtlComputeCrc32(0, big, BOT_BIG);
        st = BotCommand(Ext, cdb, 10, FALSE, NULL, mdl, BOT_BIG, &cs, NULL);
        RtlStringCbPrintfA(text, sizeof(text), "bytes=%u crc32=0x%08x csw=%u", BOT_BIG, crcW, cs);
        BotReport("write", NT_SUCCESS(st) && cs == 0, text);
        RtlZeroMemory(big, BOT_BIG);
        cdb[0] = 0x28;
        st = BotCommand(Ext, cdb, 10, TRUE, NULL, mdl, BOT_BIG, &cs, NULL);
        crcR = RtlComputeCrc32(0, big, BOT_BIG);
        RtlStringCbPrintfA(text, sizeof(text), "bytes=%u crc32=0x%08x csw=%u", BOT_BIG, crcR, cs);
        BotReport("read", NT_SUCCESS(st) && cs == 0 && crcR == crcW, text);
    }

    /* A read the device refuses: bulk IN while it waits for a CBW stalls
     * the pipe (QEMU usb-storage, BOT 6.6.1); the pipe is reset and the
     * next command goes through. */
    {
        static const UCHAR inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
        ULONG n = 13;
        us = 0;
        st = BotBulk(Ext, Ext->In, small, NULL, &n, &us);
        NTSTATUS r = BotPipe(Ext, URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL, Ext->In);
        RtlStringCbPrintfA(text, sizeof(text), "status=0x%08x usbd=0x%08x bytes=%u reset=0x%08x",
                           (ULONG)st, (ULONG)us, n, (ULONG)r);
        BotReport("stall", st == STATUS_UNSUCCESSFUL && us == USBD_STATUS_STALL_PID && NT_SUCCESS(r),
                  text);
        st = BotCommand(Ext, inquiry, 6, TRUE, small, NULL, 36, &cs, NULL);
        BotReport("after-stall", NT_SUCCESS(st) && cs == 0, "");
    }

    /* abort and clear feature on an idle pipe */
    {
        static const UCHAR inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
        NTSTATUS a = BotPipe(Ext, URB_FUNCTION_ABORT_PIPE, Ext->In);
        RtlZeroMemory(urb, sizeof(URB));
        urb->UrbHeader.Function = URB_FUNCTION_CLEAR_FEATURE_TO_ENDPOINT;
        urb->UrbHeader.Length = sizeof(struct _URB_CONTROL_FEATURE_REQUEST);
        urb->UrbControlFeatureRequest.FeatureSelector = USB_FEATURE_ENDPOINT_STALL;
        urb->UrbControlFeatureRequest.Index = 0x81;     /* QEMU usb-storage: bulk IN is 81h */
        NTSTATUS c = BotCall(Ext, IOCTL_INTERNAL_USB_SUBMIT_URB, urb);
        NTSTATUS r = BotPipe(Ext, URB_FUNCTION_SYNC_RESET_PIPE, Ext->In);
        st = BotCommand(Ext, inquiry, 6, TRUE, small, NULL, 36, &cs, NULL);
        RtlStringCbPrintfA(text, sizeof(text), "abort=0x%08x clear=0x%08x reset=0x%08x", (ULONG)a,
                           (ULONG)c, (ULONG)r);
        BotReport("abort", NT_SUCCESS(a) && NT_SUCCESS(c) && NT_SUCCESS(r) && NT_SUCCESS(st) && cs == 0,
                  text);
    }
    /* IOCTL_INTERNAL_USB_RESET_PORT: the device is reset and readdressed,
     * its configuration and pipes restored; the pipe handles stay valid. */
    {
        static const UCHAR inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
        NTSTATUS r = BotCall(Ext, IOCTL_INTERNAL_USB_RESET_PORT, NULL);
        st = BotCommand(Ext, inquiry, 6, TRUE, small, NULL, 36, &cs, NULL);
        RtlStringCbPrintfA(text, sizeof(text), "reset=0x%08x inquiry=0x%08x csw=%u", (ULONG)r,
                           (ULONG)st, cs);
        BotReport("reset-port", NT_SUCCESS(r) && NT_SUCCESS(st) && cs == 0, text);
    }
    /* a pipe handle that is not one */
    {
        ULONG n = 4;
        NTSTATUS b = BotBulk(Ext, (USBD_PIPE_HANDLE)small, small, NULL, &n, &us);
        RtlStringCbPrintfA(text, sizeof(text), "status=0x%08x usbd=0x%08x", (ULONG)b, (ULONG)us);
        BotReport("bad-pipe", b == STATUS_INVALID_PARAMETER && us == USBD_STATUS_INVALID_PIPE_HANDLE,
                  text);
    }
out:
    if (mdl)
        IoFreeMdl(mdl);
    if (small)
        ExFreePoolWithTag(small, BOT_TAG);
    if (big)
        ExFreePoolWithTag(big, BOT_TAG);
    if (urb)
        ExFreePoolWithTag(urb, BOT_TAG);
    DbgPrint("usbbot: done\n");
}

static NTSTATUS BotPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PBOT_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(ext->Lower, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            BotRun(ext);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = ext->Lower;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(DeviceObject);
        return status;
    }
    default:
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(ext->Lower, Irp);
    }
}

static NTSTATUS BotPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PBOT_EXT ext = DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Lower, Irp);
}

static NTSTATUS BotAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT dev;
    PBOT_EXT ext;
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(BOT_EXT), NULL, FILE_DEVICE_UNKNOWN, 0,
                                     FALSE, &dev);
    if (!NT_SUCCESS(status))
        return status;
    ext = dev->DeviceExtension;
    RtlZeroMemory(ext, sizeof(*ext));
    ext->Self = dev;
    ext->Lower = IoAttachDeviceToDeviceStack(dev, Pdo);
    if (!ext->Lower) {
        IoDeleteDevice(dev);
        return STATUS_NO_SUCH_DEVICE;
    }
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_PNP] = BotPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = BotPassDown;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = BotPassDown;
    DriverObject->DriverExtension->AddDevice = BotAddDevice;
    return STATUS_SUCCESS;
}
