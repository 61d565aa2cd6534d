/* pdo.c - the disk PDOs the controller enumerates (\Device\Ahci<n>\Port<p>):
 * creation, PnP IDs (SCSI\Disk...), capabilities, and IRP_MJ_SCSI with its
 * SRB functions. */
#include "ahcip.h"
#include <ntstor_scsiid.h>
#include <ntstor_targetrel.h>

/* IoPollDevice on a stack above this PDO (include/wdm/io.h): in poll mode
 * one look at the port reaps what finished and starts what waits; in the
 * interrupt modes completions arrive by themselves. */
static BOOLEAN AhciPdoPoll(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PAHCI_PORT port = ext->Port;

    if (!port || port->State != AhciPortReady || port->Mode != NtstorAhciModePoll)
        return FALSE;
    AhciPollLook(port);
    return TRUE;
}

NTSTATUS AhciCreatePdo(PAHCI_CONTROLLER Ctrl, PAHCI_PORT Port)
{
    WCHAR nameBuf[48];
    UNICODE_STRING name = { 0, sizeof(nameBuf), nameBuf };
    CHAR ascii[48];
    PDEVICE_OBJECT pdo;
    NTSTATUS status;

    /* The object manager lets device objects hold named children. */
    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\Ahci%u\\Port%u", Ctrl->Number, Port->Index);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(Ctrl->Fdo->DriverObject, sizeof(AHCI_PDO_EXTENSION), &name,
                                FILE_DEVICE_DISK, FILE_DEVICE_SECURE_OPEN, FALSE, &pdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ahci%u: cannot create %s: status 0x%08X\n", Ctrl->Number, ascii, (ULONG)status);
        return status;
    }
    PAHCI_PDO_EXTENSION ext = pdo->DeviceExtension;
    ext->IsFdo = FALSE;
    IoInitializeRemoveLock(&ext->RemoveLock, AHCI_TAG, 0, 0);
    ext->Port = Port;
    Port->Pdo = pdo;
    Port->PdoExt = ext;
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_DIRECT_IO;
    pdo->AlignmentRequirement = FILE_WORD_ALIGNMENT;    /* PRD data must be word aligned */
    IoRegisterPollRoutine(pdo, AhciPdoPoll, NULL);
    if (Port->State == AhciPortReady)
        pdo->SectorSize = (USHORT)Port->Device.SectorSize;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* IRP_MN_QUERY_ID.  A disk answers with the SCSI IDs of a logical unit
 * (ntstor_scsiid.h; vendor "ATA", the model as product), so disk.sys binds
 * to it as to usbstor's LUNs.  An ATAPI device and a port multiplier are
 * not driven here: their IDs only say what sits on the port. */
static NTSTATUS AhciQueryId(PAHCI_PORT Port, BUS_QUERY_ID_TYPE Type, PULONG_PTR Information)
{
    NTSTOR_ID_LIST ids;
    BOOLEAN disk = Port->State == AhciPortReady;
    BOOLEAN cdrom = Port->Signature == AHCI_SIG_ATAPI;

    NtstorIdListInit(&ids);
    if (disk && NtstorScsiAddIds(&ids, Type, "Disk", "GenDisk", "ATA", Port->Device.Model))
        return NtstorIdListFinish(&ids, AHCI_TAG, Information);
    switch (Type) {
    case BusQueryDeviceID:
        NtstorIdListAdd(&ids, cdrom ? "SCSI\\CdRom&Ven_ATA" : "AHCI\\PortMultiplier");
        break;
    case BusQueryHardwareIDs:
        NtstorIdListAdd(&ids, cdrom ? "SCSI\\CdRomATA_____" : "AHCI\\PortMultiplier");
        NtstorIdListAdd(&ids, cdrom ? "GenCdRom" : "AHCI\\Unsupported");
        break;
    case BusQueryCompatibleIDs:
        NtstorIdListAdd(&ids, cdrom ? "SCSI\\CdRom" : "AHCI\\Unsupported");
        break;
    case BusQueryInstanceID:
        NtstorIdListAdd(&ids, "%u", Port->Index);
        break;
    case BusQueryDeviceSerialNumber:
        if (!disk || !Port->Device.Serial[0])
            return STATUS_NOT_SUPPORTED;
        NtstorIdListAdd(&ids, "%s", Port->Device.Serial);
        break;
    default:
        return STATUS_NOT_SUPPORTED;
    }
    return NtstorIdListFinish(&ids, AHCI_TAG, Information);
}

/* A port whose device the bus relations list: a disk (or ATAPI device or
 * port multiplier) that is still there. */
BOOLEAN AhciPortReported(PAHCI_PORT Port)
{
    return Port->State == AhciPortReady || Port->State == AhciPortUnsupported;
}

/* REMOVE_DEVICE of a PDO whose device left the bus (the last bus
 * relations no longer listed it): it is deleted, as NT's bus drivers do.
 * Every SRB still holding the remove lock ends first (the port failed
 * them when it found the device gone).  Called with the lock held for Irp;
 * completes Irp. */
