/* port.c - one AHCI port: DMA memory (command list, received FIS, command
 * tables), engine start/stop (AHCI 10.1.2, 10.3.1), COMRESET (10.4.2),
 * device detection by PxSSTS.DET and PxSIG, IDENTIFY DEVICE. */
#include "ahcip.h"

const char *const AhciPortStateNames[AhciPortStateCount] = {
    [AhciPortEmpty] = "empty",
    [AhciPortLinkUp] = "link-up",
    [AhciPortReady] = "ready",
    [AhciPortUnsupported] = "unsupported",
    [AhciPortFailed] = "failed",
    [AhciPortStopped] = "stopped",
    [AhciPortGone] = "gone",
};

/* Every change is logged "old -> new" and kept in the port's history
 * (9front sdiahci: debugging a port is reading its history). */
VOID AhciPortSetState(PAHCI_PORT Port, AHCI_PORT_STATE State)
{
    if (Port->State != State) {
        PAHCI_STATE_CHANGE h = &Port->History[Port->HistoryCount++ % AHCI_STATE_HISTORY];
        DbgPrint("ahci%u: port %u: %s -> %s\n", Port->Controller->Number, Port->Index,
                 AhciPortStateNames[Port->State], AhciPortStateNames[State]);
        h->From = (UCHAR)Port->State;
        h->To = (UCHAR)State;
        h->Ms = (ULONG)(AhciNow() / 10000);
    }
    Port->State = State;
}

/* 10.1.2: clear ST, wait for CR to clear; clear FRE, wait for FR (500 ms each). */
BOOLEAN AhciPortStopEngine(PAHCI_PORT Port)
{
    ULONG cmd = AhciRead(Port->Regs, AHCI_PxCMD);
    BOOLEAN ok = TRUE;

    if (cmd & (AHCI_PxCMD_ST | AHCI_PxCMD_CR)) {
        AhciWrite(Port->Regs, AHCI_PxCMD, cmd & ~AHCI_PxCMD_ST);
        ok = AhciWaitRegister(Port->Regs, AHCI_PxCMD, AHCI_PxCMD_CR, 0, AHCI_PORT_STOP_TIMEOUT_MS);
    }
    if (!ok)
        DbgPrint("ahci%u: port %u: command engine did not stop within %u ms\n",
                 Port->Controller->Number, Port->Index, AHCI_PORT_STOP_TIMEOUT_MS);
    return ok;
}

static BOOLEAN AhciPortStopFis(PAHCI_PORT Port)
{
    ULONG cmd = AhciRead(Port->Regs, AHCI_PxCMD);

    if (!(cmd & (AHCI_PxCMD_FRE | AHCI_PxCMD_FR)))
        return TRUE;
    AhciWrite(Port->Regs, AHCI_PxCMD, cmd & ~AHCI_PxCMD_FRE);
    return AhciWaitRegister(Port->Regs, AHCI_PxCMD, AHCI_PxCMD_FR, 0, AHCI_PORT_STOP_TIMEOUT_MS);
}

/* 10.3.1: ST may be set only with FRE set, BSY and DRQ clear and the link
 * present (DET=3 or an IPM state); an engine started against a busy device
 * is undefined behaviour on real HBAs. */
