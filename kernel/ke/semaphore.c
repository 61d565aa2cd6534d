/* semaphore.c - counting semaphores (KSEMAPHORE): the signal state is the
 * count; each satisfied wait takes one.  Release under the dispatcher lock
 * (IRQL <= DISPATCH_LEVEL). */
#include "ki.h"

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    ASSERT(Limit > 0 && Count >= 0 && Count <= Limit);
    KiInitializeHeader(&Semaphore->Header, SemaphoreObject, Count);
    Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
    KIRQL Old = KiAcquireDispatcher(Semaphore);
    LONG Previous = Semaphore->Header.SignalState;

    /* NT raises STATUS_SEMAPHORE_LIMIT_EXCEEDED; with no handler to catch
     * it that is this bug check. */
    if (Adjustment <= 0 || Previous > Semaphore->Limit - Adjustment)
        KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                     (ULONG_PTR)Semaphore, (ULONG_PTR)Previous, (ULONG_PTR)Adjustment);
    Semaphore->Header.SignalState = Previous + Adjustment;
    if (Previous == 0 && !IsListEmpty(&Semaphore->Header.WaitListHead))
        KiWaitTest(&Semaphore->Header);
    KiReleaseDispatcher(Old);
    return Previous;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
{
    return Semaphore->Header.SignalState;
}
