/* pnp.c - IRP_MJ_PNP of the controller FDO (start, bus relations: one
 * PDO per USB device that is not a hub, remove) and of the device PDOs
 * (NT's USB IDs, capabilities, text; a PDO whose device is gone is
 * deleted at REMOVE).  PASSIVE_LEVEL, as the PnP manager sends them. */
#include "xhcip.h"
#include <ntstor_busid.h>
#include <ntstor_resreq.h>
#include <ntstor_targetrel.h>

static NTSTATUS XhciPassDown(PXHCI_HC Hc, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Hc->LowerDevice, Irp);
}

NTSTATUS XhciCreatePdo(PXHCI_DEVICE Dev)
{
    PXHCI_HC hc = Dev->Hc;
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    CHAR ascii[40];
    PDEVICE_OBJECT pdo;
    PXHCI_PDO_EXT ext;
    NTSTATUS status;
    KIRQL irql;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\USBPDO-%u", Dev->Number);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(hc->Fdo->DriverObject, sizeof(XHCI_PDO_EXT), &name,
                                FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &pdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbxhci%u: cannot create %s: 0x%08x\n", hc->Number, ascii, (ULONG)status);
        return status;
    }
    ext = pdo->DeviceExtension;
    ext->IsFdo = FALSE;
    ext->Dev = Dev;
    ext->Started = FALSE;
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_DIRECT_IO;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    KeAcquireSpinLock(&hc->Lock, &irql);
    Dev->Pdo = pdo;
    KeReleaseSpinLock(&hc->Lock, irql);
    return STATUS_SUCCESS;
}

/* BusRelations: every device with a PDO that is still there. */
static NTSTATUS XhciQueryBusRelations(PXHCI_HC Hc, PIRP Irp)
{
    PDEVICE_RELATIONS rel;
    ULONG count = 0, n = 0;
    KIRQL irql;

    KeAcquireSpinLock(&Hc->Lock, &irql);
    for (PLIST_ENTRY e = Hc->Devices.Flink; e != &Hc->Devices; e = e->Flink) {
        PXHCI_DEVICE d = CONTAINING_RECORD(e, XHCI_DEVICE, HcLink);
        if (d->Pdo && d->State != XhciDevGone)
            count++;
    }
    rel = ExAllocatePoolWithTag(NonPagedPool,
                                sizeof(DEVICE_RELATIONS) + count * sizeof(PDEVICE_OBJECT), XHCI_TAG);
    if (!rel) {
        KeReleaseSpinLock(&Hc->Lock, irql);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (PLIST_ENTRY e = Hc->Devices.Flink; e != &Hc->Devices && n < count; e = e->Flink) {
        PXHCI_DEVICE d = CONTAINING_RECORD(e, XHCI_DEVICE, HcLink);
        d->Reported = d->Pdo && d->State != XhciDevGone;
        if (d->Reported) {
            ObReferenceObject(d->Pdo);
            rel->Objects[n++] = d->Pdo;
        }
    }
    KeReleaseSpinLock(&Hc->Lock, irql);
    rel->Count = n;
    Irp->IoStatus.Information = (ULONG_PTR)rel;
    return STATUS_SUCCESS;
}

/* The FDO goes: PDOs of gone devices that the PnP manager already removed
 * are deleted; devices still there were detached by XhciStop. */
static VOID XhciDeleteAll(PXHCI_HC Hc)
{
    KIRQL irql;

    for (;;) {
        PXHCI_DEVICE d = NULL;
        KeAcquireSpinLock(&Hc->Lock, &irql);
        if (!IsListEmpty(&Hc->Devices)) {
            d = CONTAINING_RECORD(RemoveHeadList(&Hc->Devices), XHCI_DEVICE, HcLink);
            if (d->Pdo)
                ((PXHCI_PDO_EXT)d->Pdo->DeviceExtension)->Dev = NULL;
        }
        KeReleaseSpinLock(&Hc->Lock, irql);
        if (!d)
            return;
        if (d->Pdo)
            IoDeleteDevice(d->Pdo);
        XhciDeviceRelease(d);
    }
}

static NTSTATUS XhciFdoPnp(PXHCI_HC Hc, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(Hc->LowerDevice, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = XhciStart(Hc, stack->Parameters.StartDevice.AllocatedResourcesTranslated);
        return XhciCompleteIrp(Irp, status, 0);
    case IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
        /* On the way back up (WDK): Intx and Poll take MSI out of the bus
         * driver's list, so the PnP manager assigns the line (Poll then
         * connects nothing; the shared line stays routed, harmless). */
        IoForwardIrpSynchronously(Hc->LowerDevice, Irp);
        if (XhciParameters.InterruptMode != NtstorUsbModeMsi &&
            NT_SUCCESS(NtstorDropMessageInterrupts(Irp, XHCI_TAG)))
            DbgPrint("usbxhci%u: InterruptMode=%s: MSI taken out of the resource requirements\n", Hc->Number,
                     XhciParameters.InterruptMode == NtstorUsbModePoll ? "poll" : "intx");
        status = Irp->IoStatus.Status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type != BusRelations || !Hc->Started)
            return XhciPassDown(Hc, Irp);
        status = XhciQueryBusRelations(Hc, Irp);
        if (!NT_SUCCESS(status))
            return XhciCompleteIrp(Irp, status, 0);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return XhciPassDown(Hc, Irp);
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return XhciPassDown(Hc, Irp);
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        XhciStop(Hc);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return XhciPassDown(Hc, Irp);
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Hc->LowerDevice;
        XhciStop(Hc);
        XhciDeleteAll(Hc);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        DbgPrint("usbxhci%u: removed\n", Hc->Number);
        IoDeleteDevice(Hc->Fdo);
        return status;
    }
    default:
        return XhciPassDown(Hc, Irp);
    }
}

