/* mi.h - private interface between the files of kernel/mm/.  Mi* names are
 * internal to the memory manager (NT's own prefix for it); nothing outside
 * kernel/mm/ (and kernel/shell/cmd_mem.c, owned with it) includes this.
 *
 * The cores in phys.c, pool.c and sysva.c are plain logic over memory they
 * are handed, so the host unit tests link them unchanged; the files that
 * touch CR3, MSRs and the page tables (mminit.c, pagetable.c, iospace.c,
 * contig.c, physmem.c) are kernel-only. */
#ifndef NTSTOR_MI_H
#define NTSTOR_MI_H

#include <wdm.h>
#include <bootinfo.h>
#include <mm.h>

/* ---- physical page allocator core (phys.c) ------------------------------ */

/* Pages below 1 MiB are never handed out: real-mode leftovers (IVT, BDA,
 * EBDA, option ROM shadows) and page 0, whose address looks like NULL. */
#define MI_LOW_RESERVED_PAGES   256ULL
/* The UEFI descriptor layout has 40 bytes (UEFI 2.x 7.2, EFI_MEMORY_DESCRIPTOR);
 * firmware may use a bigger stride, never a smaller one. */
#define MI_EFI_DESC_MIN_SIZE    40ULL
/* A map with more descriptors than this is absurd; the rest are ignored. */
#define MI_EFI_MAX_DESCRIPTORS  4096ULL
/* x86-64 physical addresses are at most 52 bits (Intel SDM vol. 3 4.1.4). */
#define MI_MAX_PHYS_BITS        52
#define MI_EFI_TYPE_COUNT       16   /* EfiReservedMemoryType .. EfiUnacceptedMemoryType */

typedef struct _MI_MAP_SUMMARY {
    ULONG DescriptorCount;          /* entries walked */
    ULONG IgnoredCount;             /* absurd or overlapping entries */
    ULONG TypeCount[MI_EFI_TYPE_COUNT + 1];      /* last slot: unknown types */
    ULONG64 TypePages[MI_EFI_TYPE_COUNT + 1];
    ULONG64 UsablePages;            /* free-typed pages at or above 1 MiB */
    ULONG64 PageLimit;              /* one past the highest usable page */
} MI_MAP_SUMMARY;

/* Bit set in InUse = the page is not available (allocated, reserved, or not
 * usable RAM at all).  Bit set in Usable = the page is free-typed RAM that
 * the allocator manages; only those may be freed. */
typedef struct _MI_PHYS_ALLOCATOR {
    PULONG64 InUse;
    PULONG64 Usable;
    ULONG64 PageLimit;      /* both bitmaps cover pages [0, PageLimit) */
    ULONG64 TotalPages;     /* usable pages */
    ULONG64 FreePages;
    ULONG64 SearchHint;     /* every page below it is in use */
} MI_PHYS_ALLOCATOR;

/* Bytes of bitmap storage MiPhysInitialize needs for PageLimit pages. */
ULONG64 MiPhysBitmapBytes(ULONG64 PageLimit);
/* TRUE if the descriptor is non-empty, page aligned and inside the 52-bit
 * physical space (no other entry consulted). */
BOOLEAN MiDescShapeValid(const ntstor_efi_memory_descriptor *Desc);
/* TRUE if descriptor Index is well-formed and overlaps no other entry. */
BOOLEAN MiPhysDescriptorValid(const VOID *Map, ULONG64 Count, ULONG64 DescSize, ULONG64 Index);
/* Whether a UEFI memory type is free after ExitBootServices. */
BOOLEAN MiPhysTypeIsFree(ULONG Type);
/* Whether a UEFI memory type is RAM (goes into the direct map). */
BOOLEAN MiPhysTypeIsRam(ULONG Type);
/* Validates the map and summarises it; logs each ignored entry. */
NTSTATUS MiPhysScanMap(const VOID *Map, ULONG64 MapSize, ULONG64 DescSize, MI_MAP_SUMMARY *Summary);
/* Finds Bytes of free-typed memory (page aligned, >= 1 MiB) in the map to
 * hold the bitmaps.  Returns the physical address, 0 if none. */
