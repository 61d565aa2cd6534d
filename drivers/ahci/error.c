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
 * error, SATA 3.5 13.6.3.5).
 *
 * Recovery is a sequence of steps (libata-eh's order: freeze, reset, find
 * the culprit, retry), each its own function:
 *   AhciRecoverBegin    lock held: snapshot, credit what finished, take
 *                       the rest back from the port's bookkeeping
 *   AhciRecoverQuiet    lock held, bounded (500 ms each): engine off,
 *                       PxSERR/PxIS cleared, CLO.  TRUE when that is all
 *   AhciRecoverReset    the long steps: the stuck-engine escalation (up to
 *                       an HBA reset), the reset ladder (10/10/35 s), READ
 *                       LOG EXT 10h.  PASSIVE_LEVEL in the worker, no lock
 *   AhciRecoverBlame    lock held: which command failed
 *   AhciRecoverRequeue  lock held: fail it, re-issue or hold the others
 * A task file error on a non-queued command with CLO working (the common
 * case on a port without NCQ) runs all of it inline; anything needing a
 * reset or the log page is handed to the controller's worker (worker.c)
 * with the port InRecovery, its interrupt enables off (Linux's freeze:
 * the COMRESET's PCS/PRCS must not look like a departing disk) and new
 * requests waiting in Pending.  Without a worker (no work item, a stopping
 * controller) the long steps run inline as they did before the kernel had
 * threads. */
#include "ahcip.h"

/* Engine stopped.  COMRESET with FIS reception left on, as Linux's
 * hardreset does (ahci_do_hardreset): an HBA that ends commands during the
 * reset (QEMU waits for its NCQ requests inside it) then posts their SDB
 * FIS at once instead of keeping their tags for the next one.  Waits for
 * the device to come ready on the reset ladder's schedule (port.c
 * AhciPortHardReset): up to ~60 s, so PASSIVE_LEVEL in the worker. */
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
    InterlockedAnd(&Port->PendingIs, AHCI_PENDING_IS_SEEN);
}

static BOOLEAN AhciOneBit(ULONG v) { return v && !(v & (v - 1)); }

/* Lock held.  The port leaves recovery: the worker's ownership ends, its
 * interrupt enables come back, waiters wake. */
static VOID AhciRecoverEnd(PAHCI_PORT Port)
{
    AHCI_ASSERT_LOCKED(Port);
    if (Port->Rec.Frozen) {
        Port->Rec.Frozen = FALSE;
        AhciPortEnableInterrupts(Port);
        KeSetEvent(&Port->RecoveryIdle, IO_NO_INCREMENT, FALSE);
    }
    Port->InRecovery = FALSE;
}

/* Lock held.  Another port of the controller lends itself to an HBA reset
 * (AhciHbaRecover): InRecovery and frozen like a port whose own recovery
 * went to the worker, its commands taken back into Rec.  FALSE if it is
 * in a recovery of its own already (the worker will finish that one). */
static BOOLEAN AhciBorrowPort(PAHCI_PORT Port)
{
    AHCI_ASSERT_LOCKED(Port);
    if (Port->InRecovery)
        return FALSE;
    RtlZeroMemory(&Port->Rec, sizeof(Port->Rec));
    Port->InRecovery = TRUE;
    Port->Rec.Frozen = TRUE;
    KeClearEvent(&Port->RecoveryIdle);
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    Port->Rec.Outstanding = Port->Issued;
    Port->Issued = Port->NcqIssued = Port->Deferred = 0;
    return TRUE;
}

/* 10.4.3: GHC.HR resets every port, so each is set up again: registers
 * (AhciPortProgram), a COMRESET and wait for its disk, its engine and
 * interrupt enables.  The other ports are borrowed first (each under its
 * own lock, one at a time), so nothing is issued to them while the HBA
 * resets and the ladder waits, with no lock held; their commands were
 * dropped by the reset and go again (no retry spent: they did nothing
 * wrong).  A port already in a recovery of its own gets its registers back
 * and is left to that recovery.  Failing's own commands stay in its Rec.
 * PASSIVE_LEVEL in the worker (no port lock held); inline only when there
 * is no worker, then with Failing's lock held. */
