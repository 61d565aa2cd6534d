/* device.c - one USB device behind the controller: Enable Slot, Address
 * Device (xHCI 1.2 4.3), the default pipe's max packet size (Evaluate
 * Context, 4.6.7), descriptors and strings (USB 2.0 9.4.3), teardown on
 * disconnect (Disable Slot, 4.6.4) and the port reset a client asks for.
 * PASSIVE_LEVEL: the enumeration thread, or a client's PASSIVE request. */
#include "xhcip.h"

const char *const XhciDevStateNames[XhciDevStateCount] = {
    [XhciDevEnumerating] = "enumerating",
    [XhciDevAddressed] = "addressed",
    [XhciDevReady] = "ready",
    [XhciDevConfigured] = "configured",
    [XhciDevFailed] = "failed",
    [XhciDevGone] = "gone",
};

#define XHCI_DESC_BUFFER 256

BOOLEAN XhciDeviceAlive(PXHCI_DEVICE Dev)
{
    return Dev->SlotId != 0 && Dev->State != XhciDevGone && Dev->State != XhciDevFailed;
}

static VOID XhciFreeContexts(PXHCI_DEVICE Dev)
{
    if (Dev->OutCtx)
        XhciFreeDma(Dev->OutCtx);
    if (Dev->InCtx)
        XhciFreeDma(Dev->InCtx);
    Dev->OutCtx = Dev->InCtx = NULL;
}

/* Disable Slot and free the slot's memory; every TD in flight ends with
 * Status first.  The endpoints leave Dev->Ep[] under the lock, so a pipe
 * handle a client still holds is refused from then on. */
static VOID XhciDeviceTeardown(PXHCI_DEVICE Dev, XHCI_DEVICE_STATE State, USBD_STATUS Status)
{
    PXHCI_HC hc = Dev->Hc;
    PXHCI_ENDPOINT eps[XHCI_CTX_ENTRIES];
    LIST_ENTRY done;
    KIRQL irql;
    ULONG slot;

    InitializeListHead(&done);
    KeAcquireSpinLock(&hc->Lock, &irql);
    Dev->State = State;
    for (ULONG i = 0; i < XHCI_CTX_ENTRIES; i++) {
        eps[i] = Dev->Ep[i];
        Dev->Ep[i] = NULL;
        if (eps[i])
            XhciFailPending(eps[i], Status, &done);
    }
    slot = Dev->SlotId;
    if (slot && hc->Slots[slot] == Dev)
        hc->Slots[slot] = NULL;
    KeReleaseSpinLock(&hc->Lock, irql);
    XhciFinishTds(&done);
    if (slot) {
        ULONG cc = XhciCommand(hc, 0, 0, (XHCI_TRB_DISABLE_SLOT << XHCI_TRB_TYPE_SHIFT) |
                               (slot << 24), NULL);
        if (cc != XHCI_CC_SUCCESS && cc != XHCI_CC_SLOT_NOT_ENABLED)
            DbgPrint("usbxhci%u: Disable Slot %u: %s\n", hc->Number, slot, XhciCcName(cc));
        hc->Dcbaa[slot] = 0;
        Dev->SlotId = 0;
    }
    for (ULONG i = 0; i < XHCI_CTX_ENTRIES; i++)
        if (eps[i])
            XhciEndpointFree(eps[i]);
    XhciFreeContexts(Dev);
}

static PXHCI_DEVICE XhciDeviceFail(PXHCI_DEVICE Dev, PCSTR Why)
{
    DbgPrint("usbxhci%u: device on port %u route %05x: %s\n", Dev->Hc->Number, Dev->RootPort,
             Dev->Route, Why);
    Dev->FailReason = Why;
    XhciDeviceTeardown(Dev, XhciDevFailed, USBD_STATUS_DEVICE_GONE);
    return Dev;
}

static VOID XhciGetString(PXHCI_DEVICE Dev, UCHAR Index, PUCHAR Buffer, PWCHAR Out, ULONG Chars)
{
    ULONG got = 0;

    Out[0] = 0;
    if (!Index || !Dev->LangId)
        return;
    if (USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                     (USB_STRING_DESCRIPTOR_TYPE << 8) | Index, Dev->LangId,
                                     Buffer, 255, &got)))
        UsbParseString(Buffer, got, Out, Chars);
}

/* The slot context of a new device (6.2.2); a low/full-speed device
 * behind a high-speed hub names that hub's slot and port as its TT. */
