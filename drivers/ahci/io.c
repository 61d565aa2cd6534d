/* io.c - issuing ATA commands: command FIS (SATA 10.5.5) and PRDT (AHCI
 * 4.2.3, from the port's DMA adapter's scatter/gather list: sglist.c) in
 * the slot's precomputed command table, slot bitmap, NCQ tags (tag = slot, AHCI 8.x), the pending
 * queue (non-NCQ commands wait for the queue to drain), the polled path. */
#include "ahcip.h"

static ULONG AhciTimeoutSeconds(PSCSI_REQUEST_BLOCK Srb)
{
    return (Srb && Srb->TimeOutValue) ? Srb->TimeOutValue : SRB_DEFAULT_TIMEOUT_SECONDS;
}

static inline VOID AhciBuildFis(FIS_REG_H2D *f, const SATL_ATA_COMMAND *a, ULONG Tag)
{
    f->FisType = FIS_TYPE_REG_H2D;
    f->PmPortC = FIS_H2D_C;
    f->Command = a->Command;
    f->FeatureLow = (UCHAR)a->Features;
    f->Lba0 = (UCHAR)a->Lba;
    f->Lba1 = (UCHAR)(a->Lba >> 8);
    f->Lba2 = (UCHAR)(a->Lba >> 16);
    f->Device = a->Device;
    f->Lba3 = a->Lba48 ? (UCHAR)(a->Lba >> 24) : 0;
    f->Lba4 = a->Lba48 ? (UCHAR)(a->Lba >> 32) : 0;
    f->Lba5 = a->Lba48 ? (UCHAR)(a->Lba >> 40) : 0;
    f->FeatureHigh = a->Lba48 ? (UCHAR)(a->Features >> 8) : 0;
    if (SatlIsFpdma(a)) {
        f->CountLow = (UCHAR)(Tag << ATA_NCQ_TAG_SHIFT);    /* ACS-3 7.21: tag in Count 7:3 */
        f->CountHigh = 0;
    } else {
        f->CountLow = (UCHAR)a->Count;
        f->CountHigh = a->Lba48 ? (UCHAR)(a->Count >> 8) : 0;
    }
    f->Icc = 0;
    f->Control = 0;
}

/* Appends [Pa, Pa+Bytes) to the PRDT, merging with the previous entry when
 * physically contiguous and the 4 MiB entry limit allows. */
static inline BOOLEAN AhciAddPrd(AHCI_PRD *Prdt, PULONG Count, ULONG64 Pa, ULONG Bytes,
                                 ULONG64 *End)
{
    ULONG n = *Count;

    if (n && *End == Pa) {
        ULONG have = (Prdt[n - 1].Dbc & AHCI_PRD_DBC_MASK) + 1;
        if (have + Bytes <= AHCI_PRD_MAX_BYTES) {
            Prdt[n - 1].Dbc = have + Bytes - 1;
            *End = Pa + Bytes;
            return TRUE;
        }
    }
    if (n >= AHCI_PRDT_ENTRIES)
        return FALSE;
    Prdt[n].Dba = (ULONG)Pa;
    Prdt[n].Dbau = (ULONG)(Pa >> 32);
    Prdt[n].Reserved = 0;
    Prdt[n].Dbc = Bytes - 1;
    *Count = n + 1;
    *End = Pa + Bytes;
    return TRUE;
}

