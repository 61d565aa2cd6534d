/* test_ahci_error.c - error recovery (drivers/ahci/error.c) and a disk that
 * goes away (port.c AhciPortCheckLink) on a port whose registers are plain
 * memory: the test plays the HBA by setting PxCI/PxSACT/PxTFD/PxSERR/PxSSTS.
 * NCQ errors: one command out is blamed directly with sense from the task
 * file; several out with no way to tell (no log page) are re-issued one at
 * a time and the one failing alone is blamed; older QEMU's PxSERR names the
 * guilty tag; a command taken back past AHCI_MAX_RETRIES ends with ABORTED
 * COMMAND.  A QEMU-like HBA model (hba_*, driven from AhciWaitRegister)
 * keeps NCQ requests running after PxCMD.ST is cleared and finishes them
 * inside a COMRESET, keeping their tags as "finished" for the next SDB FIS
 * when FIS reception is off: no command may complete before its data came.
 * Link loss: issued and queued requests fail with
 * STATUS_DEVICE_DOES_NOT_EXIST, nothing is issued afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ahcip.h"
#include "ahci_sim.h"
#include "host_support.h"

/* error.c escalates a stuck engine to an HBA reset (hba.c, not linked
 * here; test_ahci_model.c runs the real one against the model). */
NTSTATUS AhciHbaReset(PAHCI_CONTROLLER Ctrl) { return STATUS_SUCCESS; }
/* intr.c's hand-over of what the ISR recorded: no ISR runs here, PendingIs stays 0. */
VOID AhciTakePendingIs(PAHCI_PORT Port) { (void)Port; }
AHCI_PARAMETERS AhciParameters = { NtstorAhciModeMsi, TRUE, 32, FALSE };
const char *const AhciModeNames[3] = { "poll", "msi", "intx" };

static PIRP completed[128];
static int ncompleted;
VOID IoCompleteRequest(PIRP Irp, CCHAR Boost) { completed[ncompleted++] = Irp; }

/* A model of QEMU's AHCI port (hw/ide/ahci.c with the 8.1 fixes, as in
 * Debian's 7.2) for what recovery does to in-flight NCQ requests:
 *  - Running: tags whose request the block layer still carries.  Clearing
 *    PxCMD.ST clears PxSACT/PxCI but they keep running.
 *  - COMRESET (ahci_reset_port) waits for them; each ends with ncq_finish,
 *    whose SDB FIS is dropped while FIS reception is off: its tag stays in
 *    Stale and clears PxSACT with the next SDB FIS (hba_sdb).
 *  - Refused: a tag issued while its old request runs ("tag already used")
 *    stays in PxCI and never runs.
 * The model sees the driver's register writes at its waits: PxCMD.CR after
 * ST is cleared, PxSSTS.DET after a COMRESET. */
static struct {
    BOOLEAN On;
    ULONG Running, Stale, Resets;
} hba;
static UCHAR regs[AHCI_PORT_STRIDE];

static void hba_event(ULONG Offset, ULONG Mask)
{
    ULONG *r = (ULONG *)regs;
    if (Offset == AHCI_PxCMD && Mask == AHCI_PxCMD_CR && !(r[AHCI_PxCMD / 4] & AHCI_PxCMD_ST)) {
        r[AHCI_PxSACT / 4] = 0;
        r[AHCI_PxCI / 4] = 0;
    } else if (Offset == AHCI_PxSSTS) {
        hba.Resets++;
        if (!(r[AHCI_PxCMD / 4] & AHCI_PxCMD_FRE))
            hba.Stale |= hba.Running;
        hba.Running = 0;
        r[AHCI_PxSACT / 4] = 0;
        r[AHCI_PxTFD / 4] = ATA_STS_DRDY;   /* the reset took the error state away */
    }
}

/* A virtual clock: the driver's debounce and readiness waits stall in
 * steps; a stall while PxSCTL.DET=1 is the COMRESET hold, which the model
 * above sees as the reset (the link is up again at once). */
static ULONGLONG vclock = 10000000;
ULONGLONG KeQueryInterruptTime(VOID) { return vclock; }
VOID KeStallExecutionProcessor(ULONG Us)
{
    vclock += (ULONGLONG)(Us ? Us : 1) * 10;
    if (hba.On && (*(ULONG *)(regs + AHCI_PxSCTL) & AHCI_PxSCTL_DET_MASK) == AHCI_PxSCTL_DET_COMRESET)
        hba_event(AHCI_PxSSTS, AHCI_PxSSTS_DET_MASK);
}

