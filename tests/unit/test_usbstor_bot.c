/* test_usbstor_bot.c - the bulk-only transport engine (drivers/usbstor/bot.c)
 * against a simulated device (bot_sim.c) that stalls in each phase, answers
 * short, returns a bad signature, tag, status, length or residue, phase-
 * errors, times out, fails its resets and leaves the bus.  Each test checks
 * what the class driver would see in the SRB and the order of the bus
 * operations the spec prescribes (BOT 1.0 5.3, 6.6, 6.7). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "bot_sim.h"

typedef struct {
    BOT_SIM Sim;
    BOT_DEVICE Dev;
    SCSI_REQUEST_BLOCK Srb;
    UCHAR Buf[4096];
    UCHAR Sense[32];
} FIXTURE;

static int setup(void **state)
{
    FIXTURE *f = calloc(1, sizeof(*f));
    BotSimInit(&f->Sim);
    BotInitialize(&f->Dev, &BotSimOps, &f->Sim);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* A READ(10) or WRITE(10) SRB as disk.sys builds it. */
static void rw_srb(FIXTURE *f, BOOLEAN Write, ULONG Lba, ULONG Blocks)
{
    SCSI_REQUEST_BLOCK *s = &f->Srb;
    memset(s, 0, sizeof(*s));
    s->Length = sizeof(*s);
    s->Function = SRB_FUNCTION_EXECUTE_SCSI;
    s->CdbLength = 10;
    s->Cdb[0] = Write ? SCSIOP_WRITE : SCSIOP_READ;
    ScsiPutBe32(s->Cdb + 2, Lba);
    ScsiPutBe16(s->Cdb + 7, Blocks);
    s->DataBuffer = f->Buf;
    s->DataTransferLength = Blocks * SIM_BLOCK;
    s->SrbFlags = Write ? SRB_FLAGS_DATA_OUT : SRB_FLAGS_DATA_IN;
    s->SenseInfoBuffer = f->Sense;
    s->SenseInfoBufferLength = sizeof(f->Sense);
    s->TimeOutValue = 10;
}

static void inquiry_srb(FIXTURE *f, ULONG Alloc)
{
    SCSI_REQUEST_BLOCK *s = &f->Srb;
    memset(s, 0, sizeof(*s));
    s->Function = SRB_FUNCTION_EXECUTE_SCSI;
    s->CdbLength = 6;
    s->Cdb[0] = SCSIOP_INQUIRY;
    s->Cdb[4] = (UCHAR)Alloc;
    s->DataBuffer = f->Buf;
    s->DataTransferLength = Alloc;
    s->SrbFlags = SRB_FLAGS_DATA_IN;
    s->SenseInfoBuffer = f->Sense;
    s->SenseInfoBufferLength = sizeof(f->Sense);
}

/* After any recovery the device must work again: a clean read of LBA 1. */
static void assert_device_works(FIXTURE *f)
{
    rw_srb(f, FALSE, 1, 1);
    BotSimClearLog(&f->Sim);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_memory_equal(f->Buf, f->Sim.Disk + SIM_BLOCK, SIM_BLOCK);
    assert_string_equal(f->Sim.Log, "cbw data-in csw");
}

