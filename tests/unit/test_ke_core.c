/* test_ke_core.c - IRQL, the vector <-> IRQL mapping, spin locks, DPCs,
 * the device interrupt path and event waits (kernel/ke/; the scheduler has
 * its own test, test_ke_sched.c), run in user mode
 * with the privileged instructions simulated (ki.h, NTSTOR_HOST_TEST):
 * KiHostRflags stands for RFLAGS.IF, KiHostCr8 for the APIC task priority,
 * KiHostHalt for "sti; hlt" returning after an interrupt. */
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

static ULONG eoi_count;
VOID HalEndOfInterrupt(VOID) { eoi_count++; }

/* What a halt does (in the idle thread, once the test thread blocks): the
 * hook, then a clock tick - the 1 ms clock's KiTimerExpiry and KiClockTick
 * at CLOCK_LEVEL - while time passes on the host clock. */
static void (*halt_hook)(void);
static ULONG halt_count;
VOID KiHostHalt(VOID)
{
    halt_count++;
    if (halt_hook)
        halt_hook();
    KIRQL old = KiCurrentIrql;
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

static int setup(void **state)
{
    KiCurrentIrql = PASSIVE_LEVEL;
    KiHostCr8 = 0;
    KiHostRflags = KI_EFLAGS_IF;
    eoi_count = 0;
    halt_hook = NULL;
    halt_count = 0;
    return 0;
}

static int teardown(void **state)
{
    assert_false(KiDpcPending());
    return 0;
}

/* ---- IRQL and the TPR ---- */

/* The local APIC delivers a vector iff its class (vector >> 4) is above
 * TPR[7:4] = CR8.  The mapping must make that the same as "the vector's
 * IRQL is above the current IRQL", for every level and every vector. */
static void test_tpr_masks_exactly_lower_or_equal_irqls(void **state)
{
    for (KIRQL irql = PASSIVE_LEVEL; irql <= HIGH_LEVEL; irql++) {
        ULONG64 tpr = KiIrqlToTpr(irql);
        assert_true(tpr <= 15);
        for (ULONG v = KI_FIRST_DEVICE_VECTOR; v < KI_SPURIOUS_VECTOR; v++) {
            BOOLEAN delivered = (v >> 4) > tpr;
            BOOLEAN above = KeVectorToIrql(v) > irql;
            if (delivered != above)
                fail_msg("irql %u vector 0x%x: delivered=%d but vector irql %u", irql, v,
                         delivered, KeVectorToIrql(v));
        }
    }
}

static void test_raise_lower_sets_cr8(void **state)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_int_equal(KiHostCr8, 0);
    KeRaiseIrql(5, &old);
    assert_int_equal(old, DISPATCH_LEVEL);
    assert_int_equal(KiHostCr8, 7);
    KeRaiseIrql(HIGH_LEVEL, &old);
    assert_int_equal(KiHostCr8, 15);
    KeLowerIrql(5);
    assert_int_equal(KiHostCr8, 7);
    KeLowerIrql(PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(KiHostCr8, 0);
    assert_true(KiHostRflags & KI_EFLAGS_IF);
}

static void test_raise_below_current_bugchecks(void **state)
{
    KIRQL old;
    KeRaiseIrql(DEVICE_LEVEL_MIN, &old);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeRaiseIrql(DISPATCH_LEVEL, &old));
    assert_int_equal(host_last_bugcheck_params[0], DISPATCH_LEVEL);
    assert_int_equal(host_last_bugcheck_params[1], DEVICE_LEVEL_MIN);
    KeLowerIrql(PASSIVE_LEVEL);
}

static void test_lower_above_current_bugchecks(void **state)
{
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeLowerIrql(DISPATCH_LEVEL));
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ---- spin locks ---- */

static void test_spinlock_raises_and_restores(void **state)
{
    KSPIN_LOCK lock;
    KIRQL old;
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &old);
    assert_int_equal(old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_true(lock & 1);
    KeReleaseSpinLock(&lock, old);
    assert_int_equal(lock, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_spinlock_recursion_bugchecks(void **state)
{
    KSPIN_LOCK lock;
    KIRQL old, old2;
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &old);
    EXPECT_BUGCHECK(SPIN_LOCK_ALREADY_OWNED, KeAcquireSpinLock(&lock, &old2));
    assert_int_equal(host_last_bugcheck_params[0], (ULONG_PTR)&lock);
    KeReleaseSpinLock(&lock, old);
}

static void test_spinlock_release_unowned_bugchecks(void **state)
{
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KiCurrentIrql = DISPATCH_LEVEL;
    EXPECT_BUGCHECK(SPIN_LOCK_NOT_OWNED, KeReleaseSpinLock(&lock, PASSIVE_LEVEL));
    EXPECT_BUGCHECK(SPIN_LOCK_NOT_OWNED, KeReleaseSpinLockFromDpcLevel(&lock));
    KiCurrentIrql = PASSIVE_LEVEL;
}

static void test_spinlock_at_dpc_level_requires_dispatch(void **state)
{
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeAcquireSpinLockAtDpcLevel(&lock));
    KiCurrentIrql = DISPATCH_LEVEL;
    KeAcquireSpinLockAtDpcLevel(&lock);
    KeReleaseSpinLockFromDpcLevel(&lock);
    assert_int_equal(lock, 0);
    KiCurrentIrql = PASSIVE_LEVEL;
}

