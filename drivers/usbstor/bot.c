/* bot.c - the Bulk-Only Transport engine (bot.h): CBW, data and CSW phases
 * of one command and the spec's answers to everything a device may do
 * wrong in them.  Section numbers are those of "Universal Serial Bus Mass
 * Storage Class Bulk-Only Transport" revision 1.0.  Pure code: the host unit
 * tests and fuzzers run exactly this. */
#include "bot.h"
#include <wdm/rtl.h>

PCSTR const BotResultNames[BotResultCount] = {
    [BotPassed] = "passed",
    [BotFailed] = "failed",
    [BotPhaseError] = "phase-error",
    [BotInvalidCsw] = "invalid-csw",
    [BotTransportError] = "transport-error",
    [BotTimeout] = "timeout",
    [BotGone] = "gone",
    [BotBroken] = "broken",
};

PCSTR const BotCswCheckNames[BotCswCheckCount] = {
    [BotCswOk] = "ok",
    [BotCswWrongLength] = "CSW not 13 bytes",
    [BotCswBadSignature] = "CSW signature not 53425355h",
    [BotCswBadTag] = "CSW tag not the CBW's",
    [BotCswBadStatus] = "CSW status not 0, 1 or 2",
    [BotCswBadResidue] = "CSW residue larger than the transfer",
};

static ULONG BotGetLe32(const UCHAR *p)
{
    return (ULONG)p[0] | ((ULONG)p[1] << 8) | ((ULONG)p[2] << 16) | ((ULONG)p[3] << 24);
}

static VOID BotPutLe32(PUCHAR p, ULONG v)
{
    p[0] = (UCHAR)v;
    p[1] = (UCHAR)(v >> 8);
    p[2] = (UCHAR)(v >> 16);
    p[3] = (UCHAR)(v >> 24);
}

VOID BotInitialize(PBOT_DEVICE Device, const BOT_OPS *Ops, PVOID Context)
{
    RtlZeroMemory(Device, sizeof(*Device));
    Device->Ops = Ops;
    Device->Context = Context;
    Device->NextTag = 1;
    Device->LastProblem = "none";
}

/* 5.1: dCBWSignature, dCBWTag, dCBWDataTransferLength, bmCBWFlags (bit 7
 * direction, ignored when the length is 0), bCBWLUN (4 bits), bCBWCBLength
 * (5 bits, 1..16), CBWCB (16 bytes, the unused tail zero). */
VOID BotBuildCbw(PUCHAR Cbw, ULONG Tag, ULONG DataLength, BOOLEAN DataIn, UCHAR Lun,
                 const UCHAR *Cdb, UCHAR CdbLength)
{
    RtlZeroMemory(Cbw, BOT_CBW_LENGTH);
    BotPutLe32(Cbw, BOT_CBW_SIGNATURE);
    BotPutLe32(Cbw + 4, Tag);
    BotPutLe32(Cbw + 8, DataLength);
    Cbw[12] = DataLength && DataIn ? BOT_CBW_FLAG_DATA_IN : 0;
    Cbw[13] = Lun & 0x0F;
    Cbw[14] = CdbLength & 0x1F;
    for (ULONG i = 0; i < CdbLength && i < BOT_CBW_MAX_CDB; i++)
        Cbw[15 + i] = Cdb[i];
}

/* 6.3.1 valid: 13 bytes, the signature, the CBW's tag.  6.3.2 meaningful:
 * status 0 or 1 with a residue no larger than what the CBW asked, or 2. */
BOT_CSW_CHECK BotCheckCsw(const UCHAR *Csw, ULONG Length, ULONG Tag, ULONG DataLength,
                          PUCHAR Status, PULONG Residue)
{
    if (Length != BOT_CSW_LENGTH)
        return BotCswWrongLength;
    if (BotGetLe32(Csw) != BOT_CSW_SIGNATURE)
        return BotCswBadSignature;
    if (BotGetLe32(Csw + 4) != Tag)
        return BotCswBadTag;
    *Residue = BotGetLe32(Csw + 8);
    *Status = Csw[12];
    if (*Status > BOT_CSW_PHASE_ERROR)
        return BotCswBadStatus;
    if (*Status != BOT_CSW_PHASE_ERROR && *Residue > DataLength)
        return BotCswBadResidue;
    return BotCswOk;
}

/* SPC-4 4.5.2 (descriptor: 72h current, 73h deferred; ADDITIONAL SENSE
 * LENGTH in byte 7) and 4.5.3 (fixed: 70h, 71h; byte 7 likewise). */
