/* timer.c - NT kernel timers (KTIMER): waitable dispatcher objects kept in
 * one list.  The 1 ms clock ISR only compares the earliest due time
 * (KiTimerExpiry) and, when it has passed, queues the expiry DPC; the DPC,
 * at DISPATCH_LEVEL, signals every expired timer (waking its waiters,
 * wait.c), queues its own DPC and re-arms periodic ones.
 *
 * The list and every timer field are under the dispatcher lock (raise to
 * DISPATCH_LEVEL, sched.c); the ISR reads only KiNextTimerDue, one aligned
 * 64-bit load. */
#include "ki.h"

static LIST_ENTRY KiTimerListHead = { &KiTimerListHead, &KiTimerListHead };
/* Earliest DueTime in the list (~0 when empty): the tick's fast path is
 * one compare.  [D] for writes. */
static volatile ULONG64 KiNextTimerDue = ~0ULL;

static VOID KiTimerExpiryRoutine(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2);
static KDPC KiTimerExpiryDpc = {
    .DpcListEntry = { &KiTimerExpiryDpc.DpcListEntry, &KiTimerExpiryDpc.DpcListEntry },
    .DeferredRoutine = KiTimerExpiryRoutine,
};

static VOID KiRecomputeNextDue(VOID)
{
    ULONG64 next = ~0ULL;

    for (PLIST_ENTRY e = KiTimerListHead.Flink; e != &KiTimerListHead; e = e->Flink) {
        PKTIMER t = CONTAINING_RECORD(e, KTIMER, TimerListEntry);
        if (t->DueTime < next)
            next = t->DueTime;
    }
    KiNextTimerDue = next;
}

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
    KiInitializeHeader(&Timer->Header,
                       Type == SynchronizationTimer ? TimerSynchronizationObject
                                                    : TimerNotificationObject, 0);
    InitializeListHead(&Timer->TimerListEntry);
    Timer->DueTime = 0;
    Timer->Period = 0;
    Timer->Dpc = NULL;
    Timer->Inserted = FALSE;
}

VOID KeInitializeTimer(PKTIMER Timer)
{
    KeInitializeTimerEx(Timer, NotificationTimer);
}

BOOLEAN KiSetTimerLocked(PKTIMER Timer, ULONG64 DueTime, LONG Period, PKDPC Dpc)
{
    BOOLEAN Was = Timer->Inserted;

    ASSERT(KiDispatcherHeld());
    if (Was)
        RemoveEntryList(&Timer->TimerListEntry);
    Timer->DueTime = DueTime;
    Timer->Period = Period > 0 ? Period : 0;
    Timer->Dpc = Dpc;
    Timer->Header.SignalState = 0;
    Timer->Inserted = TRUE;
    InsertTailList(&KiTimerListHead, &Timer->TimerListEntry);
    if (DueTime < KiNextTimerDue)
        KiNextTimerDue = DueTime;
    return Was;
}

BOOLEAN KiCancelTimerLocked(PKTIMER Timer)
{
    BOOLEAN Was = Timer->Inserted;

    ASSERT(KiDispatcherHeld());
    if (Was) {
        RemoveEntryList(&Timer->TimerListEntry);
        InitializeListHead(&Timer->TimerListEntry);
        Timer->Inserted = FALSE;
        KiRecomputeNextDue();
    }
    return Was;
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    ULONG64 Due = DueTime.QuadPart < 0 ? KeQueryInterruptTime() + (ULONG64)(-DueTime.QuadPart)
                                       : (ULONG64)DueTime.QuadPart;
    KIRQL Old = KiAcquireDispatcher(Timer);
    BOOLEAN Was = KiSetTimerLocked(Timer, Due, Period, Dpc);
    KiReleaseDispatcher(Old);
    return Was;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
    KIRQL Old = KiAcquireDispatcher(Timer);
    BOOLEAN Was = KiCancelTimerLocked(Timer);
    KiReleaseDispatcher(Old);
    return Was;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
    return Timer->Header.SignalState != 0;
}

/* From the clock ISR (interrupts disabled). */
VOID KiTimerExpiry(VOID)
{
    ULONG64 Due = KiNextTimerDue;

    if (Due == ~0ULL || KeQueryInterruptTime() < Due)
        return;
    KeInsertQueueDpc(&KiTimerExpiryDpc, NULL, NULL);
}

/* At DISPATCH_LEVEL (a DPC), which is the dispatcher lock.  Periodic
 * timers are re-armed from their previous due time, so they do not drift;
 * one that fell far behind skips the missed periods.  Waking a waiter
 * cancels its timeout timer, which edits this list: each expiry starts the
 * scan again. */
static VOID KiTimerExpiryRoutine(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    ULONG64 Now = KeQueryInterruptTime();

    ASSERT(KiDispatcherHeld());
    for (;;) {
        PKTIMER Expired = NULL;
        for (PLIST_ENTRY e = KiTimerListHead.Flink; e != &KiTimerListHead; e = e->Flink) {
            PKTIMER t = CONTAINING_RECORD(e, KTIMER, TimerListEntry);
            if (t->DueTime <= Now) {
                Expired = t;
                break;
            }
        }
        if (!Expired)
            break;
        if (Expired->Period) {
            ULONG64 Period = (ULONG64)Expired->Period * 10000;
            Expired->DueTime += Period;
            if (Expired->DueTime <= Now)
                Expired->DueTime = Now + Period;
        } else {
            RemoveEntryList(&Expired->TimerListEntry);
            InitializeListHead(&Expired->TimerListEntry);
            Expired->Inserted = FALSE;
        }
        KiRecomputeNextDue();
        Expired->Header.SignalState = 1;
        PKDPC TimerDpc = Expired->Dpc;
        /* The waiters may free a one-shot timer once they run; they run
         * only after this DPC, so it is still ours here. */
        if (!IsListEmpty(&Expired->Header.WaitListHead))
            KiWaitTest(&Expired->Header);
        if (TimerDpc)
            KeInsertQueueDpc(TimerDpc, Expired, NULL);
    }
}