NTSTATUS AhciBuildCommand(PAHCI_PORT Port, ULONG S, const SATL_ATA_COMMAND *Ata, PIRP Irp,
                          PVOID Buffer, BOOLEAN IsInternal)
{
    PAHCI_SLOT slot = &Port->Slots[S];
    ULONG bytes = Ata->TransferBytes, prds = 0;
    ULONG64 end = 0;

    AhciBuildFis((FIS_REG_H2D *)slot->Table->Cfis, Ata, S);

    if (bytes) {
        if (IsInternal || Ata->UseScratch) {
            /* Port DMA memory: contiguous, from the adapter's common buffer
             * (so within reach); no list needed. */
            ULONG64 pa = Port->DmaPa + (IsInternal ? AHCI_DMA_INTERNAL : AHCI_DMA_SCRATCH);
            AhciAddPrd(slot->Prdt, &prds, pa, bytes, &end);
        } else if ((ULONG_PTR)Buffer & 1) {
            DbgPrint("ahci%u: port %u: data buffer %p not word aligned (AHCI 4.2.3.3)\n",
                     Port->Controller->Number, Port->Index, Buffer);
            return STATUS_INVALID_PARAMETER;
        } else if (__builtin_expect(Irp != NULL, 1)) {
            /* Every SRB's data, with the IRP's MDL or without one: through
             * the port's DMA adapter (sglist.c). */
            NTSTATUS status = AhciSgBuild(Port, S, Irp, Buffer, bytes, SatlIsWrite(Ata), &prds);
            if (!NT_SUCCESS(status))
                return status;
        } else {
            /* No IRP: the driver's own buffer (the raw bench's), allocated
             * within the HBA's reach; it stays the port's raw loop, with no
             * list to hold or put back.  Each page resolved once, when the
             * loop builds its slots. */
            PUCHAR va = Buffer;
            ULONG left = bytes;
            while (left) {
                ULONG chunk = PAGE_SIZE - BYTE_OFFSET(va);
                ULONG64 pa = (ULONG64)MmGetPhysicalAddress(va).QuadPart;
                if (chunk > left)
                    chunk = left;
                if (!pa || pa + chunk > Port->DmaLimit ||
                    !AhciAddPrd(slot->Prdt, &prds, pa, chunk, &end)) {
                    DbgPrint("ahci%u: port %u: buffer of %u bytes needs more than %u PRD entries "
                             "or lies above the HBA's DMA limit\n", Port->Controller->Number,
                             Port->Index, bytes, AHCI_PRDT_ENTRIES);
                    return STATUS_INVALID_PARAMETER;
                }
                va += chunk;
                left -= chunk;
            }
        }
    }

    Port->CmdList[S].Flags = (ULONG)FIS_H2D_CFL_DWORDS |
                             (SatlIsWrite(Ata) ? AHCI_CMDH_WRITE : 0) |
                             (prds << AHCI_CMDH_PRDTL_SHIFT);
    Port->CmdList[S].Prdbc = 0;
    return STATUS_SUCCESS;
}

/* Lock held.  Slot S becomes issued for the driver's bookkeeping; the
 * HBA learns of it when the doorbell rings (AhciRingDoorbell). */
static VOID AhciPrepareSlot(PAHCI_PORT Port, ULONG S)
{
    ULONG bit = 1u << S;
    PAHCI_SLOT slot = &Port->Slots[S];

    AHCI_ASSERT_LOCKED(Port);

    slot->Deadline = AhciNow() + (ULONG64)AhciTimeoutSeconds(slot->Srb) * 10000000ull;
    Port->Issued |= bit;
    if (SatlIsFpdma(&slot->Ata)) {
        Port->NcqIssued |= bit;
    } else {
        /* The D2H FIS that ends this command tells success from failure
         * (AhciProcessPort); a stale one must not. */
        Port->Rfis[AHCI_RFIS_RFIS + 2] = 0;
    }
    Port->Deferred |= bit;
    if (__builtin_expect(slot->Irp && slot->Irp->NtstorProfile, 0)) {
        IoProfileStamp(slot->Irp, IO_PROFILE_PREPARED);
        Port->Profiled |= bit;
    }
}

/* bench profile=1: the doorbell of the profiled slots in Bits rang. */
static VOID AhciProfileRung(PAHCI_PORT Port, ULONG Bits)
{
    for (; Bits; Bits &= Bits - 1) {
        PIRP irp = Port->Slots[__builtin_ctz(Bits)].Irp;
        if (irp)
            IoProfileStamp(irp, IO_PROFILE_RUNG);
    }
}

/* Lock held.  AHCI 5.3.2 / 8.x: PxSACT before PxCI for NCQ; one write of
 * each for every slot prepared since the last ring.
 *
 * Not while the ISR has recorded an error the port's owner has not yet
 * taken (DESIGN.md's fault rule): the interrupt can land between a DPC's
 * take of PendingIs and its ring (on another CPU, or before the DPC's
 * lock).  The slots stay prepared; the DPC the ISR queued recovers the
 * port, which takes them back unsent.  (Poll mode's counterpart, where
 * no ISR records anything, is the look in AhciProcessPort.) */
