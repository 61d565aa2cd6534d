/* entry.c - i8042prt's DriverEntry, AddDevice and dispatch: PnP (start
 * after the PDO, remove), the class connection and the keyboard IOCTLs
 * (IRP_MJ_INTERNAL_DEVICE_CONTROL, as the class driver sends them),
 * everything else passed down. */
#include "i8042prt.h"

static ULONG I8042NextUnit;

static NTSTATUS I8042Complete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS I8042PassDown(PI8042_EXTENSION Ext, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Ext->Lower, Irp);
}

static NTSTATUS I8042DispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PI8042_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(ext->Lower, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = I8042StartDevice(ext, stack->Parameters.StartDevice.AllocatedResources,
                                      stack->Parameters.StartDevice.AllocatedResourcesTranslated);
        return I8042Complete(Irp, status, 0);
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_STOP_DEVICE:
        I8042StopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return I8042PassDown(ext, Irp);
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = ext->Lower;
        I8042StopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(DeviceObject);
        return status;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return I8042PassDown(ext, Irp);
    default:
        return I8042PassDown(ext, Irp);
    }
}

/* The class driver's requests (kbdmou.h, ntddkbd.h).  The LED and
 * typematic commands complete once the first byte is sent; the ISR
 * finishes the exchange (NT's i8042prt completes after the last ACK). */
static NTSTATUS I8042DispatchInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PI8042_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_INTERNAL_KEYBOARD_CONNECT: {
        PCONNECT_DATA connect = stack->Parameters.DeviceIoControl.Type3InputBuffer;
        if (ext->Connect.ClassService)
            return I8042Complete(Irp, STATUS_SHARING_VIOLATION, 0);
        if (connect == NULL || inLength < sizeof(*connect) || connect->ClassService == NULL)
            return I8042Complete(Irp, STATUS_INVALID_PARAMETER, 0);
        return I8042Complete(Irp, I8042SetConnect(ext, connect), 0);
    }
    case IOCTL_INTERNAL_KEYBOARD_DISCONNECT:
        return I8042Complete(Irp, I8042SetConnect(ext, NULL), 0);
    case IOCTL_KEYBOARD_SET_INDICATORS: {
        PKEYBOARD_INDICATOR_PARAMETERS p = buffer;
        if (p == NULL || inLength < sizeof(*p))
            return I8042Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        return I8042Complete(Irp, I8042SendKeyboardCommand(ext, KBD_CMD_SET_LEDS,
                                                           I8042LedByte(p->LedFlags)), 0);
    }
    case IOCTL_KEYBOARD_SET_TYPEMATIC: {
        PKEYBOARD_TYPEMATIC_PARAMETERS p = buffer;
        if (p == NULL || inLength < sizeof(*p))
            return I8042Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        ext->Typematic = I8042TypematicByte(p->Rate, p->Delay);
        return I8042Complete(Irp, I8042SendKeyboardCommand(ext, KBD_CMD_SET_TYPEMATIC, ext->Typematic), 0);
    }
    default:
        return I8042Complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS I8042DispatchPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return I8042PassDown(DeviceObject->DeviceExtension, Irp);
}

static NTSTATUS I8042DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return I8042Complete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS I8042AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    CHAR ascii[40];
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT fdo;
    PI8042_EXTENSION ext;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\KeyboardPort%u", I8042NextUnit);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(DriverObject, sizeof(I8042_EXTENSION), &name, FILE_DEVICE_KEYBOARD, 0,
                                FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    RtlZeroMemory(ext, sizeof(*ext));
    ext->Self = fdo;
    ext->UnitId = I8042NextUnit++;
    ext->Typematic = I8042_DEFAULT_TYPEMATIC;
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->Lower == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE] = I8042DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = I8042DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = I8042DispatchInternalIoctl;
    DriverObject->MajorFunction[IRP_MJ_PNP] = I8042DispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = I8042DispatchPassDown;
    DriverObject->DriverExtension->AddDevice = I8042AddDevice;
    return STATUS_SUCCESS;
}
