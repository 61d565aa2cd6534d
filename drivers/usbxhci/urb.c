/* urb.c - the URB interface of a device PDO (IRP_MJ_INTERNAL_DEVICE_CONTROL,
 * include/usb.h).  Transfers are queued at IRQL <= DISPATCH_LEVEL and
 * complete at DISPATCH_LEVEL with Hdr.Status, TransferBufferLength and
 * the IRP's status set; the requests that need commands (select
 * configuration, pipe resets and aborts, port reset) run at PASSIVE_LEVEL,
 * in a work item when submitted above it. */
#include "xhcip.h"

typedef struct _XHCI_URB_WORK {
    PIO_WORKITEM Item;
    PIRP Irp;
    PXHCI_DEVICE Dev;
} XHCI_URB_WORK;

/* A pipe handle is trusted only after it is found in the device's table. */
static PXHCI_ENDPOINT XhciFindPipe(PXHCI_DEVICE Dev, USBD_PIPE_HANDLE Handle)
{
    PXHCI_HC hc = Dev->Hc;
    PXHCI_ENDPOINT ep = NULL;
    KIRQL irql;

    KeAcquireSpinLock(&hc->Lock, &irql);
    for (ULONG i = 2; i < XHCI_CTX_ENTRIES && Handle; i++)
        if (Dev->Ep[i] == Handle)
            ep = Dev->Ep[i];
    KeReleaseSpinLock(&hc->Lock, irql);
    return ep;
}

static NTSTATUS XhciUrbComplete(PIRP Irp, PURB Urb, USBD_STATUS Status)
{
    Urb->UrbHeader.Status = Status;
    return XhciCompleteIrp(Irp, XhciUsbdToNt(Status), 0);
}

/* TD completion of a URB transfer (DISPATCH_LEVEL, no lock held). */
static VOID XhciUrbDone(PXHCI_TD Td)
{
    PURB urb = Td->Urb;
    PIRP irp = Td->Irp;
    PULONG length = Td->Context;
    USBD_STATUS st = Td->Status;

    if (st == USBD_STATUS_SUCCESS && Td->Actual < Td->Requested && !Td->ShortOk)
        st = USBD_STATUS_ERROR_SHORT_TRANSFER;
    *length = Td->Actual;
    ExFreePoolWithTag(Td, XHCI_TAG);
    XhciUrbComplete(irp, urb, st);
}

/* Queues one transfer for the URB; the IRP completes from XhciUrbDone. */
static NTSTATUS XhciUrbTransfer(PXHCI_ENDPOINT Ep, PIRP Irp, PURB Urb,
                                PUSB_DEFAULT_PIPE_SETUP_PACKET Setup, BOOLEAN In, BOOLEAN ShortOk,
                                PULONG Length, PVOID Buffer, PMDL Mdl)
{
    PXHCI_TD td;
    USBD_STATUS st;

    if (Setup && *Length > 0xFFFF)
        return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
    td = ExAllocatePoolZero(NonPagedPool, sizeof(*td), XHCI_TAG);
    if (!td)
        return XhciUrbComplete(Irp, Urb, USBD_STATUS_NO_MEMORY);
    td->Done = XhciUrbDone;
    td->Irp = Irp;
    td->Urb = Urb;
    td->Context = Length;
    td->ShortOk = ShortOk || !In;
    if (Setup)
        Setup->wLength = (USHORT)*Length;
    IoMarkIrpPending(Irp);
    Urb->UrbHeader.Status = USBD_STATUS_PENDING;
    st = XhciQueueTd(Ep, td, Setup, In, Buffer, Mdl, *Length);
    if (st != USBD_STATUS_PENDING) {
        ExFreePoolWithTag(td, XHCI_TAG);
        *Length = 0;
        XhciUrbComplete(Irp, Urb, st);
    }
    return STATUS_PENDING;
}