VOID AhciRingDoorbell(PAHCI_PORT Port)
{
    ULONG bits = Port->Deferred, ncq = bits & Port->NcqIssued;

    AHCI_ASSERT_LOCKED(Port);

    if (!bits || AhciErrorPending(Port))
        return;
    Port->Deferred = 0;
    Port->Doorbells++;
    if (ncq)
        AhciWrite(Port->Regs, AHCI_PxSACT, ncq);
    AhciWrite(Port->Regs, AHCI_PxCI, bits);
    if (__builtin_expect(bits & Port->Profiled, 0))
        AhciProfileRung(Port, bits & Port->Profiled);
}

VOID AhciIssueSlot(PAHCI_PORT Port, ULONG S)
{
    AhciPrepareSlot(Port, S);
    AhciRingDoorbell(Port);
}

VOID AhciReissueSlot(PAHCI_PORT Port, ULONG S, PLIST_ENTRY Done)
{
    PAHCI_SLOT slot = &Port->Slots[S];

    AHCI_ASSERT_LOCKED(Port);

    if (NT_SUCCESS(AhciBuildCommand(Port, S, &slot->Ata, slot->Irp, slot->Srb->DataBuffer, FALSE)))
        AhciIssueSlot(Port, S);
    else
        AhciCompleteSlot(Port, S, SRB_STATUS_ERROR, NULL, Done);
}

/* Lock held.  Issues pending IRPs in order while slots and the NCQ rules
 * allow; requests answered without the device complete at once.
 *
 * Doorbell batching (docs/performance.md): under QEMU each PxCI write
 * costs several microseconds of device-model work in the vCPU (and a
 * main-loop wake-up), so in poll mode the slots of IRPs whose originator
 * polls (IRP_NTSTOR_POLLED) are only prepared here and rung together by
 * the next look (AhciPollLook) -- or at once by AhciSubmitSrb when nothing
 * else is in flight, so queue depth 1 waits for nothing.  Any other IRP
 * rings at once, with whatever was deferred before it.  Every path that
 * compares Issued with PxCI/PxSACT rings first (AhciProcessPort,
 * AhciPollLook), so a deferred slot is never taken for a finished one. */