BOOLEAN AhciPortStartEngine(PAHCI_PORT Port)
{
    ULONG cmd = AhciRead(Port->Regs, AHCI_PxCMD);
    ULONG tfd = AhciRead(Port->Regs, AHCI_PxTFD);
    ULONG ssts = AhciRead(Port->Regs, AHCI_PxSSTS);

    if ((tfd & (AHCI_PxTFD_STS_BSY | AHCI_PxTFD_STS_DRQ)) || !AhciLinkPresent(ssts)) {
        DbgPrint("ahci%u: port %u: engine not started: device busy or link down "
                 "(TFD=%08x SSTS=%08x)\n", Port->Controller->Number, Port->Index, tfd, ssts);
        AhciWrite(Port->Regs, AHCI_PxCMD, cmd | AHCI_PxCMD_FRE);
        return FALSE;
    }
    AhciWrite(Port->Regs, AHCI_PxCMD, cmd | AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
    return TRUE;
}

/* Linux sata_link_debounce: PxSSTS.DET must keep one value for
 * AHCI_LINK_DEBOUNCE_DURATION_MS; DET=1 (device there, PHY training)
 * keeps waiting until AHCI_LINK_DEBOUNCE_TIMEOUT_MS.  Returns DET. */
static ULONG AhciPortDebounceLink(PAHCI_PORT Port)
{
    ULONG64 now = AhciNow(), since = now;
    ULONG64 deadline = now + AhciMs(AHCI_LINK_DEBOUNCE_TIMEOUT_MS);
    ULONG last = AhciRead(Port->Regs, AHCI_PxSSTS) & AHCI_PxSSTS_DET_MASK;

    for (;;) {
        KeStallExecutionProcessor(AHCI_LINK_DEBOUNCE_INTERVAL_MS * 1000);
        ULONG det = AhciRead(Port->Regs, AHCI_PxSSTS) & AHCI_PxSSTS_DET_MASK;
        now = AhciNow();
        if (det != last) {
            last = det;
            since = now;
        } else if (det != AHCI_PxSSTS_DET_PRESENT &&
                   now - since >= AhciMs(AHCI_LINK_DEBOUNCE_DURATION_MS)) {
            return det;
        }
        if (now > deadline)
            return det;
    }
}

/* 10.4.2: DET=1 for at least 1 ms, then DET=0; link power management
 * stays off (IPM=3, 3.3.11); SpeedLimit 1 caps the link at Gen1.  The
 * read-backs make sure each write landed before the hold is timed.
 * Returns the settled DET. */
static ULONG AhciPortComresetOnce(PAHCI_PORT Port, ULONG SpeedLimit)
{
    ULONG sctl = AhciRead(Port->Regs, AHCI_PxSCTL) &
                 ~(AHCI_PxSCTL_DET_MASK | AHCI_PxSCTL_SPD_MASK | AHCI_PxSCTL_IPM_MASK);

    sctl |= AHCI_PxSCTL_IPM_NOPARTIAL_NOSLUMBER | (SpeedLimit << AHCI_PxSCTL_SPD_SHIFT);
    AhciWrite(Port->Regs, AHCI_PxSCTL, sctl | AHCI_PxSCTL_DET_COMRESET);
    (void)AhciRead(Port->Regs, AHCI_PxSCTL);
    KeStallExecutionProcessor(AHCI_COMRESET_HOLD_MS * 1000);
    AhciWrite(Port->Regs, AHCI_PxSCTL, sctl);
    (void)AhciRead(Port->Regs, AHCI_PxSCTL);
    return AhciPortDebounceLink(Port);
}

BOOLEAN AhciPortComreset(PAHCI_PORT Port)
{
    BOOLEAN up = AhciPortComresetOnce(Port, 0) == AHCI_PxSSTS_DET_PHY;
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    return up;
}

BOOLEAN AhciPortWaitReady(PAHCI_PORT Port, ULONG Ms)
{
    ULONG64 deadline = AhciNow() + AhciMs(Ms);
    ULONG busy = AHCI_PxTFD_STS_BSY | AHCI_PxTFD_STS_DRQ;

    for (;;) {
        ULONG serr = AhciRead(Port->Regs, AHCI_PxSERR);
        if (serr & (AHCI_PxSERR_DIAG_X | AHCI_PxSERR_DIAG_N))
            AhciWrite(Port->Regs, AHCI_PxSERR, serr & (AHCI_PxSERR_DIAG_X | AHCI_PxSERR_DIAG_N));
        if (!(AhciRead(Port->Regs, AHCI_PxTFD) & busy))
            return TRUE;
        if (AhciNow() > deadline)
            return FALSE;
        KeStallExecutionProcessor(1000);
    }
}

BOOLEAN AhciPortHardReset(PAHCI_PORT Port)
{
    static const ULONG wait[AHCI_RESET_TRIES] = {
        AHCI_RESET_TRY1_MS, AHCI_RESET_TRY2_MS, AHCI_RESET_TRY3_MS
    };

    for (ULONG i = 0; i < AHCI_RESET_TRIES; i++) {
        ULONG gen1 = i == AHCI_RESET_TRIES - 1;
        if (gen1)
            DbgPrint("ahci%u: port %u: last reset try: link limited to Gen1 (1.5 Gb/s)\n",
                     Port->Controller->Number, Port->Index);
        /* FIS reception stays on across the COMRESET (see error.c). */
        AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) | AHCI_PxCMD_FRE);
        ULONG det = AhciPortComresetOnce(Port, gen1);
        if (det == AHCI_PxSSTS_DET_NONE)
            return FALSE;       /* nothing there: no point trying again */
        if (det != AHCI_PxSSTS_DET_PHY) {
            DbgPrint("ahci%u: port %u: reset %u/%u: link did not come up (SSTS=%08x)\n",
                     Port->Controller->Number, Port->Index, i + 1, AHCI_RESET_TRIES,
                     AhciRead(Port->Regs, AHCI_PxSSTS));
            continue;
        }
        if (AhciPortWaitReady(Port, wait[i]))
            return TRUE;
        DbgPrint("ahci%u: port %u: reset %u/%u: device still busy (TFD=%08x) after %u ms\n",
                 Port->Controller->Number, Port->Index, i + 1, AHCI_RESET_TRIES,
                 AhciRead(Port->Regs, AHCI_PxTFD), wait[i]);
    }
    return FALSE;
}

