/* test_ahci_satl.c - SCSI-to-ATA translation (drivers/ahci/satl*.c) against
 * IDENTIFY data shaped like QEMU's ide_identify() output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <srb.h>
#include <ata.h>
#include "satl.h"

/* ---- IDENTIFY builder ---- */
static void put16(UCHAR *id, int w, USHORT v)
{
    id[w * 2] = (UCHAR)v;
    id[w * 2 + 1] = (UCHAR)(v >> 8);
}

static void putstr(UCHAR *id, int w, const char *s, int bytes)
{
    /* ATA string: space-padded, first character in the high byte. */
    char tmp[64];
    memset(tmp, ' ', sizeof(tmp));
    memcpy(tmp, s, strlen(s));
    for (int i = 0; i < bytes; i += 2)
        put16(id, w + i / 2, (USHORT)(((UCHAR)tmp[i] << 8) | (UCHAR)tmp[i + 1]));
}

/* As QEMU 7/8 builds it for "-device ide-hd" on AHCI with discard. */
static void qemu_identify(UCHAR *id, ULONG64 sectors, int trim)
{
    memset(id, 0, 512);
    put16(id, 0, 0x0040);
    putstr(id, 10, "QM00001", 20);
    putstr(id, 23, "2.5+", 8);
    putstr(id, 27, "QEMU HARDDISK", 40);
    put16(id, 47, 0x8000 | 16);
    put16(id, 49, (1 << 11) | (1 << 9) | (1 << 8));
    put16(id, 53, 7);
    ULONG lba28 = sectors > 0x0FFFFFFF ? 0x0FFFFFFF : (ULONG)sectors;
    put16(id, 60, (USHORT)lba28);
    put16(id, 61, (USHORT)(lba28 >> 16));
    put16(id, 75, 31);                 /* 32 NCQ tags */
    put16(id, 76, 1 << 8);
    put16(id, 80, 0xF0);
    put16(id, 82, (1 << 14) | (1 << 5) | 1);
    put16(id, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
    put16(id, 84, (1 << 14) | (1 << 5));
    put16(id, 85, (1 << 14) | (1 << 5) | 1);
    put16(id, 86, (1 << 13) | (1 << 12) | (1 << 10));
    put16(id, 87, 1 << 14);
    put16(id, 100, (USHORT)sectors);
    put16(id, 101, (USHORT)(sectors >> 16));
    put16(id, 102, (USHORT)(sectors >> 32));
    put16(id, 103, (USHORT)(sectors >> 48));
    put16(id, 106, 0x4000);
    if (trim) {
        put16(id, 69, (1 << 14) | (1 << 5));
        put16(id, 105, 1);
        put16(id, 169, 1);
    }
    put16(id, 217, 1);
}

static ATA_DEVICE_INFO dev;
static UCHAR scratch[4096];
static SATL_OPTIONS opt_ncq = { TRUE, scratch, sizeof(scratch) };
static SATL_OPTIONS opt_plain = { FALSE, scratch, sizeof(scratch) };

static void make_dev(ULONG64 sectors, int trim)
{
    UCHAR id[512];
    qemu_identify(id, sectors, trim);
    assert_int_equal(SatlParseIdentify(id, &dev), STATUS_SUCCESS);
}

static void expect_sense(const SATL_RESULT *r, UCHAR key, UCHAR asc, UCHAR ascq)
{
    assert_int_equal(r->Action, SatlActionCheckCondition);
    assert_int_equal(r->Sense.Key, key);
    assert_int_equal(r->Sense.Asc, asc);
    assert_int_equal(r->Sense.Ascq, ascq);
}

static void cdb10(UCHAR *c, UCHAR op, ULONG lba, USHORT count)
{
    memset(c, 0, 16);
    c[0] = op;
    ScsiPutBe32(c + 2, lba);
    ScsiPutBe16(c + 7, count);
}

static void cdb16(UCHAR *c, UCHAR op, ULONG64 lba, ULONG count)
{
    memset(c, 0, 16);
    c[0] = op;
    ScsiPutBe64(c + 2, lba);
    ScsiPutBe32(c + 10, count);
}

/* ---- IDENTIFY parsing ---- */
static void test_identify_qemu(void **state)
{
    make_dev(2097152, 1);   /* 1 GiB */
    assert_string_equal(dev.Model, "QEMU HARDDISK");
    assert_string_equal(dev.Serial, "QM00001");
    assert_string_equal(dev.Firmware, "2.5+");
    assert_int_equal(dev.Sectors, 2097152);
    assert_int_equal(dev.SectorSize, 512);
    assert_int_equal(dev.NcqDepth, 32);
    assert_true(dev.Lba48);
    assert_true(dev.Trim);
    assert_true(dev.TrimDeterministic);
    assert_true(dev.TrimZeroes);
    assert_int_equal(dev.DsmMaxBlocks, 1);
    assert_true(dev.WriteCache);
    assert_true(dev.WriteCacheEnabled);
    assert_true(dev.Smart);
    assert_true(dev.Gpl);
    assert_true(dev.FlushExt);
    assert_int_equal(dev.MaxTransferSectors, 65536);
    assert_int_equal(dev.RotationRate, 1);
}

static void test_identify_rejects(void **state)
{
    UCHAR id[512];
    ATA_DEVICE_INFO d;

    qemu_identify(id, 1000, 0);
    put16(id, 0, 0x85C0);               /* ATAPI */
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_DEVICE_PROTOCOL_ERROR);

    qemu_identify(id, 0, 0);            /* no capacity at all */
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_DEVICE_PROTOCOL_ERROR);

    qemu_identify(id, 1000, 0);
    put16(id, 49, 0);                   /* no LBA */
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_DEVICE_PROTOCOL_ERROR);

    qemu_identify(id, 1000, 0);
    put16(id, 106, 0x4000 | (1 << 12)); /* large logical sector ... */
    put16(id, 117, 300);                /* ... of 600 bytes */
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_DEVICE_PROTOCOL_ERROR);

    /* Checksum (word 255, signature A5h). */
    qemu_identify(id, 1000, 0);
    UCHAR sum = 0xA5;
    for (int i = 0; i < 510; i++)
        sum += id[i];
    id[510] = 0xA5;
    id[511] = (UCHAR)(0 - sum);
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_SUCCESS);
    id[511] ^= 1;
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_DEVICE_PROTOCOL_ERROR);
}

