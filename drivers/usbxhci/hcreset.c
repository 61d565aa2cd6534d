/* hcreset.c - taking the controller from the firmware and resetting it:
 * the USB Legacy Support handoff (xHCI 1.2 7.1.1), halt (5.4.1) and
 * reset (4.22.1), the Supported Protocol capabilities (7.2) and a root
 * port reset (4.19.5).  Only registers and the clock: the unit model
 * (tests/unit/xhci_model.c) runs this file against an emulated
 * controller whose firmware lets go late or never, and whose ports reset
 * slowly.  PASSIVE_LEVEL (the waits sleep). */
#include "xhcip.h"

#define XHCI_XCAP_MAX_WALK 64   /* a loop in the capability list ends here */

VOID XhciSleepMs(ULONG Ms)
{
    if (KeGetCurrentIrql() == PASSIVE_LEVEL) {
        LARGE_INTEGER t = { .QuadPart = -(LONGLONG)Ms * 10000 };
        KeDelayExecutionThread(KernelMode, FALSE, &t);
    } else {
        KeStallExecutionProcessor(Ms * 1000);
    }
}

/* Polls an operational register until (value & Mask) == Value, for at most
 * Ms milliseconds; a final read decides. */
BOOLEAN XhciWaitOp(PXHCI_HC Hc, ULONG Reg, ULONG Mask, ULONG Value, ULONG Ms)
{
    ULONG64 deadline = XhciNow() + XhciMs(Ms);

    while (XhciNow() < deadline) {
        if ((XhciOpRead(Hc, Reg) & Mask) == Value)
            return TRUE;
        XhciSleepMs(1);
    }
    return (XhciOpRead(Hc, Reg) & Mask) == Value;
}

/* Offset from Base of the first extended capability with this ID after
 * Start (0: from the beginning); 0 if none.  Pointers that leave the
 * register window or loop end the walk. */
static ULONG XhciFindXcap(PXHCI_HC Hc, ULONG Id, ULONG Start)
{
    ULONG off = Start, walk = 0;

    if (!off) {
        off = XHCI_HCC1_XECP(Hc->HccParams1) * 4;
        if (!off)
            return 0;
    } else {
        ULONG next = XHCI_XCAP_NEXT(XhciRead(Hc, off));
        if (!next)
            return 0;
        off += next * 4;
    }
    while (off && off + 8 <= Hc->BaseLength && walk++ < XHCI_XCAP_MAX_WALK) {
        ULONG v = XhciRead(Hc, off);
        if (v == 0xFFFFFFFF)
            return 0;               /* the device is gone */
        if (XHCI_XCAP_ID(v) == Id)
            return off;
        if (!XHCI_XCAP_NEXT(v))
            return 0;
        off += XHCI_XCAP_NEXT(v) * 4;
    }
    return 0;
}

/* 7.1.1: set OS Owned and wait for the BIOS to clear BIOS Owned; SMIs off
 * either way.  A firmware that never lets go is overruled (Linux does the
 * same) and named in the log: its SMI handler may still touch the
 * controller, which is why the SMI enables are cleared as well. */
