/* kbdhid.c - the USB HID boot keyboard port driver (NT's kbdhid in the
 * shape of i8042prt): binds USB\Class_03&SubClass_01&Prot_01 with kbdclass
 * as its upper filter, selects the boot keyboard interface, sends
 * SET_PROTOCOL(boot) and SET_IDLE(0), keeps one interrupt-IN request in
 * flight, turns each report into key transitions (hidkbd.c) for the class
 * service callback, and sets the LEDs with SET_REPORT.  A USB keyboard
 * does not repeat held keys: as NT's kbdhid, a timer does (the typematic
 * delay and rate kbdclass sets, 500 ms and 30/s by default).
 * Get the hardware in QEMU: -device qemu-xhci -device usb-kbd. */
#include <wdm.h>
#include <usbdi.h>
#include <kbdmou.h>
#include "hidkbd.h"

#define KBDHID_TAG NTSTOR_TAG('K', 'b', 'd', 'H')
#define KBDHID_REPORT_MAX 64
#define KBDHID_RETRY_MS 100
#define KBDHID_MAX_ERRORS 20
#define KBDHID_STOP_WAIT_MS 2000
#define HID_SET_IDLE 0x0A
#define HID_SET_PROTOCOL 0x0B
#define HID_SET_REPORT 0x09
#define KBDHID_REPEAT_DELAY_MS 500
#define KBDHID_REPEAT_RATE 30

typedef struct _KBDHID_EXT {
    PDEVICE_OBJECT Self;
    PDEVICE_OBJECT Lower;
    USHORT UnitId;
    UCHAR Interface;
    USBD_PIPE_HANDLE Pipe;
    USHORT MaxPacket;
    /* The class connection (IOCTL_INTERNAL_KEYBOARD_CONNECT); read by the
     * read completion at DISPATCH_LEVEL, set at PASSIVE_LEVEL before the
     * first report can matter. */
    CONNECT_DATA Connect;
    /* The one interrupt-IN request: owned by the USB stack while ReadBusy. */
    PIRP ReadIrp;
    URB ReadUrb;
    PUCHAR Report;
    HIDKBD_STATE State;
    volatile BOOLEAN ReadBusy;
    volatile BOOLEAN Stopping;
    KEVENT ReadIdle;            /* notification: no read and no recovery pending */
    PIO_WORKITEM Work;
    ULONG Errors;
    ULONG64 Reports;
    /* Auto-repeat: the key held, repeated by RepeatTimer's DPC.  Touched
     * only at DISPATCH_LEVEL (read completion, DPC) on one CPU. */
    KTIMER RepeatTimer;
    KDPC RepeatDpc;
    UCHAR RepeatUsage;
    ULONG RepeatDelayMs;
    ULONG RepeatPeriodMs;
} KBDHID_EXT, *PKBDHID_EXT;

typedef struct _KBDHID_LED {
    URB Urb;
    UCHAR Byte;
} KBDHID_LED;

static ULONG KbdHidNextUnit;
static VOID KbdHidSubmitRead(PKBDHID_EXT Ext);

