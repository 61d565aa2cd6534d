/* test_ke_sched.c - the scheduler and every dispatcher object (kernel/ke/
 * sched.c, wait.c, event.c, semaphore.c, mutex.c, timer.c) with real
 * threads: the kernel's own context switch (swap.asm) runs on malloc'd
 * stacks in this process.  Time is simulated: each halt of the idle thread
 * (nothing ready) is one 1 ms clock tick - KiTimerExpiry and KiClockTick
 * at CLOCK_LEVEL, as the clock ISR does - and tick() does the same from a
 * running thread, followed by the interrupt's return path (DPCs, then a
 * pending switch). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../kernel/ke/ki.h"

ULONG64 KiHostRflags = KI_EFLAGS_IF;
ULONG64 KiHostCr8;
volatile BOOLEAN KiClockRunning = TRUE;

#define MS 10000ull
static ULONG64 now = 1000 * MS;
ULONGLONG KeQueryInterruptTime(VOID) { return now; }

static ULONG halts;
/* One clock interrupt: the ISR's work at CLOCK_LEVEL, then the return
 * path to the interrupted level (kernel/ke/interrupt.c). */
static void tick(void)
{
    KIRQL old = KiCurrentIrql;
    now += MS;
    KiSetIrql(CLOCK_LEVEL);
    KiTimerExpiry();
    KiClockTick();
    KiSetIrql(old);
    while (old < DISPATCH_LEVEL && (KiDpcPending() || KiSwitchPending())) {
        KiSetIrql(DISPATCH_LEVEL);
        KiRetireDpcList();
        if (KiSwitchPending())
            KiDispatchPending();
        KiSetIrql(old);
    }
}
VOID KiHostHalt(VOID)
{
    halts++;
    /* The idle loop runs the DPCs and switches after the halt. */
    KIRQL old = KiCurrentIrql;
    now += MS;
    KiSetIrql(CLOCK_LEVEL);
    KiTimerExpiry();
    KiClockTick();
    KiSetIrql(old);
}

#define EXPECT_BUGCHECK(code, stmt)                          \
    do {                                                     \
        jmp_buf jb_;                                         \
        host_bugcheck_jmp = &jb_;                            \
        host_last_bugcheck = 0;                              \
        if (setjmp(jb_) == 0) {                              \
            stmt;                                            \
            host_bugcheck_jmp = NULL;                        \
            fail_msg("expected bug check 0x%x", code);       \
        }                                                    \
        host_bugcheck_jmp = NULL;                            \
        assert_int_equal(host_last_bugcheck, code);          \
    } while (0)

/* ---- a small thread harness ---- */

typedef struct {
    KTHREAD Thread;
    void (*Body)(PVOID);
    PVOID Arg;
    BOOLEAN Reaped;
} TEST_THREAD;

static char trace[64];
static int ntrace;
static void mark(char c)
{
    if (ntrace < (int)sizeof(trace) - 1)
        trace[ntrace++] = c;
    trace[ntrace] = 0;
}

static VOID Reap(PKTHREAD Thread)
{
    KeFreeThreadStack(Thread);
    CONTAINING_RECORD(Thread, TEST_THREAD, Thread)->Reaped = TRUE;
}

static VOID Trampoline(PVOID Context)
{
    TEST_THREAD *t = Context;
    t->Body(t->Arg);
}

static void start(TEST_THREAD *t, KPRIORITY prio, void (*body)(PVOID), PVOID arg)
{
    memset(t, 0, sizeof(*t));
    t->Body = body;
    t->Arg = arg;
    assert_int_equal(KeInitializeThread(&t->Thread, "t", prio, Trampoline, t, Reap), STATUS_SUCCESS);
}

