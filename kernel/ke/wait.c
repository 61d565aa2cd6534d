/* wait.c - dispatcher objects' common half: signalled or not, what a
 * satisfied wait takes from an object, waking waiters, and the waits
 * themselves (KeWaitForSingleObject, KeWaitForMultipleObjects,
 * KeDelayExecutionThread).
 *
 * A waiting thread links one KWAIT_BLOCK per object into the object's
 * wait list, plus one on its own KTIMER when the wait has a timeout.
 * Whoever signals an object (KiWaitTest) satisfies the waits it can on the
 * waiter's behalf - takes the semaphore count, resets the synchronization
 * event, gives the mutex - and makes the waiter ready with the status its
 * wait returns; the woken thread only returns it.  Everything here runs
 * with the dispatcher lock held (DISPATCH_LEVEL), marked [D]. */
#include "ki.h"

VOID KiInitializeHeader(PDISPATCHER_HEADER Header, UCHAR Type, LONG SignalState)
{
    Header->Type = Type;
    Header->SignalState = SignalState;
    InitializeListHead(&Header->WaitListHead);
}

/* [D] A mutex its waiter already owns counts as signalled (recursion). */
static BOOLEAN KiIsSignaled(PDISPATCHER_HEADER Header, PKTHREAD Thread)
{
    if (Header->Type == MutantObject)
        return Header->SignalState > 0 || ((PKMUTANT)Header)->OwnerThread == Thread;
    return Header->SignalState > 0;
}

/* [D] What satisfying a wait takes from the object. */
static VOID KiConsume(PDISPATCHER_HEADER Header, PKTHREAD Thread)
{
    switch (Header->Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
        Header->SignalState = 0;
        break;
    case SemaphoreObject:
        Header->SignalState--;
        break;
    case MutantObject: {
        PKMUTANT Mutant = (PKMUTANT)Header;
        if (Header->SignalState == 1) {
            Mutant->OwnerThread = Thread;
            InsertTailList(&Thread->MutantListHead, &Mutant->MutantListEntry);
        }
        Header->SignalState--;
        break;
    }
    default:    /* notification events and timers, threads: stay signalled */
        break;
    }
}

/* [D] Every object of Thread's WaitAll wait signalled at once? */
static BOOLEAN KiAllSignaled(PKTHREAD Thread)
{
    for (PKWAIT_BLOCK b = Thread->WaitBlockList; b; b = b->NextWaitBlock)
        if (b->WaitType == WaitAll && !KiIsSignaled(b->Object, Thread))
            return FALSE;
    return TRUE;
}

VOID KiUnwaitThread(PKTHREAD Thread, NTSTATUS Status)
{
    ASSERT(KiDispatcherHeld());
    ASSERT(Thread->State == Waiting);
    for (PKWAIT_BLOCK b = Thread->WaitBlockList; b; b = b->NextWaitBlock)
        RemoveEntryList(&b->WaitListEntry);
    Thread->WaitBlockList = NULL;
    KiCancelTimerLocked(&Thread->Timer);
    Thread->WaitStatus = Status;
    KiReadyThread(Thread);
}

VOID KiWaitTest(PDISPATCHER_HEADER Header)
{
    PLIST_ENTRY e = Header->WaitListHead.Flink;

    ASSERT(KiDispatcherHeld());
    while (Header->SignalState > 0 && e != &Header->WaitListHead) {
        PKWAIT_BLOCK Block = CONTAINING_RECORD(e, KWAIT_BLOCK, WaitListEntry);
        PKTHREAD Thread = Block->Thread;

        if (Block->WaitType == WaitAny) {
            KiConsume(Header, Thread);
            KiUnwaitThread(Thread, Block->WaitKey);
        } else if (KiAllSignaled(Thread)) {
            for (PKWAIT_BLOCK b = Thread->WaitBlockList; b; b = b->NextWaitBlock)
                if (b->WaitType == WaitAll)
                    KiConsume(b->Object, Thread);
            KiUnwaitThread(Thread, STATUS_WAIT_0);
        } else {
            e = e->Flink;       /* this WaitAll waiter needs more */
            continue;
        }
        /* The unwait took the thread's blocks out of this list: rescan. */
        e = Header->WaitListHead.Flink;
    }
}

/* A wait's IRQL contract.  Caller is the waiter's return address. */
static VOID KiCheckWaitIrql(PVOID Object, BOOLEAN Poll, PVOID Caller)
{
    KIRQL Irql = KiCurrentIrql;
    PKPRCB Prcb = &KiPrcb0;

    /* A zero timeout is a poll, allowed up to DISPATCH_LEVEL (NT).  A real
     * wait only up to APC_LEVEL: above it no switch can happen, and the
     * DPCs that would end the wait could not run. */
    if (Irql > (Poll ? DISPATCH_LEVEL : APC_LEVEL))
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, Irql, 0, (ULONG_PTR)Caller);
    /* The idle thread must always be ready to run. */
    if (!Poll && Prcb->CurrentThread == Prcb->IdleThread)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__,
                     (ULONG_PTR)"the idle thread waited", (ULONG_PTR)Object, (ULONG_PTR)Caller);
}

static ULONG64 KiDeadline(PLARGE_INTEGER Timeout)
{
    if (Timeout->QuadPart < 0)
        return KeQueryInterruptTime() + (ULONG64)(-Timeout->QuadPart);
    return (ULONG64)Timeout->QuadPart;   /* KeQueryInterruptTime's epoch */
}

