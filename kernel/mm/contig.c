/* contig.c - physically contiguous memory for DMA (descriptor rings, command
 * tables, bounce buffers): MmAllocateContiguousMemorySpecifyCache and
 * MmFreeContiguousMemory.
 *
 * The memory is returned through the direct map, which is write-back
 * cached whatever CacheType asks: PCI/PCIe DMA on x86 snoops the CPU caches
 * (PCI Express Base 4.0, 2.2.6.5 "No Snoop" is opt-in), so cached memory is
 * coherent with the device and no second, uncached alias is created.
 *
 * Each allocation is remembered (physical base, pages) so Free needs only
 * the pointer.  MiContigLock guards the list; IRQL <= DISPATCH_LEVEL. */
#include <ntos.h>
#include "mi.h"

#define MI_CONTIG_TAG NTSTOR_TAG('M', 'm', 'C', 't')
/* BAD_POOL_CALLER 0x60: freeing contiguous memory that was not allocated
 * as such (NT's parameter for this case). */
#define MI_BAD_CONTIG_FREE 0x60

typedef struct _MI_CONTIG_BLOCK {
    LIST_ENTRY Link;
    ULONG64 Phys;
    ULONG64 Pages;
} MI_CONTIG_BLOCK;

static LIST_ENTRY MiContigList = { &MiContigList, &MiContigList };
static KSPIN_LOCK MiContigLock;

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
        PHYSICAL_ADDRESS LowestAcceptableAddress,
        PHYSICAL_ADDRESS HighestAcceptableAddress,
        PHYSICAL_ADDRESS BoundaryAddressMultiple,
        MEMORY_CACHING_TYPE CacheType)
{
    ULONG64 lowest = (ULONG64)LowestAcceptableAddress.QuadPart;
    ULONG64 highest = (ULONG64)HighestAcceptableAddress.QuadPart;
    ULONG64 boundary = (ULONG64)BoundaryAddressMultiple.QuadPart;
    if (NumberOfBytes == 0 || NumberOfBytes > (1ULL << 40) || highest < lowest)
        return NULL;
    ULONG64 pages = ALIGN_UP_BY(NumberOfBytes, PAGE_SIZE) >> PAGE_SHIFT;
    if (boundary && ((boundary & (boundary - 1)) || boundary < PAGE_SIZE ||
                     NumberOfBytes > boundary)) {
        DbgPrint("mm: contiguous %llu bytes with boundary 0x%llx: impossible\n",
                 (unsigned long long)NumberOfBytes, (unsigned long long)boundary);
        return NULL;
    }
    /* Highest is the last acceptable byte: a page qualifies if it ends at
     * or below it. */
    ULONG64 highestPfn = highest == ~0ULL ? ~0ULL : (highest + 1) >> PAGE_SHIFT;
    if (highestPfn == 0)
        return NULL;
    if (highest != ~0ULL)
        highestPfn--;
    ULONG64 lowestPfn = ALIGN_UP_BY(lowest, PAGE_SIZE) >> PAGE_SHIFT;

    MI_CONTIG_BLOCK *b = ExAllocatePoolWithTag(NonPagedPool, sizeof(*b), MI_CONTIG_TAG);
    if (!b)
        return NULL;
    ULONG64 phys;
    NTSTATUS st = MiAllocatePhysicalRun(pages, lowestPfn, highestPfn, boundary >> PAGE_SHIFT, &phys);
    if (!NT_SUCCESS(st)) {
        DbgPrint("mm: no contiguous %llu pages in [0x%llx, 0x%llx]\n", (unsigned long long)pages,
                 (unsigned long long)lowest, (unsigned long long)highest);
        ExFreePoolWithTag(b, MI_CONTIG_TAG);
        return NULL;
    }
    b->Phys = phys;
    b->Pages = pages;
    KIRQL old;
    KeAcquireSpinLock(&MiContigLock, &old);
    InsertTailList(&MiContigList, &b->Link);
    KeReleaseSpinLock(&MiContigLock, old);
    return MmPhysToVirt(phys);
}

VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
    ULONG64 phys = (ULONG64)BaseAddress - NTSTOR_DIRECT_MAP_BASE;
    MI_CONTIG_BLOCK *found = NULL;
    KIRQL old;
    KeAcquireSpinLock(&MiContigLock, &old);
    for (PLIST_ENTRY e = MiContigList.Flink; e != &MiContigList; e = e->Flink) {
        MI_CONTIG_BLOCK *b = CONTAINING_RECORD(e, MI_CONTIG_BLOCK, Link);
        if (b->Phys == phys) {
            RemoveEntryList(&b->Link);
            found = b;
            break;
        }
    }
    KeReleaseSpinLock(&MiContigLock, old);
    if (!found)
        KeBugCheckEx(BAD_POOL_CALLER, MI_BAD_CONTIG_FREE, (ULONG_PTR)BaseAddress, 0, 0);
    RtlFillMemory(BaseAddress, found->Pages << PAGE_SHIFT, 0xDD);
    MmFreePhysicalPages(found->Phys, found->Pages);
    ExFreePoolWithTag(found, MI_CONTIG_TAG);
}