static void test_identify_4k_and_lba28(void **state)
{
    UCHAR id[512];
    ATA_DEVICE_INFO d;

    qemu_identify(id, 1 << 20, 0);
    put16(id, 106, 0x4000 | (1 << 12) | (1 << 13) | 0);
    put16(id, 117, 2048);               /* 4096-byte logical sectors, in words */
    put16(id, 118, 0);
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_SUCCESS);
    assert_int_equal(d.SectorSize, 4096);

    qemu_identify(id, 5000, 0);
    put16(id, 83, (1 << 14));           /* no LBA48 */
    put16(id, 76, 0);                   /* no NCQ */
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_SUCCESS);
    assert_false(d.Lba48);
    assert_int_equal(d.Sectors, 5000);
    assert_int_equal(d.NcqDepth, 0);
    assert_int_equal(d.MaxTransferSectors, 256);

    /* Model with an unprintable byte and leading blanks is cleaned. */
    qemu_identify(id, 5000, 0);
    putstr(id, 27, "  ODD\x01NAME", 40);
    assert_int_equal(SatlParseIdentify(id, &d), STATUS_SUCCESS);
    assert_string_equal(d.Model, "ODD NAME");
}

/* ---- READ / WRITE ---- */
static void test_read10_ncq(void **state)
{
    UCHAR c[16];
    SATL_RESULT r;

    make_dev(2097152, 1);
    cdb10(c, SCSIOP_READ, 0x1234, 8);
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 4096, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_READ_FPDMA_QUEUED);
    assert_int_equal(r.Ata.Protocol, SatlProtocolFpdmaIn);
    assert_int_equal(r.Ata.Features, 8);
    assert_int_equal(r.Ata.Count, 0);
    assert_int_equal(r.Ata.Lba, 0x1234);
    assert_int_equal(r.Ata.Device, ATA_DEV_LBA);
    assert_int_equal(r.Ata.TransferBytes, 4096);
    assert_true(SatlIsFpdma(&r.Ata));
    assert_false(SatlIsWrite(&r.Ata));

    cdb10(c, SCSIOP_WRITE, 7, 1);
    c[1] = 0x08;                        /* FUA */
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 512, &r);
    assert_int_equal(r.Ata.Command, ATA_CMD_WRITE_FPDMA_QUEUED);
    assert_int_equal(r.Ata.Device, ATA_DEV_LBA | ATA_DEV_FUA);
    assert_true(SatlIsWrite(&r.Ata));
}

static void test_read_write_dma_ext(void **state)
{
    UCHAR c[16];
    SATL_RESULT r;

    make_dev(2097152, 0);
    cdb16(c, SCSIOP_WRITE16, 100, 65536);
    static UCHAR big[65536 * 512 / 512];  /* buffer length only matters as a number */
    SatlTranslate(&dev, &opt_plain, c, 16, big, 65536u * 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_WRITE_DMA_EXT);
    assert_int_equal(r.Ata.Count, 0);   /* 65536 sectors encode as 0 */
    assert_int_equal(r.Ata.TransferBytes, 65536u * 512);
    assert_true(r.Ata.Lba48);

    c[1] = 0x08;
    SatlTranslate(&dev, &opt_plain, c, 16, big, 65536u * 512, &r);
    assert_int_equal(r.Ata.Command, ATA_CMD_WRITE_DMA_FUA_EXT);

    /* One sector past the limit of a single command. */
    cdb16(c, SCSIOP_READ16, 0, 65537);
    SatlTranslate(&dev, &opt_plain, c, 16, big, 0xFFFFFFFF, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* READ(6): a count of 0 means 256. */
    memset(c, 0, 16);
    c[0] = SCSIOP_READ6;
    c[3] = 5;
    SatlTranslate(&dev, &opt_plain, c, 6, big, 256 * 512, &r);
    assert_int_equal(r.Ata.Command, ATA_CMD_READ_DMA_EXT);
    assert_int_equal(r.Ata.Lba, 5);
    assert_int_equal(r.Ata.Count, 256);

    /* Buffer smaller than the transfer. */
    cdb10(c, SCSIOP_READ, 0, 2);
    SatlTranslate(&dev, &opt_plain, c, 10, big, 1023, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

static void test_lba_boundaries(void **state)
{
    UCHAR c[16];
    SATL_RESULT r;

    make_dev(1000, 0);
    cdb10(c, SCSIOP_READ, 999, 1);      /* the last sector */
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);

    cdb10(c, SCSIOP_READ, 999, 2);      /* one past the end */
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 1024, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);

    cdb10(c, SCSIOP_READ, 1000, 0);     /* zero length at the end: fine */
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 0, &r);
    assert_int_equal(r.Action, SatlActionComplete);
    assert_int_equal(r.DataLength, 0);

    cdb10(c, SCSIOP_READ, 1001, 0);     /* zero length past the end */
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 0, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);

    cdb16(c, SCSIOP_READ16, 0xFFFFFFFFFFFFFFFFull, 1);   /* wrap-around */
    SatlTranslate(&dev, &opt_ncq, c, 16, scratch, 512, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
}