/* BSY/DRQ stuck: command list override if the HBA has it (3.3.7 CLO).
 * Engine must be stopped.  Bounded (500 ms): recovery runs it inline. */
BOOLEAN AhciPortClo(PAHCI_PORT Port)
{
    ULONG busy = AHCI_PxTFD_STS_BSY | AHCI_PxTFD_STS_DRQ;

    if (!(AhciRead(Port->Regs, AHCI_PxTFD) & busy))
        return TRUE;
    if (!(Port->Controller->Cap & AHCI_CAP_SCLO)) {
        AhciQuirkApply(Port->Controller, Port, NTSTOR_AHCI_QUIRK_NO_CLO,
                       "HBA lacks CAP.SCLO, COMRESET clears BSY");
        return FALSE;
    }
    AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) | AHCI_PxCMD_CLO);
    return AhciWaitRegister(Port->Regs, AHCI_PxCMD, AHCI_PxCMD_CLO, 0, AHCI_PORT_STOP_TIMEOUT_MS) &&
           !(AhciRead(Port->Regs, AHCI_PxTFD) & busy);
}

BOOLEAN AhciPortClearBusy(PAHCI_PORT Port)
{
    return AhciPortClo(Port) || AhciPortHardReset(Port);
}

/* Interrupt mode of one port = whether its PxIE is on (the HBA raises IS
 * for a port only for enabled PxIS bits). */
VOID AhciPortSetMode(PAHCI_PORT Port, NTSTOR_AHCI_MODE Mode)
{
    if (Port->Mode != Mode)
        DbgPrint("ahci%u: port %u: mode %s -> %s\n", Port->Controller->Number, Port->Index,
                 AhciModeNames[Port->Mode], AhciModeNames[Mode]);
    Port->Mode = Mode;
    AhciWrite(Port->Regs, AHCI_PxIE, Mode == NtstorAhciModePoll ? 0 : AHCI_PxIE_DEFAULT);
}

