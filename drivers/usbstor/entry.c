/* entry.c - the USB mass storage port driver's entry points: DriverEntry
 * (dispatch table), AddDevice (one FDO per USB device bound on
 * USB\Class_08&SubClass_06&Prot_50), and the routing of each major
 * function to the FDO or a LUN PDO.  QEMU: -device qemu-xhci
 * -drive if=none,id=stick,file=... -device usb-storage,drive=stick */
#include "usbstor.h"

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

/* Device numbers in use (\Device\UsbStor<n>): the lowest free one is
 * taken, as disk.sys numbers disks, so a stick pulled and plugged back
 * gets its old name.  Atomic: AddDevice and removal may run on different
 * threads. */
static volatile ULONG64 UsbstorNumbers;

static LONG UsbstorTakeNumber(VOID)
{
    for (ULONG n = 0; n < 64; n++) {
        ULONG64 bit = 1ull << n;
        if (!(__atomic_fetch_or(&UsbstorNumbers, bit, __ATOMIC_SEQ_CST) & bit))
            return (LONG)n;
    }
    return -1;
}

VOID UsbstorReleaseNumber(ULONG Number)
{
    __atomic_fetch_and(&UsbstorNumbers, ~(1ull << Number), __ATOMIC_SEQ_CST);
}

static NTSTATUS UsbstorAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    WCHAR nameBuf[32];
    UNICODE_STRING name = { 0, sizeof(nameBuf), nameBuf };
    CHAR ascii[32];
    PDEVICE_OBJECT fdo;
    PUSBSTOR_FDO ext;
    LONG number = UsbstorTakeNumber();
    NTSTATUS status;

    if (number < 0) {
        DbgPrint("usbstor: 64 mass-storage devices already: this one is not taken\n");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\UsbStor%u", number);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(DriverObject, sizeof(USBSTOR_FDO), &name, FILE_DEVICE_CONTROLLER,
                                FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbstor: IoCreateDevice %s: 0x%08X\n", ascii, (ULONG)status);
        UsbstorReleaseNumber((ULONG)number);
        return status;
    }
    ext = fdo->DeviceExtension;
    ext->Common.IsFdo = TRUE;
    ext->Number = (ULONG)number;
    ext->Self = fdo;
    ext->Pdo = PhysicalDeviceObject;
    KeInitializeSpinLock(&ext->QueueLock);
    InitializeListHead(&ext->Queue);
    KeInitializeEvent(&ext->QueueEvent, SynchronizationEvent, FALSE);
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    if (!ext->Lower) {
        IoDeleteDevice(fdo);
        UsbstorReleaseNumber((ULONG)number);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->AlignmentRequirement = ext->Lower->AlignmentRequirement;
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS UsbstorDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    USBSTOR_COMMON *c = DeviceObject->DeviceExtension;

    return c->IsFdo ? UsbstorFdoPnp(DeviceObject->DeviceExtension, Irp)
                    : UsbstorPdoPnp(DeviceObject->DeviceExtension, Irp);
}

/* No power management: the FDO passes power IRPs down, a PDO says yes. */
static NTSTATUS UsbstorDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    USBSTOR_COMMON *c = DeviceObject->DeviceExtension;

    if (c->IsFdo) {
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(((PUSBSTOR_FDO)DeviceObject->DeviceExtension)->Lower, Irp);
    }
    return UsbstorCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

/* IRP_MJ_SCSI is IRP_MJ_INTERNAL_DEVICE_CONTROL: SRBs on a LUN PDO; on
 * the FDO nothing is taken. */
static NTSTATUS UsbstorDispatchScsi(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    USBSTOR_COMMON *c = DeviceObject->DeviceExtension;

    if (c->IsFdo)
        return UsbstorCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    return UsbstorPdoScsi(DeviceObject->DeviceExtension, Irp);
}

static NTSTATUS UsbstorDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    USBSTOR_COMMON *c = DeviceObject->DeviceExtension;

    if (c->IsFdo)
        return UsbstorCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    return UsbstorPdoDeviceControl(DeviceObject->DeviceExtension, Irp);
}

static NTSTATUS UsbstorDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return UsbstorCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

/* Devices are gone by now (the PnP manager removed them, and each FDO's
 * removal ended its thread); nothing global is allocated. */
static VOID UsbstorUnload(PDRIVER_OBJECT DriverObject)
{
    DbgPrint("usbstor: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE]         = UsbstorDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE]          = UsbstorDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = UsbstorDispatchDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_SCSI]           = UsbstorDispatchScsi;
    DriverObject->MajorFunction[IRP_MJ_PNP]            = UsbstorDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER]          = UsbstorDispatchPower;
    DriverObject->DriverExtension->AddDevice = UsbstorAddDevice;
    DriverObject->DriverUnload = UsbstorUnload;
    return STATUS_SUCCESS;
}
