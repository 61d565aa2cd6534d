/* hub.c - the root hub (PORTSC, xHCI 1.2 4.19) and external hubs (USB
 * 2.0 chapter 11: class requests, port status and change bits, the
 * status change endpoint).  The enumeration thread (enum.c) calls the
 * scans; a connect change detaches what was on the port and enumerates
 * what is there now.  PASSIVE_LEVEL. */
#include "xhcip.h"

#define XHCI_HUB_RESET_POLL_MS 10
#define HUB_PORT_CONNECTION    0x0001
#define HUB_PORT_ENABLE        0x0002
#define HUB_PORT_LOW_SPEED     0x0200
#define HUB_PORT_HIGH_SPEED    0x0400
#define HUB_C_PORT_RESET       0x0010

PCSTR XhciSpeedName(UCHAR Speed)
{
    switch (Speed) {
    case XHCI_SPEED_LOW: return "low";
    case XHCI_SPEED_FULL: return "full";
    case XHCI_SPEED_HIGH: return "high";
    case XHCI_SPEED_SUPER: return "super";
    case XHCI_SPEED_SUPER_PLUS: return "super+";
    default: return "unknown";
    }
}

/* ---- root ports ---- */

VOID XhciRootPortsScan(PXHCI_HC Hc, BOOLEAN *Changed)
{
    ULONG ports = Hc->MaxPorts < XHCI_MAX_PORTS ? Hc->MaxPorts : XHCI_MAX_PORTS;

    Hc->PortChange = FALSE;
    for (ULONG p = 1; p <= ports; p++) {
        XHCI_PORT *port = &Hc->Ports[p];
        ULONG v = XhciPortRead(Hc, p), change;
        BOOLEAN connected;

        if (v == 0xFFFFFFFF)
            return;
        change = v & XHCI_PORTSC_CHANGE_BITS;
        if (change)
            XhciPortWrite(Hc, p, (v & XHCI_PORTSC_PRESERVE) | change);
        port->LastPortsc = v;
        connected = (v & XHCI_PORTSC_CCS) != 0;
        if (change & XHCI_PORTSC_OCC)
            DbgPrint("usbxhci%u: port %u: over-current %s\n", Hc->Number, p,
                     (v & XHCI_PORTSC_OCA) ? "active" : "ended");
        if ((change & XHCI_PORTSC_CSC) || !connected) {
            if (port->Dev) {
                XhciDeviceDetach(port->Dev);
                port->Dev = NULL;
                *Changed = TRUE;
            }
            if (change & XHCI_PORTSC_CSC)
                port->Failed = FALSE;
        }
        if (!connected) {
            port->Speed = 0;
            port->Note = NULL;
            continue;
        }
        if (port->Dev || port->Failed)
            continue;
        NTSTATUS st = XhciRootPortReset(Hc, p, &v);
        port->LastPortsc = v;
        if (!NT_SUCCESS(st)) {
            port->Failed = TRUE;
            port->Note = st == STATUS_IO_TIMEOUT ? "port reset timed out"
                       : st == STATUS_DEVICE_NOT_CONNECTED ? "device left during reset"
                       : "port not enabled after reset";
            DbgPrint("usbxhci%u: port %u: %s (PORTSC=%08x)\n", Hc->Number, p, port->Note, v);
            continue;
        }
        port->Speed = (UCHAR)XHCI_PORTSC_SPEED(v);
        port->Dev = XhciDeviceAttach(Hc, NULL, (UCHAR)p, port->Speed);
        if (!port->Dev) {
            port->Failed = TRUE;
            port->Note = "no memory";
        } else if (port->Dev->State == XhciDevFailed) {
            port->Note = port->Dev->FailReason;
        } else {
            port->Note = NULL;
        }
        *Changed = TRUE;
    }
}

/* ---- external hubs ---- */

static USBD_STATUS XhciHubFeature(PXHCI_DEVICE Hub, BOOLEAN Set, USHORT Feature, USHORT Port)
{
    return XhciControlSync(Hub, 0x23, Set ? USB_REQUEST_SET_FEATURE : USB_REQUEST_CLEAR_FEATURE,
                           Feature, Port, NULL, 0, NULL);
}

