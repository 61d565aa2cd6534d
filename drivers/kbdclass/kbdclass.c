/* kbdclass.c - the keyboard class driver, after NT's kbdclass: an upper
 * filter (UpperFilters = kbdclass on the port driver's service) that
 * creates \Device\KeyboardClass<n> above each keyboard port FDO, connects
 * to the port with IOCTL_INTERNAL_KEYBOARD_CONNECT once the stack has
 * started, and receives KEYBOARD_INPUT_DATA in its service callback at
 * DISPATCH_LEVEL.  Any port driver that speaks this connection (i8042prt
 * today, kbdhid for USB later) is served the same way.  The keys go to the
 * console (ConKeyboardInput, include/ntstor_console.h), which plays NT's
 * raw input thread; when the console's lock state changes, the LEDs of
 * the keyboard that changed it follow (IOCTL_KEYBOARD_SET_INDICATORS).
 * NT's IRP_MJ_READ queue is not kept: the console is the only reader. */
#include <wdm.h>
#include <kbdmou.h>
#include <ntstor_console.h>

#define KBDCLASS_TAG NTSTOR_TAG('K', 'b', 'd', 'C')

typedef struct _KBDCLASS_EXTENSION {
    PDEVICE_OBJECT Self;
    PDEVICE_OBJECT Lower;
    ULONG Unit;
    BOOLEAN Connected;
    /* The LED flags last sent; written only from the service callback (the
     * port's DPC) and at start, before the connection exists. */
    USHORT Leds;
} KBDCLASS_EXTENSION, *PKBDCLASS_EXTENSION;

/* The indicator IRP of the service callback: allocated at DISPATCH_LEVEL,
 * freed by its completion routine. */
typedef struct _KBDCLASS_LED_REQUEST {
    KEYBOARD_INDICATOR_PARAMETERS Parameters;
} KBDCLASS_LED_REQUEST;

static ULONG KbdClassNextUnit;

static NTSTATUS KbdClassComplete(PIRP Irp, NTSTATUS Status)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS KbdClassLedDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    ExFreePoolWithTag(Context, KBDCLASS_TAG);
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Sends IOCTL_KEYBOARD_SET_INDICATORS down without waiting (DISPATCH_LEVEL
 * or below).  A failure only leaves the LEDs stale. */
static VOID KbdClassSetLeds(PKBDCLASS_EXTENSION Ext, USHORT Leds)
{
    KBDCLASS_LED_REQUEST *req;
    PIO_STACK_LOCATION next;
    PIRP irp;

    req = ExAllocatePoolWithTag(NonPagedPool, sizeof(*req), KBDCLASS_TAG);
    if (req == NULL)
        return;
    irp = IoAllocateIrp(Ext->Lower->StackSize, FALSE);
    if (irp == NULL) {
        ExFreePoolWithTag(req, KBDCLASS_TAG);
        return;
    }
    req->Parameters.UnitId = 0;
    req->Parameters.LedFlags = Leds;
    irp->AssociatedIrp.SystemBuffer = &req->Parameters;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    next->Parameters.DeviceIoControl.IoControlCode = IOCTL_KEYBOARD_SET_INDICATORS;
    next->Parameters.DeviceIoControl.InputBufferLength = sizeof(req->Parameters);
    IoSetCompletionRoutine(irp, KbdClassLedDone, req, TRUE, TRUE, TRUE);
    Ext->Leds = Leds;
    IoCallDriver(Ext->Lower, irp);
}

/* The class service callback (kbdmou.h): DISPATCH_LEVEL, from the port's DPC. */
static VOID KbdClassServiceCallback(PDEVICE_OBJECT DeviceObject, PKEYBOARD_INPUT_DATA Start,
                                    PKEYBOARD_INPUT_DATA End, PULONG Consumed)
{
    PKBDCLASS_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG count = (ULONG)(End - Start);
    USHORT leds = ConKeyboardInput(Start, count);

    *Consumed = count;
    if (leds != ext->Leds)
        KbdClassSetLeds(ext, leds);
}

/* IOCTL_INTERNAL_KEYBOARD_CONNECT down the stack (PASSIVE_LEVEL). */
static NTSTATUS KbdClassConnect(PKBDCLASS_EXTENSION Ext)
{
    CONNECT_DATA connect = { Ext->Self, (PVOID)KbdClassServiceCallback };
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    PIRP irp;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_INTERNAL_KEYBOARD_CONNECT, Ext->Lower, &connect,
                                        sizeof(connect), NULL, 0, TRUE, &event, &iosb);
    if (irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = IoCallDriver(Ext->Lower, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    return status;
}

static NTSTATUS KbdClassDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKBDCLASS_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(ext->Lower, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status)) {
            status = KbdClassConnect(ext);
            if (NT_SUCCESS(status)) {
                ext->Connected = TRUE;
                /* The keyboard starts dark; show the console's locks. */
                ext->Leds = 0;
                USHORT leds = ConKeyboardInput(NULL, 0);
                if (leds)
                    KbdClassSetLeds(ext, leds);
                DbgPrint("kbdclass: \\Device\\KeyboardClass%u connected\n", ext->Unit);
            } else {
                DbgPrint("kbdclass: \\Device\\KeyboardClass%u: CONNECT: 0x%08x\n", ext->Unit,
                         (ULONG)status);
            }
        }
        return KbdClassComplete(Irp, status);
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

static NTSTATUS KbdClassDispatchPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKBDCLASS_EXTENSION ext = DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Lower, Irp);
}

static NTSTATUS KbdClassDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return KbdClassComplete(Irp, STATUS_SUCCESS);
}

static NTSTATUS KbdClassAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    CHAR ascii[40];
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT dev;
    PKBDCLASS_EXTENSION ext;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\KeyboardClass%u", KbdClassNextUnit);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(DriverObject, sizeof(KBDCLASS_EXTENSION), &name, FILE_DEVICE_KEYBOARD,
                                0, FALSE, &dev);
    if (!NT_SUCCESS(status))
        return status;
    ext = dev->DeviceExtension;
    RtlZeroMemory(ext, sizeof(*ext));
    ext->Self = dev;
    ext->Unit = KbdClassNextUnit++;
    ext->Lower = IoAttachDeviceToDeviceStack(dev, Pdo);
    if (ext->Lower == NULL) {
        IoDeleteDevice(dev);
        return STATUS_NO_SUCH_DEVICE;
    }
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE] = KbdClassDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = KbdClassDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = KbdClassDispatchPassDown;
    DriverObject->MajorFunction[IRP_MJ_PNP] = KbdClassDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = KbdClassDispatchPassDown;
    DriverObject->DriverExtension->AddDevice = KbdClassAddDevice;
    return STATUS_SUCCESS;
}