VOID AhciPortEnableInterrupts(PAHCI_PORT Port)
{
    ULONG ie = 0;

    if (Port->State == AhciPortReady && Port->Mode != NtstorAhciModePoll)
        ie = AHCI_PxIE_DEFAULT;
    else if (Port->State == AhciPortEmpty && Port->Controller->Source != NtstorAhciModePoll)
        ie = AHCI_PxIE_HOTPLUG;
    AhciWrite(Port->Regs, AHCI_PxIE, ie);
}

/* AHCI 10.9 (hot plug): PxIS.PRCS/PCS say the link changed; PxSSTS.DET
 * says whether a device is still there.  A disk that came back is not
 * taken up again (no re-identify): its PDO stays and keeps failing. */
VOID AhciPortGiveUp(PAHCI_PORT Port, AHCI_PORT_STATE State, UCHAR SrbStatus, ULONG Also,
                    PLIST_ENTRY Done)
{
    AHCI_ASSERT_LOCKED(Port);
    if (Port->State != AhciPortGone && Port->State != AhciPortFailed)
        Port->Quiesced++;   /* for good: no resume issues to it again */
    AhciPortSetState(Port, State);
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    Port->Deferred = 0;
    for (ULONG b = Port->Issued | Port->Held | Also; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SrbStatus, NULL, Done);
    while (!IsListEmpty(&Port->Pending)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Port->Pending), IRP, Tail.Overlay.ListEntry);
        AhciCompleteSrb(irp, IoGetCurrentIrpStackLocation(irp)->Parameters.Scsi.Srb, SrbStatus,
                        NULL, 0, Done);
    }
}

BOOLEAN AhciPortRestartOrGiveUp(PAHCI_PORT Port, ULONG Also, PLIST_ENTRY Done)
{
    BOOLEAN link;

    AHCI_ASSERT_LOCKED(Port);
    if (AhciPortStartEngine(Port))
        return TRUE;
    link = AhciLinkPresent(AhciRead(Port->Regs, AHCI_PxSSTS));
    DbgPrint("ahci%u: port %u: engine does not start after the reset (%s): its requests fail\n",
             Port->Controller->Number, Port->Index, link ? "device busy" : "device gone");
    AhciPortGiveUp(Port, link ? AhciPortFailed : AhciPortGone,
                   link ? SRB_STATUS_ERROR : SRB_STATUS_NO_DEVICE, Also, Done);
    return FALSE;
}

BOOLEAN AhciPortCheckLink(PAHCI_PORT Port)
{
    ULONG ssts = AhciRead(Port->Regs, AHCI_PxSSTS);
    ULONG serr = AhciRead(Port->Regs, AHCI_PxSERR);
    KIRQL irql;

    if (AhciLinkPresent(ssts) && Port->State != AhciPortGone) {
        /* A glitch that recovered: acknowledge PhyRdy/exchange changes. */
        AhciWrite(Port->Regs, AHCI_PxSERR, serr & (AHCI_PxSERR_DIAG_N | AHCI_PxSERR_DIAG_X));
        /* A link in partial/slumber (set before the driver restricted IPM):
         * ask for the active state (3.3.7 ICC); the next command would too. */
        if ((ssts & AHCI_PxSSTS_DET_MASK) != AHCI_PxSSTS_DET_PHY) {
            AhciDbg("ahci%u: port %u: link in power state IPM=%u: waking it\n",
                    Port->Controller->Number, Port->Index,
                    (ssts & AHCI_PxSSTS_IPM_MASK) >> AHCI_PxSSTS_IPM_SHIFT);
            AhciWrite(Port->Regs, AHCI_PxCMD,
                      (AhciRead(Port->Regs, AHCI_PxCMD) & ~AHCI_PxCMD_ICC_MASK) | AHCI_PxCMD_ICC_ACTIVE);
        }
        return TRUE;
    }
    LIST_ENTRY done;
    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    BOOLEAN first = Port->State != AhciPortGone;
    ULONG issued = Port->Issued;
    /* New requests are refused (pdo.c checks the state) and nothing
     * pending is issued from now on; what slipped into the queue between
     * pdo.c's check and the lock ends too (the watchdog calls this again
     * for gone ports). */
    AhciPortGiveUp(Port, AhciPortGone, SRB_STATUS_NO_DEVICE, 0, &done);
    if (first) {
        DbgPrint("ahci%u: port %u: device gone (PxSSTS=%08x PxSERR=%08x): failing %u issued "
                 "command(s) and every request after them\n", Port->Controller->Number,
                 Port->Index, ssts, serr, AhciPopCount(issued));
        AhciPortStopEngine(Port);
        AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
        AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    }
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    /* Hot unplug: the worker tells the PnP manager, which surprise-removes
     * the disk's stack (AhciHotPlug). */
    if (first && Port->Pdo)
        AhciRequestWork(Port, TRUE);
    return FALSE;
}

