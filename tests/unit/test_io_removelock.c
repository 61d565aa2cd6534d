/* test_io_removelock.c - NT's remove locks (kernel/io/removelock.c) with
 * real threads on the kernel's own dispatcher (as test_ke_sched.c): a
 * holder thread keeps the lock while the remover's
 * IoReleaseRemoveLockAndWait sleeps, and only its release lets the
 * remover go on; acquires after removal began fail with
 * STATUS_DELETE_PENDING; releasing more than acquired bug-checks. */
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

/* Nothing ready: one clock tick passes (timers expire, as the ISR does). */
VOID KiHostHalt(VOID)
{
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

typedef struct {
    KTHREAD Thread;
    void (*Body)(PVOID);
    PVOID Arg;
} TEST_THREAD;

static VOID Reap(PKTHREAD Thread) { KeFreeThreadStack(Thread); }
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
static void join(TEST_THREAD *t)
{
    assert_int_equal(KeWaitForSingleObject(&t->Thread, Executive, KernelMode, FALSE, NULL),
                     STATUS_SUCCESS);
}

static IO_REMOVE_LOCK lock;
static KEVENT go;                   /* tells the holder to release */
static volatile int removerDone;    /* the remover got past ReleaseAndWait */
static volatile int holderReleasedBeforeRemover;

static void test_acquire_release_count(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_int_equal(lock.Common.IoCount, 1);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)2), STATUS_SUCCESS);
    assert_int_equal(lock.Common.IoCount, 3);
    IoReleaseRemoveLock(&lock, (PVOID)2);
    IoReleaseRemoveLock(&lock, (PVOID)1);
    assert_int_equal(lock.Common.IoCount, 1);
    /* Acquire and release also work at DISPATCH_LEVEL (completion routines). */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)3), STATUS_SUCCESS);
    IoReleaseRemoveLock(&lock, (PVOID)3);
    KeLowerIrql(old);
    /* No holder but the remover: ReleaseAndWait returns at once. */
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)4), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&lock, (PVOID)4);
    assert_int_equal(lock.Common.IoCount, 0);
    assert_true(lock.Common.Removed);
}

static void body_holder(PVOID arg)
{
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)7), STATUS_SUCCESS);
    KeWaitForSingleObject(&go, Executive, KernelMode, FALSE, NULL);
    holderReleasedBeforeRemover = !removerDone;
    IoReleaseRemoveLock(&lock, (PVOID)7);
}

static void body_remover(PVOID arg)
{
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)8), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&lock, (PVOID)8);
    removerDone = 1;
}

static void test_release_and_wait_waits_for_holders(void **state)
{
    TEST_THREAD holder, remover;

    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    removerDone = 0;
    holderReleasedBeforeRemover = 0;
    start(&holder, 10, body_holder, NULL);      /* above main: acquires, then waits for go */
    assert_int_equal(holder.Thread.State, Waiting);
    start(&remover, 10, body_remover, NULL);    /* blocks in ReleaseAndWait */
    assert_int_equal(remover.Thread.State, Waiting);
    assert_false(removerDone);
    assert_true(lock.Common.Removed);
    /* New requests are refused while removal waits. */
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)9), STATUS_DELETE_PENDING);
    assert_int_equal(lock.Common.IoCount, 1);   /* the holder only */
    /* Time passes: still waiting for the holder. */
    LARGE_INTEGER d = { .QuadPart = -(LONGLONG)(20 * MS) };
    KeDelayExecutionThread(KernelMode, FALSE, &d);
    assert_false(removerDone);
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);    /* holder releases, remover goes on */
    join(&holder);
    join(&remover);
    assert_true(removerDone);
    assert_true(holderReleasedBeforeRemover);
    assert_int_equal(lock.Common.IoCount, 0);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)10), STATUS_DELETE_PENDING);
}

static void test_release_more_than_acquired_bugchecks(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    IoReleaseRemoveLock(&lock, (PVOID)1);
    /* The count would reach 0 with no removal under way. */
    EXPECT_BUGCHECK(PNP_DETECTED_FATAL_ERROR, IoReleaseRemoveLock(&lock, (PVOID)1));
}

static void test_release_and_wait_above_passive_bugchecks(void **state)
{
    KIRQL old;
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_BUGCHECK(IRQL_NOT_LESS_OR_EQUAL, IoReleaseRemoveLockAndWait(&lock, (PVOID)1));
    KeLowerIrql(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_release_count),
        cmocka_unit_test(test_release_and_wait_waits_for_holders),
        cmocka_unit_test(test_release_more_than_acquired_bugchecks),
        cmocka_unit_test(test_release_and_wait_above_passive_bugchecks),
    };
    KeInitThreads("main");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
