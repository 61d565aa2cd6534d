/* xfer.c - transfer descriptors (xHCI 1.2 4.11): a control TD is Setup,
 * Data (one TRB per page piece, chained) and Status; a bulk or interrupt
 * TD is a chain of Normal TRBs over the buffer's pages, from its MDL or,
 * without one, from the kernel buffer's own mapping.  Each TRB stays
 * within one page, so no TRB crosses a 64 KiB boundary (6.4.1.1).
 * Completion: the first event that ends a TD (its last TRB, an error or
 * a short packet on a bulk TD) finishes it; later events that point into
 * no TD in flight (some controllers report the IOC TRB after a short
 * packet) are dropped.  Hc->Lock guards the rings and Pending lists. */
#include "xhcip.h"

NTSTATUS XhciUsbdToNt(USBD_STATUS Status)
{
    switch (Status) {
    case USBD_STATUS_SUCCESS:
        return STATUS_SUCCESS;
    case USBD_STATUS_DEVICE_GONE:
        return STATUS_DEVICE_DOES_NOT_EXIST;
    case USBD_STATUS_CANCELED:
        return STATUS_CANCELLED;
    case USBD_STATUS_TIMEOUT:
        return STATUS_IO_TIMEOUT;
    case USBD_STATUS_INVALID_PARAMETER:
    case USBD_STATUS_INVALID_URB_FUNCTION:
    case USBD_STATUS_INVALID_PIPE_HANDLE:
        return STATUS_INVALID_PARAMETER;
    case USBD_STATUS_NO_MEMORY:
        return STATUS_INSUFFICIENT_RESOURCES;
    case USBD_STATUS_NOT_SUPPORTED:
        return STATUS_NOT_SUPPORTED;
    case USBD_STATUS_ERROR_BUSY:
        return STATUS_DEVICE_BUSY;
    default:
        return STATUS_UNSUCCESSFUL;
    }
}

/* Physical address of byte Offset of the transfer buffer. */
static ULONG64 XhciBufferPa(PVOID Buffer, PMDL Mdl, ULONG Offset)
{
    if (Mdl) {
        ULONG o = Mdl->ByteOffset + Offset;
        return ((ULONG64)MmGetMdlPfnArray(Mdl)[o >> PAGE_SHIFT] << PAGE_SHIFT) + (o & (PAGE_SIZE - 1));
    }
    return (ULONG64)MmGetPhysicalAddress((PUCHAR)Buffer + Offset).QuadPart;
}

/* Bytes from Offset to the end of its page. */
static ULONG XhciPieceLength(PVOID Buffer, PMDL Mdl, ULONG Offset, ULONG Left)
{
    ULONG inPage = Mdl ? ((Mdl->ByteOffset + Offset) & (PAGE_SIZE - 1))
                       : BYTE_OFFSET((PUCHAR)Buffer + Offset);
    ULONG n = PAGE_SIZE - inPage;
    return n < Left ? n : Left;
}

/* 4.11.2.4 TD Size: packets still to come after this TRB, at most 31. */
static ULONG XhciTdSize(ULONG Remaining, USHORT MaxPacket, BOOLEAN Last)
{
    ULONG p;
    if (Last || !MaxPacket)
        return 0;
    p = (Remaining + MaxPacket - 1) / MaxPacket;
    return (p > 31 ? 31 : p) << XHCI_TRB_TD_SIZE_SHIFT;
}

/* Queues Td on Ep and rings its doorbell.  IRQL <= DISPATCH_LEVEL; takes
 * Hc->Lock.  Setup non-NULL makes a control TD.  Buffer (mapped kernel
 * memory) or Mdl describes Length bytes. */