/* [D] Links the thread's timeout block on its own timer, due at Deadline. */
static PKWAIT_BLOCK KiArmWaitTimer(PKTHREAD Thread, ULONG64 Deadline, NTSTATUS Key)
{
    PKWAIT_BLOCK Block = &Thread->WaitBlock[THREAD_WAIT_OBJECTS];

    KiSetTimerLocked(&Thread->Timer, Deadline, 0, NULL);
    Block->Thread = Thread;
    Block->Object = &Thread->Timer;
    Block->WaitKey = Key;
    Block->WaitType = WaitAny;
    Block->NextWaitBlock = NULL;
    InsertTailList(&Thread->Timer.Header.WaitListHead, &Block->WaitListEntry);
    return Block;
}

static NTSTATUS KiWaitForObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                 KWAIT_REASON WaitReason, PLARGE_INTEGER Timeout,
                                 PKWAIT_BLOCK WaitBlocks, PVOID Caller)
{
    BOOLEAN Poll = Timeout && Timeout->QuadPart == 0;
    PKTHREAD Thread;
    NTSTATUS Status;
    ULONG i;

    KiCheckWaitIrql(Object[0], Poll, Caller);
    ULONG64 Deadline = Timeout && !Poll ? KiDeadline(Timeout) : 0;
    KIRQL Old = KiAcquireDispatcher(Object[0]);
    Thread = KiPrcb0.CurrentThread;

    /* Satisfied now: no wait blocks, no switch (the I/O path's common
     * case when a completion came first). */
    if (WaitType == WaitAny) {
        for (i = 0; i < Count; i++) {
            if (KiIsSignaled(Object[i], Thread)) {
                KiConsume(Object[i], Thread);
                Status = STATUS_WAIT_0 + (NTSTATUS)i;
                goto out;
            }
        }
    } else {
        for (i = 0; i < Count && KiIsSignaled(Object[i], Thread); i++)
            ;
        if (i == Count) {
            for (i = 0; i < Count; i++)
                KiConsume(Object[i], Thread);
            Status = STATUS_WAIT_0;
            goto out;
        }
    }
    if (Poll || (Timeout && KeQueryInterruptTime() >= Deadline)) {
        Status = STATUS_TIMEOUT;
        goto out;
    }

    PKWAIT_BLOCK *Link = &Thread->WaitBlockList;
    for (i = 0; i < Count; i++) {
        PKWAIT_BLOCK Block = &WaitBlocks[i];
        Block->Thread = Thread;
        Block->Object = Object[i];
        Block->WaitKey = WaitType == WaitAny ? STATUS_WAIT_0 + (NTSTATUS)i : STATUS_WAIT_0;
        Block->WaitType = (UCHAR)WaitType;
        InsertTailList(&((PDISPATCHER_HEADER)Object[i])->WaitListHead, &Block->WaitListEntry);
        *Link = Block;
        Link = &Block->NextWaitBlock;
    }
    *Link = Timeout ? KiArmWaitTimer(Thread, Deadline, STATUS_TIMEOUT) : NULL;
    Thread->State = Waiting;
    Thread->WaitReason = (UCHAR)WaitReason;
    Thread->WaitType = (UCHAR)WaitType;
    Thread->WaitIrql = Old;
    Status = KiSwapThread();
out:
    KiReleaseDispatcher(Old);
    return Status;
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                               KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout)
{
    PKTHREAD Thread = KiPrcb0.CurrentThread;
    return KiWaitForObjects(1, &Object, WaitAny, WaitReason, Timeout,
                            Thread ? Thread->WaitBlock : NULL, __builtin_return_address(0));
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray)
{
    if (Count == 0 || Count > MAXIMUM_WAIT_OBJECTS ||
        (Count > THREAD_WAIT_OBJECTS && !WaitBlockArray))
        KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, Count, (ULONG_PTR)WaitBlockArray, 0,
                     (ULONG_PTR)__builtin_return_address(0));
    if (WaitType != WaitAll && WaitType != WaitAny)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__,
                     (ULONG_PTR)"WaitType is neither WaitAll nor WaitAny", WaitType, 0);
    return KiWaitForObjects(Count, Object, WaitType, WaitReason, Timeout,
                            WaitBlockArray ? WaitBlockArray : KiPrcb0.CurrentThread->WaitBlock,
                            __builtin_return_address(0));
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval)
{
    PKPRCB Prcb = &KiPrcb0;
    PKTHREAD Thread = Prcb->CurrentThread;

    KiCheckWaitIrql(Interval, FALSE, __builtin_return_address(0));
    if (Interval->QuadPart == 0) {
        /* Give the rest of the turn to a ready thread of the same
         * priority (a higher one would already be running). */
        KIRQL Old = KiAcquireDispatcher(Thread);
        if (Prcb->ReadySummary >> Thread->Priority) {
            Prcb->QuantumEnd = TRUE;
            Prcb->DispatchPending = TRUE;
        }
        KiReleaseDispatcher(Old);
        return STATUS_SUCCESS;
    }
    ULONG64 Deadline = KiDeadline(Interval);
    KIRQL Old = KiAcquireDispatcher(Thread);
    if (KeQueryInterruptTime() < Deadline) {
        Thread->WaitBlockList = KiArmWaitTimer(Thread, Deadline, STATUS_SUCCESS);
        Thread->State = Waiting;
        Thread->WaitReason = DelayExecution;
        Thread->WaitType = WaitAny;
        Thread->WaitIrql = Old;
        KiSwapThread();
    }
    KiReleaseDispatcher(Old);
    return STATUS_SUCCESS;
}
