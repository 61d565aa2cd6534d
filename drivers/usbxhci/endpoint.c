/* endpoint.c - endpoint contexts (xHCI 1.2 6.2.3), Configure Endpoint
 * (4.6.6), and the two recoveries: Reset Endpoint + Set TR Dequeue
 * Pointer after a halt (4.6.8, 4.6.10), Stop Endpoint + Set TR Dequeue to
 * throw away what is queued (4.6.9, ABORT_PIPE).  Commands: PASSIVE_LEVEL. */
#include "xhcip.h"

UCHAR XhciEndpointDci(UCHAR Address)
{
    UCHAR n = Address & USB_ENDPOINT_ADDRESS_MASK;
    if (n == 0)
        return 1;
    return (UCHAR)(n * 2 + (USB_ENDPOINT_DIRECTION_IN(Address) ? 1 : 0));
}

PXHCI_ENDPOINT XhciEndpointCreate(PXHCI_DEVICE Dev, const USB_PARSED_ENDPOINT *Desc)
{
    PXHCI_ENDPOINT ep = ExAllocatePoolZero(NonPagedPool, sizeof(*ep), XHCI_TAG);

    if (!ep)
        return NULL;
    ep->Dev = Dev;
    ep->Address = Desc->Address;
    ep->Dci = XhciEndpointDci(Desc->Address);
    ep->Type = Desc->Type;
    ep->Interval = Desc->Interval;
    ep->MaxPacket = Desc->MaxPacket;
    ep->MaxBurst = Dev->Speed >= XHCI_SPEED_SUPER ? Desc->MaxBurst : Desc->Mult;
    InitializeListHead(&ep->Pending);
    if (!NT_SUCCESS(XhciRingInit(Dev->Hc, &ep->Ring, ep->Type == USB_ENDPOINT_TYPE_BULK
                                                         ? XHCI_BULK_RING_TRBS : XHCI_RING_TRBS))) {
        ExFreePoolWithTag(ep, XHCI_TAG);
        return NULL;
    }
    ep->Info.MaximumPacketSize = ep->MaxPacket;
    ep->Info.EndpointAddress = ep->Address;
    ep->Info.Interval = ep->Interval;
    ep->Info.PipeType = (USBD_PIPE_TYPE)ep->Type;
    ep->Info.PipeHandle = ep;
    ep->Info.MaximumTransferSize = XHCI_MAX_TRANSFER;
    return ep;
}

VOID XhciEndpointFree(PXHCI_ENDPOINT Ep)
{
    XhciRingFree(&Ep->Ring);
    ExFreePoolWithTag(Ep, XHCI_TAG);
}

/* 6.2.3.6: the Interval field is log2 of the period in 125 us frames. */
static ULONG XhciInterval(PXHCI_DEVICE Dev, PXHCI_ENDPOINT Ep)
{
    ULONG iv = Ep->Interval, e = 0;

    if (Ep->Type == USB_ENDPOINT_TYPE_CONTROL || Ep->Type == USB_ENDPOINT_TYPE_BULK)
        return 0;
    if (Dev->Speed >= XHCI_SPEED_HIGH || Ep->Type == USB_ENDPOINT_TYPE_ISOCHRONOUS) {
        if (iv < 1)
            iv = 1;
        if (iv > 16)
            iv = 16;
        return iv - 1 + ((Dev->Speed < XHCI_SPEED_HIGH) ? 3 : 0);
    }
    /* Full/low-speed interrupt: bInterval in ms, 1..255. */
    if (iv < 1)
        iv = 1;
    for (ULONG frames = iv * 8; frames > 1; frames >>= 1)
        e++;
    return e < 3 ? 3 : e > 10 ? 10 : e;
}