USBD_STATUS XhciQueueTd(PXHCI_ENDPOINT Ep, PXHCI_TD Td, PUSB_DEFAULT_PIPE_SETUP_PACKET Setup,
                        BOOLEAN In, PVOID Buffer, PMDL Mdl, ULONG Length)
{
    PXHCI_DEVICE dev = Ep->Dev;
    PXHCI_HC hc = dev->Hc;
    PXHCI_RING ring = &Ep->Ring;
    ULONG pieces = 0, first = 0, index = 0, off, before;
    KIRQL irql;

    if (Length > XHCI_MAX_TRANSFER)
        return USBD_STATUS_INVALID_PARAMETER;
    if (Length && !Buffer && !Mdl)
        return USBD_STATUS_INVALID_PARAMETER;
    if (Mdl && Mdl->ByteCount < Length)
        return USBD_STATUS_INVALID_PARAMETER;
    /* Every page must be reachable by the controller. */
    for (off = 0; off < Length; off += XhciPieceLength(Buffer, Mdl, off, Length - off)) {
        ULONG64 pa = XhciBufferPa(Buffer, Mdl, off);
        if (pa == 0 || pa > hc->DmaLimit) {
            DbgPrint("usbxhci%u: transfer buffer page at %llx unreachable (limit %llx)\n",
                     hc->Number, (unsigned long long)pa, (unsigned long long)hc->DmaLimit);
            return USBD_STATUS_INVALID_PARAMETER;
        }
        pieces++;
    }
    Td->Ep = Ep;
    Td->Requested = Length;
    Td->Actual = 0;
    Td->Control = Setup != NULL;
    Td->ShortSeen = FALSE;
    Td->Status = USBD_STATUS_PENDING;

    KeAcquireSpinLock(&hc->Lock, &irql);
    if (dev->State == XhciDevGone || dev->Ep[Ep->Dci] != Ep) {
        KeReleaseSpinLock(&hc->Lock, irql);
        return USBD_STATUS_DEVICE_GONE;
    }
    if ((pieces ? pieces : 1) + (Setup ? 2 : 0) > XhciRingRoom(ring)) {
        KeReleaseSpinLock(&hc->Lock, irql);
        DbgPrint("usbxhci%u: slot %u endpoint %u: no ring room for %u TRBs (%u in use)\n",
                 hc->Number, dev->SlotId, Ep->Dci, pieces + 2, ring->Used);
        return USBD_STATUS_ERROR_BUSY;
    }
    before = ring->Enqueue;
    if (Setup) {
        ULONG64 param;
        ULONG trt = Length == 0 ? XHCI_TRT_NO_DATA : In ? XHCI_TRT_IN : XHCI_TRT_OUT;
        RtlCopyMemory(&param, Setup, sizeof(param));
        first = XhciRingPush(ring, param, 8, (XHCI_TRB_SETUP << XHCI_TRB_TYPE_SHIFT) |
                             XHCI_TRB_IDT | trt | XHCI_TRB_CYCLE);
    }
    off = 0;
    for (ULONG i = 0; i < pieces || (!Setup && i == 0); i++) {
        ULONG n = Length ? XhciPieceLength(Buffer, Mdl, off, Length - off) : 0;
        BOOLEAN last = off + n >= Length;
        ULONG type = (Setup && i == 0) ? XHCI_TRB_DATA : XHCI_TRB_NORMAL;
        ULONG control = type << XHCI_TRB_TYPE_SHIFT;
        if (In)
            control |= XHCI_TRB_ISP;
        if (Setup && i == 0 && In)
            control |= XHCI_TRB_DIR_IN;
        /* 4.11.2.2: the data stage is its own TD within the control transfer. */
        if (!last)
            control |= XHCI_TRB_CH;
        else if (!Setup)
            control |= XHCI_TRB_IOC;
        if (!Setup && i == 0)
            control |= XHCI_TRB_CYCLE;      /* unpublished until the TD is whole */
        index = XhciRingPush(ring, n ? XhciBufferPa(Buffer, Mdl, off) : 0,
                             n | XhciTdSize(Length - off - n, Ep->MaxPacket, last), control);
        if (!Setup && i == 0)
            first = index;
        off += n;
        if (!Length)
            break;
    }
    if (Setup) {
        /* 4.11.2.2: the status stage runs opposite to the data stage (IN without data). */
        ULONG dir = (Length == 0 || !In) ? XHCI_TRB_DIR_IN : 0;
        index = XhciRingPush(ring, 0, 0, (XHCI_TRB_STATUS << XHCI_TRB_TYPE_SHIFT) | dir |
                             XHCI_TRB_IOC);
    }
    Td->First = first;
    Td->Last = index;
    Td->Span = (ring->Enqueue + ring->Count - before) % ring->Count;
    ring->Used += Td->Span;
    InsertTailList(&Ep->Pending, &Td->Link);
    XhciRingPublish(ring, first);
    KeReleaseSpinLock(&hc->Lock, irql);
    XhciRingDoorbell(hc, dev->SlotId, Ep->Dci);
    return USBD_STATUS_PENDING;
}