static NTSTATUS AhciDeleteGonePdo(PDEVICE_OBJECT DeviceObject, PAHCI_PDO_EXTENSION Ext, PIRP Irp)
{
    PAHCI_PORT port = Ext->Port;

    IoReleaseRemoveLockAndWait(&Ext->RemoveLock, Irp);
    if (port) {
        DbgPrint("ahci%u: port %u: its device is gone; PDO deleted\n", port->Controller->Number,
                 port->Index);
        port->Pdo = NULL;
        port->PdoExt = NULL;
        Ext->Port = NULL;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoDeleteDevice(DeviceObject);
    return STATUS_SUCCESS;
}

/* Called with the PDO's remove lock held for Irp (AhciDispatchPnp); gives
 * it back. */
NTSTATUS AhciPdoPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PAHCI_PORT port = ext->Port;
    NTSTATUS status = Irp->IoStatus.Status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = port ? STATUS_SUCCESS : STATUS_NO_SUCH_DEVICE;
        ext->Started = NT_SUCCESS(status);
        break;
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        ext->Started = FALSE;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        /* The PDO lives as long as the device is on the bus (the FDO's
         * removal deletes it); requests fail meanwhile. */
        ext->Started = FALSE;
        if (port && port->State == AhciPortReady)
            AhciFailAll(port, SRB_STATUS_NO_DEVICE);
        if (!port || !AhciPortReported(port))
            return AhciDeleteGonePdo(DeviceObject, ext, Irp);
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_ID:
        if (!port) {
            status = STATUS_NO_SUCH_DEVICE;
            break;
        }
        status = AhciQueryId(port, stack->Parameters.QueryId.IdType, &Irp->IoStatus.Information);
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;
        if (port) {
            caps->Address = port->Index;
            caps->UINumber = port->Index;
            caps->UniqueID = port->Device.Serial[0] != 0;
            caps->SilentInstall = 1;
            caps->Removable = 0;
            status = STATUS_SUCCESS;
        }
        break;
    }
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation)
            status = NtstorTargetDeviceRelation(DeviceObject, AHCI_TAG, &Irp->IoStatus.Information);
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoReleaseRemoveLock(&ext->RemoveLock, Irp);
    return status;
}

static NTSTATUS AhciCompleteSrbNow(PIRP Irp, PSCSI_REQUEST_BLOCK Srb, UCHAR SrbStatus,
                                   NTSTATUS Status)
{
    if (Srb) {
        Srb->SrbStatus = SrbStatus;
        Srb->ScsiStatus = SCSISTAT_GOOD;
        if (SrbStatus != SRB_STATUS_SUCCESS)
            Srb->DataTransferLength = 0;
    }
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS AhciScsi(PDEVICE_OBJECT DeviceObject, PAHCI_PDO_EXTENSION Ext, PIRP Irp,
                         PSCSI_REQUEST_BLOCK Srb);

/* IRP_MJ_SCSI (= IRP_MJ_INTERNAL_DEVICE_CONTROL) on a disk PDO.  The PDO's
 * remove lock is held from here until the SRB completes: handed to
 * AhciFinishIrps for a queued SRB, given back here for one done at once. */
NTSTATUS AhciDispatchScsi(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb;
    NTSTATUS status;

    if (ext->IsFdo || !srb)
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_INVALID_REQUEST, STATUS_INVALID_DEVICE_REQUEST);
    if (!NT_SUCCESS(IoAcquireRemoveLock(&ext->RemoveLock, Irp)))
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_NO_DEVICE, STATUS_DEVICE_DOES_NOT_EXIST);
    if (ext->Port && ext->Port->State == AhciPortReady && srb->Function == SRB_FUNCTION_EXECUTE_SCSI &&
        srb->CdbLength != 0 && srb->CdbLength <= sizeof(srb->Cdb) &&
        (!srb->DataTransferLength || srb->DataBuffer)) {
        AhciHoldRemoveLock(Irp, ext);
        return AhciSubmitSrb(ext->Port, Irp, srb);
    }
    status = AhciScsi(DeviceObject, ext, Irp, srb);
    IoReleaseRemoveLock(&ext->RemoveLock, Irp);
    return status;
}

/* Every SRB AhciDispatchScsi does not queue: refused or done at once. */
static NTSTATUS AhciScsi(PDEVICE_OBJECT DeviceObject, PAHCI_PDO_EXTENSION Ext, PIRP Irp,
                         PSCSI_REQUEST_BLOCK srb)
{
    PAHCI_PORT port = Ext->Port;

    if (!port || port->State != AhciPortReady)
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_NO_DEVICE, STATUS_DEVICE_DOES_NOT_EXIST);

    switch (srb->Function) {
    case SRB_FUNCTION_EXECUTE_SCSI:     /* a well-formed one was queued by the caller */
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_INVALID_REQUEST, STATUS_INVALID_PARAMETER);
    case SRB_FUNCTION_CLAIM_DEVICE:
        /* NT: the port driver hands back the PDO in DataBuffer. */
        srb->DataBuffer = DeviceObject;
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_SUCCESS, STATUS_SUCCESS);
    case SRB_FUNCTION_FLUSH:            /* the HBA has no cache; SYNCHRONIZE CACHE flushes the disk */
    case SRB_FUNCTION_SHUTDOWN:
    case SRB_FUNCTION_RELEASE_DEVICE:
    case SRB_FUNCTION_RELEASE_QUEUE:
    case SRB_FUNCTION_FLUSH_QUEUE:
    case SRB_FUNCTION_LOCK_QUEUE:
    case SRB_FUNCTION_UNLOCK_QUEUE:
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_SUCCESS, STATUS_SUCCESS);
    case SRB_FUNCTION_RESET_BUS:
    case SRB_FUNCTION_RESET_DEVICE:
    case SRB_FUNCTION_RESET_LOGICAL_UNIT:
        AhciResetPort(port);
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_SUCCESS, STATUS_SUCCESS);
    default:
        return AhciCompleteSrbNow(Irp, srb, SRB_STATUS_INVALID_REQUEST,
                                  STATUS_INVALID_DEVICE_REQUEST);
    }
}
