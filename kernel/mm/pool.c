/* pool.c - the nonpaged pool: ExAllocatePoolWithTag and friends.
 *
 * Small requests come from slabs (one to eight pages carved into equal
 * blocks of one size class); requests above the largest class get whole
 * pages.  Every block starts with a 16-byte MI_POOL_HEADER holding the tag,
 * the requested size and a check word over the header and its address, so a
 * corrupted header or a double free is caught at ExFreePool.  The bytes
 * between the requested size and the end of the block are filled with a
 * guard pattern and checked on free (catches small overruns).  Freed blocks
 * are poisoned with 0xDD.  Per-tag counters feed the shell's `pool` command
 * and the I/O manager's leak report.
 *
 * Pages come from an MI_PAGE_SOURCE (the kernel's physical allocator, or
 * aligned_alloc in tests/unit/test_mm_pool.c).
 *
 * Locking: MiPool.Lock (a spin lock, so callers may be at any IRQL <=
 * DISPATCH_LEVEL) protects every field of MiPool, the slabs and the headers.
 * Bug checks release it first so the host tests can carry on after one. */
#include <wdm.h>
#include "mi.h"

#define MI_POOL_MAGIC           0xB7
#define MI_POOL_STATE_ALLOCATED 0xA1
#define MI_POOL_STATE_FREE      0xF3
#define MI_POOL_CLASS_BIG       0xFF
#define MI_POOL_GUARD_FILL      0xCB
#define MI_POOL_FREE_FILL       0xDD
#define MI_POOL_SLAB_MAGIC      0x42414C53u     /* "SLAB" */
/* Larger requests are refused: the header keeps sizes in 32 bits, and no
 * caller in a storage stack needs a gigabyte of pool. */
#define MI_POOL_MAX_BYTES       (1ULL << 30)
#define MI_POOL_TAG_SLOTS       512             /* power of two */
#define MI_POOL_OVERFLOW_TAG    NTSTOR_TAG('?', '?', '?', '?')

/* BAD_POOL_HEADER / BAD_POOL_CALLER first parameters (NT's numbers where NT
 * has one for the condition). */
#define MI_POOL_BAD_ALREADY_FREE   0x07
#define MI_POOL_BAD_IRQL           0x08
#define MI_POOL_BAD_WRONG_TAG      0x0A
#define MI_POOL_BAD_HEADER         0x20
#define MI_POOL_BAD_GUARD          0x24
#define MI_POOL_BAD_ADDRESS        0x46

typedef struct _MI_POOL_HEADER {
    ULONG Tag;
    ULONG Size;             /* bytes the caller asked for */
    UCHAR Class;            /* index into MiPoolClassSizes, or MI_POOL_CLASS_BIG */
    UCHAR State;
    UCHAR SlabPage;         /* page of the slab this block starts in */
    UCHAR Magic;
    ULONG Check;            /* MiPoolCheck() of the fields above */
} MI_POOL_HEADER;
_Static_assert(sizeof(MI_POOL_HEADER) == 16, "pool header keeps 16-byte alignment");

typedef struct _MI_POOL_SLAB {
    LIST_ENTRY Link;        /* in the class's Partial list while it has free blocks */
    MI_POOL_HEADER *FreeList;
    ULONG Magic;
    USHORT Class;
    USHORT Pages;
    ULONG InUse, Blocks;
    BOOLEAN OnList;
} MI_POOL_SLAB;
#define MI_POOL_SLAB_HEADER ALIGN_UP_BY(sizeof(MI_POOL_SLAB), 16)

/* Block sizes include the header; payloads are 16..2048 bytes. */
static const USHORT MiPoolClassSizes[] = {
    32, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 640, 768, 1024, 1376, 2064,
};
#define MI_POOL_CLASSES RTL_NUMBER_OF(MiPoolClassSizes)
static const UCHAR MiPoolClassPages[MI_POOL_CLASSES] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8,
};

typedef struct _MI_POOL_CLASS {
    LIST_ENTRY Partial;
    ULONG EmptySlabs;       /* slabs with no block in use kept for reuse (at most 1) */
} MI_POOL_CLASS;

typedef struct _MI_POOL_TAG {
    BOOLEAN Used;
    POOL_TAG_INFO Info;
} MI_POOL_TAG;

static struct {
    const MI_PAGE_SOURCE *Source;
    KSPIN_LOCK Lock;
    MI_POOL_CLASS Classes[MI_POOL_CLASSES];
    MI_POOL_TAG Tags[MI_POOL_TAG_SLOTS];
    MI_POOL_TAG Overflow;
    ULONG TagCount;
    ULONG64 BytesInUse, Allocations, PagesHeld;
} MiPool;