/* Memory registers: a wait succeeds if the register already holds the value. */
BOOLEAN AhciWaitRegister(volatile UCHAR *Base, ULONG Offset, ULONG Mask, ULONG Value, ULONG Ms)
{
    if (hba.On)
        hba_event(Offset, Mask);
    return (*(volatile ULONG *)(Base + Offset) & Mask) == Value;
}
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS pa = { .QuadPart = (LONGLONG)(ULONG_PTR)Va };
    return pa;
}
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, PHYSICAL_ADDRESS Boundary,
                                             MEMORY_CACHING_TYPE Type)
{
    return NULL;
}
VOID MmFreeContiguousMemory(PVOID Base) { }

static AHCI_CONTROLLER ctrl;
static AHCI_PORT port;
static UCHAR *dma;

static ULONG reg(ULONG off) { return *(ULONG *)(regs + off); }
static void setreg(ULONG off, ULONG v) { *(ULONG *)(regs + off) = v; }

static void setup_port(void)
{
    memset(&ctrl, 0, sizeof(ctrl));
    memset(regs, 0, sizeof(regs));
    memset(&hba, 0, sizeof(hba));
    ctrl.Cap = AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO;
    ctrl.NumSlots = 32;
    dma = AhciSimInitPort(&port, &ctrl, regs, TRUE);
    /* The link is up and the device idle. */
    setreg(AHCI_PxSSTS, AHCI_PxSSTS_DET_PHY);
    setreg(AHCI_PxTFD, ATA_STS_DRDY);
    ncompleted = 0;
}

static void teardown_port(void) { AhciSimFreePort(&port, dma); }

/* QEMU-like task file after a failed read: ERR with UNC. */
static void device_error(void)
{
    setreg(AHCI_PxTFD, ((ULONG)ATA_ERR_UNC << AHCI_PxTFD_ERR_SHIFT) | ATA_STS_DRDY | ATA_STS_ERR);
}

static void device_ok(void) { setreg(AHCI_PxTFD, ATA_STS_DRDY); }