static const UCHAR XhciRecipient[] = {
    [URB_FUNCTION_CLASS_DEVICE] = BMREQUEST_TO_DEVICE,
    [URB_FUNCTION_CLASS_INTERFACE] = BMREQUEST_TO_INTERFACE,
    [URB_FUNCTION_CLASS_ENDPOINT] = BMREQUEST_TO_ENDPOINT,
    [URB_FUNCTION_CLASS_OTHER] = BMREQUEST_TO_OTHER,
    [URB_FUNCTION_VENDOR_DEVICE] = BMREQUEST_TO_DEVICE,
    [URB_FUNCTION_VENDOR_INTERFACE] = BMREQUEST_TO_INTERFACE,
    [URB_FUNCTION_VENDOR_ENDPOINT] = BMREQUEST_TO_ENDPOINT,
    [URB_FUNCTION_VENDOR_OTHER] = BMREQUEST_TO_OTHER,
    [URB_FUNCTION_GET_STATUS_FROM_DEVICE] = BMREQUEST_TO_DEVICE,
    [URB_FUNCTION_GET_STATUS_FROM_INTERFACE] = BMREQUEST_TO_INTERFACE,
    [URB_FUNCTION_GET_STATUS_FROM_ENDPOINT] = BMREQUEST_TO_ENDPOINT,
    [URB_FUNCTION_SET_FEATURE_TO_DEVICE] = BMREQUEST_TO_DEVICE,
    [URB_FUNCTION_SET_FEATURE_TO_INTERFACE] = BMREQUEST_TO_INTERFACE,
    [URB_FUNCTION_SET_FEATURE_TO_ENDPOINT] = BMREQUEST_TO_ENDPOINT,
    [URB_FUNCTION_CLEAR_FEATURE_TO_DEVICE] = BMREQUEST_TO_DEVICE,
    [URB_FUNCTION_CLEAR_FEATURE_TO_INTERFACE] = BMREQUEST_TO_INTERFACE,
    [URB_FUNCTION_CLEAR_FEATURE_TO_ENDPOINT] = BMREQUEST_TO_ENDPOINT,
};

/* ---- PASSIVE_LEVEL requests ---- */

/* Tears down the endpoints of the current configuration. */
static VOID XhciDropEndpoints(PXHCI_DEVICE Dev)
{
    PXHCI_HC hc = Dev->Hc;
    PXHCI_ENDPOINT old[XHCI_CTX_ENTRIES];
    ULONG n = 0;
    KIRQL irql;

    for (ULONG i = 2; i < XHCI_CTX_ENTRIES; i++)
        if (Dev->Ep[i])
            XhciAbortEndpoint(Dev->Ep[i]);
    KeAcquireSpinLock(&hc->Lock, &irql);
    for (ULONG i = 2; i < XHCI_CTX_ENTRIES; i++) {
        if (Dev->Ep[i])
            old[n++] = Dev->Ep[i];
        Dev->Ep[i] = NULL;
    }
    KeReleaseSpinLock(&hc->Lock, irql);
    if (n)
        XhciConfigureEndpoints(Dev, NULL, 0, TRUE);
    for (ULONG i = 0; i < n; i++)
        XhciEndpointFree(old[i]);
}

