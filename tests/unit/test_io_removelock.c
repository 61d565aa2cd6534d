/* test_io_removelock.c - NT's remove locks (kernel/io/removelock.c) with
 * real threads on the kernel's own dispatcher (as test_ke_sched.c): a
 * holder thread keeps the lock while the remover's
 * IoReleaseRemoveLockAndWait sleeps, and only its release lets the
 * remover go on; acquires after removal began fail with
 * STATUS_DELETE_PENDING; releasing more than acquired bug-checks.  With
 * the verifier on for the driver whose code initialized the lock
 * (kernel/io/vfremlock.c), a release with a tag that holds none is a
 * DRIVER_VERIFIER_DETECTED_VIOLATION naming that driver, the lock and the
 * tag -- even where the count alone would not underflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../kernel/ke/ki.h"
#include "../../kernel/io/iop.h"

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

/* ---- the verifier's rule ---- */

static IOP_DRIVER_EXTENSION VfExt;
static DRIVER_OBJECT VfDriver;

/* A driver whose image is this test's code: the locks initialized here are
 * its own. */
static int verified(void **state)
{
    static WCHAR name[] = L"vf_remlock";

    memset(&VfDriver, 0, sizeof(VfDriver));
    memset(&VfExt, 0, sizeof(VfExt));
    VfDriver.DriverExtension = &VfExt.Public;
    VfExt.Public.DriverObject = &VfDriver;
    VfExt.Public.ServiceKeyName.Buffer = name;
    VfExt.Public.ServiceKeyName.Length = sizeof(name) - sizeof(WCHAR);
    VfExt.Public.ServiceKeyName.MaximumLength = sizeof(name);
    VfDriver.DriverStart = (PVOID)(((ULONG_PTR)&verified & ~0xFFFFFull) - 0x1000000);
    VfDriver.DriverSize = 0x4000000;
    IopSetDriverVerified(&VfDriver, TRUE);
    return 0;
}

static int unverified(void **state)
{
    IopSetDriverVerified(&VfDriver, FALSE);
    return 0;
}

#define EXPECT_VERIFIER_STOP(tag, stmt)                                          \
    do {                                                                         \
        EXPECT_BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, stmt);               \
        assert_int_equal(host_last_bugcheck_params[0], VF_REMOVE_LOCK_RELEASE);  \
        assert_ptr_equal((PVOID)host_last_bugcheck_params[1], &VfDriver);        \
        assert_ptr_equal((PVOID)host_last_bugcheck_params[2], &lock);            \
        assert_ptr_equal((PVOID)host_last_bugcheck_params[3], (PVOID)(tag));     \
    } while (0)

static void test_verified_tag_never_acquired_stops(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_true(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    /* At DISPATCH_LEVEL, as from a completion routine. */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)3), STATUS_SUCCESS);
    IoReleaseRemoveLock(&lock, (PVOID)3);
    KeLowerIrql(old);
    /* Tag 2 holds nothing; the count (2) would not have noticed. */
    EXPECT_VERIFIER_STOP(2, IoReleaseRemoveLock(&lock, (PVOID)2));
    assert_int_equal(lock.Common.IoCount, 2);      /* stopped before the count moved */
}

static void test_verified_released_more_than_acquired_stops(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)5), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)5), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)6), STATUS_SUCCESS);
    IoReleaseRemoveLock(&lock, (PVOID)5);
    IoReleaseRemoveLock(&lock, (PVOID)5);
    /* Tag 5's third release: the count is still 2 (6's hold and the
     * initial one), so only the tags show it. */
    EXPECT_VERIFIER_STOP(5, IoReleaseRemoveLock(&lock, (PVOID)5));
}

static void test_verified_release_and_wait_checks_its_tag(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)7), STATUS_SUCCESS);
    EXPECT_VERIFIER_STOP(8, IoReleaseRemoveLockAndWait(&lock, (PVOID)8));
    assert_false(lock.Common.Removed);              /* stopped before removal began */
}

/* Used by the book, the lock is forgotten when it dies; the address can
 * hold a new lock, tracked afresh. */
static void test_verified_correct_use_passes_and_lock_is_forgotten(void **state)
{
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    for (ULONG_PTR t = 100; t < 100 + 40; t++)
        assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)t), STATUS_SUCCESS);
    for (ULONG_PTR t = 100; t < 100 + 40; t++)
        IoReleaseRemoveLock(&lock, (PVOID)t);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)9), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&lock, (PVOID)9);
    assert_false(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
    /* A refused acquire after removal is no hold either. */
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)10), STATUS_DELETE_PENDING);

    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_true(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
    EXPECT_VERIFIER_STOP(9, IoReleaseRemoveLock(&lock, (PVOID)9));
}

/* Initialized before the verifier was on: untracked (its earlier acquires
 * are unknown), so only the free build's underflow check applies.  And a
 * lock whose driver stopped being verified is not judged any more. */
static void test_tracking_decided_at_initialization(void **state)
{
    IopSetDriverVerified(&VfDriver, FALSE);
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_false(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    IopSetDriverVerified(&VfDriver, TRUE);
    IoReleaseRemoveLock(&lock, (PVOID)2);           /* wrong tag, but not tracked */
    assert_int_equal(lock.Common.IoCount, 1);

    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_true(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
    assert_int_equal(IoAcquireRemoveLock(&lock, (PVOID)1), STATUS_SUCCESS);
    IopSetDriverVerified(&VfDriver, FALSE);         /* unloaded, or `verifier off` */
    IoReleaseRemoveLock(&lock, (PVOID)2);
    assert_int_equal(lock.Common.IoCount, 1);
    IopSetDriverVerified(&VfDriver, TRUE);          /* for teardown's symmetry */
}

/* A lock of code outside every verified image is never tracked. */
static void test_other_images_lock_untracked(void **state)
{
    VfDriver.DriverStart = (PVOID)0x1000;
    VfDriver.DriverSize = 0x1000;
    IoInitializeRemoveLock(&lock, NTSTOR_TAG('T', 'e', 's', 't'), 0, 0);
    assert_false(lock.Common.Reserved[IOP_REMLOCK_TRACKED_BYTE]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_release_count),
        cmocka_unit_test(test_release_and_wait_waits_for_holders),
        cmocka_unit_test(test_release_more_than_acquired_bugchecks),
        cmocka_unit_test(test_release_and_wait_above_passive_bugchecks),
        cmocka_unit_test_setup_teardown(test_verified_tag_never_acquired_stops, verified, unverified),
        cmocka_unit_test_setup_teardown(test_verified_released_more_than_acquired_stops, verified, unverified),
        cmocka_unit_test_setup_teardown(test_verified_release_and_wait_checks_its_tag, verified, unverified),
        cmocka_unit_test_setup_teardown(test_verified_correct_use_passes_and_lock_is_forgotten, verified,
                                        unverified),
        cmocka_unit_test_setup_teardown(test_tracking_decided_at_initialization, verified, unverified),
        cmocka_unit_test_setup_teardown(test_other_images_lock_untracked, verified, unverified),
    };
    KeInitThreads("main");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
