/* bot_sim.c - the simulated bulk-only device of bot_sim.h. */
#include <stdio.h>
#include <string.h>
#include "bot_sim.h"

static void SimLog(BOT_SIM *s, const char *what)
{
    size_t n = strlen(s->Log);
    snprintf(s->Log + n, sizeof(s->Log) - n, "%s%s", n ? " " : "", what);
}

void BotSimClearLog(BOT_SIM *Sim)
{
    Sim->Log[0] = 0;
}

void BotSimInit(BOT_SIM *Sim)
{
    memset(Sim, 0, sizeof(*Sim));
    for (ULONG i = 0; i < sizeof(Sim->Disk); i++)
        Sim->Disk[i] = (UCHAR)(i * 7 + i / SIM_BLOCK);
}

static ULONG be32(const UCHAR *p) { return ((ULONG)p[0] << 24) | ((ULONG)p[1] << 16) | ((ULONG)p[2] << 8) | p[3]; }
static ULONG le32(const UCHAR *p) { return p[0] | ((ULONG)p[1] << 8) | ((ULONG)p[2] << 16) | ((ULONG)p[3] << 24); }
static void putle32(UCHAR *p, ULONG v) { p[0] = (UCHAR)v; p[1] = (UCHAR)(v >> 8); p[2] = (UCHAR)(v >> 16); p[3] = (UCHAR)(v >> 24); }

static void SimSetSense(BOT_SIM *s, UCHAR Key, UCHAR Asc)
{
    memset(s->Sense, 0, sizeof(s->Sense));
    s->Sense[0] = 0x70;
    s->Sense[2] = Key;
    s->Sense[7] = 10;
    s->Sense[12] = Asc;
}

/* Decodes the CDB: what the command needs and what it answers. */
static void SimCommand(BOT_SIM *s, const UCHAR *cdb)
{
    ULONG lba, blocks;

    s->ResponseLength = 0;
    s->WantIn = s->WantOut = FALSE;
    s->CswStatus = BOT_CSW_PASSED;
    switch (cdb[0]) {
    case SCSIOP_TEST_UNIT_READY:
        break;
    case SCSIOP_INQUIRY:
        s->WantIn = TRUE;
        memset(s->Response, 0, 36);
        s->Response[2] = 2;     /* SCSI-2, as sticks say */
        s->Response[4] = 31;
        memcpy(s->Response + 8, "SimVend SimStick        1.00", 28);
        s->ResponseLength = cdb[4] < 36 ? cdb[4] : 36;
        break;
    case SCSIOP_READ_CAPACITY:
        s->WantIn = TRUE;
        memset(s->Response, 0, 8);
        s->Response[3] = SIM_BLOCKS - 1;
        s->Response[6] = SIM_BLOCK >> 8;
        s->ResponseLength = 8;
        break;
    case SCSIOP_REQUEST_SENSE:
        s->WantIn = TRUE;
        memcpy(s->Response, s->Sense, sizeof(s->Sense));
        s->ResponseLength = cdb[4] < sizeof(s->Sense) ? cdb[4] : sizeof(s->Sense);
        SimSetSense(s, 0, 0);
        s->Sense[0] = 0x70;
        break;
    case SCSIOP_READ:
    case SCSIOP_WRITE:
        lba = be32(cdb + 2);
        blocks = ((ULONG)cdb[7] << 8) | cdb[8];
        if (lba + blocks > SIM_BLOCKS || blocks * SIM_BLOCK > sizeof(s->Response)) {
            s->CswStatus = BOT_CSW_FAILED;
            SimSetSense(s, SCSI_SENSE_ILLEGAL_REQUEST, 0x21);
            break;
        }
        if (cdb[0] == SCSIOP_READ) {
            s->WantIn = TRUE;
            memcpy(s->Response, s->Disk + lba * SIM_BLOCK, blocks * SIM_BLOCK);
            s->ResponseLength = blocks * SIM_BLOCK;
        } else {
            s->WantOut = TRUE;
            s->WriteLba = lba;
            s->ResponseLength = blocks * SIM_BLOCK;
        }
        break;
    default:
        s->CswStatus = BOT_CSW_FAILED;
        SimSetSense(s, SCSI_SENSE_ILLEGAL_REQUEST, 0x20);
        break;
    }
    if (s->FailCount > 0) {
        s->FailCount--;
        s->CswStatus = BOT_CSW_FAILED;
        SimSetSense(s, (UCHAR)s->FailWithKey, (UCHAR)s->FailAsc);
        if (!s->FailWithKey)
            memset(s->Sense, 0, sizeof(s->Sense)), s->Sense[0] = 0x70;
    }
}