static VOID AhciHbaRecover(PAHCI_PORT Failing, PLIST_ENTRY Done)
{
    PAHCI_CONTROLLER ctrl = Failing->Controller;
    ULONG borrowed = 0, ready = 0;
    KIRQL irql;

    Failing->HbaResets++;
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = ctrl->Ports[p];
        if (!port || port == Failing)
            continue;
        KeAcquireSpinLock(&port->Lock, &irql);
        if (AhciBorrowPort(port))
            borrowed |= 1u << p;
        KeReleaseSpinLock(&port->Lock, irql);
    }
    AhciWrite(ctrl->Abar, AHCI_GHC, AhciRead(ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);
    if (!NT_SUCCESS(AhciHbaReset(ctrl)))
        DbgPrint("ahci%u: HBA reset failed; ports set up again anyway\n", ctrl->Number);
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = ctrl->Ports[p];
        if (!port)
            continue;
        AhciPortProgram(port);
        if ((port == Failing || (borrowed & (1u << p))) && port->State == AhciPortReady &&
            AhciPortHardReset(port))
            ready |= 1u << p;
        AhciWrite(port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
        AhciWrite(port->Regs, AHCI_PxIS, 0xFFFFFFFF);
        AhciForgetInterrupts(port);
        /* A frozen port gets its enables back when its recovery ends. */
        if (!port->Rec.Frozen)
            AhciPortEnableInterrupts(port);
    }
    for (ULONG b = borrowed; b; b &= b - 1) {
        ULONG p = (ULONG)__builtin_ctz(b);
        PAHCI_PORT port = ctrl->Ports[p];
        KeAcquireSpinLock(&port->Lock, &irql);
        ULONG outstanding = port->Rec.Outstanding;
        port->Rec.Outstanding = 0;
        AhciRecoverEnd(port);
        if (!(ready & (1u << p))) {
            /* Its reset ladder failed: nothing more for it, pending
             * requests included. */
            for (ULONG o = outstanding; o; o &= o - 1)
                AhciCompleteSlot(port, (ULONG)__builtin_ctz(o), SRB_STATUS_BUS_RESET, NULL, Done);
            if (port->State == AhciPortReady)
                AhciPortGiveUp(port, AhciPortFailed, SRB_STATUS_ERROR, 0, Done);
        } else if (AhciPortRestartOrGiveUp(port, outstanding, Done)) {
            for (ULONG o = outstanding; o; o &= o - 1) {
                ULONG s = (ULONG)__builtin_ctz(o);
                if (port->Slots[s].Srb)
                    AhciReissueSlot(port, s, Done);
                else
                    AhciCompleteSlot(port, s, SRB_STATUS_BUS_RESET, NULL, Done);
            }
            AhciStartPending(port, Done);
        }
        KeReleaseSpinLock(&port->Lock, irql);
    }
    if (ctrl->Source != NtstorAhciModePoll)
        AhciWrite(ctrl->Abar, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);
}

/* 10.1.2: CR must clear within 500 ms of ST going to 0.  An engine that
 * will not stop is escalated, as Linux (ahci_kick_engine, then libata-eh's
 * hardreset) and storahci (port reset, then adapter reset) do: a COMRESET,
 * which makes some HBAs let go of the list, then an HBA reset.  *Reset
 * says whether the link was reset on the way.  FALSE if CR is still set
 * after all of it.  The long steps: the worker's. */
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

/* Step 1, lock held.  Commands the device reported done before the error
 * stand; the rest are taken back into Port->Rec (Issued becomes 0, so no
 * reaping path can mistake them for finished while recovery runs). */
