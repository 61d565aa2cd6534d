/* wdm/ex.h - executive services exported to drivers: the pool
 * (kernel/mm/pool.c), fast mutexes and system worker threads.
 *
 * One nonpaged pool; PagedPool is accepted and served from it.  Every
 * allocation carries a 4-character tag ('ahci' is written 'icha' in NT's
 * little-endian multi-character constants; use the NTSTOR_TAG macro).
 * The kernel accounts bytes and allocations per tag (shell: pool). */
#ifndef NTSTOR_WDM_EX_H
#define NTSTOR_WDM_EX_H

#include <ntdef.h>
#include <wdm/ke.h>

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    PagedPool = 1,
    NonPagedPoolNx = 512,
} POOL_TYPE;

/* NTSTOR_TAG('A','h','c','i') stores the bytes "Ahci" in memory order. */
#define NTSTOR_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

/* Returns NULL on exhaustion or NumberOfBytes == 0.  At IRQL <= DISPATCH_LEVEL.
 * Memory is 16-byte aligned, not zeroed. */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Zeroed allocation. */
PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* The tag must match the allocation's (BAD_POOL_CALLER otherwise). */
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

/* ---- fast mutexes (kernel/ke/mutex.c) ----
 * Not recursive (MUTEX_ALREADY_OWNED if the owner acquires again).
 * Acquire at IRQL <= APC_LEVEL; the owner runs at APC_LEVEL until the
 * release, which restores the IRQL of the acquire.  Release only by the
 * owner (THREAD_NOT_MUTEX_OWNER otherwise). */
typedef struct _FAST_MUTEX {
    volatile LONG Count;        /* 1 free, 0 owned, < 0 owned with waiters */
    PKTHREAD Owner;
    ULONG Contention;           /* acquisitions that had to wait */
    KEVENT Event;               /* synchronization: hands the mutex to one waiter */
    ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX;

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex);
VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex);
VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex);
/* TRUE if acquired without waiting. */
BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);

/* ---- system worker threads (kernel/ex/worker.c) ----
 * ExQueueWorkItem runs WorkerRoutine(Parameter) at PASSIVE_LEVEL on a
 * system worker thread.  A driver uses IoQueueWorkItem instead (wdm/io.h),
 * which keeps the driver loaded while the item is queued; with
 * ExQueueWorkItem the routine must not be in an image that may unload.
 * The item must stay allocated until its routine runs; the routine may
 * free it.  Callable at IRQL <= DISPATCH_LEVEL.  A routine that returns at
 * a raised IRQL bug-checks WORKER_THREAD_RETURNED_AT_BAD_IRQL, one that
 * returns owning a mutex SYSTEM_EXIT_OWNED_MUTEX. */
typedef enum _WORK_QUEUE_TYPE {
    CriticalWorkQueue = 0,      /* priority 13 */
    DelayedWorkQueue = 1,       /* priority 12 */
    HyperCriticalWorkQueue = 2, /* served by the critical queue's thread */
    MaximumWorkQueue
} WORK_QUEUE_TYPE;

typedef VOID WORKER_THREAD_ROUTINE(PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;

typedef struct _WORK_QUEUE_ITEM {
    LIST_ENTRY List;
    PWORKER_THREAD_ROUTINE WorkerRoutine;
    PVOID Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;

#define ExInitializeWorkItem(Item, Routine, Context) \
    do {                                             \
        (Item)->WorkerRoutine = (Routine);           \
        (Item)->Parameter = (Context);               \
        (Item)->List.Flink = NULL;                   \
    } while (0)

VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType);

#endif
