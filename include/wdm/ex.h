/* wdm/ex.h - executive pool exported to drivers (kernel/mm/pool.c).
 *
 * One nonpaged pool; PagedPool is accepted and served from it.  Every
 * allocation carries a 4-character tag ('ahci' is written 'icha' in NT's
 * little-endian multi-character constants; use the NTSTOR_TAG macro).
 * The kernel accounts bytes and allocations per tag (shell: pool). */
#ifndef NTSTOR_WDM_EX_H
#define NTSTOR_WDM_EX_H

#include <ntdef.h>

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    PagedPool = 1,
    NonPagedPoolNx = 512,
} POOL_TYPE;

/* NTSTOR_TAG('A','h','c','i') stores the bytes "Ahci" in memory order. */
#define NTSTOR_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

/* Returns NULL on exhaustion or NumberOfBytes == 0.  At IRQL <= DISPATCH_LEVEL.
 * Memory is 16-byte aligned, not zeroed. */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Zeroed allocation. */
PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* The tag must match the allocation's (BAD_POOL_CALLER otherwise). */
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

#endif
