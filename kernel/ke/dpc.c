/* dpc.c - the deferred procedure call queue.
 *
 * ISRs queue DPCs at device IRQL, so the queue is touched only with
 * interrupts disabled (a few instructions each time).  DPCs run at
 * DISPATCH_LEVEL with interrupts enabled, in queue order, whenever the IRQL
 * drops below DISPATCH_LEVEL (KeLowerIrql, the end of an interrupt that
 * preempted PASSIVE code, KeDrainDpcQueue, waits). */
#include "ki.h"

/* Protected by disabling interrupts. */
LIST_ENTRY KiDpcListHead = { &KiDpcListHead, &KiDpcListHead };

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    InitializeListHead(&Dpc->DpcListEntry);
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
    Dpc->SystemArgument1 = NULL;
    Dpc->SystemArgument2 = NULL;
    Dpc->Inserted = FALSE;
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    ULONG64 Flags = KiDisableInterrupts();
    if (Dpc->Inserted) {
        KiRestoreInterrupts(Flags);
        return FALSE;
    }
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    Dpc->Inserted = TRUE;
    InsertTailList(&KiDpcListHead, &Dpc->DpcListEntry);
    KiRestoreInterrupts(Flags);

    /* NT requests a DISPATCH software interrupt here, which fires at once
     * when the caller is below DISPATCH_LEVEL. */
    if (KiCurrentIrql < DISPATCH_LEVEL)
        KeDrainDpcQueue();
    return TRUE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    ULONG64 Flags = KiDisableInterrupts();
    BOOLEAN WasQueued = Dpc->Inserted;
    if (WasQueued) {
        RemoveEntryList(&Dpc->DpcListEntry);
        Dpc->Inserted = FALSE;
    }
    KiRestoreInterrupts(Flags);
    return WasQueued;
}

VOID KiRetireDpcList(VOID)
{
    for (;;) {
        ULONG64 Flags = KiDisableInterrupts();
        if (IsListEmpty(&KiDpcListHead)) {
            KiRestoreInterrupts(Flags);
            return;
        }
        PKDPC Dpc = CONTAINING_RECORD(RemoveHeadList(&KiDpcListHead), KDPC, DpcListEntry);
        PKDEFERRED_ROUTINE Routine = Dpc->DeferredRoutine;
        PVOID Context = Dpc->DeferredContext;
        PVOID Arg1 = Dpc->SystemArgument1, Arg2 = Dpc->SystemArgument2;
        /* Cleared before the call: the routine may queue itself again. */
        Dpc->Inserted = FALSE;
        KiRestoreInterrupts(Flags);

        Routine(Dpc, Context, Arg1, Arg2);

        /* A DPC that returns at another IRQL (an unreleased spin lock taken
         * at a higher level, a stray KeLowerIrql) breaks every DPC after it. */
        if (KiCurrentIrql != DISPATCH_LEVEL)
            KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, KiCurrentIrql, DISPATCH_LEVEL, 2,
                         (ULONG_PTR)Routine);
    }
}

VOID KeDrainDpcQueue(VOID)
{
    if (KiCurrentIrql >= DISPATCH_LEVEL || !KiDpcPending())
        return;
    KIRQL Old;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KiRetireDpcList();
    KeLowerIrql(Old);
}
