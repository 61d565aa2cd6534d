/* tree.c - IOCTL_NTSTOR_USB_GET_TREE on the controller FDO: the ports
 * and devices as they are now, for the `usb` shell command
 * (include/ntstor_usb.h).  A snapshot under Hc->Lock; device text is
 * escaped here so a device cannot forge shell output. */
#include "xhcip.h"

static VOID XhciCopyText(PCHAR Out, PCWSTR In)
{
    ULONG n = 0;
    while (n < 63 && In[n])
        n++;
    RtlEscapeDeviceTextW(Out, NTSTOR_USB_TEXT, In, n);
}

static VOID XhciCopyAscii(PCHAR Out, PCSTR In)
{
    RtlStringCbPrintfA(Out, NTSTOR_USB_TEXT, "%s", In ? In : "");
}

static VOID XhciFillTree(PXHCI_HC Hc, PNTSTOR_USB_TREE T)
{
    ULONG ports = Hc->MaxPorts < NTSTOR_USB_TREE_PORTS ? Hc->MaxPorts : NTSTOR_USB_TREE_PORTS;
    PXHCI_DEVICE index[NTSTOR_USB_TREE_DEVICES];
    ULONG n = 0;

    RtlZeroMemory(T, sizeof(*T));
    T->Controller = Hc->Number;
    T->VendorId = Hc->VendorId;
    T->DeviceId = Hc->DeviceId;
    T->PciPdo = Hc->PciPdo;
    T->HciVersion = Hc->HciVersion;
    T->MaxSlots = Hc->MaxSlots;
    T->MaxPorts = Hc->MaxPorts;
    T->ContextSize = Hc->ContextSize;
    T->Scratchpads = Hc->MaxScratch;
    T->Mode = Hc->Mode;
    T->BootEnumMs = Hc->BootEnumMs;
    T->Events = Hc->Events;
    T->Interrupts = Hc->Interrupts;
    XhciCopyAscii(T->Handoff, Hc->HandoffResult ? Hc->HandoffResult : "-");
    if (!Hc->Base)
        return;
    T->PortCount = ports;
    for (ULONG p = 1; p <= ports; p++) {
        NTSTOR_USB_TREE_PORT *o = &T->Ports[p - 1];
        ULONG v = XhciPortRead(Hc, p);
        o->Port = (UCHAR)p;
        o->Major = Hc->Ports[p].Major;
        o->Portsc = v;
        o->Connected = (v & XHCI_PORTSC_CCS) != 0;
        o->Enabled = (v & XHCI_PORTSC_PED) != 0;
        o->Powered = (v & XHCI_PORTSC_PP) != 0;
        o->Speed = o->Connected ? (UCHAR)XHCI_PORTSC_SPEED(v) : 0;
        XhciCopyAscii(o->Note, Hc->Ports[p].Note);
    }
    for (PLIST_ENTRY e = Hc->Devices.Flink; e != &Hc->Devices && n < NTSTOR_USB_TREE_DEVICES;
         e = e->Flink) {
        PXHCI_DEVICE d = CONTAINING_RECORD(e, XHCI_DEVICE, HcLink);
        NTSTOR_USB_TREE_DEVICE *o;
        if (d->State == XhciDevGone)
            continue;
        index[n] = d;
        o = &T->Devices[n++];
        o->RootPort = d->RootPort;
        o->ParentIndex = 0xFF;
        for (ULONG i = 0; i + 1 < n; i++)
            if (index[i] == d->Parent)
                o->ParentIndex = (UCHAR)i;
        o->ParentPort = d->ParentPort;
        o->Depth = d->Depth;
        o->Speed = d->Speed;
        o->SlotId = d->SlotId;
        o->Address = d->Address;
        o->IsHub = d->IsHub;
        o->HubPorts = d->HubPorts;
        o->Class = d->IfClass;
        o->SubClass = d->IfSubClass;
        o->Protocol = d->IfProtocol;
        o->VendorId = d->Desc.idVendor;
        o->ProductId = d->Desc.idProduct;
        o->BcdDevice = d->Desc.bcdDevice;
        o->BcdUsb = d->Desc.bcdUSB;
        o->Route = d->Route;
        o->State = d->State;
        XhciCopyAscii(o->StateName, XhciDevStateNames[d->State]);
        o->Pdo = d->Pdo;
        XhciCopyText(o->Product, d->Product);
        XhciCopyText(o->Manufacturer, d->Manufacturer);
        XhciCopyText(o->Serial, d->Serial);
        XhciCopyAscii(o->Note, d->FailReason);
    }
    T->DeviceCount = n;
}

NTSTATUS XhciDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PXHCI_HC hc = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    KIRQL irql;

    if (!hc->IsFdo ||
        stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_NTSTOR_USB_GET_TREE)
        return XhciCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(NTSTOR_USB_TREE) ||
        !Irp->AssociatedIrp.SystemBuffer)
        return XhciCompleteIrp(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    /* The tree is written by the enumeration thread; the device list
     * and states are read under the lock. */
    KeAcquireSpinLock(&hc->Lock, &irql);
    XhciFillTree(hc, Irp->AssociatedIrp.SystemBuffer);
    KeReleaseSpinLock(&hc->Lock, irql);
    return XhciCompleteIrp(Irp, STATUS_SUCCESS, sizeof(NTSTOR_USB_TREE));
}