static void test_cbw_layout(void **state)
{
    UCHAR cbw[BOT_CBW_LENGTH + 1], cdb[10] = { 0x28, 0, 1, 2, 3, 4, 0, 0, 8, 0 };
    memset(cbw, 0xAA, sizeof(cbw));
    BotBuildCbw(cbw, 0x11223344, 4096, TRUE, 3, cdb, sizeof(cdb));
    static const UCHAR want[BOT_CBW_LENGTH] = {
        0x55, 0x53, 0x42, 0x43, 0x44, 0x33, 0x22, 0x11, 0x00, 0x10, 0x00, 0x00, 0x80, 0x03, 10,
        0x28, 0, 1, 2, 3, 4, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(cbw, want, BOT_CBW_LENGTH);
    assert_int_equal(cbw[BOT_CBW_LENGTH], 0xAA);        /* 31 bytes, not 32 */
    /* no data: direction bit clear whatever the caller says */
    BotBuildCbw(cbw, 1, 0, TRUE, 0x13, cdb, 6);
    assert_int_equal(cbw[12], 0);
    assert_int_equal(cbw[13], 3);                       /* 4-bit LUN */
    assert_int_equal(cbw[21], 0);                       /* CDB tail zeroed */
}

static void test_csw_checks(void **state)
{
    UCHAR csw[13] = { 0x55, 0x53, 0x42, 0x53, 7, 0, 0, 0, 0x10, 0, 0, 0, 1 };
    UCHAR st = 0xFF;
    ULONG res = 0;

    assert_int_equal(BotCheckCsw(csw, 13, 7, 512, &st, &res), BotCswOk);
    assert_int_equal(st, 1);
    assert_int_equal(res, 16);
    assert_int_equal(BotCheckCsw(csw, 12, 7, 512, &st, &res), BotCswWrongLength);
    assert_int_equal(BotCheckCsw(csw, 14, 7, 512, &st, &res), BotCswWrongLength);
    assert_int_equal(BotCheckCsw(csw, 13, 8, 512, &st, &res), BotCswBadTag);
    assert_int_equal(BotCheckCsw(csw, 13, 7, 15, &st, &res), BotCswBadResidue);
    csw[12] = 2;        /* phase error: residue is not looked at */
    assert_int_equal(BotCheckCsw(csw, 13, 7, 15, &st, &res), BotCswOk);
    csw[12] = 3;
    assert_int_equal(BotCheckCsw(csw, 13, 7, 512, &st, &res), BotCswBadStatus);
    csw[12] = 0;
    csw[3] = 0x43;      /* "USBC": a CBW echoed back */
    assert_int_equal(BotCheckCsw(csw, 13, 7, 512, &st, &res), BotCswBadSignature);
    assert_string_equal(BotCswCheckNames[BotCswBadSignature], "CSW signature not 53425355h");
}

static void test_sense_parse(void **state)
{
    UCHAR key, asc, ascq;
    UCHAR fixed[18] = { 0xF0, 0, 3, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x11, 0x01, 0, 0, 0, 0 };
    UCHAR desc[8] = { 0x72, 5, 0x24, 0, 0, 0, 0, 0 };

    assert_int_equal(BotParseSense(fixed, 18, &key, &asc, &ascq), 18);
    assert_int_equal(key, 3);
    assert_int_equal(asc, 0x11);
    assert_int_equal(ascq, 1);
    assert_int_equal(BotParseSense(fixed, 13, &key, &asc, &ascq), 13);     /* cut to what came */
    assert_int_equal(ascq, 0);
    fixed[7] = 0;
    assert_int_equal(BotParseSense(fixed, 18, &key, &asc, &ascq), 8);
    assert_int_equal(BotParseSense(desc, 8, &key, &asc, &ascq), 8);
    assert_int_equal(key, 5);
    assert_int_equal(asc, 0x24);
    assert_int_equal(BotParseSense(desc, 3, &key, &asc, &ascq), 0);
    desc[0] = 0x7F;
    assert_int_equal(BotParseSense(desc, 8, &key, &asc, &ascq), 0);
    assert_int_equal(BotParseSense(desc, 0, &key, &asc, &ascq), 0);
}

static void test_read_write(void **state)
{
    FIXTURE *f = *state;

    rw_srb(f, FALSE, 2, 4);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(f->Srb.DataTransferLength, 4 * SIM_BLOCK);
    assert_memory_equal(f->Buf, f->Sim.Disk + 2 * SIM_BLOCK, 4 * SIM_BLOCK);
    assert_string_equal(f->Sim.Log, "cbw data-in csw");

    rw_srb(f, TRUE, 10, 2);
    memset(f->Buf, 0x5A, 2 * SIM_BLOCK);
    BotSimClearLog(&f->Sim);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.DataTransferLength, 2 * SIM_BLOCK);
    assert_int_equal(f->Sim.Disk[10 * SIM_BLOCK], 0x5A);
    assert_int_equal(f->Sim.Disk[12 * SIM_BLOCK - 1], 0x5A);
    assert_string_equal(f->Sim.Log, "cbw data-out csw");
    assert_int_equal(f->Dev.Stats.Commands, 2);
    assert_int_equal(f->Dev.Stats.ResetRecoveries, 0);
}

/* Hi > Di (6.7.2, case 4/5): the device has less than asked. */
static void test_short_answer(void **state)
{
    FIXTURE *f = *state;

    inquiry_srb(f, 96);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_DATA_OVERRUN);    /* NT's underrun */
    assert_int_equal(f->Srb.DataTransferLength, 36);
    assert_memory_equal(f->Buf + 8, "SimVend ", 8);
    assert_string_equal(f->Sim.Log, "cbw data-in(short) csw");
}

/* Short data then a halted Bulk-In (the other way 6.7.2 allows): clear it,
 * read the CSW, keep the residue. */
