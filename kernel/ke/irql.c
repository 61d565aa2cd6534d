/* irql.c - interrupt request levels on one CPU.
 *
 * The mapping (one place for it; interrupt.c and KeAllocateVector follow it):
 *
 *   IRQL                 vectors            CR8 (TPR class) while at it
 *   0 PASSIVE, 1 APC,    -                  0   (software levels; no device
 *   2 DISPATCH                                   vector is masked)
 *   3..12 device         (IRQL+2) << 4 | k  IRQL + 2   (0x50..0xEF)
 *   13 CLOCK             0xF0..0xFE         15
 *   14 IPI, 15 HIGH      -                  15
 *
 * The local APIC delivers a vector only if its priority class (vector >> 4)
 * is above TPR[7:4], which CR8 aliases in long mode (SDM vol. 3 10.8.3.1 and
 * 10.8.6).  With CR8 = IRQL + 2, a device vector of IRQL n gets through
 * exactly when n > the current IRQL.  Vectors 0x20..0x4F (classes 2..4) are
 * treated as IRQL 3: masked at 3 and above, like the lowest device level.
 *
 * DISPATCH_LEVEL and below leave CR8 at 0, so the commonest changes
 * (spin locks: PASSIVE <-> DISPATCH) cost no CR8 write.  Lowering below
 * DISPATCH_LEVEL runs queued DPCs and then a pending thread switch, as
 * NT's software DISPATCH interrupt does. */
#include "ki.h"

volatile KIRQL KiCurrentIrql = PASSIVE_LEVEL;

static const UCHAR KiTprForIrql[HIGH_LEVEL + 1] = {
    0, 0, 0,                            /* PASSIVE, APC, DISPATCH */
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14,  /* device levels 3..12 */
    15,                                 /* CLOCK */
    15, 15,                             /* IPI, HIGH */
};

ULONG64 KiIrqlToTpr(KIRQL Irql)
{
    return KiTprForIrql[Irql > HIGH_LEVEL ? HIGH_LEVEL : Irql];
}

/* Raising: mask in hardware first, then record.  Lowering: record first,
 * then unmask.  Either way an interrupt in between sees a level at least
 * as high as the one it may preempt. */
VOID KiSetIrql(KIRQL Irql)
{
    KIRQL Old = KiCurrentIrql;
    UCHAR OldTpr = KiTprForIrql[Old], NewTpr = KiTprForIrql[Irql];

    if (Irql >= Old) {
        if (NewTpr != OldTpr)
            KiWriteCr8(NewTpr);
        KiCurrentIrql = Irql;
    } else {
        KiCurrentIrql = Irql;
        if (NewTpr != OldTpr)
            KiWriteCr8(NewTpr);
    }
}

KIRQL KeGetCurrentIrql(VOID)
{
    return KiCurrentIrql;
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL Current = KiCurrentIrql;

    /* NT: P1 new level, P2 current level, P3 0 = raise, P4 caller. */
    if (NewIrql < Current || NewIrql > HIGH_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, NewIrql, Current, 0,
                     (ULONG_PTR)__builtin_return_address(0));
    *OldIrql = Current;
    KiSetIrql(NewIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    KIRQL Old;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    return Old;
}

/* The lowering that has something to run: DPCs, then a thread switch.
 * Out of line so the common case (nothing queued, every spin-lock
 * release) stays a short leaf function. */
static __attribute__((noinline)) VOID KiLowerIrqlAndDispatch(KIRQL NewIrql, ULONG64 Flags)
{
    while (NewIrql < DISPATCH_LEVEL && (KiDpcPending() || KiSwitchPending())) {
        KiSetIrql(DISPATCH_LEVEL);
        KiRestoreInterrupts(Flags);
        KiRetireDpcList();
        /* A thread readied by a DPC or by the code that held the level may
         * preempt this one now (sched.c); we resume here when it is our
         * turn again. */
        if (KiSwitchPending())
            KiDispatchPending();
        KiDisable();
        KiSetIrql(NewIrql);
    }
    KiRestoreInterrupts(Flags);
}

VOID KeLowerIrql(KIRQL NewIrql)
{
    KIRQL Current = KiCurrentIrql;

    if (NewIrql > Current)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, NewIrql, Current, 1,
                     (ULONG_PTR)__builtin_return_address(0));

    /* Interrupts off while checking the DPC queue, so a DPC an ISR queues
     * between the check and the lowering cannot be stranded. */
    ULONG64 Flags = KiDisableInterrupts();
    KiSetIrql(NewIrql);
    if (NewIrql < DISPATCH_LEVEL && (KiDpcPending() || KiSwitchPending())) {
        KiLowerIrqlAndDispatch(NewIrql, Flags);
        return;
    }
    KiRestoreInterrupts(Flags);
}
