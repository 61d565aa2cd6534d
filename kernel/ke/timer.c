/* timer.c - NT kernel timers (KTIMER): one list of queued timers, checked
 * on every tick of the 1 ms clock (time.c calls KiTimerExpiry); an expired
 * timer queues its DPC, which runs once the IRQL drops below
 * DISPATCH_LEVEL (at the end of the clock interrupt when it preempted
 * PASSIVE code, or when the preempted code lowers its IRQL).
 *
 * The list is touched only with interrupts disabled (a few instructions
 * each time), as the DPC queue is: one CPU, and the clock ISR is the other
 * party. */
#include "ki.h"

static LIST_ENTRY KiTimerListHead = { &KiTimerListHead, &KiTimerListHead };
/* Earliest DueTime in the list (~0 when empty): the tick's fast path is
 * one compare. */
static ULONG64 KiNextTimerDue = ~0ULL;

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

VOID KeInitializeTimer(PKTIMER Timer)
{
    InitializeListHead(&Timer->TimerListEntry);
    Timer->DueTime = 0;
    Timer->Period = 0;
    Timer->Dpc = NULL;
    Timer->Inserted = FALSE;
    Timer->Signaled = FALSE;
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    ULONG64 now = KeQueryInterruptTime();
    ULONG64 due = DueTime.QuadPart < 0 ? now + (ULONG64)(-DueTime.QuadPart)
                                        : (ULONG64)DueTime.QuadPart;
    ULONG64 flags = KiDisableInterrupts();
    BOOLEAN was = Timer->Inserted;

    if (was)
        RemoveEntryList(&Timer->TimerListEntry);
    Timer->DueTime = due;
    Timer->Period = Period > 0 ? Period : 0;
    Timer->Dpc = Dpc;
    Timer->Signaled = FALSE;
    Timer->Inserted = TRUE;
    InsertTailList(&KiTimerListHead, &Timer->TimerListEntry);
    if (due < KiNextTimerDue)
        KiNextTimerDue = due;
    KiRestoreInterrupts(flags);
    return was;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
    ULONG64 flags = KiDisableInterrupts();
    BOOLEAN was = Timer->Inserted;

    if (was) {
        RemoveEntryList(&Timer->TimerListEntry);
        InitializeListHead(&Timer->TimerListEntry);
        Timer->Inserted = FALSE;
        KiRecomputeNextDue();
    }
    KiRestoreInterrupts(flags);
    return was;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
    return Timer->Signaled;
}

/* From the clock ISR (interrupts disabled).  Periodic timers are re-armed
 * from their previous due time, so they do not drift; one that fell far
 * behind (interrupts off for long) skips the missed periods. */
VOID KiTimerExpiry(VOID)
{
    ULONG64 now;
    PLIST_ENTRY e;

    if (KiNextTimerDue == ~0ULL)
        return;
    now = KeQueryInterruptTime();
    if (now < KiNextTimerDue)
        return;
    for (e = KiTimerListHead.Flink; e != &KiTimerListHead;) {
        PKTIMER t = CONTAINING_RECORD(e, KTIMER, TimerListEntry);
        e = e->Flink;
        if (t->DueTime > now)
            continue;
        t->Signaled = TRUE;
        if (t->Period) {
            ULONG64 period = (ULONG64)t->Period * 10000;
            t->DueTime += period;
            if (t->DueTime <= now)
                t->DueTime = now + period;
        } else {
            RemoveEntryList(&t->TimerListEntry);
            InitializeListHead(&t->TimerListEntry);
            t->Inserted = FALSE;
        }
        if (t->Dpc)
            KeInsertQueueDpc(t->Dpc, t, NULL);
    }
    KiRecomputeNextDue();
}