/* ---- PDO ---- */

/* The serial number is the instance ID when it is there and no other
 * device of the same VID/PID has it (QEMU's keyboards all say "42"); else
 * the port path (root port, then hub ports). */
static VOID XhciInstanceId(PXHCI_DEVICE Dev, PCHAR Out, SIZE_T Size)
{
    PXHCI_HC hc = Dev->Hc;
    BOOLEAN unique = Dev->Serial[0] != 0;
    KIRQL irql;
    SIZE_T n = 0;

    KeAcquireSpinLock(&hc->Lock, &irql);
    for (PLIST_ENTRY e = hc->Devices.Flink; unique && e != &hc->Devices; e = e->Flink) {
        PXHCI_DEVICE d = CONTAINING_RECORD(e, XHCI_DEVICE, HcLink);
        if (d != Dev && d->State != XhciDevGone && d->Desc.idVendor == Dev->Desc.idVendor &&
            d->Desc.idProduct == Dev->Desc.idProduct) {
            ULONG i = 0;
            while (i < 63 && d->Serial[i] == Dev->Serial[i] && Dev->Serial[i])
                i++;
            if (d->Serial[i] == Dev->Serial[i])
                unique = FALSE;
        }
    }
    KeReleaseSpinLock(&hc->Lock, irql);
    if (unique) {
        for (ULONG i = 0; Dev->Serial[i] && n + 1 < Size && i < 63; i++)
            Out[n++] = NtstorIdChar(Dev->Serial[i]);
        Out[n] = 0;
        return;
    }
    {
        CHAR path[32] = "";
        UCHAR ports[XHCI_MAX_DEPTH + 2];
        ULONG depth = 0;
        for (PXHCI_DEVICE d = Dev; d && depth < XHCI_MAX_DEPTH + 2; d = d->Parent)
            ports[depth++] = d->ParentPort;
        RtlStringCbPrintfA(Out, Size, "P%u", ports[depth - 1]);
        for (LONG i = (LONG)depth - 2; i >= 0; i--) {
            RtlStringCbPrintfA(path, sizeof(path), ".%u", ports[i]);
            n = 0;
            while (Out[n])
                n++;
            if (n + 4 < Size)
                RtlStringCbPrintfA(Out + n, Size - n, "%s", path);
        }
    }
}

