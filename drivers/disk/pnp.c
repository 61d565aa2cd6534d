/* pnp.c - AddDevice and IRP_MJ_PNP of the disk FDO: create
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
    IoInitializeRemoveLock(&ext->RemoveLock, DISK_TAG, 0, 0);
    KeInitializeEvent(&ext->PowerRequestDone, NotificationEvent, FALSE);
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
    if (Fdo->Interface.Buffer) {
        IoSetDeviceInterfaceState(&Fdo->Interface, FALSE);
        ExFreePool(Fdo->Interface.Buffer);
        Fdo->Interface.Buffer = NULL;
    }
    DiskRemoveNames(Fdo);
    if (Fdo->Layout) {
        ExFreePool(Fdo->Layout);        /* the kernel's (IoReadPartitionTableEx) */
        Fdo->Layout = NULL;
    }
}

/* Passes a PnP or power IRP down and gives back the remove lock taken
 * for it (the lower driver's own lock covers it from there). */
static NTSTATUS DiskPassDown(PDISK_FDO Fdo, PIRP Irp)
{
    NTSTATUS status;

    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(Fdo->Lower, Irp);
    DiskRelease(Fdo, Irp);
    return status;
}

/* The FDO goes: every request still holding the remove lock has finished
 * (IoReleaseRemoveLockAndWait, which also gives back ours), the PDO gets
 * the IRP, then the FDO is detached and deleted and the disk number is
 * free once its names are. */
static NTSTATUS DiskRemove(PDISK_FDO Fdo, PIRP Irp)
{
    PVOID directory = Fdo->Directory;   /* the extension goes with the device */
    PDEVICE_OBJECT lower = Fdo->Lower, self = Fdo->Self;
    NTSTATUS status;

    /* Orderly removal: flush, or say it failed.  Not after a surprise
     * removal: the device is gone. */
    if (Fdo->State == DiskStateStarted)
        DiskFlushAndReport(Fdo, "before removal");
    Fdo->State = DiskStateRemoved;
    IoReleaseRemoveLockAndWait(&Fdo->RemoveLock, Irp);
    IoUnregisterShutdownNotification(self);
    DiskTearDown(Fdo);
    DbgPrint("disk%u: removed\n", Fdo->Number);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(lower, Irp);
    IoDetachDevice(lower);
    IoDeleteDevice(self);
    DiskDropDirectory(directory);
    IoGetConfigurationInformation()->DiskCount--;
    return status;
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
    status = DiskAcquire(fdo, Irp, TRUE);
    if (!NT_SUCCESS(status))
        return DiskCompleteIrp(Irp, status, 0);    /* after REMOVE: nothing left to do */

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
        return DiskCompleteAndRelease(fdo, Irp, status, 0);

    case IRP_MN_SURPRISE_REMOVAL:
        /* The device is gone; handles may still be open, so the FDO stays
         * until REMOVE_DEVICE.  From now on every request fails
         * STATUS_DEVICE_DOES_NOT_EXIST (DiskAcquire, and rw.c between the
         * pieces of one in flight); the names and partitions go now, so
         * nothing new finds the disk. */
        DbgPrint("disk%u: surprise removal: the disk is gone; requests fail from now on\n",
                 fdo->Number);
        fdo->State = DiskStateRemoved;
        IoUnregisterShutdownNotification(fdo->Self);
        DiskTearDown(fdo);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return DiskPassDown(fdo, Irp);

    case IRP_MN_REMOVE_DEVICE:
        return DiskRemove(fdo, Irp);

    case IRP_MN_QUERY_REMOVE_DEVICE:
        /* The partition devices are in no PnP stack, so the PnP manager
         * cannot see a file open on one: the class driver vetoes for them
         * (NT: open handles make an orderly removal fail). */
        for (ULONG i = 0; i < fdo->PartitionDevices; i++) {
            if (fdo->Partitions[i]->ReferenceCount > 0) {
                DbgPrint("disk%u: partition %u is open: removal vetoed\n", fdo->Number,
                         ((PDISK_COMMON)fdo->Partitions[i]->DeviceExtension)->PartitionNumber);
                return DiskCompleteAndRelease(fdo, Irp, STATUS_DEVICE_BUSY, 0);
            }
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return DiskPassDown(fdo, Irp);

    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        /* fall through */
    default:
        return DiskPassDown(fdo, Irp);
    }
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