VOID AhciPortProgram(PAHCI_PORT Port)
{
    AhciWrite(Port->Regs, AHCI_PxCLB, (ULONG)(Port->DmaPa + AHCI_DMA_CMD_LIST));
    AhciWrite(Port->Regs, AHCI_PxCLBU, (ULONG)((Port->DmaPa + AHCI_DMA_CMD_LIST) >> 32));
    AhciWrite(Port->Regs, AHCI_PxFB, (ULONG)(Port->DmaPa + AHCI_DMA_RFIS));
    AhciWrite(Port->Regs, AHCI_PxFBU, (ULONG)((Port->DmaPa + AHCI_DMA_RFIS) >> 32));
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) | AHCI_PxCMD_FRE);
}

/* The command list, received FIS area and command tables (with their
 * PRDTs) in one common buffer of the controller's DMA adapter, which keeps
 * it within the HBA's reach: below 4 GiB without S64A (3.1.1), below 2^43
 * on ASM106x (quirk dma-43bit). */
static NTSTATUS AhciPortAllocate(PAHCI_PORT Port)
{
    PDMA_ADAPTER dma = Port->Controller->Dma;
    PHYSICAL_ADDRESS pa;
    PUCHAR base;

    if (!dma)
        return STATUS_INSUFFICIENT_RESOURCES;
    base = dma->DmaOperations->AllocateCommonBuffer(dma, AHCI_DMA_SIZE, &pa, TRUE);
    if (!base)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(base, AHCI_DMA_SIZE);
    AhciPortLayout(Port, base, (ULONG64)pa.QuadPart);
    return STATUS_SUCCESS;
}

VOID AhciPortFree(PAHCI_PORT Port)
{
    AhciPortStopEngine(Port);
    AhciPortStopFis(Port);
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciPortSetState(Port, AhciPortStopped);
    if (Port->PdoExt)
        Port->PdoExt->Port = NULL;
    if (Port->Dma) {
        PDMA_ADAPTER dma = Port->Controller->Dma;
        PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)Port->DmaPa };
        dma->DmaOperations->FreeCommonBuffer(dma, AHCI_DMA_SIZE, pa, Port->Dma, TRUE);
    }
    AhciSgStop(Port);
    ExFreePoolWithTag(Port, AHCI_TAG);
}

/* The device's own strings go to the log escaped (RtlEscapeDeviceText):
 * the log is shown by the shell's `log`. */
static VOID AhciPortLogDevice(PAHCI_PORT Port)
{
    CHAR model[RTL_ESCAPED_SIZE(sizeof(Port->Device.Model))];
    CHAR serial[RTL_ESCAPED_SIZE(sizeof(Port->Device.Serial))];
    CHAR firmware[RTL_ESCAPED_SIZE(sizeof(Port->Device.Firmware))];

    RtlEscapeDeviceText(model, sizeof(model), Port->Device.Model, sizeof(Port->Device.Model));
    RtlEscapeDeviceText(serial, sizeof(serial), Port->Device.Serial, sizeof(Port->Device.Serial));
    RtlEscapeDeviceText(firmware, sizeof(firmware), Port->Device.Firmware, sizeof(Port->Device.Firmware));
    DbgPrint("ahci%u: port %u: \"%s\" serial \"%s\" fw \"%s\" sectors=%llu sector_size=%u "
             "ncq=%u depth=%u trim=%u wce=%u\n",
             Port->Controller->Number, Port->Index, model, serial, firmware,
             (unsigned long long)Port->Device.Sectors, Port->Device.SectorSize, Port->UseNcq,
             Port->QueueDepth, Port->Device.Trim, Port->Device.WriteCacheEnabled);
}