/* IRP_MN_QUERY_ID: NT's USB IDs (USB\VID_v&PID_p..., USB\Class_c...). */
static NTSTATUS XhciQueryId(PXHCI_DEVICE Dev, BUS_QUERY_ID_TYPE Type, PIRP Irp)
{
    NTSTOR_ID_LIST ids;
    CHAR instance[80];                  /* 63 serial bytes, or a port path of 7 tiers */
    USHORT vid = Dev->Desc.idVendor, pid = Dev->Desc.idProduct, rev = Dev->Desc.bcdDevice;
    UCHAR c = Dev->IfClass, s = Dev->IfSubClass, p = Dev->IfProtocol;

    NtstorIdListInit(&ids);
    switch (Type) {
    case BusQueryDeviceID:
        NtstorIdListAdd(&ids, "USB\\VID_%04X&PID_%04X", vid, pid);
        break;
    case BusQueryHardwareIDs:
        NtstorIdListAdd(&ids, "USB\\VID_%04X&PID_%04X&REV_%04X", vid, pid, rev);
        NtstorIdListAdd(&ids, "USB\\VID_%04X&PID_%04X", vid, pid);
        break;
    case BusQueryCompatibleIDs:
        NtstorIdListAdd(&ids, "USB\\Class_%02X&SubClass_%02X&Prot_%02X", c, s, p);
        NtstorIdListAdd(&ids, "USB\\Class_%02X&SubClass_%02X", c, s);
        NtstorIdListAdd(&ids, "USB\\Class_%02X", c);
        break;
    case BusQueryInstanceID:
        XhciInstanceId(Dev, instance, sizeof(instance));
        NtstorIdListAdd(&ids, "%s", instance);
        break;
    default:
        return Irp->IoStatus.Status;
    }
    return NtstorIdListFinish(&ids, XHCI_TAG, &Irp->IoStatus.Information);
}

static NTSTATUS XhciPdoPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PXHCI_PDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PXHCI_DEVICE dev = ext->Dev;
    NTSTATUS status = Irp->IoStatus.Status;

    if (!dev && stack->MinorFunction != IRP_MN_REMOVE_DEVICE)
        return XhciCompleteIrp(Irp, STATUS_NO_SUCH_DEVICE, 0);
    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        ext->Started = TRUE;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE: {
        /* NT's rule: a PDO still reported stays; a gone one is deleted. */
        PXHCI_HC hc;
        BOOLEAN del = TRUE;
        KIRQL irql;
        ext->Started = FALSE;
        if (dev) {
            hc = dev->Hc;
            KeAcquireSpinLock(&hc->Lock, &irql);
            del = dev->State == XhciDevGone;
            if (del) {
                dev->Pdo = NULL;
                RemoveEntryList(&dev->HcLink);
            }
            KeReleaseSpinLock(&hc->Lock, irql);
            if (del)
                XhciDeviceRelease(dev);
        }
        XhciCompleteIrp(Irp, STATUS_SUCCESS, 0);
        if (del)
            IoDeleteDevice(DeviceObject);
        return STATUS_SUCCESS;
    }
    case IRP_MN_QUERY_ID:
        status = XhciQueryId(dev, stack->Parameters.QueryId.IdType, Irp);
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;
        if (caps) {
            caps->Removable = 1;
            caps->SurpriseRemovalOK = 1;
            caps->UniqueID = dev->Serial[0] != 0;
            caps->Address = dev->ParentPort;
            caps->UINumber = dev->ParentPort;
        }
        status = STATUS_SUCCESS;
        break;
    }
    case IRP_MN_QUERY_DEVICE_TEXT:
        if (stack->Parameters.QueryDeviceText.DeviceTextType == DeviceTextDescription &&
            dev->Product[0]) {
            ULONG len = 0;
            while (dev->Product[len])
                len++;
            PWCHAR w = ExAllocatePoolWithTag(PagedPool, (len + 1) * sizeof(WCHAR), XHCI_TAG);
            if (!w) {
                status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            RtlCopyMemory(w, dev->Product, (len + 1) * sizeof(WCHAR));
            Irp->IoStatus.Information = (ULONG_PTR)w;
            status = STATUS_SUCCESS;
        }
        break;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation)
            status = NtstorTargetDeviceRelation(DeviceObject, XHCI_TAG, &Irp->IoStatus.Information);
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

NTSTATUS XhciDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PXHCI_HC hc = DeviceObject->DeviceExtension;

    if (hc->IsFdo)
        return XhciFdoPnp(hc, Irp);
    return XhciPdoPnp(DeviceObject, Irp);
}

NTSTATUS XhciDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PXHCI_HC hc = DeviceObject->DeviceExtension;

    if (hc->IsFdo)
        return XhciPassDown(hc, Irp);
    return XhciCompleteIrp(Irp, STATUS_SUCCESS, 0);
}
