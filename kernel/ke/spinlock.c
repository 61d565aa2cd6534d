/* spinlock.c - spin locks on one CPU: raising to DISPATCH_LEVEL is the whole
 * of the mutual exclusion (nothing else runs below it), so the lock word
 * only records the owner to catch recursion and unbalanced releases.
 *
 * The lock word holds the acquirer's return address with bit 0 set, so a
 * SPIN_LOCK_ALREADY_OWNED bug check names who holds it (parameter 2). */
#include "ki.h"

#define KI_LOCK_OWNED 1

/* Spin locks held now (one CPU; per-CPU with more).  The verifier compares
 * it across a dispatch routine (kernel/io/verifier.c). */
static ULONG KiSpinLocksHeld;

ULONG KeGetSpinLocksHeld(VOID)
{
    return KiSpinLocksHeld;
}

static inline ULONG_PTR KiLockOwnerWord(PVOID Caller)
{
    return (ULONG_PTR)Caller | KI_LOCK_OWNED;
}

static VOID KiAcquire(PKSPIN_LOCK SpinLock, PVOID Caller)
{
    if (*SpinLock & KI_LOCK_OWNED)
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)SpinLock, *SpinLock & ~1ULL,
                     (ULONG_PTR)Caller, 0);
    *SpinLock = KiLockOwnerWord(Caller);
    KiSpinLocksHeld++;
}

static VOID KiRelease(PKSPIN_LOCK SpinLock, PVOID Caller)
{
    if (!(*SpinLock & KI_LOCK_OWNED))
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)SpinLock, (ULONG_PTR)Caller, 0, 0);
    *SpinLock = 0;
    KiSpinLocksHeld--;
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
}

VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    KIRQL Current = KiCurrentIrql;

    /* The common case, from PASSIVE/APC/DISPATCH: the software levels all
     * leave CR8 at 0 (irql.c), so the raise is one store -- no call into
     * KeRaiseIrql and its table lookups on every lock.  Above DISPATCH_LEVEL
     * KeRaiseIrql bug-checks as it always did. */
    if (__builtin_expect(Current <= DISPATCH_LEVEL, 1)) {
        *OldIrql = Current;
        KiCurrentIrql = DISPATCH_LEVEL;
    } else {
        KeRaiseIrql(DISPATCH_LEVEL, OldIrql);
    }
    KiAcquire(SpinLock, __builtin_return_address(0));
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    KiRelease(SpinLock, __builtin_return_address(0));
    KeLowerIrql(NewIrql);
}

/* The caller is already at DISPATCH_LEVEL or above (NT's contract); below
 * it the lock would protect nothing. */
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (KiCurrentIrql < DISPATCH_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)SpinLock, KiCurrentIrql, 0,
                     (ULONG_PTR)__builtin_return_address(0));
    KiAcquire(SpinLock, __builtin_return_address(0));
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    KiRelease(SpinLock, __builtin_return_address(0));
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    return !(__atomic_load_n(SpinLock, __ATOMIC_RELAXED) & KI_LOCK_OWNED);
}