static USBD_STATUS XhciSelectConfiguration(PXHCI_DEVICE Dev, PURB Urb)
{
    struct _URB_SELECT_CONFIGURATION *sc = &Urb->UrbSelectConfiguration;
    PUCHAR end = (PUCHAR)Urb + Urb->UrbHeader.Length;
    PXHCI_ENDPOINT eps[XHCI_CTX_ENTRIES];
    USB_PARSED_INTERFACE *intf;
    PUSBD_INTERFACE_INFORMATION info;
    ULONG n = 0, count;
    USBD_STATUS st = USBD_STATUS_SUCCESS;
    PCSTR why = "";
    KIRQL irql;

    if (Urb->UrbHeader.Length < offsetof(struct _URB_SELECT_CONFIGURATION, Interface))
        return USBD_STATUS_INVALID_PARAMETER;
    XhciDropEndpoints(Dev);
    if (!sc->ConfigurationDescriptor) {
        st = XhciDeviceSetConfiguration(Dev, 0);
        Dev->State = XhciDevReady;
        return st;
    }
    if (!Dev->Config || sc->ConfigurationDescriptor->bConfigurationValue != Dev->Config[5]) {
        DbgPrint("usbxhci%u: slot %u: SELECT_CONFIGURATION of configuration %u, not the one "
                 "read (%u)\n", Dev->Hc->Number, Dev->SlotId,
                 sc->ConfigurationDescriptor->bConfigurationValue, Dev->Config ? Dev->Config[5] : 0);
        return USBD_STATUS_INVALID_PARAMETER;
    }
    intf = ExAllocatePoolZero(NonPagedPool, sizeof(*intf), XHCI_TAG);
    if (!intf)
        return USBD_STATUS_NO_MEMORY;
    count = Dev->Config[4];
    info = &sc->Interface;
    for (ULONG i = 0; i < count; i++) {
        if ((PUCHAR)info + offsetof(USBD_INTERFACE_INFORMATION, Pipes) > end)
            break;      /* the client listed fewer interfaces */
        if (info->Length < offsetof(USBD_INTERFACE_INFORMATION, Pipes) ||
            (PUCHAR)info + info->Length > end) {
            st = USBD_STATUS_INVALID_PARAMETER;
            break;
        }
        if (!NT_SUCCESS(UsbFindInterface(Dev->Config, Dev->ConfigLength, info->InterfaceNumber,
                                         info->AlternateSetting, intf, &why))) {
            DbgPrint("usbxhci%u: slot %u: SELECT_CONFIGURATION interface %u/%u: %s\n",
                     Dev->Hc->Number, Dev->SlotId, info->InterfaceNumber,
                     info->AlternateSetting, why);
            st = USBD_STATUS_INVALID_PARAMETER;
            break;
        }
        if (info->Length < GET_USBD_INTERFACE_SIZE(intf->EndpointCount ? intf->EndpointCount : 1)) {
            st = USBD_STATUS_INVALID_PARAMETER;
            break;
        }
        info->Class = intf->Class;
        info->SubClass = intf->SubClass;
        info->Protocol = intf->Protocol;
        info->InterfaceHandle = (USBD_INTERFACE_HANDLE)(ULONG_PTR)(intf->Number + 1);
        info->NumberOfPipes = intf->EndpointCount;
        for (ULONG e = 0; e < intf->EndpointCount; e++) {
            PXHCI_ENDPOINT ep;
            if (intf->Endpoints[e].Type == USB_ENDPOINT_TYPE_ISOCHRONOUS) {
                DbgPrint("usbxhci%u: isochronous endpoint %02x not supported\n",
                         Dev->Hc->Number, intf->Endpoints[e].Address);
                st = USBD_STATUS_NOT_SUPPORTED;
                break;
            }
            ep = XhciEndpointCreate(Dev, &intf->Endpoints[e]);
            if (!ep) {
                st = USBD_STATUS_NO_MEMORY;
                break;
            }
            eps[n++] = ep;
            KeAcquireSpinLock(&Dev->Hc->Lock, &irql);
            Dev->Ep[ep->Dci] = ep;
            KeReleaseSpinLock(&Dev->Hc->Lock, irql);
            info->Pipes[e] = ep->Info;
        }
        if (!USBD_SUCCESS(st))
            break;
        info = (PUSBD_INTERFACE_INFORMATION)((PUCHAR)info + info->Length);
    }
    ExFreePoolWithTag(intf, XHCI_TAG);
    if (USBD_SUCCESS(st))
        st = XhciDeviceSetConfiguration(Dev, Dev->Config[5]);
    if (USBD_SUCCESS(st) && n)
        st = XhciConfigureEndpoints(Dev, eps, n, FALSE);
    if (!USBD_SUCCESS(st)) {
        KeAcquireSpinLock(&Dev->Hc->Lock, &irql);
        for (ULONG i = 0; i < n; i++)
            Dev->Ep[eps[i]->Dci] = NULL;
        KeReleaseSpinLock(&Dev->Hc->Lock, irql);
        for (ULONG i = 0; i < n; i++)
            XhciEndpointFree(eps[i]);
        return st;
    }
    sc->ConfigurationHandle = (USBD_CONFIGURATION_HANDLE)Dev;
    Dev->State = XhciDevConfigured;
    return USBD_STATUS_SUCCESS;
}