static BOOLEAN XhciTdHolds(PXHCI_TD Td, ULONG Count, ULONG Index)
{
    return (Index + Count - Td->First) % Count < Td->Span;
}

/* Data bytes the TDs TRBs before Index carried, plus what Index moved. */
static ULONG XhciTdBytes(PXHCI_RING Ring, PXHCI_TD Td, ULONG Index, ULONG Residual)
{
    ULONG bytes = 0;

    for (ULONG i = Td->First;; i = (i + 1) % Ring->Count) {
        volatile ULONG *t = Ring->Trbs + 4 * i;
        ULONG type = XHCI_TRB_TYPE(t[3]);
        if (type == XHCI_TRB_NORMAL || type == XHCI_TRB_DATA) {
            ULONG len = t[2] & 0x1FFFF;
            if (i == Index)
                return bytes + (Residual < len ? len - Residual : 0);
            bytes += len;
        }
        if (i == Index || i == Td->Last)
            return bytes;
    }
}

static VOID XhciTdEnd(PXHCI_TD Td, USBD_STATUS Status, PLIST_ENTRY Done)
{
    RemoveEntryList(&Td->Link);
    Td->Ep->Ring.Used -= Td->Span;
    Td->Status = Status;
    InsertTailList(Done, &Td->Link);
}

/* One transfer event for Ep (Hc->Lock held). */
VOID XhciTdEvent(PXHCI_HC Hc, PXHCI_ENDPOINT Ep, const XHCI_EVENT *Ev, PLIST_ENTRY Done)
{
    PXHCI_RING ring = &Ep->Ring;
    PXHCI_TD td = NULL;
    ULONG index;

    if (Ev->EventData || !XhciRingIndex(ring, Ev->Pointer, &index)) {
        XhciDbg(Hc, "usbxhci%u: slot %u ep %u: event pointer %llx outside the ring (%s)\n",
                Hc->Number, Ep->Dev->SlotId, Ep->Dci, (unsigned long long)Ev->Pointer,
                XhciCcName(Ev->Cc));
        return;
    }
    for (PLIST_ENTRY e = Ep->Pending.Flink; e != &Ep->Pending; e = e->Flink) {
        PXHCI_TD t = CONTAINING_RECORD(e, XHCI_TD, Link);
        if (XhciTdHolds(t, ring->Count, index)) {
            td = t;
            break;
        }
    }
    if (!td)
        return;     /* e.g. the IOC event after a short packet already ended the TD */
    switch (Ev->Cc) {
    case XHCI_CC_SUCCESS:
        if (index != td->Last)
            return;
        if (!td->ShortSeen)
            td->Actual = td->Control ? td->Requested : XhciTdBytes(ring, td, index, Ev->Length);
        XhciTdEnd(td, USBD_STATUS_SUCCESS, Done);
        return;
    case XHCI_CC_SHORT_PACKET:
        td->Actual = XhciTdBytes(ring, td, index, Ev->Length);
        td->ShortSeen = TRUE;
        if (td->Control && index != td->Last)
            return;         /* the status stage still runs and reports */
        XhciTdEnd(td, USBD_STATUS_SUCCESS, Done);
        return;
    default:
        td->Actual = XhciTdBytes(ring, td, index, Ev->Length);
        /* 4.10.2: these halt the endpoint until Reset Endpoint. */
        if (Ev->Cc == XHCI_CC_STALL || Ev->Cc == XHCI_CC_BABBLE ||
            Ev->Cc == XHCI_CC_TRANSACTION || Ev->Cc == XHCI_CC_SPLIT_TRANSACTION) {
            Ep->Halted = TRUE;
            if (Ep->Dci == 1)
                XhciQueueRecovery(Hc);
        }
        XhciDbg(Hc, "usbxhci%u: slot %u ep %u: TD ended: %s after %u bytes\n", Hc->Number,
                Ep->Dev->SlotId, Ep->Dci, XhciCcName(Ev->Cc), td->Actual);
        XhciTdEnd(td, XhciCcToUsbd(Ev->Cc), Done);
        return;
    }
}

/* Every TD still in flight on Ep ends with Status (Hc->Lock held). */
VOID XhciFailPending(PXHCI_ENDPOINT Ep, USBD_STATUS Status, PLIST_ENTRY Done)
{
    while (!IsListEmpty(&Ep->Pending))
        XhciTdEnd(CONTAINING_RECORD(Ep->Pending.Flink, XHCI_TD, Link), Status, Done);
}