static VOID XhciFillSlotContext(PXHCI_DEVICE Dev, volatile ULONG *Slot)
{
    for (ULONG i = 0; i < 8; i++)
        Slot[i] = 0;
    Slot[0] = Dev->Route | ((ULONG)Dev->Speed << XHCI_SLOT0_SPEED_SHIFT) |
              (1u << XHCI_SLOT0_ENTRIES_SHIFT);
    Slot[1] = (ULONG)Dev->RootPort << XHCI_SLOT1_ROOT_PORT_SHIFT;
    if (Dev->Speed == XHCI_SPEED_LOW || Dev->Speed == XHCI_SPEED_FULL) {
        UCHAR port = Dev->ParentPort;
        for (PXHCI_DEVICE h = Dev->Parent; h; port = h->ParentPort, h = h->Parent) {
            if (h->Speed == XHCI_SPEED_HIGH) {
                Slot[2] = h->SlotId | ((ULONG)port << XHCI_SLOT2_TT_PORT_SHIFT);
                if (h->HubMtt)
                    Slot[0] |= XHCI_SLOT0_MTT;
                break;
            }
        }
    }
}

/* Descriptors, strings and the first interface's class; the device is
 * Ready afterwards. */
static PCSTR XhciReadDescriptors(PXHCI_DEVICE Dev, PUCHAR Buffer)
{
    PXHCI_HC hc = Dev->Hc;
    BOOLEAN ss = Dev->Speed >= XHCI_SPEED_SUPER;
    USB_CONFIGURATION_DESCRIPTOR cfg;
    USB_PARSED_INTERFACE *intf;
    ULONG got = 0, total;
    PCSTR why = NULL;
    USHORT mps;

    /* 8 bytes first: bMaxPacketSize0 (USB 2.0 9.6.1, 5.5.3). */
    if (!USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                      USB_DEVICE_DESCRIPTOR_TYPE << 8, 0, Buffer, 8, &got)) ||
        got < 8)
        return "GET_DESCRIPTOR(device, 8) failed";
    if (!NT_SUCCESS(UsbParseDeviceDescriptor(Buffer, got, ss, &Dev->Desc, &why)))
        return why;
    mps = UsbMaxPacket0(&Dev->Desc, ss);
    if (mps != Dev->Ep[1]->MaxPacket) {
        volatile ULONG *ctl = XhciInCtx(Dev, 0);
        RtlZeroMemory((PVOID)ctl, hc->ContextSize * 3);
        ctl[1] = 2;     /* A1: the default pipe */
        Dev->Ep[1]->MaxPacket = mps;
        XhciFillEndpointContext(Dev, Dev->Ep[1], XhciInCtx(Dev, 2));
        ULONG cc = XhciCommand(hc, Dev->InCtxPa, 0, (XHCI_TRB_EVALUATE_CTX << XHCI_TRB_TYPE_SHIFT) |
                               ((ULONG)Dev->SlotId << 24), NULL);
        if (cc != XHCI_CC_SUCCESS)
            return "Evaluate Context (default pipe max packet) failed";
    }
    if (!USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                      USB_DEVICE_DESCRIPTOR_TYPE << 8, 0, Buffer, 18, &got)))
        return "GET_DESCRIPTOR(device) failed";
    if (got < 18)
        return "device descriptor shorter than 18 bytes";
    if (!NT_SUCCESS(UsbParseDeviceDescriptor(Buffer, got, ss, &Dev->Desc, &why)))
        return why;
    if (!USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                      USB_CONFIGURATION_DESCRIPTOR_TYPE << 8, 0, Buffer, 9, &got)))
        return "GET_DESCRIPTOR(configuration, 9) failed";
    if (!NT_SUCCESS(UsbParseConfigHeader(Buffer, got, &cfg, &why)))
        return why;
    total = cfg.wTotalLength > XHCI_CONFIG_MAX ? XHCI_CONFIG_MAX : cfg.wTotalLength;
    Dev->Config = ExAllocatePoolZero(NonPagedPool, total, XHCI_TAG);
    if (!Dev->Config)
        return "no memory for the configuration descriptor";
    if (!USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                      USB_CONFIGURATION_DESCRIPTOR_TYPE << 8, 0, Dev->Config,
                                      (USHORT)total, &got)))
        return "GET_DESCRIPTOR(configuration) failed";
    Dev->ConfigLength = got;
    intf = ExAllocatePoolZero(NonPagedPool, sizeof(*intf), XHCI_TAG);
    if (!intf)
        return "no memory";
    if (!NT_SUCCESS(UsbFindInterface(Dev->Config, got, 0xFF, 0, intf, &why))) {
        ExFreePoolWithTag(intf, XHCI_TAG);
        return why;
    }
    if (Dev->Desc.bDeviceClass == 0) {
        Dev->IfClass = intf->Class;
        Dev->IfSubClass = intf->SubClass;
        Dev->IfProtocol = intf->Protocol;
    } else {
        Dev->IfClass = Dev->Desc.bDeviceClass;
        Dev->IfSubClass = Dev->Desc.bDeviceSubClass;
        Dev->IfProtocol = Dev->Desc.bDeviceProtocol;
    }
    ExFreePoolWithTag(intf, XHCI_TAG);
    /* Strings are optional: a device that stalls them keeps its IDs. */
    if (Dev->Desc.iManufacturer || Dev->Desc.iProduct || Dev->Desc.iSerialNumber) {
        if (USBD_SUCCESS(XhciControlSync(Dev, 0x80, USB_REQUEST_GET_DESCRIPTOR,
                                         USB_STRING_DESCRIPTOR_TYPE << 8, 0, Buffer, 255, &got)))
            Dev->LangId = UsbParseLangId(Buffer, got);
        XhciGetString(Dev, Dev->Desc.iProduct, Buffer, Dev->Product, 64);
        XhciGetString(Dev, Dev->Desc.iManufacturer, Buffer, Dev->Manufacturer, 64);
        XhciGetString(Dev, Dev->Desc.iSerialNumber, Buffer, Dev->Serial, 64);
    }
    return NULL;
}