static USBD_STATUS XhciPipeRequest(PXHCI_DEVICE Dev, PURB Urb)
{
    PXHCI_ENDPOINT ep;
    USBD_STATUS st;

    if (Urb->UrbHeader.Length < sizeof(struct _URB_PIPE_REQUEST))
        return USBD_STATUS_INVALID_PARAMETER;
    ep = XhciFindPipe(Dev, Urb->UrbPipeRequest.PipeHandle);
    if (!ep)
        return USBD_STATUS_INVALID_PIPE_HANDLE;
    switch (Urb->UrbHeader.Function) {
    case URB_FUNCTION_ABORT_PIPE:
        return XhciAbortEndpoint(ep);
    case URB_FUNCTION_SYNC_CLEAR_STALL:
        return XhciControlSync(Dev, 0x02, USB_REQUEST_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_STALL,
                               ep->Address, NULL, 0, NULL);
    default: {
        /* Reset the host side: a halted endpoint with Reset Endpoint; a
         * running one (the client resets after a class reset) is dropped
         * and added again, which resets its sequence state (4.6.6). */
        BOOLEAN clear = Urb->UrbHeader.Function == URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL;
        if (XHCI_EP0_STATE(XhciOutCtx(Dev, ep->Dci)[0]) == XHCI_EP_STATE_HALTED || ep->Halted)
            return XhciResetEndpoint(ep, clear);
        XhciAbortEndpoint(ep);
        st = XhciConfigureEndpoints(Dev, &ep, 1, FALSE);
        if (USBD_SUCCESS(st) && clear)
            st = XhciControlSync(Dev, 0x02, USB_REQUEST_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_STALL,
                                 ep->Address, NULL, 0, NULL);
        return st;
    }
    }
}

/* The PASSIVE_LEVEL half: a URB that needs commands, or the port IOCTLs. */
static NTSTATUS XhciPassiveRequest(PXHCI_DEVICE Dev, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    PURB urb = stack->Parameters.Others.Argument1;
    USBD_STATUS st;

    if (code == IOCTL_INTERNAL_USB_RESET_PORT)
        return XhciCompleteIrp(Irp, XhciDeviceResetPort(Dev), 0);
    if (!XhciDeviceAlive(Dev))
        return XhciUrbComplete(Irp, urb, USBD_STATUS_DEVICE_GONE);
    if (urb->UrbHeader.Function == URB_FUNCTION_SELECT_CONFIGURATION)
        st = XhciSelectConfiguration(Dev, urb);
    else
        st = XhciPipeRequest(Dev, urb);
    return XhciUrbComplete(Irp, urb, st);
}

static VOID XhciUrbWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    XHCI_URB_WORK *w = Context;

    XhciPassiveRequest(w->Dev, w->Irp);
    IoFreeWorkItem(w->Item);
    ExFreePoolWithTag(w, XHCI_TAG);
}