/* ---- DPCs ---- */

static char dpc_log[32];
static size_t dpc_log_len;
static KIRQL dpc_irql_seen;

static VOID LogDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    dpc_irql_seen = KeGetCurrentIrql();
    assert_true(dpc_log_len < sizeof(dpc_log) - 1);
    dpc_log[dpc_log_len++] = (char)(ULONG_PTR)Context;
    dpc_log[dpc_log_len] = 0;
    assert_ptr_equal(A1, (PVOID)0x11);
    assert_ptr_equal(A2, (PVOID)0x22);
}

static void reset_dpc_log(void)
{
    dpc_log_len = 0;
    dpc_log[0] = 0;
    dpc_irql_seen = 0xFF;
}

static void test_dpcs_run_in_order_when_lowering(void **state)
{
    KDPC a, b, c;
    KIRQL old;
    reset_dpc_log();
    KeInitializeDpc(&a, LogDpc, (PVOID)'a');
    KeInitializeDpc(&b, LogDpc, (PVOID)'b');
    KeInitializeDpc(&c, LogDpc, (PVOID)'c');
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_true(KeInsertQueueDpc(&a, (PVOID)0x11, (PVOID)0x22));
    assert_true(KeInsertQueueDpc(&b, (PVOID)0x11, (PVOID)0x22));
    assert_false(KeInsertQueueDpc(&a, (PVOID)0x11, (PVOID)0x22));   /* already queued */
    assert_true(KeInsertQueueDpc(&c, (PVOID)0x11, (PVOID)0x22));
    assert_true(KeRemoveQueueDpc(&b));
    assert_false(KeRemoveQueueDpc(&b));
    KeDrainDpcQueue();              /* at DISPATCH: must not run them */
    assert_string_equal(dpc_log, "");
    KeLowerIrql(old);
    assert_string_equal(dpc_log, "ac");
    assert_int_equal(dpc_irql_seen, DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_false(a.Inserted);
}

static void test_dpc_queued_at_passive_runs_at_once(void **state)
{
    KDPC a;
    reset_dpc_log();
    KeInitializeDpc(&a, LogDpc, (PVOID)'x');
    assert_true(KeInsertQueueDpc(&a, (PVOID)0x11, (PVOID)0x22));
    assert_string_equal(dpc_log, "x");
    assert_int_equal(dpc_irql_seen, DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static int requeue_left;
static VOID RequeueDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (*(int *)Context)++;
    if (requeue_left-- > 0)
        assert_true(KeInsertQueueDpc(Dpc, NULL, NULL));
}

static void test_dpc_may_requeue_itself(void **state)
{
    KDPC d;
    int runs = 0;
    KIRQL old;
    requeue_left = 2;
    KeInitializeDpc(&d, RequeueDpc, &runs);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&d, NULL, NULL);
    KeLowerIrql(old);
    assert_int_equal(runs, 3);
}

static VOID BadDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    KIRQL old;
    KeRaiseIrql(DEVICE_LEVEL_MIN, &old);    /* and never lowers */
}

static void test_dpc_returning_at_wrong_irql_bugchecks(void **state)
{
    KDPC d;
    KeInitializeDpc(&d, BadDpc, NULL);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, KeInsertQueueDpc(&d, NULL, NULL));
    assert_int_equal(host_last_bugcheck_params[3], (ULONG_PTR)BadDpc);
    KiCurrentIrql = PASSIVE_LEVEL;
}

/* ---- device interrupts ---- */

typedef struct isr_record {
    int calls;
    KIRQL irql;
    ULONG64 cr8;
    BOOLEAN interrupts_on;
    BOOLEAN claim;
    PKDPC dpc;
} isr_record;

static BOOLEAN RecordingIsr(PVOID Context)
{
    isr_record *r = Context;
    r->calls++;
    r->irql = KeGetCurrentIrql();
    r->cr8 = KiHostCr8;
    r->interrupts_on = (KiHostRflags & KI_EFLAGS_IF) != 0;
    if (r->dpc)
        KeInsertQueueDpc(r->dpc, (PVOID)0x11, (PVOID)0x22);
    return r->claim;
}