VOID XhciFillEndpointContext(PXHCI_DEVICE Dev, PXHCI_ENDPOINT Ep, volatile ULONG *Ctx)
{
    static const UCHAR types[2][4] = {
        { XHCI_EP_TYPE_CONTROL, XHCI_EP_TYPE_ISOCH_OUT, XHCI_EP_TYPE_BULK_OUT, XHCI_EP_TYPE_INTR_OUT },
        { XHCI_EP_TYPE_CONTROL, XHCI_EP_TYPE_ISOCH_IN, XHCI_EP_TYPE_BULK_IN, XHCI_EP_TYPE_INTR_IN },
    };
    BOOLEAN in = USB_ENDPOINT_DIRECTION_IN(Ep->Address);
    ULONG type = types[in][Ep->Type & 3];
    ULONG avg = Ep->Type == USB_ENDPOINT_TYPE_CONTROL ? 8
              : Ep->Type == USB_ENDPOINT_TYPE_BULK ? 3072 : Ep->MaxPacket;
    ULONG esit = Ep->Type == USB_ENDPOINT_TYPE_INTERRUPT || Ep->Type == USB_ENDPOINT_TYPE_ISOCHRONOUS
               ? (ULONG)Ep->MaxPacket * (Ep->MaxBurst + 1u) : 0;
    ULONG64 deq = XhciRingPa(&Ep->Ring, Ep->Ring.Enqueue) | Ep->Ring.Cycle;

    for (ULONG i = 0; i < 8; i++)
        Ctx[i] = 0;
    Ctx[0] = XhciInterval(Dev, Ep) << XHCI_EP0_INTERVAL_SHIFT;
    Ctx[1] = (Ep->Type == USB_ENDPOINT_TYPE_ISOCHRONOUS ? 0 : 3u << XHCI_EP1_CERR_SHIFT) |
             (type << XHCI_EP1_TYPE_SHIFT) | ((ULONG)Ep->MaxBurst << XHCI_EP1_BURST_SHIFT) |
             ((ULONG)Ep->MaxPacket << XHCI_EP1_MPS_SHIFT);
    Ctx[2] = (ULONG)deq;
    Ctx[3] = (ULONG)(deq >> 32);
    Ctx[4] = (avg & 0xFFFF) | ((esit & 0xFFFF) << XHCI_EP4_ESIT_SHIFT);
}

/* Configure Endpoint: adds Add[] (rings and contexts ready), or with
 * DropAll deconfigures every endpoint but the default pipe (DC=1).  The
 * slot context comes from the output context with Context Entries raised
 * to the highest DCI; a hub's fields were set there by XhciHubInit. */
USBD_STATUS XhciConfigureEndpoints(PXHCI_DEVICE Dev, PXHCI_ENDPOINT *Add, ULONG AddCount,
                                   BOOLEAN DropAll)
{
    PXHCI_HC hc = Dev->Hc;
    volatile ULONG *ctl = XhciInCtx(Dev, 0), *slot = XhciInCtx(Dev, 1), *out = XhciOutCtx(Dev, 0);
    ULONG maxDci = 1, cc;

    if (DropAll) {
        cc = XhciCommand(hc, 0, 0, (XHCI_TRB_CONFIGURE_EP << XHCI_TRB_TYPE_SHIFT) | (1u << 9) |
                         ((ULONG)Dev->SlotId << 24), NULL);
        return cc == XHCI_CC_SUCCESS ? USBD_STATUS_SUCCESS : XhciCcToUsbd(cc);
    }
    RtlZeroMemory((PVOID)ctl, hc->ContextSize * (XHCI_CTX_ENTRIES + 1));
    ctl[1] = 1;     /* A0: the slot context */
    for (ULONG i = 0; i < AddCount; i++) {
        /* Drop first when it is enabled: re-adding an endpoint resets it. */
        if (XHCI_EP0_STATE(XhciOutCtx(Dev, Add[i]->Dci)[0]) != XHCI_EP_STATE_DISABLED)
            ctl[0] |= 1u << Add[i]->Dci;
        ctl[1] |= 1u << Add[i]->Dci;
        XhciFillEndpointContext(Dev, Add[i], XhciInCtx(Dev, 1 + Add[i]->Dci));
        if (Add[i]->Dci > maxDci)
            maxDci = Add[i]->Dci;
    }
    for (ULONG i = 2; i < XHCI_CTX_ENTRIES; i++)
        if (Dev->Ep[i] && i > maxDci)
            maxDci = i;
    ctl[0] &= ~3u;
    for (ULONG i = 0; i < 4; i++)
        slot[i] = out[i];
    slot[0] = (slot[0] & ~(0x1Fu << XHCI_SLOT0_ENTRIES_SHIFT)) | (maxDci << XHCI_SLOT0_ENTRIES_SHIFT);
    slot[3] = 0;
    if (Dev->IsHub) {
        /* 6.2.2: Hub, Number of Ports, TT Think Time (high-speed hubs). */
        slot[0] |= XHCI_SLOT0_HUB | (Dev->HubMtt ? XHCI_SLOT0_MTT : 0);
        slot[1] = (slot[1] & ~(0xFFu << XHCI_SLOT1_NPORTS_SHIFT)) |
                  ((ULONG)Dev->HubPorts << XHCI_SLOT1_NPORTS_SHIFT);
        if (Dev->Speed == XHCI_SPEED_HIGH)
            slot[2] = (slot[2] & ~(3u << XHCI_SLOT2_TTT_SHIFT)) |
                      ((ULONG)Dev->HubTtThink << XHCI_SLOT2_TTT_SHIFT);
    }
    cc = XhciCommand(hc, Dev->InCtxPa, 0, (XHCI_TRB_CONFIGURE_EP << XHCI_TRB_TYPE_SHIFT) |
                     ((ULONG)Dev->SlotId << 24), NULL);
    if (cc != XHCI_CC_SUCCESS) {
        DbgPrint("usbxhci%u: slot %u: Configure Endpoint: %s\n", hc->Number, Dev->SlotId,
                 XhciCcName(cc));
        return cc == XHCI_CC_INVALID ? USBD_STATUS_TIMEOUT : XhciCcToUsbd(cc);
    }
    return USBD_STATUS_SUCCESS;
}