static VOID AhciRecoverBegin(PAHCI_PORT Port, ULONG PortIs, ULONG TimedOut, PLIST_ENTRY Done)
{
    PAHCI_RECOVERY rec = &Port->Rec;
    ULONG ci = AhciRead(Port->Regs, AHCI_PxCI);
    ULONG sact = AhciRead(Port->Regs, AHCI_PxSACT);
    ULONG tfd = AhciRead(Port->Regs, AHCI_PxTFD);
    ULONG serr = AhciRead(Port->Regs, AHCI_PxSERR);
    ULONG ccs = (AhciRead(Port->Regs, AHCI_PxCMD) & AHCI_PxCMD_CCS_MASK) >> AHCI_PxCMD_CCS_SHIFT;
    ULONG nonQueued = Port->Issued & ~Port->NcqIssued;
    ULONG unsent, sent, active, finished;

    AHCI_ASSERT_LOCKED(Port);
    /* The caller's bits may not be all there is: a reset the host asked
     * for (AhciResetPort) brings none, and an error the device reported
     * since -- in PxIS, or taken by the ISR for its DPC -- decides whether
     * a command that left PxCI finished or failed (the device-side
     * fuzzer's seed issue14-dev-poll-reset-after-unseen-error).  The error
     * bits the ISR left for its DPC are this recovery's and are taken: left
     * there, they would fail the next innocent non-queued completion
     * (AhciReapLocked looks at PendingIs) and start a recovery of nothing. */
    PortIs |= (AhciRead(Port->Regs, AHCI_PxIS) |
               __atomic_fetch_and(&Port->PendingIs, ~AHCI_PxIS_ERRORS, __ATOMIC_ACQ_REL)) &
              AHCI_PxIS_ERRORS;

    Port->InRecovery = TRUE;
    DbgPrint("ahci%u: port %u: recovery: PxIS=%08x timed_out=%08x CI=%08x SACT=%08x TFD=%08x "
             "SERR=%08x CCS=%u\n", Port->Controller->Number, Port->Index, PortIs, TimedOut, ci,
             sact, tfd, serr, ccs);
    RtlZeroMemory(rec, sizeof(*rec));
    rec->PortIs = PortIs;
    rec->TimedOut = TimedOut;
    rec->Serr = serr;
    rec->Ccs = ccs;
    rec->Sts = (UCHAR)(tfd & AHCI_PxTFD_STS_MASK);
    rec->Err = (UCHAR)((tfd & AHCI_PxTFD_ERR_MASK) >> AHCI_PxTFD_ERR_SHIFT);
    rec->Tag = -1;

    /* A slot prepared but never rung (Deferred) reached no HBA: not done. */
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
    rec->Outstanding = Port->Issued;
    rec->Ncq = Port->NcqIssued & rec->Outstanding;
    rec->NonQueued = nonQueued & rec->Outstanding;
    rec->Unsent = unsent & rec->Outstanding;
    Port->Issued = Port->NcqIssued = 0;
}

/* Step 2, lock held, bounded: 6.2.2.1 engine off (500 ms), errors
 * cleared, 6.2.2.2 BSY/DRQ down by CLO (500 ms).  TRUE when nothing long
 * is left: no reset (timeout, host bus/interface error, device still
 * busy, a stuck engine, QEMU's sticky ERR on an NCQ port) and no log page
 * to read. */
static BOOLEAN AhciRecoverQuiet(PAHCI_PORT Port)
{
    PAHCI_RECOVERY rec = &Port->Rec;

    AHCI_ASSERT_LOCKED(Port);
    if (!AhciPortStopEngine(Port))
        return FALSE;
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (rec->BusReset || rec->TimedOut ||
        (rec->PortIs & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS)))
        return FALSE;
    if (!AhciPortClo(Port))
        return FALSE;
    if ((rec->PortIs & AHCI_PxIS_TFES) && (rec->Ncq & ~rec->Unsent))
        return FALSE;
    /* The device must not keep ERR in its status: QEMU reports it again
     * with the next NCQ command it accepts, which would be blamed. */
    if (Port->UseNcq && (AhciRead(Port->Regs, AHCI_PxTFD) & ATA_STS_ERR))
        return FALSE;
    return TRUE;
}

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

/* Step 3, the long one: the worker's (PASSIVE_LEVEL, no lock; the port is
 * InRecovery so nobody else touches it), or inline without a worker.
 * Engine off however it takes, the reset ladder where the device needs
 * it, the NCQ log page where it can name the failed command. */
