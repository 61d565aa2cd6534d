/* test_ke_timer.c - kernel timers (kernel/ke/timer.c) on the host: a clock
 * the test moves by hand stands for KeQueryInterruptTime and the test calls
 * KiTimerExpiry as the 1 ms clock tick would (at PASSIVE_LEVEL, so the
 * expiry DPC it queues runs at once).  Relative and absolute due
 * times, one-shot and periodic, cancel, re-set, expiry order, the DPC
 * queued on expiry (host_support's DPC queue) with the timer as argument. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../kernel/ke/ki.h"

ULONG64 KiHostRflags = KI_EFLAGS_IF;
ULONG64 KiHostCr8;
VOID KiHostHalt(VOID) { }
volatile BOOLEAN KiClockRunning = TRUE;

static ULONG64 now;     /* 100 ns units */
ULONGLONG KeQueryInterruptTime(VOID) { return now; }

#define MS 10000ull

/* DPC routine: records the order of expiries and the timer passed. */
static PVOID fired[32];
static int nfired;
static VOID record_dpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    assert_true(nfired < 32);
    fired[nfired++] = Context;
    /* KiTimerExpiry passes the timer as SystemArgument1. */
    assert_non_null(Arg1);
}

static void tick_to(ULONG64 t)
{
    now = t;
    KiTimerExpiry();
    assert_true(KiHostRflags & KI_EFLAGS_IF);
    host_run_dpcs();
}

static int setup(void **state)
{
    nfired = 0;
    now = 1000 * MS;
    KiHostRflags = KI_EFLAGS_IF;
    return 0;
}

static void test_relative_one_shot(void **state)
{
    KTIMER t;
    KDPC d;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(5 * MS) };

    KeInitializeTimer(&t);
    KeInitializeDpc(&d, record_dpc, (PVOID)1);
    assert_false(KeSetTimer(&t, due, &d));          /* was not queued */
    assert_true(t.Inserted);
    assert_false(KeReadStateTimer(&t));
    assert_true(KiHostRflags & KI_EFLAGS_IF);       /* interrupts restored */

    tick_to(1004 * MS);
    assert_int_equal(nfired, 0);
    assert_false(d.Inserted);
    tick_to(1005 * MS);                              /* due exactly now */
    assert_int_equal(nfired, 1);
    assert_ptr_equal(fired[0], (PVOID)1);
    assert_true(KeReadStateTimer(&t));
    assert_false(t.Inserted);                        /* one-shot: dequeued */
    tick_to(1100 * MS);
    assert_int_equal(nfired, 1);                     /* fires once */
    assert_false(KeCancelTimer(&t));                 /* nothing to cancel */
}

static void test_absolute_due_time(void **state)
{
    KTIMER t;
    KDPC d;
    LARGE_INTEGER due = { .QuadPart = (LONGLONG)(1500 * MS) };

    KeInitializeTimer(&t);
    KeInitializeDpc(&d, record_dpc, (PVOID)2);
    KeSetTimer(&t, due, &d);
    tick_to(1499 * MS);
    assert_int_equal(nfired, 0);
    tick_to(1501 * MS);
    assert_int_equal(nfired, 1);

    /* An absolute time already past fires on the next tick. */
    due.QuadPart = (LONGLONG)(10 * MS);
    KeSetTimer(&t, due, &d);
    tick_to(now);
    assert_int_equal(nfired, 2);
}

static void test_periodic_no_drift_and_skip(void **state)
{
    KTIMER t;
    KDPC d;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(10 * MS) };

    KeInitializeTimer(&t);
    KeInitializeDpc(&d, record_dpc, (PVOID)3);
    KeSetTimerEx(&t, due, 10, &d);                   /* 1010, 1020, 1030 ... */
    tick_to(1012 * MS);                              /* a late tick */
    assert_int_equal(nfired, 1);
    assert_true(t.Inserted);
    assert_int_equal(t.DueTime, 1020 * MS);          /* from the due time, not the tick */
    tick_to(1019 * MS);
    assert_int_equal(nfired, 1);
    tick_to(1020 * MS);
    assert_int_equal(nfired, 2);
    /* Far behind (interrupts off for 100 ms): one expiry, next period from now. */
    tick_to(1125 * MS);
    assert_int_equal(nfired, 3);
    assert_int_equal(t.DueTime, 1135 * MS);
    assert_true(KeCancelTimer(&t));
    assert_false(t.Inserted);
    tick_to(2000 * MS);
    assert_int_equal(nfired, 3);
}

