/* lowmem.c - test hook Parameters\TestHoldLowMemory (tests/qemu/
 * test_ahci_bounce.py).  Pool memory comes from the lowest free pages, so
 * in a test machine the buffers of ordinary requests all lie below 4 GiB
 * and a 32-bit HBA (quirk no-64bit) would never need its DMA adapter's map
 * registers.  This takes every page below 4 GiB still free after the
 * controller started (and its ports' map registers were set aside), so
 * requests that follow get pool pages above 4 GiB.  The chunks are chained
 * through their own first bytes and given back when the controller stops.
 * PASSIVE_LEVEL (start and stop). */
#include "ahcip.h"

typedef struct _AHCI_HELD_CHUNK {
    struct _AHCI_HELD_CHUNK *Next;
} AHCI_HELD_CHUNK;

static AHCI_HELD_CHUNK *AhciHeldChunks;
static ULONG64 AhciHeldBytes;

VOID AhciTestHoldLowMemory(PAHCI_CONTROLLER Ctrl)
{
    static const ULONG sizes[] = { 1024 * 1024, 64 * 1024, PAGE_SIZE };
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = 0xFFFFFFFFll };
    PHYSICAL_ADDRESS boundary = { .QuadPart = 0 };

    if (AhciHeldChunks)
        return;         /* one controller holds it for all */
    for (ULONG i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (;;) {
            AHCI_HELD_CHUNK *c = MmAllocateContiguousMemorySpecifyCache(sizes[i], low, high,
                                                                        boundary, MmCached);
            if (!c)
                break;
            c->Next = AhciHeldChunks;
            AhciHeldChunks = c;
            AhciHeldBytes += sizes[i];
        }
    }
    DbgPrint("ahci%u: test: holding %llu KiB, all free memory below 4 GiB "
             "(Parameters\\TestHoldLowMemory)\n", Ctrl->Number,
             (unsigned long long)(AhciHeldBytes / 1024));
}

VOID AhciTestReleaseLowMemory(VOID)
{
    while (AhciHeldChunks) {
        AHCI_HELD_CHUNK *c = AhciHeldChunks;
        AhciHeldChunks = c->Next;
        MmFreeContiguousMemory(c);
    }
    AhciHeldBytes = 0;
}
