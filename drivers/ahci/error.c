/* error.c - error recovery (AHCI 6.2.2): after a task file error, a host
 * bus/interface error or a timeout, stop the port (which takes back every
 * issued command), clear PxSERR/PxIS, get BSY/DRQ down (CLO or COMRESET),
 * restart, find the guilty command (PxCMD.CCS, or the NCQ Command Error log
 * page 10h, ACS-3 A.14), fail it with sense and re-issue the innocent. */
#include "ahcip.h"

/* Reads log page 10h; returns the failed tag or -1 (and the task file the
 * log recorded). */
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

static VOID AhciFullReset(PAHCI_PORT Port)
{
    AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) & ~AHCI_PxCMD_FRE);
    AhciWaitRegister(Port->Regs, AHCI_PxCMD, AHCI_PxCMD_FR, 0, AHCI_PORT_STOP_TIMEOUT_MS);
    AhciPortComreset(Port);
    AhciWrite(Port->Regs, AHCI_PxCMD, AhciRead(Port->Regs, AHCI_PxCMD) | AHCI_PxCMD_FRE);
    AhciWaitRegister(Port->Regs, AHCI_PxTFD, AHCI_PxTFD_STS_BSY | AHCI_PxTFD_STS_DRQ, 0,
                     AHCI_DEVICE_READY_TIMEOUT_MS);
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
    ULONG active, outstanding, ncq, guilty = 0, finished;
    ULONG nonQueued = Port->Issued & ~Port->NcqIssued;
    SATL_SENSE sense;

    Port->Errors++;
    Port->InRecovery = TRUE;
    DbgPrint("ahci%u: port %u: recovery: PxIS=%08x timed_out=%08x CI=%08x SACT=%08x TFD=%08x "
             "SERR=%08x CCS=%u\n", Port->Controller->Number, Port->Index, PortIs, TimedOut, ci,
             sact, tfd, serr, ccs);

    /* Commands the device finished before the error stand. */
    active = ci | (Port->NcqIssued ? sact : 0);
    finished = Port->Issued & ~active & ~TimedOut;
    /* A task file error ends the non-queued command even where the HBA
     * cleared its PxCI bit (QEMU does): it failed, it did not finish. */
    if (PortIs & AHCI_PxIS_TFES)
        finished &= ~nonQueued;
    for (ULONG b = finished; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_SUCCESS, NULL, Done);
    outstanding = Port->Issued;
    ncq = Port->NcqIssued;

    /* 6.2.2.1 steps: ST off (clears PxCI/PxSACT), clear errors, unbusy, ST on. */
    AhciPortStopEngine(Port);
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    if (TimedOut || (PortIs & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS)))
        AhciFullReset(Port);
    else if (!AhciPortClearBusy(Port))
        AhciFullReset(Port);
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciPortStartEngine(Port);
    Port->Issued = 0;
    Port->NcqIssued = 0;

    if (TimedOut) {
        guilty = TimedOut;
    } else if (PortIs & AHCI_PxIS_TFES) {
        if (outstanding & ncq) {
            LONG tag = AhciReadNcqErrorLog(Port, &sts, &err);
            /* Reading page 10h is what takes a device out of its NCQ error
             * state (ACS-3 A.14); without it only a COMRESET does.  QEMU
             * (no log page) otherwise keeps ERR in its status and reports
             * it again with the next command's SDB FIS, which would then be
             * blamed for nothing. */
            if (tag < 0) {
                AhciPortStopEngine(Port);
                AhciFullReset(Port);
                AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_ALL);
                AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
                AhciPortStartEngine(Port);
            }
            if (tag >= 0 && (outstanding & (1u << tag))) {
                guilty = 1u << tag;
            } else if (!(outstanding & ncq & ((outstanding & ncq) - 1))) {
                guilty = outstanding & ncq;     /* only one was out: no log needed */
            } else if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) &&
                       (serr & outstanding & ncq)) {
                /* QEMU: no log page; PxSERR holds the failed tags, and the
                 * task file may already show a later success. */
                guilty = serr & outstanding & ncq;
                if (!(sts & ATA_STS_ERR)) {
                    sts = ATA_STS_DRDY | ATA_STS_ERR;
                    err = ATA_ERR_ABRT;
                }
            }
            /* else: nobody to blame, every command is retried (the reset
             * above got the device out of its error state). */
        } else if (nonQueued & outstanding) {
            guilty = nonQueued & outstanding;   /* at most one: nothing joins it */
        } else if (outstanding & (1u << ccs)) {
            guilty = 1u << ccs;
        } else {
            guilty = outstanding;
        }
    }
    /* Host bus and interface errors are no command's fault: retry them all. */

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
        } else if (++slot->Retries > AHCI_MAX_RETRIES || !slot->Srb) {
            if (slot->Srb)
                DbgPrint("ahci%u: port %u: command %02x lba %llu failed: still failing after %u "
                         "retries (status %02x error %02x) -> sense b/00/00\n",
                         Port->Controller->Number, Port->Index, slot->Ata.Command,
                         (unsigned long long)slot->Ata.Lba, AHCI_MAX_RETRIES, sts, err);
            SatlSetSense(&sense, SCSI_SENSE_ABORTED_COMMAND, 0, 0);
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, &sense, Done);
        } else if (AhciBuildCommand(Port, s, &slot->Ata, slot->Irp, slot->Srb->DataBuffer, FALSE)) {
            AhciIssueSlot(Port, s);
        } else {
            AhciCompleteSlot(Port, s, SRB_STATUS_ERROR, NULL, Done);
        }
    }
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
    for (ULONG b = Port->Issued; b; b &= b - 1)
        AhciCompleteSlot(Port, (ULONG)__builtin_ctz(b), SRB_STATUS_BUS_RESET, NULL, &done);
    AhciStartPending(Port, &done);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
}