static void assert_medium_error(AHCI_SIM_REQ *r)
{
    assert_int_equal(SRB_STATUS(r->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_true(r->srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID);
    assert_int_equal(r->sense[2] & 0xF, SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(r->sense[12], SCSI_ADSENSE_UNRECOVERED_ERROR);
    assert_int_equal(r->irp.IoStatus.Status, STATUS_DEVICE_DATA_ERROR);
}

static void test_ncq_one_out_blamed(void **state)
{
    setup_port();
    AHCI_SIM_REQ *r = AhciSimRead(10);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    assert_int_equal(port.NcqIssued, 1);
    /* TFES; the tag stays in PxSACT (the HBA stopped). */
    device_error();
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    assert_int_equal(ncompleted, 1);
    assert_medium_error(r);
    assert_int_equal(port.Errors, 1);
    assert_int_equal(port.Issued, 0);
    assert_false(port.InRecovery);
    /* The engine was restarted after the error was cleared, and with no
     * NCQ log page a COMRESET took the device out of its error state. */
    assert_true(reg(AHCI_PxCMD) & AHCI_PxCMD_ST);
    assert_int_equal(reg(AHCI_PxSCTL) & AHCI_PxSCTL_IPM_NOPARTIAL_NOSLUMBER,
                     AHCI_PxSCTL_IPM_NOPARTIAL_NOSLUMBER);
    free(r);
    teardown_port();
}

/* Three out, no NCQ log page, no PxSERR hint: nobody is blamed on a
 * guess; after a COMRESET they go back one at a time, nothing joins them,
 * the innocents finish and the guilty one, failing alone, is blamed. */
static void test_ncq_several_isolated(void **state)
{
    AHCI_SIM_REQ *r[3];

    setup_port();
    for (int i = 0; i < 3; i++) {
        r[i] = AhciSimRead(100 * (i + 1));
        AhciSubmitSrb(&port, &r[i]->irp, &r[i]->srb);
    }
    assert_int_equal(port.NcqIssued, 0x7);
    device_error();
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0x7);
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    assert_int_equal(ncompleted, 0);                /* nobody blamed yet */
    assert_int_equal(port.Issued, 0x1);             /* slot 0 alone */
    assert_int_equal(port.Held, 0x6);
    assert_int_equal(reg(AHCI_PxSACT), 0x1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(port.Slots[i].Retries, 0); /* isolation spends no retry */

    /* Slot 0 succeeds alone: slot 1 goes next, alone. */
    device_ok();
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(r[0]->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(r[0]->srb.DataTransferLength, 4096);
    assert_int_equal(port.Issued, 0x2);
    assert_int_equal(port.Held, 0x4);
    /* The retried command's PRDT still points at its own page. */
    assert_int_equal(port.Slots[1].Prdt[0].Dba, (0x100 + 200) << 12);

    /* Slot 1 fails alone: blamed with the task file's sense. */
    device_error();
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    assert_int_equal(ncompleted, 2);
    assert_medium_error(r[1]);
    assert_int_equal(port.Issued, 0x4);
    assert_int_equal(port.Held, 0);

    /* Slot 2 finishes; new requests flow again. */
    device_ok();
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 3);
    assert_int_equal(r[2]->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(port.Issued, 0);
    assert_int_equal(port.Errors, 2);
    for (int i = 0; i < 3; i++)
        free(r[i]);
    teardown_port();
}

/* The HBA finishes tag Tag (an SDB FIS): PxSACT loses it and every tag the
 * model kept as finished while FIS reception was off. */
static void hba_sdb(ULONG Tag)
{
    setreg(AHCI_PxSACT, reg(AHCI_PxSACT) & ~((1u << Tag) | hba.Stale));
    setreg(AHCI_PxCI, 0);
    hba.Stale = 0;
}

/* QEMU with requests in flight at an NCQ error (the QEMU test's failure:
 * a later read "succeeded" with another command's data): slot 0 finished
 * before, slot 2 failed, slots 1 and 3 still run in the block layer.
 * Clearing ST does not stop them; only the COMRESET ends them, and it
 * must leave no finished tag behind that would clear the PxSACT bit of a
 * re-issued command before it ran.  Nothing completes without its data. */
static void test_ncq_error_inflight_not_completed_early(void **state)
{
    AHCI_SIM_REQ *r[4];

    setup_port();
    hba.On = TRUE;
    for (int i = 0; i < 4; i++) {
        r[i] = AhciSimRead(8 * (i + 1));
        AhciSubmitSrb(&port, &r[i]->irp, &r[i]->srb);
    }
    device_error();
    setreg(AHCI_PxCI, 0);
    setreg(AHCI_PxSACT, 0xE);
    hba.Running = 0xA;
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    /* Only what the device reported done before the error completed. */
    assert_int_equal(ncompleted, 1);
    assert_ptr_equal(completed[0], &r[0]->irp);
    assert_int_equal(r[0]->irp.IoStatus.Status, STATUS_SUCCESS);
    /* A COMRESET ended the running requests, with FIS reception on. */
    assert_true(hba.Resets >= 1);
    assert_int_equal(hba.Running, 0);
    assert_int_equal(hba.Stale, 0);
    assert_true(reg(AHCI_PxCMD) & AHCI_PxCMD_FRE);
    assert_true(reg(AHCI_PxCMD) & AHCI_PxCMD_ST);

    /* The first re-issued command runs and ends with an SDB FIS: it, and
     * only it, completes. */
    ULONG first = (ULONG)__builtin_ctz(port.Issued);
    hba_sdb(first);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 2);
    assert_ptr_equal(completed[1], &r[first]->irp);
    assert_int_equal(SRB_STATUS(r[3]->srb.SrbStatus), SRB_STATUS_PENDING);

    /* The rest, one at a time: slot 2 fails again alone and is blamed,
     * slot 3 finishes. */
    assert_int_equal(port.Issued, 0x4);
    device_error();
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    assert_int_equal(ncompleted, 3);
    assert_medium_error(r[2]);
    assert_int_equal(port.Issued, 0x8);
    hba_sdb(3);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 4);
    for (int i = 0; i < 4; i++)
        if (i != 2) {
            assert_int_equal(r[i]->irp.IoStatus.Status, STATUS_SUCCESS);
            assert_int_equal(r[i]->srb.DataTransferLength, 4096);
        }
    assert_int_equal(port.Issued | port.Held, 0);
    for (int i = 0; i < 4; i++)
        free(r[i]);
    teardown_port();
}

/* A queued command whose PxSACT bit cleared while its PxCI bit is still
 * set never reached the device (QEMU refuses a tag its old request still
 * holds and leaves PxCI set): it is not finished. */
static void test_ncq_sact_clear_but_ci_set_not_done(void **state)
{
    AHCI_SIM_REQ *r[2];

    setup_port();
    for (int i = 0; i < 2; i++) {
        r[i] = AhciSimRead(16 * (i + 1));
        AhciSubmitSrb(&port, &r[i]->irp, &r[i]->srb);
    }
    setreg(AHCI_PxSACT, 0);
    setreg(AHCI_PxCI, 0x2);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 1);
    assert_ptr_equal(completed[0], &r[0]->irp);
    assert_int_equal(port.Issued, 0x2);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 2);
    for (int i = 0; i < 2; i++)
        free(r[i]);
    teardown_port();
}

