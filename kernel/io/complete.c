/* complete.c - IoCompleteRequest: hand an IRP back up its stack.
 *
 * Completion walks from the current stack location towards the IRP's
 * creator.  At each location it copies SL_PENDING_RETURNED into
 * Irp->PendingReturned (so the driver above can see whether the one below
 * returned STATUS_PENDING), then either calls the completion routine the
 * driver above set there (when SL_INVOKE_ON_SUCCESS/ERROR/CANCEL matches) or,
 * with no routine, re-marks the location above pending on its behalf -- the
 * same pending propagation NT's IopfCompleteRequest does, which drivers
 * rely on ("if (Irp->PendingReturned) IoMarkIrpPending(Irp)" in their
 * completion routines).  A routine returning STATUS_MORE_PROCESSING_REQUIRED
 * takes the IRP back: completion stops and the routine's driver completes
 * it again (or frees it) later.
 *
 * When the walk passes the top, CurrentLocation is StackCount + 2: an IRP in
 * that state is not completable -- doing it is the NT stop
 * MULTIPLE_IRP_COMPLETE_REQUESTS.  An IRP back at its creator's level
 * (StackCount + 1: the creator's completion routine returned
 * STATUS_MORE_PROCESSING_REQUIRED, the usual way to wait for an
 * IoBuildDeviceIoControlRequest IRP and look at it) may be completed once
 * more, as in NT: no location is left to walk, the I/O manager's part runs
 * (for an IRP it built: status block, event, free), and the IRP moves to
 * StackCount + 2 so a further completion is the stop.
 *
 * An IRP the I/O manager built (IRP_IOMGR_OWNED) is then finished here:
 * buffered output copied back, system buffer and MDLs freed, the status
 * block written, the event set, the IRP freed, the ApcRoutine called.
 * IRQL: <= DISPATCH_LEVEL. */
#include "iop.h"

/* NT's DRIVER_VERIFIER_IOMANAGER_VIOLATION. */
#define IOP_IO_MANAGER_VIOLATION 0x000000C9

/* NT's IopClearStackLocation: a finished location must not look live to a
 * driver that reuses the IRP. */
static inline VOID IopClearStackLocation(PIO_STACK_LOCATION Stack)
{
    Stack->MinorFunction = 0;
    Stack->Flags = 0;
    Stack->Control = 0;
    Stack->Parameters.Others.Argument1 = NULL;
    Stack->Parameters.Others.Argument2 = NULL;
    Stack->Parameters.Others.Argument3 = NULL;
    Stack->Parameters.Others.Argument4 = NULL;
    Stack->FileObject = NULL;
}

VOID IopFreeIrpBuffers(PIRP Irp)
{
    PMDL Mdl, Next;

    if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer) {
        ExFreePoolWithTag(Irp->AssociatedIrp.SystemBuffer, IOP_TAG_BUFFER);
        Irp->AssociatedIrp.SystemBuffer = NULL;
    }
    Irp->Flags &= ~IRP_DEALLOCATE_BUFFER;
    for (Mdl = Irp->MdlAddress; Mdl; Mdl = Next) {
        Next = Mdl->Next;
        MmUnlockPages(Mdl);
        IoFreeMdl(Mdl);
    }
    Irp->MdlAddress = NULL;
}

/* The I/O manager's part of completion for the IRPs it built. */
static VOID IopFinishIomgrIrp(PIRP Irp)
{
    PIO_STATUS_BLOCK Iosb = Irp->UserIosb;
    PKEVENT Event = Irp->UserEvent;
    PIO_APC_ROUTINE Apc = Irp->Overlay.AsynchronousParameters.UserApcRoutine;
    PVOID ApcContext = Irp->Overlay.AsynchronousParameters.UserApcContext;
    PFILE_OBJECT File = Irp->Tail.Overlay.OriginalFileObject;
    PIO_PROFILE_RECORD Profile = Irp->NtstorProfile;

    /* Buffered reads and METHOD_BUFFERED output: the driver wrote
     * Information bytes into the system buffer.  Warnings (e.g.
     * STATUS_BUFFER_OVERFLOW) still carry data, as on NT. */
    if ((Irp->Flags & (IRP_BUFFERED_IO | IRP_INPUT_OPERATION)) == (IRP_BUFFERED_IO | IRP_INPUT_OPERATION) &&
        !NT_ERROR(Irp->IoStatus.Status) && Irp->UserBuffer && Irp->AssociatedIrp.SystemBuffer) {
        ULONG_PTR Bytes = Irp->IoStatus.Information;
        if (Bytes > Irp->UserBufferLength)
            Bytes = Irp->UserBufferLength;
        RtlCopyMemory(Irp->UserBuffer, Irp->AssociatedIrp.SystemBuffer, Bytes);
    }
    IoProfileStamp(Irp, IO_PROFILE_IOMGR);
    IopFreeIrpBuffers(Irp);

    if (Iosb)
        *Iosb = Irp->IoStatus;
    if (Event)
        KeSetEvent(Event, IO_NO_INCREMENT, FALSE);
    IoFreeIrp(Irp);
    if (__builtin_expect(Profile != NULL, 0)) {
        Profile->Tsc[IO_PROFILE_DONE] = IoProfileNow();
        IopProfileFinish(Profile);
    }
    if (Apc)
        Apc(ApcContext, Iosb, 0);
    if (File && __atomic_sub_fetch(&File->PendingRequests, 1, __ATOMIC_SEQ_CST) == 0) {
        /* Read before the event: once it is set a closer still waiting may
         * free the file.  Kept means the closer has stopped waiting, and
         * the kept reference holds the file until we drop it. */
        BOOLEAN Kept = (__atomic_load_n(&File->Flags, __ATOMIC_SEQ_CST) & FO_IOP_KEPT) != 0;
        KeSetEvent(&File->Event, IO_NO_INCREMENT, FALSE);
        if (Kept)
            IopReleaseKeptFile(File);
    }
}

VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    PIO_STACK_LOCATION Stack;
    NTSTATUS Status;

    if (Irp->Type != IO_TYPE_IRP || Irp->CurrentLocation > Irp->StackCount + 1)
        KeBugCheckEx(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG_PTR)Irp,
                     (ULONG_PTR)(LONG_PTR)Irp->CurrentLocation, (ULONG_PTR)(LONG_PTR)Irp->StackCount, 0);
    /* A driver completing with STATUS_PENDING, or with its cancel routine
     * still set, has broken the IRP contract (Driver Verifier's stop). */
    if (Irp->IoStatus.Status == STATUS_PENDING)
        KeBugCheckEx(IOP_IO_MANAGER_VIOLATION, 0x219, (ULONG_PTR)Irp, STATUS_PENDING, 0);
    if (Irp->CancelRoutine)
        KeBugCheckEx(IOP_IO_MANAGER_VIOLATION, 0x21A, (ULONG_PTR)Irp, (ULONG_PTR)Irp->CancelRoutine, 0);

    if (__builtin_expect(IopVerifiedDriverCount != 0, 0))
        IopVerifierCheckCompletion(Irp, Irp->CurrentLocation <= Irp->StackCount
                                   ? IoGetCurrentIrpStackLocation(Irp)->DeviceObject : NULL,
                                   __builtin_return_address(0));
    if (Irp->CurrentLocation == Irp->StackCount + 1) {
        /* Back at its creator's level (see above): nothing to walk. */
        IoSkipCurrentIrpStackLocation(Irp);
        if (Irp->Flags & IRP_IOMGR_OWNED)
            IopFinishIomgrIrp(Irp);
        return;
    }
    Stack = IoGetCurrentIrpStackLocation(Irp);
    IoSkipCurrentIrpStackLocation(Irp);
    do {
        if (__builtin_expect(IopVerifierActive != 0, 0))
            IopVerifierNoteCompletion(Irp, Stack);
        Irp->PendingReturned = (Stack->Control & SL_PENDING_RETURNED) != 0;
        Status = Irp->IoStatus.Status;
        if (Stack->CompletionRoutine &&
            ((NT_SUCCESS(Status) && (Stack->Control & SL_INVOKE_ON_SUCCESS)) ||
             (!NT_SUCCESS(Status) && (Stack->Control & SL_INVOKE_ON_ERROR)) ||
             (Irp->Cancel && (Stack->Control & SL_INVOKE_ON_CANCEL)))) {
            /* The routine belongs to the driver one location up; it gets
             * that location's device, or NULL when that "location" is the
             * IRP's creator. */
            PDEVICE_OBJECT Device = Irp->CurrentLocation == Irp->StackCount + 1
                ? NULL : IoGetCurrentIrpStackLocation(Irp)->DeviceObject;
            IopClearStackLocation(Stack);
            if (Stack->CompletionRoutine(Device, Irp, Stack->Context) == STATUS_MORE_PROCESSING_REQUIRED)
                return;   /* the IRP is no longer ours to touch */
        } else {
            if (Irp->PendingReturned && Irp->CurrentLocation <= Irp->StackCount)
                IoMarkIrpPending(Irp);
            IopClearStackLocation(Stack);
        }
        IoSkipCurrentIrpStackLocation(Irp);
        Stack++;
    } while (Irp->CurrentLocation <= Irp->StackCount + 1);

    if (Irp->Flags & IRP_IOMGR_OWNED)
        IopFinishIomgrIrp(Irp);
}