VOID MiPoolInitialize(const MI_PAGE_SOURCE *Source)
{
    RtlZeroMemory(&MiPool, sizeof(MiPool));
    KeInitializeSpinLock(&MiPool.Lock);
    for (ULONG i = 0; i < MI_POOL_CLASSES; i++)
        InitializeListHead(&MiPool.Classes[i].Partial);
    MiPool.Overflow.Used = TRUE;
    MiPool.Overflow.Info.Tag = MI_POOL_OVERFLOW_TAG;
    MiPool.Source = Source;
}

static ULONG MiPoolCheck(const MI_POOL_HEADER *h)
{
    ULONG64 a;
    RtlCopyMemory(&a, h, sizeof(a));
    ULONG64 b = (ULONG64)h->Class | (ULONG64)h->State << 8 | (ULONG64)h->SlabPage << 16 | (ULONG64)h->Magic << 24;
    ULONG64 x = (a ^ (ULONG_PTR)h ^ (b << 40)) * 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBULL;
    return (ULONG)(x >> 32) ^ (ULONG)x;
}

static VOID MiPoolSeal(MI_POOL_HEADER *h)
{
    h->Magic = MI_POOL_MAGIC;
    h->Check = MiPoolCheck(h);
}

__attribute__((noreturn))
static VOID MiPoolBugCheck(KIRQL OldIrql, ULONG Code, ULONG_PTR P1, ULONG_PTR P2,
                           ULONG_PTR P3, ULONG_PTR P4)
{
    KeReleaseSpinLock(&MiPool.Lock, OldIrql);
    KeBugCheckEx(Code, P1, P2, P3, P4);
}

/* ---- per-tag accounting ---- */

static MI_POOL_TAG *MiPoolTagEntry(ULONG Tag)
{
    ULONG i = (Tag * 2654435761u) >> (32 - 9);
    for (ULONG n = 0; n < MI_POOL_TAG_SLOTS; n++, i = (i + 1) & (MI_POOL_TAG_SLOTS - 1)) {
        MI_POOL_TAG *e = &MiPool.Tags[i];
        if (e->Used && e->Info.Tag == Tag)
            return e;
        if (!e->Used) {
            e->Used = TRUE;
            e->Info.Tag = Tag;
            MiPool.TagCount++;
            return e;
        }
    }
    return &MiPool.Overflow;
}

/* ---- slabs ---- */

static MI_POOL_SLAB *MiPoolNewSlab(ULONG Class)
{
    ULONG pages = MiPoolClassPages[Class], size = MiPoolClassSizes[Class];
    PUCHAR base = MiPool.Source->AllocatePages(pages);
    if (!base)
        return NULL;
    MiPool.PagesHeld += pages;
    MI_POOL_SLAB *s = (MI_POOL_SLAB *)base;
    RtlZeroMemory(s, sizeof(*s));
    s->Magic = MI_POOL_SLAB_MAGIC;
    s->Class = (USHORT)Class;
    s->Pages = (USHORT)pages;
    s->Blocks = (ULONG)(((ULONG64)pages * PAGE_SIZE - MI_POOL_SLAB_HEADER) / size);
    /* Thread the blocks lowest address first so a fresh slab fills in order. */
    MI_POOL_HEADER **link = &s->FreeList;
    for (ULONG i = 0; i < s->Blocks; i++) {
        PUCHAR b = base + MI_POOL_SLAB_HEADER + (ULONG64)i * size;
        MI_POOL_HEADER *h = (MI_POOL_HEADER *)b;
        h->Tag = 0;
        h->Size = 0;
        h->Class = (UCHAR)Class;
        h->State = MI_POOL_STATE_FREE;
        h->SlabPage = (UCHAR)((b - base) >> PAGE_SHIFT);
        MiPoolSeal(h);
        *link = h;
        link = (MI_POOL_HEADER **)(h + 1);
    }
    *link = NULL;
    InsertHeadList(&MiPool.Classes[Class].Partial, &s->Link);
    s->OnList = TRUE;
    MiPool.Classes[Class].EmptySlabs++;
    return s;
}

static MI_POOL_SLAB *MiPoolSlabOf(MI_POOL_HEADER *h)
{
    ULONG_PTR page = ALIGN_DOWN_BY((ULONG_PTR)h, PAGE_SIZE);
    return (MI_POOL_SLAB *)(page - (ULONG_PTR)h->SlabPage * PAGE_SIZE);
}