static void take_interrupt(ULONG vector)
{
    KTRAP_FRAME frame;
    memset(&frame, 0, sizeof(frame));
    frame.Vector = vector;
    KiHostRflags = 0;               /* interrupt gates clear IF */
    KiInterruptDispatch(&frame);
    assert_false(KiHostRflags & KI_EFLAGS_IF);   /* iretq restores it, not C */
    KiHostRflags = KI_EFLAGS_IF;
}

static void test_vector_allocation_follows_irql(void **state)
{
    ULONG got[16];
    ULONG n = 0;
    for (;;) {
        ULONG v = KeAllocateVector(7);
        if (!v)
            break;
        assert_true(n < 16);
        assert_int_equal(KeVectorToIrql(v), 7);
        got[n++] = v;
    }
    assert_int_equal(n, 16);
    KeFreeVector(got[3]);
    assert_int_equal(KeAllocateVector(7), got[3]);
    for (ULONG i = 0; i < n; i++)
        KeFreeVector(got[i]);
    /* CLOCK_LEVEL keeps the clock and spurious vectors for itself. */
    ULONG v = KeAllocateVector(CLOCK_LEVEL);
    assert_true(v > KI_CLOCK_VECTOR && v < KI_SPURIOUS_VECTOR);
    KeFreeVector(v);
    assert_int_equal(KeAllocateVector(PASSIVE_LEVEL), 0);
    assert_int_equal(KeAllocateVector(DISPATCH_LEVEL), 0);
    assert_int_equal(KeAllocateVector(HIGH_LEVEL), 0);
}

static void test_interrupt_runs_every_shared_routine_at_its_irql(void **state)
{
    ULONG vector = KeAllocateVector(6);
    isr_record r1 = { .claim = FALSE }, r2 = { .claim = TRUE };
    PVOID c1 = KeConnectVector(vector, RecordingIsr, &r1);
    PVOID c2 = KeConnectVector(vector, RecordingIsr, &r2);
    assert_non_null(c1);
    assert_non_null(c2);

    ULONG64 before = KeQueryVectorCount(vector, NULL);
    take_interrupt(vector);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r1.irql, 6);
    assert_int_equal(r1.cr8, 8);
    assert_true(r1.interrupts_on);
    assert_int_equal(eoi_count, 1);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(KiHostCr8, 0);
    ULONG64 unclaimed;
    assert_int_equal(KeQueryVectorCount(vector, &unclaimed), before + 1);

    KeDisconnectVector(c2);
    take_interrupt(vector);
    assert_int_equal(r1.calls, 2);
    assert_int_equal(r2.calls, 1);
    ULONG64 unclaimed2;
    KeQueryVectorCount(vector, &unclaimed2);
    assert_int_equal(unclaimed2, unclaimed + 1);   /* only r1, which declines */

    KeDisconnectVector(c1);
    KeFreeVector(vector);
}

static void test_interrupt_queues_dpc_run_on_return_to_passive(void **state)
{
    ULONG vector = KeAllocateVector(DEVICE_LEVEL_MAX);
    KDPC dpc;
    isr_record r = { .claim = TRUE, .dpc = &dpc };
    reset_dpc_log();
    KeInitializeDpc(&dpc, LogDpc, (PVOID)'i');
    PVOID c = KeConnectVector(vector, RecordingIsr, &r);

    take_interrupt(vector);
    assert_string_equal(dpc_log, "i");
    assert_int_equal(dpc_irql_seen, DISPATCH_LEVEL);
    assert_int_equal(r.irql, DEVICE_LEVEL_MAX);
    assert_int_equal(r.cr8, 14);

    /* Interrupting DISPATCH-level code: the DPC waits for the lowering. */
    reset_dpc_log();
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    take_interrupt(vector);
    assert_string_equal(dpc_log, "");
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    assert_string_equal(dpc_log, "i");

    KeDisconnectVector(c);
    KeFreeVector(vector);
}