VOID AhciStartPending(PAHCI_PORT Port, PLIST_ENTRY Done)
{
    SATL_OPTIONS opt = { Port->UseNcq, Port->Scratch, AHCI_SCRATCH_SIZE };
    SATL_RESULT r;
    BOOLEAN ring = FALSE;

    AHCI_ASSERT_LOCKED(Port);

    /* Commands recovery could not pin an NCQ error on go back one at a
     * time, alone (even on a quiesced port: they were taken before), so a
     * failure among them is its own command's; new requests wait. */
    while (Port->Held && !Port->Issued && !Port->InRecovery) {
        ULONG s = (ULONG)__builtin_ctz(Port->Held);
        Port->Held &= ~(1u << s);
        AhciReissueSlot(Port, s, Done);
    }
    if (Port->Held)
        return;

    /* DESIGN.md's fault rule: after an error, nothing new goes to the
     * device until recovery has run.  The ISR records what it saw in
     * PendingIs; its DPC runs recovery and then starts what waits. */
    if (AhciErrorPending(Port))
        return;
    while (!IsListEmpty(&Port->Pending) && !Port->InRecovery && !Port->Quiesced && !Port->SgStalled) {
        PIRP irp = CONTAINING_RECORD(Port->Pending.Flink, IRP, Tail.Overlay.ListEntry);
        PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(irp)->Parameters.Scsi.Srb;

        if (AhciPopCount(Port->Issued) >= Port->QueueDepth)
            break;
        /* The TRIM ranges go to the one scratch buffer: only on an idle port. */
        if (srb->Cdb[0] == SCSIOP_UNMAP && Port->Issued)
            break;
        SatlTranslate(&Port->Device, &opt, srb->Cdb, srb->CdbLength, srb->DataBuffer,
                      srb->DataTransferLength, &r);
        if (r.Action == SatlActionComplete) {
            RemoveEntryList(&irp->Tail.Overlay.ListEntry);
            AhciCompleteSrb(irp, srb, r.DataLength < srb->DataTransferLength ?
                            SRB_STATUS_DATA_OVERRUN : SRB_STATUS_SUCCESS, NULL, r.DataLength, Done);
            continue;
        }
        if (r.Action == SatlActionCheckCondition) {
            RemoveEntryList(&irp->Tail.Overlay.ListEntry);
            AhciCompleteSrb(irp, srb, SRB_STATUS_ERROR, &r.Sense, 0, Done);
            continue;
        }
        /* ATA 13.6 / AHCI 8.x: a non-queued command may not overlap queued
         * ones, and nothing joins a non-queued command. */
        if (Port->Issued && (!SatlIsFpdma(&r.Ata) || (Port->Issued & ~Port->NcqIssued)))
            break;

        ULONG free = ~Port->Issued & (Port->Controller->NumSlots == 32 ? 0xFFFFFFFFu :
                                      ((1u << Port->Controller->NumSlots) - 1));
        ULONG s = (ULONG)__builtin_ctz(free);
        PAHCI_SLOT slot = &Port->Slots[s];
        RemoveEntryList(&irp->Tail.Overlay.ListEntry);
        slot->Irp = irp;
        slot->Srb = srb;
        slot->Ata = r.Ata;
        slot->Retries = 0;
        slot->Internal = FALSE;
        NTSTATUS status = AhciBuildCommand(Port, s, &r.Ata, irp, srb->DataBuffer, FALSE);
        if (!NT_SUCCESS(status)) {
            slot->Irp = NULL;
            slot->Srb = NULL;
            /* Every map register is taken by this port's commands in
             * flight (sglist.c: the port's own adapter): the request keeps
             * its place at the head and is tried again once a slot
             * completes (AhciSgPut clears SgStalled).  Never failed for it:
             * with nothing in flight every register is free, so only a
             * transfer no register budget can carry fails, below. */
            if (status == STATUS_INSUFFICIENT_RESOURCES && Port->Issued) {
                InsertHeadList(&Port->Pending, &irp->Tail.Overlay.ListEntry);
                Port->SgStalled = TRUE;
                break;
            }
            AhciCompleteSrb(irp, srb, SRB_STATUS_INVALID_REQUEST, NULL, 0, Done);
            continue;
        }
        AhciPrepareSlot(Port, s);
        if (Port->Mode != NtstorAhciModePoll || !(irp->Flags & IRP_NTSTOR_POLLED))
            ring = TRUE;
    }
    if (ring)
        AhciRingDoorbell(Port);
}

/* Polled mode (docs/performance.md): an IRP whose originator polls
 * (IRP_NTSTOR_POLLED: it calls IoPollDevice, which reaches AhciPdoPoll)
 * is handed to the HBA and left there, so several are in flight; any
 * other IRP on a polled port is spun for here, as the only way it will
 * complete.  When the new IRP had to queue (every slot busy), one look
 * reaps what has finished to make room. */