/* Where the controller should go on: the first TD still queued, or the
 * enqueue index when none is; DCS is the cycle bit written there. */
static ULONG64 XhciResumePoint(PXHCI_ENDPOINT Ep)
{
    PXHCI_RING ring = &Ep->Ring;

    if (!IsListEmpty(&Ep->Pending)) {
        PXHCI_TD td = CONTAINING_RECORD(Ep->Pending.Flink, XHCI_TD, Link);
        ULONG cycle = ring->Trbs[4 * td->First + 3] & XHCI_TRB_CYCLE;
        return XhciRingPa(ring, td->First) | cycle;
    }
    return XhciRingPa(ring, ring->Enqueue) | ring->Cycle;
}

static ULONG XhciSetDequeue(PXHCI_ENDPOINT Ep)
{
    PXHCI_HC hc = Ep->Dev->Hc;
    KIRQL irql;
    ULONG64 deq;

    KeAcquireSpinLock(&hc->Lock, &irql);
    deq = XhciResumePoint(Ep);
    KeReleaseSpinLock(&hc->Lock, irql);
    return XhciCommand(hc, deq, 0, (XHCI_TRB_SET_TR_DEQ << XHCI_TRB_TYPE_SHIFT) |
                       ((ULONG)Ep->Dev->SlotId << 24) | ((ULONG)Ep->Dci << 16), NULL);
}

/* After a halt: Reset Endpoint, then Set TR Dequeue past the failed TD,
 * then (ClearDeviceHalt, not the default pipe) CLEAR_FEATURE(ENDPOINT_HALT)
 * so the device's data toggle matches the reset one (USB 2.0 9.4.5). */
USBD_STATUS XhciResetEndpoint(PXHCI_ENDPOINT Ep, BOOLEAN ClearDeviceHalt)
{
    PXHCI_DEVICE dev = Ep->Dev;
    PXHCI_HC hc = dev->Hc;
    ULONG cc, state;
    KIRQL irql;

    if (!XhciDeviceAlive(dev))
        return USBD_STATUS_DEVICE_GONE;
    state = XHCI_EP0_STATE(XhciOutCtx(dev, Ep->Dci)[0]);
    if (state == XHCI_EP_STATE_HALTED) {
        cc = XhciCommand(hc, 0, 0, (XHCI_TRB_RESET_EP << XHCI_TRB_TYPE_SHIFT) |
                         ((ULONG)dev->SlotId << 24) | ((ULONG)Ep->Dci << 16), NULL);
        if (cc != XHCI_CC_SUCCESS && cc != XHCI_CC_CONTEXT_STATE) {
            DbgPrint("usbxhci%u: slot %u ep %u: Reset Endpoint: %s\n", hc->Number, dev->SlotId,
                     Ep->Dci, XhciCcName(cc));
            return cc == XHCI_CC_INVALID ? USBD_STATUS_TIMEOUT : XhciCcToUsbd(cc);
        }
        cc = XhciSetDequeue(Ep);
        if (cc != XHCI_CC_SUCCESS)
            DbgPrint("usbxhci%u: slot %u ep %u: Set TR Dequeue: %s\n", hc->Number, dev->SlotId,
                     Ep->Dci, XhciCcName(cc));
    }
    KeAcquireSpinLock(&hc->Lock, &irql);
    Ep->Halted = FALSE;
    BOOLEAN more = !IsListEmpty(&Ep->Pending);
    KeReleaseSpinLock(&hc->Lock, irql);
    if (more)
        XhciRingDoorbell(hc, dev->SlotId, Ep->Dci);
    if (ClearDeviceHalt && Ep->Dci != 1) {
        USBD_STATUS st = XhciControlSync(dev, 0x02, USB_REQUEST_CLEAR_FEATURE,
                                         USB_FEATURE_ENDPOINT_STALL, Ep->Address, NULL, 0, NULL);
        if (!USBD_SUCCESS(st))
            return st;
    }
    return USBD_STATUS_SUCCESS;
}

