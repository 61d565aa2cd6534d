/* flush.c - IRP_MJ_CREATE/CLOSE/CLEANUP (always allowed: the access
 * checks that matter are the write switch and the I/O manager's handle
 * access) and IRP_MJ_FLUSH_BUFFERS/IRP_MJ_SHUTDOWN: SYNCHRONIZE CACHE so
 * that every acknowledged write is on the medium.  A failed flush is
 * never retried (request.c) and always reaches someone: the IRP's status
 * for FLUSH_BUFFERS, a hard error for shutdown and removal. */
#include "disk.h"

NTSTATUS DiskDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    /* An open needs a started disk; a cleanup of a removed one is fine. */
    NTSTATUS status = DiskAcquire(common->Fdo, Irp, stack->MajorFunction != IRP_MJ_CREATE);

    if (!NT_SUCCESS(status))
        return DiskCompleteIrp(Irp, stack->MajorFunction == IRP_MJ_CREATE ? status : STATUS_SUCCESS, 0);
    return DiskCompleteAndRelease(common->Fdo, Irp, STATUS_SUCCESS, 0);
}

/* A flush whose caller cannot be told (IRP_MJ_SHUTDOWN, removal: neither
 * may fail in NT's model, and the poweroff or unload behind them sees
 * only the I/O or PnP manager): on failure the user is told through
 * IoReportHardError, naming the disk by number and serial.  When says
 * when it happened ("at shutdown", "before removal"). */
NTSTATUS DiskFlushAndReport(PDISK_FDO Fdo, PCSTR When)
{
    CHAR what[96], why[64];
    NTSTATUS status = DiskSynchronizeCache(Fdo);

    if (NT_SUCCESS(status))
        return status;
    DbgPrint("disk%u: write cache NOT flushed %s: 0x%08X\n", Fdo->Number, When, (ULONG)status);
    RtlStringCbPrintfA(what, sizeof(what), "disk=%u serial=\"%s\"", Fdo->Number, Fdo->Serial);
    RtlStringCbPrintfA(why, sizeof(why), "write cache not flushed %s", When);
    IoReportHardError(status, what, why);
    return status;
}

NTSTATUS DiskDispatchFlush(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_FDO fdo = common->Fdo;
    NTSTATUS status;

    status = DiskAcquire(fdo, Irp, FALSE);
    if (!NT_SUCCESS(status))
        return DiskCompleteIrp(Irp, status, 0);
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return DiskCompleteAndRelease(fdo, Irp, STATUS_INVALID_DEVICE_STATE, 0);
    if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_SHUTDOWN) {
        status = DiskFlushAndReport(fdo, "at shutdown");
        fdo->ShutdownFlushStatus = status;
        fdo->ShutdownFlushWrites = fdo->Writes;
        fdo->ShutdownFlushed = TRUE;
        if (NT_SUCCESS(status))
            DbgPrint("disk%u: shutdown: write cache flushed, status 0x%08X\n", fdo->Number,
                     (ULONG)status);
    } else {
        /* IRP_MJ_FLUSH_BUFFERS: the caller gets the status. */
        status = DiskSynchronizeCache(fdo);
        if (!NT_SUCCESS(status))
            DbgPrint("disk%u: SYNCHRONIZE CACHE: 0x%08X\n", fdo->Number, (ULONG)status);
    }
    return DiskCompleteAndRelease(fdo, Irp, status, 0);
}
