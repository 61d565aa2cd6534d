/* mdl.c - memory descriptor lists: a kernel buffer described by its
 * physical pages, for DMA.
 *
 * ntstor has no paging and no user space: every buffer an MDL describes is
 * resident, mapped kernel memory.  Building an MDL is therefore only
 * looking up each page's physical address (MmGetPhysicalAddress), and
 * MappedSystemVa is always the buffer itself.
 *
 * MDLs for requests of up to IOP_SMALL_MDL_PAGES / IOP_LARGE_MDL_PAGES
 * pages are allocated at that capacity and kept on free lists when freed,
 * so the read/write path does not touch the pool (NT's lookaside lists,
 * lock-free: include/wdm/ex.h; at IRQL <= DISPATCH_LEVEL). */
#include "iop.h"

/* MdlFlags bit of the I/O manager: the MDL came from one of the caches
 * below.  It is the WDK's MDL_INTERNAL, the bit NT keeps for the system's
 * own bookkeeping, so no flag a driver may set or test is reused.  Which
 * cache: the page count MmInitializeMdl recorded in Size at allocation
 * (IopMdlIsLarge); a driver that re-initializes the MDL for a shorter
 * buffer can only move it to the cache of smaller capacity, never overrun. */
#define MDL_ALLOCATED_LOOKASIDE MDL_INTERNAL
/* As the IRP cache (irp.c): as many small MDLs as requests in flight on a
 * busy machine (4 disks x QD32 = 128; ~180 bytes each); large ones (up to
 * 1 MiB, ~2 KiB each) for 4 disks x QD8 of 128 KiB. */
#define IOP_SMALL_MDL_CACHE_MAX 256
#define IOP_LARGE_MDL_CACHE_MAX 64
/* CSHORT Size bounds an MDL: (32767 - sizeof(MDL)) / 8 pages, ~16 MiB. */
#define IOP_MDL_MAX_PAGES ((0x7FFF - sizeof(MDL)) / sizeof(PFN_NUMBER))

typedef struct _IOP_MDL_CACHE {
    NPAGED_LOOKASIDE_LIST List;
    ULONG Pages;                /* capacity of each MDL in this cache */
} IOP_MDL_CACHE;

static IOP_MDL_CACHE IopSmallMdls = { .Pages = IOP_SMALL_MDL_PAGES };
static IOP_MDL_CACHE IopLargeMdls = { .Pages = IOP_LARGE_MDL_PAGES };

VOID IopInitMdlCache(VOID)
{
    ExInitializeNPagedLookasideList(&IopSmallMdls.List, NULL, NULL, 0,
                                    sizeof(MDL) + IOP_SMALL_MDL_PAGES * sizeof(PFN_NUMBER),
                                    IOP_TAG_MDL, IOP_SMALL_MDL_CACHE_MAX);
    ExInitializeNPagedLookasideList(&IopLargeMdls.List, NULL, NULL, 0,
                                    sizeof(MDL) + IOP_LARGE_MDL_PAGES * sizeof(PFN_NUMBER),
                                    IOP_TAG_MDL, IOP_LARGE_MDL_CACHE_MAX);
}

static VOID IopFlushMdls(IOP_MDL_CACHE *Cache)
{
    PSLIST_ENTRY e = InterlockedFlushSList(&Cache->List.L.ListHead);

    while (e) {
        PSLIST_ENTRY next = e->Next;
        ExFreePoolWithTag(e, IOP_TAG_MDL);
        e = next;
    }
}

VOID IopFlushMdlCache(VOID)
{
    IopFlushMdls(&IopSmallMdls);
    IopFlushMdls(&IopLargeMdls);
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, PIRP Irp)
{
    ULONG Pages;
    PMDL Mdl = NULL;
    CSHORT Flags = 0;
    IOP_MDL_CACHE *Cache = NULL;

    if (Length == 0)
        return NULL;
    Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, (ULONG64)Length);
    if (Pages > IOP_MDL_MAX_PAGES)
        return NULL;

    if (Pages <= IOP_SMALL_MDL_PAGES) {
        Flags = MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_LOOKASIDE;
        Cache = &IopSmallMdls;
    } else if (Pages <= IOP_LARGE_MDL_PAGES) {
        Flags = MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_LOOKASIDE;
        Cache = &IopLargeMdls;
    }
    if (Cache) {
        Mdl = ExAllocateFromNPagedLookasideList(&Cache->List);
    } else {
        Mdl = ExAllocatePoolWithTag(NonPagedPool, sizeof(MDL) + Pages * sizeof(PFN_NUMBER), IOP_TAG_MDL);
    }
    if (!Mdl)
        return NULL;

    MmInitializeMdl(Mdl, VirtualAddress, Length);
    Mdl->MdlFlags = Flags;

    if (Irp) {
        if (!SecondaryBuffer) {
            Irp->MdlAddress = Mdl;
        } else {
            PMDL *Link = &Irp->MdlAddress;
            while (*Link)
                Link = &(*Link)->Next;
            *Link = Mdl;
        }
    }
    return Mdl;
}