static BOT_IO SimCbw(BOT_SIM *s, const UCHAR *b, ULONG Length, PULONG Done)
{
    if (s->TimeoutCbw > 0) {
        s->TimeoutCbw--;
        SimLog(s, "cbw(timeout)");
        s->State = SimNeedReset;
        return BotIoTimeout;
    }
    if (s->StallCbw > 0 || s->State != SimExpectCbw) {
        if (s->StallCbw > 0)
            s->StallCbw--;
        s->HaltOut = TRUE;
        SimLog(s, "cbw(stall)");
        return BotIoStall;
    }
    *Done = Length;
    /* 6.2.1: a CBW not valid (length, signature) leaves the device waiting
     * for reset recovery, both pipes halted. */
    if (Length != BOT_CBW_LENGTH || le32(b) != BOT_CBW_SIGNATURE || b[14] < 1 || b[14] > 16) {
        SimLog(s, "cbw(invalid)");
        s->State = SimNeedReset;
        s->HaltIn = s->HaltOut = TRUE;
        return BotIoOk;
    }
    SimLog(s, "cbw");
    s->Tag = le32(b + 4);
    s->DataLength = le32(b + 8);
    s->DataIn = (b[12] & 0x80) != 0;
    SimCommand(s, b + 15);
    s->Residue = s->DataLength;
    s->State = s->DataLength ? SimData : SimCsw;
    /* Hn < Di/Do (cases 2, 3): the host wants no data but the command
     * does: phase error (6.7.1). */
    if (!s->DataLength && (s->WantIn || s->WantOut) && s->ResponseLength)
        s->CswStatus = BOT_CSW_PHASE_ERROR;
    return BotIoOk;
}

static BOT_IO SimDataIn(BOT_SIM *s, PVOID Buffer, ULONG Length, PULONG Done)
{
    ULONG n;

    if (s->TimeoutData > 0) {
        s->TimeoutData--;
        SimLog(s, "data-in(timeout)");
        s->State = SimNeedReset;
        return BotIoTimeout;
    }
    if (s->ErrorData > 0) {
        s->ErrorData--;
        SimLog(s, "data-in(babble)");
        s->State = SimNeedReset;
        return BotIoError;
    }
    /* Ho <> Di and friends (cases 8, 10): the host reads but the command
     * writes, or the data phase is stalled on purpose: the device stalls
     * Bulk-In and answers the CSW. */
    if (s->StallData > 0 || !s->DataIn || (s->WantOut && !s->WantIn)) {
        if (s->StallData > 0)
            s->StallData--;
        else
            s->CswStatus = BOT_CSW_PHASE_ERROR;
        s->HaltIn = TRUE;
        s->State = SimCsw;
        SimLog(s, "data-in(stall)");
        return BotIoStall;
    }
    n = s->ResponseLength < Length ? s->ResponseLength : Length;
    if (s->ShortBy && n > (ULONG)s->ShortBy) {
        n -= (ULONG)s->ShortBy;
        s->ShortBy = 0;
    }
    memcpy(Buffer, s->Response, n);
    *Done = n;
    s->Residue = s->DataLength - n;
    s->State = SimCsw;
    if (s->ExtraResidue) {
        s->Residue += (ULONG)s->ExtraResidue;
        s->ExtraResidue = 0;
    }
    if (s->LieResidue) {
        s->LieResidue = 0;
        s->Residue = 0;
    }
    if (n < Length && s->StallAfterShort) {
        s->StallAfterShort = 0;
        s->HaltIn = TRUE;
        SimLog(s, "data-in(short,stall)");
        return BotIoStall;
    }
    SimLog(s, n < Length ? "data-in(short)" : "data-in");
    return BotIoOk;
}

static BOT_IO SimDataOut(BOT_SIM *s, PVOID Buffer, ULONG Length, PULONG Done)
{
    if (s->TimeoutData > 0) {
        s->TimeoutData--;
        SimLog(s, "data-out(timeout)");
        s->State = SimNeedReset;
        return BotIoTimeout;
    }
    if (s->StallData > 0 || s->DataIn || !s->WantOut) {
        if (s->StallData > 0)
            s->StallData--;
        else
            s->CswStatus = BOT_CSW_PHASE_ERROR;
        s->HaltOut = TRUE;
        s->State = SimCsw;
        SimLog(s, "data-out(stall)");
        return BotIoStall;
    }
    ULONG n = s->ResponseLength < Length ? s->ResponseLength : Length;
    memcpy(s->Disk + s->WriteLba * SIM_BLOCK, Buffer, n);
    *Done = Length;
    s->Residue = s->DataLength - n;
    s->State = SimCsw;
    SimLog(s, "data-out");
    return BotIoOk;
}

