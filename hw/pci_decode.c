/* pci_decode.c - the pure parts of PCI configuration: capability list walk
 * and BAR decoding.  Configuration space comes from devices, so every
 * value here is treated as possibly garbage. */
#include "pcip.h"
#include <regs/pci.h>

UCHAR HalpPciWalkCapabilities(HALP_PCI_READ8 Read8, PVOID ReadContext, UCHAR CapPtrOffset,
                              HALP_PCI_CAP_VISIT Visit, PVOID VisitContext)
{
    /* 6.7: the bottom two bits of every pointer are reserved; mask them. */
    UCHAR ptr = Read8(ReadContext, CapPtrOffset) & 0xFC;

    for (ULONG n = 0; n < PCI_CAP_MAX_ENTRIES && ptr >= PCI_CAP_MIN_OFFSET; n++) {
        UCHAR id = Read8(ReadContext, ptr);
        if (id == 0xFF)     /* a vanished device reads all ones */
            return 0;
        if (Visit(VisitContext, id, ptr))
            return ptr;
        ptr = Read8(ReadContext, (USHORT)(ptr + 1)) & 0xFC;
    }
    return 0;
}

ULONG HalpPciDecodeBar(ULONG Original, ULONG Mask, ULONG OriginalHigh, ULONG MaskHigh,
                       BOOLEAN HaveHigh, HAL_PCI_BAR *Bar)
{
    Bar->Base = 0;
    Bar->Size = 0;
    Bar->Io = Bar->Is64 = Bar->Prefetchable = FALSE;

    if (Original & PCI_BAR_IO) {
        ULONG sizeMask = Mask & PCI_BAR_IO_MASK;
        Bar->Io = TRUE;
        if (sizeMask == 0)
            return 1;
        /* I/O BARs may hardwire the upper 16 address bits to zero. */
        if ((sizeMask & 0xFFFF0000u) == 0)
            sizeMask |= 0xFFFF0000u;
        Bar->Size = (ULONG)(~sizeMask + 1);
        Bar->Base = Original & PCI_BAR_IO_MASK;
        return 1;
    }

    Bar->Prefetchable = (Original & PCI_BAR_PREFETCHABLE) != 0;
    if ((Original & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64) {
        ULONG64 sizeMask;
        Bar->Is64 = TRUE;
        if (!HaveHigh)          /* a 64-bit BAR in the last slot is malformed */
            return 1;
        sizeMask = ((ULONG64)MaskHigh << 32) | (Mask & PCI_BAR_MEM_MASK);
        if (sizeMask != 0) {
            Bar->Size = ~sizeMask + 1;
            Bar->Base = ((ULONG64)OriginalHigh << 32) | (Original & PCI_BAR_MEM_MASK);
        }
        return 2;
    }
    if ((Mask & PCI_BAR_MEM_MASK) != 0) {
        Bar->Size = (ULONG)(~(Mask & PCI_BAR_MEM_MASK) + 1);
        Bar->Base = Original & PCI_BAR_MEM_MASK;
    }
    return 1;
}
