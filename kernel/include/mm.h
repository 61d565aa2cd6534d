/* mm.h - kernel-internal interface of kernel/mm/ (physical pages, page
 * tables, kernel address space, pool accounting).  The exported half is
 * include/wdm/mm.h and include/wdm/ex.h. */
#ifndef NTSTOR_MM_H
#define NTSTOR_MM_H

#include <wdm.h>
#include "bootinfo.h"

/* Direct map: every physical page is at NTSTOR_DIRECT_MAP_BASE + phys. */
static inline PVOID MmPhysToVirt(ULONG64 Phys)
{
    return (PVOID)(NTSTOR_DIRECT_MAP_BASE + Phys);
}

/* TRUE if all of [Va, Va + Bytes) is in the direct map.  The direct map is
 * exactly the RAM ranges of the boot memory map and never changes after
 * boot, so this is a look at that short list instead of a page-table walk
 * (which the MDL path used to do twice per request). */
BOOLEAN MmIsDirectMapRange(PVOID Va, SIZE_T Bytes);

/* Phase 0: takes the UEFI memory map, sets up the page allocator, builds the
 * kernel's own page tables (text RX, rodata R, data/bss RW+NX, direct map
 * RW+NX, no identity map) and switches to them, then brings up the pool. */
VOID MmInitSystem(const ntstor_bootinfo *BootInfo);

/* Physical pages.  MaxPhys bounds the last byte (e.g. 0xFFFFFFFF for 32-bit
 * DMA); Align is in bytes (power of two, >= PAGE_SIZE).  Pages are zeroed. */
NTSTATUS MmAllocatePhysicalPages(ULONG64 Count, ULONG64 MaxPhys, ULONG64 Align, PULONG64 Phys);
VOID MmFreePhysicalPages(ULONG64 Phys, ULONG64 Count);

/* Page protections for MmMapKernelRange. */
#define MM_PROT_READ    0x1
#define MM_PROT_WRITE   0x2
#define MM_PROT_EXEC    0x4
#define MM_PROT_NOCACHE 0x8
#define MM_PROT_WRITECOMBINE 0x10   /* PAT write-combining (framebuffers); UC if no PAT */

/* Kernel virtual space for driver images and MMIO: reserve, map, unmap. */
PVOID MmReserveSystemVa(SIZE_T Size);
VOID MmReleaseSystemVa(PVOID Va, SIZE_T Size);
NTSTATUS MmMapKernelRange(PVOID Va, ULONG64 Phys, SIZE_T Size, ULONG Prot);
NTSTATUS MmProtectKernelRange(PVOID Va, SIZE_T Size, ULONG Prot);
VOID MmUnmapKernelRange(PVOID Va, SIZE_T Size);

/* Figures for the shell (mem, pool) and the boot line. */
typedef struct _MM_STATS {
    ULONG64 TotalUsableBytes;   /* RAM the kernel may use */
    ULONG64 FreeBytes;
    ULONG64 PoolBytesInUse;
    ULONG64 PoolAllocations;
} MM_STATS;
VOID MmQueryStats(MM_STATS *Stats);

/* The boot memory map by UEFI type (shell: mem).  Fills up to Max entries,
 * one per type present, returns how many types there are. */
typedef struct _MM_MAP_TYPE_INFO {
    ULONG Type;                 /* EFI_MEMORY_TYPE; 0xFFFFFFFF = unknown types */
    ULONG Entries;
    ULONG64 Pages;
} MM_MAP_TYPE_INFO;
ULONG MmQueryMemoryMap(MM_MAP_TYPE_INFO *Info, ULONG Max, PULONG Ignored);

typedef struct _POOL_TAG_INFO {
    ULONG Tag;
    ULONG64 Allocs, Frees;
    ULONG64 BytesInUse;
} POOL_TAG_INFO;
/* Fills up to Max entries, returns how many tags exist. */
ULONG ExQueryPoolTags(POOL_TAG_INFO *Info, ULONG Max);
/* Bytes in use under one tag (used to report a driver's leaks). */
ULONG64 ExQueryPoolTagBytes(ULONG Tag);

#endif