/* ---- allocate ---- */

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    KIRQL irql = KeGetCurrentIrql();
    if (irql > DISPATCH_LEVEL)
        KeBugCheckEx(BAD_POOL_CALLER, MI_POOL_BAD_IRQL, irql, PoolType, NumberOfBytes);
    if (NumberOfBytes == 0 || NumberOfBytes > MI_POOL_MAX_BYTES || !MiPool.Source)
        return NULL;

    KIRQL old;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    MI_POOL_HEADER *h = NULL;
    SIZE_T blockBytes;
    SIZE_T need = NumberOfBytes + sizeof(MI_POOL_HEADER);
    if (need <= MiPoolClassSizes[MI_POOL_CLASSES - 1]) {
        ULONG c = 0;
        while (MiPoolClassSizes[c] < need)
            c++;
        MI_POOL_CLASS *cls = &MiPool.Classes[c];
        MI_POOL_SLAB *s = IsListEmpty(&cls->Partial) ? MiPoolNewSlab(c)
                        : CONTAINING_RECORD(cls->Partial.Flink, MI_POOL_SLAB, Link);
        if (s) {
            h = s->FreeList;
            if (h->State != MI_POOL_STATE_FREE || h->Check != MiPoolCheck(h))
                MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_HEADER, (ULONG_PTR)(h + 1),
                               (ULONG_PTR)h, 0);
            s->FreeList = *(MI_POOL_HEADER **)(h + 1);
            if (s->InUse++ == 0)
                cls->EmptySlabs--;
            if (!s->FreeList) {
                RemoveEntryList(&s->Link);
                s->OnList = FALSE;
            }
        }
        blockBytes = MiPoolClassSizes[c];
    } else {
        SIZE_T pages = BYTES_TO_PAGES(need);
        h = MiPool.Source->AllocatePages(pages);
        if (h) {
            MiPool.PagesHeld += pages;
            h->Class = MI_POOL_CLASS_BIG;
            h->SlabPage = 0;
        }
        blockBytes = pages * PAGE_SIZE;
    }
    if (!h) {
        KeReleaseSpinLock(&MiPool.Lock, old);
        return NULL;
    }
    h->Tag = Tag;
    h->Size = (ULONG)NumberOfBytes;
    h->State = MI_POOL_STATE_ALLOCATED;
    MiPoolSeal(h);
    RtlFillMemory((PUCHAR)(h + 1) + NumberOfBytes, blockBytes - need, MI_POOL_GUARD_FILL);

    MI_POOL_TAG *t = MiPoolTagEntry(Tag);
    t->Info.Allocs++;
    t->Info.BytesInUse += NumberOfBytes;
    MiPool.BytesInUse += NumberOfBytes;
    MiPool.Allocations++;
    KeReleaseSpinLock(&MiPool.Lock, old);
    return h + 1;
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    PVOID p = ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
    if (p)
        RtlZeroMemory(p, NumberOfBytes);
    return p;
}

/* ---- free ---- */

VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    if (!P || ((ULONG_PTR)P & 15))
        KeBugCheckEx(BAD_POOL_CALLER, MI_POOL_BAD_ADDRESS, (ULONG_PTR)P, Tag, 0);
    KIRQL irql = KeGetCurrentIrql();
    if (irql > DISPATCH_LEVEL)
        KeBugCheckEx(BAD_POOL_CALLER, MI_POOL_BAD_IRQL, irql, (ULONG_PTR)P, Tag);

    MI_POOL_HEADER *h = (MI_POOL_HEADER *)P - 1;
    KIRQL old;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    if (h->Magic != MI_POOL_MAGIC || h->Check != MiPoolCheck(h) ||
        (h->Class >= MI_POOL_CLASSES && h->Class != MI_POOL_CLASS_BIG))
        MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_HEADER, (ULONG_PTR)P, (ULONG_PTR)h, 0);
    if (h->State == MI_POOL_STATE_FREE)
        MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_ALREADY_FREE, (ULONG_PTR)P, h->Tag, 0);
    if (h->State != MI_POOL_STATE_ALLOCATED)
        MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_HEADER, (ULONG_PTR)P, (ULONG_PTR)h, 1);
    if (Tag && h->Tag != Tag)
        MiPoolBugCheck(old, BAD_POOL_CALLER, MI_POOL_BAD_WRONG_TAG, (ULONG_PTR)P, h->Tag, Tag);

    BOOLEAN big = h->Class == MI_POOL_CLASS_BIG;
    SIZE_T need = (SIZE_T)h->Size + sizeof(MI_POOL_HEADER);
    SIZE_T blockBytes = big ? (SIZE_T)BYTES_TO_PAGES(need) * PAGE_SIZE : MiPoolClassSizes[h->Class];
    if (need > blockBytes)
        MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_HEADER, (ULONG_PTR)P, (ULONG_PTR)h, 2);
    const UCHAR *guard = (const UCHAR *)P + h->Size;
    for (SIZE_T i = 0; i < blockBytes - need; i++)
        if (guard[i] != MI_POOL_GUARD_FILL)
            MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_GUARD, (ULONG_PTR)P, h->Size + i, h->Tag);
    MI_POOL_SLAB *s = NULL;
    if (!big) {
        s = MiPoolSlabOf(h);
        if (s->Magic != MI_POOL_SLAB_MAGIC || s->Class != h->Class || s->InUse == 0)
            MiPoolBugCheck(old, BAD_POOL_HEADER, MI_POOL_BAD_HEADER, (ULONG_PTR)P, (ULONG_PTR)s, 3);
    }

    MI_POOL_TAG *t = MiPoolTagEntry(h->Tag);
    t->Info.Frees++;
    t->Info.BytesInUse -= h->Size;
    MiPool.BytesInUse -= h->Size;
    MiPool.Allocations--;

    RtlFillMemory(P, blockBytes - sizeof(MI_POOL_HEADER), MI_POOL_FREE_FILL);
    if (big) {
        h->State = MI_POOL_STATE_FREE;
        MiPoolSeal(h);
        MiPool.PagesHeld -= blockBytes / PAGE_SIZE;
        MiPool.Source->FreePages(h, blockBytes / PAGE_SIZE);
        KeReleaseSpinLock(&MiPool.Lock, old);
        return;
    }

    h->Tag = 0;
    h->Size = 0;
    h->State = MI_POOL_STATE_FREE;
    MiPoolSeal(h);
    *(MI_POOL_HEADER **)(h + 1) = s->FreeList;
    s->FreeList = h;
    MI_POOL_CLASS *cls = &MiPool.Classes[s->Class];
    if (!s->OnList) {
        InsertHeadList(&cls->Partial, &s->Link);
        s->OnList = TRUE;
    }
    if (--s->InUse == 0) {
        /* Keep one empty slab per class so an alloc/free pair on a boundary
         * does not take and return pages every time. */
        if (cls->EmptySlabs >= 1) {
            RemoveEntryList(&s->Link);
            s->Magic = 0;
            MiPool.PagesHeld -= s->Pages;
            MiPool.Source->FreePages(s, s->Pages);
        } else {
            cls->EmptySlabs++;
        }
    }
    KeReleaseSpinLock(&MiPool.Lock, old);
}