static VOID AhciRecoverReset(PAHCI_PORT Port, PLIST_ENTRY Done)
{
    PAHCI_RECOVERY rec = &Port->Rec;
    ULONG sent = rec->Outstanding & ~rec->Unsent;

    if (!AhciStopEngineEscalating(Port, &rec->Reset, Done)) {
        rec->Failed = TRUE;
        return;
    }
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (!rec->Reset &&
        (rec->BusReset || rec->TimedOut ||
         (rec->PortIs & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS)) ||
         !AhciPortClo(Port))) {
        AhciFullReset(Port);
        rec->Reset = TRUE;
    }
    if ((rec->PortIs & AHCI_PxIS_TFES) && !rec->TimedOut && (rec->Ncq & sent)) {
        /* 6.2.2.2: the log page names the failed tag, and reading it takes
         * the device out of its NCQ error state (ACS-3 A.14). */
        if (!rec->Reset) {
            AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
            AhciPortStartEngine(Port);
            rec->Tag = AhciReadNcqErrorLog(Port, &rec->Sts, &rec->Err);
            AhciPortStopEngine(Port);
        }
        /* Without it only a COMRESET ends the error state (QEMU otherwise
         * repeats ERR in the D2H FIS of the next NCQ command it accepts)
         * and only a COMRESET makes sure no taken-back command still runs. */
        if (rec->Tag < 0 && !rec->Reset) {
            AhciFullReset(Port);
            rec->Reset = TRUE;
        }
    }
    if (!rec->Reset && Port->UseNcq && (AhciRead(Port->Regs, AHCI_PxTFD) & ATA_STS_ERR)) {
        AhciFullReset(Port);
        rec->Reset = TRUE;
    }
}

/* Step 4, lock held: the slots to fail, on the evidence.  *Isolate: nobody
 * to blame, re-issue one at a time; *NcqOff: NCQ just went off. */
static ULONG AhciRecoverBlame(PAHCI_PORT Port, PBOOLEAN Isolate, PBOOLEAN NcqOff)
{
    PAHCI_RECOVERY rec = &Port->Rec;
    ULONG outstanding = rec->Outstanding, ncq = rec->Ncq, sent = outstanding & ~rec->Unsent;
    ULONG guilty = 0;

    AHCI_ASSERT_LOCKED(Port);
    if (rec->BusReset)
        return 0;
    if ((rec->PortIs & AHCI_PxIS_TFES) && !rec->TimedOut && (ncq & sent)) {
        /* Unexplained only when no single command can be blamed: a
         * failure the log page names, or the only command out (as during
         * isolation), is that command's (a bad sector), not NCQ's -- and it
         * explains the failure that started the isolation, so the count
         * starts over.  Otherwise a disk with one bad sector would lose NCQ
         * after its second read of it. */
        if (rec->Tag >= 0 || AhciOneBit(ncq & sent))
            Port->NcqFailures = 0;
        else if (AhciNcqFailed(Port))
            *NcqOff = TRUE;
        if (rec->Tag >= 0 && (sent & (1u << rec->Tag))) {
            guilty = 1u << rec->Tag;
        } else if (AhciOneBit(ncq & sent)) {
            guilty = ncq & sent;        /* the only one the device had */
        } else if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) &&
                   (rec->Serr & ncq & sent)) {
            /* Older QEMU: no TFES, PxSERR holds the failed tags, and the
             * task file may already show a later success. */
            guilty = rec->Serr & ncq & sent;
            if (!(rec->Sts & ATA_STS_ERR)) {
                rec->Sts = ATA_STS_DRDY | ATA_STS_ERR;
                rec->Err = ATA_ERR_ABRT;
            }
        } else {
            /* Nobody to blame on evidence: re-issue them one at a time
             * (NCQ depth 1), so the next failure names its command. */
            *Isolate = TRUE;
        }
    } else if ((rec->PortIs & AHCI_PxIS_TFES) && !rec->TimedOut) {
        if (rec->NonQueued)
            guilty = rec->NonQueued;    /* at most one: nothing joins it */
        else if (outstanding & (1u << rec->Ccs))
            guilty = 1u << rec->Ccs;
        else
            guilty = sent;
    } else if (rec->TimedOut) {
        guilty = rec->TimedOut & outstanding;
        if ((rec->TimedOut & ncq) && AhciNcqFailed(Port))
            *NcqOff = TRUE;
    }
    /* Host bus and interface errors are no command's fault: retry them all. */
    return guilty;
}

/* Step 5, lock held: the guilty fail with sense, the others go again
 * (held for one-at-a-time re-issue when isolating), the engine restarts. */