/* A device just reset on Port of Parent (NULL: a root port) at Speed:
 * slot, address, descriptors; a hub is set up, any other device gets its
 * PDO.  Returns the device, Failed with its reason when a step failed
 * (kept so `usb` can show it), NULL without memory. */
PXHCI_DEVICE XhciDeviceAttach(PXHCI_HC Hc, PXHCI_DEVICE Parent, UCHAR Port, UCHAR Speed)
{
    static const USB_PARSED_ENDPOINT ep0Desc = { .Address = 0, .Type = USB_ENDPOINT_TYPE_CONTROL };
    PXHCI_DEVICE dev;
    PXHCI_ENDPOINT ep0;
    ULONG slot = 0, cc;
    PUCHAR buffer;
    PCSTR why;
    KIRQL irql;
    ULONG64 pa;

    dev = ExAllocatePoolZero(NonPagedPool, sizeof(*dev), XHCI_TAG);
    if (!dev)
        return NULL;
    dev->Hc = Hc;
    dev->Parent = Parent;
    dev->ParentPort = Port;
    dev->RootPort = Parent ? Parent->RootPort : Port;
    dev->Depth = Parent ? Parent->Depth + 1 : 0;
    dev->Route = Parent ? Parent->Route | ((ULONG)(Port > 15 ? 15 : Port) << (4 * Parent->Depth)) : 0;
    dev->Speed = Speed;
    dev->Number = Hc->NextDeviceNumber++;
    dev->State = XhciDevEnumerating;
    KeAcquireSpinLock(&Hc->Lock, &irql);
    InsertTailList(&Hc->Devices, &dev->HcLink);
    KeReleaseSpinLock(&Hc->Lock, irql);
    if (dev->Depth > XHCI_MAX_DEPTH)
        return XhciDeviceFail(dev, "more than 5 hubs deep (USB 3.2 8.9)");
    if (Speed < XHCI_SPEED_FULL || Speed > XHCI_SPEED_SUPER_PLUS)
        return XhciDeviceFail(dev, "unknown port speed");

    cc = XhciCommand(Hc, 0, 0, XHCI_TRB_ENABLE_SLOT << XHCI_TRB_TYPE_SHIFT, &slot);
    if (cc != XHCI_CC_SUCCESS)
        return XhciDeviceFail(dev, cc == XHCI_CC_NO_SLOTS ? "no device slot left" : "Enable Slot failed");
    if (slot == 0 || slot > Hc->MaxSlots || slot > 255 || Hc->Slots[slot]) {
        DbgPrint("usbxhci%u: Enable Slot returned slot %u (max %u, in use %u)\n", Hc->Number, slot,
                 Hc->MaxSlots, slot && slot < 256 && Hc->Slots[slot] != NULL);
        return XhciDeviceFail(dev, "Enable Slot returned an impossible slot id");
    }
    dev->SlotId = (UCHAR)slot;
    dev->OutCtx = XhciAllocDma(Hc, Hc->ContextSize * XHCI_CTX_ENTRIES, &pa);
    dev->OutCtxPa = pa;
    dev->InCtx = XhciAllocDma(Hc, Hc->ContextSize * (XHCI_CTX_ENTRIES + 1), &pa);
    dev->InCtxPa = pa;
    ep0 = (dev->OutCtx && dev->InCtx) ? XhciEndpointCreate(dev, &ep0Desc) : NULL;
    if (!ep0)
        return XhciDeviceFail(dev, "no memory for the device contexts");
    /* 4.3: default max packet before the descriptor says: 8 (LS, FS), 64, 512. */
    ep0->MaxPacket = Speed == XHCI_SPEED_HIGH ? 64 : Speed >= XHCI_SPEED_SUPER ? 512 : 8;
    KeAcquireSpinLock(&Hc->Lock, &irql);
    dev->Ep[1] = ep0;
    Hc->Slots[slot] = dev;
    KeReleaseSpinLock(&Hc->Lock, irql);
    Hc->Dcbaa[slot] = dev->OutCtxPa;

    RtlZeroMemory(dev->InCtx, Hc->ContextSize * (XHCI_CTX_ENTRIES + 1));
    XhciInCtx(dev, 0)[1] = 3;   /* A0 | A1 */
    XhciFillSlotContext(dev, XhciInCtx(dev, 1));
    XhciFillEndpointContext(dev, ep0, XhciInCtx(dev, 2));
    cc = XhciCommand(Hc, dev->InCtxPa, 0, (XHCI_TRB_ADDRESS_DEVICE << XHCI_TRB_TYPE_SHIFT) |
                     (slot << 24), NULL);
    if (cc != XHCI_CC_SUCCESS) {
        DbgPrint("usbxhci%u: Address Device (slot %u): %s\n", Hc->Number, slot, XhciCcName(cc));
        return XhciDeviceFail(dev, "Address Device failed");
    }
    dev->Address = (UCHAR)(XhciOutCtx(dev, 0)[3] & 0xFF);
    dev->State = XhciDevAddressed;

    buffer = ExAllocatePoolZero(NonPagedPool, XHCI_DESC_BUFFER, XHCI_TAG);
    if (!buffer)
        return XhciDeviceFail(dev, "no memory");
    why = XhciReadDescriptors(dev, buffer);
    ExFreePoolWithTag(buffer, XHCI_TAG);
    if (why)
        return XhciDeviceFail(dev, why);
    dev->State = XhciDevReady;
    DbgPrint("usbxhci%u: port %u route %05x: %s-speed device %04x:%04x class %02x/%02x/%02x "
             "slot %u address %u\n", Hc->Number, dev->RootPort, dev->Route, XhciSpeedName(Speed),
             dev->Desc.idVendor, dev->Desc.idProduct, dev->IfClass, dev->IfSubClass,
             dev->IfProtocol, slot, dev->Address);
    if (dev->Desc.bDeviceClass == USB_DEVICE_CLASS_HUB) {
        NTSTATUS st = XhciHubInit(dev);
        if (!NT_SUCCESS(st))
            return XhciDeviceFail(dev, "hub set-up failed");
        return dev;
    }
    XhciCreatePdo(dev);
    return dev;
}