ULONG64 MiPhysFindStorage(const VOID *Map, ULONG64 MapSize, ULONG64 DescSize, ULONG64 Bytes);
/* Sets up A over Storage (MiPhysBitmapBytes(Summary->PageLimit) bytes). */
NTSTATUS MiPhysInitialize(MI_PHYS_ALLOCATOR *A, const VOID *Map, ULONG64 MapSize,
                          ULONG64 DescSize, PVOID Storage, ULONG64 StorageBytes);
/* Marks [Pfn, Pfn+Count) in use whatever its state (kernel image, bitmaps). */
VOID MiPhysReserve(MI_PHYS_ALLOCATOR *A, ULONG64 Pfn, ULONG64 Count);
/* Finds Count free pages with LowestPfn <= first, last <= HighestPfn, first a
 * multiple of AlignPages, not crossing a multiple of BoundaryPages (0 = none).
 * Lowest-address fit. */
NTSTATUS MiPhysAllocate(MI_PHYS_ALLOCATOR *A, ULONG64 Count, ULONG64 LowestPfn,
                        ULONG64 HighestPfn, ULONG64 AlignPages, ULONG64 BoundaryPages,
                        PULONG64 Pfn);
/* STATUS_INVALID_PARAMETER if any page is not managed RAM, STATUS_UNSUCCESSFUL
 * if any page is already free (double free); nothing changes in either case. */
NTSTATUS MiPhysFree(MI_PHYS_ALLOCATOR *A, ULONG64 Pfn, ULONG64 Count);

/* ---- nonpaged pool core (pool.c) ---------------------------------------- */

/* Where the pool gets whole pages: the kernel's direct map in the kernel,
 * aligned_alloc in the host tests.  Pages must be PAGE_SIZE aligned.
 * Called with the pool lock held (at DISPATCH_LEVEL). */
typedef struct _MI_PAGE_SOURCE {
    PVOID (*AllocatePages)(SIZE_T Count);
    VOID (*FreePages)(PVOID Va, SIZE_T Count);
} MI_PAGE_SOURCE;

/* (Re)initialises the pool; everything allocated before is forgotten. */
VOID MiPoolInitialize(const MI_PAGE_SOURCE *Source);
typedef struct _MI_POOL_TOTALS {
    ULONG64 BytesInUse;         /* requested bytes of live allocations */
    ULONG64 Allocations;        /* live allocations */
    ULONG64 PagesHeld;          /* pages the pool holds from its source */
} MI_POOL_TOTALS;
VOID MiPoolQueryTotals(MI_POOL_TOTALS *Totals);
/* Returns cached empty slabs to the page source. */
VOID MiPoolTrim(VOID);

/* ---- system virtual address space allocator core (sysva.c) -------------- */

#define MI_SYSTEM_VA_BASE   0xFFFFFE0000000000ULL
#define MI_SYSTEM_VA_SIZE   (64ULL << 30)
#define MI_SYSTEM_VA_MAX_RESERVATIONS 1024

typedef struct _MI_VA_EXTENT { ULONG64 Base, Pages; } MI_VA_EXTENT;
typedef struct _MI_VA_SPACE {
    ULONG64 Base, Pages;                /* the region */
    ULONG Count;                        /* live reservations, sorted by Base */
    MI_VA_EXTENT Used[MI_SYSTEM_VA_MAX_RESERVATIONS];
} MI_VA_SPACE;

VOID MiVaInitialize(MI_VA_SPACE *Space, ULONG64 Base, ULONG64 Pages);
/* First fit; each reservation is followed by one unmapped guard page.
 * Returns 0 when the region is full. */