ULONG BotParseSense(const UCHAR *Sense, ULONG Got, PUCHAR Key, PUCHAR Asc, PUCHAR Ascq)
{
    ULONG length;

    *Key = *Asc = *Ascq = 0;
    if (Got < 1)
        return 0;
    length = Got >= 8 ? 8u + Sense[7] : Got;
    if (length > Got)
        length = Got;
    switch (Sense[0] & 0x7F) {
    case SCSI_SENSE_ERRORCODE_FIXED_CURRENT:
    case SCSI_SENSE_ERRORCODE_FIXED_DEFERRED:
        if (length < 3)
            return 0;
        *Key = Sense[2] & 0x0F;
        *Asc = length > 12 ? Sense[12] : 0;
        *Ascq = length > 13 ? Sense[13] : 0;
        return length;
    case SCSI_SENSE_ERRORCODE_DESCRIPTOR_CURRENT:
    case SCSI_SENSE_ERRORCODE_DESCRIPTOR_CURRENT + 1:      /* 73h: deferred */
        if (length < 4)
            return 0;
        *Key = Sense[1] & 0x0F;
        *Asc = Sense[2];
        *Ascq = Sense[3];
        return length;
    default:
        return 0;
    }
}

static BOT_RESULT BotMarkGone(PBOT_DEVICE Device)
{
    Device->Gone = TRUE;
    Device->LastProblem = "device gone";
    return BotGone;
}

/* 5.3.4: the class reset, then CLEAR_FEATURE(HALT) on Bulk-In, then on
 * Bulk-Out, in that order.  A device that does not take them gets a port
 * reset (what Linux and Windows do next); one that does not come back
 * from that is given up. */
BOT_RESULT BotResetRecovery(PBOT_DEVICE Device)
{
    const BOT_OPS *ops = Device->Ops;
    BOT_IO io, in = BotIoError, out = BotIoError;

    if (Device->Gone)
        return BotGone;
    Device->Stats.ResetRecoveries++;
    io = ops->Reset(Device->Context);
    if (io == BotIoOk) {
        in = ops->ClearHalt(Device->Context, BotPipeIn);
        if (in != BotIoGone)
            out = ops->ClearHalt(Device->Context, BotPipeOut);
    }
    if (io == BotIoGone || in == BotIoGone || out == BotIoGone)
        return BotMarkGone(Device);
    if (io == BotIoOk && in == BotIoOk && out == BotIoOk)
        return BotPassed;
    Device->Stats.PortResets++;
    io = ops->PortReset(Device->Context);
    if (io == BotIoGone)
        return BotMarkGone(Device);
    if (io != BotIoOk) {
        Device->Broken = TRUE;
        Device->LastProblem = "reset recovery and port reset failed";
        return BotBroken;
    }
    return BotPassed;
}

/* The command is lost: recover the transport, then report Why unless the
 * recovery itself ended the device. */
static BOT_RESULT BotRecover(PBOT_DEVICE Device, BOT_RESULT Why, PCSTR Problem)
{
    BOT_RESULT r;

    Device->LastProblem = Problem;
    r = BotResetRecovery(Device);
    return r == BotPassed ? Why : r;
}

/* A stalled pipe after the data phase or the first CSW read (6.7.2, 6.7.3):
 * clear it and go on; a clear that fails leaves reset recovery. */
static BOT_RESULT BotClearStall(PBOT_DEVICE Device, BOT_PIPE Pipe, BOOLEAN *Cleared)
{
    BOT_IO io;

    Device->Stats.Stalls++;
    io = Device->Ops->ClearHalt(Device->Context, Pipe);
    *Cleared = io == BotIoOk;
    if (io == BotIoGone)
        return BotMarkGone(Device);
    if (io != BotIoOk)
        return BotRecover(Device, BotTransportError, "clear halt failed after a stall");
    return BotPassed;
}