/* Unplugged (or its hub was): children first, every request ends
 * DEVICE_GONE, the slot is disabled.  The structure stays while its PDO
 * does (the PnP manager removes the PDO once it is no longer reported). */
VOID XhciDeviceDetach(PXHCI_DEVICE Dev)
{
    PXHCI_HC hc = Dev->Hc;
    BOOLEAN release;
    KIRQL irql;

    for (ULONG p = 1; p <= XHCI_MAX_HUB_PORTS; p++) {
        if (Dev->HubChild[p]) {
            XhciDeviceDetach(Dev->HubChild[p]);
            Dev->HubChild[p] = NULL;
        }
    }
    DbgPrint("usbxhci%u: port %u route %05x: device %04x:%04x gone\n", hc->Number, Dev->RootPort,
             Dev->Route, Dev->Desc.idVendor, Dev->Desc.idProduct);
    XhciDeviceTeardown(Dev, XhciDevGone, USBD_STATUS_DEVICE_GONE);
    KeAcquireSpinLock(&hc->Lock, &irql);
    release = Dev->Pdo == NULL;
    if (release)
        RemoveEntryList(&Dev->HcLink);
    KeReleaseSpinLock(&hc->Lock, irql);
    if (release)
        XhciDeviceRelease(Dev);
}

