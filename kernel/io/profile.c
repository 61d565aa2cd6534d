/* profile.c - the per-layer profile of Nt{Read,Write}File (`bench ...
 * profile=1`, include/ntstor_ioprofile.h, docs/performance.md).
 *
 * IopProfile is NULL unless a profile runs; the I/O path tests it once per
 * request (a predicted branch) and only then reads the TSC and takes a
 * record.  Records come from a free list in the profile's own block under
 * its spin lock (completion may run at DISPATCH_LEVEL), so profiling
 * allocates nothing per request either. */
#include "iop.h"

#define IOP_TAG_PROFILE NTSTOR_TAG('I', 'o', 'P', 'f')

PIO_PROFILE IopProfile;

static const PCSTR IopProfileLayerNames[IO_PROFILE_LAYERS + 1] = {
    "iomgr_submit",     /* START -> IRP_SENT: handle, file object, IRP, MDL */
    "disk",             /* IRP_SENT -> SRB_SENT: disk class checks, request, SRB, CDB */
    "port_build",       /* SRB_SENT -> PREPARED: port lock, SATL, FIS, PRDT, slot */
    "doorbell",         /* PREPARED -> RUNG: batching wait, PxSACT/PxCI write */
    "device",           /* RUNG -> SEEN: the HBA works, until a look sees it done */
    "reap",             /* SEEN -> COMPLETING: slot freed, SRB status, lock dropped */
    "walk_up",          /* COMPLETING -> IOMGR: IoCompleteRequest, disk completion */
    "iomgr_complete",   /* IOMGR -> DONE: MDL and IRP freed, status block, event */
    "total",            /* START -> DONE */
};

PCSTR IoProfileLayerName(ULONG Layer)
{
    return Layer <= IO_PROFILE_LAYERS ? IopProfileLayerNames[Layer] : "?";
}

PIO_PROFILE IoStartProfile(ULONG Records)
{
    PIO_PROFILE p;

    if (!Records || IopProfile)
        return NULL;
    p = ExAllocatePoolZero(NonPagedPool, sizeof(*p) + Records * sizeof(IO_PROFILE_RECORD),
                           IOP_TAG_PROFILE);
    if (!p)
        return NULL;
    KeInitializeSpinLock(&p->Lock);
    p->Records = Records;
    for (ULONG i = Records; i--;) {
        p->Record[i].Owner = p;
        p->Record[i].Next = p->Free;
        p->Free = &p->Record[i];
    }
    __atomic_store_n(&IopProfile, p, __ATOMIC_RELEASE);
    return p;
}

VOID IoStopProfile(PIO_PROFILE Profile)
{
    __atomic_compare_exchange_n(&IopProfile, &Profile, NULL, FALSE, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
}

VOID IoFreeProfile(PIO_PROFILE Profile)
{
    KIRQL irql;
    ULONG inUse;

    IoStopProfile(Profile);
    KeAcquireSpinLock(&Profile->Lock, &irql);
    inUse = Profile->InUse;
    KeReleaseSpinLock(&Profile->Lock, irql);
    if (inUse) {
        /* Requests still out hold records in this block: it stays. */
        DbgPrint("io: profile: %u requests unfinished, %llu bytes kept\n", inUse,
                 (ULONG64)(sizeof(*Profile) + Profile->Records * sizeof(IO_PROFILE_RECORD)));
        return;
    }
    ExFreePoolWithTag(Profile, IOP_TAG_PROFILE);
}

/* A record for Irp, START stamped with Start.  Profiling on (Profile). */
VOID IopProfileAttach(PIO_PROFILE Profile, PIRP Irp, ULONG64 Start)
{
    PIO_PROFILE_RECORD r;
    KIRQL irql;

    KeAcquireSpinLock(&Profile->Lock, &irql);
    r = Profile->Free;
    if (r) {
        Profile->Free = r->Next;
        Profile->InUse++;
    }
    KeReleaseSpinLock(&Profile->Lock, irql);
    if (!r)
        return;     /* deeper than the records: this one goes unprofiled */
    for (ULONG i = 0; i < IO_PROFILE_POINTS; i++)
        r->Tsc[i] = 0;
    r->Tsc[IO_PROFILE_START] = Start;
    Irp->NtstorProfile = r;
}

/* The IRP is gone and DONE stamped: its layers into the histograms (a
 * request that skipped a boundary -- failed before the port, say -- only
 * counts as skipped), the record back.  A record belongs to the profile
 * it came from, whether or not that still runs. */
VOID IopProfileFinish(PIO_PROFILE_RECORD Record)
{
    PIO_PROFILE p = Record->Owner;
    const ULONG64 *t = Record->Tsc;
    BOOLEAN whole = TRUE;
    KIRQL irql;

    for (ULONG i = 1; i < IO_PROFILE_POINTS; i++)
        if (!t[i] || t[i] < t[i - 1])
            whole = FALSE;
    KeAcquireSpinLock(&p->Lock, &irql);
    if (whole) {
        for (ULONG l = 0; l < IO_PROFILE_LAYERS; l++) {
            p->Sum[l] += t[l + 1] - t[l];
            BenchHistAdd(&p->Hist[l], t[l + 1] - t[l]);
        }
        p->Sum[IO_PROFILE_LAYERS] += t[IO_PROFILE_DONE] - t[IO_PROFILE_START];
        BenchHistAdd(&p->Hist[IO_PROFILE_LAYERS], t[IO_PROFILE_DONE] - t[IO_PROFILE_START]);
        p->Ios++;
    } else {
        p->Skipped++;
    }
    Record->Next = p->Free;
    p->Free = Record;
    p->InUse--;
    KeReleaseSpinLock(&p->Lock, irql);
}