static void test_big_disk(void **state)
{
    UCHAR c[16], d[32];
    SATL_RESULT r;
    ULONG64 sectors = 6ull << 30;       /* 3 TiB of 512-byte sectors */

    make_dev(sectors, 0);
    assert_int_equal(dev.Sectors, sectors);

    memset(c, 0, 16);
    c[0] = SCSIOP_READ_CAPACITY;
    SatlTranslate(&dev, &opt_ncq, c, 10, d, 8, &r);
    assert_int_equal(r.Action, SatlActionComplete);
    assert_int_equal(r.DataLength, 8);
    assert_int_equal(ScsiGetBe32(d), 0xFFFFFFFFu);
    assert_int_equal(ScsiGetBe32(d + 4), 512);

    memset(c, 0, 16);
    c[0] = SCSIOP_SERVICE_ACTION_IN16;
    c[1] = SERVICE_ACTION_READ_CAPACITY16;
    ScsiPutBe32(c + 10, 32);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, 32, &r);
    assert_int_equal(r.DataLength, 32);
    assert_int_equal(ScsiGetBe64(d), sectors - 1);
    assert_int_equal(d[14] & 0x80, 0);  /* no TRIM: LBPME clear */

    cdb16(c, SCSIOP_READ16, sectors - 8, 8);
    SatlTranslate(&dev, &opt_ncq, c, 16, scratch, 4096, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Lba, sectors - 8);

    /* READ(10) cannot reach past 2 TiB but works below it. */
    cdb10(c, SCSIOP_READ, 0xFFFFFFFF, 1);
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Lba, 0xFFFFFFFFull);
}