static USBD_STATUS XhciHubPortStatus(PXHCI_DEVICE Hub, USHORT Port, PUSHORT Status, PUSHORT Change)
{
    ULONG got = 0;
    USBD_STATUS st = XhciControlSync(Hub, 0xA3, USB_REQUEST_GET_STATUS, 0, Port, Hub->HubBuf + 8,
                                     4, &got);
    if (USBD_SUCCESS(st) && got < 4)
        st = USBD_STATUS_ERROR_SHORT_TRANSFER;
    if (!USBD_SUCCESS(st))
        return st;
    *Status = (USHORT)(Hub->HubBuf[8] | (Hub->HubBuf[9] << 8));
    *Change = (USHORT)(Hub->HubBuf[10] | (Hub->HubBuf[11] << 8));
    return st;
}

/* USB 2.0 11.24.2.13 SetPortFeature(PORT_RESET): the hub ends the reset
 * and sets C_PORT_RESET; the speed is in wPortStatus then. */
NTSTATUS XhciHubPortReset(PXHCI_DEVICE Hub, UCHAR Port, PUCHAR Speed)
{
    ULONG64 deadline = XhciNow() + XhciMs(XHCI_PORT_RESET_MS);
    USHORT status = 0, change = 0;

    if (!USBD_SUCCESS(XhciHubFeature(Hub, TRUE, PORT_RESET, Port)))
        return STATUS_UNSUCCESSFUL;
    for (;;) {
        XhciSleepMs(XHCI_HUB_RESET_POLL_MS);
        if (!USBD_SUCCESS(XhciHubPortStatus(Hub, Port, &status, &change)))
            return STATUS_UNSUCCESSFUL;
        if (!(status & HUB_PORT_CONNECTION))
            return STATUS_DEVICE_NOT_CONNECTED;
        if (change & HUB_C_PORT_RESET)
            break;
        if (XhciNow() > deadline) {
            DbgPrint("usbxhci%u: hub slot %u port %u: reset not finished after %u ms\n",
                     Hub->Hc->Number, Hub->SlotId, Port, XHCI_PORT_RESET_MS);
            return STATUS_IO_TIMEOUT;
        }
    }
    XhciHubFeature(Hub, FALSE, C_PORT_RESET, Port);
    XhciSleepMs(XHCI_RESET_RECOVERY_MS);
    Hub->HubPortStatus[Port] = status;
    if (!(status & HUB_PORT_ENABLE))
        return STATUS_UNSUCCESSFUL;
    if (Hub->Speed >= XHCI_SPEED_SUPER)
        *Speed = XHCI_SPEED_SUPER;
    else
        *Speed = (status & HUB_PORT_LOW_SPEED) ? XHCI_SPEED_LOW
               : (status & HUB_PORT_HIGH_SPEED) ? XHCI_SPEED_HIGH : XHCI_SPEED_FULL;
    return STATUS_SUCCESS;
}

static VOID XhciHubStatusDone(PXHCI_TD Td)
{
    PXHCI_DEVICE hub = Td->Context;
    PXHCI_HC hc = hub->Hc;

    KeAcquireSpinLockAtDpcLevel(&hc->Lock);
    if (Td->Status == USBD_STATUS_SUCCESS) {
        for (ULONG i = 0; i < Td->Actual && i < 4; i++)
            hub->HubChange |= (ULONG)hub->HubBuf[i] << (8 * i);
    }
    hub->HubTdStatus = Td->Status;
    hub->HubTdBusy = FALSE;
    KeReleaseSpinLockFromDpcLevel(&hc->Lock);
    KeSetEvent(&hc->EnumWake, IO_NO_INCREMENT, FALSE);
}

/* Keeps the status change request in flight (11.12.4). */
static VOID XhciHubArm(PXHCI_DEVICE Hub)
{
    PXHCI_HC hc = Hub->Hc;
    KIRQL irql;
    USBD_STATUS st;

    KeAcquireSpinLock(&hc->Lock, &irql);
    if (Hub->HubTdBusy || !Hub->HubEp || Hub->State == XhciDevGone) {
        KeReleaseSpinLock(&hc->Lock, irql);
        return;
    }
    Hub->HubTdBusy = TRUE;
    KeReleaseSpinLock(&hc->Lock, irql);
    if (Hub->HubTdStatus == USBD_STATUS_STALL_PID || Hub->HubEp->Halted)
        XhciResetEndpoint(Hub->HubEp, TRUE);
    RtlZeroMemory(Hub->HubTd, sizeof(*Hub->HubTd));
    Hub->HubTd->Done = XhciHubStatusDone;
    Hub->HubTd->Context = Hub;
    RtlZeroMemory(Hub->HubBuf, 4);
    st = XhciQueueTd(Hub->HubEp, Hub->HubTd, NULL, TRUE, Hub->HubBuf, NULL,
                     (Hub->HubPorts + 1 + 7) / 8);
    if (st != USBD_STATUS_PENDING) {
        KeAcquireSpinLock(&hc->Lock, &irql);
        Hub->HubTdBusy = FALSE;
        KeReleaseSpinLock(&hc->Lock, irql);
    }
}

