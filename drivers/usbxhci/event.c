/* event.c - the event ring (xHCI 1.2 4.9.4): interrupter 0's ISR, its
 * DPC and a poll timer that does the DPC's work when no interrupt is
 * connected (and every XHCI_WATCHDOG_MS when one is, against lost
 * interrupts).  XhciProcessEvents runs under Hc->Lock at DISPATCH_LEVEL;
 * finished TDs are completed after the lock is dropped. */
#include "xhcip.h"

BOOLEAN XhciIsr(PKINTERRUPT Interrupt, PVOID Context)
{
    PXHCI_HC hc = Context;
    ULONG sts, iman;

    if (!hc->Base)
        return FALSE;
    sts = XhciOpRead(hc, XHCI_USBSTS);
    iman = XhciRead(hc, hc->RtOffset + XHCI_IR(0) + XHCI_IR_IMAN);
    if (sts == 0xFFFFFFFF || (!(sts & XHCI_STS_EINT) && !(iman & XHCI_IMAN_IP)))
        return FALSE;       /* not ours (a shared INTx line) */
    /* 4.17.5: clear EINT, then IMAN.IP (RW1C), keeping IE. */
    XhciOpWrite(hc, XHCI_USBSTS, XHCI_STS_EINT);
    XhciWrite(hc, hc->RtOffset + XHCI_IR(0) + XHCI_IR_IMAN, XHCI_IMAN_IE | XHCI_IMAN_IP);
    hc->Interrupts++;
    KeInsertQueueDpc(&hc->Dpc, NULL, NULL);
    return TRUE;
}

static VOID XhciHandleEvent(PXHCI_HC Hc, const XHCI_EVENT *Ev, PLIST_ENTRY Done)
{
    switch (Ev->Type) {
    case XHCI_TRB_TRANSFER_EVENT: {
        PXHCI_DEVICE dev = Hc->Slots[Ev->Slot];
        PXHCI_ENDPOINT ep = dev ? dev->Ep[Ev->Dci] : NULL;
        if (!ep) {
            XhciDbg(Hc, "usbxhci%u: transfer event for slot %u endpoint %u nobody owns (%s)\n",
                    Hc->Number, Ev->Slot, Ev->Dci, XhciCcName(Ev->Cc));
            return;
        }
        XhciTdEvent(Hc, ep, Ev, Done);
        return;
    }
    case XHCI_TRB_COMMAND_COMPLETION:
        if (Hc->CmdTrbPa && Ev->Pointer == Hc->CmdTrbPa) {
            Hc->CmdCc = Ev->Cc;
            Hc->CmdSlot = Ev->Slot;
            KeSetEvent(&Hc->CmdEvent, IO_NO_INCREMENT, FALSE);
        } else if (Ev->Cc != XHCI_CC_COMMAND_RING_STOPPED) {
            DbgPrint("usbxhci%u: completion for a command nobody waits for (%llx, %s)\n",
                     Hc->Number, (unsigned long long)Ev->Pointer, XhciCcName(Ev->Cc));
        }
        return;
    case XHCI_TRB_PORT_STATUS_CHANGE:
        Hc->PortChange = TRUE;
        KeSetEvent(&Hc->EnumWake, IO_NO_INCREMENT, FALSE);
        return;
    case XHCI_TRB_HOST_CONTROLLER_EVENT:
        DbgPrint("usbxhci%u: host controller event: %s\n", Hc->Number, XhciCcName(Ev->Cc));
        return;
    default:
        return;
    }
}

/* DISPATCH_LEVEL or below; takes Hc->Lock.  FromInterrupt: the dequeue
 * pointer is written (clearing Event Handler Busy, 5.5.2.3.3) even when a
 * poll already took the events, or EHB would hold back every later
 * interrupt until the next poll found something. */
static VOID XhciProcessEventsEx(PXHCI_HC Hc, BOOLEAN FromInterrupt)
{
    LIST_ENTRY done;
    KIRQL irql;
    PXHCI_RING er = &Hc->EventRing;
    ULONG handled = 0;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Hc->Lock, &irql);
    if (!Hc->Base || !er->Trbs) {
        KeReleaseSpinLock(&Hc->Lock, irql);
        return;
    }
    /* One ring's worth at most per call: a controller that keeps writing
     * cannot hold the CPU here forever. */
    while (handled < er->Count) {
        volatile ULONG *t = er->Trbs + 4 * er->Dequeue;
        ULONG trb[4];
        XHCI_EVENT ev;
        PCSTR why = NULL;

        if ((t[3] & XHCI_TRB_CYCLE) != er->Cycle)
            break;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        trb[0] = t[0];
        trb[1] = t[1];
        trb[2] = t[2];
        trb[3] = t[3];
        if (XhciDecodeEvent(trb, Hc->MaxSlots, Hc->MaxPorts, &ev, &why))
            XhciHandleEvent(Hc, &ev, &done);
        else
            DbgPrint("usbxhci%u: event TRB %08x %08x %08x %08x skipped: %s\n", Hc->Number,
                     trb[0], trb[1], trb[2], trb[3], why);
        handled++;
        if (++er->Dequeue == er->Count) {
            er->Dequeue = 0;
            er->Cycle ^= 1;
        }
    }
    if (handled || FromInterrupt) {
        Hc->Events += handled;
        XhciWrite64(Hc, Hc->RtOffset + XHCI_IR(0) + XHCI_IR_ERDP,
                    XhciRingPa(er, er->Dequeue) | XHCI_ERDP_EHB);
    }
    KeReleaseSpinLock(&Hc->Lock, irql);
    XhciFinishTds(&done);
}

VOID XhciProcessEvents(PXHCI_HC Hc)
{
    XhciProcessEventsEx(Hc, FALSE);
}

VOID XhciDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    PXHCI_HC hc = Context;
    ULONG sts = XhciOpRead(hc, XHCI_USBSTS);

    /* HSE is acknowledged (RW1C); HCE stays until a reset, so it is said once. */
    if (sts != 0xFFFFFFFF && (sts & XHCI_STS_HSE)) {
        DbgPrint("usbxhci%u: host system error (USBSTS=%08x)\n", hc->Number, sts);
        XhciOpWrite(hc, XHCI_USBSTS, XHCI_STS_HSE);
    }
    if (sts != 0xFFFFFFFF && (sts & XHCI_STS_HCE) && !hc->HceSeen) {
        hc->HceSeen = TRUE;
        DbgPrint("usbxhci%u: host controller error (USBSTS=%08x): the controller needs a "
                 "reset; its devices stop answering\n", hc->Number, sts);
    }
    XhciProcessEventsEx(hc, TRUE);
}

VOID XhciPollDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    XhciProcessEvents(Context);
}