static void test_spurious_vector_ignored(void **state)
{
    isr_record r = { .claim = TRUE };
    assert_null(KeConnectVector(KI_SPURIOUS_VECTOR, RecordingIsr, &r));
    assert_null(KeConnectVector(KI_VECTOR_PF, RecordingIsr, &r));
    take_interrupt(KI_SPURIOUS_VECTOR);
    assert_int_equal(eoi_count, 0);
    assert_int_equal(r.calls, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_connection_table_exhaustion(void **state)
{
    isr_record r = { 0 };
    PVOID cookies[128];
    ULONG n = 0;
    while (n < 128 && (cookies[n] = KeConnectVector(0x60, RecordingIsr, &r)) != NULL)
        n++;
    assert_true(n > 0 && n < 128);
    KeDisconnectVector(cookies[0]);
    KeDisconnectVector(cookies[0]);     /* twice: ignored */
    PVOID again = KeConnectVector(0x60, RecordingIsr, &r);
    assert_ptr_equal(again, cookies[0]);
    for (ULONG i = 0; i < n; i++)
        KeDisconnectVector(cookies[i]);
    take_interrupt(0x60);
    assert_int_equal(r.calls, 0);
}

/* ---- events and waits ---- */

static void test_event_state_operations(void **state)
{
    KEVENT e;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    assert_int_equal(KeReadStateEvent(&e), 0);
    assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
    assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 1);
    assert_int_equal(KeResetEvent(&e), 1);
    assert_int_equal(KeReadStateEvent(&e), 0);
    KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
    KeClearEvent(&e);
    assert_int_equal(KeReadStateEvent(&e), 0);
}

static void test_wait_on_signalled_events(void **state)
{
    KEVENT n, s;
    KeInitializeEvent(&n, NotificationEvent, TRUE);
    KeInitializeEvent(&s, SynchronizationEvent, TRUE);
    assert_int_equal(KeWaitForSingleObject(&n, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&n), 1);      /* notification stays set */
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&s), 0);      /* synchronization resets */
    LARGE_INTEGER zero = { .QuadPart = 0 };
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    assert_int_equal(halt_count, 0);
}

static void test_wait_times_out(void **state)
{
    KEVENT e;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    LARGE_INTEGER timeout = { .QuadPart = -20 * 10000 };   /* 20 ms */
    ULONGLONG start = KeQueryInterruptTime();
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
    ULONGLONG elapsed = KeQueryInterruptTime() - start;
    assert_true(elapsed >= 20 * 10000);
    assert_true(halt_count > 0);
    assert_true(KiHostRflags & KI_EFLAGS_IF);

    /* An absolute deadline already in the past. */
    timeout.QuadPart = (LONGLONG)KeQueryInterruptTime() - 1;
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
}

/* The "interrupt" during the halt queues a DPC that sets the event. */
static KEVENT wake_event;
static KDPC wake_dpc;
static VOID SetEventDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    KeSetEvent(Context, IO_NO_INCREMENT, FALSE);
}
static void interrupt_queues_wake_dpc(void)
{
    if (halt_count == 3) {
        KIRQL old;
        KeRaiseIrql(DEVICE_LEVEL_MIN, &old);  /* as an ISR would */
        KeInsertQueueDpc(&wake_dpc, NULL, NULL);
        KiCurrentIrql = old;                  /* ISR return */
    }
}

static void test_wait_woken_by_dpc(void **state)
{
    KeInitializeEvent(&wake_event, SynchronizationEvent, FALSE);
    KeInitializeDpc(&wake_dpc, SetEventDpc, &wake_event);
    halt_hook = interrupt_queues_wake_dpc;
    assert_int_equal(KeWaitForSingleObject(&wake_event, Executive, KernelMode, FALSE, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(halt_count, 3);
    assert_int_equal(KeReadStateEvent(&wake_event), 0);
}

static void test_wait_above_passive_bugchecks(void **state)
{
    KEVENT e;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    KiCurrentIrql = DISPATCH_LEVEL;
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL,
                    KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL));
    LARGE_INTEGER zero = { .QuadPart = 0 };
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KiCurrentIrql = PASSIVE_LEVEL;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tpr_masks_exactly_lower_or_equal_irqls),
        T(test_raise_lower_sets_cr8),
        T(test_raise_below_current_bugchecks),
        T(test_lower_above_current_bugchecks),
        T(test_spinlock_raises_and_restores),
        T(test_spinlock_recursion_bugchecks),
        T(test_spinlock_release_unowned_bugchecks),
        T(test_spinlock_at_dpc_level_requires_dispatch),
        T(test_dpcs_run_in_order_when_lowering),
        T(test_dpc_queued_at_passive_runs_at_once),
        T(test_dpc_may_requeue_itself),
        T(test_dpc_returning_at_wrong_irql_bugchecks),
        T(test_vector_allocation_follows_irql),
        T(test_interrupt_runs_every_shared_routine_at_its_irql),
        T(test_interrupt_queues_dpc_run_on_return_to_passive),
        T(test_spurious_vector_ignored),
        T(test_connection_table_exhaustion),
        T(test_event_state_operations),
        T(test_wait_on_signalled_events),
        T(test_wait_times_out),
        T(test_wait_woken_by_dpc),
        T(test_wait_above_passive_bugchecks),
    };
    /* Waits block the calling thread: this process's main stack becomes
     * the first thread, as the boot stack does in the kernel. */
    KeInitThreads("main");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
