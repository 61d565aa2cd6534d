/* vfremlock.c - the driver verifier's remove-lock rule, as NT's checked
 * remove locks keep it: for a lock a verified driver initialized, each
 * acquire's tag is remembered with a count, and a release whose tag holds
 * none -- never acquired, or released more often than acquired -- stops the
 * machine (DRIVER_VERIFIER_DETECTED_VIOLATION, VF_REMOVE_LOCK_RELEASE: P2
 * the driver object, P3 the lock, P4 the tag), naming the driver and the
 * routine that released.  Unverified drivers keep the free build's
 * behaviour (removelock.c): only a count that goes below zero is caught.
 *
 * Whose lock it is: the driver whose image called IoInitializeRemoveLockEx.
 * The lock itself says nothing about its owner (it is a few bytes in some
 * device extension or pool block, and finding the device object around an
 * address means walking every device), while the initializing call comes
 * from the driver's own code -- as in NT, where the checked lock is the
 * driver's choice, made by the size it passes at initialization.  It is
 * decided once, at initialization: a lock initialized before the verifier
 * was turned on for its driver stays untracked (its earlier acquires are
 * unknown, so every release would look wrong); `verifier <service> on`
 * takes effect for locks initialized from then on, i.e. the next load.
 *
 * The tracking lives here, in fixed tables, not in the lock (whose layout
 * is the WDK's): Common.Reserved[IOP_REMLOCK_TRACKED_BYTE] only marks a
 * tracked lock so the untracked fast path costs one byte test.  An entry
 * goes when the lock's IoReleaseRemoveLockAndWait returns, when the lock's
 * address is initialized again, or lazily once its driver is no longer
 * verified (unloaded: the table compares the driver pointer, never follows
 * it).  A lock past the table, or a tag past a lock's slots, is tracked
 * no further (logged): the rule then misses, never invents, a violation.
 * Locking: IopRemLockTrackLock (a spin lock, so acquire and release stay
 * legal at DISPATCH_LEVEL) guards the tables; it is never held across the
 * stop or a call into a driver.  Order: it may be held while verifier.c's
 * IopVerifierLock is taken (IopIsVerifiedDriverObject), never the other
 * way round. */
#include "iop.h"

#define IOP_VF_REMLOCKS     32      /* tracked locks (ahci: controller + a PDO per port) */
#define IOP_VF_REMLOCK_TAGS 48      /* distinct tags held at once (ahci: one per queued IRP, 32) */

typedef struct _IOP_VF_REMLOCK {
    PIO_REMOVE_LOCK Lock;           /* NULL: free slot */
    PDRIVER_OBJECT Driver;          /* compared, never dereferenced */
    BOOLEAN Overflow;               /* a tag found no slot: unknown releases are not judged */
    struct {
        PVOID Tag;
        LONG Count;                 /* 0: free slot */
    } Tags[IOP_VF_REMLOCK_TAGS];
} IOP_VF_REMLOCK;

static KSPIN_LOCK IopRemLockTrackLock;      /* zero is free: no init call needed */
static IOP_VF_REMLOCK IopVfRemLocks[IOP_VF_REMLOCKS];

/* Lock held.  The live entry of Lock, or NULL; an entry whose driver is no
 * longer verified is dropped on the way. */
static IOP_VF_REMLOCK *IopVfFindLock(PIO_REMOVE_LOCK Lock)
{
    for (ULONG i = 0; i < IOP_VF_REMLOCKS; i++) {
        IOP_VF_REMLOCK *e = &IopVfRemLocks[i];
        if (e->Lock != Lock)
            continue;
        if (!IopIsVerifiedDriverObject(e->Driver)) {
            e->Lock = NULL;
            return NULL;
        }
        return e;
    }
    return NULL;
}