/* Waits for the thread's object: it is signalled when the thread ends. */
static void join(TEST_THREAD *t)
{
    assert_int_equal(KeWaitForSingleObject(&t->Thread, Executive, KernelMode, FALSE, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(t->Thread.State, Terminated);
}

static int setup(void **state)
{
    ntrace = 0;
    trace[0] = 0;
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    return 0;
}

/* ---- threads and priorities ---- */

static void body_mark_a(PVOID arg) { mark('a'); }

static void test_thread_runs_and_its_object_signals_on_exit(void **state)
{
    TEST_THREAD t;
    start(&t, 8, body_mark_a, NULL);
    assert_string_equal(trace, "");             /* same priority: not yet */
    assert_int_equal(t.Thread.State, Ready);
    join(&t);                                   /* main blocks, t runs and ends */
    assert_string_equal(trace, "a");
    assert_true(t.Reaped);                      /* stack freed after its last switch */
    assert_null(t.Thread.StackBase);
    assert_int_equal(KeReadStateEvent((PKEVENT)&t.Thread), 1);
}

static void test_higher_priority_preempts_at_once(void **state)
{
    TEST_THREAD t;
    start(&t, 12, body_mark_a, NULL);           /* ready above main (8): runs now */
    mark('m');
    assert_string_equal(trace, "am");
    join(&t);
}

static void body_spin_marking(PVOID arg)
{
    for (int i = 0; i < 30; i++)
        tick();                                 /* a busy thread, the clock ticking */
    mark(*(char *)arg);
}

static void test_quantum_end_rotates_equal_priorities(void **state)
{
    TEST_THREAD t;
    char b = 'b';
    start(&t, 8, body_spin_marking, &b);
    /* main spins too: within a quantum (20 ticks) t gets the CPU. */
    for (int i = 0; i < 25 && ntrace == 0; i++)
        tick();
    assert_string_equal(trace, "");             /* t was switched in but is still spinning */
    assert_true(t.Thread.ContextSwitches >= 1);
    join(&t);
    assert_string_equal(trace, "b");
}

static void test_delay_zero_yields_to_equal_priority(void **state)
{
    TEST_THREAD t;
    LARGE_INTEGER zero = { .QuadPart = 0 };
    start(&t, 8, body_mark_a, NULL);
    KeDelayExecutionThread(KernelMode, FALSE, &zero);
    assert_string_equal(trace, "a");
    join(&t);
}

static void test_delay_sleeps_until_due(void **state)
{
    LARGE_INTEGER d = { .QuadPart = -(LONGLONG)(5 * MS) };
    ULONG64 t0 = now;
    assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &d), STATUS_SUCCESS);
    assert_true(now >= t0 + 5 * MS);
    assert_true(now <= t0 + 7 * MS);
}

static void test_set_priority_requeues(void **state)
{
    TEST_THREAD t;
    start(&t, 4, body_mark_a, NULL);
    assert_string_equal(trace, "");
    assert_int_equal(KeSetPriorityThread(&t.Thread, 9), 4);     /* now above main: runs */
    assert_string_equal(trace, "a");
    join(&t);
}

/* ---- events ---- */

static KEVENT ev;
static void body_wait_ev_mark(PVOID arg)
{
    assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    mark(*(char *)arg);
}

static void test_notification_event_wakes_all(void **state)
{
    TEST_THREAD t1, t2;
    char a = 'a', b = 'b';
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    start(&t1, 10, body_wait_ev_mark, &a);      /* both run now and block */
    start(&t2, 10, body_wait_ev_mark, &b);
    assert_int_equal(t1.Thread.State, Waiting);
    assert_int_equal(t1.Thread.WaitReason, Executive);
    KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);    /* both above main: run at once */
    assert_string_equal(trace, "ab");
    assert_int_equal(KeReadStateEvent(&ev), 1);
    join(&t1);
    join(&t2);
}

static void test_synchronization_event_wakes_one(void **state)
{
    TEST_THREAD t1, t2;
    char a = 'a', b = 'b';
    KeInitializeEvent(&ev, SynchronizationEvent, FALSE);
    start(&t1, 10, body_wait_ev_mark, &a);
    start(&t2, 10, body_wait_ev_mark, &b);
    KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);
    assert_string_equal(trace, "a");            /* first waiter only */
    assert_int_equal(KeReadStateEvent(&ev), 0); /* consumed by the wake */
    assert_int_equal(t2.Thread.State, Waiting);
    KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);
    assert_string_equal(trace, "ab");
    join(&t1);
    join(&t2);
}

static void test_wait_timeout_and_poll(void **state)
{
    KEVENT e;
    LARGE_INTEGER to = { .QuadPart = -(LONGLONG)(3 * MS) }, zero = { .QuadPart = 0 };
    ULONG64 t0 = now;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &to), STATUS_TIMEOUT);
    assert_true(now >= t0 + 3 * MS);
    assert_true(IsListEmpty(&e.Header.WaitListHead));      /* its wait block is gone */
    /* A poll is allowed up to DISPATCH_LEVEL and never blocks. */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KeLowerIrql(old);
}

