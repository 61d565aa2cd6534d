/* io.c - issuing ATA commands: command FIS (SATA 10.5.5) and PRDT (AHCI
 * 4.2.3) built from the MDL's page numbers into the slot's precomputed
 * command table, slot bitmap, NCQ tags (tag = slot, AHCI 8.x), the pending
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

BOOLEAN AhciBuildCommand(PAHCI_PORT Port, ULONG S, const SATL_ATA_COMMAND *Ata, PIRP Irp,
                         PVOID Buffer, BOOLEAN IsInternal)
{
    PAHCI_SLOT slot = &Port->Slots[S];
    ULONG bytes = Ata->TransferBytes, prds = 0;
    ULONG64 end = 0;
    BOOLEAN s64a = (Port->Controller->Cap & AHCI_CAP_S64A) != 0;

    AhciBuildFis((FIS_REG_H2D *)slot->Table->Cfis, Ata, S);

    if (bytes) {
        if (IsInternal || Ata->UseScratch) {
            /* Port DMA memory: contiguous, below 4 GiB when it had to be. */
            ULONG64 pa = Port->DmaPa + (IsInternal ? AHCI_DMA_INTERNAL : AHCI_DMA_SCRATCH);
            AhciAddPrd(slot->Prdt, &prds, pa, bytes, &end);
        } else if ((ULONG_PTR)Buffer & 1) {
            DbgPrint("ahci%u: port %u: data buffer %p not word aligned (AHCI 4.2.3.3)\n",
                     Port->Controller->Number, Port->Index, Buffer);
            return FALSE;
        } else if (!s64a && AhciBounceBuild(Port, S, Ata, Irp, Buffer, &prds)) {
            /* bounce.c: data above 4 GiB goes through the slot's bounce buffer. */
        } else if (Irp && Irp->MdlAddress) {
            PMDL mdl = Irp->MdlAddress;
            ULONG_PTR off = (PUCHAR)Buffer - (PUCHAR)MmGetMdlVirtualAddress(mdl);
            if ((PUCHAR)Buffer < (PUCHAR)MmGetMdlVirtualAddress(mdl) ||
                off + bytes > MmGetMdlByteCount(mdl)) {
                DbgPrint("ahci%u: port %u: SRB buffer lies outside the IRP's MDL\n",
                         Port->Controller->Number, Port->Index);
                return FALSE;
            }
            ULONG first = (ULONG)(MmGetMdlByteOffset(mdl) + off);
            PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl) + (first >> PAGE_SHIFT);
            ULONG pageOff = first & (PAGE_SIZE - 1), left = bytes;
            while (left) {
                ULONG chunk = PAGE_SIZE - pageOff;
                ULONG64 pa = ((ULONG64)*pfn++ << PAGE_SHIFT) + pageOff;
                if (chunk > left)
                    chunk = left;
                if ((!s64a && pa + chunk > 0x100000000ull) ||
                    !AhciAddPrd(slot->Prdt, &prds, pa, chunk, &end))
                    goto unreachable;
                left -= chunk;
                pageOff = 0;
            }
        } else {
            /* No MDL (a kernel-internal SRB): resolve each page. */
            PUCHAR va = Buffer;
            ULONG left = bytes;
            while (left) {
                ULONG chunk = PAGE_SIZE - BYTE_OFFSET(va);
                ULONG64 pa = (ULONG64)MmGetPhysicalAddress(va).QuadPart;
                if (chunk > left)
                    chunk = left;
                if (!pa || (!s64a && pa + chunk > 0x100000000ull) ||
                    !AhciAddPrd(slot->Prdt, &prds, pa, chunk, &end))
                    goto unreachable;
                va += chunk;
                left -= chunk;
            }
        }
    }

    Port->CmdList[S].Flags = (ULONG)FIS_H2D_CFL_DWORDS |
                             (SatlIsWrite(Ata) ? AHCI_CMDH_WRITE : 0) |
                             (prds << AHCI_CMDH_PRDTL_SHIFT);
    Port->CmdList[S].Prdbc = 0;
    return TRUE;

unreachable:
    DbgPrint("ahci%u: port %u: buffer of %u bytes needs more than %u PRD entries or lies above "
             "4 GiB on an HBA without S64A (no bounce buffer)\n", Port->Controller->Number,
             Port->Index, bytes, AHCI_PRDT_ENTRIES);
    return FALSE;
}

/* AHCI 5.3.2 / 8.x: PxSACT before PxCI for NCQ; one write each. */
VOID AhciIssueSlot(PAHCI_PORT Port, ULONG S)
{
    ULONG bit = 1u << S;
    PAHCI_SLOT slot = &Port->Slots[S];

    slot->Deadline = AhciNow() + (ULONG64)AhciTimeoutSeconds(slot->Srb) * 10000000ull;
    Port->Issued |= bit;
    if (SatlIsFpdma(&slot->Ata)) {
        Port->NcqIssued |= bit;
        AhciWrite(Port->Regs, AHCI_PxSACT, bit);
    } else {
        /* The D2H FIS that ends this command tells success from failure
         * (AhciProcessPort); a stale one must not. */
        Port->Rfis[AHCI_RFIS_RFIS + 2] = 0;
    }
    AhciWrite(Port->Regs, AHCI_PxCI, bit);
}

/* Without -mpopcnt GCC calls libgcc for __builtin_popcount; drivers bind
 * only kernel exports, so count bits by hand. */