static NTSTATUS AhciPortIdentify(PAHCI_PORT Port)
{
    SATL_ATA_COMMAND id = { 0 };
    UCHAR sts = 0, err = 0;
    NTSTATUS status;

    id.Command = ATA_CMD_IDENTIFY_DEVICE;
    id.Protocol = SatlProtocolPioIn;
    id.TransferBytes = 512;
    status = AhciExecuteInternal(Port, &id, &sts, &err);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ahci%u: port %u: IDENTIFY DEVICE failed (status %02x error %02x)\n",
                 Port->Controller->Number, Port->Index, sts, err);
        return status;
    }
    /* ACS-3 7.12.7.4 word 2: 37C8h/738Ch = powered up in standby, SET
     * FEATURES 07h spins it up; IDENTIFY again for the complete data. */
    USHORT word2 = (USHORT)(Port->Internal[4] | (Port->Internal[5] << 8));
    if (word2 == 0x37C8 || word2 == 0x738C) {
        SATL_ATA_COMMAND sf = { 0 };
        DbgPrint("ahci%u: port %u: disk powered up in standby (IDENTIFY word 2 = %04x): "
                 "spinning it up\n", Port->Controller->Number, Port->Index, word2);
        sf.Command = ATA_CMD_SET_FEATURES;
        sf.Features = ATA_SF_PUIS_SPIN_UP;
        sf.Protocol = SatlProtocolNonData;
        status = AhciExecuteInternalTimeout(Port, &sf, &sts, &err, AHCI_PUIS_SPINUP_TIMEOUT_MS);
        if (NT_SUCCESS(status))
            status = AhciExecuteInternal(Port, &id, &sts, &err);
        if (!NT_SUCCESS(status)) {
            DbgPrint("ahci%u: port %u: spin-up from standby failed (status %02x error %02x)\n",
                     Port->Controller->Number, Port->Index, sts, err);
            return status;
        }
    }
    /* SATA 3.x 13.3.4 (IDENTIFY words 78/79 bit 3): device-initiated
     * power management off, as Linux does when it keeps LPM off; the
     * HBA side is PxSCTL.IPM=3. */
    USHORT w78 = (USHORT)(Port->Internal[156] | (Port->Internal[157] << 8));
    USHORT w79 = (USHORT)(Port->Internal[158] | (Port->Internal[159] << 8));
    BOOLEAN dipm = w78 != 0xFFFF && (w78 & ATA_ID_SATA_DIPM) && (w79 & ATA_ID_SATA_DIPM);
    status = SatlParseIdentify(Port->Internal, &Port->Device);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ahci%u: port %u: IDENTIFY data unusable (not ATA, no LBA, bad checksum or size)\n",
                 Port->Controller->Number, Port->Index);
        return status;
    }

    if (dipm) {
        SATL_ATA_COMMAND sf = { 0 };
        sf.Command = ATA_CMD_SET_FEATURES;
        sf.Features = ATA_SF_DISABLE_SATA_FEATURE;
        sf.Count = ATA_SF_SATA_DIPM;
        sf.Protocol = SatlProtocolNonData;
        if (NT_SUCCESS(AhciExecuteInternal(Port, &sf, &sts, &err)))
            AhciDbg("ahci%u: port %u: device-initiated power management disabled\n",
                    Port->Controller->Number, Port->Index);
        else
            DbgPrint("ahci%u: port %u: disabling DIPM failed (status %02x error %02x)\n",
                     Port->Controller->Number, Port->Index, sts, err);
    }

    /* What the driver can carry per command, and the queue it may use. */
    ULONG maxSectors = AHCI_MAX_TRANSFER_BYTES / Port->Device.SectorSize;
    if (Port->Device.MaxTransferSectors > maxSectors)
        Port->Device.MaxTransferSectors = maxSectors;
    /* AMD SB600/SB7xx carry at most 255 sectors a command (quirks.c). */
    if ((Port->Controller->Quirks & NTSTOR_AHCI_QUIRK_MAX_255_SECTORS) &&
        Port->Device.MaxTransferSectors > AHCI_SECT255_MAX_SECTORS)
        Port->Device.MaxTransferSectors = AHCI_SECT255_MAX_SECTORS;
    AhciQuirksDevice(Port);
    Port->UseNcq = AhciParameters.Ncq && (Port->Controller->Cap & AHCI_CAP_SNCQ) &&
                   Port->Device.NcqDepth > 1 && Port->Device.Lba48 &&
                   !(Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_FAILING);
    ULONG depth = Port->Controller->NumSlots;
    if (depth > AhciParameters.MaxQueueDepth)
        depth = AhciParameters.MaxQueueDepth;
    if (Port->UseNcq && depth > Port->Device.NcqDepth)
        depth = Port->Device.NcqDepth;
    Port->QueueDepth = depth;
    if (!Port->UseNcq) {
        AhciQuirkApply(Port->Controller, Port, NTSTOR_AHCI_QUIRK_NO_NCQ,
                       !AhciParameters.Ncq ? "Parameters\\Ncq=0" :
                       !(Port->Controller->Cap & AHCI_CAP_SNCQ) ? "HBA without CAP.SNCQ" :
                       (Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_FAILING) ? "queued commands kept failing" :
                       "disk without NCQ (or 48-bit LBA)");
        Port->Device.NcqDepth = 0;
    }
    /* The data path (sglist.c): the port's DMA adapter, its map registers
     * sized by the queue just decided. */
    status = AhciSgStart(Port);
    if (!NT_SUCCESS(status))
        return status;

    AhciPortLogDevice(Port);
    return STATUS_SUCCESS;
}