static void test_short_then_stall(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallAfterShort = 1;
    inquiry_srb(f, 96);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.DataTransferLength, 36);
    assert_string_equal(f->Sim.Log, "cbw data-in(short,stall) clear-in csw");
    assert_int_equal(f->Dev.Stats.Stalls, 1);
    assert_device_works(f);
}

/* The residue says less than crossed the bus: only what the device
 * vouches for counts; and a residue of 0 does not make up missing data. */
static void test_residue_rules(void **state)
{
    FIXTURE *f = *state;

    f->Sim.ShortBy = 512;
    f->Sim.LieResidue = 1;
    rw_srb(f, FALSE, 0, 4);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.DataTransferLength, 3 * SIM_BLOCK);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_DATA_OVERRUN);

    f->Sim.ExtraResidue = 1024;
    rw_srb(f, FALSE, 0, 4);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.DataTransferLength, 2 * SIM_BLOCK);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_DATA_OVERRUN);
}

/* A stalled data phase (6.7.2 Hi > Di, 6.7.3 Ho > Do): clear that pipe,
 * read the CSW; the device failed the command, REQUEST SENSE says why. */
static void test_stall_data_in(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallData = 1;
    f->Sim.FailCount = 1;
    f->Sim.FailWithKey = SCSI_SENSE_MEDIUM_ERROR;
    f->Sim.FailAsc = 0x11;
    rw_srb(f, FALSE, 0, 8);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw data-in(stall) clear-in csw cbw data-in csw");
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID);
    assert_int_equal(f->Srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
    assert_int_equal(f->Srb.DataTransferLength, 0);
    assert_int_equal(f->Srb.SenseInfoBufferLength, 18);
    assert_int_equal(f->Sense[2], SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(f->Sense[12], 0x11);
    assert_int_equal(f->Dev.Stats.SenseFetched, 1);
    assert_device_works(f);
}

static void test_stall_data_out(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallData = 1;
    f->Sim.FailCount = 1;
    f->Sim.FailWithKey = SCSI_SENSE_DATA_PROTECT;
    f->Sim.FailAsc = 0x27;
    rw_srb(f, TRUE, 4, 2);
    memset(f->Buf, 0xEE, 1024);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw data-out(stall) clear-out csw cbw data-in csw");
    assert_int_equal(f->Sense[2], SCSI_SENSE_DATA_PROTECT);
    assert_int_not_equal(f->Sim.Disk[4 * SIM_BLOCK], 0xEE);
    assert_device_works(f);
}

/* A stalled CSW is cleared and read once more (5.3.3). */
static void test_stall_csw_once(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallCsw = 1;
    rw_srb(f, FALSE, 3, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_SUCCESS);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_string_equal(f->Sim.Log, "cbw data-in csw(stall) clear-in csw");
    assert_int_equal(f->Dev.Stats.CswRetries, 1);
    assert_int_equal(f->Dev.Stats.ResetRecoveries, 0);
}

/* A second stall on the CSW: reset recovery, in the order of 5.3.4. */
static void test_stall_csw_twice(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallCsw = 2;
    rw_srb(f, FALSE, 3, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_BUS_RESET);
    assert_int_equal(f->Srb.DataTransferLength, 0);
    assert_string_equal(f->Sim.Log, "cbw data-in csw(stall) clear-in csw(stall) reset clear-in clear-out");
    assert_int_equal(f->Dev.Stats.ResetRecoveries, 1);
    assert_device_works(f);
}

/* Every invalid or meaningless CSW ends in reset recovery and a command
 * that counts for nothing (6.5). */
static void check_bad_csw(FIXTURE *f, PCSTR Problem)
{
    rw_srb(f, FALSE, 5, 2);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_BUS_RESET);
    assert_int_equal(f->Srb.DataTransferLength, 0);
    assert_int_equal(f->Srb.SenseInfoBufferLength, 0);
    assert_string_equal(f->Sim.Log, "cbw data-in csw reset clear-in clear-out");
    assert_string_equal(f->Dev.LastProblem, Problem);
    assert_int_equal(f->Dev.Stats.InvalidCsws, 1);
    assert_device_works(f);
}

static void test_bad_signature(void **state)
{
    FIXTURE *f = *state;
    f->Sim.BadSignature = 1;
    check_bad_csw(f, "CSW signature not 53425355h");
}

static void test_bad_tag(void **state)
{
    FIXTURE *f = *state;
    f->Sim.BadTag = 1;
    check_bad_csw(f, "CSW tag not the CBW's");
}

static void test_bad_status(void **state)
{
    FIXTURE *f = *state;
    f->Sim.BadStatus = 1;
    check_bad_csw(f, "CSW status not 0, 1 or 2");
}