/* Frees what is left of a gone device (its PDO is gone too). */
VOID XhciDeviceRelease(PXHCI_DEVICE Dev)
{
    if (Dev->Config)
        ExFreePoolWithTag(Dev->Config, XHCI_TAG);
    if (Dev->HubTd)
        ExFreePoolWithTag(Dev->HubTd, XHCI_TAG);
    if (Dev->HubBuf)
        ExFreePoolWithTag(Dev->HubBuf, XHCI_TAG);
    ExFreePoolWithTag(Dev, XHCI_TAG);
}

USBD_STATUS XhciDeviceSetConfiguration(PXHCI_DEVICE Dev, UCHAR Value)
{
    USBD_STATUS st = XhciControlSync(Dev, 0x00, USB_REQUEST_SET_CONFIGURATION, Value, 0, NULL, 0,
                                     NULL);
    if (USBD_SUCCESS(st))
        Dev->ConfigValue = Value;
    return st;
}

/* IOCTL_INTERNAL_USB_RESET_PORT: reset the port, then Reset Device
 * (4.6.11), Address Device again, and the configuration and endpoints
 * the device had.  Requests in flight end as cancelled.  PASSIVE_LEVEL. */
NTSTATUS XhciDeviceResetPort(PXHCI_DEVICE Dev)
{
    PXHCI_HC hc = Dev->Hc;
    PXHCI_ENDPOINT eps[XHCI_CTX_ENTRIES];
    ULONG n = 0, cc, portsc;
    UCHAR speed = Dev->Speed;
    NTSTATUS status;

    if (!XhciDeviceAlive(Dev))
        return STATUS_DEVICE_DOES_NOT_EXIST;
    for (ULONG i = 1; i < XHCI_CTX_ENTRIES; i++)
        if (Dev->Ep[i])
            XhciAbortEndpoint(Dev->Ep[i]);
    if (Dev->Parent)
        status = XhciHubPortReset(Dev->Parent, Dev->ParentPort, &speed);
    else
        status = XhciRootPortReset(hc, Dev->RootPort, &portsc);
    if (!NT_SUCCESS(status))
        return status;
    cc = XhciCommand(hc, 0, 0, (XHCI_TRB_RESET_DEVICE << XHCI_TRB_TYPE_SHIFT) |
                     ((ULONG)Dev->SlotId << 24), NULL);
    if (cc != XHCI_CC_SUCCESS && cc != XHCI_CC_CONTEXT_STATE) {
        DbgPrint("usbxhci%u: Reset Device (slot %u): %s\n", hc->Number, Dev->SlotId, XhciCcName(cc));
        return STATUS_UNSUCCESSFUL;
    }
    RtlZeroMemory(Dev->InCtx, hc->ContextSize * (XHCI_CTX_ENTRIES + 1));
    XhciInCtx(Dev, 0)[1] = 3;
    XhciFillSlotContext(Dev, XhciInCtx(Dev, 1));
    XhciFillEndpointContext(Dev, Dev->Ep[1], XhciInCtx(Dev, 2));
    cc = XhciCommand(hc, Dev->InCtxPa, 0, (XHCI_TRB_ADDRESS_DEVICE << XHCI_TRB_TYPE_SHIFT) |
                     ((ULONG)Dev->SlotId << 24), NULL);
    if (cc != XHCI_CC_SUCCESS) {
        DbgPrint("usbxhci%u: Address Device after reset (slot %u): %s\n", hc->Number, Dev->SlotId,
                 XhciCcName(cc));
        return STATUS_UNSUCCESSFUL;
    }
    Dev->Address = (UCHAR)(XhciOutCtx(Dev, 0)[3] & 0xFF);
    if (Dev->ConfigValue) {
        if (!USBD_SUCCESS(XhciDeviceSetConfiguration(Dev, Dev->ConfigValue)))
            return STATUS_UNSUCCESSFUL;
        for (ULONG i = 2; i < XHCI_CTX_ENTRIES; i++)
            if (Dev->Ep[i])
                eps[n++] = Dev->Ep[i];
        if (n && !USBD_SUCCESS(XhciConfigureEndpoints(Dev, eps, n, FALSE)))
            return STATUS_UNSUCCESSFUL;
    }
    DbgPrint("usbxhci%u: slot %u: port reset, address %u, configuration %u restored\n",
             hc->Number, Dev->SlotId, Dev->Address, Dev->ConfigValue);
    return STATUS_SUCCESS;
}
