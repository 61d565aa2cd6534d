/* mutex.c - kernel mutexes (KMUTEX) and fast mutexes (FAST_MUTEX).
 *
 * A KMUTEX is a dispatcher object: SignalState 1 when free, 0 owned once,
 * -n owned n+1 times by the same thread (waits by the owner succeed at
 * once).  The owner's list of held mutexes (KTHREAD.MutantListHead, under
 * the dispatcher lock) lets thread exit and the worker threads catch a
 * mutex that would never be released.
 *
 * A FAST_MUTEX is NT's cheaper lock: a count changed atomically, and a
 * synchronization event only when there is contention.  The owner runs at
 * APC_LEVEL; not recursive. */
#include "ki.h"

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
    KiInitializeHeader(&Mutex->Header, MutantObject, 1);
    InitializeListHead(&Mutex->MutantListEntry);
    Mutex->OwnerThread = NULL;
    Mutex->Abandoned = FALSE;
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL Old = KiAcquireDispatcher(Mutex);
    LONG Previous = Mutex->Header.SignalState;

    if (Mutex->OwnerThread != Thread || Previous > 0)
        KeBugCheckEx(THREAD_NOT_MUTEX_OWNER, (ULONG_PTR)Thread, (ULONG_PTR)Mutex,
                     (ULONG_PTR)Mutex->OwnerThread, 0);
    Mutex->Header.SignalState = Previous + 1;
    if (Mutex->Header.SignalState == 1) {
        RemoveEntryList(&Mutex->MutantListEntry);
        InitializeListHead(&Mutex->MutantListEntry);
        Mutex->OwnerThread = NULL;
        if (!IsListEmpty(&Mutex->Header.WaitListHead))
            KiWaitTest(&Mutex->Header);
    }
    KiReleaseDispatcher(Old);
    return Previous;
}

LONG KeReadStateMutex(PRKMUTEX Mutex)
{
    return Mutex->Header.SignalState;
}

/* ---- fast mutexes ---- */

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    FastMutex->Count = 1;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    FastMutex->OldIrql = PASSIVE_LEVEL;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
}

static KIRQL KiRaiseForFastMutex(PFAST_MUTEX FastMutex, PVOID Caller)
{
    KIRQL Old = KiCurrentIrql;

    if (Old > APC_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)FastMutex, Old, 6, (ULONG_PTR)Caller);
    if (FastMutex->Owner == KeGetCurrentThread())
        KeBugCheckEx(MUTEX_ALREADY_OWNED, (ULONG_PTR)FastMutex, (ULONG_PTR)FastMutex->Owner, 0,
                     (ULONG_PTR)Caller);
    KeRaiseIrql(APC_LEVEL, &Old);
    return Old;
}

static VOID KiTakeFastMutex(PFAST_MUTEX FastMutex, KIRQL Old)
{
    PKTHREAD Thread = KeGetCurrentThread();
    FastMutex->Owner = Thread;
    FastMutex->OldIrql = Old;
    Thread->FastMutexCount++;
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL Old = KiRaiseForFastMutex(FastMutex, __builtin_return_address(0));

    /* 1 -> 0: ours.  Lower: owned; the releaser's KeSetEvent hands it over. */
    if (__atomic_sub_fetch(&FastMutex->Count, 1, __ATOMIC_SEQ_CST) != 0) {
        FastMutex->Contention++;
        KeWaitForSingleObject(&FastMutex->Event, WrExecutive, KernelMode, FALSE, NULL);
    }
    KiTakeFastMutex(FastMutex, Old);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL Old = KiRaiseForFastMutex(FastMutex, __builtin_return_address(0));
    LONG Free = 1;

    if (!__atomic_compare_exchange_n(&FastMutex->Count, &Free, 0, FALSE,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        KeLowerIrql(Old);
        return FALSE;
    }
    KiTakeFastMutex(FastMutex, Old);
    return TRUE;
}

VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = KeGetCurrentThread();

    if (FastMutex->Owner != Thread)
        KeBugCheckEx(THREAD_NOT_MUTEX_OWNER, (ULONG_PTR)Thread, (ULONG_PTR)FastMutex,
                     (ULONG_PTR)FastMutex->Owner, 1);
    KIRQL Old = (KIRQL)FastMutex->OldIrql;
    FastMutex->Owner = NULL;
    Thread->FastMutexCount--;
    if (__atomic_add_fetch(&FastMutex->Count, 1, __ATOMIC_SEQ_CST) != 1)
        KeSetEvent(&FastMutex->Event, IO_NO_INCREMENT, FALSE);
    KeLowerIrql(Old);
}
