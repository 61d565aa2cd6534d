/* event.c - events (KEVENT): notification events stay signalled and wake
 * every waiter; synchronization events wake one waiter and reset as they
 * do.  Setting takes the dispatcher lock (wait.c), so IRQL <=
 * DISPATCH_LEVEL: completion routines and DPCs set events, ISRs queue a
 * DPC to do it. */
#include "ki.h"

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    KiInitializeHeader(&Event->Header,
                       Type == SynchronizationEvent ? EventSynchronizationObject
                                                    : EventNotificationObject,
                       State ? 1 : 0);
}

/* Returns the previous state.  With no waiter this is a flag store under
 * the lock: the completion path pays no more than that. */
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    KIRQL Old = KiAcquireDispatcher(Event);
    LONG Previous = Event->Header.SignalState;

    if (!Previous) {
        Event->Header.SignalState = 1;
        if (!IsListEmpty(&Event->Header.WaitListHead))
            KiWaitTest(&Event->Header);
    }
    KiReleaseDispatcher(Old);
    return Previous;
}

/* NT clears without the lock: a store cannot wake anyone. */
VOID KeClearEvent(PRKEVENT Event)
{
    __atomic_store_n(&Event->Header.SignalState, 0, __ATOMIC_SEQ_CST);
}

LONG KeResetEvent(PRKEVENT Event)
{
    return __atomic_exchange_n(&Event->Header.SignalState, 0, __ATOMIC_SEQ_CST);
}

LONG KeReadStateEvent(PRKEVENT Event)
{
    return Event->Header.SignalState;
}