static VOID AhciRecoverRequeue(PAHCI_PORT Port, ULONG Guilty, BOOLEAN Isolate, BOOLEAN NcqOff,
                               PLIST_ENTRY Done)
{
    PAHCI_RECOVERY rec = &Port->Rec;
    ULONG outstanding = rec->Outstanding, held = 0;
    SATL_SENSE sense;

    AHCI_ASSERT_LOCKED(Port);
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    /* Errors the ISR recorded while the engine was off are the recovered
     * commands' (nothing new ran): they must not fail the next completion. */
    __atomic_fetch_and(&Port->PendingIs, ~AHCI_PxIS_ERRORS, __ATOMIC_ACQ_REL);
    /* Bits collected while the worker had the port belong to the recovery. */
    if (rec->Reset || rec->Frozen)
        AhciForgetInterrupts(Port);
    rec->Outstanding = 0;
    if (!AhciPortRestartOrGiveUp(Port, outstanding, Done))
        return;

    if (rec->BusReset) {
        for (ULONG b = outstanding | Port->Held; b; b &= b - 1)
            AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_BUS_RESET, NULL, Done);
        return;
    }
    /* NCQ just went off: what goes again goes non-queued. */
    if (NcqOff)
        for (ULONG b = outstanding | Port->Held; b; b &= b - 1)
            SatlFpdmaToDma(&Port->Slots[__builtin_ctz(b)].Ata);
    for (ULONG b = outstanding; b; b &= b - 1) {
        ULONG s = (ULONG)__builtin_ctz(b);
        PAHCI_SLOT slot = &Port->Slots[s];
        if (Guilty & (1u << s)) {
            if (rec->TimedOut & (1u << s)) {
                DbgPrint("ahci%u: port %u: command %02x in slot %u timed out\n",
                         Port->Controller->Number, Port->Index, slot->Ata.Command, s);
                AhciCompleteSlot(Port, s, SRB_STATUS_TIMEOUT, NULL, Done);
            } else {
                SatlSenseFromAta(&Port->Device, &slot->Ata, rec->Sts, rec->Err, &sense);
                DbgPrint("ahci%u: port %u: command %02x lba %llu failed: status %02x error %02x "
                         "-> sense %x/%02x/%02x\n", Port->Controller->Number, Port->Index,
                         slot->Ata.Command, (unsigned long long)slot->Ata.Lba, rec->Sts,
                         rec->Err, sense.Key, sense.Asc, sense.Ascq);
                AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, &sense, Done);
            }
            continue;
        }
        /* Never sent, or taken back to be tried alone: no retry spent. */
        if (!(rec->Unsent & (1u << s)) && !Isolate && ++slot->Retries > AHCI_MAX_RETRIES) {
            if (slot->Srb)
                DbgPrint("ahci%u: port %u: command %02x lba %llu failed: still failing after %u "
                         "retries (status %02x error %02x) -> sense b/00/00\n",
                         Port->Controller->Number, Port->Index, slot->Ata.Command,
                         (unsigned long long)slot->Ata.Lba, AHCI_MAX_RETRIES, rec->Sts,
                         rec->Err);
            SatlSetSense(&sense, SCSI_SENSE_ABORTED_COMMAND, 0, 0);
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, &sense, Done);
        } else if (!slot->Srb) {
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, NULL, Done);    /* internal: caller polls */
        } else if (Isolate || Port->Held) {
            Port->Held |= 1u << s;      /* AhciStartPending issues them one by one */
            held++;
        } else {
            AhciReissueSlot(Port, s, Done);
        }
    }
    /* An isolated command was blamed: the others held were not part of
     * that error and go back together.  (Another failure among them starts
     * a new isolation.) */
    if (!Isolate && (Guilty & ~rec->TimedOut) && Port->Held) {
        for (ULONG b = Port->Held; b; b &= b - 1) {
            ULONG s = (ULONG)__builtin_ctz(b);
            Port->Held &= ~(1u << s);
            AhciReissueSlot(Port, s, Done);
        }
    }
    if (Isolate)
        DbgPrint("ahci%u: port %u: NCQ error with %u commands out and no log page: re-issuing "
                 "them one at a time\n", Port->Controller->Number, Port->Index, held);
}

/* Lock held: steps 4 and 5, or the port's failure when the engine could
 * not be stopped; the port leaves recovery. */
