/* phys.c - physical page allocator core: a pair of bitmaps built from the
 * UEFI memory map (UEFI 2.x 7.2, GetMemoryMap).  Pure logic over memory it is
 * handed, so tests/unit/test_mm_phys.c runs it on synthetic maps.  Locking is
 * the caller's (physmem.c holds MiPhysLock). */
#include <wdm.h>
#include "mi.h"

#define MI_BITS 64ULL

static const ntstor_efi_memory_descriptor *MiDesc(const VOID *Map, ULONG64 DescSize, ULONG64 i)
{
    return (const ntstor_efi_memory_descriptor *)((const UCHAR *)Map + i * DescSize);
}

BOOLEAN MiPhysTypeIsFree(ULONG Type)
{
    /* Boot services memory is the firmware's until ExitBootServices, ours
     * after (UEFI 2.x 7.2, table "Memory Type Usage after ExitBootServices"). */
    return Type == NTSTOR_EFI_CONVENTIONAL_MEMORY ||
           Type == NTSTOR_EFI_BOOT_SERVICES_CODE ||
           Type == NTSTOR_EFI_BOOT_SERVICES_DATA;
}

BOOLEAN MiPhysTypeIsRam(ULONG Type)
{
    switch (Type) {
    case 1: case 2: case 3: case 4:     /* loader and boot services code/data */
    case 5: case 6:                     /* runtime services code/data */
    case 7:                             /* conventional */
    case 9: case 10:                    /* ACPI reclaim, ACPI NVS */
    case 14:                            /* persistent memory */
        return TRUE;
    default:                            /* reserved, unusable, MMIO, PAL code */
        return FALSE;
    }
}

/* Shape checks that need no other entry: non-empty, page aligned, inside
 * the 52-bit physical space without wrapping. */
BOOLEAN MiDescShapeValid(const ntstor_efi_memory_descriptor *d)
{
    const ULONG64 limitPages = 1ULL << (MI_MAX_PHYS_BITS - PAGE_SHIFT);
    if (d->number_of_pages == 0 || (d->physical_start & (PAGE_SIZE - 1)))
        return FALSE;
    if (d->number_of_pages > limitPages)
        return FALSE;
    ULONG64 startPfn = d->physical_start >> PAGE_SHIFT;
    return startPfn < limitPages && d->number_of_pages <= limitPages - startPfn;
}

static ULONG64 MiDescCount(ULONG64 MapSize, ULONG64 DescSize)
{
    ULONG64 n = MapSize / DescSize;
    return n > MI_EFI_MAX_DESCRIPTORS ? MI_EFI_MAX_DESCRIPTORS : n;
}

BOOLEAN MiPhysDescriptorValid(const VOID *Map, ULONG64 Count, ULONG64 DescSize, ULONG64 Index)
{
    const ntstor_efi_memory_descriptor *d = MiDesc(Map, DescSize, Index);
    if (!MiDescShapeValid(d))
        return FALSE;
    ULONG64 s = d->physical_start, e = s + (d->number_of_pages << PAGE_SHIFT);
    for (ULONG64 j = 0; j < Count; j++) {
        const ntstor_efi_memory_descriptor *o = MiDesc(Map, DescSize, j);
        if (j == Index || !MiDescShapeValid(o))
            continue;
        ULONG64 os = o->physical_start, oe = os + (o->number_of_pages << PAGE_SHIFT);
        if (s < oe && os < e)
            return FALSE;
    }
    return TRUE;
}