VOID ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

/* Returns every cached empty slab to the page source. */
VOID MiPoolTrim(VOID)
{
    KIRQL old;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    for (ULONG c = 0; c < MI_POOL_CLASSES; c++) {
        MI_POOL_CLASS *cls = &MiPool.Classes[c];
        PLIST_ENTRY e = cls->Partial.Flink;
        while (e != &cls->Partial) {
            MI_POOL_SLAB *s = CONTAINING_RECORD(e, MI_POOL_SLAB, Link);
            e = e->Flink;
            if (s->InUse)
                continue;
            RemoveEntryList(&s->Link);
            s->Magic = 0;
            MiPool.PagesHeld -= s->Pages;
            MiPool.Source->FreePages(s, s->Pages);
        }
        cls->EmptySlabs = 0;
    }
    KeReleaseSpinLock(&MiPool.Lock, old);
}

/* ---- queries ---- */

ULONG ExQueryPoolTags(POOL_TAG_INFO *Info, ULONG Max)
{
    KIRQL old;
    ULONG n = 0;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    for (ULONG i = 0; i < MI_POOL_TAG_SLOTS; i++) {
        if (!MiPool.Tags[i].Used)
            continue;
        if (n < Max)
            Info[n] = MiPool.Tags[i].Info;
        n++;
    }
    if (MiPool.Overflow.Info.Allocs) {
        if (n < Max)
            Info[n] = MiPool.Overflow.Info;
        n++;
    }
    KeReleaseSpinLock(&MiPool.Lock, old);
    return n;
}

ULONG64 ExQueryPoolTagBytes(ULONG Tag)
{
    KIRQL old;
    ULONG64 bytes = 0;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    ULONG i = (Tag * 2654435761u) >> (32 - 9);
    for (ULONG n = 0; n < MI_POOL_TAG_SLOTS; n++, i = (i + 1) & (MI_POOL_TAG_SLOTS - 1)) {
        if (!MiPool.Tags[i].Used)
            break;
        if (MiPool.Tags[i].Info.Tag == Tag) {
            bytes = MiPool.Tags[i].Info.BytesInUse;
            break;
        }
    }
    KeReleaseSpinLock(&MiPool.Lock, old);
    return bytes;
}

VOID MiPoolQueryTotals(MI_POOL_TOTALS *Totals)
{
    KIRQL old;
    KeAcquireSpinLock(&MiPool.Lock, &old);
    Totals->BytesInUse = MiPool.BytesInUse;
    Totals->Allocations = MiPool.Allocations;
    Totals->PagesHeld = MiPool.PagesHeld;
    KeReleaseSpinLock(&MiPool.Lock, old);
}