NTSTATUS AhciSubmitSrb(PAHCI_PORT Port, PIRP Irp, PSCSI_REQUEST_BLOCK Srb)
{
    LIST_ENTRY done;
    KIRQL irql;
    BOOLEAN poll, callerPolls, queued;

    InitializeListHead(&done);
    Srb->SrbStatus = SRB_STATUS_PENDING;
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Port->Lock, &irql);
    /* Given up (AhciPortGiveUp) between pdo.c's state check and the lock:
     * nothing will ever issue it, so it ends here. */
    if (Port->State != AhciPortReady) {
        AhciCompleteSrb(Irp, Srb, Port->State == AhciPortGone ? SRB_STATUS_NO_DEVICE
                                                              : SRB_STATUS_ERROR, NULL, 0, &done);
        KeReleaseSpinLock(&Port->Lock, irql);
        AhciFinishIrps(&done);
        return STATUS_PENDING;
    }
    InsertTailList(&Port->Pending, &Irp->Tail.Overlay.ListEntry);
    AhciStartPending(Port, &done);
    /* Nothing else in flight: no look would come sooner than a wait for
     * this one, so ring now -- in poll mode once PxIS shows no error
     * (DESIGN.md's fault rule): no look reads PxIS while the port is idle,
     * and an HBA that reported one meanwhile (IFS on an idle link, HBFS)
     * has stopped; recovery takes the slot back unsent and the next look
     * rings it.  Interrupt modes need no read: the ISR's PendingIs already
     * holds AhciStartPending back.  One MMIO read per polled QD1 command
     * (the device-side fuzzer's seed issue14-dev-idle-hbfs-then-qd1-poll). */
    if (Port->Deferred && Port->Issued == Port->Deferred) {
        ULONG is = Port->Mode == NtstorAhciModePoll
                       ? AhciRead(Port->Regs, AHCI_PxIS) & Port->FatalIs : 0;
        if (!is) {
            AhciRingDoorbell(Port);
        } else {
            AhciWrite(Port->Regs, AHCI_PxIS, is);
            if (!Port->InRecovery)
                AhciRecoverPort(Port, is, 0, &done);
            AhciStartPending(Port, &done);
        }
    }
    queued = !IsListEmpty(&Port->Pending);
    poll = Port->Mode == NtstorAhciModePoll || (Srb->SrbFlags & SRB_FLAGS_NTSTOR_POLL);
    callerPolls = Port->Mode == NtstorAhciModePoll && (Irp->Flags & IRP_NTSTOR_POLLED);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    if (callerPolls) {
        if (queued)
            AhciPollLook(Port);
    } else if (poll) {
        AhciPollPort(Port);
    }
    return STATUS_PENDING;
}

/* Lock held, Port->Issued != 0.  Active: PxCI | PxSACT as read now.
 * Completes what finished, or starts recovery when the finish was an
 * error.  CheckDeadlines: also recover commands past their deadline. */
static VOID AhciReapLocked(PAHCI_PORT Port, ULONG PortIs, ULONG Active, BOOLEAN CheckDeadlines,
                           PLIST_ENTRY Done)
{
    ULONG finished = Port->Issued & ~Active;

    AHCI_ASSERT_LOCKED(Port);

    /* A slot prepared but not yet rung (Deferred) is in neither PxCI nor
     * PxSACT: not done. */
    finished &= ~Port->Deferred;

    /* A non-queued command whose D2H FIS says ERR failed, even where the
     * HBA cleared its PxCI bit (QEMU does, hw/ide/ahci.c ahci_cmd_done).
     * The FIS area can be overwritten by a later FIS before this look, so
     * PxIS.TFES is read too (one register read per non-queued completion
     * only; NCQ completions need none: a failed tag keeps its PxSACT bit)
     * -- and then PendingIs: the ISR may have taken TFES out of PxIS for
     * its DPC since the caller's look (the ISR acknowledges PxIS, then
     * records the bits; read in the other order here, one of the two
     * holds them).  Device-side fuzzer seed issue14-tfes-taken-by-isr. */
    if ((finished & ~Port->NcqIssued) &&
        ((Port->Rfis[AHCI_RFIS_RFIS + 2] & (ATA_STS_ERR | ATA_STS_DF)) ||
         ((PortIs | AhciRead(Port->Regs, AHCI_PxIS) |
           __atomic_load_n(&Port->PendingIs, __ATOMIC_ACQUIRE)) & AHCI_PxIS_TFES))) {
        AhciRecoverPort(Port, PortIs | AHCI_PxIS_TFES, 0, Done);
        finished = 0;
    }
    /* QEMU's silent NCQ failure: SDBS, the tag stays in PxSACT and shows
     * as PxSERR bit <tag> (quirk ncq-error-in-serr). */
    if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) && Port->NcqIssued &&
        !(finished & Port->NcqIssued) && (PortIs & AHCI_PxIS_SDBS) &&
        AhciRead(Port->Regs, AHCI_PxSERR)) {
        AhciRecoverPort(Port, PortIs | AHCI_PxIS_TFES, 0, Done);
        finished = 0;
    }
    while (finished) {
        ULONG s = (ULONG)__builtin_ctz(finished);
        finished &= finished - 1;
        AhciCompleteSlot(Port, s, SRB_STATUS_SUCCESS, NULL, Done);
    }
    if (CheckDeadlines && Port->Issued) {
        ULONG64 now = AhciNow();
        ULONG late = 0;
        for (ULONG b = Port->Issued; b; b &= b - 1) {
            ULONG s = (ULONG)__builtin_ctz(b);
            if (now > Port->Slots[s].Deadline)
                late |= 1u << s;
        }
        if (late)
            AhciRecoverPort(Port, 0, late, Done);
    }
}

