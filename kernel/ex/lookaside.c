/* lookaside.c - interlocked singly linked lists (SLIST) and nonpaged
 * lookaside lists, NT's lock-free free lists (include/wdm/ex.h).
 *
 * Why not a spin lock: on the I/O path every spin-lock round trip is an
 * IRQL raise and a lowering that checks for DPCs with interrupts off
 * (kernel/ke/irql.c); a push or pop here is one `lock cmpxchg16b`, safe
 * against interrupts, thread switches and other CPUs alike.  The header's
 * sequence changes on every operation, so a pop that read an entry which
 * was popped and pushed back meanwhile (ABA) fails its exchange and
 * retries. */
#include <ntos.h>

#define EXP_SLIST_DEPTH_MASK 0xFFFFull
#define EXP_SLIST_SEQUENCE_ONE 0x10000ull

/* One 16-byte compare-exchange of the header: TRUE if it held *Old (then
 * it holds Next/DepthAndSequence); FALSE and *Old updated otherwise. */
static inline BOOLEAN ExpSListExchange(PSLIST_HEADER Head, SLIST_HEADER *Old, PSLIST_ENTRY Next,
                                       ULONG64 DepthAndSequence)
{
    BOOLEAN done;

    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(done), "+m"(*Head), "+a"(Old->Next), "+d"(Old->DepthAndSequence)
                     : "b"(Next), "c"(DepthAndSequence)
                     : "memory");
    return done;
}

/* A snapshot to start from; a torn one only fails the first exchange. */
static inline VOID ExpSListRead(PSLIST_HEADER Head, SLIST_HEADER *Snap)
{
    Snap->DepthAndSequence = __atomic_load_n(&Head->DepthAndSequence, __ATOMIC_ACQUIRE);
    Snap->Next = __atomic_load_n(&Head->Next, __ATOMIC_ACQUIRE);
}

PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
    SLIST_HEADER old;

    ExpSListRead(ListHead, &old);
    do {
        ListEntry->Next = old.Next;
    } while (!ExpSListExchange(ListHead, &old, ListEntry,
                               ((old.DepthAndSequence + EXP_SLIST_SEQUENCE_ONE) &
                                ~EXP_SLIST_DEPTH_MASK) |
                               ((old.DepthAndSequence + 1) & EXP_SLIST_DEPTH_MASK)));
    return old.Next;
}

PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
    SLIST_HEADER old;

    ExpSListRead(ListHead, &old);
    for (;;) {
        if (!old.Next)
            return NULL;
        /* old.Next may be popped (and reused) by someone else before the
         * exchange: then its Next is stale, and the sequence makes the
         * exchange fail. */
        PSLIST_ENTRY next = __atomic_load_n(&old.Next->Next, __ATOMIC_RELAXED);
        if (ExpSListExchange(ListHead, &old, next,
                             ((old.DepthAndSequence + EXP_SLIST_SEQUENCE_ONE) &
                              ~EXP_SLIST_DEPTH_MASK) |
                             ((old.DepthAndSequence - 1) & EXP_SLIST_DEPTH_MASK)))
            return old.Next;
    }
}

PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead)
{
    SLIST_HEADER old;

    ExpSListRead(ListHead, &old);
    while (old.Next &&
           !ExpSListExchange(ListHead, &old, NULL,
                             (old.DepthAndSequence + EXP_SLIST_SEQUENCE_ONE) &
                             ~EXP_SLIST_DEPTH_MASK))
        ;
    return old.Next;
}

static PVOID ExpLookasideAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth)
{
    (VOID)Flags;
    InitializeSListHead(&Lookaside->L.ListHead);
    Lookaside->L.Depth = Depth ? Depth : LOOKASIDE_DEFAULT_DEPTH;
    Lookaside->L.MaximumDepth = Lookaside->L.Depth;
    Lookaside->L.TotalAllocates = Lookaside->L.AllocateMisses = 0;
    Lookaside->L.TotalFrees = Lookaside->L.FreeMisses = 0;
    Lookaside->L.Type = NonPagedPool;
    Lookaside->L.Tag = Tag;
    /* Every block must hold the list's link. */
    Lookaside->L.Size = (ULONG)(Size < sizeof(SLIST_ENTRY) ? sizeof(SLIST_ENTRY) : Size);
    Lookaside->L.Allocate = Allocate ? Allocate : ExpLookasideAllocate;
    Lookaside->L.Free = Free ? Free : ExFreePool;
}

VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    PSLIST_ENTRY e = InterlockedFlushSList(&Lookaside->L.ListHead);

    while (e) {
        PSLIST_ENTRY next = e->Next;
        Lookaside->L.Free(e);
        e = next;
    }
}
