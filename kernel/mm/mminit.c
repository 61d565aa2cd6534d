/* mminit.c - MmInitSystem: from the UEFI memory map to a running memory
 * manager (page allocator, the kernel's own page tables, system VA, pool),
 * plus the figures the shell and the boot line report. */
#include <ntos.h>
#include "mi.h"

MI_MAP_SUMMARY MiMapSummary;
MI_RAM_RANGE MiRamRanges[MI_MAX_RAM_RANGES];
ULONG MiRamRangeCount;

BOOLEAN MiIsDirectMapped(ULONG64 Phys, ULONG64 Size)
{
    for (ULONG i = 0; i < MiRamRangeCount; i++)
        if (Phys >= MiRamRanges[i].Base && Phys < MiRamRanges[i].End)
            return Size <= MiRamRanges[i].End - Phys;
    return FALSE;
}

BOOLEAN MmIsDirectMapRange(PVOID Va, SIZE_T Bytes)
{
    ULONG64 va = (ULONG64)Va;

    return va >= NTSTOR_DIRECT_MAP_BASE && va < MI_SYSTEM_VA_BASE &&
           MiIsDirectMapped(va - NTSTOR_DIRECT_MAP_BASE, Bytes);
}

/* Adds [Base, End) to the sorted, coalesced range list.  FALSE if the list
 * is full (the caller keeps such RAM out of the allocator). */
static BOOLEAN MiAddRamRange(ULONG64 Base, ULONG64 End)
{
    ULONG i = 0;
    while (i < MiRamRangeCount && MiRamRanges[i].End < Base)
        i++;
    if (i < MiRamRangeCount && MiRamRanges[i].Base <= End) {
        /* Touches or overlaps range i: widen it, then swallow followers. */
        if (Base < MiRamRanges[i].Base)
            MiRamRanges[i].Base = Base;
        if (End > MiRamRanges[i].End)
            MiRamRanges[i].End = End;
        while (i + 1 < MiRamRangeCount && MiRamRanges[i + 1].Base <= MiRamRanges[i].End) {
            if (MiRamRanges[i + 1].End > MiRamRanges[i].End)
                MiRamRanges[i].End = MiRamRanges[i + 1].End;
            for (ULONG j = i + 1; j + 1 < MiRamRangeCount; j++)
                MiRamRanges[j] = MiRamRanges[j + 1];
            MiRamRangeCount--;
        }
        return TRUE;
    }
    if (MiRamRangeCount == MI_MAX_RAM_RANGES)
        return FALSE;
    for (ULONG j = MiRamRangeCount; j > i; j--)
        MiRamRanges[j] = MiRamRanges[j - 1];
    MiRamRanges[i].Base = Base;
    MiRamRanges[i].End = End;
    MiRamRangeCount++;
    return TRUE;
}

static VOID MiCollectRamRanges(const VOID *Map, ULONG64 Count, ULONG64 DescSize)
{
    for (ULONG64 i = 0; i < Count; i++) {
        const ntstor_efi_memory_descriptor *d =
            (const ntstor_efi_memory_descriptor *)((const UCHAR *)Map + i * DescSize);
        if (!MiPhysTypeIsRam(d->type) || !MiDescShapeValid(d))
            continue;
        ULONG64 end = d->physical_start + (d->number_of_pages << PAGE_SHIFT);
        if (!MiAddRamRange(d->physical_start, end)) {
            DbgPrint("mm: too many RAM ranges; 0x%llx-0x%llx left out of the direct map\n",
                     (unsigned long long)d->physical_start, (unsigned long long)end);
            MiPhysReserve(&MiPhys, d->physical_start >> PAGE_SHIFT, d->number_of_pages);
        }
    }
}

static VOID MiReserveBytes(ULONG64 Phys, ULONG64 Bytes)
{
    if (Bytes == 0)
        return;
    ULONG64 first = Phys >> PAGE_SHIFT;
    ULONG64 end = ALIGN_UP_BY(Phys + Bytes, PAGE_SIZE) >> PAGE_SHIFT;
    MiPhysReserve(&MiPhys, first, end - first);
}

__attribute__((noreturn))
static VOID MiInitFailed(PCSTR Why, ULONG_PTR P2)
{
    DbgPrint("mm: cannot start: %s\n", Why);
    KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x4D4D, P2, 0, 0);
}

