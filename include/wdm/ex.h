/* wdm/ex.h - executive services exported to drivers: the pool
 * (kernel/mm/pool.c), fast mutexes, system worker threads, interlocked
 * lists and lookaside lists.
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

/* ---- interlocked singly linked lists (kernel/ex/lookaside.c) ----
 * NT's SLIST: a LIFO any context at IRQL <= DISPATCH_LEVEL (and ISRs) may
 * push to and pop from without a lock -- one `lock cmpxchg16b` on the
 * header (first entry, depth, sequence; the sequence defeats ABA), so no
 * IRQL change and no spin lock.  The header must be 16-byte aligned (the
 * type says so); an entry is any 8-byte aligned SLIST_ENTRY inside the
 * caller's block, and a popped block's memory may still be read by a
 * racing pop, so blocks on a list must stay mapped (pool memory does). */
typedef SINGLE_LIST_ENTRY SLIST_ENTRY, *PSLIST_ENTRY;

typedef struct __attribute__((aligned(16))) _SLIST_HEADER {
    PSLIST_ENTRY Next;
    ULONG64 DepthAndSequence;   /* bits 0-15 depth, 16-63 sequence */
} SLIST_HEADER, *PSLIST_HEADER;

FORCEINLINE VOID InitializeSListHead(PSLIST_HEADER ListHead)
{
    ListHead->Next = NULL;
    ListHead->DepthAndSequence = 0;
}

FORCEINLINE USHORT QueryDepthSList(PSLIST_HEADER ListHead)
{
    return (USHORT)__atomic_load_n(&ListHead->DepthAndSequence, __ATOMIC_RELAXED);
}

/* Push returns the previous first entry, Pop and Flush the entry (list)
 * taken, NULL if empty. */
PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry);
PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead);
PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead);
/* The WDK's names (on x64 macros over the Exp* exports, as here). */
#define InterlockedPushEntrySList(Head, Entry) ExpInterlockedPushEntrySList(Head, Entry)
#define InterlockedPopEntrySList(Head) ExpInterlockedPopEntrySList(Head)
#define InterlockedFlushSList(Head) ExpInterlockedFlushSList(Head)

/* ---- lookaside lists (kernel/ex/lookaside.c) ----
 * NT's nonpaged lookaside list: fixed-size blocks kept on an SLIST when
 * freed, so a hot path allocates and frees without the pool and without a
 * lock.  Allocate/Free default to the pool (Tag) when NULL.  Depth: how
 * many freed blocks are kept (0: 256); NT tunes it on the fly, ntstor keeps
 * what it is given.  Flags must be 0.  The statistics are NT's (updated
 * without interlock: approximate under races).  Allocate and free at IRQL
 * <= DISPATCH_LEVEL; ExDeleteNPagedLookasideList (PASSIVE_LEVEL, nothing
 * allocating or freeing meanwhile) gives every kept block back. */
typedef PVOID ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;

typedef struct _GENERAL_LOOKASIDE {
    SLIST_HEADER ListHead;
    USHORT Depth;               /* blocks kept at most */
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    ULONG AllocateMisses;
    ULONG TotalFrees;
    ULONG FreeMisses;
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    PALLOCATE_FUNCTION Allocate;
    PFREE_FUNCTION Free;
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

#define LOOKASIDE_DEFAULT_DEPTH 256

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth);
VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);

FORCEINLINE PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    PVOID Entry;

    Lookaside->L.TotalAllocates++;
    Entry = InterlockedPopEntrySList(&Lookaside->L.ListHead);
    if (!Entry) {
        Lookaside->L.AllocateMisses++;
        Entry = Lookaside->L.Allocate(Lookaside->L.Type, Lookaside->L.Size, Lookaside->L.Tag);
    }
    return Entry;
}

FORCEINLINE VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    Lookaside->L.TotalFrees++;
    if (QueryDepthSList(&Lookaside->L.ListHead) >= Lookaside->L.Depth) {
        Lookaside->L.FreeMisses++;
        Lookaside->L.Free(Entry);
    } else {
        InterlockedPushEntrySList(&Lookaside->L.ListHead, (PSLIST_ENTRY)Entry);
    }
}

#endif