static void test_wait_at_wrong_irql_bugchecks(void **state)
{
    KEVENT e;
    KIRQL old;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL));
    assert_int_equal(host_last_bugcheck_params[1], DISPATCH_LEVEL);
    KeLowerIrql(old);
    /* The dispatcher lock cannot be taken at device IRQL. */
    KeRaiseIrql(DEVICE_LEVEL_MIN, &old);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeSetEvent(&e, IO_NO_INCREMENT, FALSE));
    KeLowerIrql(old);
    PVOID objs[4] = { &e, &e, &e, &e };
    EXPECT_BUGCHECK(MAXIMUM_WAIT_OBJECTS_EXCEEDED,
                    KeWaitForMultipleObjects(4, objs, WaitAny, Executive, KernelMode, FALSE, NULL, NULL));
}

/* ---- multiple objects ---- */

static KEVENT e1, e2;
static NTSTATUS multi_status;
static void body_wait_all(PVOID arg)
{
    PVOID objs[2] = { &e1, &e2 };
    multi_status = KeWaitForMultipleObjects(2, objs, (WAIT_TYPE)(ULONG_PTR)arg, Executive,
                                            KernelMode, FALSE, NULL, NULL);
    mark('w');
}

static void test_wait_any_returns_the_index(void **state)
{
    TEST_THREAD t;
    KeInitializeEvent(&e1, SynchronizationEvent, FALSE);
    KeInitializeEvent(&e2, SynchronizationEvent, FALSE);
    start(&t, 10, body_wait_all, (PVOID)(ULONG_PTR)WaitAny);
    KeSetEvent(&e2, IO_NO_INCREMENT, FALSE);
    assert_string_equal(trace, "w");
    assert_int_equal(multi_status, STATUS_WAIT_0 + 1);
    assert_int_equal(KeReadStateEvent(&e2), 0);
    assert_true(IsListEmpty(&e1.Header.WaitListHead));     /* unlinked from both */
    join(&t);
}

static void test_wait_all_needs_every_object(void **state)
{
    TEST_THREAD t;
    KeInitializeEvent(&e1, SynchronizationEvent, FALSE);
    KeInitializeEvent(&e2, SynchronizationEvent, FALSE);
    start(&t, 10, body_wait_all, (PVOID)(ULONG_PTR)WaitAll);
    KeSetEvent(&e1, IO_NO_INCREMENT, FALSE);
    assert_string_equal(trace, "");
    assert_int_equal(KeReadStateEvent(&e1), 1);            /* not taken alone */
    KeSetEvent(&e2, IO_NO_INCREMENT, FALSE);
    assert_string_equal(trace, "w");
    assert_int_equal(multi_status, STATUS_WAIT_0);
    assert_int_equal(KeReadStateEvent(&e1), 0);            /* both taken together */
    assert_int_equal(KeReadStateEvent(&e2), 0);
    join(&t);
}

/* ---- semaphores ---- */

static KSEMAPHORE sem;
static void body_take_sem(PVOID arg)
{
    KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL);
    mark(*(char *)arg);
}

