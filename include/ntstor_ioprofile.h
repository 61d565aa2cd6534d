/* ntstor_ioprofile.h - `bench ... profile=1` (docs/performance.md): TSC
 * stamps at the layer boundaries of one read or write, so each change to
 * the path shows in which layer it saved time.
 *
 * While the I/O manager profiles (IoStartProfile, kernel/include/io.h) it
 * hangs a record on each Nt{Read,Write}File IRP (Irp->NtstorProfile) and
 * every layer stamps its boundary into it as the IRP passes; when the IRP
 * is finished the I/O manager adds the differences of consecutive stamps
 * to one histogram per layer.  When not profiling NtstorProfile is NULL
 * and a stamp is one not-taken, predicted branch: no TSC read, no store.
 *
 * A request the disk splits into pieces carries the last piece's stamps
 * from IO_PROFILE_SRB_SENT on (the earlier pieces' time falls into the
 * disk layer); the layers still add up to the whole. */
#ifndef NTSTOR_IOPROFILE_H
#define NTSTOR_IOPROFILE_H

#include <wdm.h>

typedef enum _IO_PROFILE_POINT {
    IO_PROFILE_START = 0,       /* I/O manager: Nt{Read,Write}File entered */
    IO_PROFILE_IRP_SENT,        /* I/O manager: IRP and MDL built, top driver called */
    IO_PROFILE_SRB_SENT,        /* disk class: SRB built, port driver called */
    IO_PROFILE_PREPARED,        /* port: SATL, FIS, PRDT done, slot taken */
    IO_PROFILE_RUNG,            /* port: the doorbell (PxSACT/PxCI) written */
    IO_PROFILE_SEEN,            /* port: a look (poll or DPC) found it finished */
    IO_PROFILE_COMPLETING,      /* port: IoCompleteRequest called, no lock held */
    IO_PROFILE_IOMGR,           /* I/O manager: completion walk reached it */
    IO_PROFILE_DONE,            /* I/O manager: MDL and IRP freed, caller told */
    IO_PROFILE_POINTS
} IO_PROFILE_POINT;

/* The layers are the spans between consecutive points. */
#define IO_PROFILE_LAYERS (IO_PROFILE_POINTS - 1)

typedef struct _IO_PROFILE_RECORD {
    ULONG64 Tsc[IO_PROFILE_POINTS];
    struct _IO_PROFILE_RECORD *Next;    /* the I/O manager's free list */
    PVOID Owner;                        /* the I/O manager's profile it belongs to */
} IO_PROFILE_RECORD, *PIO_PROFILE_RECORD;

/* The one clock of every stamp (the I/O manager's included). */
FORCEINLINE ULONG64 IoProfileNow(VOID)
{
    return __builtin_ia32_rdtsc();
}

FORCEINLINE VOID IoProfileStamp(PIRP Irp, IO_PROFILE_POINT Point)
{
    if (__builtin_expect(Irp->NtstorProfile != NULL, 0))
        Irp->NtstorProfile->Tsc[Point] = IoProfileNow();
}

#endif