static BOT_IO SimCswIn(BOT_SIM *s, PVOID Buffer, ULONG Length, PULONG Done)
{
    UCHAR csw[13];
    ULONG n = 13;

    if (s->TimeoutCsw > 0) {
        s->TimeoutCsw--;
        SimLog(s, "csw(timeout)");
        s->State = SimNeedReset;
        return BotIoTimeout;
    }
    if (s->StallCsw > 0) {
        s->StallCsw--;
        s->HaltIn = TRUE;
        SimLog(s, "csw(stall)");
        return BotIoStall;
    }
    putle32(csw, s->BadSignature ? 0x53425356 : BOT_CSW_SIGNATURE);
    putle32(csw + 4, s->BadTag ? s->Tag + 1 : s->Tag);
    putle32(csw + 8, s->BadResidue ? s->DataLength + 1 : s->Residue);
    csw[12] = s->BadStatus ? 3 : s->PhaseError ? BOT_CSW_PHASE_ERROR : s->CswStatus;
    if (s->CswLength)
        n = (ULONG)s->CswLength;
    s->BadSignature = s->BadTag = s->BadResidue = s->BadStatus = s->PhaseError = s->CswLength = 0;
    if (n > Length)
        n = Length;     /* the host's buffer is 13: more would be babble */
    memcpy(Buffer, csw, n);
    *Done = n;
    s->State = csw[12] == BOT_CSW_PHASE_ERROR ? SimNeedReset : SimExpectCbw;
    SimLog(s, "csw");
    return BotIoOk;
}

static BOT_IO SimBulk(PVOID Context, BOT_PIPE Pipe, PVOID Buffer, ULONG Length, PULONG Done,
                      ULONG TimeoutMs)
{
    BOT_SIM *s = Context;

    *Done = 0;
    if (s->Gone) {
        SimLog(s, "gone");
        return BotIoGone;
    }
    if ((Pipe == BotPipeIn && s->HaltIn) || (Pipe == BotPipeOut && s->HaltOut)) {
        SimLog(s, Pipe == BotPipeIn ? "in(halted)" : "out(halted)");
        return BotIoStall;
    }
    if (Pipe == BotPipeOut)
        return s->State == SimData ? SimDataOut(s, Buffer, Length, Done) : SimCbw(s, Buffer, Length, Done);
    if (s->State == SimData)
        return SimDataIn(s, Buffer, Length, Done);
    if (s->State == SimCsw)
        return SimCswIn(s, Buffer, Length, Done);
    /* Nothing to send: a device halts what it was not ready for (6.6.1). */
    s->HaltIn = TRUE;
    SimLog(s, "in(stall)");
    return BotIoStall;
}

static BOT_IO SimClearHalt(PVOID Context, BOT_PIPE Pipe)
{
    BOT_SIM *s = Context;

    if (s->Gone)
        return BotIoGone;
    SimLog(s, Pipe == BotPipeIn ? "clear-in" : "clear-out");
    if (s->ClearFails > 0) {
        s->ClearFails--;
        return BotIoStall;
    }
    /* 6.6.1: after a phase error or invalid CBW, only reset recovery
     * clears the halts. */
    if (s->State == SimNeedReset)
        return BotIoOk;
    if (Pipe == BotPipeIn)
        s->HaltIn = FALSE;
    else
        s->HaltOut = FALSE;
    return BotIoOk;
}

static BOT_IO SimReset(PVOID Context)
{
    BOT_SIM *s = Context;

    if (s->Gone)
        return BotIoGone;
    SimLog(s, "reset");
    s->Resets++;
    if (s->ResetFails > 0) {
        s->ResetFails--;
        return BotIoStall;
    }
    s->State = SimExpectCbw;
    return BotIoOk;
}

static BOT_IO SimPortReset(PVOID Context)
{
    BOT_SIM *s = Context;

    if (s->Gone)
        return BotIoGone;
    SimLog(s, "port-reset");
    s->PortResets++;
    if (s->PortResetFails > 0) {
        s->PortResetFails--;
        return BotIoTimeout;
    }
    s->State = SimExpectCbw;
    s->HaltIn = s->HaltOut = FALSE;
    return BotIoOk;
}

const BOT_OPS BotSimOps = { SimBulk, SimClearHalt, SimReset, SimPortReset };
