/* error.c - error recovery (AHCI 6.2.2): after a task file error, a host
 * bus/interface error or a timeout, stop the port, clear PxSERR/PxIS, get
 * BSY/DRQ down (CLO or COMRESET), restart, find the guilty command
 * (PxCMD.CCS, the NCQ Command Error log page 10h, ACS-3 A.14, or by
 * re-issuing the suspects one at a time), fail it with sense and re-issue
 * the others.
 *
 * What counts as done: only a command whose PxCI and PxSACT bits the HBA
 * cleared before recovery began (an SDB FIS or D2H FIS that said so).
 * Bits that vanish when PxCMD.ST goes to 0 (AHCI 3.3.13/3.3.14) mean
 * nothing: the command is taken back, not finished.
 *
 * QEMU (hw/ide/ahci.c, 7.2 with the 8.1 AHCI fixes as Debian ships it):
 * clearing ST clears PxSACT/PxCI but does not stop NCQ requests already
 * handed to the block layer; they go on, DMA into the buffers their PRDTs
 * named and, when they end, post an SDB FIS whose ACT bits clear PxSACT
 * bits of whatever command then holds those tags.  A tag re-issued while
 * its old request runs is refused ("tag already used"), its PxCI bit stays
 * set and the old request's SDB FIS later clears its PxSACT bit: a read
 * "completes" without its data.  Only COMRESET (ahci_reset_port) waits for
 * or cancels them -- and with FIS reception off it keeps the tags of those
 * that ended meanwhile as finished and applies them to the next SDB FIS.
 * Hence: after an NCQ error no slot is re-issued and no outstanding
 * command completed before a COMRESET with FRE on (unless the log page
 * named the failed tag: a real device aborts the whole queue on an NCQ
 * error, SATA 3.5 13.6.3.5). */
#include "ahcip.h"

/* Reads log page 10h; returns the failed tag or -1 (and the task file the
 * log recorded).  Engine running, nothing issued. */
static LONG AhciReadNcqErrorLog(PAHCI_PORT Port, PUCHAR Status, PUCHAR Error)
{
    SATL_ATA_COMMAND log = { 0 };
    UCHAR sts, err;

    if (!Port->Device.Gpl)
        return -1;
    log.Command = ATA_CMD_READ_LOG_EXT;
    log.Protocol = SatlProtocolPioIn;
    log.Lba = ATA_LOG_NCQ_COMMAND_ERROR;
    log.Count = 1;
    log.Lba48 = TRUE;
    log.Device = ATA_DEV_LBA;
    log.TransferBytes = 512;
    if (!NT_SUCCESS(AhciExecuteInternal(Port, &log, &sts, &err)))
        return -1;
    if (Port->Internal[0] & ATA_NCQ_LOG_NQ)
        return -1;      /* the error was not in a queued command */
    *Status = Port->Internal[ATA_NCQ_LOG_STATUS];
    *Error = Port->Internal[ATA_NCQ_LOG_ERROR];
    return Port->Internal[0] & ATA_NCQ_LOG_TAG_MASK;
}

/* Engine stopped.  COMRESET with FIS reception left on, as Linux's
 * hardreset does (ahci_do_hardreset): an HBA that ends commands during the
 * reset (QEMU waits for its NCQ requests inside it) then posts their SDB
 * FIS at once instead of keeping their tags for the next one.  Waits for
 * the device to come ready on the reset ladder's schedule (port.c
 * AhciPortHardReset): up to ~60 s of spinning with the port lock held at
 * DISPATCH_LEVEL until the kernel's work items let it move to a worker. */
static VOID AhciFullReset(PAHCI_PORT Port)
{
    if (!AhciPortHardReset(Port))
        DbgPrint("ahci%u: port %u: device not ready (TFD=%08x SSTS=%08x) after %u resets\n",
                 Port->Controller->Number, Port->Index, AhciRead(Port->Regs, AHCI_PxTFD),
                 AhciRead(Port->Regs, AHCI_PxSSTS), AHCI_RESET_TRIES);
}

