/* mdl.c - filling MDLs from the page tables: MmBuildMdlForNonPagedPool,
 * MmProbeAndLockPages, MmUnlockPages.  ntstor has no paging, so every kernel
 * buffer is resident and mapped; "locking" only records the page numbers.
 * Any IRQL <= DISPATCH_LEVEL; no lock (the tables of a live buffer do not
 * change under it). */
#include <ntos.h>
#include "mi.h"

/* Fills the PFN array; FALSE (and the VA) if a page is not mapped. */
static BOOLEAN MiFillMdl(PMDL Mdl, PULONG64 BadVa)
{
    ULONG64 va = (ULONG64)Mdl->StartVa;
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(Mdl->ByteOffset, Mdl->ByteCount);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(Mdl);
    /* The direct map is linear: one translation covers the whole buffer.
     * That is the common case (pool and contiguous memory live there). */
    if (va >= NTSTOR_DIRECT_MAP_BASE && va < MI_SYSTEM_VA_BASE &&
        MiIsDirectMapped(va - NTSTOR_DIRECT_MAP_BASE, (ULONG64)pages << PAGE_SHIFT)) {
        PFN_NUMBER first = (va - NTSTOR_DIRECT_MAP_BASE) >> PAGE_SHIFT;
        for (ULONG i = 0; i < pages; i++)
            pfn[i] = first + i;
        return TRUE;
    }
    for (ULONG i = 0; i < pages; i++) {
        ULONG64 pa = (ULONG64)MmGetPhysicalAddress((PVOID)(va + ((ULONG64)i << PAGE_SHIFT))).QuadPart;
        if (!pa) {
            *BadVa = va + ((ULONG64)i << PAGE_SHIFT);
            return FALSE;
        }
        pfn[i] = pa >> PAGE_SHIFT;
    }
    return TRUE;
}

VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    ULONG64 bad = 0;
    if (!MiFillMdl(Mdl, &bad))
        KeBugCheckEx(PAGE_FAULT_IN_NONPAGED_AREA, bad, 0, (ULONG_PTR)Mdl, 0);
    Mdl->MappedSystemVa = (PUCHAR)Mdl->StartVa + Mdl->ByteOffset;
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

VOID MmProbeAndLockPages(PMDL Mdl, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    ULONG64 bad = 0;
    if (!MiFillMdl(Mdl, &bad))
        KeBugCheckEx(PAGE_FAULT_IN_NONPAGED_AREA, bad, Operation != IoReadAccess, (ULONG_PTR)Mdl, 0);
    Mdl->MappedSystemVa = (PUCHAR)Mdl->StartVa + Mdl->ByteOffset;
    Mdl->MdlFlags |= MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA;
    if (Operation != IoReadAccess)
        Mdl->MdlFlags |= MDL_WRITE_OPERATION;
}

VOID MmUnlockPages(PMDL Mdl)
{
    Mdl->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
}