static NTSTATUS XhciAtPassive(PDEVICE_OBJECT Pdo, PXHCI_DEVICE Dev, PIRP Irp)
{
    XHCI_URB_WORK *w;

    if (KeGetCurrentIrql() == PASSIVE_LEVEL)
        return XhciPassiveRequest(Dev, Irp);
    w = ExAllocatePoolWithTag(NonPagedPool, sizeof(*w), XHCI_TAG);
    if (w)
        w->Item = IoAllocateWorkItem(Pdo);
    if (!w || !w->Item) {
        if (w)
            ExFreePoolWithTag(w, XHCI_TAG);
        return XhciCompleteIrp(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    w->Irp = Irp;
    w->Dev = Dev;
    IoMarkIrpPending(Irp);
    IoQueueWorkItem(w->Item, XhciUrbWork, DelayedWorkQueue, w);
    return STATUS_PENDING;
}

static NTSTATUS XhciSubmitUrb(PDEVICE_OBJECT Pdo, PXHCI_DEVICE Dev, PIRP Irp, PURB Urb)
{
    USHORT fn;
    ULONG size;
    USB_DEFAULT_PIPE_SETUP_PACKET setup;
    PXHCI_ENDPOINT ep0 = Dev->Ep[1];

    if (!Urb)
        return XhciCompleteIrp(Irp, STATUS_INVALID_PARAMETER, 0);
    fn = Urb->UrbHeader.Function;
    if (!XhciDeviceAlive(Dev) || !ep0)
        return XhciUrbComplete(Irp, Urb, USBD_STATUS_DEVICE_GONE);
    /* A default pipe that stalled is reset here when we may wait: the
     * client may be running in the enumeration thread (a START that PnP
     * called from IoInvalidateDeviceRelations), which would otherwise be
     * the one to reset it, after this request. */
    if (ep0->Halted && KeGetCurrentIrql() == PASSIVE_LEVEL)
        XhciResetEndpoint(ep0, FALSE);
    switch (fn) {
    case URB_FUNCTION_SELECT_CONFIGURATION:
    case URB_FUNCTION_ABORT_PIPE:
    case URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL:
    case URB_FUNCTION_SYNC_RESET_PIPE:
    case URB_FUNCTION_SYNC_CLEAR_STALL:
        return XhciAtPassive(Pdo, Dev, Irp);

    case URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER: {
        struct _URB_BULK_OR_INTERRUPT_TRANSFER *t = &Urb->UrbBulkOrInterruptTransfer;
        PXHCI_ENDPOINT ep;
        if (Urb->UrbHeader.Length < sizeof(*t))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        ep = XhciFindPipe(Dev, t->PipeHandle);
        if (!ep)
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PIPE_HANDLE);
        return XhciUrbTransfer(ep, Irp, Urb, NULL, USB_ENDPOINT_DIRECTION_IN(ep->Address),
                               (t->TransferFlags & USBD_SHORT_TRANSFER_OK) != 0,
                               &t->TransferBufferLength, t->TransferBuffer, t->TransferBufferMDL);
    }
    case URB_FUNCTION_GET_DESCRIPTOR_FROM_DEVICE:
    case URB_FUNCTION_GET_DESCRIPTOR_FROM_INTERFACE: {
        struct _URB_CONTROL_DESCRIPTOR_REQUEST *d = &Urb->UrbControlDescriptorRequest;
        if (Urb->UrbHeader.Length < sizeof(*d))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        setup.bmRequestType = fn == URB_FUNCTION_GET_DESCRIPTOR_FROM_DEVICE ? 0x80 : 0x81;
        setup.bRequest = USB_REQUEST_GET_DESCRIPTOR;
        setup.wValue = (USHORT)((d->DescriptorType << 8) | d->Index);
        setup.wIndex = d->LanguageId;
        return XhciUrbTransfer(ep0, Irp, Urb, &setup, TRUE, TRUE, &d->TransferBufferLength,
                               d->TransferBuffer, d->TransferBufferMDL);
    }
    case URB_FUNCTION_CONTROL_TRANSFER: {
        struct _URB_CONTROL_TRANSFER *c = &Urb->UrbControlTransfer;
        if (Urb->UrbHeader.Length < sizeof(*c))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        if (c->PipeHandle && !(c->TransferFlags & USBD_DEFAULT_PIPE_TRANSFER))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PIPE_HANDLE);
        RtlCopyMemory(&setup, c->SetupPacket, sizeof(setup));
        return XhciUrbTransfer(ep0, Irp, Urb, &setup,
                               USBD_TRANSFER_DIRECTION(c->TransferFlags) == USBD_TRANSFER_DIRECTION_IN,
                               (c->TransferFlags & USBD_SHORT_TRANSFER_OK) != 0,
                               &c->TransferBufferLength, c->TransferBuffer, c->TransferBufferMDL);
    }
    case URB_FUNCTION_CLASS_DEVICE:
    case URB_FUNCTION_CLASS_INTERFACE:
    case URB_FUNCTION_CLASS_ENDPOINT:
    case URB_FUNCTION_CLASS_OTHER:
    case URB_FUNCTION_VENDOR_DEVICE:
    case URB_FUNCTION_VENDOR_INTERFACE:
    case URB_FUNCTION_VENDOR_ENDPOINT:
    case URB_FUNCTION_VENDOR_OTHER: {
        struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST *v = &Urb->UrbControlVendorClassRequest;
        BOOLEAN in = USBD_TRANSFER_DIRECTION(v->TransferFlags) == USBD_TRANSFER_DIRECTION_IN;
        BOOLEAN vendor = fn >= URB_FUNCTION_VENDOR_DEVICE && fn <= URB_FUNCTION_VENDOR_ENDPOINT;
        vendor |= fn == URB_FUNCTION_VENDOR_OTHER;
        if (Urb->UrbHeader.Length < sizeof(*v))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        setup.bmRequestType = (UCHAR)((in ? 0x80 : 0) |
                                      ((vendor ? BMREQUEST_VENDOR : BMREQUEST_CLASS) << 5) |
                                      XhciRecipient[fn] | (v->RequestTypeReservedBits & 0x1C));
        setup.bRequest = v->Request;
        setup.wValue = v->Value;
        setup.wIndex = v->Index;
        return XhciUrbTransfer(ep0, Irp, Urb, &setup, in,
                               (v->TransferFlags & USBD_SHORT_TRANSFER_OK) != 0,
                               &v->TransferBufferLength, v->TransferBuffer, v->TransferBufferMDL);
    }
    case URB_FUNCTION_GET_STATUS_FROM_DEVICE:
    case URB_FUNCTION_GET_STATUS_FROM_INTERFACE:
    case URB_FUNCTION_GET_STATUS_FROM_ENDPOINT: {
        struct _URB_CONTROL_GET_STATUS_REQUEST *g = &Urb->UrbControlGetStatusRequest;
        if (Urb->UrbHeader.Length < sizeof(*g) || g->TransferBufferLength < 2)
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        g->TransferBufferLength = 2;
        setup.bmRequestType = (UCHAR)(0x80 | XhciRecipient[fn]);
        setup.bRequest = USB_REQUEST_GET_STATUS;
        setup.wValue = 0;
        setup.wIndex = g->Index;
        return XhciUrbTransfer(ep0, Irp, Urb, &setup, TRUE, FALSE, &g->TransferBufferLength,
                               g->TransferBuffer, g->TransferBufferMDL);
    }
    case URB_FUNCTION_SET_FEATURE_TO_DEVICE:
    case URB_FUNCTION_SET_FEATURE_TO_INTERFACE:
    case URB_FUNCTION_SET_FEATURE_TO_ENDPOINT:
    case URB_FUNCTION_CLEAR_FEATURE_TO_DEVICE:
    case URB_FUNCTION_CLEAR_FEATURE_TO_INTERFACE:
    case URB_FUNCTION_CLEAR_FEATURE_TO_ENDPOINT: {
        struct _URB_CONTROL_FEATURE_REQUEST *f = &Urb->UrbControlFeatureRequest;
        BOOLEAN set = fn <= URB_FUNCTION_SET_FEATURE_TO_ENDPOINT;
        if (Urb->UrbHeader.Length < sizeof(*f))
            return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_PARAMETER);
        f->Reserved3 = 0;       /* no data stage: its length lives here */
        setup.bmRequestType = XhciRecipient[fn];
        setup.bRequest = set ? USB_REQUEST_SET_FEATURE : USB_REQUEST_CLEAR_FEATURE;
        setup.wValue = f->FeatureSelector;
        setup.wIndex = f->Index;
        return XhciUrbTransfer(ep0, Irp, Urb, &setup, FALSE, TRUE, &f->Reserved3, NULL, NULL);
    }
    default:
        size = 0;
        DbgPrint("usbxhci%u: URB function 0x%04x not supported\n", Dev->Hc->Number, fn);
        (void)size;
        return XhciUrbComplete(Irp, Urb, USBD_STATUS_INVALID_URB_FUNCTION);
    }
}

NTSTATUS XhciDispatchInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PXHCI_PDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PXHCI_DEVICE dev;

    if (ext->IsFdo)
        return XhciCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    dev = ext->Dev;
    if (!dev)
        return XhciCompleteIrp(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_INTERNAL_USB_SUBMIT_URB:
        return XhciSubmitUrb(DeviceObject, dev, Irp, stack->Parameters.Others.Argument1);
    case IOCTL_INTERNAL_USB_RESET_PORT:
        if (!XhciDeviceAlive(dev))
            return XhciCompleteIrp(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
        return XhciAtPassive(DeviceObject, dev, Irp);
    case IOCTL_INTERNAL_USB_GET_PORT_STATUS: {
        PULONG out = stack->Parameters.Others.Argument1;
        if (!out)
            return XhciCompleteIrp(Irp, STATUS_INVALID_PARAMETER, 0);
        *out = XhciDevicePortStatus(dev);
        return XhciCompleteIrp(Irp, STATUS_SUCCESS, 0);
    }
    default:
        return XhciCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}