static void test_small_capacity(void **state)
{
    UCHAR c[16], d[8];
    SATL_RESULT r;

    make_dev(2097152, 1);
    memset(c, 0, 16);
    c[0] = SCSIOP_READ_CAPACITY;
    SatlTranslate(&dev, &opt_ncq, c, 10, d, 8, &r);
    assert_int_equal(ScsiGetBe32(d), 2097151);

    c[5] = 1;                           /* LBA without PMI */
    SatlTranslate(&dev, &opt_ncq, c, 10, d, 8, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* READ CAPACITY(16) truncated to its allocation length. */
    UCHAR e[32];
    memset(e, 0xEE, sizeof(e));
    memset(c, 0, 16);
    c[0] = SCSIOP_SERVICE_ACTION_IN16;
    c[1] = SERVICE_ACTION_READ_CAPACITY16;
    ScsiPutBe32(c + 10, 12);
    SatlTranslate(&dev, &opt_ncq, c, 16, e, 32, &r);
    assert_int_equal(r.DataLength, 12);
    assert_int_equal(e[12], 0xEE);
    c[10] = 0; c[13] = 32;
    SatlTranslate(&dev, &opt_ncq, c, 16, e, 32, &r);
    assert_int_equal(e[14] & 0xC0, 0xC0);   /* LBPME, LBPRZ */

    c[1] = 0x11;                        /* unknown service action */
    SatlTranslate(&dev, &opt_ncq, c, 16, e, 32, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* ---- INQUIRY ---- */
static void test_inquiry(void **state)
{
    UCHAR c[16], d[256];
    SATL_RESULT r;

    make_dev(2097152, 1);
    memset(c, 0, 16);
    c[0] = SCSIOP_INQUIRY;
    c[4] = 96;
    memset(d, 0xEE, sizeof(d));
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionComplete);
    assert_int_equal(r.DataLength, 96);
    assert_int_equal(d[0], DIRECT_ACCESS_DEVICE);
    assert_int_equal(d[4], 91);
    assert_memory_equal(d + 8, "ATA     ", 8);
    assert_memory_equal(d + 16, "QEMU HARDDISK   ", 16);
    assert_memory_equal(d + 32, "2.5+", 4);
    assert_int_equal(d[96], 0xEE);

    c[4] = 36;                          /* allocation length truncates */
    memset(d, 0xEE, sizeof(d));
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.DataLength, 36);
    assert_int_equal(d[36], 0xEE);

    c[4] = 96;                          /* so does a small buffer */
    SatlTranslate(&dev, &opt_ncq, c, 6, d, 5, &r);
    assert_int_equal(r.DataLength, 5);

    c[2] = 0x80;                        /* page code without EVPD */
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

static void test_vpd(void **state)
{
    UCHAR c[16], d[256];
    SATL_RESULT r;

    make_dev(2097152, 1);
    memset(c, 0, 16);
    c[0] = SCSIOP_INQUIRY;
    c[1] = 1;
    c[4] = 255;

    c[2] = VPD_SUPPORTED_PAGES;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionComplete);
    assert_int_equal(d[1], 0);
    assert_int_equal(ScsiGetBe16(d + 2), 6);
    UCHAR pages[] = { 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2 };
    assert_memory_equal(d + 4, pages, 6);

    c[2] = VPD_SERIAL_NUMBER;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(ScsiGetBe16(d + 2), 7);
    assert_memory_equal(d + 4, "QM00001", 7);
    assert_int_equal(r.DataLength, 11);

    c[2] = VPD_DEVICE_IDENTIFIERS;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(d[4] & 0x0F, VpdCodeSetAscii);
    assert_int_equal(d[5] & 0x0F, VpdIdentifierTypeVendorId);
    assert_int_equal(d[7], 68);
    assert_memory_equal(d + 8, "ATA     QEMU HARDDISK", 21);
    assert_memory_equal(d + 8 + 48, "QM00001 ", 8);
    assert_int_equal(ScsiGetBe16(d + 2), 72);

    c[2] = VPD_BLOCK_LIMITS;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.DataLength, 64);
    assert_int_equal(ScsiGetBe16(d + 2), 0x3C);
    assert_int_equal(ScsiGetBe32(d + 8), 65536);
    /* 1 DSM block = 64 ranges: 32 descriptors, 32 * FFFFh blocks. */
    assert_int_equal(ScsiGetBe32(d + 20), 32 * 0xFFFF);
    assert_int_equal(ScsiGetBe32(d + 24), 32);

    c[2] = VPD_BLOCK_DEVICE_CHARACTERISTICS;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(ScsiGetBe16(d + 4), 1);   /* non-rotating */

    c[2] = 0xC7;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    make_dev(2097152, 0);               /* no TRIM: no B2 page */
    c[2] = VPD_LOGICAL_BLOCK_PROVISIONING;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* ---- MODE SENSE, TUR, REPORT LUNS ---- */
static void test_mode_sense(void **state)
{
    UCHAR c[16], d[256];
    SATL_RESULT r;

    make_dev(2097152, 0);
    memset(c, 0, 16);
    c[0] = SCSIOP_MODE_SENSE;
    c[2] = MODE_PAGE_CACHING;
    c[4] = 255;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionComplete);
    assert_int_equal(r.DataLength, 4 + 8 + 20);
    assert_int_equal(d[0], 4 + 8 + 20 - 1);
    assert_int_equal(d[3], 8);
    assert_int_equal(ScsiGetBe32(d + 4), 2097152);
    assert_int_equal(ScsiGetBe32(d + 8), 512);
    assert_int_equal(d[12], MODE_PAGE_CACHING);
    assert_int_equal(d[13], 0x12);
    assert_int_equal(d[14] & 0x04, 0x04);  /* WCE */

    c[2] = 0x40 | MODE_PAGE_CACHING;    /* changeable values: none */
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(d[14] & 0x04, 0);

    memset(c, 0, 16);
    c[0] = SCSIOP_MODE_SENSE10;
    c[1] = 0x08;                        /* DBD */
    c[2] = MODE_SENSE_RETURN_ALL;
    ScsiPutBe16(c + 7, 255);
    SatlTranslate(&dev, &opt_ncq, c, 10, d, sizeof(d), &r);
    assert_int_equal(r.DataLength, 8 + 20 + 12);
    assert_int_equal(ScsiGetBe16(d), 8 + 20 + 12 - 2);
    assert_int_equal(ScsiGetBe16(d + 6), 0);
    assert_int_equal(d[8], MODE_PAGE_CACHING);
    assert_int_equal(d[28], MODE_PAGE_CONTROL);

    c[2] = 0xC0 | MODE_PAGE_CACHING;    /* saved values */
    SatlTranslate(&dev, &opt_ncq, c, 10, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, 0x39, 0);

    c[2] = 0x1C;                        /* unsupported page */
    SatlTranslate(&dev, &opt_ncq, c, 10, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* SAT-4 9.11: a stop is STANDBY IMMEDIATE; a start needs nothing; eject
 * and power conditions are not for a fixed disk. */
static void test_start_stop_unit(void **state)
{
    UCHAR c[16];
    SATL_RESULT r;

    make_dev(2097152, 0);
    memset(c, 0, 16);
    c[0] = SCSIOP_START_STOP_UNIT;
    SatlTranslate(&dev, &opt_ncq, c, 6, NULL, 0, &r);           /* START=0: stop */
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_STANDBY_IMMEDIATE);
    assert_int_equal(r.Ata.Protocol, SatlProtocolNonData);
    assert_int_equal(r.Ata.TransferBytes, 0);
    c[4] = 0x01;                                                /* START=1 */
    SatlTranslate(&dev, &opt_ncq, c, 6, NULL, 0, &r);
    assert_int_equal(r.Action, SatlActionComplete);
    c[4] = 0x02;                                                /* LOEJ */
    SatlTranslate(&dev, &opt_ncq, c, 6, NULL, 0, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[4] = 0x30;                                                /* a power condition */
    SatlTranslate(&dev, &opt_ncq, c, 6, NULL, 0, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

static void test_misc_commands(void **state)
{
    UCHAR c[16], d[64];
    SATL_RESULT r;

    make_dev(2097152, 0);
    memset(c, 0, 16);
    SatlTranslate(&dev, &opt_ncq, c, 6, NULL, 0, &r);   /* TEST UNIT READY */
    assert_int_equal(r.Action, SatlActionComplete);

    c[0] = SCSIOP_SYNCHRONIZE_CACHE;
    SatlTranslate(&dev, &opt_ncq, c, 10, NULL, 0, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_FLUSH_CACHE_EXT);
    assert_int_equal(r.Ata.Protocol, SatlProtocolNonData);

    cdb10(c, SCSIOP_VERIFY, 10, 100);
    SatlTranslate(&dev, &opt_ncq, c, 10, NULL, 0, &r);
    assert_int_equal(r.Ata.Command, ATA_CMD_READ_VERIFY_SECTORS_EXT);
    assert_int_equal(r.Ata.Count, 100);
    assert_int_equal(r.Ata.TransferBytes, 0);

    memset(c, 0, 16);
    c[0] = SCSIOP_REPORT_LUNS;
    ScsiPutBe32(c + 6, 64);
    SatlTranslate(&dev, &opt_ncq, c, 12, d, sizeof(d), &r);
    assert_int_equal(r.DataLength, 16);
    assert_int_equal(ScsiGetBe32(d), 8);
    ScsiPutBe32(c + 6, 8);
    SatlTranslate(&dev, &opt_ncq, c, 12, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    memset(c, 0, 16);
    c[0] = SCSIOP_REQUEST_SENSE;
    c[4] = 18;
    SatlTranslate(&dev, &opt_ncq, c, 6, d, sizeof(d), &r);
    assert_int_equal(r.DataLength, 18);
    assert_int_equal(d[0], 0x70);
    assert_int_equal(d[2], 0);

    /* Unknown opcodes and short CDBs. */
    memset(c, 0, 16);
    c[0] = 0xC5;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
    cdb16(c, SCSIOP_READ16, 0, 1);
    SatlTranslate(&dev, &opt_ncq, c, 10, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
    SatlTranslate(&dev, &opt_ncq, c, 0, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* ---- UNMAP -> TRIM ---- */
static ULONG unmap_list(UCHAR *l, const ULONG64 *lba, const ULONG *count, int n)
{
    memset(l, 0, 8 + 16 * n);
    ScsiPutBe16(l, 6 + 16 * n);
    ScsiPutBe16(l + 2, 16 * n);
    for (int i = 0; i < n; i++) {
        ScsiPutBe64(l + 8 + 16 * i, lba[i]);
        ScsiPutBe32(l + 16 + 16 * i, count[i]);
    }
    return 8 + 16 * n;
}

static ULONG64 le64(const UCHAR *p)
{
    ULONG64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void test_unmap(void **state)
{
    UCHAR c[16], list[1024];
    SATL_RESULT r;
    ULONG64 lba[2] = { 100, 1000000 };
    ULONG count[2] = { 8, 0x10000 + 5 };

    make_dev(2097152, 1);
    ULONG len = unmap_list(list, lba, count, 2);
    memset(c, 0, 16);
    c[0] = SCSIOP_UNMAP;
    ScsiPutBe16(c + 7, len);
    memset(scratch, 0xEE, sizeof(scratch));
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_DATA_SET_MANAGEMENT);
    assert_int_equal(r.Ata.Features, ATA_DSM_TRIM);
    assert_int_equal(r.Ata.Count, 1);
    assert_int_equal(r.Ata.TransferBytes, 512);
    assert_true(r.Ata.UseScratch);
    assert_true(SatlIsWrite(&r.Ata));
    assert_int_equal(le64(scratch), 100 | (8ull << 48));
    assert_int_equal(le64(scratch + 8), 1000000 | (0xFFFFull << 48));
    assert_int_equal(le64(scratch + 16), (1000000 + 0xFFFF) | (6ull << 48));
    assert_int_equal(le64(scratch + 24), 0);
    assert_int_equal(scratch[511], 0);
    assert_int_equal(scratch[512], 0xEE);   /* only one block written */

    /* Past the end of the disk. */
    lba[0] = 2097150;
    count[0] = 3;
    len = unmap_list(list, lba, count, 1);
    ScsiPutBe16(c + 7, len);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);

    /* More ranges than one DSM block holds (on a disk big enough). */
    make_dev(1u << 24, 1);
    lba[0] = 0;
    count[0] = 0xFFFF * 64 + 1;
    len = unmap_list(list, lba, count, 1);
    ScsiPutBe16(c + 7, len);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST, 0);

    /* Exactly 64 ranges fit. */
    count[0] = 0xFFFF * 64;
    len = unmap_list(list, lba, count, 1);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Count, 1);

    /* Zero-length descriptors: nothing to do. */
    count[0] = 0;
    len = unmap_list(list, lba, count, 1);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    assert_int_equal(r.Action, SatlActionComplete);

    /* Malformed list: descriptor length not a multiple of 16. */
    count[0] = 1;
    len = unmap_list(list, lba, count, 1);
    ScsiPutBe16(list + 2, 15);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST, 0);

    /* Parameter list length beyond the buffer. */
    ScsiPutBe16(c + 7, 200);
    SatlTranslate(&dev, &opt_ncq, c, 10, list, 24, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    make_dev(2097152, 0);               /* no TRIM */
    SatlTranslate(&dev, &opt_ncq, c, 10, list, len, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
}

/* ---- ATA PASS-THROUGH ---- */
static void test_pass_through(void **state)
{
    UCHAR c[16], d[512];
    SATL_RESULT r;

    make_dev(2097152, 0);
    /* smartctl's IDENTIFY: PIO in, T_DIR in, BYTE_BLOCK, T_LENGTH = count. */
    memset(c, 0, 16);
    c[0] = SCSIOP_ATA_PASSTHROUGH16;
    c[1] = ATA_PT_PROTOCOL_PIO_DATA_IN << 1;
    c[2] = 0x0E;
    c[6] = 1;
    c[14] = ATA_CMD_IDENTIFY_DEVICE;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_IDENTIFY_DEVICE);
    assert_int_equal(r.Ata.Protocol, SatlProtocolPioIn);
    assert_int_equal(r.Ata.Count, 1);
    assert_int_equal(r.Ata.TransferBytes, 512);
    assert_true(r.Ata.PassThrough);
    assert_false(r.Ata.Lba48);

    /* 48-bit READ DMA EXT with every LBA byte distinct (on a disk large
     * enough for that LBA: past the end would be refused). */
    make_dev(ATA_LBA48_LIMIT, 0);
    memset(c, 0, 16);
    c[0] = SCSIOP_ATA_PASSTHROUGH16;
    c[1] = (ATA_PT_PROTOCOL_DMA << 1) | 1;
    c[2] = 0x2E;                        /* CK_COND too */
    c[5] = 0; c[6] = 1;
    c[7] = 0x44; c[8] = 0x11; c[9] = 0x55; c[10] = 0x22; c[11] = 0x66; c[12] = 0x33;
    c[13] = 0x40;
    c[14] = ATA_CMD_READ_DMA_EXT;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Lba, 0x665544332211ull);
    assert_true(r.Ata.Lba48);
    assert_true(r.Ata.CheckCondition);
    assert_int_equal(r.Ata.Device, 0x40);
    assert_int_equal(r.Ata.Protocol, SatlProtocolDmaIn);
    make_dev(2097152, 0);

    /* Direction disagreeing with the protocol. */
    c[2] = 0x06;                        /* T_DIR out */
    c[1] = (ATA_PT_PROTOCOL_PIO_DATA_IN << 1) | 1;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, 512, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* NCQ protocol is refused: the port owns the tags. */
    c[1] = ATA_PT_PROTOCOL_NCQ << 1;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, 512, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* Transfer longer than the buffer (SMART READ LOG, a 28-bit command
     * that fits a (12)). */
    memset(c, 0, 16);
    c[0] = SCSIOP_ATA_PASSTHROUGH12;
    c[1] = ATA_PT_PROTOCOL_PIO_DATA_IN << 1;
    c[2] = 0x0E;
    c[3] = 0xD5;
    c[4] = 2;
    c[9] = ATA_CMD_SMART;
    SatlTranslate(&dev, &opt_ncq, c, 12, d, 512, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[4] = 1;
    SatlTranslate(&dev, &opt_ncq, c, 12, d, 512, &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_SMART);

    /* Non-data with a length is inconsistent. */
    c[1] = ATA_PT_PROTOCOL_NON_DATA << 1;
    SatlTranslate(&dev, &opt_ncq, c, 12, d, 512, &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* A pass-through CDB for ATA command Command with protocol Protocol,
 * EXTEND, transfer length in the sector count in 512-byte blocks when the
 * protocol moves data. */
static void pt16(UCHAR *c, UCHAR Protocol, int Extend, UCHAR Command, ULONG64 Lba, USHORT Count,
                 UCHAR Device)
{
    int data = Protocol != ATA_PT_PROTOCOL_NON_DATA;
    int in = Protocol == ATA_PT_PROTOCOL_PIO_DATA_IN || Protocol == ATA_PT_PROTOCOL_UDMA_DATA_IN ||
             Protocol == ATA_PT_PROTOCOL_DMA;

    memset(c, 0, 16);
    c[0] = SCSIOP_ATA_PASSTHROUGH16;
    c[1] = (UCHAR)((Protocol << 1) | (Extend ? 1 : 0));
    c[2] = data ? (UCHAR)(0x04 | ATA_PT_TLENGTH_SECTOR_COUNT | (in ? 0x08 : 0)) : 0;
    c[5] = (UCHAR)(Count >> 8);
    c[6] = (UCHAR)Count;
    c[7] = (UCHAR)(Lba >> 24);
    c[8] = (UCHAR)Lba;
    c[9] = (UCHAR)(Lba >> 32);
    c[10] = (UCHAR)(Lba >> 8);
    c[11] = (UCHAR)(Lba >> 40);
    c[12] = (UCHAR)(Lba >> 16);
    c[13] = Device;
    c[14] = Command;
}

/* Pass-through commands whose protocol, EXTEND bit, direction or length
 * disagree with their opcode are refused; a range past the end of a known
 * read/write/verify command is refused as READ(16)'s would be. */
static void test_pass_through_shape(void **state)
{
    UCHAR c[16];
    static UCHAR d[65536];
    SATL_RESULT r;

    make_dev(2097152, 0);

    /* The fuzz finding (issue 14): protocol 3 (non-data), EXTEND 0, READ
     * DMA EXT, every other field 25h.  Was issued with LBA 25252525h and no
     * PRDs. */
    static const UCHAR found[16] = { 0x85, 0x06, 0xdc, 0xdd, 0x7e, 0x25, 0x25, 0x25,
                                     0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25 };
    SatlTranslate(&dev, &opt_ncq, found, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* The same command shaped right is issued... */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA_EXT, 2097144, 8, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Lba, 2097144);
    assert_int_equal(r.Ata.TransferBytes, 8 * 512);
    assert_int_equal(r.Ata.Protocol, SatlProtocolDmaIn);
    assert_true(r.Ata.Lba48);
    /* ...UDMA DATA IN is the same thing... */
    c[1] = (ATA_PT_PROTOCOL_UDMA_DATA_IN << 1) | 1;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    /* ...but one sector further runs past the end: LBA OUT OF RANGE. */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA_EXT, 2097145, 8, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
    /* A 48-bit LBA far past the end, and one whose LBA + count wraps. */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA_EXT, 0xFFFFFFFFFFFFull, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);

    /* Count 0 of a 48-bit command is 65536 sectors: past the end here,
     * though a non-data protocol has no length to show it. */
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 1, ATA_CMD_READ_VERIFY_SECTORS_EXT, 2097152 - 65536, 0,
         ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    c[12] = 0x1F;                       /* LBA 1F0000h + 1: 65536 sectors end one past */
    c[8] = 1;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);

    /* Protocol against opcode: a DMA command as PIO, a PIO command as DMA,
     * a data command as non-data, a non-data command with data. */
    pt16(c, ATA_PT_PROTOCOL_PIO_DATA_IN, 1, ATA_CMD_READ_DMA_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_SECTORS_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    pt16(c, ATA_PT_PROTOCOL_PIO_DATA_IN, 1, ATA_CMD_READ_SECTORS_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Protocol, SatlProtocolPioIn);
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 1, ATA_CMD_WRITE_DMA_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    pt16(c, ATA_PT_PROTOCOL_DMA, 0, ATA_CMD_FLUSH_CACHE, 0, 1, 0);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 0, ATA_CMD_FLUSH_CACHE, 0, 0, 0);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_FLUSH_CACHE);

    /* Direction: WRITE DMA EXT with T_DIR in (protocol DMA reads then). */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_WRITE_DMA_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[2] &= (UCHAR)~0x08;               /* T_DIR out: now it agrees */
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_true(SatlIsWrite(&r.Ata));

    /* EXTEND against opcode, both ways, and a 48-bit command in a (12). */
    pt16(c, ATA_PT_PROTOCOL_DMA, 0, ATA_CMD_READ_DMA_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    memset(c, 0, 16);
    c[0] = SCSIOP_ATA_PASSTHROUGH12;
    c[1] = ATA_PT_PROTOCOL_DMA << 1;
    c[2] = 0x0E;
    c[4] = 1;
    c[8] = ATA_DEV_LBA;
    c[9] = ATA_CMD_READ_DMA_EXT;
    SatlTranslate(&dev, &opt_ncq, c, 12, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[9] = ATA_CMD_READ_DMA;            /* the 28-bit command fits a (12) */
    SatlTranslate(&dev, &opt_ncq, c, 12, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_false(r.Ata.Lba48);

    /* 28-bit: LBA 27:24 comes from DEVICE 3:0, count 0 means 256. */
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 0, ATA_CMD_READ_VERIFY_SECTORS, 0x1FFF00, 0,
         ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Lba, 0x1FFF00);
    c[8] = 1;                           /* 256 sectors from 1FFF01h: one past */
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 0, ATA_CMD_READ_VERIFY_SECTORS, 0, 1, ATA_DEV_LBA | 1);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
    /* Without the LBA bit the fields are CHS: refused. */
    pt16(c, ATA_PT_PROTOCOL_NON_DATA, 0, ATA_CMD_READ_VERIFY_SECTORS, 0, 1, 0);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* The transfer length must be what the command moves: COUNT sectors. */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA_EXT, 0, 8, ATA_DEV_LBA);
    c[2] = 0x08 | 0x04 | ATA_PT_TLENGTH_FEATURES;
    c[4] = 4;                           /* 4 blocks announced for 8 sectors */
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[4] = 8;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.TransferBytes, 8 * 512);

    /* IDENTIFY DEVICE moves 512 bytes, no more. */
    pt16(c, ATA_PT_PROTOCOL_PIO_DATA_IN, 0, ATA_CMD_IDENTIFY_DEVICE, 0, 2, 0);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* FPDMA opcodes: the port owns the tags, whatever the protocol says. */
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_FPDMA_QUEUED, 0, 8, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);

    /* An opcode the SATL does not know goes as the caller shaped it:
     * SMART READ DATA as PIO in. */
    pt16(c, ATA_PT_PROTOCOL_PIO_DATA_IN, 0, ATA_CMD_SMART, 0xC24F00, 1, 0);
    c[4] = 0xD0;
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.Command, ATA_CMD_SMART);
    assert_int_equal(r.Ata.Lba, 0xC24F00);

    /* 4 KiB sectors: T_TYPE 0 counts 512-byte blocks, the command moves
     * COUNT logical sectors. */
    UCHAR id[512];
    qemu_identify(id, 262144, 0);
    put16(id, 106, 0x4000 | (1 << 12));
    put16(id, 117, 2048);
    put16(id, 118, 0);
    assert_int_equal(SatlParseIdentify(id, &dev), STATUS_SUCCESS);
    assert_int_equal(dev.SectorSize, 4096);
    dev.MaxTransferSectors = 16;
    pt16(c, ATA_PT_PROTOCOL_DMA, 1, ATA_CMD_READ_DMA_EXT, 0, 1, ATA_DEV_LBA);
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    expect_sense(&r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
    c[2] |= 0x10;                       /* T_TYPE: logical sectors */
    SatlTranslate(&dev, &opt_ncq, c, 16, d, sizeof(d), &r);
    assert_int_equal(r.Action, SatlActionIssueAta);
    assert_int_equal(r.Ata.TransferBytes, 4096);
}

/* ---- ATA errors -> sense ---- */
static void test_ata_errors(void **state)
{
    UCHAR c[16];
    SATL_RESULT r;
    SATL_SENSE s;

    make_dev(1000, 0);
    cdb10(c, SCSIOP_READ, 10, 8);
    SatlTranslate(&dev, &opt_ncq, c, 10, scratch, 4096, &r);

    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_DRDY | ATA_STS_ERR, ATA_ERR_UNC, &s);
    assert_int_equal(s.Key, SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(s.Asc, 0x11);
    assert_int_equal(s.Ascq, 0x04);

    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR, ATA_ERR_IDNF, &s);
    assert_int_equal(s.Key, SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(s.Asc, 0x14);
    assert_int_equal(s.Ascq, 0x01);

    /* IDNF for a range past the end (the disk shrank, say). */
    r.Ata.Lba = 995;
    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR, ATA_ERR_IDNF, &s);
    assert_int_equal(s.Key, SCSI_SENSE_ILLEGAL_REQUEST);
    assert_int_equal(s.Asc, 0x21);

    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR, ATA_ERR_ABRT, &s);
    assert_int_equal(s.Key, SCSI_SENSE_ABORTED_COMMAND);
    assert_int_equal(s.Asc, 0);

    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR, ATA_ERR_ICRC | ATA_ERR_ABRT, &s);
    assert_int_equal(s.Key, SCSI_SENSE_ABORTED_COMMAND);
    assert_int_equal(s.Asc, 0x47);
    assert_int_equal(s.Ascq, 0x03);

    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR | ATA_STS_DF, 0, &s);
    assert_int_equal(s.Key, SCSI_SENSE_HARDWARE_ERROR);
    assert_int_equal(s.Asc, 0x44);

    /* Fixed-format layout. */
    UCHAR b[32];
    memset(b, 0xEE, sizeof(b));
    SatlSenseFromAta(&dev, &r.Ata, ATA_STS_ERR, ATA_ERR_UNC, &s);
    assert_int_equal(SatlBuildSense(&s, b, sizeof(b)), 18);
    assert_int_equal(b[0], 0x70);
    assert_int_equal(b[2], SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(b[7], 10);
    assert_int_equal(b[12], 0x11);
    assert_int_equal(b[13], 0x04);
    assert_int_equal(b[18], 0xEE);
    assert_int_equal(SatlBuildSense(&s, b, 8), 8);
}