/* PxCI, or PxSACT when every issued command is queued (their PxCI bits
 * clear when the command FIS is sent, PxSACT when they end: AHCI 5.6.4.2),
 * or both for a mix: one register read in the common cases. */
static inline ULONG AhciReadActive(PAHCI_PORT Port, ULONG Issued, ULONG NcqIssued)
{
    if (NcqIssued == Issued) {
        ULONG sact = AhciRead(Port->Regs, AHCI_PxSACT);
        /* A queued command is done only when both bits are clear: one
         * whose FIS the HBA never took (PxCI set) cannot have finished,
         * whatever cleared its PxSACT bit.  Read only when something
         * looks finished, so idle looks stay one read. */
        if (Issued & ~sact)
            sact |= AhciRead(Port->Regs, AHCI_PxCI);
        return sact;
    }
    ULONG active = AhciRead(Port->Regs, AHCI_PxCI);
    if (NcqIssued)
        active |= AhciRead(Port->Regs, AHCI_PxSACT);
    return active;
}

VOID AhciProcessPort(PAHCI_PORT Port, ULONG PortIs)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    /* Slots prepared but not rung go to the device only if it is not in
     * an error state; otherwise recovery takes them back unsent.  In poll
     * mode no ISR records an error that came since the caller's look (a
     * DPC taking older bits, the watchdog's deadline pass): the doorbell
     * follows a look made under the lock.  (The device-side fuzzer's seed
     * issue14-poll-ring-after-stale-look.) */
    if (Port->Deferred && Port->Mode == NtstorAhciModePoll && !(PortIs & Port->FatalIs)) {
        ULONG is = AhciRead(Port->Regs, AHCI_PxIS) & Port->FatalIs;
        if (is) {
            AhciWrite(Port->Regs, AHCI_PxIS, is);
            PortIs |= is;
        }
    }
    if (PortIs & Port->FatalIs) {
        /* (A port in recovery already: the bits are the recovery's.) */
        if (!Port->InRecovery)
            AhciRecoverPort(Port, PortIs, 0, &done);
    } else {
        AhciRingDoorbell(Port);
        if (Port->Issued)
            AhciReapLocked(Port, PortIs, AhciReadActive(Port, Port->Issued, Port->NcqIssued),
                           TRUE, &done);
    }
    if (PortIs & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS))
        DbgPrint("ahci%u: port %u: link change (PxIS=%08x SSTS=%08x) with the disk still there\n",
                 Port->Controller->Number, Port->Index, PortIs,
                 AhciRead(Port->Regs, AHCI_PxSSTS));
    AhciStartPending(Port, &done);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
}

/* PxIS bits polling looks at: errors, and the SDB FIS of QEMU's silent
 * NCQ failure. */
static inline ULONG AhciPolledIsMask(PAHCI_PORT Port)
{
    return AHCI_PxIS_ERRORS |
           ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) ? AHCI_PxIS_SDBS : 0);
}

VOID AhciPollOnce(PAHCI_PORT Port)
{
    ULONG is = AhciRead(Port->Regs, AHCI_PxIS) & AhciPolledIsMask(Port);

    if (is)
        AhciWrite(Port->Regs, AHCI_PxIS, is);
    AhciProcessPort(Port, is);
}

