/* pnp.c - the controller FDO's PnP (start, bus relations, remove) and the
 * routing of every major function to the FDO or a disk PDO. */
#include "ahcip.h"

static NTSTATUS AhciPassDown(PAHCI_CONTROLLER Ctrl, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Ctrl->LowerDevice, Irp);
}

static NTSTATUS AhciComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* BusRelations: one PDO per port with an ATA disk, ATAPI device or port
 * multiplier (the last two are listed with their IDs but nobody claims
 * them).  The list is allocated here and freed by the PnP manager. */
static NTSTATUS AhciQueryBusRelations(PAHCI_CONTROLLER Ctrl, PIRP Irp)
{
    ULONG count = 0, n = 0;
    PDEVICE_RELATIONS rel;

    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (port && (port->State == AhciPortReady || port->State == AhciPortUnsupported)) {
            if (!port->Pdo)
                AhciCreatePdo(Ctrl, port);
            if (port->Pdo)
                count++;
        }
    }
    rel = ExAllocatePoolWithTag(NonPagedPool,
                                sizeof(DEVICE_RELATIONS) + count * sizeof(PDEVICE_OBJECT), AHCI_TAG);
    if (!rel)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG p = 0; p < AHCI_MAX_PORTS && n < count; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (port && port->Pdo) {
            ObReferenceObject(port->Pdo);
            rel->Objects[n++] = port->Pdo;
        }
    }
    rel->Count = n;
    Irp->IoStatus.Information = (ULONG_PTR)rel;
    return STATUS_SUCCESS;
}

static VOID AhciDeletePdos(PAHCI_CONTROLLER Ctrl)
{
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (port && port->Pdo) {
            port->PdoExt->Port = NULL;
            IoDeleteDevice(port->Pdo);
            port->Pdo = NULL;
            port->PdoExt = NULL;
        }
    }
}

static NTSTATUS AhciFdoPnp(PAHCI_CONTROLLER Ctrl, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* The bus (PCI) starts first: BAR decoding and bus mastering on. */
        IoForwardIrpSynchronously(Ctrl->LowerDevice, Irp);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = AhciHbaStart(Ctrl, stack->Parameters.StartDevice.AllocatedResourcesTranslated);
        return AhciComplete(Irp, status, 0);

    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type != BusRelations || !Ctrl->Started)
            return AhciPassDown(Ctrl, Irp);
        status = AhciQueryBusRelations(Ctrl, Irp);
        if (!NT_SUCCESS(status))
            return AhciComplete(Irp, status, 0);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return AhciPassDown(Ctrl, Irp);

    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return AhciPassDown(Ctrl, Irp);

    case IRP_MN_STOP_DEVICE:
        AhciHbaStop(Ctrl);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return AhciPassDown(Ctrl, Irp);

    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Ctrl->LowerDevice;
        /* Read before passing down: completion clears the location. */
        UCHAR minor = stack->MinorFunction;
        AhciDeletePdos(Ctrl);
        AhciHbaStop(Ctrl);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        if (minor == IRP_MN_REMOVE_DEVICE) {
            IoDetachDevice(lower);
            DbgPrint("ahci%u: removed\n", Ctrl->Number);
            IoDeleteDevice(Ctrl->Fdo);
        }
        return status;
    }
    default:
        return AhciPassDown(Ctrl, Irp);
    }
}

NTSTATUS AhciDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_CONTROLLER ctrl = DeviceObject->DeviceExtension;

    if (ctrl->IsFdo)
        return AhciFdoPnp(ctrl, Irp);
    return AhciPdoPnp(DeviceObject, Irp);
}

/* No power management: the FDO passes power IRPs down, a PDO says yes. */
NTSTATUS AhciDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_CONTROLLER ctrl = DeviceObject->DeviceExtension;

    if (ctrl->IsFdo)
        return AhciPassDown(ctrl, Irp);
    return AhciComplete(Irp, STATUS_SUCCESS, 0);
}

NTSTATUS AhciDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return AhciComplete(Irp, STATUS_SUCCESS, 0);
}