static ULONG AhciPopCount(ULONG v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

/* Lock held.  Issues pending IRPs in order while slots and the NCQ rules
 * allow; requests answered without the device complete at once. */
VOID AhciStartPending(PAHCI_PORT Port, PLIST_ENTRY Done)
{
    SATL_OPTIONS opt = { Port->UseNcq, Port->Scratch, AHCI_SCRATCH_SIZE };
    SATL_RESULT r;

    while (!IsListEmpty(&Port->Pending) && !Port->InRecovery && !Port->Quiesced) {
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
        if (!AhciBuildCommand(Port, s, &r.Ata, irp, srb->DataBuffer, FALSE)) {
            slot->Irp = NULL;
            slot->Srb = NULL;
            AhciCompleteSrb(irp, srb, SRB_STATUS_INVALID_REQUEST, NULL, 0, Done);
            continue;
        }
        AhciIssueSlot(Port, s);
    }
}

NTSTATUS AhciSubmitSrb(PAHCI_PORT Port, PIRP Irp, PSCSI_REQUEST_BLOCK Srb)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    Srb->SrbStatus = SRB_STATUS_PENDING;
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Port->Lock, &irql);
    InsertTailList(&Port->Pending, &Irp->Tail.Overlay.ListEntry);
    AhciStartPending(Port, &done);
    BOOLEAN poll = Port->Mode == NtstorAhciModePoll || (Srb->SrbFlags & SRB_FLAGS_NTSTOR_POLL);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    if (poll)
        AhciPollPort(Port);
    return STATUS_PENDING;
}

VOID AhciProcessPort(PAHCI_PORT Port, ULONG PortIs)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    if (PortIs & AHCI_PxIS_FATAL) {
        AhciRecoverPort(Port, PortIs, 0, &done);
    } else if (Port->Issued) {
        ULONG active = AhciRead(Port->Regs, AHCI_PxCI);
        if (Port->NcqIssued)
            active |= AhciRead(Port->Regs, AHCI_PxSACT);
        ULONG finished = Port->Issued & ~active;
        /* A non-queued command whose D2H FIS says ERR failed, even where
         * the HBA cleared its PxCI bit (QEMU does, hw/ide/ahci.c
         * ahci_cmd_done) and polling never saw TFES. */
        if ((finished & ~Port->NcqIssued) &&
            (Port->Rfis[AHCI_RFIS_RFIS + 2] & (ATA_STS_ERR | ATA_STS_DF))) {
            AhciRecoverPort(Port, PortIs | AHCI_PxIS_TFES, 0, &done);
            finished = 0;
        }
        /* QEMU's silent NCQ failure: SDBS, the tag stays in PxSACT and
         * shows as PxSERR bit <tag> (quirk ncq-error-in-serr). */
        if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) && Port->NcqIssued &&
            !(finished & Port->NcqIssued) && (PortIs & AHCI_PxIS_SDBS) &&
            AhciRead(Port->Regs, AHCI_PxSERR)) {
            AhciRecoverPort(Port, PortIs | AHCI_PxIS_TFES, 0, &done);
            finished = 0;
        }
        while (finished) {
            ULONG s = (ULONG)__builtin_ctz(finished);
            finished &= finished - 1;
            AhciCompleteSlot(Port, s, SRB_STATUS_SUCCESS, NULL, &done);
        }
        if (Port->Issued) {
            ULONG64 now = AhciNow();
            ULONG late = 0;
            for (ULONG b = Port->Issued; b; b &= b - 1) {
                ULONG s = (ULONG)__builtin_ctz(b);
                if (now > Port->Slots[s].Deadline)
                    late |= 1u << s;
            }
            if (late)
                AhciRecoverPort(Port, 0, late, &done);
        }
    }
    if (PortIs & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS))
        DbgPrint("ahci%u: port %u: link change (PxIS=%08x SSTS=%08x); hot plug is not handled\n",
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

/* Polled completion: spin on PxCI (and PxSACT when NCQ commands are out)
 * without the lock; take it only when something finished, an error bit
 * shows in PxIS, or a deadline may have passed. */
VOID AhciPollPort(PAHCI_PORT Port)
{
    ULONG spins = 0;

    for (;;) {
        ULONG issued = Port->Issued;
        if (!issued && (IsListEmpty(&Port->Pending) || Port->Quiesced))
            return;
        ULONG active = AhciRead(Port->Regs, AHCI_PxCI);
        if (Port->NcqIssued)
            active |= AhciRead(Port->Regs, AHCI_PxSACT);
        ULONG is = 0;
        if ((issued & active) == issued)
            is = AhciRead(Port->Regs, AHCI_PxIS) & AhciPolledIsMask(Port);
        if (is)
            AhciWrite(Port->Regs, AHCI_PxIS, is);
        if ((issued & ~active) || is || !issued || (++spins & 0x3FF) == 0)
            AhciProcessPort(Port, is);
        else
            __asm__ volatile("pause");
    }
}

VOID AhciFailAll(PAHCI_PORT Port, UCHAR SrbStatus)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    for (ULONG b = Port->Issued; b; b &= b - 1)
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
    ULONG64 deadline = AhciNow() + AhciMs(AHCI_INTERNAL_CMD_TIMEOUT_MS);
    ULONG is = 0, tfd;

    AhciBuildCommand(Port, 0, Ata, NULL, NULL, TRUE);
    AhciWrite(Port->Regs, AHCI_PxCI, 1);
    while (AhciRead(Port->Regs, AHCI_PxCI) & 1) {
        is = AhciRead(Port->Regs, AHCI_PxIS) & AHCI_PxIS_FATAL;
        if (is || AhciNow() > deadline)
            break;
        KeStallExecutionProcessor(1);
    }
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