/* Runs each finished TD's completion.  No lock held; DISPATCH_LEVEL or
 * below (completions see DISPATCH_LEVEL). */
VOID XhciFinishTds(PLIST_ENTRY Done)
{
    KIRQL irql;

    if (IsListEmpty(Done))
        return;
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    while (!IsListEmpty(Done)) {
        PXHCI_TD td = CONTAINING_RECORD(RemoveHeadList(Done), XHCI_TD, Link);
        td->Done(td);
    }
    KeLowerIrql(irql);
}

static VOID XhciSyncDone(PXHCI_TD Td)
{
    KeSetEvent(&Td->Event, IO_NO_INCREMENT, FALSE);
}

/* Waits for a synchronous TD; a timeout aborts the endpoint (which ends
 * the TD as cancelled) and reads USBD_STATUS_TIMEOUT.  PASSIVE_LEVEL. */
static USBD_STATUS XhciWaitTd(PXHCI_TD Td, ULONG TimeoutMs)
{
    ULONG64 deadline = XhciNow() + XhciMs(TimeoutMs);

    for (;;) {
        LARGE_INTEGER slice = { .QuadPart = -10 * 10000 };
        if (KeWaitForSingleObject(&Td->Event, Executive, KernelMode, FALSE, &slice) ==
            STATUS_SUCCESS)
            return Td->Status;
        XhciProcessEvents(Td->Ep->Dev->Hc);
        if (KeReadStateEvent(&Td->Event))
            return Td->Status;
        if (XhciNow() > deadline) {
            XhciAbortEndpoint(Td->Ep);
            KeWaitForSingleObject(&Td->Event, Executive, KernelMode, FALSE, NULL);
            return USBD_STATUS_TIMEOUT;
        }
    }
}

/* A request on the default pipe, waited for.  Buffer is pool memory.
 * A stall is answered with Reset Endpoint at once so the next request
 * goes through.  PASSIVE_LEVEL. */
USBD_STATUS XhciControlSync(PXHCI_DEVICE Dev, UCHAR RequestType, UCHAR Request, USHORT Value,
                            USHORT Index, PVOID Buffer, USHORT Length, PULONG Actual)
{
    USB_DEFAULT_PIPE_SETUP_PACKET setup = { RequestType, Request, Value, Index, Length };
    PXHCI_ENDPOINT ep0 = Dev->Ep[1];
    PXHCI_TD td;
    USBD_STATUS st;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (Actual)
        *Actual = 0;
    if (!ep0)
        return USBD_STATUS_DEVICE_GONE;
    td = ExAllocatePoolZero(NonPagedPool, sizeof(*td), XHCI_TAG);
    if (!td)
        return USBD_STATUS_NO_MEMORY;
    KeInitializeEvent(&td->Event, NotificationEvent, FALSE);
    td->Done = XhciSyncDone;
    st = XhciQueueTd(ep0, td, &setup, (RequestType & 0x80) != 0, Buffer, NULL, Length);
    if (st == USBD_STATUS_PENDING)
        st = XhciWaitTd(td, XHCI_CONTROL_MS);
    if (Actual)
        *Actual = td->Actual;
    ExFreePoolWithTag(td, XHCI_TAG);
    if (ep0->Halted && st != USBD_STATUS_DEVICE_GONE)
        XhciResetEndpoint(ep0, FALSE);
    return st;
}

/* A bulk or interrupt transfer, waited for (hub status, tests). */
USBD_STATUS XhciTransferSync(PXHCI_ENDPOINT Ep, PVOID Buffer, ULONG Length, PULONG Actual,
                             ULONG TimeoutMs)
{
    PXHCI_TD td;
    USBD_STATUS st;

    td = ExAllocatePoolZero(NonPagedPool, sizeof(*td), XHCI_TAG);
    if (!td)
        return USBD_STATUS_NO_MEMORY;
    KeInitializeEvent(&td->Event, NotificationEvent, FALSE);
    td->Done = XhciSyncDone;
    st = XhciQueueTd(Ep, td, NULL, USB_ENDPOINT_DIRECTION_IN(Ep->Address), Buffer, NULL, Length);
    if (st == USBD_STATUS_PENDING)
        st = XhciWaitTd(td, TimeoutMs);
    if (Actual)
        *Actual = td->Actual;
    ExFreePoolWithTag(td, XHCI_TAG);
    return st;
}
