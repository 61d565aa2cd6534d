/* sysva.c - allocator for the system virtual address region (driver images,
 * MMIO mappings).  A sorted array of live reservations; a new one goes into
 * the first gap that holds it plus one guard page, which stays unmapped so a
 * run off the end of a mapping faults instead of landing in the next one.
 * Pure logic (no page tables); iospace.c holds the lock and maps. */
#include <wdm.h>
#include "mi.h"

VOID MiVaInitialize(MI_VA_SPACE *Space, ULONG64 Base, ULONG64 Pages)
{
    Space->Base = Base;
    Space->Pages = Pages;
    Space->Count = 0;
}

ULONG64 MiVaReserve(MI_VA_SPACE *Space, ULONG64 Pages)
{
    if (Pages == 0 || Pages >= Space->Pages || Space->Count == MI_SYSTEM_VA_MAX_RESERVATIONS)
        return 0;
    ULONG64 span = Pages + 1;   /* + guard page */
    ULONG64 cursor = Space->Base;
    ULONG64 end = Space->Base + (Space->Pages << PAGE_SHIFT);
    ULONG i;
    for (i = 0; i <= Space->Count; i++) {
        ULONG64 gapEnd = i < Space->Count ? Space->Used[i].Base : end;
        if (gapEnd > cursor && ((gapEnd - cursor) >> PAGE_SHIFT) >= span)
            break;
        if (i < Space->Count)
            cursor = Space->Used[i].Base + ((Space->Used[i].Pages + 1) << PAGE_SHIFT);
    }
    if (i > Space->Count)
        return 0;
    for (ULONG j = Space->Count; j > i; j--)
        Space->Used[j] = Space->Used[j - 1];
    Space->Used[i].Base = cursor;
    Space->Used[i].Pages = Pages;
    Space->Count++;
    return cursor;
}

ULONG64 MiVaRelease(MI_VA_SPACE *Space, ULONG64 Base)
{
    ULONG lo = 0, hi = Space->Count;
    while (lo < hi) {
        ULONG mid = (lo + hi) / 2;
        if (Space->Used[mid].Base < Base)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == Space->Count || Space->Used[lo].Base != Base)
        return 0;
    ULONG64 pages = Space->Used[lo].Pages;
    for (ULONG j = lo; j + 1 < Space->Count; j++)
        Space->Used[j] = Space->Used[j + 1];
    Space->Count--;
    return pages;
}