/* One polled look, without the lock until something needs it.  Under TCG
 * every MMIO access is a trip into QEMU's device model (taking its big
 * lock), so a look with nothing to do reads one register -- PxSACT or
 * PxCI -- and only every AHCI_POLL_IS_LOOKS-th such look also PxIS (an
 * error stops the command: its bit stays set until recovery), every
 * AHCI_POLL_DEADLINE_LOOKS-th the deadlines.
 *
 * DESIGN.md's fault rule holds on this path too: PxIS is read before any
 * new command is handed to the HBA (the doorbell of slots prepared since
 * the last look included), so nothing is issued to a device that reported
 * an error, and recovery decides what finished.
 * (Issuing into that window made QEMU refuse reused tags and let a stale
 * completion clear a new command's PxSACT bit: a write acknowledged that
 * never reached the disk.)  What finished is reaped with the value just
 * read, unless the port changed meanwhile (a completion or issue from a
 * DPC between the read and the lock): then it is read again. */
VOID AhciPollLook(PAHCI_PORT Port)
{
    ULONG issued = Port->Issued, ncq = Port->NcqIssued, deferred = Port->Deferred;
    ULONG looks = ++Port->PollLooks;
    ULONG64 commands = Port->Commands;
    LIST_ENTRY done;
    KIRQL irql;

    if (!issued) {
        /* Recovery took the commands back (Issued is 0 meanwhile): a
         * poller waits for the worker rather than spin against it. */
        if (Port->InRecovery)
            AhciWaitRecovery(Port);
        else if (Port->Held || (!IsListEmpty(&Port->Pending) && !Port->Quiesced))
            AhciProcessPort(Port, 0);   /* starts what waits */
        return;
    }
    /* Slots not yet rung are not in PxCI/PxSACT: not finished. */
    ULONG sent = issued & ~deferred;
    ULONG active = sent ? AhciReadActive(Port, sent, ncq & sent) : 0;
    BOOLEAN finished = (sent & ~active) != 0;
    if (!finished && !deferred) {
        ULONG is = 0;
        if (!(looks % AHCI_POLL_IS_LOOKS))
            is = AhciRead(Port->Regs, AHCI_PxIS) & AhciPolledIsMask(Port);
        if (is)
            AhciWrite(Port->Regs, AHCI_PxIS, is);
        if (is || !(looks % AHCI_POLL_DEADLINE_LOOKS))
            AhciProcessPort(Port, is);
        return;
    }
    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    /* Crediting needs no PxIS: a command the device failed keeps its PxCI
     * or PxSACT bit (AHCI 6.2.2: the HBA stops; SATA 13.6.3.5: an NCQ
     * error sets no ACT bit for the failed tag), and a non-queued one's D2H
     * FIS is checked in AhciReapLocked. */
    if (Port->Issued && finished) {
        if (Port->Issued != issued || Port->NcqIssued != ncq || Port->Commands != commands ||
            Port->Deferred != deferred) {
            sent = Port->Issued & ~Port->Deferred;
            active = sent ? AhciReadActive(Port, sent, Port->NcqIssued & sent) : 0;
        }
        AhciReapLocked(Port, 0, active, FALSE, &done);
    }
    /* Handing the device anything new does: its error state first.  (At
     * queue depth 1 nothing waits when the only command is reaped, so the
     * polled QD1 path reads no PxIS.) */
    if (Port->Deferred || Port->Held || !IsListEmpty(&Port->Pending)) {
        ULONG is = AhciRead(Port->Regs, AHCI_PxIS) & AhciPolledIsMask(Port);
        if (is) {
            AhciWrite(Port->Regs, AHCI_PxIS, is);
            if ((is & AHCI_PxIS_FATAL) && !Port->InRecovery)
                AhciRecoverPort(Port, is, 0, &done);
        }
    }
    AhciStartPending(Port, &done);
    AhciRingDoorbell(Port);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
}