NTSTATUS AhciPortInit(PAHCI_CONTROLLER Ctrl, ULONG Index)
{
    PAHCI_PORT port;
    NTSTATUS status;

    port = ExAllocatePoolZero(NonPagedPool, sizeof(*port), AHCI_TAG);
    if (!port)
        return STATUS_INSUFFICIENT_RESOURCES;
    port->Controller = Ctrl;
    port->Index = Index;
    port->Regs = Ctrl->Abar + AHCI_PORT_OFFSET(Index);
    port->Mode = NtstorAhciModePoll;
    port->FatalIs = AHCI_PxIS_FATAL;
    if (Ctrl->Quirks & NTSTOR_AHCI_QUIRK_IGNORE_IFS)
        port->FatalIs &= ~AHCI_PxIS_IFS;
    port->DmaLimit = !(Ctrl->Cap & AHCI_CAP_S64A) ? AHCI_DMA_LIMIT_32BIT :
                     Ctrl->DmaLimit ? Ctrl->DmaLimit : ~0ull;
    KeInitializeSpinLock(&port->Lock);
    InitializeListHead(&port->Pending);
    KeInitializeEvent(&port->RecoveryIdle, NotificationEvent, TRUE);
    Ctrl->Ports[Index] = port;

    /* 10.1.2: the port must be idle before its memory is programmed. */
    if (!AhciPortStopEngine(port) || !AhciPortStopFis(port)) {
        AhciPortSetState(port, AhciPortFailed);
        return STATUS_IO_DEVICE_ERROR;
    }
    status = AhciPortAllocate(port);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ahci%u: port %u: no DMA memory for command structures\n", Ctrl->Number, Index);
        AhciPortSetState(port, AhciPortFailed);
        return status;
    }
    AhciPortProgram(port);

    return AhciPortBringUp(port);
}

