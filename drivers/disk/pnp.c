/* pnp.c - AddDevice and IRP_MJ_PNP/IRP_MJ_POWER of the disk FDO: create
 * \Device\Harddisk<n>\DR<n> on a port's disk PDO, start it after the PDO
 * has started (start.c does the SCSI work), take it down on removal.
 * PASSIVE_LEVEL (the PnP manager's thread). */
#include "disk.h"

/* Disk numbers are the lowest free, as Windows reuses PhysicalDrive<n>:
 * a number is taken while \Device\Harddisk<n> exists, and that directory
 * lives exactly as long as something of the disk is in it (DiskDropDirectory). */
#define DISK_MAX_NUMBER 1024

/* \Device\Harddisk<n> is NT's directory holding DR<n> and the partitions.
 * It is created permanent so it stands while empty between AddDevice and
 * the first name in it; creating it is also how a number is claimed (a
 * name collision means the number is in use). */
static NTSTATUS DiskClaimNumber(PULONG Number, PVOID *Directory)
{
    CHAR ascii[48];
    WCHAR wide[48];
    UNICODE_STRING name;
    NTSTATUS status = STATUS_OBJECT_NAME_COLLISION;

    for (ULONG n = 0; n < DISK_MAX_NUMBER && status == STATUS_OBJECT_NAME_COLLISION; n++) {
        RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Harddisk%u", n);
        name.Length = 0;
        name.MaximumLength = sizeof(wide);
        name.Buffer = wide;
        RtlAsciiToUnicodeString(&name, ascii);
        status = ObCreateDirectoryObject(&name, Directory);
        if (NT_SUCCESS(status))
            *Number = n;
    }
    if (!NT_SUCCESS(status))
        DbgPrint("disk: no free \\Device\\Harddisk<n> below %u: 0x%08X\n", DISK_MAX_NUMBER,
                 (ULONG)status);
    return status;
}

/* The disk's names are going: the directory becomes temporary and so goes
 * with the last of them (a child holds a reference on its parent) -- at
 * once, or when a device of it still open is closed.  Its number is free
 * again then. */
static VOID DiskDropDirectory(PVOID Directory)
{
    ObMakeTemporaryObject(Directory);
    ObDereferenceObject(Directory);
}

NTSTATUS DiskAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PCONFIGURATION_INFORMATION config = IoGetConfigurationInformation();
    ULONG number = 0;
    PVOID directory = NULL;
    CHAR ascii[64];
    WCHAR wide[64];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT fdo;
    PDISK_FDO ext;
    NTSTATUS status;

    status = DiskClaimNumber(&number, &directory);
    if (!NT_SUCCESS(status))
        return status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Harddisk%u\\DR%u", number, number);
    RtlAsciiToUnicodeString(&name, ascii);
    status = IoCreateDevice(DriverObject, sizeof(DISK_FDO), &name, FILE_DEVICE_DISK, 0, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk: IoCreateDevice %s: 0x%08X\n", ascii, (ULONG)status);
        DiskDropDirectory(directory);
        return status;
    }
    ext = fdo->DeviceExtension;
    ext->Common.Kind = DiskKindFdo;
    ext->Common.Fdo = ext;
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->Driver = DriverObject;
    ext->Number = number;
    ext->Directory = directory;
    ext->State = DiskStateAdded;
    KeInitializeSpinLock(&ext->Lock);
    DiskInitRequestPool(ext);

    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (!ext->Lower) {
        IoDeleteDevice(fdo);
        DiskDropDirectory(directory);
        return STATUS_NO_SUCH_DEVICE;
    }
    /* Disks present (numbers are reused, so not the next number). */
    config->DiskCount++;
    fdo->Flags |= DO_DIRECT_IO;
    /* The port's buffer rule (AHCI: word-aligned PRD data) holds for us too. */
    fdo->AlignmentRequirement = ext->Lower->AlignmentRequirement > FILE_WORD_ALIGNMENT
                                ? ext->Lower->AlignmentRequirement : FILE_WORD_ALIGNMENT;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("disk: %s attached to the port's disk PDO\n", ascii);
    return STATUS_SUCCESS;
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
        IoForwardIrpSynchronously(fdo->Lower, Irp);
        status = Irp->IoStatus.Status;
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
            /* The extension goes with the device object: copy first. */
            PVOID directory = fdo->Directory;
            IoDetachDevice(fdo->Lower);
            IoDeleteDevice(fdo->Self);
            DiskDropDirectory(directory);
            IoGetConfigurationInformation()->DiskCount--;
        }
        return status;
    }

    case IRP_MN_QUERY_REMOVE_DEVICE:
        /* The partition devices are in no PnP stack, so the PnP manager
         * cannot see a file open on one: the class driver vetoes for them
         * (NT: open handles make an orderly removal fail). */
        for (ULONG i = 0; i < fdo->PartitionDevices; i++) {
            if (fdo->Partitions[i]->ReferenceCount > 0) {
                DbgPrint("disk%u: partition %u is open: removal vetoed\n", fdo->Number,
                         ((PDISK_COMMON)fdo->Partitions[i]->DeviceExtension)->PartitionNumber);
                return DiskCompleteIrp(Irp, STATUS_DEVICE_BUSY, 0);
            }
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(fdo->Lower, Irp);

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

/* Partition devices: drops the FDO reference once (see disk.h). */
VOID DiskReleaseFdoReference(PDISK_PARTITION_EXTENSION Partition)
{
    if (InterlockedExchange(&Partition->FdoReferenced, 0))
        ObDereferenceObject(Partition->Common.Fdo->Self);
}

NTSTATUS DiskDispatchClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_PARTITION_EXTENSION part = (PDISK_PARTITION_EXTENSION)common;
    /* The I/O manager counts this file until CLOSE returns: 1 is the last. */
    BOOLEAN last = common->Kind == DiskKindPartition && part->Deleted &&
                   DeviceObject->ReferenceCount == 1;

    DiskCompleteIrp(Irp, STATUS_SUCCESS, 0);
    /* The last close of a partition deleted while open: the removed FDO it
     * points at may go now. */
    if (last)
        DiskReleaseFdoReference(part);
    return STATUS_SUCCESS;
}