/* The cache an MDL of the lookaside class goes back to (see above). */
static BOOLEAN IopMdlIsLarge(PMDL Mdl)
{
    return ((ULONG)Mdl->Size - sizeof(MDL)) / sizeof(PFN_NUMBER) > IOP_SMALL_MDL_PAGES;
}

VOID IoFreeMdl(PMDL Mdl)
{
    CSHORT Flags = Mdl->MdlFlags;

    Mdl->MdlFlags = 0;
    if (Flags & MDL_ALLOCATED_LOOKASIDE)
        ExFreeToNPagedLookasideList(&(IopMdlIsLarge(Mdl) ? &IopLargeMdls : &IopSmallMdls)->List,
                                    Mdl);
    else
        ExFreePoolWithTag(Mdl, IOP_TAG_MDL);
}

VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    PPFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl);
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), (ULONG64)Mdl->ByteCount);
    PUCHAR Va = Mdl->StartVa;
    PFN_NUMBER First = ((ULONG_PTR)Va - NTSTOR_DIRECT_MAP_BASE) >> PAGE_SHIFT;

    /* Pool and contiguous memory come from the direct map: the page
     * numbers follow from the address, with the whole range checked
     * against the direct map's RAM ranges (MmIsDirectMapRange) rather than
     * walked page by page (a 1 MiB read has 256 pages) or even at its two
     * ends (two four-level walks, ~130 guest instructions per request).
     * Page 0 is left to the walk below, which refuses it. */
    if (First && MmIsDirectMapRange(Va, (SIZE_T)Pages << PAGE_SHIFT)) {
        /* Unrolled: a 1 MiB buffer is 257 entries, at five instructions
         * each the biggest part of the I/O manager's share of a 1 MiB read. */
#pragma GCC unroll 8
        for (ULONG i = 0; i < Pages; i++)
            Pfn[i] = First + i;
        Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
        Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
        return;
    }
    for (ULONG i = 0; i < Pages; i++, Va += PAGE_SIZE) {
        PHYSICAL_ADDRESS Pa = MmGetPhysicalAddress(Va);
        /* An unmapped page in a buffer handed to a device would become DMA
         * to physical page 0: stop instead. */
        if (Pa.QuadPart == 0)
            KeBugCheckEx(PAGE_FAULT_IN_NONPAGED_AREA, (ULONG_PTR)Va, 0, (ULONG_PTR)Mdl, 0x4D444C);
        Pfn[i] = (PFN_NUMBER)(Pa.QuadPart >> PAGE_SHIFT);
    }
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

VOID MmProbeAndLockPages(PMDL Mdl, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    MmBuildMdlForNonPagedPool(Mdl);
    Mdl->MdlFlags |= MDL_PAGES_LOCKED;
    if (Operation != IoReadAccess)
        Mdl->MdlFlags |= MDL_WRITE_OPERATION;
}

VOID MmUnlockPages(PMDL Mdl)
{
    Mdl->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
}

VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
{
    PUCHAR SourceVa = MmGetMdlVirtualAddress(SourceMdl);
    ULONG_PTR Offset = (PUCHAR)VirtualAddress - SourceVa;
    ULONG Pages, First;

    /* The piece must lie inside the source buffer. */
    if ((PUCHAR)VirtualAddress < SourceVa || Offset > SourceMdl->ByteCount)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__, (ULONG_PTR)"partial MDL outside source",
                     (ULONG_PTR)SourceMdl, (ULONG_PTR)VirtualAddress);
    if (Length == 0)
        Length = (ULONG)(SourceMdl->ByteCount - Offset);
    if (Offset + Length > SourceMdl->ByteCount)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__, (ULONG_PTR)"partial MDL longer than source",
                     (ULONG_PTR)SourceMdl, Length);

    Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, (ULONG64)Length);
    if (sizeof(MDL) + Pages * sizeof(PFN_NUMBER) > (ULONG)TargetMdl->Size)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__, (ULONG_PTR)"target MDL too small",
                     (ULONG_PTR)TargetMdl, Pages);
    First = (ULONG)(((ULONG_PTR)PAGE_ALIGN(VirtualAddress) - (ULONG_PTR)SourceMdl->StartVa) >> PAGE_SHIFT);

    TargetMdl->StartVa = PAGE_ALIGN(VirtualAddress);
    TargetMdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    TargetMdl->ByteCount = Length;
    TargetMdl->Process = NULL;
    TargetMdl->MdlFlags = (CSHORT)((TargetMdl->MdlFlags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_LOOKASIDE)) |
                                   MDL_PARTIAL |
                                   (SourceMdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA)));
    TargetMdl->MappedSystemVa = SourceMdl->MappedSystemVa ? VirtualAddress : NULL;
    RtlCopyMemory(MmGetMdlPfnArray(TargetMdl), MmGetMdlPfnArray(SourceMdl) + First, Pages * sizeof(PFN_NUMBER));
}
