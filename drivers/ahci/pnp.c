/* pnp.c - the controller FDO's PnP (start, bus relations, remove) and the
 * routing of every major function to the FDO or a disk PDO. */
#include "ahcip.h"
#include <ntstor_resreq.h>

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
        if (port && AhciPortReported(port)) {
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
        if (port && port->Pdo && AhciPortReported(port)) {
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
            /* The PnP manager removed the disk's stack already (children
             * first); what still holds the PDO's lock ends first. */
            if (NT_SUCCESS(IoAcquireRemoveLock(&port->PdoExt->RemoveLock, port)))
                IoReleaseRemoveLockAndWait(&port->PdoExt->RemoveLock, port);
            port->PdoExt->Port = NULL;
            IoDeleteDevice(port->Pdo);
            port->Pdo = NULL;
            port->PdoExt = NULL;
        }
    }
}

/* Called with the FDO's remove lock held for Irp; gives it back. */
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
        AhciComplete(Irp, status, 0);
        break;

    case IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
        /* Handled on the way back up, the bus driver's list in
         * Information (WDK).  Intx and Poll take MSI out, so the PnP
         * manager assigns the line; Poll keeps the line too, for
         * `ahci mode` to switch a port to INTx at run time -- a shared
         * line held costs nothing, an unused exclusive MSI vector would. */
        IoForwardIrpSynchronously(Ctrl->LowerDevice, Irp);
        if (AhciParameters.InterruptMode != NtstorAhciModeMsi) {
            if (NT_SUCCESS(NtstorDropMessageInterrupts(Irp, AHCI_TAG)))
                DbgPrint("ahci%u: InterruptMode=%s: MSI taken out of the resource requirements\n",
                         Ctrl->Number, AhciModeNames[AhciParameters.InterruptMode]);
        }
        status = Irp->IoStatus.Status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        break;

    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type != BusRelations || !Ctrl->Started) {
            status = AhciPassDown(Ctrl, Irp);
            break;
        }
        status = AhciQueryBusRelations(Ctrl, Irp);
        if (!NT_SUCCESS(status)) {
            AhciComplete(Irp, status, 0);
            break;
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
        status = AhciPassDown(Ctrl, Irp);
        break;

    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        status = AhciPassDown(Ctrl, Irp);
        break;

    case IRP_MN_STOP_DEVICE:
        AhciHbaStop(Ctrl);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        status = AhciPassDown(Ctrl, Irp);
        break;

    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Ctrl->LowerDevice;
        /* Read before passing down: completion clears the location. */
        UCHAR minor = stack->MinorFunction;
        /* REMOVE: every IRP still in a dispatch routine of the FDO ends
         * first; new ones are refused. */
        if (minor == IRP_MN_REMOVE_DEVICE)
            IoReleaseRemoveLockAndWait(&Ctrl->RemoveLock, Irp);
        AhciDeletePdos(Ctrl);
        AhciHbaStop(Ctrl);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        if (minor == IRP_MN_REMOVE_DEVICE) {
            IoDetachDevice(lower);
            DbgPrint("ahci%u: removed\n", Ctrl->Number);
            IoDeleteDevice(Ctrl->Fdo);
            return status;
        }
        break;
    }
    default:
        status = AhciPassDown(Ctrl, Irp);
        break;
    }
    IoReleaseRemoveLock(&Ctrl->RemoveLock, Irp);
    return status;
}

NTSTATUS AhciDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_CONTROLLER ctrl = DeviceObject->DeviceExtension;
    PIO_REMOVE_LOCK lock = &((PAHCI_EXTENSION_HEADER)ctrl)->RemoveLock;

    if (!NT_SUCCESS(IoAcquireRemoveLock(lock, Irp)))
        return AhciComplete(Irp, STATUS_NO_SUCH_DEVICE, 0);     /* after REMOVE */
    if (ctrl->IsFdo)
        return AhciFdoPnp(ctrl, Irp);
    return AhciPdoPnp(DeviceObject, Irp);
}

/* No power management: the FDO passes power IRPs down, a PDO says yes. */
NTSTATUS AhciDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_CONTROLLER ctrl = DeviceObject->DeviceExtension;
    PIO_REMOVE_LOCK lock = &((PAHCI_EXTENSION_HEADER)ctrl)->RemoveLock;
    NTSTATUS status;

    if (!NT_SUCCESS(IoAcquireRemoveLock(lock, Irp)))
        return AhciComplete(Irp, STATUS_NO_SUCH_DEVICE, 0);
    if (ctrl->IsFdo)
        status = AhciPassDown(ctrl, Irp);
    else
        status = AhciComplete(Irp, STATUS_SUCCESS, 0);
    IoReleaseRemoveLock(lock, Irp);
    return status;
}

NTSTATUS AhciDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_REMOVE_LOCK lock = &((PAHCI_EXTENSION_HEADER)DeviceObject->DeviceExtension)->RemoveLock;
    BOOLEAN create = IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CREATE;

    /* A close always succeeds; an open of a removed device does not. */
    if (!NT_SUCCESS(IoAcquireRemoveLock(lock, Irp)))
        return AhciComplete(Irp, create ? STATUS_DEVICE_DOES_NOT_EXIST : STATUS_SUCCESS, 0);
    AhciComplete(Irp, STATUS_SUCCESS, 0);
    IoReleaseRemoveLock(lock, Irp);
    return STATUS_SUCCESS;
}