static void test_pass_through_sense(void **state)
{
    SATL_ATA_COMMAND cmd = { 0 };
    SATL_TASKFILE tf = { 0 };
    SATL_SENSE s;
    UCHAR b[18];

    cmd.Lba48 = TRUE;
    tf.Status = ATA_STS_DRDY;
    tf.Device = 0x40;
    tf.Count = 0x0102;
    tf.Lba = 0x0000AB123456ull;
    SatlPassThroughSense(&cmd, &tf, &s);
    SatlBuildSense(&s, b, sizeof(b));
    assert_int_equal(b[2], SCSI_SENSE_RECOVERED_ERROR);
    assert_int_equal(b[12], 0x00);
    assert_int_equal(b[13], 0x1D);
    assert_int_equal(b[3], 0);          /* error */
    assert_int_equal(b[4], ATA_STS_DRDY);
    assert_int_equal(b[5], 0x40);
    assert_int_equal(b[6], 0x02);
    assert_int_equal(b[8], 0x80 | 0x40 | 0x20);
    assert_int_equal(b[9], 0x56);
    assert_int_equal(b[10], 0x34);
    assert_int_equal(b[11], 0x12);

    tf.Status = ATA_STS_DRDY | ATA_STS_ERR;
    tf.Error = ATA_ERR_ABRT;
    SatlPassThroughSense(&cmd, &tf, &s);
    SatlBuildSense(&s, b, sizeof(b));
    assert_int_equal(b[2], SCSI_SENSE_ABORTED_COMMAND);
    assert_int_equal(b[3], ATA_ERR_ABRT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_stop_unit),
        cmocka_unit_test(test_identify_qemu),
        cmocka_unit_test(test_identify_rejects),
        cmocka_unit_test(test_identify_4k_and_lba28),
        cmocka_unit_test(test_read10_ncq),
        cmocka_unit_test(test_read_write_dma_ext),
        cmocka_unit_test(test_lba_boundaries),
        cmocka_unit_test(test_big_disk),
        cmocka_unit_test(test_small_capacity),
        cmocka_unit_test(test_inquiry),
        cmocka_unit_test(test_vpd),
        cmocka_unit_test(test_mode_sense),
        cmocka_unit_test(test_misc_commands),
        cmocka_unit_test(test_unmap),
        cmocka_unit_test(test_pass_through),
        cmocka_unit_test(test_pass_through_shape),
        cmocka_unit_test(test_ata_errors),
        cmocka_unit_test(test_pass_through_sense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