/* Spins until the port has nothing issued (or nothing it may issue). */
VOID AhciPollPort(PAHCI_PORT Port)
{
    while (Port->Issued || Port->Held || Port->InRecovery ||
           (!IsListEmpty(&Port->Pending) && !Port->Quiesced)) {
        ULONG64 commands = Port->Commands;
        /* DISPATCH_LEVEL cannot wait for the worker, and spinning here
         * would keep it from running: the worker completes or re-issues
         * the commands, the watchdog reaps what nobody polls. */
        if (Port->InRecovery && !Port->Issued && !AhciWaitRecovery(Port))
            return;
        /* An error recorded for the controller's DPC (a mode change that
         * found PxIS bits, an ISR before the switch to polling) holds the
         * queue until recovery has run; a poller at DISPATCH_LEVEL keeps
         * that DPC from running, so it hands the error over itself --
         * also with slots prepared that AhciRingDoorbell holds back. */
        if (!(Port->Issued & ~Port->Deferred) && AhciErrorPending(Port))
            AhciTakePendingIs(Port);
        AhciPollLook(Port);
        if (Port->Commands == commands)
            __asm__ volatile("pause");
    }
}

BOOLEAN AhciWaitRecovery(PAHCI_PORT Port)
{
    LARGE_INTEGER slice = { .QuadPart = -(LONGLONG)AhciMs(AHCI_RECOVERY_WAIT_SLICE_MS) };

    if (KeGetCurrentIrql() >= DISPATCH_LEVEL)
        return FALSE;
    KeWaitForSingleObject(&Port->RecoveryIdle, Executive, KernelMode, FALSE, &slice);
    return TRUE;
}

VOID AhciFailAll(PAHCI_PORT Port, UCHAR SrbStatus)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    for (ULONG b = Port->Issued | Port->Held; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SrbStatus, NULL, &done);
    while (!IsListEmpty(&Port->Pending)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Port->Pending), IRP, Tail.Overlay.ListEntry);
        AhciCompleteSrb(irp, IoGetCurrentIrpStackLocation(irp)->Parameters.Scsi.Srb, SrbStatus,
                        NULL, 0, &done);
    }
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
}

/* Slot 0 of a port with nothing issued (start-up, or recovery after the
 * engine stopped and every command was taken back).  Polled. */
NTSTATUS AhciExecuteInternal(PAHCI_PORT Port, const SATL_ATA_COMMAND *Ata, PUCHAR TaskStatus,
                             PUCHAR TaskError)
{
    return AhciExecuteInternalTimeout(Port, Ata, TaskStatus, TaskError,
                                      AHCI_INTERNAL_CMD_TIMEOUT_MS);
}

NTSTATUS AhciExecuteInternalTimeout(PAHCI_PORT Port, const SATL_ATA_COMMAND *Ata,
                                    PUCHAR TaskStatus, PUCHAR TaskError, ULONG Ms)
{
    ULONG64 deadline = AhciNow() + AhciMs(Ms);
    ULONG is = 0, tfd;

    AhciBuildCommand(Port, 0, Ata, NULL, NULL, TRUE);
    /* The port may have reported a fatal error since the caller last
     * looked (a device can fail on its own between the engine's start and
     * this doorbell); 6.2.2 forbids issuing into that state, so look once
     * more and take the recovery branch instead. */
    is = AhciRead(Port->Regs, AHCI_PxIS) & Port->FatalIs;
    if (is)
        goto ended;
    AhciWrite(Port->Regs, AHCI_PxCI, 1);
    while (AhciRead(Port->Regs, AHCI_PxCI) & 1) {
        is = AhciRead(Port->Regs, AHCI_PxIS) & Port->FatalIs;
        if (is || AhciNow() > deadline)
            break;
        KeStallExecutionProcessor(1);
    }
ended:
    tfd = AhciRead(Port->Regs, AHCI_PxTFD);
    *TaskStatus = (UCHAR)(tfd & AHCI_PxTFD_STS_MASK);
    *TaskError = (UCHAR)((tfd & AHCI_PxTFD_ERR_MASK) >> AHCI_PxTFD_ERR_SHIFT);
    if (is || (AhciRead(Port->Regs, AHCI_PxCI) & 1)) {
        /* 6.2.2.1: take the command back and get the device idle again. */
        AhciPortStopEngine(Port);
        AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
        AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
        AhciPortClearBusy(Port);
        AhciPortStartEngine(Port);
        return is ? STATUS_IO_DEVICE_ERROR : STATUS_IO_TIMEOUT;
    }
    return (*TaskStatus & (ATA_STS_ERR | ATA_STS_DF)) ? STATUS_IO_DEVICE_ERROR : STATUS_SUCCESS;
}
