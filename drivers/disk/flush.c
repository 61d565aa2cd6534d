/* flush.c - IRP_MJ_CREATE/CLOSE/CLEANUP (always allowed: the access
 * checks that matter are the write switch and the I/O manager's handle
 * access) and IRP_MJ_FLUSH_BUFFERS/IRP_MJ_SHUTDOWN: SYNCHRONIZE CACHE so
 * that every acknowledged write is on the medium. */
#include "disk.h"

NTSTATUS DiskDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);

    if (stack->MajorFunction == IRP_MJ_CREATE && common->Fdo->State != DiskStateStarted)
        return DiskCompleteIrp(Irp, STATUS_DEVICE_NOT_READY, 0);
    return DiskCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

NTSTATUS DiskDispatchFlush(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_FDO fdo = common->Fdo;
    NTSTATUS status;

    if (fdo->State != DiskStateStarted)
        return DiskCompleteIrp(Irp, STATUS_DEVICE_NOT_READY, 0);
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return DiskCompleteIrp(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    status = DiskSynchronizeCache(fdo);
    if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_SHUTDOWN)
        DbgPrint("disk%u: shutdown: write cache flushed, status 0x%08X\n", fdo->Number, (ULONG)status);
    else if (!NT_SUCCESS(status))
        DbgPrint("disk%u: SYNCHRONIZE CACHE: 0x%08X\n", fdo->Number, (ULONG)status);
    return DiskCompleteIrp(Irp, status, 0);
}