BOT_RESULT BotTransport(PBOT_DEVICE Device, PBOT_COMMAND Command)
{
    const BOT_OPS *ops = Device->Ops;
    ULONG timeout = Command->TimeoutMs ? Command->TimeoutMs : BOT_DEFAULT_TIMEOUT_MS;
    ULONG tag, done = 0, got = 0, residue = 0;
    UCHAR status = 0;
    BOOLEAN cleared;
    BOT_RESULT r;
    BOT_IO io;

    Command->Transferred = 0;
    Command->Residue = 0;
    if (Device->Gone)
        return BotGone;
    if (Device->Broken)
        return BotBroken;

    /* Phase 1: the CBW (5.3.1).  A device that does not take it is out of
     * step with the host: reset recovery. */
    tag = Device->NextTag++;
    BotBuildCbw(Device->Cbw, tag, Command->DataLength, Command->DataIn, Command->Lun, Command->Cdb,
                Command->CdbLength);
    Device->Stats.Commands++;
    io = ops->Bulk(Device->Context, BotPipeOut, Device->Cbw, BOT_CBW_LENGTH, &done, BOT_CBW_TIMEOUT_MS);
    if (io == BotIoGone)
        return BotMarkGone(Device);
    if (io == BotIoTimeout) {
        Device->Stats.Timeouts++;
        return BotRecover(Device, BotTimeout, "CBW timed out");
    }
    if (io != BotIoOk || done != BOT_CBW_LENGTH)
        return BotRecover(Device, BotTransportError, "CBW not accepted");

    /* Phase 2: data (5.3.2).  A stall ends the data early: clear the halt
     * and read the CSW, whose residue says what counted (6.7.2 Hi > Di,
     * 6.7.3 Ho > Do).  Anything else leaves the pipes in an unknown
     * state: reset recovery. */
    if (Command->DataLength) {
        BOT_PIPE pipe = Command->DataIn ? BotPipeIn : BotPipeOut;
        done = 0;
        io = ops->Bulk(Device->Context, pipe, Command->Data, Command->DataLength, &done, timeout);
        Command->Transferred = done < Command->DataLength ? done : Command->DataLength;
        if (io == BotIoGone)
            return BotMarkGone(Device);
        if (io == BotIoTimeout) {
            Device->Stats.Timeouts++;
            return BotRecover(Device, BotTimeout, "data phase timed out");
        }
        if (io == BotIoStall) {
            r = BotClearStall(Device, pipe, &cleared);
            if (!cleared)
                return r;
        } else if (io != BotIoOk) {
            return BotRecover(Device, BotTransportError, "data phase failed on the bus");
        }
    }

    /* Phase 3: the CSW (5.3.3).  A stall here is cleared and the CSW read
     * once more (5.3.3, figure 2); a second failure means reset recovery. */
    for (ULONG attempt = 0;; attempt++) {
        got = 0;
        io = ops->Bulk(Device->Context, BotPipeIn, Device->Csw, BOT_CSW_LENGTH, &got, timeout);
        if (io == BotIoOk)
            break;
        if (io == BotIoGone)
            return BotMarkGone(Device);
        if (io == BotIoTimeout) {
            Device->Stats.Timeouts++;
            return BotRecover(Device, BotTimeout, "CSW timed out");
        }
        if (io == BotIoStall && attempt == 0) {
            Device->Stats.CswRetries++;
            r = BotClearStall(Device, BotPipeIn, &cleared);
            if (!cleared)
                return r;
            continue;
        }
        return BotRecover(Device, BotTransportError,
                          io == BotIoStall ? "CSW stalled twice" : "CSW failed on the bus");
    }

    /* 6.5: a CSW not valid or not meaningful, or a phase error, means reset
     * recovery; the command's outcome is unknown. */
    {
        BOT_CSW_CHECK check = BotCheckCsw(Device->Csw, got, tag, Command->DataLength, &status, &residue);
        if (check != BotCswOk) {
            Device->Stats.InvalidCsws++;
            return BotRecover(Device, BotInvalidCsw, BotCswCheckNames[check]);
        }
    }
    if (status == BOT_CSW_PHASE_ERROR) {
        Device->Stats.PhaseErrors++;
        return BotRecover(Device, BotPhaseError, "phase error");
    }
    /* 6.7: the data that counts is what the device says it handled
     * (dCBWDataTransferLength - dCSWDataResidue), and never more than
     * what crossed the bus. */
    Command->Residue = residue;
    if (Command->Transferred > Command->DataLength - residue)
        Command->Transferred = Command->DataLength - residue;
    if (status == BOT_CSW_FAILED) {
        Device->Stats.Failed++;
        return BotFailed;
    }
    return BotPassed;
}

/* REQUEST SENSE after a failed command (BOT has no autosense: the sense
 * waits in the device for the next command).  TRUE with the sense in
 * Srb->SenseInfoBuffer; *Result gets the transport's outcome. */
static BOOLEAN BotFetchSense(PBOT_DEVICE Device, PSCSI_REQUEST_BLOCK Srb, ULONG TimeoutMs,
                             BOT_RESULT *Result)
{
    UCHAR cdb[6] = { SCSIOP_REQUEST_SENSE, 0, 0, 0, BOT_SENSE_REQUEST_BYTES, 0 };
    BOT_COMMAND c = { Srb->Lun, sizeof(cdb), TRUE, cdb, Device->Sense, BOT_SENSE_REQUEST_BYTES,
                      TimeoutMs, 0, 0 };
    UCHAR key, asc, ascq;
    ULONG n;

    RtlZeroMemory(Device->Sense, sizeof(Device->Sense));
    *Result = BotTransport(Device, &c);
    if (*Result != BotPassed)
        return FALSE;
    n = BotParseSense(Device->Sense, c.Transferred, &key, &asc, &ascq);
    /* "No sense" after a failed command explains nothing: leaving it out
     * keeps the class driver from reading it as success. */
    if (!n || (key == SCSI_SENSE_NO_SENSE && !asc && !ascq))
        return FALSE;
    if (n > Srb->SenseInfoBufferLength)
        n = Srb->SenseInfoBufferLength;
    RtlCopyMemory(Srb->SenseInfoBuffer, Device->Sense, n);
    Srb->SenseInfoBufferLength = (UCHAR)n;
    Device->Stats.SenseFetched++;
    return TRUE;
}