NTSTATUS MiPhysScanMap(const VOID *Map, ULONG64 MapSize, ULONG64 DescSize, MI_MAP_SUMMARY *S)
{
    RtlZeroMemory(S, sizeof(*S));
    if (!Map || DescSize < MI_EFI_DESC_MIN_SIZE || MapSize < DescSize) {
        DbgPrint("mm: memory map unusable (size %llu, descriptor size %llu)\n",
                 (unsigned long long)MapSize, (unsigned long long)DescSize);
        return STATUS_INVALID_PARAMETER;
    }
    if (MapSize % DescSize)
        DbgPrint("mm: memory map size %llu is not a multiple of %llu; tail ignored\n",
                 (unsigned long long)MapSize, (unsigned long long)DescSize);
    if (MapSize / DescSize > MI_EFI_MAX_DESCRIPTORS)
        DbgPrint("mm: memory map has %llu descriptors; only the first %llu are used\n",
                 (unsigned long long)(MapSize / DescSize), (unsigned long long)MI_EFI_MAX_DESCRIPTORS);
    ULONG64 n = MiDescCount(MapSize, DescSize);
    S->DescriptorCount = (ULONG)n;
    for (ULONG64 i = 0; i < n; i++) {
        const ntstor_efi_memory_descriptor *d = MiDesc(Map, DescSize, i);
        if (!MiPhysDescriptorValid(Map, n, DescSize, i)) {
            DbgPrint("mm: ignoring memory map entry %llu: type %u base 0x%llx pages %llu (%s)\n",
                     (unsigned long long)i, d->type, (unsigned long long)d->physical_start,
                     (unsigned long long)d->number_of_pages,
                     MiDescShapeValid(d) ? "overlaps another entry" : "malformed");
            S->IgnoredCount++;
            continue;
        }
        ULONG t = d->type < MI_EFI_TYPE_COUNT ? d->type : MI_EFI_TYPE_COUNT;
        S->TypeCount[t]++;
        S->TypePages[t] += d->number_of_pages;
        if (!MiPhysTypeIsFree(d->type))
            continue;
        ULONG64 first = d->physical_start >> PAGE_SHIFT, end = first + d->number_of_pages;
        if (first < MI_LOW_RESERVED_PAGES)
            first = MI_LOW_RESERVED_PAGES;
        if (end > first) {
            S->UsablePages += end - first;
            if (end > S->PageLimit)
                S->PageLimit = end;
        }
    }
    return S->UsablePages ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

ULONG64 MiPhysBitmapBytes(ULONG64 PageLimit)
{
    ULONG64 words = (PageLimit + MI_BITS - 1) / MI_BITS;
    return 2 * words * sizeof(ULONG64);
}

ULONG64 MiPhysFindStorage(const VOID *Map, ULONG64 MapSize, ULONG64 DescSize, ULONG64 Bytes)
{
    if (DescSize < MI_EFI_DESC_MIN_SIZE)
        return 0;
    ULONG64 n = MiDescCount(MapSize, DescSize), need = ALIGN_UP_BY(Bytes, PAGE_SIZE) >> PAGE_SHIFT;
    for (ULONG64 i = 0; i < n; i++) {
        const ntstor_efi_memory_descriptor *d = MiDesc(Map, DescSize, i);
        if (!MiPhysTypeIsFree(d->type) || !MiPhysDescriptorValid(Map, n, DescSize, i))
            continue;
        ULONG64 first = d->physical_start >> PAGE_SHIFT, end = first + d->number_of_pages;
        if (first < MI_LOW_RESERVED_PAGES)
            first = MI_LOW_RESERVED_PAGES;
        if (end > first && end - first >= need)
            return first << PAGE_SHIFT;
    }
    return 0;
}

/* ---- bitmap helpers (bit set = in use) ---- */

static inline BOOLEAN MiTest(const ULONG64 *B, ULONG64 i)
{
    return (B[i / MI_BITS] >> (i % MI_BITS)) & 1;
}

static VOID MiSetRange(ULONG64 *B, ULONG64 i, ULONG64 n)
{
    for (; n && (i % MI_BITS); i++, n--)
        B[i / MI_BITS] |= 1ULL << (i % MI_BITS);
    for (; n >= MI_BITS; i += MI_BITS, n -= MI_BITS)
        B[i / MI_BITS] = ~0ULL;
    for (; n; i++, n--)
        B[i / MI_BITS] |= 1ULL << (i % MI_BITS);
}

static VOID MiClearRange(ULONG64 *B, ULONG64 i, ULONG64 n)
{
    for (; n && (i % MI_BITS); i++, n--)
        B[i / MI_BITS] &= ~(1ULL << (i % MI_BITS));
    for (; n >= MI_BITS; i += MI_BITS, n -= MI_BITS)
        B[i / MI_BITS] = 0;
    for (; n; i++, n--)
        B[i / MI_BITS] &= ~(1ULL << (i % MI_BITS));
}

/* Bit count without the libgcc helper __builtin_popcountll would call
 * (the kernel links no libgcc and x86-64 baseline has no POPCNT). */
static inline ULONG64 MiPopCount(ULONG64 x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (x * 0x0101010101010101ULL) >> 56;
}

/* Number of bits set in [i, i+n). */
static ULONG64 MiCountSet(const ULONG64 *B, ULONG64 i, ULONG64 n)
{
    ULONG64 c = 0;
    for (; n && (i % MI_BITS); i++, n--)
        c += MiTest(B, i);
    for (; n >= MI_BITS; i += MI_BITS, n -= MI_BITS)
        c += MiPopCount(B[i / MI_BITS]);
    for (; n; i++, n--)
        c += MiTest(B, i);
    return c;
}

/* First index in [i, Limit) whose bit equals Want, or Limit.  Whole words are
 * skipped 64 pages at a time, which is what keeps allocation cheap. */
static ULONG64 MiFindNext(const ULONG64 *B, ULONG64 i, ULONG64 Limit, BOOLEAN Want)
{
    while (i < Limit) {
        ULONG64 w = B[i / MI_BITS];
        if (!Want)
            w = ~w;
        w &= ~0ULL << (i % MI_BITS);
        if (w) {
            ULONG64 r = (i & ~(MI_BITS - 1)) + (ULONG64)__builtin_ctzll(w);
            return r < Limit ? r : Limit;
        }
        i = (i & ~(MI_BITS - 1)) + MI_BITS;
    }
    return Limit;
}

NTSTATUS MiPhysInitialize(MI_PHYS_ALLOCATOR *A, const VOID *Map, ULONG64 MapSize,
                          ULONG64 DescSize, PVOID Storage, ULONG64 StorageBytes)
{
    MI_MAP_SUMMARY s;
    NTSTATUS st = MiPhysScanMap(Map, MapSize, DescSize, &s);
    if (!NT_SUCCESS(st))
        return st;
    if (!Storage || StorageBytes < MiPhysBitmapBytes(s.PageLimit))
        return STATUS_BUFFER_TOO_SMALL;
    ULONG64 words = (s.PageLimit + MI_BITS - 1) / MI_BITS;
    A->InUse = Storage;
    A->Usable = (PULONG64)Storage + words;
    A->PageLimit = s.PageLimit;
    for (ULONG64 w = 0; w < words; w++) {
        A->InUse[w] = ~0ULL;
        A->Usable[w] = 0;
    }
    ULONG64 n = MiDescCount(MapSize, DescSize);
    for (ULONG64 i = 0; i < n; i++) {
        const ntstor_efi_memory_descriptor *d = MiDesc(Map, DescSize, i);
        if (!MiPhysTypeIsFree(d->type) || !MiPhysDescriptorValid(Map, n, DescSize, i))
            continue;
        ULONG64 first = d->physical_start >> PAGE_SHIFT, end = first + d->number_of_pages;
        if (first < MI_LOW_RESERVED_PAGES)
            first = MI_LOW_RESERVED_PAGES;
        if (end <= first)
            continue;
        MiClearRange(A->InUse, first, end - first);
        MiSetRange(A->Usable, first, end - first);
    }
    A->TotalPages = s.UsablePages;
    A->FreePages = s.UsablePages;
    A->SearchHint = MiFindNext(A->InUse, 0, A->PageLimit, FALSE);
    return STATUS_SUCCESS;
}

VOID MiPhysReserve(MI_PHYS_ALLOCATOR *A, ULONG64 Pfn, ULONG64 Count)
{
    if (Pfn >= A->PageLimit)
        return;
    if (Count > A->PageLimit - Pfn)
        Count = A->PageLimit - Pfn;
    A->FreePages -= Count - MiCountSet(A->InUse, Pfn, Count);
    MiSetRange(A->InUse, Pfn, Count);
}

NTSTATUS MiPhysAllocate(MI_PHYS_ALLOCATOR *A, ULONG64 Count, ULONG64 LowestPfn,
                        ULONG64 HighestPfn, ULONG64 AlignPages, ULONG64 BoundaryPages,
                        PULONG64 Pfn)
{
    if (Count == 0 || AlignPages == 0 || (AlignPages & (AlignPages - 1)))
        return STATUS_INVALID_PARAMETER;
    if (BoundaryPages && ((BoundaryPages & (BoundaryPages - 1)) || Count > BoundaryPages))
        return STATUS_INVALID_PARAMETER;
    if (Count > A->FreePages)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Limit = one past the last page the run may use. */
    ULONG64 limit = A->PageLimit;
    if (HighestPfn < limit)
        limit = HighestPfn + 1;
    ULONG64 p = LowestPfn > A->SearchHint ? LowestPfn : A->SearchHint;
    for (;;) {
        p = MiFindNext(A->InUse, p, limit, FALSE);
        p = ALIGN_UP_BY(p, AlignPages);
        if (p >= limit || Count > limit - p)
            return STATUS_INSUFFICIENT_RESOURCES;
        if (BoundaryPages && p / BoundaryPages != (p + Count - 1) / BoundaryPages) {
            p = ALIGN_UP_BY(p + 1, BoundaryPages);
            continue;
        }
        ULONG64 used = MiFindNext(A->InUse, p, p + Count, TRUE);
        if (used == p + Count)
            break;
        p = used + 1;
    }
    MiSetRange(A->InUse, p, Count);
    A->FreePages -= Count;
    if (p == A->SearchHint)
        A->SearchHint = MiFindNext(A->InUse, p + Count, A->PageLimit, FALSE);
    *Pfn = p;
    return STATUS_SUCCESS;
}

NTSTATUS MiPhysFree(MI_PHYS_ALLOCATOR *A, ULONG64 Pfn, ULONG64 Count)
{
    if (Count == 0 || Pfn >= A->PageLimit || Count > A->PageLimit - Pfn)
        return STATUS_INVALID_PARAMETER;
    if (MiCountSet(A->Usable, Pfn, Count) != Count)
        return STATUS_INVALID_PARAMETER;
    if (MiCountSet(A->InUse, Pfn, Count) != Count)
        return STATUS_UNSUCCESSFUL;
    MiClearRange(A->InUse, Pfn, Count);
    A->FreePages += Count;
    if (Pfn < A->SearchHint)
        A->SearchHint = Pfn;
    return STATUS_SUCCESS;
}
