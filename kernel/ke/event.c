/* event.c - events and the one wait ntstor has.
 *
 * There are no threads: the only waiter is the code running at
 * PASSIVE_LEVEL.  A wait therefore halts the CPU until the next interrupt
 * (the periodic clock tick, time.c, guarantees one within a millisecond),
 * runs the DPCs that interrupt queued, and checks again.  Checking and
 * halting happen with interrupts disabled until the `sti; hlt` pair: STI's
 * one-instruction interrupt shadow (SDM vol. 2B, STI) means an interrupt
 * that sets the event after the check still ends the HLT, so no wake-up is
 * lost. */
#include "ki.h"

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    Event->Type = Type;
    Event->SignalState = State ? 1 : 0;
}

/* Any IRQL.  Returns the previous state.  Wait is NT's "the caller will
 * wait next" hint; meaningless without threads. */
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    return __atomic_exchange_n(&Event->SignalState, 1, __ATOMIC_SEQ_CST);
}

VOID KeClearEvent(PRKEVENT Event)
{
    __atomic_store_n(&Event->SignalState, 0, __ATOMIC_SEQ_CST);
}

LONG KeResetEvent(PRKEVENT Event)
{
    return __atomic_exchange_n(&Event->SignalState, 0, __ATOMIC_SEQ_CST);
}

LONG KeReadStateEvent(PRKEVENT Event)
{
    return Event->SignalState;
}

/* Takes the event if it is signalled; a synchronization event resets as it
 * satisfies the wait (NT semantics). */
static BOOLEAN KiTrySatisfy(PKEVENT Event)
{
    if (Event->Type == SynchronizationEvent)
        return __atomic_exchange_n(&Event->SignalState, 0, __ATOMIC_SEQ_CST) != 0;
    return Event->SignalState != 0;
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                               KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout)
{
    PKEVENT Event = Object;
    KIRQL Irql = KiCurrentIrql;

    /* A zero timeout is a poll, allowed up to DISPATCH_LEVEL (NT). */
    if (Timeout && Timeout->QuadPart == 0) {
        if (Irql > DISPATCH_LEVEL)
            KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, Irql, 0,
                         (ULONG_PTR)__builtin_return_address(0));
        KeDrainDpcQueue();
        return KiTrySatisfy(Event) ? STATUS_SUCCESS : STATUS_TIMEOUT;
    }
    /* A real wait only at PASSIVE_LEVEL: above it, the DPCs and lower
     * interrupts that would end the wait cannot run. */
    if (Irql != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, Irql, 0,
                     (ULONG_PTR)__builtin_return_address(0));

    ULONGLONG Deadline = 0;
    if (Timeout) {
        if (Timeout->QuadPart < 0)
            Deadline = KeQueryInterruptTime() + (ULONGLONG)(-Timeout->QuadPart);
        else
            Deadline = (ULONGLONG)Timeout->QuadPart;   /* KeQueryInterruptTime's epoch */
    }

    ULONG64 Flags = KiReadRflags();
    NTSTATUS Status;
    for (;;) {
        KeDrainDpcQueue();
        KiDisable();
        if (KiTrySatisfy(Event)) {
            Status = STATUS_SUCCESS;
            break;
        }
        if (Timeout && KeQueryInterruptTime() >= Deadline) {
            Status = STATUS_TIMEOUT;
            break;
        }
        if (KiClockRunning) {
            KiHaltUntilInterrupt();
        } else {
            /* No tick yet (before KeInitTime): HLT could sleep forever. */
            KiEnable();
            _mm_pause();
        }
    }
    if (Flags & KI_EFLAGS_IF)
        KiEnable();
    return Status;
}