/* ABORT_PIPE and timeouts: stop the endpoint (or reset it when halted),
 * end every queued TD as cancelled, point the controller at the enqueue
 * index. */
USBD_STATUS XhciAbortEndpoint(PXHCI_ENDPOINT Ep)
{
    PXHCI_DEVICE dev = Ep->Dev;
    PXHCI_HC hc = dev->Hc;
    LIST_ENTRY done;
    KIRQL irql;
    ULONG cc, state;

    InitializeListHead(&done);
    if (XhciDeviceAlive(dev)) {
        state = XHCI_EP0_STATE(XhciOutCtx(dev, Ep->Dci)[0]);
        cc = XhciCommand(hc, 0, 0, ((state == XHCI_EP_STATE_HALTED ? XHCI_TRB_RESET_EP
                                                                   : XHCI_TRB_STOP_EP)
                                    << XHCI_TRB_TYPE_SHIFT) |
                         ((ULONG)dev->SlotId << 24) | ((ULONG)Ep->Dci << 16), NULL);
        if (cc != XHCI_CC_SUCCESS && cc != XHCI_CC_CONTEXT_STATE)
            DbgPrint("usbxhci%u: slot %u ep %u: stop for abort: %s\n", hc->Number, dev->SlotId,
                     Ep->Dci, XhciCcName(cc));
        /* Events for TDs the stop cut short are in the event ring now. */
        XhciProcessEvents(hc);
    }
    KeAcquireSpinLock(&hc->Lock, &irql);
    XhciFailPending(Ep, dev->State == XhciDevGone ? USBD_STATUS_DEVICE_GONE : USBD_STATUS_CANCELED,
                    &done);
    Ep->Halted = FALSE;
    KeReleaseSpinLock(&hc->Lock, irql);
    XhciFinishTds(&done);
    if (XhciDeviceAlive(dev)) {
        cc = XhciSetDequeue(Ep);
        if (cc != XHCI_CC_SUCCESS)
            DbgPrint("usbxhci%u: slot %u ep %u: Set TR Dequeue after abort: %s\n", hc->Number,
                     dev->SlotId, Ep->Dci, XhciCcName(cc));
    }
    return USBD_STATUS_SUCCESS;
}

/* Default pipes that halted on an asynchronous request are reset by the
 * enumeration thread, which alone detaches devices: a device it finds in
 * the slot table cannot go away while it is reset.  PASSIVE_LEVEL. */
VOID XhciRecoverHalted(PXHCI_HC Hc)
{
    KIRQL irql;

    KeAcquireSpinLock(&Hc->Lock, &irql);
    Hc->RecoverQueued = FALSE;
    KeReleaseSpinLock(&Hc->Lock, irql);
    for (ULONG s = 1; s <= Hc->MaxSlots && s < 256; s++) {
        PXHCI_ENDPOINT ep0;
        BOOLEAN halted;
        KeAcquireSpinLock(&Hc->Lock, &irql);
        ep0 = Hc->Slots[s] ? Hc->Slots[s]->Ep[1] : NULL;
        halted = ep0 && ep0->Halted;
        KeReleaseSpinLock(&Hc->Lock, irql);
        if (halted)
            XhciResetEndpoint(ep0, FALSE);
    }
}

/* Any IRQL <= DISPATCH_LEVEL (the DPC, with Hc->Lock held). */
VOID XhciQueueRecovery(PXHCI_HC Hc)
{
    Hc->RecoverQueued = TRUE;
    KeSetEvent(&Hc->EnumWake, IO_NO_INCREMENT, FALSE);
}