VOID MmInitSystem(const ntstor_bootinfo *BootInfo)
{
    /* Either a kernel-space copy or the loader's physical pointer. */
    const ntstor_bootinfo *bi = (ULONG64)BootInfo >= NTSTOR_DIRECT_MAP_BASE
        ? BootInfo : (const ntstor_bootinfo *)MmPhysToVirt((ULONG64)BootInfo);
    if (bi->magic != NTSTOR_BOOTINFO_MAGIC)
        MiInitFailed("boot info has a bad magic", (ULONG_PTR)BootInfo);
    KeInitializeSpinLock(&MiPhysLock);

    const VOID *map = MmPhysToVirt(bi->memmap);
    ULONG64 size = bi->memmap_size, stride = bi->memmap_desc_size;
    if (!bi->memmap || !NT_SUCCESS(MiPhysScanMap(map, size, stride, &MiMapSummary)))
        MiInitFailed("the UEFI memory map is unusable", bi->memmap);

    ULONG64 bitmapBytes = MiPhysBitmapBytes(MiMapSummary.PageLimit);
    ULONG64 storage = MiPhysFindStorage(map, size, stride, bitmapBytes);
    if (!storage)
        MiInitFailed("no room for the page bitmaps", bitmapBytes);
    if (!NT_SUCCESS(MiPhysInitialize(&MiPhys, map, size, stride, MmPhysToVirt(storage), bitmapBytes)))
        MiInitFailed("page allocator refused the map", 0);
    MiReserveBytes(storage, bitmapBytes);

    /* Belt and braces: whatever type the map gave them, what the loader
     * handed over stays in use (they should all be EfiLoaderData). */
    MiReserveBytes(bi->kernel_phys, bi->kernel_size);
    MiReserveBytes(bi->memmap, size);
    if ((ULONG64)BootInfo < NTSTOR_DIRECT_MAP_BASE)
        MiReserveBytes((ULONG64)BootInfo, sizeof(*bi));
    for (ULONG i = 0; i < bi->file_count && i < NTSTOR_MAX_BOOT_FILES; i++)
        MiReserveBytes(bi->files[i].phys, bi->files[i].size);

    MiCollectRamRanges(map, size / stride < MI_EFI_MAX_DESCRIPTORS ? size / stride : MI_EFI_MAX_DESCRIPTORS,
                       stride);
    MiBuildKernelAddressSpace(bi);
    MiInitSystemVa();
    MiPoolInitialize(&MiKernelPageSource);

    DbgPrint("mm: %llu MiB usable, %llu MiB free, %u map entries (%u ignored), %u RAM ranges, NX %s, WC %s\n",
             (unsigned long long)(MiPhys.TotalPages >> 8), (unsigned long long)(MiPhys.FreePages >> 8),
             MiMapSummary.DescriptorCount, MiMapSummary.IgnoredCount, MiRamRangeCount,
             MiNxBit ? "on" : "off", MiPatWriteCombining ? "on" : "off");
}

VOID MmQueryStats(MM_STATS *Stats)
{
    KIRQL old;
    KeAcquireSpinLock(&MiPhysLock, &old);
    Stats->TotalUsableBytes = MiPhys.TotalPages << PAGE_SHIFT;
    Stats->FreeBytes = MiPhys.FreePages << PAGE_SHIFT;
    KeReleaseSpinLock(&MiPhysLock, old);
    MI_POOL_TOTALS t;
    MiPoolQueryTotals(&t);
    Stats->PoolBytesInUse = t.BytesInUse;
    Stats->PoolAllocations = t.Allocations;
}

ULONG MmQueryMemoryMap(MM_MAP_TYPE_INFO *Info, ULONG Max, PULONG Ignored)
{
    ULONG n = 0;
    for (ULONG t = 0; t <= MI_EFI_TYPE_COUNT; t++) {
        if (!MiMapSummary.TypeCount[t])
            continue;
        if (n < Max) {
            Info[n].Type = t < MI_EFI_TYPE_COUNT ? t : 0xFFFFFFFF;
            Info[n].Entries = MiMapSummary.TypeCount[t];
            Info[n].Pages = MiMapSummary.TypePages[t];
        }
        n++;
    }
    if (Ignored)
        *Ignored = MiMapSummary.IgnoredCount;
    return n;
}