ULONG64 MiVaReserve(MI_VA_SPACE *Space, ULONG64 Pages);
/* Returns the pages the reservation at Base had (0 if Base is not one). */
ULONG64 MiVaRelease(MI_VA_SPACE *Space, ULONG64 Base);

/* ---- kernel-only glue ---------------------------------------------------- */
#ifndef NTSTOR_HOST_TEST

/* x86-64 4-level paging entries (Intel SDM vol. 3, 4.5, tables 4-14..4-20). */
#define MI_PTE_PRESENT  0x001ULL
#define MI_PTE_WRITE    0x002ULL
#define MI_PTE_PWT      0x008ULL
#define MI_PTE_PCD      0x010ULL
#define MI_PTE_LARGE    0x080ULL        /* PS in a PDE/PDPTE */
#define MI_PTE_PAT_4K   0x080ULL        /* PAT bit of a 4 KiB PTE */
#define MI_PTE_PAT_LARGE 0x1000ULL      /* PAT bit of a 2 MiB/1 GiB entry */
#define MI_PTE_ADDR     0x000FFFFFFFFFF000ULL
#define MI_PTE_NX       (1ULL << 63)

#define MI_LARGE_PAGE_SIZE (2ULL << 20)

extern MI_PHYS_ALLOCATOR MiPhys;
extern KSPIN_LOCK MiPhysLock;
extern MI_MAP_SUMMARY MiMapSummary;
extern ULONG64 MiNxBit;         /* MI_PTE_NX if EFER.NXE is on, else 0 */
extern BOOLEAN MiPatWriteCombining;

/* RAM ranges present in the direct map (coalesced, sorted). */
#define MI_MAX_RAM_RANGES 128
typedef struct _MI_RAM_RANGE { ULONG64 Base, End; } MI_RAM_RANGE;
extern MI_RAM_RANGE MiRamRanges[MI_MAX_RAM_RANGES];
extern ULONG MiRamRangeCount;
BOOLEAN MiIsDirectMapped(ULONG64 Phys, ULONG64 Size);

/* Page tables (pagetable.c).  Leaf bits from MM_PROT_* flags. */
ULONG64 MiProtToPte(ULONG Prot, BOOLEAN Large);
/* Maps one 4 KiB page in the tables rooted at Pml4Phys (creating tables). */
NTSTATUS MiMapPage(ULONG64 Pml4Phys, ULONG64 Va, ULONG64 Phys, ULONG64 Bits);
NTSTATUS MiMapLargePage(ULONG64 Pml4Phys, ULONG64 Va, ULONG64 Phys, ULONG64 Bits);
/* Returns the 4 KiB PTE for Va, or NULL if not mapped by a 4 KiB page. */
PULONG64 MiFindPte(ULONG64 Pml4Phys, ULONG64 Va);
/* Physical address behind Va, or 0 (walks 1 GiB, 2 MiB and 4 KiB pages). */
ULONG64 MiTranslate(ULONG64 Pml4Phys, ULONG64 Va);
extern ULONG64 MiKernelPml4;    /* physical; 0 until MmInitSystem switches */
extern KSPIN_LOCK MiPageTableLock;

static inline VOID MiInvalidatePage(ULONG64 Va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(Va) : "memory");
}

/* Builds the kernel tables and loads CR3 (mminit.c calls it). */
VOID MiBuildKernelAddressSpace(const ntstor_bootinfo *BootInfo);
/* System VA (iospace.c). */
VOID MiInitSystemVa(VOID);
/* Zeroed pages for contiguous memory: lowest and highest page bounds and a
 * boundary in pages (physmem.c, used by contig.c). */
NTSTATUS MiAllocatePhysicalRun(ULONG64 Count, ULONG64 LowestPfn, ULONG64 HighestPfn,
                               ULONG64 BoundaryPages, PULONG64 Phys);
/* Pool page source over the physical allocator (physmem.c). */
extern const MI_PAGE_SOURCE MiKernelPageSource;

#endif /* NTSTOR_HOST_TEST */
#endif