/* Longest an SRB's TimeOutValue may ask for (so seconds * 1000 fits). */
#define BOT_MAX_TIMEOUT_S 3600

NTSTATUS BotExecuteSrb(PBOT_DEVICE Device, PSCSI_REQUEST_BLOCK Srb)
{
    ULONG dir = Srb->SrbFlags & SRB_FLAGS_UNSPECIFIED_DIRECTION;
    ULONG timeout = Srb->TimeOutValue ? Srb->TimeOutValue : BOT_DEFAULT_TIMEOUT_MS / 1000;
    ULONG requested = Srb->DataTransferLength;
    BOT_COMMAND c;
    BOT_RESULT r, sense;

    Srb->ScsiStatus = SCSISTAT_GOOD;
    if (Srb->Function != SRB_FUNCTION_EXECUTE_SCSI || Srb->CdbLength == 0 ||
        Srb->CdbLength > BOT_CBW_MAX_CDB || Srb->Lun > BOT_MAX_LUN ||
        (requested && (!Srb->DataBuffer || dir == 0 || dir == SRB_FLAGS_UNSPECIFIED_DIRECTION))) {
        Srb->SrbStatus = SRB_STATUS_INVALID_REQUEST;
        Srb->DataTransferLength = 0;
        return STATUS_INVALID_PARAMETER;
    }
    if (timeout > BOT_MAX_TIMEOUT_S)
        timeout = BOT_MAX_TIMEOUT_S;
    c.Lun = Srb->Lun;
    c.CdbLength = Srb->CdbLength;
    c.DataIn = dir == SRB_FLAGS_DATA_IN;
    c.Cdb = Srb->Cdb;
    c.Data = requested ? Srb->DataBuffer : NULL;
    c.DataLength = requested;
    c.TimeoutMs = timeout * 1000;
    r = BotTransport(Device, &c);

    switch (r) {
    case BotPassed:
        Srb->DataTransferLength = c.Transferred;
        /* NT: an underrun is SRB_STATUS_DATA_OVERRUN with the length moved. */
        Srb->SrbStatus = c.Transferred < requested ? SRB_STATUS_DATA_OVERRUN : SRB_STATUS_SUCCESS;
        Srb->SenseInfoBufferLength = 0;
        return STATUS_SUCCESS;
    case BotFailed:
        Srb->DataTransferLength = c.Transferred;
        Srb->ScsiStatus = SCSISTAT_CHECK_CONDITION;
        Srb->SrbStatus = SRB_STATUS_ERROR;
        if (!(Srb->SrbFlags & SRB_FLAGS_DISABLE_AUTOSENSE) && Srb->SenseInfoBuffer &&
            Srb->SenseInfoBufferLength && Srb->Cdb[0] != SCSIOP_REQUEST_SENSE) {
            if (BotFetchSense(Device, Srb, c.TimeoutMs, &sense)) {
                Srb->SrbStatus |= SRB_STATUS_AUTOSENSE_VALID;
                return STATUS_IO_DEVICE_ERROR;
            }
            Srb->SenseInfoBufferLength = 0;
            if (sense == BotGone) {
                Srb->SrbStatus = SRB_STATUS_NO_DEVICE;
                Srb->DataTransferLength = 0;
                return STATUS_DEVICE_DOES_NOT_EXIST;
            }
        } else {
            Srb->SenseInfoBufferLength = 0;
        }
        return STATUS_IO_DEVICE_ERROR;
    default:
        break;
    }
    /* The command's outcome is unknown: nothing of it counts. */
    Srb->DataTransferLength = 0;
    Srb->SenseInfoBufferLength = 0;
    switch (r) {
    case BotTimeout:
        Srb->SrbStatus = SRB_STATUS_TIMEOUT;
        return STATUS_IO_TIMEOUT;
    case BotGone:
        Srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        return STATUS_DEVICE_DOES_NOT_EXIST;
    case BotBroken:
        Srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        return STATUS_IO_DEVICE_ERROR;
    default:
        /* Phase error, invalid CSW, bus error: the transport was reset and
         * the command did not complete (a class driver may send it again). */
        Srb->SrbStatus = SRB_STATUS_BUS_RESET;
        return STATUS_IO_DEVICE_ERROR;
    }
}
