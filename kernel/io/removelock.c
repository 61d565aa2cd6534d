/* removelock.c - NT's remove locks (IoInitializeRemoveLockEx and friends):
 * a count of the requests a driver has in flight on a device, so that
 * IRP_MN_REMOVE_DEVICE can wait for them to drain before the device goes.
 * WDK: "Using Remove Locks".  The free build's semantics: the count starts
 * at 1 (the device's own hold, given up by ReleaseAndWait); acquire after
 * removal began fails with STATUS_DELETE_PENDING; the release that brings
 * the count to 0 (only possible after ReleaseAndWait dropped the initial
 * hold) signals the event ReleaseAndWait sleeps on.  The checked build's
 * per-tag tracking is the driver verifier's for a lock a verified driver
 * initialized (vfremlock.c: a release with a tag that holds none is a
 * DRIVER_VERIFIER_DETECTED_VIOLATION naming the driver); for the others
 * only a count below zero is caught.  AllocateTag, MaxLockedMinutes and
 * HighWatermark are accepted and ignored.
 *
 * Lock-free: IoCount is changed only with atomic read-modify-write, so
 * acquire and release work at any IRQL <= DISPATCH_LEVEL, in a completion
 * routine or a DPC. */
#include "iop.h"

VOID IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
                              ULONG HighWatermark, ULONG RemlockSize)
{
    (VOID)AllocateTag;
    (VOID)MaxLockedMinutes;
    (VOID)HighWatermark;
    if (RemlockSize != sizeof(IO_REMOVE_LOCK))
        KeBugCheckEx(PNP_DETECTED_FATAL_ERROR, IO_REMOVE_LOCK_UNDERFLOW + 1, (ULONG_PTR)Lock,
                     RemlockSize, sizeof(IO_REMOVE_LOCK));
    Lock->Common.Removed = FALSE;
    Lock->Common.IoCount = 1;
    KeInitializeEvent(&Lock->Common.RemoveEvent, NotificationEvent, FALSE);
    /* The caller's image decides whether the verifier tracks its tags. */
    Lock->Common.Reserved[IOP_REMLOCK_TRACKED_BYTE] =
        IopVerifierTrackRemoveLock(Lock, __builtin_return_address(0));
}

static inline BOOLEAN IopRemoveLockTracked(PIO_REMOVE_LOCK Lock)
{
    return __builtin_expect(Lock->Common.Reserved[IOP_REMLOCK_TRACKED_BYTE] != 0, 0);
}

/* The release half shared by Release and the failed Acquire. */
static VOID IopRemoveLockDrop(PIO_REMOVE_LOCK Lock, PVOID Tag)
{
    LONG count = __atomic_sub_fetch(&Lock->Common.IoCount, 1, __ATOMIC_ACQ_REL);

    if (count > 0)
        return;
    /* 0 is legal only after ReleaseAndWait gave up the initial hold: the
     * waiter may go on.  Below 0, or 0 without removal, someone released
     * a lock it never acquired. */
    if (count < 0 || !Lock->Common.Removed)
        KeBugCheckEx(PNP_DETECTED_FATAL_ERROR, IO_REMOVE_LOCK_UNDERFLOW, (ULONG_PTR)Lock,
                     (ULONG_PTR)(LONG_PTR)count, (ULONG_PTR)Tag);
    KeSetEvent(&Lock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
}

NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
                               ULONG RemlockSize)
{
    (VOID)File;
    (VOID)Line;
    (VOID)RemlockSize;
    /* Count first, then look: a ReleaseAndWait that set Removed after our
     * increment waits for our release; one that set it before sees us
     * drop again at once. */
    __atomic_add_fetch(&RemoveLock->Common.IoCount, 1, __ATOMIC_ACQ_REL);
    if (__atomic_load_n(&RemoveLock->Common.Removed, __ATOMIC_ACQUIRE)) {
        IopRemoveLockDrop(RemoveLock, Tag);
        return STATUS_DELETE_PENDING;
    }
    if (IopRemoveLockTracked(RemoveLock))
        IopVerifierRemoveLockAcquired(RemoveLock, Tag);
    return STATUS_SUCCESS;
}

VOID IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    (VOID)RemlockSize;
    /* The verifier judges the tag before the count can underflow. */
    if (IopRemoveLockTracked(RemoveLock))
        IopVerifierRemoveLockReleased(RemoveLock, Tag, __builtin_return_address(0));
    IopRemoveLockDrop(RemoveLock, Tag);
}

VOID IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    KIRQL irql = KeGetCurrentIrql();
    LONG count;

    (VOID)RemlockSize;
    /* It sleeps until the others release: only a thread may wait. */
    if (irql != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)RemoveLock, irql, 7,
                     (ULONG_PTR)__builtin_return_address(0));
    if (IopRemoveLockTracked(RemoveLock))
        IopVerifierRemoveLockReleased(RemoveLock, Tag, __builtin_return_address(0));
    __atomic_store_n(&RemoveLock->Common.Removed, TRUE, __ATOMIC_RELEASE);
    /* The caller's own acquire: at least the initial hold remains. */
    count = __atomic_sub_fetch(&RemoveLock->Common.IoCount, 1, __ATOMIC_ACQ_REL);
    if (count <= 0)
        KeBugCheckEx(PNP_DETECTED_FATAL_ERROR, IO_REMOVE_LOCK_UNDERFLOW, (ULONG_PTR)RemoveLock,
                     (ULONG_PTR)(LONG_PTR)count, (ULONG_PTR)Tag);
    /* The initial hold; whoever reaches 0 after us signals. */
    if (__atomic_sub_fetch(&RemoveLock->Common.IoCount, 1, __ATOMIC_ACQ_REL) > 0)
        KeWaitForSingleObject(&RemoveLock->Common.RemoveEvent, Executive, KernelMode, FALSE, NULL);
    /* Every holder is gone: nothing of the lock is used again. */
    if (IopRemoveLockTracked(RemoveLock))
        IopVerifierForgetRemoveLock(RemoveLock);
}