BOOLEAN IopVerifierTrackRemoveLock(PIO_REMOVE_LOCK Lock, PVOID Caller)
{
    PDRIVER_OBJECT driver = IopVerifiedDriverOfAddress(Caller);
    IOP_VF_REMLOCK *slot = NULL;
    KIRQL old;

    /* The address may have held another lock, tracked or not. */
    KeAcquireSpinLock(&IopRemLockTrackLock, &old);
    for (ULONG i = 0; i < IOP_VF_REMLOCKS; i++) {
        if (IopVfRemLocks[i].Lock == Lock)
            IopVfRemLocks[i].Lock = NULL;
        else if (IopVfRemLocks[i].Lock && !IopIsVerifiedDriverObject(IopVfRemLocks[i].Driver))
            IopVfRemLocks[i].Lock = NULL;       /* stale: its driver went */
    }
    if (driver) {
        for (ULONG i = 0; i < IOP_VF_REMLOCKS && !slot; i++)
            if (IopVfRemLocks[i].Lock == NULL)
                slot = &IopVfRemLocks[i];
        if (slot) {
            RtlZeroMemory(slot, sizeof(*slot));
            slot->Lock = Lock;
            slot->Driver = driver;
        }
    }
    KeReleaseSpinLock(&IopRemLockTrackLock, old);
    if (driver && !slot)
        DbgPrint("verifier: more than %u remove locks tracked; lock %p is not\n", IOP_VF_REMLOCKS, (PVOID)Lock);
    return slot != NULL;
}

VOID IopVerifierRemoveLockAcquired(PIO_REMOVE_LOCK Lock, PVOID Tag)
{
    IOP_VF_REMLOCK *e;
    BOOLEAN overflow = FALSE;
    KIRQL old;

    KeAcquireSpinLock(&IopRemLockTrackLock, &old);
    e = IopVfFindLock(Lock);
    if (e) {
        LONG freeSlot = -1;
        ULONG i;
        for (i = 0; i < IOP_VF_REMLOCK_TAGS; i++) {
            if (e->Tags[i].Count && e->Tags[i].Tag == Tag)
                break;
            if (!e->Tags[i].Count && freeSlot < 0)
                freeSlot = (LONG)i;
        }
        if (i < IOP_VF_REMLOCK_TAGS) {
            e->Tags[i].Count++;
        } else if (freeSlot >= 0) {
            e->Tags[freeSlot].Tag = Tag;
            e->Tags[freeSlot].Count = 1;
        } else {
            overflow = !e->Overflow;
            e->Overflow = TRUE;
        }
    }
    KeReleaseSpinLock(&IopRemLockTrackLock, old);
    if (overflow)
        DbgPrint("verifier: remove lock %p holds more than %u tags; its releases are not checked any more\n",
                 (PVOID)Lock, IOP_VF_REMLOCK_TAGS);
}

VOID IopVerifierRemoveLockReleased(PIO_REMOVE_LOCK Lock, PVOID Tag, PVOID Caller)
{
    PDRIVER_OBJECT violator = NULL;
    IOP_VF_REMLOCK *e;
    KIRQL old;

    KeAcquireSpinLock(&IopRemLockTrackLock, &old);
    e = IopVfFindLock(Lock);
    if (e) {
        ULONG i;
        for (i = 0; i < IOP_VF_REMLOCK_TAGS; i++)
            if (e->Tags[i].Count && e->Tags[i].Tag == Tag)
                break;
        if (i < IOP_VF_REMLOCK_TAGS)
            e->Tags[i].Count--;
        else if (!e->Overflow)
            violator = e->Driver;
    }
    KeReleaseSpinLock(&IopRemLockTrackLock, old);
    if (violator)
        IopVerifierStopRemoveLock(violator, Caller, Lock, Tag);
}

VOID IopVerifierForgetRemoveLock(PIO_REMOVE_LOCK Lock)
{
    KIRQL old;

    KeAcquireSpinLock(&IopRemLockTrackLock, &old);
    for (ULONG i = 0; i < IOP_VF_REMLOCKS; i++)
        if (IopVfRemLocks[i].Lock == Lock)
            IopVfRemLocks[i].Lock = NULL;
    KeReleaseSpinLock(&IopRemLockTrackLock, old);
    Lock->Common.Reserved[IOP_REMLOCK_TRACKED_BYTE] = FALSE;
}