VOID XhciBiosHandoff(PXHCI_HC Hc)
{
    ULONG cap = XhciFindXcap(Hc, XHCI_XCAP_LEGACY, 0);
    ULONG v;
    ULONG64 start, deadline;

    if (!cap) {
        Hc->HandoffResult = "none";
        return;
    }
    v = XhciRead(Hc, cap);
    if (!(v & XHCI_LEGSUP_BIOS_OWNED)) {
        XhciWrite(Hc, cap, v | XHCI_LEGSUP_OS_OWNED);
        Hc->HandoffResult = "not-owned";
    } else {
        start = XhciNow();
        deadline = start + XhciMs(XHCI_HANDOFF_MS);
        XhciWrite(Hc, cap, v | XHCI_LEGSUP_OS_OWNED);
        while (XhciNow() < deadline && (XhciRead(Hc, cap) & XHCI_LEGSUP_BIOS_OWNED))
            XhciSleepMs(1);
        v = XhciRead(Hc, cap);
        if (v & XHCI_LEGSUP_BIOS_OWNED) {
            DbgPrint("usbxhci%u: firmware kept the controller for %u ms (USBLEGSUP=%08x); "
                     "taking it anyway\n", Hc->Number, XHCI_HANDOFF_MS, v);
            XhciWrite(Hc, cap, (v & ~XHCI_LEGSUP_BIOS_OWNED) | XHCI_LEGSUP_OS_OWNED);
            Hc->HandoffResult = "timeout";
        } else {
            DbgPrint("usbxhci%u: firmware released the controller after %u ms\n", Hc->Number,
                     (ULONG)((XhciNow() - start) / 10000));
            Hc->HandoffResult = "released";
        }
    }
    v = XhciRead(Hc, cap + XHCI_LEGCTLSTS);
    XhciWrite(Hc, cap + XHCI_LEGCTLSTS, (v & ~XHCI_LEGCTLSTS_SMI_MASK) | XHCI_LEGCTLSTS_SMI_EVENTS);
}

/* Halt (R/S = 0, HCH within 16 ms), then HCRST; the controller is usable
 * when HCRST and CNR read 0.  The firmware (OVMF) may have left it
 * running with its own rings. */
NTSTATUS XhciHaltAndReset(PXHCI_HC Hc)
{
    ULONG cmd = XhciOpRead(Hc, XHCI_USBCMD);

    if (cmd == 0xFFFFFFFF) {
        DbgPrint("usbxhci%u: registers read all ones: no controller\n", Hc->Number);
        return STATUS_DEVICE_NOT_CONNECTED;
    }
    XhciOpWrite(Hc, XHCI_USBCMD, cmd & ~(XHCI_CMD_RS | XHCI_CMD_INTE | XHCI_CMD_HSEE));
    if (!XhciWaitOp(Hc, XHCI_USBSTS, XHCI_STS_HCH, XHCI_STS_HCH, XHCI_HALT_MS)) {
        DbgPrint("usbxhci%u: not halted %u ms after R/S=0 (USBSTS=%08x)\n", Hc->Number,
                 XHCI_HALT_MS, XhciOpRead(Hc, XHCI_USBSTS));
        return STATUS_IO_TIMEOUT;
    }
    if (!XhciWaitOp(Hc, XHCI_USBSTS, XHCI_STS_CNR, 0, XHCI_RESET_MS)) {
        DbgPrint("usbxhci%u: controller not ready (CNR) after %u ms\n", Hc->Number, XHCI_RESET_MS);
        return STATUS_IO_TIMEOUT;
    }
    XhciOpWrite(Hc, XHCI_USBCMD, XHCI_CMD_HCRST);
    /* 4.22.1: no register access for 1 ms after HCRST (Intel erratum). */
    XhciSleepMs(1);
    if (!XhciWaitOp(Hc, XHCI_USBCMD, XHCI_CMD_HCRST, 0, XHCI_RESET_MS) ||
        !XhciWaitOp(Hc, XHCI_USBSTS, XHCI_STS_CNR, 0, XHCI_RESET_MS)) {
        DbgPrint("usbxhci%u: reset did not finish within %u ms (USBCMD=%08x USBSTS=%08x)\n",
                 Hc->Number, XHCI_RESET_MS, XhciOpRead(Hc, XHCI_USBCMD),
                 XhciOpRead(Hc, XHCI_USBSTS));
        return STATUS_IO_TIMEOUT;
    }
    return STATUS_SUCCESS;
}

/* 7.2: which root ports speak USB 2 and which USB 3.  Ports no capability
 * names stay Major 0 and are treated as USB 2 (reset before use). */