static void test_bad_residue(void **state)
{
    FIXTURE *f = *state;
    f->Sim.BadResidue = 1;
    check_bad_csw(f, "CSW residue larger than the transfer");
}

static void test_short_csw(void **state)
{
    FIXTURE *f = *state;
    f->Sim.CswLength = 12;
    check_bad_csw(f, "CSW not 13 bytes");
}

/* Phase error (6.6.1): reset recovery; the device refuses CBWs until then. */
static void test_phase_error(void **state)
{
    FIXTURE *f = *state;

    f->Sim.PhaseError = 1;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_BUS_RESET);
    assert_string_equal(f->Sim.Log, "cbw data-in csw reset clear-in clear-out");
    assert_int_equal(f->Dev.Stats.PhaseErrors, 1);
    assert_int_equal(f->Sim.Resets, 1);
    assert_device_works(f);
}

/* Ho <> Di (case 10): the host sends data to a command that reads; the
 * device stalls Bulk-Out and phase-errors. */
static void test_direction_mismatch(void **state)
{
    FIXTURE *f = *state;

    rw_srb(f, FALSE, 0, 1);
    f->Srb.SrbFlags = SRB_FLAGS_DATA_OUT;       /* a READ with data going out */
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_BUS_RESET);
    assert_string_equal(f->Sim.Log, "cbw data-out(stall) clear-out csw reset clear-in clear-out");
    assert_device_works(f);
}

/* Hn < Di (case 2): no data asked by the host for a command with data. */
static void test_no_data_for_data_command(void **state)
{
    FIXTURE *f = *state;

    inquiry_srb(f, 36);
    f->Srb.DataTransferLength = 0;
    f->Srb.SrbFlags = 0;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw csw reset clear-in clear-out");
    assert_device_works(f);
}

/* A failed command: REQUEST SENSE, sense copied, AUTOSENSE_VALID; the
 * residue kept. */
static void test_failed_command_sense(void **state)
{
    FIXTURE *f = *state;
    SCSI_REQUEST_BLOCK *s = &f->Srb;

    memset(s, 0, sizeof(*s));
    s->Function = SRB_FUNCTION_EXECUTE_SCSI;
    s->CdbLength = 10;
    s->Cdb[0] = 0x42;           /* UNMAP: the stick has none */
    s->SenseInfoBuffer = f->Sense;
    s->SenseInfoBufferLength = 14;      /* smaller than what the device has */
    assert_int_equal(BotExecuteSrb(&f->Dev, s), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw csw cbw data-in csw");
    assert_int_equal(s->SrbStatus, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID);
    assert_int_equal(s->SenseInfoBufferLength, 14);
    assert_int_equal(f->Sense[2], SCSI_SENSE_ILLEGAL_REQUEST);
    assert_int_equal(f->Sense[12], 0x20);
    assert_int_equal(f->Dev.Stats.Failed, 1);
}

/* A failed command whose sense says "no sense": not reported as sense (the
 * class driver would read it as success). */
static void test_failed_no_sense(void **state)
{
    FIXTURE *f = *state;

    f->Sim.FailCount = 1;
    f->Sim.FailWithKey = 0;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_ERROR);
    assert_int_equal(f->Srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
    assert_int_equal(f->Srb.SenseInfoBufferLength, 0);
}

static void test_autosense_disabled(void **state)
{
    FIXTURE *f = *state;

    f->Sim.FailCount = 1;
    f->Sim.FailWithKey = SCSI_SENSE_NOT_READY;
    rw_srb(f, FALSE, 0, 1);
    f->Srb.SrbFlags |= SRB_FLAGS_DISABLE_AUTOSENSE;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw data-in csw");
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_ERROR);
}

static void check_timeout(FIXTURE *f, PCSTR Log)
{
    rw_srb(f, FALSE, 0, 2);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_TIMEOUT);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_TIMEOUT);
    assert_int_equal(f->Srb.DataTransferLength, 0);
    assert_string_equal(f->Sim.Log, Log);
    assert_int_equal(f->Dev.Stats.Timeouts, 1);
    assert_device_works(f);
}

static void test_timeout_cbw(void **state)
{
    FIXTURE *f = *state;
    f->Sim.TimeoutCbw = 1;
    check_timeout(f, "cbw(timeout) reset clear-in clear-out");
}

static void test_timeout_data(void **state)
{
    FIXTURE *f = *state;
    f->Sim.TimeoutData = 1;
    check_timeout(f, "cbw data-in(timeout) reset clear-in clear-out");
}