static void test_semaphore_counts(void **state)
{
    TEST_THREAD t[3];
    char c[3] = { 'a', 'b', 'c' };
    KeInitializeSemaphore(&sem, 2, 5);
    for (int i = 0; i < 3; i++)
        start(&t[i], 10, body_take_sem, &c[i]);
    assert_string_equal(trace, "ab");
    assert_int_equal(KeReadStateSemaphore(&sem), 0);
    assert_int_equal(KeReleaseSemaphore(&sem, 0, 1, FALSE), 0);
    assert_string_equal(trace, "abc");
    for (int i = 0; i < 3; i++)
        join(&t[i]);
    KeReleaseSemaphore(&sem, 0, 5, FALSE);
    EXPECT_BUGCHECK(KMODE_EXCEPTION_NOT_HANDLED, KeReleaseSemaphore(&sem, 0, 1, FALSE));
    assert_int_equal(host_last_bugcheck_params[0], (ULONG_PTR)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KiSetIrql(PASSIVE_LEVEL);   /* the bug check left the dispatcher lock taken */
}

/* ---- mutexes ---- */

static KMUTEX mtx;
static void body_take_mutex(PVOID arg)
{
    KeWaitForSingleObject(&mtx, Executive, KernelMode, FALSE, NULL);
    mark('t');
    /* Ending while owning it is a bug check; caught here, on this stack. */
    EXPECT_BUGCHECK(THREAD_TERMINATE_HELD_MUTEX, KeTerminateThread(STATUS_SUCCESS));
    KiSetIrql(PASSIVE_LEVEL);   /* the bug check left the dispatcher lock taken */
    KeReleaseMutex(&mtx, FALSE);
}

static void test_mutex_owner_recursion_and_handover(void **state)
{
    TEST_THREAD t;
    KeInitializeMutex(&mtx, 0);
    assert_int_equal(KeWaitForSingleObject(&mtx, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&mtx, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(KeReadStateMutex(&mtx), -1);          /* owned twice */
    start(&t, 10, body_take_mutex, NULL);
    assert_int_equal(t.Thread.State, Waiting);
    KeReleaseMutex(&mtx, FALSE);
    assert_string_equal(trace, "");                         /* still owned once */
    KeReleaseMutex(&mtx, FALSE);
    assert_string_equal(trace, "t");                        /* handed over */
    join(&t);
    assert_int_equal(KeReadStateMutex(&mtx), 1);
    EXPECT_BUGCHECK(THREAD_NOT_MUTEX_OWNER, KeReleaseMutex(&mtx, FALSE));
    KiSetIrql(PASSIVE_LEVEL);
}

static FAST_MUTEX fm;
static void body_fast_mutex(PVOID arg)
{
    ExAcquireFastMutex(&fm);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    mark('f');
    ExReleaseFastMutex(&fm);
}

static void test_fast_mutex(void **state)
{
    TEST_THREAD t;
    ExInitializeFastMutex(&fm);
    ExAcquireFastMutex(&fm);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    EXPECT_BUGCHECK(MUTEX_ALREADY_OWNED, ExAcquireFastMutex(&fm));
    start(&t, 10, body_fast_mutex, NULL);                  /* preempts even at APC_LEVEL */
    assert_int_equal(t.Thread.State, Waiting);
    assert_int_equal(fm.Contention, 1);
    ExReleaseFastMutex(&fm);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_string_equal(trace, "f");
    join(&t);
    assert_true(ExTryToAcquireFastMutex(&fm));
    ExReleaseFastMutex(&fm);
}

/* ---- timers as objects ---- */

static void test_timer_is_waitable(void **state)
{
    KTIMER n, s;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(4 * MS) };
    ULONG64 t0 = now;
    KeInitializeTimer(&n);
    KeInitializeTimerEx(&s, SynchronizationTimer);
    KeSetTimer(&n, due, NULL);
    assert_int_equal(KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_true(now >= t0 + 4 * MS);
    assert_true(KeReadStateTimer(&n));                      /* notification: stays */
    KeSetTimer(&s, due, NULL);
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_false(KeReadStateTimer(&s));                     /* synchronization: taken */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_thread_runs_and_its_object_signals_on_exit, setup),
        cmocka_unit_test_setup(test_higher_priority_preempts_at_once, setup),
        cmocka_unit_test_setup(test_quantum_end_rotates_equal_priorities, setup),
        cmocka_unit_test_setup(test_delay_zero_yields_to_equal_priority, setup),
        cmocka_unit_test_setup(test_delay_sleeps_until_due, setup),
        cmocka_unit_test_setup(test_set_priority_requeues, setup),
        cmocka_unit_test_setup(test_notification_event_wakes_all, setup),
        cmocka_unit_test_setup(test_synchronization_event_wakes_one, setup),
        cmocka_unit_test_setup(test_wait_timeout_and_poll, setup),
        cmocka_unit_test_setup(test_wait_at_wrong_irql_bugchecks, setup),
        cmocka_unit_test_setup(test_wait_any_returns_the_index, setup),
        cmocka_unit_test_setup(test_wait_all_needs_every_object, setup),
        cmocka_unit_test_setup(test_semaphore_counts, setup),
        cmocka_unit_test_setup(test_mutex_owner_recursion_and_handover, setup),
        cmocka_unit_test_setup(test_fast_mutex, setup),
        cmocka_unit_test_setup(test_timer_is_waitable, setup),
    };
    KeInitThreads("main");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
