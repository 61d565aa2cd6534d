/* test_disk_probe.c - disk.sys's reading of a device's start-up answers
 * (drivers/disk/probe.c): READ CAPACITY(10) first and (16) only when (10)
 * cannot hold the size or the device claims SPC-3, the MODE SENSE WP bit
 * in (6) and (10) headers (short and lying headers refused), VPD page 00h,
 * and READ/WRITE(10) unless (16) is needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../drivers/disk/probe.h"
#include <scsi.h>

static void test_capacity(void **state)
{
    UCHAR rc10[8] = { 0x00, 0x3F, 0xFF, 0xFF, 0, 0, 2, 0 };
    UCHAR rc16[32] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x80, 0 };
    ULONG64 last;
    ULONG block;
    BOOLEAN lbpme;

    assert_int_equal(DiskParseCapacity10(rc10, 8, &last, &block), STATUS_SUCCESS);
    assert_int_equal(last, 0x3FFFFF);
    assert_int_equal(block, 512);
    assert_int_equal(DiskParseCapacity10(rc10, 7, &last, &block), STATUS_DEVICE_PROTOCOL_ERROR);
    assert_int_equal(DiskParseCapacity16(rc16, 32, &last, &block, &lbpme), STATUS_SUCCESS);
    assert_int_equal(last, 0x100000000ull);
    assert_int_equal(block, 4096);
    assert_true(lbpme);
    assert_int_equal(DiskParseCapacity16(rc16, 14, &last, &block, &lbpme), STATUS_SUCCESS);
    assert_false(lbpme);                /* byte 14 did not come */
    assert_int_equal(DiskParseCapacity16(rc16, 11, &last, &block, &lbpme), STATUS_DEVICE_PROTOCOL_ERROR);
    assert_true(DiskBlockSizeOk(512));
    assert_true(DiskBlockSizeOk(4096));
    assert_false(DiskBlockSizeOk(0));
    assert_false(DiskBlockSizeOk(520));
    assert_false(DiskBlockSizeOk(8192));
}

/* A stick that says SCSI-2 (version 2) is asked (10) only, unless (10)
 * says FFFFFFFFh; an SPC-3 device (QEMU's scsi-hd, ntstor's SATL) both. */
static void test_want_capacity16(void **state)
{
    assert_false(DiskWantCapacity16(0x00, 0x3FFFFF));
    assert_false(DiskWantCapacity16(0x02, 0x3FFFFF));
    assert_false(DiskWantCapacity16(0x04, 0xFFFFFFFEull));
    assert_true(DiskWantCapacity16(0x02, 0xFFFFFFFFull));
    assert_true(DiskWantCapacity16(0x05, 0x3FFFFF));
    assert_true(DiskWantCapacity16(0x06, 0));
}

static void test_write_protect(void **state)
{
    UCHAR ms6[4] = { 3, 0, 0x80, 0 };
    UCHAR ms10[8] = { 0, 6, 0, 0x80, 0, 0, 0, 0 };
    BOOLEAN wp = TRUE;

    assert_int_equal(DiskModeSenseWriteProtect(ms6, 4, FALSE, &wp), STATUS_SUCCESS);
    assert_true(wp);
    ms6[2] = 0x10;      /* DPOFUA only */
    assert_int_equal(DiskModeSenseWriteProtect(ms6, 4, FALSE, &wp), STATUS_SUCCESS);
    assert_false(wp);
    assert_int_equal(DiskModeSenseWriteProtect(ms6, 3, FALSE, &wp), STATUS_DEVICE_PROTOCOL_ERROR);
    ms6[0] = 1;         /* MODE DATA LENGTH shorter than the header it is part of */
    assert_int_equal(DiskModeSenseWriteProtect(ms6, 4, FALSE, &wp), STATUS_DEVICE_PROTOCOL_ERROR);
    assert_int_equal(DiskModeSenseWriteProtect(ms10, 8, TRUE, &wp), STATUS_SUCCESS);
    assert_true(wp);
    assert_int_equal(DiskModeSenseWriteProtect(ms10, 7, TRUE, &wp), STATUS_DEVICE_PROTOCOL_ERROR);
    assert_false(wp);
}

static void test_vpd_listed(void **state)
{
    UCHAR p[8] = { 0, 0x00, 0, 3, 0x00, 0x80, 0x83, 0xB0 };

    assert_true(DiskVpdListed(p, 7, 0x80));
    assert_true(DiskVpdListed(p, 7, 0x83));
    assert_false(DiskVpdListed(p, 7, 0xB0));        /* listed past what came */
    assert_false(DiskVpdListed(p, 8, 0xB0));        /* past PAGE LENGTH */
    p[3] = 4;
    assert_true(DiskVpdListed(p, 8, 0xB0));
    p[1] = 0x80;                                    /* not page 00h */
    assert_false(DiskVpdListed(p, 8, 0x80));
    assert_false(DiskVpdListed(p, 3, 0x00));
}

static void test_read_write_cdb(void **state)
{
    UCHAR cdb[16];

    assert_int_equal(DiskBuildReadWrite(cdb, FALSE, FALSE, 0x01020304, 0x0506), 10);
    assert_int_equal(cdb[0], SCSIOP_READ);
    assert_int_equal(cdb[2], 1);
    assert_int_equal(cdb[5], 4);
    assert_int_equal(cdb[7], 5);
    assert_int_equal(cdb[8], 6);
    assert_int_equal(cdb[9] | cdb[1] | cdb[6], 0);
    assert_int_equal(DiskBuildReadWrite(cdb, FALSE, TRUE, 7, 1), 10);
    assert_int_equal(cdb[0], SCSIOP_WRITE);
    /* (16) when asked, or when (10) cannot carry it */
    assert_int_equal(DiskBuildReadWrite(cdb, TRUE, FALSE, 7, 1), 16);
    assert_int_equal(cdb[0], SCSIOP_READ16);
    assert_int_equal(DiskBuildReadWrite(cdb, FALSE, TRUE, 0xFFFFFFFFull, 1), 16);
    assert_int_equal(cdb[0], SCSIOP_WRITE16);
    assert_int_equal(DiskBuildReadWrite(cdb, FALSE, FALSE, 0, 0x10000), 16);
    assert_int_equal(DiskBuildReadWrite(cdb, FALSE, FALSE, 0xFFFFFFFEull, 1), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_want_capacity16),
        cmocka_unit_test(test_write_protect),
        cmocka_unit_test(test_vpd_listed),
        cmocka_unit_test(test_read_write_cdb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
