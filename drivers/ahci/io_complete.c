/* io_complete.c - finishing SRBs: SrbStatus, ScsiStatus, autosense,
 * DataTransferLength, the IRP's status; IRPs are collected on a list and
 * completed once no lock is held. */
#include "ahcip.h"

static NTSTATUS AhciSrbNtStatus(UCHAR SrbStatus, const SATL_SENSE *Sense)
{
    switch (SRB_STATUS(SrbStatus)) {
    case SRB_STATUS_SUCCESS:
    case SRB_STATUS_DATA_OVERRUN:
        return STATUS_SUCCESS;
    case SRB_STATUS_INVALID_REQUEST:
    case SRB_STATUS_BAD_FUNCTION:
        return STATUS_INVALID_DEVICE_REQUEST;
    case SRB_STATUS_TIMEOUT:
    case SRB_STATUS_COMMAND_TIMEOUT:
        return STATUS_IO_TIMEOUT;
    case SRB_STATUS_NO_DEVICE:
    case SRB_STATUS_SELECTION_TIMEOUT:
        return STATUS_DEVICE_DOES_NOT_EXIST;
    case SRB_STATUS_ERROR:
        if (Sense) {
            if (Sense->Key == SCSI_SENSE_ILLEGAL_REQUEST)
                return Sense->Asc == SCSI_ADSENSE_ILLEGAL_BLOCK ? STATUS_NONEXISTENT_SECTOR
                                                                : STATUS_INVALID_DEVICE_REQUEST;
            if (Sense->Key == SCSI_SENSE_MEDIUM_ERROR)
                return STATUS_DEVICE_DATA_ERROR;
            if (Sense->Key == SCSI_SENSE_RECOVERED_ERROR)
                return STATUS_SUCCESS;  /* pass-through CK_COND: the task file is in the sense */
        }
        return STATUS_IO_DEVICE_ERROR;
    default:
        return STATUS_IO_DEVICE_ERROR;
    }
}

VOID AhciCompleteSrb(PIRP Irp, PSCSI_REQUEST_BLOCK Srb, UCHAR SrbStatus, const SATL_SENSE *Sense,
                     ULONG DataLength, PLIST_ENTRY Done)
{
    if (Sense) {
        Srb->ScsiStatus = SCSISTAT_CHECK_CONDITION;
        if (Srb->SenseInfoBuffer && Srb->SenseInfoBufferLength &&
            !(Srb->SrbFlags & SRB_FLAGS_DISABLE_AUTOSENSE)) {
            Srb->SenseInfoBufferLength = (UCHAR)SatlBuildSense(Sense, Srb->SenseInfoBuffer,
                                                               Srb->SenseInfoBufferLength);
            SrbStatus |= SRB_STATUS_AUTOSENSE_VALID;
        } else {
            Srb->SenseInfoBufferLength = 0;
        }
    } else {
        Srb->ScsiStatus = SCSISTAT_GOOD;
        Srb->SenseInfoBufferLength = 0;
    }
    Srb->SrbStatus = SrbStatus;
    Srb->DataTransferLength = DataLength;
    if (Irp) {
        Irp->IoStatus.Status = AhciSrbNtStatus(SrbStatus, Sense);
        Irp->IoStatus.Information = DataLength;
        InsertTailList(Done, &Irp->Tail.Overlay.ListEntry);
    }
}

/* Lock held.  Frees slot S and queues its IRP for completion. */
VOID AhciCompleteSlot(PAHCI_PORT Port, ULONG S, UCHAR SrbStatus, const SATL_SENSE *Sense,
                      PLIST_ENTRY Done)
{
    PAHCI_SLOT slot = &Port->Slots[S];
    ULONG bit = 1u << S;
    SATL_SENSE ptSense;
    ULONG length = SrbStatus == SRB_STATUS_SUCCESS ? slot->Ata.TransferBytes : 0;

    AHCI_ASSERT_LOCKED(Port);

    Port->Issued &= ~bit;
    Port->NcqIssued &= ~bit;
    Port->Deferred &= ~bit;     /* failed (reset, device gone) before it was rung */
    Port->Held &= ~bit;
    Port->Commands++;
    if (__builtin_expect(Port->Profiled & bit, 0)) {
        Port->Profiled &= ~bit;
        if (slot->Irp)
            IoProfileStamp(slot->Irp, IO_PROFILE_SEEN);
    }
    /* The data's list back to the adapter before anything else learns
     * of the end: a bounced read reaches its buffer here, so the IRP
     * completed below (or its retry) never sees stale bytes. */
    if (slot->Sg)
        AhciSgPut(Port, S);
    if (!slot->Srb)
        return;
    if (SrbStatus == SRB_STATUS_SUCCESS && slot->Ata.PassThrough && slot->Ata.CheckCondition) {
        /* SAT-4 12.2.2.6: CK_COND returns the task file even on success. */
        const FIS_REG_D2H *d2h = (const FIS_REG_D2H *)(Port->Rfis + AHCI_RFIS_RFIS);
        SATL_TASKFILE tf = {
            .Status = d2h->Status, .Error = d2h->Error, .Device = d2h->Device,
            .Count = (USHORT)(d2h->CountLow | (d2h->CountHigh << 8)),
            .Lba = (ULONG64)d2h->Lba0 | ((ULONG64)d2h->Lba1 << 8) | ((ULONG64)d2h->Lba2 << 16) |
                   ((ULONG64)d2h->Lba3 << 24) | ((ULONG64)d2h->Lba4 << 32) |
                   ((ULONG64)d2h->Lba5 << 40),
        };
        SatlPassThroughSense(&slot->Ata, &tf, &ptSense);
        Sense = &ptSense;
        SrbStatus = SRB_STATUS_ERROR;
    }
    AhciCompleteSrb(slot->Irp, slot->Srb, SrbStatus, Sense, length, Done);
    slot->Irp = NULL;
    slot->Srb = NULL;
}

/* DriverContext[0..1] are ours while we own the IRP: the PDO extension
 * whose remove lock the SRB holds, and this cookie saying so (an IRP the
 * driver built itself, e.g. the raw bench's, carries neither). */
static const CHAR AhciRemoveLockCookie = 'R';

VOID AhciHoldRemoveLock(PIRP Irp, PAHCI_PDO_EXTENSION Ext)
{
    Irp->Tail.Overlay.DriverContext[0] = Ext;
    Irp->Tail.Overlay.DriverContext[1] = (PVOID)&AhciRemoveLockCookie;
}

VOID AhciFinishIrps(PLIST_ENTRY Done)
{
    while (!IsListEmpty(Done)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(Done), IRP, Tail.Overlay.ListEntry);
        PAHCI_PDO_EXTENSION holder = NULL;
        if (irp->Tail.Overlay.DriverContext[1] == (PVOID)&AhciRemoveLockCookie) {
            holder = irp->Tail.Overlay.DriverContext[0];
            irp->Tail.Overlay.DriverContext[0] = irp->Tail.Overlay.DriverContext[1] = NULL;
        }
        IoProfileStamp(irp, IO_PROFILE_COMPLETING);
        IoCompleteRequest(irp, IO_DISK_INCREMENT);
        if (holder)
            IoReleaseRemoveLock(&holder->RemoveLock, irp);
    }
}