/* Empty ports keep PCS/PRCS enabled in the interrupt modes: a disk
 * plugged in later raises them (10.9), and the worker brings it up. */
NTSTATUS AhciPortBringUp(PAHCI_PORT Port)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    NTSTATUS status;
    ULONG ssts;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* the reset ladder waits up to ~60 s */
    /* Staggered spin-up (10.10.1): spin the device up before talking to it. */
    if (ctrl->Cap & AHCI_CAP_SSS)
        AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) | AHCI_PxCMD_SUD);

    /* A link the firmware left up is kept (no COMRESET), but its power
     * management is restricted to active (3.3.11 IPM=3) and the device
     * must come ready; anything else goes through the reset ladder. */
    ssts = AhciRead(Port->Regs, AHCI_PxSSTS);
    BOOLEAN ready = FALSE;
    if (AhciLinkPresent(ssts)) {
        ULONG sctl = AhciRead(Port->Regs, AHCI_PxSCTL) & ~(AHCI_PxSCTL_DET_MASK | AHCI_PxSCTL_IPM_MASK);
        AhciWrite(Port->Regs, AHCI_PxSCTL, sctl | AHCI_PxSCTL_IPM_NOPARTIAL_NOSLUMBER);
        if ((ssts & AHCI_PxSSTS_DET_MASK) != AHCI_PxSSTS_DET_PHY)
            AhciPortCheckLink(Port);    /* wakes a slumbering link */
        ready = AhciPortWaitReady(Port, AHCI_RESET_TRY1_MS);
    }
    if (!ready)
        ready = AhciPortHardReset(Port);
    ssts = AhciRead(Port->Regs, AHCI_PxSSTS);
    if (!ready && !AhciLinkPresent(ssts)) {
        AhciPortSetState(Port, AhciPortEmpty);
        AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
        AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
        AhciPortEnableInterrupts(Port);
        return STATUS_SUCCESS;
    }
    AhciPortSetState(Port, AhciPortLinkUp);
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    if (!ready) {
        DbgPrint("ahci%u: port %u: device stays busy (TFD=%08x) through %u resets\n",
                 ctrl->Number, Port->Index, AhciRead(Port->Regs, AHCI_PxTFD), AHCI_RESET_TRIES);
        AhciPortSetState(Port, AhciPortFailed);
        return STATUS_IO_TIMEOUT;
    }
    Port->Signature = AhciRead(Port->Regs, AHCI_PxSIG);
    if (AHCI_SIG_CLASS(Port->Signature) != AHCI_SIG_CLASS(AHCI_SIG_ATA)) {
        DbgPrint("ahci%u: port %u: %s device (signature %08x) not driven\n", ctrl->Number, Port->Index,
                 AHCI_SIG_CLASS(Port->Signature) == AHCI_SIG_CLASS(AHCI_SIG_ATAPI) ? "ATAPI" :
                 AHCI_SIG_CLASS(Port->Signature) == AHCI_SIG_CLASS(AHCI_SIG_PM) ? "port multiplier" :
                 AHCI_SIG_CLASS(Port->Signature) == AHCI_SIG_CLASS(AHCI_SIG_SEMB) ? "SEMB" : "unknown",
                 Port->Signature);
        AhciPortSetState(Port, AhciPortUnsupported);
        return STATUS_SUCCESS;
    }

    AhciPortStartEngine(Port);
    status = AhciPortIdentify(Port);
    if (!NT_SUCCESS(status)) {
        AhciPortSetState(Port, AhciPortFailed);
        return status;
    }
    AhciPortSetState(Port, AhciPortReady);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (ctrl->Source != NtstorAhciModePoll)
        AhciPortSetMode(Port, ctrl->Source);
    return STATUS_SUCCESS;
}
