/* pnp.c - AddDevice and IRP_MJ_PNP/IRP_MJ_POWER of the disk FDO: create
 * \Device\Harddisk<n>\DR<n> on a port's disk PDO, start it after the PDO
 * has started (start.c does the SCSI work), take it down on removal.
 * PASSIVE_LEVEL (the PnP manager's thread). */
#include "disk.h"

NTSTATUS DiskAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PCONFIGURATION_INFORMATION config = IoGetConfigurationInformation();
    ULONG number = config->DiskCount;
    CHAR ascii[64];
    WCHAR wide[64];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT fdo;
    PDISK_FDO ext;
    NTSTATUS status;

    /* NT: \Device\Harddisk<n> is a directory holding DR<n> and the
     * partitions.  A directory left from a removed disk of the same
     * number is reused. */
    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Harddisk%u", number);
    RtlAsciiToUnicodeString(&name, ascii);
    status = ObCreateDirectoryObject(&name, NULL);
    if (!NT_SUCCESS(status) && status != STATUS_OBJECT_NAME_COLLISION) {
        DbgPrint("disk: cannot create %s: 0x%08X\n", ascii, (ULONG)status);
        return status;
    }

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Harddisk%u\\DR%u", number, number);
    name.MaximumLength = sizeof(wide);
    RtlAsciiToUnicodeString(&name, ascii);
    status = IoCreateDevice(DriverObject, sizeof(DISK_FDO), &name, FILE_DEVICE_DISK, 0, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk: IoCreateDevice %s: 0x%08X\n", ascii, (ULONG)status);
        return status;
    }
    ext = fdo->DeviceExtension;
    ext->Common.Kind = DiskKindFdo;
    ext->Common.Fdo = ext;
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->Driver = DriverObject;
    ext->Number = number;
    ext->State = DiskStateAdded;
    ext->DirectoryCreated = TRUE;
    KeInitializeSpinLock(&ext->Lock);
    DiskInitRequestPool(ext);

    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (!ext->Lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    config->DiskCount++;
    fdo->Flags |= DO_DIRECT_IO;
    /* The port's buffer rule (AHCI: word-aligned PRD data) holds for us too. */
    fdo->AlignmentRequirement = ext->Lower->AlignmentRequirement > FILE_WORD_ALIGNMENT
                                ? ext->Lower->AlignmentRequirement : FILE_WORD_ALIGNMENT;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("disk: %s attached to the port's disk PDO\n", ascii);
    return STATUS_SUCCESS;
}

static NTSTATUS DiskStartDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent(Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Passes Irp to the PDO and waits for it to come back to us. */
static NTSTATUS DiskForwardAndWait(PDISK_FDO Fdo, PIRP Irp)
{
    KEVENT done;

    KeInitializeEvent(&done, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, DiskStartDone, &done, TRUE, TRUE, TRUE);
    IoCallDriver(Fdo->Lower, Irp);
    KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    return Irp->IoStatus.Status;
}

static VOID DiskTearDown(PDISK_FDO Fdo)
{
    DiskRemoveNames(Fdo);
    if (Fdo->Layout) {
        ExFreePoolWithTag(Fdo->Layout, DISK_TAG_LAYOUT);
        Fdo->Layout = NULL;
    }
}

NTSTATUS DiskDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_FDO fdo = common->Fdo;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    if (common->Kind != DiskKindFdo) {
        /* Partition devices are not PnP devices: nothing to do. */
        return DiskCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
    }

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = DiskForwardAndWait(fdo, Irp);
        if (NT_SUCCESS(status)) {
            status = DiskStartDevice(fdo);
            fdo->State = NT_SUCCESS(status) ? DiskStateStarted : DiskStateFailed;
            if (!NT_SUCCESS(status))
                DiskTearDown(fdo);
            /* IRP_MJ_SHUTDOWN at poweroff/reboot flushes the write cache. */
            else if (!NT_SUCCESS(IoRegisterShutdownNotification(fdo->Self)))
                DbgPrint("disk%u: no shutdown notification: flush by hand before poweroff\n",
                         fdo->Number);
        }
        return DiskCompleteIrp(Irp, status, 0);

    case IRP_MN_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL: {
        BOOLEAN remove = stack->MinorFunction == IRP_MN_REMOVE_DEVICE;
        if (fdo->State == DiskStateStarted && remove)
            DiskFlushAndReport(fdo, "before removal");  /* orderly removal: flush, or say it failed */
        fdo->State = DiskStateRemoved;
        IoUnregisterShutdownNotification(fdo->Self);
        DiskTearDown(fdo);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(fdo->Lower, Irp);
        if (remove) {
            IoDetachDevice(fdo->Lower);
            IoDeleteDevice(fdo->Self);
        }
        return status;
    }

    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        /* fall through */
    default:
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(fdo->Lower, Irp);
    }
}

NTSTATUS DiskDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);

    if (common->Kind != DiskKindFdo)
        return DiskCompleteIrp(Irp, STATUS_SUCCESS, 0);
    /* Going to sleep or off: the disk's write cache must be empty first. */
    if (stack->MinorFunction == IRP_MN_SET_POWER && common->Fdo->State == DiskStateStarted &&
        KeGetCurrentIrql() == PASSIVE_LEVEL &&
        ((stack->Parameters.Power.Type == SystemPowerState &&
          stack->Parameters.Power.State.SystemState > PowerSystemWorking) ||
         (stack->Parameters.Power.Type == DevicePowerState &&
          stack->Parameters.Power.State.DeviceState > PowerDeviceD0)))
        DiskFlushAndReport(common->Fdo, "before power-down");
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(common->Fdo->Lower, Irp);
}