/* SET_CONFIGURATION, the hub descriptor, Configure Endpoint with the hub
 * fields and its status endpoint, every port powered. */
NTSTATUS XhciHubInit(PXHCI_DEVICE Hub)
{
    PXHCI_HC hc = Hub->Hc;
    USB_PARSED_INTERFACE *intf;
    USB_PARSED_HUB desc;
    const USB_PARSED_ENDPOINT *status = NULL;
    PXHCI_ENDPOINT ep;
    PCSTR why = "";
    ULONG got = 0, waitMs;
    KIRQL irql;

    Hub->HubTd = ExAllocatePoolZero(NonPagedPool, sizeof(XHCI_TD), XHCI_TAG);
    Hub->HubBuf = ExAllocatePoolZero(NonPagedPool, 128, XHCI_TAG);
    intf = ExAllocatePoolZero(NonPagedPool, sizeof(*intf), XHCI_TAG);
    if (!Hub->HubTd || !Hub->HubBuf || !intf)
        goto fail_mem;
    if (!NT_SUCCESS(UsbFindInterface(Hub->Config, Hub->ConfigLength, 0xFF, 0, intf, &why)))
        goto fail_why;
    for (ULONG i = 0; i < intf->EndpointCount; i++)
        if (intf->Endpoints[i].Type == USB_ENDPOINT_TYPE_INTERRUPT &&
            USB_ENDPOINT_DIRECTION_IN(intf->Endpoints[i].Address))
            status = &intf->Endpoints[i];
    if (!status) {
        why = "hub without an interrupt IN endpoint";
        goto fail_why;
    }
    if (!USBD_SUCCESS(XhciDeviceSetConfiguration(Hub, Hub->Config[5]))) {
        why = "SET_CONFIGURATION failed";
        goto fail_why;
    }
    if (!USBD_SUCCESS(XhciControlSync(Hub, 0xA0, USB_REQUEST_GET_DESCRIPTOR,
                                      USB_20_HUB_DESCRIPTOR_TYPE << 8, 0, Hub->HubBuf, 71, &got))) {
        why = "GET_DESCRIPTOR(hub) failed";
        goto fail_why;
    }
    if (!NT_SUCCESS(UsbParseHubDescriptor(Hub->HubBuf, got, &desc, &why)))
        goto fail_why;
    if (desc.Ports > XHCI_MAX_HUB_PORTS)
        DbgPrint("usbxhci%u: hub slot %u has %u ports; the first %u are served\n", hc->Number,
                 Hub->SlotId, desc.Ports, XHCI_MAX_HUB_PORTS);
    Hub->HubPorts = desc.Ports > XHCI_MAX_HUB_PORTS ? XHCI_MAX_HUB_PORTS : desc.Ports;
    Hub->HubTtThink = desc.TtThinkTime;
    Hub->HubMtt = FALSE;    /* single TT: multi-TT needs SET_INTERFACE(1) first */
    Hub->HubPowerMs = desc.PowerOnToPowerGoodMs2 * 2;
    Hub->IsHub = TRUE;
    ep = XhciEndpointCreate(Hub, status);
    if (!ep)
        goto fail_mem;
    KeAcquireSpinLock(&hc->Lock, &irql);
    Hub->Ep[ep->Dci] = ep;
    Hub->HubEp = ep;
    KeReleaseSpinLock(&hc->Lock, irql);
    if (!USBD_SUCCESS(XhciConfigureEndpoints(Hub, &ep, 1, FALSE))) {
        why = "Configure Endpoint for the hub failed";
        goto fail_why;
    }
    Hub->State = XhciDevConfigured;
    for (USHORT p = 1; p <= Hub->HubPorts; p++)
        XhciHubFeature(Hub, TRUE, PORT_POWER, p);
    waitMs = Hub->HubPowerMs > XHCI_HUB_POWER_MIN_MS ? Hub->HubPowerMs : XHCI_HUB_POWER_MIN_MS;
    XhciSleepMs(waitMs);
    KeAcquireSpinLock(&hc->Lock, &irql);
    Hub->HubChange = ((1u << (Hub->HubPorts + 1)) - 1) & ~1u;     /* look at every port once */
    KeReleaseSpinLock(&hc->Lock, irql);
    DbgPrint("usbxhci%u: hub slot %u: %u ports, %s speed, power good after %u ms\n", hc->Number,
             Hub->SlotId, Hub->HubPorts, XhciSpeedName(Hub->Speed), waitMs);
    ExFreePoolWithTag(intf, XHCI_TAG);
    return STATUS_SUCCESS;

fail_mem:
    why = "no memory";
fail_why:
    DbgPrint("usbxhci%u: hub slot %u: %s\n", hc->Number, Hub->SlotId, why);
    if (intf)
        ExFreePoolWithTag(intf, XHCI_TAG);
    return STATUS_UNSUCCESSFUL;
}