static NTSTATUS KbdHidComplete(PIRP Irp, NTSTATUS Status)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* A URB sent down and waited for.  PASSIVE_LEVEL. */
static NTSTATUS KbdHidUrb(PKBDHID_EXT Ext, PURB Urb)
{
    KEVENT event;
    IO_STATUS_BLOCK iosb;
    PIRP irp;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_INTERNAL_USB_SUBMIT_URB, Ext->Lower, NULL, 0, NULL,
                                        0, TRUE, &event, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoGetNextIrpStackLocation(irp)->Parameters.Others.Argument1 = Urb;
    status = IoCallDriver(Ext->Lower, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    return status;
}

static NTSTATUS KbdHidClassRequest(PKBDHID_EXT Ext, UCHAR Request, USHORT Value, PVOID Buffer,
                                   ULONG Length)
{
    URB urb;
    RtlZeroMemory(&urb, sizeof(urb));
    UsbBuildVendorRequest(&urb, URB_FUNCTION_CLASS_INTERFACE,
                          sizeof(struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST),
                          USBD_TRANSFER_DIRECTION_OUT, 0, Request, Value, Ext->Interface, Buffer,
                          NULL, Length, NULL);
    return KbdHidUrb(Ext, &urb);
}

static NTSTATUS KbdHidPipeRequest(PKBDHID_EXT Ext, USHORT Function)
{
    URB urb;
    RtlZeroMemory(&urb, sizeof(urb));
    urb.UrbHeader.Length = sizeof(struct _URB_PIPE_REQUEST);
    urb.UrbHeader.Function = Function;
    urb.UrbPipeRequest.PipeHandle = Ext->Pipe;
    return KbdHidUrb(Ext, &urb);
}

static VOID KbdHidSetIdle(PKBDHID_EXT Ext)
{
    Ext->ReadBusy = FALSE;
    KeSetEvent(&Ext->ReadIdle, IO_NO_INCREMENT, FALSE);
}

/* After a failed read, at PASSIVE_LEVEL: reset a stalled pipe, pause, read again. */
static VOID KbdHidRecover(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PKBDHID_EXT ext = Context;
    LARGE_INTEGER pause = { .QuadPart = -(LONGLONG)KBDHID_RETRY_MS * 10000 };

    if (ext->ReadUrb.UrbHeader.Status == USBD_STATUS_STALL_PID)
        KbdHidPipeRequest(ext, URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL);
    KeDelayExecutionThread(KernelMode, FALSE, &pause);
    if (ext->Stopping) {
        KbdHidSetIdle(ext);
        return;
    }
    KbdHidSubmitRead(ext);
}

/* The read's completion: DISPATCH_LEVEL.  Keys go to the class service;
 * the request goes straight back down unless the device is gone, we are
 * stopping, or it failed (then the work item retries). */
static NTSTATUS KbdHidReadDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PKBDHID_EXT ext = Context;
    NTSTATUS st = Irp->IoStatus.Status;

    if (NT_SUCCESS(st)) {
        KEYBOARD_INPUT_DATA keys[HIDKBD_MAX_EVENTS];
        HIDKBD_STATE before = ext->State;
        ULONG n = HidKbdDiff(&ext->State, ext->Report,
                             ext->ReadUrb.UrbBulkOrInterruptTransfer.TransferBufferLength, keys,
                             ext->UnitId);
        PSERVICE_CALLBACK_ROUTINE service = (PSERVICE_CALLBACK_ROUTINE)ext->Connect.ClassService;
        ULONG consumed = 0;
        UCHAR newest = HidKbdNewestKey(&before, &ext->State);
        ext->Reports++;
        ext->Errors = 0;
        if (n && service)
            service(ext->Connect.ClassDeviceObject, keys, keys + n, &consumed);
        if (newest) {
            LARGE_INTEGER due = { .QuadPart = -(LONGLONG)ext->RepeatDelayMs * 10000 };
            ext->RepeatUsage = newest;
            KeSetTimerEx(&ext->RepeatTimer, due, (LONG)ext->RepeatPeriodMs, &ext->RepeatDpc);
        } else if (ext->RepeatUsage && !HidKbdIsDown(&ext->State, ext->RepeatUsage)) {
            ext->RepeatUsage = 0;
            KeCancelTimer(&ext->RepeatTimer);
        }
    }
    if (!NT_SUCCESS(st) && ext->RepeatUsage) {
        ext->RepeatUsage = 0;       /* no key stays held across a failed read */
        KeCancelTimer(&ext->RepeatTimer);
    }
    if (ext->Stopping || st == STATUS_DEVICE_DOES_NOT_EXIST || st == STATUS_CANCELLED) {
        KbdHidSetIdle(ext);
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    if (!NT_SUCCESS(st)) {
        if (++ext->Errors > KBDHID_MAX_ERRORS) {
            DbgPrint("kbdhid%u: %u reads failed in a row (last 0x%08x, USBD 0x%08x); giving up\n",
                     ext->UnitId, ext->Errors, (ULONG)st, (ULONG)ext->ReadUrb.UrbHeader.Status);
            KbdHidSetIdle(ext);
            return STATUS_MORE_PROCESSING_REQUIRED;
        }
        IoQueueWorkItem(ext->Work, KbdHidRecover, DelayedWorkQueue, ext);
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    KbdHidSubmitRead(ext);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* The held key again, as a keyboard's own typematic would send it. */
static VOID KbdHidRepeatDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    PKBDHID_EXT ext = Context;
    PSERVICE_CALLBACK_ROUTINE service = (PSERVICE_CALLBACK_ROUTINE)ext->Connect.ClassService;
    KEYBOARD_INPUT_DATA key = { .UnitId = ext->UnitId };
    ULONG consumed = 0;

    if (ext->Stopping || !ext->RepeatUsage || !HidKbdIsDown(&ext->State, ext->RepeatUsage)) {
        KeCancelTimer(&ext->RepeatTimer);
        return;
    }
    key.MakeCode = HidKbdUsageToMake(ext->RepeatUsage, &key.Flags);
    if (key.MakeCode && service)
        service(ext->Connect.ClassDeviceObject, &key, &key + 1, &consumed);
}

/* IRQL <= DISPATCH_LEVEL; ReadBusy is already set. */
static VOID KbdHidSubmitRead(PKBDHID_EXT Ext)
{
    PIRP irp = Ext->ReadIrp;
    PIO_STACK_LOCATION next;

    IoReuseIrp(irp, STATUS_NOT_SUPPORTED);
    RtlZeroMemory(&Ext->ReadUrb, sizeof(Ext->ReadUrb));
    UsbBuildInterruptOrBulkTransferRequest(&Ext->ReadUrb,
                                           sizeof(struct _URB_BULK_OR_INTERRUPT_TRANSFER),
                                           Ext->Pipe, Ext->Report, NULL, Ext->MaxPacket,
                                           USBD_TRANSFER_DIRECTION_IN | USBD_SHORT_TRANSFER_OK,
                                           NULL);
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    next->Parameters.DeviceIoControl.IoControlCode = IOCTL_INTERNAL_USB_SUBMIT_URB;
    next->Parameters.Others.Argument1 = &Ext->ReadUrb;
    IoSetCompletionRoutine(irp, KbdHidReadDone, Ext, TRUE, TRUE, TRUE);
    IoCallDriver(Ext->Lower, irp);
}

static NTSTATUS KbdHidLedDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    ExFreePoolWithTag(Context, KBDHID_TAG);
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* SET_REPORT(output) with the LED byte, not waited for (DISPATCH_LEVEL
 * or below: kbdclass calls from its service callback). */
static NTSTATUS KbdHidSetLeds(PKBDHID_EXT Ext, USHORT LedFlags)
{
    KBDHID_LED *led = ExAllocatePoolZero(NonPagedPool, sizeof(*led), KBDHID_TAG);
    PIO_STACK_LOCATION next;
    PIRP irp;

    if (!led)
        return STATUS_INSUFFICIENT_RESOURCES;
    irp = IoAllocateIrp(Ext->Lower->StackSize, FALSE);
    if (!irp) {
        ExFreePoolWithTag(led, KBDHID_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    led->Byte = HidKbdLedReport(LedFlags);
    UsbBuildVendorRequest(&led->Urb, URB_FUNCTION_CLASS_INTERFACE,
                          sizeof(struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST),
                          USBD_TRANSFER_DIRECTION_OUT, 0, HID_SET_REPORT, 0x0200, Ext->Interface,
                          &led->Byte, NULL, 1, NULL);
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    next->Parameters.DeviceIoControl.IoControlCode = IOCTL_INTERNAL_USB_SUBMIT_URB;
    next->Parameters.Others.Argument1 = &led->Urb;
    IoSetCompletionRoutine(irp, KbdHidLedDone, led, TRUE, TRUE, TRUE);
    IoCallDriver(Ext->Lower, irp);
    return STATUS_SUCCESS;
}

/* Configuration, boot protocol, idle, the first read.  PASSIVE_LEVEL. */
static NTSTATUS KbdHidStart(PKBDHID_EXT Ext)
{
    UCHAR alt = 0;
    PUCHAR cfg = ExAllocatePoolZero(NonPagedPool, 512, KBDHID_TAG);
    PURB urb = ExAllocatePoolZero(NonPagedPool, sizeof(URB) + 4 * sizeof(USBD_PIPE_INFORMATION),
                                  KBDHID_TAG);
    PUSBD_INTERFACE_INFORMATION info;
    PCSTR why = "";
    NTSTATUS st;
    ULONG len;

    if (!cfg || !urb) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    UsbBuildGetDescriptorRequest(urb, sizeof(struct _URB_CONTROL_DESCRIPTOR_REQUEST),
                                 USB_CONFIGURATION_DESCRIPTOR_TYPE, 0, 0, cfg, NULL, 512, NULL);
    st = KbdHidUrb(Ext, urb);
    len = urb->UrbControlDescriptorRequest.TransferBufferLength;
    if (!NT_SUCCESS(st) || !HidKbdFindInterface(cfg, len, &Ext->Interface, &alt, &why)) {
        DbgPrint("kbdhid%u: configuration descriptor: %s (0x%08x)\n", Ext->UnitId,
                 NT_SUCCESS(st) ? why : "not read", (ULONG)st);
        st = NT_SUCCESS(st) ? STATUS_DEVICE_DATA_ERROR : st;
        goto out;
    }
    RtlZeroMemory(urb, sizeof(URB) + 4 * sizeof(USBD_PIPE_INFORMATION));
    urb->UrbHeader.Function = URB_FUNCTION_SELECT_CONFIGURATION;
    urb->UrbHeader.Length = (USHORT)(offsetof(struct _URB_SELECT_CONFIGURATION, Interface) +
                                     GET_USBD_INTERFACE_SIZE(4));
    urb->UrbSelectConfiguration.ConfigurationDescriptor = (PUSB_CONFIGURATION_DESCRIPTOR)cfg;
    info = &urb->UrbSelectConfiguration.Interface;
    info->Length = (USHORT)GET_USBD_INTERFACE_SIZE(4);
    info->InterfaceNumber = Ext->Interface;
    info->AlternateSetting = alt;
    st = KbdHidUrb(Ext, urb);
    if (!NT_SUCCESS(st)) {
        DbgPrint("kbdhid%u: SELECT_CONFIGURATION: 0x%08x (USBD 0x%08x)\n", Ext->UnitId, (ULONG)st,
                 (ULONG)urb->UrbHeader.Status);
        goto out;
    }
    for (ULONG i = 0; i < info->NumberOfPipes && i < 4; i++) {
        if (info->Pipes[i].PipeType == UsbdPipeTypeInterrupt &&
            USB_ENDPOINT_DIRECTION_IN(info->Pipes[i].EndpointAddress)) {
            Ext->Pipe = info->Pipes[i].PipeHandle;
            Ext->MaxPacket = info->Pipes[i].MaximumPacketSize;
        }
    }
    if (!Ext->Pipe) {
        st = STATUS_DEVICE_DATA_ERROR;
        goto out;
    }
    if (Ext->MaxPacket > KBDHID_REPORT_MAX || Ext->MaxPacket < 3)
        Ext->MaxPacket = Ext->MaxPacket < 3 ? 8 : KBDHID_REPORT_MAX;
    /* HID 1.11 7.2.6, 7.2.4: boot protocol; report only on change (idle 0).
     * A keyboard that refuses SET_IDLE still works (it repeats reports). */
    st = KbdHidClassRequest(Ext, HID_SET_PROTOCOL, 0, NULL, 0);
    if (!NT_SUCCESS(st)) {
        DbgPrint("kbdhid%u: SET_PROTOCOL(boot): 0x%08x\n", Ext->UnitId, (ULONG)st);
        goto out;
    }
    if (!NT_SUCCESS(KbdHidClassRequest(Ext, HID_SET_IDLE, 0, NULL, 0)))
        DbgPrint("kbdhid%u: SET_IDLE refused; going on\n", Ext->UnitId);
    Ext->ReadIrp = IoAllocateIrp(Ext->Lower->StackSize, FALSE);
    Ext->Report = ExAllocatePoolZero(NonPagedPool, KBDHID_REPORT_MAX, KBDHID_TAG);
    if (!Ext->ReadIrp || !Ext->Report) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    Ext->Stopping = FALSE;
    Ext->ReadBusy = TRUE;
    KeClearEvent(&Ext->ReadIdle);
    KbdHidSubmitRead(Ext);
    DbgPrint("kbdhid%u: boot keyboard on interface %u, reports of %u bytes\n", Ext->UnitId,
             Ext->Interface, Ext->MaxPacket);
    st = STATUS_SUCCESS;
out:
    if (cfg)
        ExFreePoolWithTag(cfg, KBDHID_TAG);
    if (urb)
        ExFreePoolWithTag(urb, KBDHID_TAG);
    return st;
}

/* Stops the read (ABORT_PIPE ends it) and waits, bounded.  PASSIVE_LEVEL. */
static VOID KbdHidStop(PKBDHID_EXT Ext)
{
    LARGE_INTEGER wait = { .QuadPart = -(LONGLONG)KBDHID_STOP_WAIT_MS * 10000 };

    Ext->Stopping = TRUE;
    KeCancelTimer(&Ext->RepeatTimer);
    KeRemoveQueueDpc(&Ext->RepeatDpc);
    if (Ext->ReadBusy) {
        KbdHidPipeRequest(Ext, URB_FUNCTION_ABORT_PIPE);
        if (KeWaitForSingleObject(&Ext->ReadIdle, Executive, KernelMode, FALSE, &wait) ==
            STATUS_TIMEOUT)
            DbgPrint("kbdhid%u: the read did not come back in %u ms\n", Ext->UnitId,
                     KBDHID_STOP_WAIT_MS);
    }
}

static VOID KbdHidFree(PKBDHID_EXT Ext)
{
    if (Ext->ReadBusy)
        return;     /* still owned by the USB stack: leaked rather than freed under it */
    if (Ext->ReadIrp)
        IoFreeIrp(Ext->ReadIrp);
    if (Ext->Report)
        ExFreePoolWithTag(Ext->Report, KBDHID_TAG);
    Ext->ReadIrp = NULL;
    Ext->Report = NULL;
}

static NTSTATUS KbdHidDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKBDHID_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(ext->Lower, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = KbdHidStart(ext);
        return KbdHidComplete(Irp, status);
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_STOP_DEVICE:
        KbdHidStop(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(ext->Lower, Irp);
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = ext->Lower;
        KbdHidStop(ext);
        KbdHidFree(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        DbgPrint("kbdhid%u: removed after %llu reports\n", ext->UnitId,
                 (unsigned long long)ext->Reports);
        if (!ext->ReadBusy) {
            IoFreeWorkItem(ext->Work);
            IoDeleteDevice(DeviceObject);
        }
        return status;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(ext->Lower, Irp);
    default:
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(ext->Lower, Irp);
    }
}

/* kbdclass's requests (kbdmou.h, ntddkbd.h), as i8042prt answers them. */
static NTSTATUS KbdHidDispatchInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKBDHID_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_INTERNAL_KEYBOARD_CONNECT: {
        PCONNECT_DATA connect = stack->Parameters.DeviceIoControl.Type3InputBuffer;
        if (ext->Connect.ClassService)
            return KbdHidComplete(Irp, STATUS_SHARING_VIOLATION);
        if (!connect || inLength < sizeof(*connect) || !connect->ClassService)
            return KbdHidComplete(Irp, STATUS_INVALID_PARAMETER);
        ext->Connect.ClassDeviceObject = connect->ClassDeviceObject;
        __atomic_store_n(&ext->Connect.ClassService, connect->ClassService, __ATOMIC_RELEASE);
        return KbdHidComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_INTERNAL_KEYBOARD_DISCONNECT:
        __atomic_store_n(&ext->Connect.ClassService, NULL, __ATOMIC_RELEASE);
        return KbdHidComplete(Irp, STATUS_SUCCESS);
    case IOCTL_KEYBOARD_SET_INDICATORS: {
        PKEYBOARD_INDICATOR_PARAMETERS p = Irp->AssociatedIrp.SystemBuffer;
        if (!p || inLength < sizeof(*p))
            return KbdHidComplete(Irp, STATUS_BUFFER_TOO_SMALL);
        if (ext->Stopping || !ext->Pipe)
            return KbdHidComplete(Irp, STATUS_DEVICE_NOT_READY);
        return KbdHidComplete(Irp, KbdHidSetLeds(ext, p->LedFlags));
    }
    case IOCTL_KEYBOARD_SET_TYPEMATIC: {
        /* Our timer repeats; the keyboard itself does not. */
        PKEYBOARD_TYPEMATIC_PARAMETERS p = Irp->AssociatedIrp.SystemBuffer;
        if (!p || inLength < sizeof(*p))
            return KbdHidComplete(Irp, STATUS_BUFFER_TOO_SMALL);
        if (p->Rate < 2 || p->Rate > 30 || p->Delay < 250 || p->Delay > 1000)
            return KbdHidComplete(Irp, STATUS_INVALID_PARAMETER);
        ext->RepeatDelayMs = p->Delay;
        ext->RepeatPeriodMs = 1000 / p->Rate;
        return KbdHidComplete(Irp, STATUS_SUCCESS);
    }
    case IOCTL_INTERNAL_USB_SUBMIT_URB:
    case IOCTL_INTERNAL_USB_RESET_PORT:
    case IOCTL_INTERNAL_USB_GET_PORT_STATUS:
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(ext->Lower, Irp);
    default:
        return KbdHidComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
    }
}

static NTSTATUS KbdHidDispatchPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKBDHID_EXT ext = DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Lower, Irp);
}

static NTSTATUS KbdHidDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return KbdHidComplete(Irp, STATUS_SUCCESS);
}

static NTSTATUS KbdHidAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    CHAR ascii[40];
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT fdo;
    PKBDHID_EXT ext;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\KbdHid%u", KbdHidNextUnit);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(DriverObject, sizeof(KBDHID_EXT), &name, FILE_DEVICE_KEYBOARD, 0,
                                FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    RtlZeroMemory(ext, sizeof(*ext));
    ext->Self = fdo;
    ext->UnitId = (USHORT)KbdHidNextUnit++;
    KeInitializeEvent(&ext->ReadIdle, NotificationEvent, TRUE);
    KeInitializeTimer(&ext->RepeatTimer);
    KeInitializeDpc(&ext->RepeatDpc, KbdHidRepeatDpc, ext);
    ext->RepeatDelayMs = KBDHID_REPEAT_DELAY_MS;
    ext->RepeatPeriodMs = 1000 / KBDHID_REPEAT_RATE;
    ext->Work = IoAllocateWorkItem(fdo);
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (!ext->Lower || !ext->Work) {
        if (ext->Work)
            IoFreeWorkItem(ext->Work);
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* The devices are gone by now (the PnP manager removed them first). */
static VOID KbdHidUnload(PDRIVER_OBJECT DriverObject)
{
    DbgPrint("kbdhid: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE] = KbdHidDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = KbdHidDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = KbdHidDispatchInternalIoctl;
    DriverObject->MajorFunction[IRP_MJ_PNP] = KbdHidDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = KbdHidDispatchPassDown;
    DriverObject->DriverExtension->AddDevice = KbdHidAddDevice;
    DriverObject->DriverUnload = KbdHidUnload;
    return STATUS_SUCCESS;
}
