/* physmem.c - the kernel's physical page allocator: the core of phys.c over
 * the boot memory map, behind a spin lock, handing out zeroed pages; and the
 * page source the pool draws from.
 *
 * Locking: MiPhysLock guards MiPhys (its bitmaps and counters).  Callable at
 * IRQL <= DISPATCH_LEVEL.  Zeroing happens outside the lock. */
#include <ntos.h>
#include "mi.h"

MI_PHYS_ALLOCATOR MiPhys;
KSPIN_LOCK MiPhysLock;

NTSTATUS MmAllocatePhysicalPages(ULONG64 Count, ULONG64 MaxPhys, ULONG64 Align, PULONG64 Phys)
{
    if (Align == 0)
        Align = PAGE_SIZE;
    if (Count == 0 || Align < PAGE_SIZE || (Align & (Align - 1)))
        return STATUS_INVALID_PARAMETER;
    /* MaxPhys bounds the last byte; 0 means no bound. */
    ULONG64 highestPfn = MaxPhys ? MaxPhys >> PAGE_SHIFT : ~0ULL;
    if (MaxPhys && ((MaxPhys + 1) & (PAGE_SIZE - 1)) && highestPfn)
        highestPfn--;   /* a partial last page is not below the limit */
    KIRQL old;
    ULONG64 pfn;
    KeAcquireSpinLock(&MiPhysLock, &old);
    NTSTATUS st = MiPhysAllocate(&MiPhys, Count, 0, highestPfn, Align >> PAGE_SHIFT, 0, &pfn);
    KeReleaseSpinLock(&MiPhysLock, old);
    if (!NT_SUCCESS(st))
        return st;
    RtlZeroMemory(MmPhysToVirt(pfn << PAGE_SHIFT), Count << PAGE_SHIFT);
    *Phys = pfn << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

NTSTATUS MiAllocatePhysicalRun(ULONG64 Count, ULONG64 LowestPfn, ULONG64 HighestPfn,
                               ULONG64 BoundaryPages, PULONG64 Phys)
{
    KIRQL old;
    ULONG64 pfn;
    KeAcquireSpinLock(&MiPhysLock, &old);
    NTSTATUS st = MiPhysAllocate(&MiPhys, Count, LowestPfn, HighestPfn, 1, BoundaryPages, &pfn);
    KeReleaseSpinLock(&MiPhysLock, old);
    if (!NT_SUCCESS(st))
        return st;
    RtlZeroMemory(MmPhysToVirt(pfn << PAGE_SHIFT), Count << PAGE_SHIFT);
    *Phys = pfn << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

VOID MmFreePhysicalPages(ULONG64 Phys, ULONG64 Count)
{
    if (Phys & (PAGE_SIZE - 1))
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x99, Phys, Count, 0);
    KIRQL old;
    KeAcquireSpinLock(&MiPhysLock, &old);
    NTSTATUS st = MiPhysFree(&MiPhys, Phys >> PAGE_SHIFT, Count);
    KeReleaseSpinLock(&MiPhysLock, old);
    /* Freeing a page twice, or one the allocator never owned, means some
     * owner's bookkeeping is broken: stop before the page is handed out
     * twice.  0x99 is NT's "freeing a page that is not in use" parameter. */
    if (!NT_SUCCESS(st))
        KeBugCheckEx(PFN_LIST_CORRUPT, 0x99, Phys, Count, (ULONG_PTR)st);
}

/* ---- the pool's page source ---- */

static PVOID MiPoolGetPages(SIZE_T Count)
{
    ULONG64 phys;
    if (!NT_SUCCESS(MmAllocatePhysicalPages(Count, 0, PAGE_SIZE, &phys)))
        return NULL;
    return MmPhysToVirt(phys);
}

static VOID MiPoolPutPages(PVOID Va, SIZE_T Count)
{
    MmFreePhysicalPages((ULONG64)Va - NTSTOR_DIRECT_MAP_BASE, Count);
}

const MI_PAGE_SOURCE MiKernelPageSource = { MiPoolGetPages, MiPoolPutPages };