static VOID XhciHubPort(PXHCI_DEVICE Hub, UCHAR Port, BOOLEAN *Changed)
{
    PXHCI_HC hc = Hub->Hc;
    USHORT status = 0, change = 0;
    UCHAR speed = 0;
    NTSTATUS st;

    if (!USBD_SUCCESS(XhciHubPortStatus(Hub, Port, &status, &change)))
        return;
    for (USHORT bit = 0; bit < 5; bit++)
        if (change & (1u << bit))
            XhciHubFeature(Hub, FALSE, C_PORT_CONNECTION + bit, Port);
    Hub->HubPortStatus[Port] = status;
    if (Hub->HubChild[Port] && (!(status & HUB_PORT_CONNECTION) || (change & 1))) {
        XhciDeviceDetach(Hub->HubChild[Port]);
        Hub->HubChild[Port] = NULL;
        *Changed = TRUE;
    }
    if (!(status & HUB_PORT_CONNECTION) || Hub->HubChild[Port])
        return;
    st = XhciHubPortReset(Hub, Port, &speed);
    if (!NT_SUCCESS(st)) {
        DbgPrint("usbxhci%u: hub slot %u port %u: reset failed (0x%08x)\n", hc->Number,
                 Hub->SlotId, Port, (ULONG)st);
        return;
    }
    Hub->HubChild[Port] = XhciDeviceAttach(hc, Hub, Port, speed);
    *Changed = TRUE;
}

static VOID XhciHubScan(PXHCI_DEVICE Hub, BOOLEAN *Changed, BOOLEAN *Pending)
{
    PXHCI_HC hc = Hub->Hc;
    ULONG bits;
    KIRQL irql;

    if (!Hub->IsHub || Hub->State != XhciDevConfigured)
        return;
    KeAcquireSpinLock(&hc->Lock, &irql);
    bits = Hub->HubChange;
    Hub->HubChange = 0;
    KeReleaseSpinLock(&hc->Lock, irql);
    for (UCHAR p = 1; p <= Hub->HubPorts; p++)
        if (bits & (1u << p))
            XhciHubPort(Hub, p, Changed);
    if (bits)
        *Pending = TRUE;
    XhciHubArm(Hub);
    for (UCHAR p = 1; p <= Hub->HubPorts; p++)
        if (Hub->HubChild[p])
            XhciHubScan(Hub->HubChild[p], Changed, Pending);
}

/* Every hub in the tree, from the root ports down (the tree is changed by
 * this thread only).  Repeats while a pass found work: a hub found in
 * one pass reports its ports in the next. */
VOID XhciHubsScan(PXHCI_HC Hc, BOOLEAN *Changed)
{
    ULONG ports = Hc->MaxPorts < XHCI_MAX_PORTS ? Hc->MaxPorts : XHCI_MAX_PORTS;

    for (ULONG pass = 0; pass < 8; pass++) {
        BOOLEAN pending = FALSE;
        for (ULONG p = 1; p <= ports; p++)
            if (Hc->Ports[p].Dev)
                XhciHubScan(Hc->Ports[p].Dev, Changed, &pending);
        if (!pending)
            return;
    }
}

ULONG XhciDevicePortStatus(PXHCI_DEVICE Dev)
{
    ULONG r = 0;

    if (!XhciDeviceAlive(Dev))
        return 0;
    if (Dev->Parent) {
        USHORT s = Dev->Parent->HubPortStatus[Dev->ParentPort];
        if (s & HUB_PORT_CONNECTION)
            r |= USBD_PORT_CONNECTED;
        if (s & HUB_PORT_ENABLE)
            r |= USBD_PORT_ENABLED;
    } else {
        ULONG v = XhciPortRead(Dev->Hc, Dev->RootPort);
        if (v & XHCI_PORTSC_CCS)
            r |= USBD_PORT_CONNECTED;
        if (v & XHCI_PORTSC_PED)
            r |= USBD_PORT_ENABLED;
    }
    return r;
}