static void test_cancel_and_reset(void **state)
{
    KTIMER t;
    KDPC d;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(5 * MS) };

    KeInitializeTimer(&t);
    KeInitializeDpc(&d, record_dpc, (PVOID)4);
    KeSetTimer(&t, due, &d);
    assert_true(KeCancelTimer(&t));
    assert_false(KeCancelTimer(&t));
    tick_to(1010 * MS);
    assert_int_equal(nfired, 0);

    /* Re-setting a queued timer moves it (returns TRUE: it was queued). */
    KeSetTimer(&t, due, &d);                         /* 1015 */
    due.QuadPart = -(LONGLONG)(20 * MS);
    assert_true(KeSetTimer(&t, due, &d));            /* 1030 */
    tick_to(1016 * MS);
    assert_int_equal(nfired, 0);
    tick_to(1030 * MS);
    assert_int_equal(nfired, 1);

    /* A cancelled early timer does not hold back a later one: the next
     * due time is recomputed. */
    KTIMER a, b;
    KDPC da, db;
    KeInitializeTimer(&a);
    KeInitializeTimer(&b);
    KeInitializeDpc(&da, record_dpc, (PVOID)5);
    KeInitializeDpc(&db, record_dpc, (PVOID)6);
    due.QuadPart = -(LONGLONG)(1 * MS);
    KeSetTimer(&a, due, &da);
    due.QuadPart = -(LONGLONG)(3 * MS);
    KeSetTimer(&b, due, &db);
    KeCancelTimer(&a);
    tick_to(now + 3 * MS);
    assert_int_equal(nfired, 2);
    assert_ptr_equal(fired[1], (PVOID)6);
}

static void test_expiry_order_and_dpc_queue(void **state)
{
    KTIMER t[4];
    KDPC d[4];
    /* Queued in the order 30, 10, 20, 10 ms. */
    const LONGLONG ms[4] = { 30, 10, 20, 10 };

    for (int i = 0; i < 4; i++) {
        LARGE_INTEGER due = { .QuadPart = -ms[i] * (LONGLONG)MS };
        KeInitializeTimer(&t[i]);
        KeInitializeDpc(&d[i], record_dpc, (PVOID)(ULONG_PTR)(10 + i));
        KeSetTimer(&t[i], due, &d[i]);
    }
    tick_to(now + 10 * MS);
    assert_int_equal(nfired, 2);                     /* both 10 ms timers, queue order */
    assert_ptr_equal(fired[0], (PVOID)11);
    assert_ptr_equal(fired[1], (PVOID)13);
    tick_to(now + 10 * MS);
    assert_int_equal(nfired, 3);
    assert_ptr_equal(fired[2], (PVOID)12);
    tick_to(now + 10 * MS);
    assert_int_equal(nfired, 4);
    assert_ptr_equal(fired[3], (PVOID)10);

    /* The clock ISR only queues the expiry DPC; timers are handled when it
     * runs (IRQL below DISPATCH_LEVEL).  Two ticks while it is held off
     * fire a periodic timer once, and its DPC once. */
    KTIMER p;
    KDPC dp;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(1 * MS) };
    KIRQL old;
    KeInitializeTimer(&p);
    KeInitializeDpc(&dp, record_dpc, (PVOID)20);
    KeSetTimerEx(&p, due, 1, &dp);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    now += 1 * MS;
    KiTimerExpiry();
    now += 1 * MS;
    KiTimerExpiry();
    assert_int_equal(nfired, 4);
    assert_false(KeReadStateTimer(&p));
    KeLowerIrql(old);
    assert_int_equal(nfired, 5);
    assert_ptr_equal(fired[4], (PVOID)20);
    assert_true(KeReadStateTimer(&p));
    assert_true(p.Inserted);
    assert_true(p.DueTime > now);                   /* missed period skipped */
    KeCancelTimer(&p);

    /* A timer without a DPC is only signalled. */
    KTIMER s;
    KeInitializeTimer(&s);
    KeSetTimer(&s, due, NULL);
    tick_to(now + 1 * MS);
    assert_true(KeReadStateTimer(&s));
    assert_int_equal(nfired, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_relative_one_shot, setup),
        cmocka_unit_test_setup(test_absolute_due_time, setup),
        cmocka_unit_test_setup(test_periodic_no_drift_and_skip, setup),
        cmocka_unit_test_setup(test_cancel_and_reset, setup),
        cmocka_unit_test_setup(test_expiry_order_and_dpc_queue, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
