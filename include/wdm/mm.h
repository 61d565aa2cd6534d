/* wdm/mm.h - memory manager services exported to drivers (kernel/mm/):
 * MMIO mapping, contiguous DMA memory, physical addresses, MDLs. */
#ifndef NTSTOR_WDM_MM_H
#define NTSTOR_WDM_MM_H

#include <ntdef.h>

#define PAGE_SIZE 4096
#define PAGE_SHIFT 12
#define BYTE_OFFSET(va) ((ULONG)((ULONG_PTR)(va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(va) ((PVOID)((ULONG_PTR)(va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, size) \
    ((ULONG)((BYTE_OFFSET(va) + (size) + PAGE_SIZE - 1) >> PAGE_SHIFT))
#define BYTES_TO_PAGES(size) ((ULONG)(((size) + PAGE_SIZE - 1) >> PAGE_SHIFT))

typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
} MEMORY_CACHING_TYPE;

/* Maps device registers uncached (or as asked) into kernel space.
 * NULL if the range cannot be mapped. */
PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType);
VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

/* Physically contiguous, zeroed memory within [Lowest, Highest], not crossing
 * a BoundaryAddressMultiple boundary (0 = none).  For DMA descriptor rings and
 * buffers of devices that can only reach 32 bits (Highest = 0xFFFFFFFF). */
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
        PHYSICAL_ADDRESS LowestAcceptableAddress,
        PHYSICAL_ADDRESS HighestAcceptableAddress,
        PHYSICAL_ADDRESS BoundaryAddressMultiple,
        MEMORY_CACHING_TYPE CacheType);
VOID MmFreeContiguousMemory(PVOID BaseAddress);

/* Physical address behind any mapped kernel virtual address (direct map,
 * kernel image, driver images, pool, contiguous memory). 0 if unmapped. */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

#endif
