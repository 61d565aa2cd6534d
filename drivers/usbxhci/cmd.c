/* cmd.c - the command ring (xHCI 1.2 4.6): one command at a time under
 * Hc->CmdMutex, at PASSIVE_LEVEL.  The wait is bounded: a command that
 * gets no completion in XHCI_COMMAND_MS is aborted (CRCR.CA, 4.6.1.2) and
 * reported as such.  Completions arrive through the event ring (DPC or
 * poll timer); the wait also polls, so a lost interrupt costs 10 ms. */
#include "xhcip.h"

#define XHCI_COMMAND_SLICE_MS 10

/* Returns the completion code (XHCI_CC_*), XHCI_CC_INVALID when the
 * controller never answered.  *SlotOut (optional) gets the slot id of
 * the completion (Enable Slot). */
ULONG XhciCommand(PXHCI_HC Hc, ULONG64 Param, ULONG Status, ULONG Control, PULONG SlotOut)
{
    KIRQL irql;
    ULONG index, cc;
    ULONG64 deadline;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    ExAcquireFastMutex(&Hc->CmdMutex);
    KeAcquireSpinLock(&Hc->Lock, &irql);
    KeClearEvent(&Hc->CmdEvent);
    Hc->CmdCc = XHCI_CC_INVALID;
    Hc->CmdSlot = 0;
    index = XhciRingPush(&Hc->CmdRing, Param, Status, Control | XHCI_TRB_CYCLE);
    Hc->CmdTrbPa = XhciRingPa(&Hc->CmdRing, index);
    XhciRingPublish(&Hc->CmdRing, index);
    KeReleaseSpinLock(&Hc->Lock, irql);
    XhciRingDoorbell(Hc, 0, 0);

    deadline = XhciNow() + XhciMs(XHCI_COMMAND_MS);
    for (;;) {
        LARGE_INTEGER slice = { .QuadPart = -(LONGLONG)XHCI_COMMAND_SLICE_MS * 10000 };
        if (KeWaitForSingleObject(&Hc->CmdEvent, Executive, KernelMode, FALSE, &slice) ==
            STATUS_SUCCESS)
            break;
        XhciProcessEvents(Hc);
        if (KeReadStateEvent(&Hc->CmdEvent))
            break;
        if (XhciNow() > deadline) {
            DbgPrint("usbxhci%u: command type %u got no completion in %u ms; aborting the "
                     "command ring\n", Hc->Number, XHCI_TRB_TYPE(Control), XHCI_COMMAND_MS);
            XhciWrite64(Hc, Hc->OpOffset + XHCI_CRCR, XHCI_CRCR_CA);
            XhciWaitOp(Hc, XHCI_CRCR, (ULONG)XHCI_CRCR_CRR, 0, XHCI_COMMAND_MS);
            XhciProcessEvents(Hc);
            break;
        }
    }
    KeAcquireSpinLock(&Hc->Lock, &irql);
    cc = KeReadStateEvent(&Hc->CmdEvent) ? Hc->CmdCc : XHCI_CC_INVALID;
    if (SlotOut)
        *SlotOut = Hc->CmdSlot;
    Hc->CmdTrbPa = 0;
    KeReleaseSpinLock(&Hc->Lock, irql);
    ExReleaseFastMutex(&Hc->CmdMutex);
    if (cc != XHCI_CC_SUCCESS)
        XhciDbg(Hc, "usbxhci%u: command type %u: %s\n", Hc->Number, XHCI_TRB_TYPE(Control),
                XhciCcName(cc));
    return cc;
}
