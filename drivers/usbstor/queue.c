/* queue.c - each USB mass-storage device's request thread.  IRP_MJ_SCSI
 * IRPs of all its LUNs wait in one FIFO; the thread takes one at a time
 * and carries its SRB through the bulk-only transport (bot.c), at
 * PASSIVE_LEVEL because every phase waits for the bus.  BOT allows one
 * command at a time per device (5.3); one thread per device keeps a slow
 * or recovering stick from delaying any other.
 *
 * Locking: Fdo->QueueLock (spin lock, <= DISPATCH_LEVEL callers) guards
 * Fdo->Queue and Fdo->Stopping.  An IRP on the queue is pending and owned
 * by the queue; the thread owns it once taken off. */
#include "usbstor.h"

static PIRP UsbstorDequeue(PUSBSTOR_FDO Fdo, BOOLEAN *Stop)
{
    KIRQL irql;
    PIRP irp = NULL;

    KeAcquireSpinLock(&Fdo->QueueLock, &irql);
    *Stop = Fdo->Stopping;
    if (!*Stop && !IsListEmpty(&Fdo->Queue))
        irp = CONTAINING_RECORD(RemoveHeadList(&Fdo->Queue), IRP, Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Fdo->QueueLock, irql);
    return irp;
}

static VOID UsbstorRunSrb(PUSBSTOR_FDO Fdo, PIRP Irp)
{
    PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb;
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (Fdo->Gone) {
        srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        srb->DataTransferLength = 0;
        status = STATUS_DEVICE_DOES_NOT_EXIST;
    } else {
        status = BotExecuteSrb(&Fdo->Bot, srb);
        if ((Fdo->Bot.Gone || status == STATUS_DEVICE_DOES_NOT_EXIST) && !Fdo->Gone) {
            Fdo->Gone = TRUE;
            DbgPrint("usbstor%u: device gone: requests fail with STATUS_DEVICE_DOES_NOT_EXIST\n",
                     Fdo->Number);
        }
    }
    Fdo->Requests++;
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = NT_SUCCESS(status) ? srb->DataTransferLength : 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID UsbstorThread(PVOID Context)
{
    PUSBSTOR_FDO fdo = Context;
    BOOLEAN stop = FALSE;

    /* Above the threads that submit (8): a caller that polls for its
     * completion (bench mode=poll, IoPollDevice finds nothing to poll
     * here) would otherwise keep this thread waiting a whole quantum
     * (20 ms) per request.  It only ever blocks on the bus or the queue. */
    KeSetPriorityThread(KeGetCurrentThread(), USBSTOR_THREAD_PRIORITY);
    while (!stop) {
        PIRP irp = UsbstorDequeue(fdo, &stop);
        if (irp) {
            UsbstorRunSrb(fdo, irp);
            continue;
        }
        if (!stop)
            KeWaitForSingleObject(&fdo->QueueEvent, Executive, KernelMode, FALSE, NULL);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

NTSTATUS UsbstorStartQueue(PUSBSTOR_FDO Fdo)
{
    HANDLE handle;
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    Fdo->Stopping = FALSE;
    KeInitializeEvent(&Fdo->QueueEvent, SynchronizationEvent, FALSE);
    status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, UsbstorThread, Fdo);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Fdo->Thread, NULL);
    ZwClose(handle);
    if (!NT_SUCCESS(status)) {
        /* The thread runs on unreferenced; stop it the only other way. */
        UsbstorStopQueue(Fdo);
        return status;
    }
    return STATUS_SUCCESS;
}

/* Fails every IRP still waiting (surprise removal, stop). */
VOID UsbstorFailQueued(PUSBSTOR_FDO Fdo, NTSTATUS Status)
{
    LIST_ENTRY failed;
    KIRQL irql;

    InitializeListHead(&failed);
    KeAcquireSpinLock(&Fdo->QueueLock, &irql);
    while (!IsListEmpty(&Fdo->Queue))
        InsertTailList(&failed, RemoveHeadList(&Fdo->Queue));
    KeReleaseSpinLock(&Fdo->QueueLock, irql);
    while (!IsListEmpty(&failed)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&failed), IRP, Tail.Overlay.ListEntry);
        PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(irp)->Parameters.Scsi.Srb;
        srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        srb->DataTransferLength = 0;
        UsbstorCompleteIrp(irp, Status, 0);
    }
}

/* Ends the thread after the request it is running; what waits fails with
 * STATUS_DEVICE_DOES_NOT_EXIST.  PASSIVE_LEVEL (it waits for the thread). */
VOID UsbstorStopQueue(PUSBSTOR_FDO Fdo)
{
    KIRQL irql;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    KeAcquireSpinLock(&Fdo->QueueLock, &irql);
    Fdo->Stopping = TRUE;
    KeReleaseSpinLock(&Fdo->QueueLock, irql);
    KeSetEvent(&Fdo->QueueEvent, IO_NO_INCREMENT, FALSE);
    if (Fdo->Thread) {
        KeWaitForSingleObject(Fdo->Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Fdo->Thread);
        Fdo->Thread = NULL;
    }
    UsbstorFailQueued(Fdo, STATUS_DEVICE_DOES_NOT_EXIST);
}

/* <= DISPATCH_LEVEL.  The IRP is pending on return unless refused. */
NTSTATUS UsbstorQueueSrb(PUSBSTOR_FDO Fdo, PIRP Irp)
{
    KIRQL irql;

    KeAcquireSpinLock(&Fdo->QueueLock, &irql);
    if (Fdo->Stopping || Fdo->Gone || !Fdo->Thread) {
        KeReleaseSpinLock(&Fdo->QueueLock, irql);
        PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb;
        srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        srb->DataTransferLength = 0;
        return UsbstorCompleteIrp(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
    }
    IoMarkIrpPending(Irp);
    InsertTailList(&Fdo->Queue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Fdo->QueueLock, irql);
    KeSetEvent(&Fdo->QueueEvent, IO_NO_INCREMENT, FALSE);
    return STATUS_PENDING;
}
