/* request.c - request rules of the disk class driver: transfer checks,
 * splitting, and SRB/sense interpretation (SPC-4 4.5, SBC-3).  Pure code:
 * the host unit tests run exactly this. */
#include "request.h"
#include <scsi.h>

/* SectorSize is a power of two (checked first), so the checks are masks
 * and shifts: under TCG a division is a helper call, and this runs for
 * every read and write. */
NTSTATUS DiskCheckTransfer(LONGLONG ByteOffset, ULONG Length, ULONG SectorSize,
                           ULONG64 Sectors, PCSTR *Why)
{
    ULONG64 first, count;
    ULONG shift;

    *Why = NULL;
    if (SectorSize == 0 || (SectorSize & (SectorSize - 1))) {
        *Why = "device has no valid sector size";
        return STATUS_INVALID_DEVICE_STATE;
    }
    shift = (ULONG)__builtin_ctz(SectorSize);
    if (ByteOffset < 0) {
        *Why = "negative offset";
        return STATUS_INVALID_PARAMETER;
    }
    if ((ULONG64)ByteOffset & (SectorSize - 1)) {
        *Why = "offset not a multiple of the sector size";
        return STATUS_INVALID_PARAMETER;
    }
    if (Length & (SectorSize - 1)) {
        *Why = "length not a multiple of the sector size";
        return STATUS_INVALID_PARAMETER;
    }
    first = (ULONG64)ByteOffset >> shift;
    count = Length >> shift;
    if (first > Sectors || count > Sectors - first) {
        *Why = "beyond end of disk";
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

ULONG DiskPieceBytes(ULONG Remaining, ULONG MaxTransferBytes, ULONG SectorSize)
{
    /* Callers pass a power-of-two SectorSize (DiskCheckTransfer). */
    ULONG max = MaxTransferBytes & ~(SectorSize - 1);

    if (max < SectorSize)
        max = SectorSize;
    return Remaining < max ? Remaining : max;
}

/* Sense key/ASC/ASCQ from fixed (0x70/0x71) or descriptor (0x72/0x73)
 * format sense (SPC-4 4.5.2, 4.5.3).  FALSE if there is not enough. */
static BOOLEAN DiskParseSense(const UCHAR *s, ULONG Length, DISK_SRB_RESULT *r)
{
    if (Length < 1)
        return FALSE;
    switch (s[0] & 0x7F) {
    case 0x70:
    case 0x71:
        if (Length < 3)
            return FALSE;
        r->SenseKey = s[2] & 0x0F;
        r->Asc = Length > 12 ? s[12] : 0;
        r->Ascq = Length > 13 ? s[13] : 0;
        return TRUE;
    case 0x72:
    case 0x73:
        if (Length < 4)
            return FALSE;
        r->SenseKey = s[1] & 0x0F;
        r->Asc = s[2];
        r->Ascq = s[3];
        return TRUE;
    default:
        return FALSE;
    }
}

static VOID DiskSenseToStatus(DISK_SRB_RESULT *r)
{
    switch (r->SenseKey) {
    case SCSI_SENSE_NO_SENSE:
    case SCSI_SENSE_RECOVERED_ERROR:
        /* The data is good (SPC-4 4.5.6: recovered errors are informational). */
        r->Status = STATUS_SUCCESS;
        break;
    case SCSI_SENSE_NOT_READY:
        r->Status = r->Asc == SCSI_ADSENSE_NO_MEDIA_IN_DEVICE ? STATUS_NO_MEDIA_IN_DEVICE
                                                              : STATUS_DEVICE_NOT_READY;
        r->Retry = r->Asc == SCSI_ADSENSE_LUN_NOT_READY && r->Ascq == SCSI_SENSEQ_BECOMING_READY;
        break;
    case SCSI_SENSE_MEDIUM_ERROR:
        r->Status = STATUS_DEVICE_DATA_ERROR;
        break;
    case SCSI_SENSE_HARDWARE_ERROR:
        r->Status = STATUS_IO_DEVICE_ERROR;
        break;
    case SCSI_SENSE_ILLEGAL_REQUEST:
        r->Status = r->Asc == SCSI_ADSENSE_ILLEGAL_BLOCK ? STATUS_NONEXISTENT_SECTOR
                                                         : STATUS_INVALID_DEVICE_REQUEST;
        break;
    case SCSI_SENSE_UNIT_ATTENTION:
        /* Reset or media change happened; the command was not run. */
        r->Status = STATUS_VERIFY_REQUIRED;
        r->Retry = TRUE;
        break;
    case SCSI_SENSE_DATA_PROTECT:
        r->Status = STATUS_MEDIA_WRITE_PROTECTED;
        break;
    case SCSI_SENSE_ABORTED_COMMAND:
        /* Link CRC errors (47h/03h) and the like: worth another go. */
        r->Status = r->Asc == SCSI_ADSENSE_PARITY_ERROR ? STATUS_CRC_ERROR : STATUS_IO_DEVICE_ERROR;
        r->Retry = TRUE;
        break;
    default:
        r->Status = STATUS_IO_DEVICE_ERROR;
        break;
    }
}

static VOID DiskInterpretSrbStatus(const SCSI_REQUEST_BLOCK *Srb, NTSTATUS IrpStatus,
                                   DISK_SRB_RESULT *r)
{
    UCHAR status = SRB_STATUS(Srb->SrbStatus);

    r->Status = STATUS_IO_DEVICE_ERROR;
    r->Retry = FALSE;
    r->SenseKey = r->Asc = r->Ascq = 0;
    switch (status) {
    case SRB_STATUS_SUCCESS:
    case SRB_STATUS_DATA_OVERRUN:
        r->Status = STATUS_SUCCESS;
        return;
    case SRB_STATUS_PENDING:
        /* The port never touched the SRB: only the IRP's status tells. */
        r->Status = NT_SUCCESS(IrpStatus) ? STATUS_IO_DEVICE_ERROR : IrpStatus;
        return;
    case SRB_STATUS_ERROR:
        if ((Srb->SrbStatus & SRB_STATUS_AUTOSENSE_VALID) && Srb->SenseInfoBuffer &&
            DiskParseSense(Srb->SenseInfoBuffer, Srb->SenseInfoBufferLength, r)) {
            DiskSenseToStatus(r);
            if (NT_SUCCESS(r->Status))
                r->Status = STATUS_SUCCESS;
            return;
        }
        if (Srb->ScsiStatus == SCSISTAT_BUSY || Srb->ScsiStatus == SCSISTAT_QUEUE_FULL) {
            r->Status = STATUS_DEVICE_BUSY;
            r->Retry = TRUE;
            return;
        }
        r->Status = STATUS_IO_DEVICE_ERROR;
        return;
    case SRB_STATUS_BUSY:
        r->Status = STATUS_DEVICE_BUSY;
        r->Retry = TRUE;
        return;
    case SRB_STATUS_TIMEOUT:
    case SRB_STATUS_COMMAND_TIMEOUT:
        r->Status = STATUS_IO_TIMEOUT;
        r->Retry = TRUE;
        return;
    case SRB_STATUS_BUS_RESET:
    case SRB_STATUS_ABORTED:
    case SRB_STATUS_PARITY_ERROR:
    case SRB_STATUS_REQUEST_FLUSHED:
        r->Status = STATUS_IO_DEVICE_ERROR;
        r->Retry = TRUE;
        return;
    case SRB_STATUS_NO_DEVICE:
    case SRB_STATUS_SELECTION_TIMEOUT:
    case SRB_STATUS_INVALID_TARGET_ID:
    case SRB_STATUS_INVALID_LUN:
    case SRB_STATUS_NO_HBA:
        /* A port that knows its device left (a pulled stick, a port given
         * up) says so in the IRP: that is what the caller should see. */
        r->Status = IrpStatus == STATUS_DEVICE_DOES_NOT_EXIST ? STATUS_DEVICE_DOES_NOT_EXIST
                                                                : STATUS_NO_SUCH_DEVICE;
        return;
    case SRB_STATUS_INVALID_REQUEST:
    case SRB_STATUS_BAD_FUNCTION:
        r->Status = STATUS_INVALID_DEVICE_REQUEST;
        return;
    default:
        r->Status = NT_SUCCESS(IrpStatus) ? STATUS_IO_DEVICE_ERROR : IrpStatus;
        return;
    }
}

BOOLEAN DiskIsCacheFlush(const UCHAR *Cdb)
{
    return Cdb[0] == SCSIOP_SYNCHRONIZE_CACHE || Cdb[0] == SCSIOP_SYNCHRONIZE_CACHE16;
}

VOID DiskInterpretSrb(const SCSI_REQUEST_BLOCK *Srb, NTSTATUS IrpStatus, DISK_SRB_RESULT *r)
{
    DiskInterpretSrbStatus(Srb, IrpStatus, r);
    /* DESIGN.md "Faults": a failed flush is an error to its caller, never
     * retried into success.  Whatever the sense says (even an aborted
     * command or a reset that "did not run" it), the device may have
     * dropped cached writes it had acknowledged; a second SYNCHRONIZE
     * CACHE that succeeds only flushes what is left, it does not bring
     * those sectors back. */
    if (DiskIsCacheFlush(Srb->Cdb))
        r->Retry = FALSE;
}

VOID DiskZeroCdb(PUCHAR Cdb)
{
    /* Two eight-byte stores: the byte loop GCC keeps here (memset is not
     * ours to call) was 64 guest instructions on every read and write. */
    static const ULONG64 Zero = 0;
    __builtin_memcpy(Cdb, &Zero, sizeof(Zero));
    __builtin_memcpy(Cdb + 8, &Zero, sizeof(Zero));
}

VOID DiskBuildReadWrite16(PUCHAR Cdb, BOOLEAN Write, ULONG64 Lba, ULONG Blocks)
{
    DiskZeroCdb(Cdb);
    Cdb[0] = Write ? SCSIOP_WRITE16 : SCSIOP_READ16;
    ScsiPutBe64(Cdb + 2, Lba);
    ScsiPutBe32(Cdb + 10, Blocks);
}
