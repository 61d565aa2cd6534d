/* pdo.c - the disk PDOs the controller enumerates (\Device\Ahci<n>\Port<p>):
 * creation, PnP IDs (SCSI\Disk...), capabilities, and IRP_MJ_SCSI with its
 * SRB functions. */
#include "ahcip.h"

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

#define AHCI_ID_BUF 160

/* A device's byte as it may appear in a device or instance ID: NT allows no
 * blank, control or non-ASCII byte and no ',' (the ID-list separator); '\'
 * would split the instance path and '"' end the quoted IDs `devices`
 * prints.  Each becomes '_', as blanks do in SCSI IDs. */
static CHAR AhciIdChar(CHAR c)
{
    return (c > ' ' && c < 0x7F && c != ',' && c != '\\' && c != '"') ? c : '_';
}

/* Product id as SCSI IDs spell it: 16 characters, blanks as '_'. */
static VOID AhciProductId(PAHCI_PORT Port, PCHAR Out, BOOLEAN Pad)
{
    ULONG i = 0;

    for (; i < 16 && Port->Device.Model[i]; i++)
        Out[i] = AhciIdChar(Port->Device.Model[i]);
    while (Pad && i < 16)
        Out[i++] = '_';
    Out[i] = 0;
}

/* A REG_MULTI_SZ from '\0'-separated ASCII (ending "\0\0"), in pool. */
static PWCHAR AhciMultiSz(PCSTR Ascii, ULONG Bytes)
{
    PWCHAR w = ExAllocatePoolWithTag(NonPagedPool, Bytes * sizeof(WCHAR), AHCI_TAG);

    if (w)
        for (ULONG i = 0; i < Bytes; i++)
            w[i] = (WCHAR)(UCHAR)Ascii[i];
    return w;
}

/* Appends one NUL-terminated string to a multi-string being built. */
static VOID __attribute__((format(printf, 3, 4))) Put(PCHAR Buf, PULONG N, PCSTR Format, ...)
{
    va_list ap;

    va_start(ap, Format);
    RtlStringCbVPrintfA(Buf + *N, AHCI_ID_BUF - 1 - *N, Format, ap);
    va_end(ap);
    while (Buf[*N])
        (*N)++;
    (*N)++;
}

static NTSTATUS AhciQueryId(PAHCI_PORT Port, BUS_QUERY_ID_TYPE Type, PWCHAR *Result)
{
    CHAR buf[AHCI_ID_BUF], prod[17], prodPad[17];
    ULONG n = 0;
    BOOLEAN disk = Port->State == AhciPortReady;
    BOOLEAN cdrom = Port->Signature == AHCI_SIG_ATAPI;

    AhciProductId(Port, prod, FALSE);
    AhciProductId(Port, prodPad, TRUE);
    switch (Type) {
    case BusQueryDeviceID:
        if (disk)
            Put(buf, &n, "SCSI\\Disk&Ven_ATA&Prod_%s", prod);
        else
            Put(buf, &n, cdrom ? "SCSI\\CdRom&Ven_ATA" : "AHCI\\PortMultiplier");
        break;
    case BusQueryHardwareIDs:
        if (disk) {
            Put(buf, &n, "SCSI\\DiskATA_____%s", prodPad);
            Put(buf, &n, "SCSI\\Disk");
            Put(buf, &n, "GenDisk");
        } else {
            Put(buf, &n, cdrom ? "SCSI\\CdRomATA_____" : "AHCI\\PortMultiplier");
            Put(buf, &n, cdrom ? "GenCdRom" : "AHCI\\Unsupported");
        }
        break;
    case BusQueryCompatibleIDs:
        if (disk) {
            Put(buf, &n, "SCSI\\Disk");
            Put(buf, &n, "GenDisk");
        } else {
            Put(buf, &n, cdrom ? "SCSI\\CdRom" : "AHCI\\Unsupported");
        }
        break;
    case BusQueryInstanceID:
        Put(buf, &n, "%u", Port->Index);
        break;
    case BusQueryDeviceSerialNumber:
        if (!disk || !Port->Device.Serial[0])
            return STATUS_NOT_SUPPORTED;
        Put(buf, &n, "%s", Port->Device.Serial);
        break;
    default:
        return STATUS_NOT_SUPPORTED;
    }
    buf[n++] = 0;   /* the list's terminating empty string */
    *Result = AhciMultiSz(buf, n);
    return *Result ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
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
    PWCHAR id;

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
        status = AhciQueryId(port, stack->Parameters.QueryId.IdType, &id);
        if (NT_SUCCESS(status))
            Irp->IoStatus.Information = (ULONG_PTR)id;
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
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation) {
            PDEVICE_RELATIONS rel = ExAllocatePoolWithTag(NonPagedPool, sizeof(*rel), AHCI_TAG);
            if (!rel) {
                status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            ObReferenceObject(DeviceObject);
            rel->Count = 1;
            rel->Objects[0] = DeviceObject;
            Irp->IoStatus.Information = (ULONG_PTR)rel;
            status = STATUS_SUCCESS;
        }
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