/* After a reset the interrupt bits the ISR collected meanwhile belong to
 * the commands just taken back (QEMU raises SDBS/TFES/DHRS as it ends
 * them inside the COMRESET); acting on them would start a recovery of the
 * commands re-issued next.  PxIS is cleared by the caller. */
static VOID AhciForgetInterrupts(PAHCI_PORT Port)
{
    __atomic_and_fetch(&Port->PendingIs, AHCI_PENDING_IS_SEEN, __ATOMIC_RELAXED);
}

static BOOLEAN AhciOneBit(ULONG v) { return v && !(v & (v - 1)); }

/* 10.4.3: GHC.HR resets every port, so each is set up again: registers
 * (AhciPortProgram), a COMRESET and wait for its disk, its engine and
 * interrupt enables.  The other ports' issued commands were dropped by the
 * reset and go again (no retry spent: they did nothing wrong).  Their locks
 * are taken in index order with Locked's held: recovery is the only path
 * that holds two port locks.  DISPATCH_LEVEL; spins for the resets (a
 * worker's job once the kernel has work items, as AhciPortHardReset). */
static VOID AhciHbaRecover(PAHCI_PORT Locked, PLIST_ENTRY Done)
{
    PAHCI_CONTROLLER ctrl = Locked->Controller;

    AHCI_ASSERT_LOCKED(Locked);
    Locked->HbaResets++;
    AhciWrite(ctrl->Abar, AHCI_GHC, AhciRead(ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);
    if (!NT_SUCCESS(AhciHbaReset(ctrl)))
        DbgPrint("ahci%u: HBA reset failed; ports set up again anyway\n", ctrl->Number);
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = ctrl->Ports[p];
        if (!port)
            continue;
        if (port != Locked)
            KeAcquireSpinLockAtDpcLevel(&port->Lock);
        AhciPortProgram(port);
        BOOLEAN ready = port->State == AhciPortReady && AhciPortHardReset(port);
        AhciWrite(port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
        AhciWrite(port->Regs, AHCI_PxIS, 0xFFFFFFFF);
        AhciForgetInterrupts(port);
        if (port->Mode != NtstorAhciModePoll)
            AhciWrite(port->Regs, AHCI_PxIE, AHCI_PxIE_DEFAULT);
        if (port != Locked) {
            ULONG out = port->Issued;
            port->Issued = port->NcqIssued = port->Deferred = 0;
            if (ready)
                AhciPortStartEngine(port);
            for (ULONG b = out; b; b &= b - 1) {
                ULONG s = (ULONG)__builtin_ctz(b);
                if (ready && port->Slots[s].Srb)
                    AhciReissueSlot(port, s, Done);
                else
                    AhciCompleteSlot(port, s, SRB_STATUS_BUS_RESET, NULL, Done);
            }
            KeReleaseSpinLockFromDpcLevel(&port->Lock);
        }
    }
    if (ctrl->Source != NtstorAhciModePoll)
        AhciWrite(ctrl->Abar, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);
}

/* 10.1.2: CR must clear within 500 ms of ST going to 0.  An engine that
 * will not stop is escalated, as Linux (ahci_kick_engine, then libata-eh's
 * hardreset) and storahci (port reset, then adapter reset) do: a COMRESET,
 * which makes some HBAs let go of the list, then an HBA reset.  *Reset
 * says whether the link was reset on the way.  FALSE if CR is still set
 * after all of it. */
static BOOLEAN AhciStopEngineEscalating(PAHCI_PORT Port, PBOOLEAN Reset, PLIST_ENTRY Done)
{
    if (AhciPortStopEngine(Port))
        return TRUE;
    DbgPrint("ahci%u: port %u: command engine stuck (PxCMD=%08x): COMRESET\n",
             Port->Controller->Number, Port->Index, AhciRead(Port->Regs, AHCI_PxCMD));
    *Reset = TRUE;
    AhciPortHardReset(Port);
    if (AhciPortStopEngine(Port))
        return TRUE;
    DbgPrint("ahci%u: port %u: command engine stuck through COMRESET (PxCMD=%08x): HBA reset\n",
             Port->Controller->Number, Port->Index, AhciRead(Port->Regs, AHCI_PxCMD));
    AhciHbaRecover(Port, Done);
    if (!(AhciRead(Port->Regs, AHCI_PxCMD) & AHCI_PxCMD_CR))
        return TRUE;
    DbgPrint("ahci%u: port %u: command engine stuck through an HBA reset: port failed\n",
             Port->Controller->Number, Port->Index);
    return FALSE;
}

/* A queued command failed and the drive did not say which (no log page,
 * or a timeout): one chance, then NCQ goes off for the port.  The commands
 * outstanding are rewritten to their non-queued form by the caller. */
static BOOLEAN AhciNcqFailed(PAHCI_PORT Port)
{
    ULONG64 now = AhciNow();

    if (!Port->UseNcq)
        return FALSE;
    if (!Port->NcqFailures || now - Port->NcqFailureAt > AhciMs(AHCI_NCQ_FAILURE_WINDOW_MS)) {
        Port->NcqFailures = 0;
        Port->NcqFailureAt = now;
    }
    if (++Port->NcqFailures < AHCI_NCQ_FAILURES_OFF)
        return FALSE;
    Port->UseNcq = FALSE;
    Port->Device.NcqDepth = 0;
    AhciQuirkApply(Port->Controller, Port, NTSTOR_AHCI_QUIRK_NCQ_FAILING,
                   "queued commands kept failing without the drive naming them: NCQ off");
    AhciQuirkApply(Port->Controller, Port, NTSTOR_AHCI_QUIRK_NO_NCQ, "after ncq-failing");
    return TRUE;
}

VOID AhciRecoverPort(PAHCI_PORT Port, ULONG PortIs, ULONG TimedOut, PLIST_ENTRY Done)
{
    ULONG ci = AhciRead(Port->Regs, AHCI_PxCI);
    ULONG sact = AhciRead(Port->Regs, AHCI_PxSACT);
    ULONG tfd = AhciRead(Port->Regs, AHCI_PxTFD);
    ULONG serr = AhciRead(Port->Regs, AHCI_PxSERR);
    ULONG ccs = (AhciRead(Port->Regs, AHCI_PxCMD) & AHCI_PxCMD_CCS_MASK) >> AHCI_PxCMD_CCS_SHIFT;
    UCHAR sts = (UCHAR)(tfd & AHCI_PxTFD_STS_MASK);
    UCHAR err = (UCHAR)((tfd & AHCI_PxTFD_ERR_MASK) >> AHCI_PxTFD_ERR_SHIFT);
    ULONG active, outstanding, ncq, unsent, sent, guilty = 0, finished;
    ULONG nonQueued = Port->Issued & ~Port->NcqIssued;
    BOOLEAN reset = FALSE, isolate = FALSE, ncqOff = FALSE;
    ULONG held = 0;
    LONG tag = -1;
    SATL_SENSE sense;

    AHCI_ASSERT_LOCKED(Port);

    Port->Errors++;
    Port->InRecovery = TRUE;
    DbgPrint("ahci%u: port %u: recovery: PxIS=%08x timed_out=%08x CI=%08x SACT=%08x TFD=%08x "
             "SERR=%08x CCS=%u\n", Port->Controller->Number, Port->Index, PortIs, TimedOut, ci,
             sact, tfd, serr, ccs);

    /* Commands the device reported done before the error stand.  A slot
     * prepared but never rung (Deferred) reached no HBA: not done. */
    unsent = Port->Deferred & Port->Issued;
    Port->Deferred = 0;
    sent = Port->Issued & ~unsent;
    active = ci | (Port->NcqIssued ? sact : 0);
    finished = sent & ~active & ~TimedOut;
    /* A task file error ends the non-queued command even where the HBA
     * cleared its PxCI bit (QEMU does): it failed, it did not finish. */
    if (PortIs & AHCI_PxIS_TFES)
        finished &= ~nonQueued;
    for (ULONG b = finished; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_SUCCESS, NULL, Done);
    outstanding = Port->Issued;
    ncq = Port->NcqIssued & outstanding;

    /* 6.2.2.1/6.2.2.2: ST off (escalated if the engine will not stop),
     * clear errors, unbusy. */
    if (!AhciStopEngineEscalating(Port, &reset, Done)) {
        AhciPortSetState(Port, AhciPortFailed);
        for (ULONG b = Port->Issued | Port->Held; b; b &= b - 1)
            AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_ERROR, NULL, Done);
        Port->Held = 0;
        Port->InRecovery = FALSE;
        return;
    }
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (TimedOut || (PortIs & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS)) ||
        !AhciPortClearBusy(Port)) {
        AhciFullReset(Port);
        reset = TRUE;
    }

    if ((PortIs & AHCI_PxIS_TFES) && !TimedOut && (ncq & sent)) {
        /* 6.2.2.2: the log page names the failed tag, and reading it takes
         * the device out of its NCQ error state (ACS-3 A.14). */
        if (!reset) {
            AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
            AhciPortStartEngine(Port);
            tag = AhciReadNcqErrorLog(Port, &sts, &err);
            AhciPortStopEngine(Port);
        }
        /* Unexplained only when no single command can be blamed: a
         * failure the log page names, or the only command out (as during
         * isolation), is that command's (a bad sector), not NCQ's -- and it
         * explains the failure that started the isolation, so the count
         * starts over.  Otherwise a disk with one bad sector would lose NCQ
         * after its second read of it. */
        if (tag >= 0 || AhciOneBit(ncq & sent))
            Port->NcqFailures = 0;
        else if (AhciNcqFailed(Port))
            ncqOff = TRUE;
        /* Without it only a COMRESET ends the error state (QEMU otherwise
         * repeats ERR in the D2H FIS of the next NCQ command it accepts)
         * and only a COMRESET makes sure no taken-back command still runs. */
        if (tag < 0 && !reset) {
            AhciFullReset(Port);
            reset = TRUE;
        }
        if (tag >= 0 && (sent & (1u << tag))) {
            guilty = 1u << tag;
        } else if (AhciOneBit(ncq & sent)) {
            guilty = ncq & sent;        /* the only one the device had */
        } else if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) &&
                   (serr & ncq & sent)) {
            /* Older QEMU: no TFES, PxSERR holds the failed tags, and the
             * task file may already show a later success. */
            guilty = serr & ncq & sent;
            if (!(sts & ATA_STS_ERR)) {
                sts = ATA_STS_DRDY | ATA_STS_ERR;
                err = ATA_ERR_ABRT;
            }
        } else {
            /* Nobody to blame on evidence: re-issue them one at a time
             * (NCQ depth 1), so the next failure names its command. */
            isolate = TRUE;
        }
    } else if ((PortIs & AHCI_PxIS_TFES) && !TimedOut) {
        if (nonQueued & outstanding)
            guilty = nonQueued & outstanding;   /* at most one: nothing joins it */
        else if (outstanding & (1u << ccs))
            guilty = 1u << ccs;
        else
            guilty = outstanding & sent;
    } else if (TimedOut) {
        guilty = TimedOut & outstanding;
        if ((TimedOut & ncq) && AhciNcqFailed(Port))
            ncqOff = TRUE;
    }
    /* Host bus and interface errors are no command's fault: retry them all. */

    /* The device must not keep ERR in its status: QEMU reports it again
     * with the next NCQ command it accepts, which would be blamed. */
    if (!reset && Port->UseNcq && (AhciRead(Port->Regs, AHCI_PxTFD) & ATA_STS_ERR)) {
        AhciFullReset(Port);
        reset = TRUE;
    }
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (reset)
        AhciForgetInterrupts(Port);
    AhciPortStartEngine(Port);
    Port->Issued = 0;
    Port->NcqIssued = 0;

    /* NCQ just went off: what goes again goes non-queued. */
    if (ncqOff)
        for (ULONG b = outstanding | Port->Held; b; b &= b - 1)
            SatlFpdmaToDma(&Port->Slots[__builtin_ctz(b)].Ata);
    for (ULONG b = outstanding; b; b &= b - 1) {
        ULONG s = (ULONG)__builtin_ctz(b);
        PAHCI_SLOT slot = &Port->Slots[s];
        if (guilty & (1u << s)) {
            if (TimedOut & (1u << s)) {
                DbgPrint("ahci%u: port %u: command %02x in slot %u timed out\n",
                         Port->Controller->Number, Port->Index, slot->Ata.Command, s);
                AhciCompleteSlot(Port, s, SRB_STATUS_TIMEOUT, NULL, Done);
            } else {
                SatlSenseFromAta(&Port->Device, &slot->Ata, sts, err, &sense);
                DbgPrint("ahci%u: port %u: command %02x lba %llu failed: status %02x error %02x "
                         "-> sense %x/%02x/%02x\n", Port->Controller->Number, Port->Index,
                         slot->Ata.Command, (unsigned long long)slot->Ata.Lba, sts, err,
                         sense.Key, sense.Asc, sense.Ascq);
                AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, &sense, Done);
            }
            continue;
        }
        /* Never sent, or taken back to be tried alone: no retry spent. */
        if (!(unsent & (1u << s)) && !isolate && ++slot->Retries > AHCI_MAX_RETRIES) {
            if (slot->Srb)
                DbgPrint("ahci%u: port %u: command %02x lba %llu failed: still failing after %u "
                         "retries (status %02x error %02x) -> sense b/00/00\n",
                         Port->Controller->Number, Port->Index, slot->Ata.Command,
                         (unsigned long long)slot->Ata.Lba, AHCI_MAX_RETRIES, sts, err);
            SatlSetSense(&sense, SCSI_SENSE_ABORTED_COMMAND, 0, 0);
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, &sense, Done);
        } else if (!slot->Srb) {
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, NULL, Done);    /* internal: caller polls */
        } else if (isolate || Port->Held) {
            Port->Held |= 1u << s;      /* AhciStartPending issues them one by one */
            held++;
        } else {
            AhciReissueSlot(Port, s, Done);
        }
    }
    /* An isolated command was blamed: the others held were not part of
     * that error and go back together.  (Another failure among them starts
     * a new isolation.) */
    if (!isolate && (guilty & ~TimedOut) && Port->Held) {
        for (ULONG b = Port->Held; b; b &= b - 1) {
            ULONG s = (ULONG)__builtin_ctz(b);
            Port->Held &= ~(1u << s);
            AhciReissueSlot(Port, s, Done);
        }
    }
    if (isolate)
        DbgPrint("ahci%u: port %u: NCQ error with %u commands out and no log page: re-issuing "
                 "them one at a time\n", Port->Controller->Number, Port->Index,
                 held);
    Port->InRecovery = FALSE;
}

VOID AhciResetPort(PAHCI_PORT Port)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    DbgPrint("ahci%u: port %u: reset requested\n", Port->Controller->Number, Port->Index);
    AhciPortStopEngine(Port);
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciFullReset(Port);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciPortStartEngine(Port);
    AhciForgetInterrupts(Port);
    for (ULONG b = Port->Issued | Port->Held; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_BUS_RESET, NULL, &done);
    AhciStartPending(Port, &done);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
}