static void test_timeout_csw(void **state)
{
    FIXTURE *f = *state;
    f->Sim.TimeoutCsw = 1;
    check_timeout(f, "cbw data-in csw(timeout) reset clear-in clear-out");
}

/* A bus error in the data phase (babble: case 7, the device sends more). */
static void test_babble(void **state)
{
    FIXTURE *f = *state;

    f->Sim.ErrorData = 1;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_BUS_RESET);
    assert_string_equal(f->Sim.Log, "cbw data-in(babble) reset clear-in clear-out");
    assert_device_works(f);
}

/* A stalled CBW (the device out of step): reset recovery. */
static void test_stall_cbw(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallCbw = 1;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw(stall) reset clear-in clear-out");
    assert_device_works(f);
}

/* A device that does not take the class reset gets a port reset; one that
 * does not come back from that is given up, and nothing more goes to it. */
static void test_reset_escalation(void **state)
{
    FIXTURE *f = *state;

    f->Sim.PhaseError = 1;
    f->Sim.ResetFails = 1;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw data-in csw reset port-reset");
    assert_int_equal(f->Dev.Stats.PortResets, 1);
    assert_device_works(f);

    f->Sim.PhaseError = 1;
    f->Sim.ResetFails = 1;
    f->Sim.PortResetFails = 1;
    rw_srb(f, FALSE, 0, 1);
    BotSimClearLog(&f->Sim);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_NO_DEVICE);
    assert_true(f->Dev.Broken);
    rw_srb(f, FALSE, 0, 1);
    BotSimClearLog(&f->Sim);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "");
}

/* A clear halt that fails after a data stall: reset recovery. */
static void test_clear_halt_fails(void **state)
{
    FIXTURE *f = *state;

    f->Sim.StallData = 1;
    f->Sim.ClearFails = 1;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_IO_DEVICE_ERROR);
    assert_string_equal(f->Sim.Log, "cbw data-in(stall) clear-in reset clear-in clear-out");
    assert_device_works(f);
}

/* The device leaves: the request fails with STATUS_DEVICE_DOES_NOT_EXIST
 * and nothing more goes to the bus. */
static void test_gone(void **state)
{
    FIXTURE *f = *state;

    f->Sim.Gone = TRUE;
    rw_srb(f, FALSE, 0, 1);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_DEVICE_DOES_NOT_EXIST);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_NO_DEVICE);
    assert_true(f->Dev.Gone);
    BotSimClearLog(&f->Sim);
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_DEVICE_DOES_NOT_EXIST);
    assert_string_equal(f->Sim.Log, "");
}

/* SRBs that cannot be sent are refused before the bus sees anything. */
static void test_invalid_srbs(void **state)
{
    FIXTURE *f = *state;

    rw_srb(f, FALSE, 0, 1);
    f->Srb.DataBuffer = NULL;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_INVALID_PARAMETER);
    rw_srb(f, FALSE, 0, 1);
    f->Srb.SrbFlags = SRB_FLAGS_UNSPECIFIED_DIRECTION;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_INVALID_PARAMETER);
    rw_srb(f, FALSE, 0, 1);
    f->Srb.CdbLength = 17;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_INVALID_PARAMETER);
    rw_srb(f, FALSE, 0, 1);
    f->Srb.Lun = 16;
    assert_int_equal(BotExecuteSrb(&f->Dev, &f->Srb), STATUS_INVALID_PARAMETER);
    assert_int_equal(f->Srb.SrbStatus, SRB_STATUS_INVALID_REQUEST);
    assert_string_equal(f->Sim.Log, "");
    assert_int_equal(f->Dev.Stats.Commands, 0);
}

/* Each CBW has its own tag, and the CSW must carry it. */
static void test_tags_advance(void **state)
{
    FIXTURE *f = *state;
    ULONG first;

    rw_srb(f, FALSE, 0, 1);
    BotExecuteSrb(&f->Dev, &f->Srb);
    first = f->Sim.Tag;
    rw_srb(f, FALSE, 0, 1);
    BotExecuteSrb(&f->Dev, &f->Srb);
    assert_int_not_equal(f->Sim.Tag, first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cbw_layout),
        cmocka_unit_test(test_csw_checks),
        cmocka_unit_test(test_sense_parse),
        cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_then_stall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_residue_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_data_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_data_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_csw_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_csw_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_residue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_csw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direction_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_data_for_data_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_command_sense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_no_sense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autosense_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_cbw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_csw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_babble, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_cbw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_escalation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear_halt_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_srbs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_advance, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