static VOID AhciRecoverFinish(PAHCI_PORT Port, PLIST_ENTRY Done)
{
    BOOLEAN isolate = FALSE, ncqOff = FALSE;

    AHCI_ASSERT_LOCKED(Port);
    if (Port->Rec.Failed) {
        /* Pending requests too: nothing may reach a port whose engine is
         * off (they used to stay queued for the next AhciStartPending). */
        AhciPortGiveUp(Port, AhciPortFailed, SRB_STATUS_ERROR, Port->Rec.Outstanding, Done);
        Port->Rec.Outstanding = 0;
    } else {
        ULONG guilty = AhciRecoverBlame(Port, &isolate, &ncqOff);
        AhciRecoverRequeue(Port, guilty, isolate, ncqOff, Done);
    }
    AhciRecoverEnd(Port);
}

/* Lock held.  Hands steps 3-5 to the worker, the port frozen meanwhile.
 * FALSE when there is no worker to take them. */
static BOOLEAN AhciRecoverDefer(PAHCI_PORT Port)
{
    AHCI_ASSERT_LOCKED(Port);
    Port->Rec.Frozen = TRUE;
    KeClearEvent(&Port->RecoveryIdle);
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    if (AhciRequestWork(Port, FALSE))
        return TRUE;
    Port->Rec.Frozen = FALSE;
    KeSetEvent(&Port->RecoveryIdle, IO_NO_INCREMENT, FALSE);
    AhciPortEnableInterrupts(Port);
    return FALSE;
}

VOID AhciRecoverPort(PAHCI_PORT Port, ULONG PortIs, ULONG TimedOut, PLIST_ENTRY Done)
{
    AHCI_ASSERT_LOCKED(Port);
    ASSERT(!Port->InRecovery);

    Port->Errors++;
    AhciRecoverBegin(Port, PortIs, TimedOut, Done);
    if (AhciRecoverQuiet(Port)) {
        AhciRecoverFinish(Port, Done);
        return;
    }
    if (AhciRecoverDefer(Port)) {
        AhciDbg("ahci%u: port %u: recovery continues in the worker (%u command(s) held)\n",
                Port->Controller->Number, Port->Index, AhciPopCount(Port->Rec.Outstanding));
        return;
    }
    /* No worker: the long steps here, spinning, as before threads. */
    AhciRecoverReset(Port, Done);
    AhciRecoverFinish(Port, Done);
}

VOID AhciRecoverWorker(PAHCI_PORT Port)
{
    LIST_ENTRY done;
    KIRQL irql;
    BOOLEAN gone;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* it waits up to ~60 s */
    ASSERT(Port->InRecovery && Port->Rec.Frozen);
    InitializeListHead(&done);
    AhciRecoverReset(Port, &done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    AhciRecoverFinish(Port, &done);
    AhciStartPending(Port, &done);
    gone = Port->State == AhciPortReady && !AhciLinkPresent(AhciRead(Port->Regs, AHCI_PxSSTS));
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    /* The DPC left the link alone while the worker had the port (its
     * COMRESET raises PCS/PRCS): a disk that left meanwhile is seen here. */
    if (gone)
        AhciPortCheckLink(Port);
}

/* At PASSIVE_LEVEL the caller waits for the reset (the worker does it:
 * one place for every long wait); above it the reset is only started. */
VOID AhciResetPort(PAHCI_PORT Port)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    for (;;) {
        KeAcquireSpinLock(&Port->Lock, &irql);
        if (!Port->InRecovery)
            break;
        /* A recovery is running: the reset follows it. */
        KeReleaseSpinLock(&Port->Lock, irql);
        if (!AhciWaitRecovery(Port))
            return;     /* DISPATCH_LEVEL: that recovery resets the link anyway */
    }
    DbgPrint("ahci%u: port %u: reset requested\n", Port->Controller->Number, Port->Index);
    AhciRecoverBegin(Port, 0, 0, &done);
    Port->Rec.BusReset = TRUE;
    AhciPortStopEngine(Port);
    if (!AhciRecoverDefer(Port)) {
        AhciRecoverReset(Port, &done);
        AhciRecoverFinish(Port, &done);
        AhciStartPending(Port, &done);
    }
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    while (Port->InRecovery && AhciWaitRecovery(Port))
        ;
}