VOID XhciReadProtocols(PXHCI_HC Hc)
{
    ULONG off = 0;

    while ((off = XhciFindXcap(Hc, XHCI_XCAP_PROTOCOL, off)) != 0) {
        ULONG d0 = XhciRead(Hc, off), d2 = XhciRead(Hc, off + 8);
        ULONG major = XHCI_PROTO_MAJOR(d0), first = XHCI_PROTO_PORT_OFF(d2);
        ULONG count = XHCI_PROTO_PORT_CNT(d2);
        if (major != 2 && major != 3) {
            DbgPrint("usbxhci%u: protocol capability with major revision %u ignored\n",
                     Hc->Number, major);
            continue;
        }
        if (first == 0 || first + count - 1 > Hc->MaxPorts || count == 0) {
            DbgPrint("usbxhci%u: USB %u protocol capability names ports %u..%u of %u; ignored\n",
                     Hc->Number, major, first, first + count - 1, Hc->MaxPorts);
            continue;
        }
        for (ULONG p = first; p < first + count && p <= XHCI_MAX_PORTS; p++)
            Hc->Ports[p].Major = (UCHAR)major;
        DbgPrint("usbxhci%u: ports %u-%u: USB %u\n", Hc->Number, first, first + count - 1, major);
    }
}

/* 4.19.5: a USB 2 port is reset by PR and enabled when PRC comes; a USB 3
 * port trains by itself (PED set with the connection), and only a port
 * that did not gets a warm reset.  *Portsc gets the final value.
 * STATUS_IO_TIMEOUT if the reset never finished, STATUS_DEVICE_NOT_CONNECTED
 * if the device left, STATUS_UNSUCCESSFUL if the port stayed disabled. */
NTSTATUS XhciRootPortReset(PXHCI_HC Hc, ULONG Port, PULONG Portsc)
{
    ULONG v = XhciPortRead(Hc, Port), done;
    BOOLEAN usb3 = Hc->Ports[Port].Major == 3;
    ULONG64 start = XhciNow(), deadline;

    if (usb3 && (v & XHCI_PORTSC_PED)) {
        *Portsc = v;
        return STATUS_SUCCESS;
    }
    done = usb3 ? (XHCI_PORTSC_PRC | XHCI_PORTSC_WRC) : XHCI_PORTSC_PRC;
    /* Write the change bits as 0 (RW1C) and PED as 0 (writing 1 disables). */
    XhciPortWrite(Hc, Port, (v & XHCI_PORTSC_PRESERVE) |
                            (usb3 ? XHCI_PORTSC_WPR : XHCI_PORTSC_PR));
    deadline = start + XhciMs(XHCI_PORT_RESET_MS);
    for (;;) {
        v = XhciPortRead(Hc, Port);
        if ((v & done) && !(v & XHCI_PORTSC_PR))
            break;
        if (!(v & XHCI_PORTSC_CCS)) {
            *Portsc = v;
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        if (XhciNow() >= deadline) {
            *Portsc = v;
            DbgPrint("usbxhci%u: port %u: reset not finished after %u ms (PORTSC=%08x)\n",
                     Hc->Number, Port, XHCI_PORT_RESET_MS, v);
            return STATUS_IO_TIMEOUT;
        }
        XhciSleepMs(1);
    }
    XhciPortWrite(Hc, Port, (v & XHCI_PORTSC_PRESERVE) | (v & (XHCI_PORTSC_PRC | XHCI_PORTSC_WRC)));
    XhciSleepMs(XHCI_RESET_RECOVERY_MS);
    v = XhciPortRead(Hc, Port);
    *Portsc = v;
    XhciDbg(Hc, "usbxhci%u: port %u reset in %u ms, PORTSC=%08x\n", Hc->Number, Port,
            (ULONG)((XhciNow() - start) / 10000), v);
    if (!(v & XHCI_PORTSC_CCS))
        return STATUS_DEVICE_NOT_CONNECTED;
    if (!(v & XHCI_PORTSC_PED))
        return STATUS_UNSUCCESSFUL;
    return STATUS_SUCCESS;
}