/* A non-queued command fails on an NCQ port: it is blamed, and the device
 * does not keep ERR in its status (QEMU would report it again with the
 * next NCQ command it accepts, blaming that one): COMRESET. */
static void test_non_queued_error_leaves_no_stale_err(void **state)
{
    setup_port();
    hba.On = TRUE;
    AHCI_SIM_REQ *f = AhciSimRead(0);
    f->srb.Cdb[0] = SCSIOP_SYNCHRONIZE_CACHE;
    f->srb.DataTransferLength = 0;
    f->srb.DataBuffer = NULL;
    f->irp.MdlAddress = NULL;
    AhciSubmitSrb(&port, &f->irp, &f->srb);
    assert_int_equal(port.Issued, 0x1);
    assert_int_equal(port.NcqIssued, 0);
    setreg(AHCI_PxTFD, ((ULONG)ATA_ERR_ABRT << AHCI_PxTFD_ERR_SHIFT) | ATA_STS_DRDY | ATA_STS_ERR);
    setreg(AHCI_PxCI, 0);
    AhciProcessPort(&port, AHCI_PxIS_TFES);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(SRB_STATUS(f->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_int_equal(hba.Resets, 1);
    assert_false(reg(AHCI_PxTFD) & ATA_STS_ERR);
    free(f);
    teardown_port();
}

/* QEMU: no TFES, PxSERR bit <tag> names the failed command; the task
 * file may already show a later success.  Innocents are re-issued. */
static void test_ncq_qemu_serr_names_guilty(void **state)
{
    AHCI_SIM_REQ *r[4];

    setup_port();
    port.Quirks |= NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR;
    for (int i = 0; i < 4; i++) {
        r[i] = AhciSimRead(10 * (i + 1));
        AhciSubmitSrb(&port, &r[i]->irp, &r[i]->srb);
    }
    /* Slot 0 finished fine, slot 2 failed, 1 and 3 still in flight. */
    device_ok();
    setreg(AHCI_PxSACT, 0xE);
    setreg(AHCI_PxCI, 0xE);
    setreg(AHCI_PxSERR, 1u << 2);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    /* io.c reaps what finished first; the next look (the next SDB FIS,
     * polling or the watchdog) finds only the error left and recovers. */
    assert_int_equal(ncompleted, 1);
    assert_int_equal(r[0]->irp.IoStatus.Status, STATUS_SUCCESS);
    assert_int_equal(port.Errors, 0);
    AhciProcessPort(&port, AHCI_PxIS_SDBS);
    assert_int_equal(ncompleted, 2);
    assert_int_equal(port.Errors, 1);
    assert_int_equal(SRB_STATUS(r[2]->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_true(r[2]->srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID);
    assert_int_equal(r[2]->irp.IoStatus.Status, STATUS_IO_DEVICE_ERROR); /* ABRT: aborted */
    assert_int_equal(port.Issued, 0xA);             /* 1 and 3 re-issued */
    assert_int_equal(port.Slots[1].Retries, 1);
    assert_int_equal(port.Slots[3].Retries, 1);
    assert_int_equal(reg(AHCI_PxSERR), AHCI_PxSERR_ALL);  /* cleared (write 1s) */
    for (int i = 0; i < 4; i++)
        free(r[i]);
    teardown_port();
}

/* A command that keeps being taken back without blame (host bus errors)
 * ends after AHCI_MAX_RETRIES with ABORTED COMMAND sense. */
static void test_retries_exhausted(void **state)
{
    setup_port();
    AHCI_SIM_REQ *r = AhciSimRead(7);
    AhciSubmitSrb(&port, &r->irp, &r->srb);
    for (int i = 0; i < AHCI_MAX_RETRIES; i++) {
        /* Plain memory, not W1C: the 1s the last recovery wrote to clear
         * PxIS would read back as errors it has (recovery reads PxIS). */
        setreg(AHCI_PxIS, 0);
        setreg(AHCI_PxCI, 1);
        setreg(AHCI_PxSACT, 1);
        AhciProcessPort(&port, AHCI_PxIS_HBFS);
        assert_int_equal(ncompleted, 0);
        assert_int_equal(port.Issued, 1);
        assert_int_equal(port.Slots[0].Retries, i + 1);
    }
    setreg(AHCI_PxIS, 0);
    setreg(AHCI_PxCI, 1);
    setreg(AHCI_PxSACT, 1);
    AhciProcessPort(&port, AHCI_PxIS_HBFS);
    assert_int_equal(ncompleted, 1);
    assert_int_equal(SRB_STATUS(r->srb.SrbStatus), SRB_STATUS_ERROR);
    assert_int_equal(r->sense[2] & 0xF, SCSI_SENSE_ABORTED_COMMAND);
    assert_int_equal(port.Issued, 0);
    assert_int_equal(port.Errors, AHCI_MAX_RETRIES + 1);
    free(r);
    teardown_port();
}

/* PhyRdy lost with commands out and one queued behind a non-queued
 * command: all fail STATUS_DEVICE_DOES_NOT_EXIST, the engine stops, the
 * port is gone and issues nothing more; a glitch that recovered does not
 * fail anything. */
static void test_link_lost_fails_requests(void **state)
{
    AHCI_SIM_REQ *r[3];

    setup_port();
    /* A glitch: PxSSTS still shows the device. */
    setreg(AHCI_PxSERR, 1u << 16);
    assert_true(AhciPortCheckLink(&port));
    assert_int_equal(port.State, AhciPortReady);

    for (int i = 0; i < 2; i++) {
        r[i] = AhciSimRead(i);
        AhciSubmitSrb(&port, &r[i]->irp, &r[i]->srb);
    }
    /* A flush waits behind the NCQ reads in the pending queue. */
    r[2] = AhciSimRead(0);
    r[2]->srb.Cdb[0] = SCSIOP_SYNCHRONIZE_CACHE;
    r[2]->srb.DataTransferLength = 0;
    r[2]->srb.DataBuffer = NULL;
    r[2]->irp.MdlAddress = NULL;
    AhciSubmitSrb(&port, &r[2]->irp, &r[2]->srb);
    assert_int_equal(port.Issued, 0x3);
    assert_false(IsListEmpty(&port.Pending));
    setreg(AHCI_PxCMD, AHCI_PxCMD_ST | AHCI_PxCMD_FRE);

    setreg(AHCI_PxSSTS, AHCI_PxSSTS_DET_NONE);      /* the disk is gone */
    assert_false(AhciPortCheckLink(&port));
    assert_int_equal(port.State, AhciPortGone);
    assert_int_equal(ncompleted, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(SRB_STATUS(r[i]->srb.SrbStatus), SRB_STATUS_NO_DEVICE);
        assert_int_equal(r[i]->irp.IoStatus.Status, STATUS_DEVICE_DOES_NOT_EXIST);
    }
    assert_int_equal(port.Issued, 0);
    assert_true(IsListEmpty(&port.Pending));
    assert_false(reg(AHCI_PxCMD) & AHCI_PxCMD_ST);  /* engine stopped */
    assert_int_equal(reg(AHCI_PxIE), 0);

    /* A request that slipped into the queue afterwards is not issued, and
     * the next check fails it. */
    setreg(AHCI_PxCI, 0);
    AHCI_SIM_REQ *late = AhciSimRead(5);
    AhciSubmitSrb(&port, &late->irp, &late->srb);
    assert_int_equal(port.Issued, 0);
    assert_int_equal(reg(AHCI_PxCI), 0);
    assert_false(AhciPortCheckLink(&port));
    assert_int_equal(ncompleted, 4);
    assert_int_equal(late->irp.IoStatus.Status, STATUS_DEVICE_DOES_NOT_EXIST);
    /* The link coming back does not revive the port. */
    setreg(AHCI_PxSSTS, AHCI_PxSSTS_DET_PHY);
    assert_false(AhciPortCheckLink(&port));
    assert_int_equal(port.State, AhciPortGone);
    for (int i = 0; i < 3; i++)
        free(r[i]);
    free(late);
    teardown_port();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ncq_one_out_blamed),
        cmocka_unit_test(test_ncq_several_isolated),
        cmocka_unit_test(test_ncq_error_inflight_not_completed_early),
        cmocka_unit_test(test_ncq_sact_clear_but_ci_set_not_done),
        cmocka_unit_test(test_non_queued_error_leaves_no_stale_err),
        cmocka_unit_test(test_ncq_qemu_serr_names_guilty),
        cmocka_unit_test(test_retries_exhausted),
        cmocka_unit_test(test_link_lost_fails_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
