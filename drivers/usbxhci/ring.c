/* ring.c - TRB rings (xHCI 1.2 4.9): one contiguous segment whose last
 * TRB links back to the first with Toggle Cycle.  The producer writes
 * every TRB of a TD with the ring's cycle bit except the first, which is
 * written inverted and flipped by XhciRingPublish once the rest is in
 * memory, so the controller never starts on half a TD.  Callers hold
 * Hc->Lock (transfer rings) or Hc->CmdMutex (the command ring). */
#include "xhcip.h"

NTSTATUS XhciRingInit(PXHCI_HC Hc, PXHCI_RING Ring, ULONG Count)
{
    ULONG64 pa;

    RtlZeroMemory(Ring, sizeof(*Ring));
    /* 6.5: a ring segment may not cross a 64 KiB boundary (XhciAllocDma). */
    Ring->Trbs = XhciAllocDma(Hc, (SIZE_T)Count * XHCI_TRB_SIZE, &pa);
    if (!Ring->Trbs)
        return STATUS_INSUFFICIENT_RESOURCES;
    Ring->Pa = pa;
    Ring->Count = Count;
    Ring->Cycle = 1;
    volatile ULONG *link = Ring->Trbs + 4 * (Count - 1);
    link[0] = (ULONG)pa;
    link[1] = (ULONG)(pa >> 32);
    link[2] = 0;
    link[3] = (XHCI_TRB_LINK << XHCI_TRB_TYPE_SHIFT) | XHCI_TRB_TC;   /* cycle 0: not yet ours */
    return STATUS_SUCCESS;
}

VOID XhciRingFree(PXHCI_RING Ring)
{
    if (Ring->Trbs)
        XhciFreeDma((PVOID)Ring->Trbs);
    Ring->Trbs = NULL;
}

/* TRBs a new TD may still use: one is always kept free so a full ring is
 * told from an empty one, one more for a link TRB the TD may cross. */
ULONG XhciRingRoom(PXHCI_RING Ring)
{
    ULONG usable = Ring->Count - 1;
    return Ring->Used + 2 >= usable ? 0 : usable - Ring->Used - 2;
}

ULONG64 XhciRingPa(PXHCI_RING Ring, ULONG Index)
{
    return Ring->Pa + (ULONG64)Index * XHCI_TRB_SIZE;
}

BOOLEAN XhciRingIndex(PXHCI_RING Ring, ULONG64 Pa, PULONG Index)
{
    if (Pa < Ring->Pa || Pa >= Ring->Pa + (ULONG64)Ring->Count * XHCI_TRB_SIZE || (Pa & 0xF))
        return FALSE;
    *Index = (ULONG)((Pa - Ring->Pa) / XHCI_TRB_SIZE);
    return TRUE;
}

/* Writes one TRB at the enqueue index and returns that index.  Control
 * carries everything but the cycle bit; XHCI_TRB_CYCLE in it asks for the
 * inverted (unpublished) cycle.  Crossing the link TRB hands it to the
 * controller with CH copied from this TRB (4.11.5.1) and toggles the
 * producer cycle state. */
ULONG XhciRingPush(PXHCI_RING Ring, ULONG64 Param, ULONG Status, ULONG Control)
{
    ULONG i = Ring->Enqueue;
    volatile ULONG *t = Ring->Trbs + 4 * i;
    ULONG cycle = (Control & XHCI_TRB_CYCLE) ? Ring->Cycle ^ 1 : Ring->Cycle;

    t[0] = (ULONG)Param;
    t[1] = (ULONG)(Param >> 32);
    t[2] = Status;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t[3] = (Control & ~XHCI_TRB_CYCLE) | cycle;
    Ring->Enqueue = i + 1;
    if (Ring->Enqueue == Ring->Count - 1) {
        volatile ULONG *link = Ring->Trbs + 4 * (Ring->Count - 1);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        link[3] = (XHCI_TRB_LINK << XHCI_TRB_TYPE_SHIFT) | XHCI_TRB_TC |
                  (Control & XHCI_TRB_CH) | Ring->Cycle;
        Ring->Cycle ^= 1;
        Ring->Enqueue = 0;
    }
    return i;
}

/* Hands a TD to the controller: its first TRB's cycle bit flips to the
 * value the controller is looking for. */
VOID XhciRingPublish(PXHCI_RING Ring, ULONG First)
{
    volatile ULONG *t = Ring->Trbs + 4 * First;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t[3] ^= XHCI_TRB_CYCLE;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
