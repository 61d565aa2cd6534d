/* cancel.c - IRP cancellation.
 *
 * One system-wide cancel spin lock (NT's) serializes setting, clearing and
 * calling cancel routines: a driver queueing an IRP sets its cancel routine
 * under it, a driver dequeuing clears it under it, and IoCancelIrp calls
 * the routine with it held -- so an IRP is either dequeued by its driver or
 * cancelled, never both.  The routine releases the lock
 * (IoReleaseCancelSpinLock(Irp->CancelIrql)) before completing the IRP. */
#include "iop.h"

/* NT's CANCEL_STATE_IN_COMPLETED_IRP. */
#define IOP_CANCEL_STATE_IN_COMPLETED_IRP 0x00000048

static KSPIN_LOCK IopCancelSpinLock;

VOID IopInitCancel(VOID)
{
    KeInitializeSpinLock(&IopCancelSpinLock);
}

VOID IoAcquireCancelSpinLock(PKIRQL Irql)
{
    KeAcquireSpinLock(&IopCancelSpinLock, Irql);
}

VOID IoReleaseCancelSpinLock(KIRQL Irql)
{
    KeReleaseSpinLock(&IopCancelSpinLock, Irql);
}

BOOLEAN IoCancelIrp(PIRP Irp)
{
    KIRQL Irql;
    PDRIVER_CANCEL Routine;

    IoAcquireCancelSpinLock(&Irql);
    Irp->Cancel = TRUE;
    Routine = IoSetCancelRoutine(Irp, NULL);
    if (!Routine) {
        /* Not cancelable right now: the driver owning it sees Irp->Cancel
         * when it next looks (e.g. in StartIo). */
        IoReleaseCancelSpinLock(Irql);
        return FALSE;
    }
    /* A cancel routine on an IRP no driver holds means it was completed
     * with the routine still set. */
    if (Irp->CurrentLocation > Irp->StackCount)
        KeBugCheckEx(IOP_CANCEL_STATE_IN_COMPLETED_IRP, (ULONG_PTR)Irp, (ULONG_PTR)Routine, 0, 0);
    Irp->CancelIrql = Irql;
    Routine(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, Irp);
    return TRUE;
}
