/* test_disk_partition.c - host unit tests of the kernel's partition-table
 * reader (kernel/fstub/partition.c, behind IoReadPartitionTableEx) on
 * images built here:
 * good GPT and MBR layouts, a corrupted primary GPT (backup used), bad
 * CRCs, entries beyond the usable area or overlapping, EBR chains with
 * loops and escapes, read failures, 4 KiB sectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "disk_image.h"
#include <fstub.h>
#include <rtl.h>

static uint8_t Scratch[FSTUB_SCRATCH_BYTES];
static FSTUB_LAYOUT Layout;

static TD_GPT_ENTRY Entries[3];

static void SetupEntries(void)
{
    memset(Entries, 0, sizeof(Entries));
    /* EFI system, Linux data, Microsoft basic data */
    TdGuid(Entries[0].Type, 0xC12A7328, 0xF81F, 0x11D2, 0xBA4B00A0C93EC93Bull);
    TdGuid(Entries[1].Type, 0x0FC63DAF, 0x8483, 0x4772, 0x8E793D69D8477DE4ull);
    TdGuid(Entries[2].Type, 0xEBD0A0A2, 0xB9E5, 0x4433, 0x87C068B6B72699C7ull);
    for (int i = 0; i < 3; i++)
        TdGuid(Entries[i].Id, 0xA0000000u + i, 0x1, 0x2, 0x0102030405060708ull + i);
    Entries[0].Start = 2048;  Entries[0].End = 4095;  Entries[0].Name = "EFI";
    Entries[1].Start = 4096;  Entries[1].End = 10239; Entries[1].Name = "root";
    Entries[2].Start = 10240; Entries[2].End = 16383; Entries[2].Name = "data";
    Entries[1].Attributes = 0x8000000000000001ull;
}

static NTSTATUS Parse(TEST_DISK *d)
{
    return FstubReadLayout(TdRead, d, d->SectorSize, d->Sectors, Scratch, &Layout);
}

static int LogHas(const char *s)
{
    return strstr(Layout.Log, s) != NULL;
}

static void AssertThreeGpt(void)
{
    assert_int_equal(Layout.Style, PARTITION_STYLE_GPT);
    assert_int_equal(Layout.Count, 3);
    assert_int_equal(Layout.Partitions[0].Number, 1);
    assert_int_equal(Layout.Partitions[0].StartLba, 2048);
    assert_int_equal(Layout.Partitions[0].Sectors, 2048);
    assert_int_equal(Layout.Partitions[1].StartLba, 4096);
    assert_int_equal(Layout.Partitions[1].Sectors, 6144);
    assert_int_equal(Layout.Partitions[1].Attributes, 0x8000000000000001ull);
    assert_int_equal(Layout.Partitions[2].Number, 3);
    assert_int_equal(Layout.Partitions[2].Sectors, 6144);
    assert_string_equal(FstubPartitionTypeName(&Layout.Partitions[0], Layout.Style), "efi-system");
    assert_string_equal(FstubPartitionTypeName(&Layout.Partitions[1], Layout.Style), "linux-data");
    assert_string_equal(FstubPartitionTypeName(&Layout.Partitions[2], Layout.Style), "ms-basic-data");
    assert_int_equal(Layout.Partitions[1].Name[0], 'r');
    assert_int_equal(Layout.Partitions[1].Name[3], 't');
    assert_int_equal(Layout.Partitions[1].Name[4], 0);
}

static void test_gpt_good(void **state)
{
    TEST_DISK d;
    char g[40];

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_int_equal(Layout.Problems, 0);
    assert_false(Layout.UsedBackupGpt);
    assert_int_equal(Layout.FirstUsableLba, 34);
    assert_int_equal(Layout.LastUsableLba, 32768 - 34);
    assert_int_equal(Layout.GptEntries, 128);
    RtlFormatGuidA(&Layout.DiskGuid, g, sizeof(g));
    assert_string_equal(g, "11223344-5566-7788-99AA-BBCCDDEEFF00");
    RtlFormatGuidA(&Layout.Partitions[0].IdGuid, g, sizeof(g));
    assert_string_equal(g, "A0000000-0001-0002-0102-030405060708");
    TdFree(&d);
}

static void test_gpt_primary_header_crc_bad_uses_backup(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    TdSector(&d, 1)[40] ^= 1;   /* FirstUsableLBA changed, CRC not updated */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_true(Layout.UsedBackupGpt);
    assert_true(LogHas("primary header at LBA 1: header CRC32"));
    assert_true(LogHas("using the backup header at LBA 32767"));
    TdFree(&d);
}

static void test_gpt_primary_wiped_uses_backup_at_last_lba(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    memset(TdSector(&d, 1), 0, 512);    /* no signature: AlternateLBA unknown */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_true(Layout.UsedBackupGpt);
    assert_true(LogHas("no \"EFI PART\" signature"));
    TdFree(&d);
}

static void test_gpt_primary_array_crc_bad_uses_backup(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    TdSector(&d, 2)[32] ^= 0x10;        /* entry 0's start in the primary array */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_true(Layout.UsedBackupGpt);
    assert_true(LogHas("entry array CRC32"));
    TdFree(&d);
}

static void test_gpt_backup_bad_primary_used(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    TdSector(&d, 32767)[0] = 'X';
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_false(Layout.UsedBackupGpt);
    assert_int_equal(Layout.Problems, 1);
    assert_true(LogHas("backup header at LBA 32767: no \"EFI PART\" signature (primary used)"));
    TdFree(&d);
}

static void test_gpt_both_bad_no_partitions(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    TdSector(&d, 1)[16] ^= 0xFF;
    TdSector(&d, 32767)[16] ^= 0xFF;
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_RAW);
    assert_int_equal(Layout.Count, 0);
    assert_true(LogHas("protective MBR but no valid GPT"));
    assert_true(LogHas("backup header at LBA 32767: header CRC32"));
    TdFree(&d);
}

static void test_gpt_header_field_checks(void **state)
{
    static const struct { int Offset; uint32_t Value; const char *Why; } cases[] = {
        { 8, 0x00020000, "revision" },
        { 12, 91, "header size 91" },
        { 12, 513, "header size 513" },
        { 24, 5, "MyLBA 5" },
        { 40, 40000, "usable LBA" },
        { 48, 40000, "usable LBA" },
        { 80, 100000, "100000 partition entries" },
        { 84, 100, "entry size 100" },
        { 84, 384, "entry size 384" },
        { 72, 20, "entry array LBA 20" },
        { 72, 0, "entry array LBA 0" },
    };
    SetupEntries();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_DISK d;
        TdInit(&d, 512, 32768);
        TdMakeGpt(&d, Entries, 3);
        memset(TdSector(&d, 32767), 0, 512);    /* no backup to fall back on */
        TdPut32(TdSector(&d, 1) + cases[i].Offset, cases[i].Value);
        if (cases[i].Offset == 24 || cases[i].Offset == 40 || cases[i].Offset == 48 || cases[i].Offset == 72)
            TdPut32(TdSector(&d, 1) + cases[i].Offset + 4, 0);
        TdGptResealHeader(&d, 1);
        assert_int_equal(Parse(&d), STATUS_SUCCESS);
        if (Layout.Count != 0 || !LogHas(cases[i].Why))
            fail_msg("case %zu (%s): count %u log:\n%s", i, cases[i].Why, Layout.Count, Layout.Log);
        TdFree(&d);
    }
}

static void test_gpt_bad_entries_skipped(void **state)
{
    TEST_DISK d;
    TD_GPT_ENTRY e[5];

    SetupEntries();
    memcpy(e, Entries, sizeof(Entries));
    e[3] = Entries[2];
    e[3].Start = 12000; e[3].End = 13000;           /* overlaps entry 2 */
    e[4] = Entries[2];
    e[4].Start = 30000; e[4].End = 40000;           /* beyond the disk */
    e[1].Start = 5000; e[1].End = 4999 - 1;         /* start after end */
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, e, 5);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_GPT);
    assert_int_equal(Layout.Count, 2);
    assert_int_equal(Layout.Partitions[0].StartLba, 2048);
    assert_int_equal(Layout.Partitions[1].StartLba, 10240);
    assert_int_equal(Layout.Partitions[1].Number, 2);
    assert_int_equal(Layout.Partitions[1].TableIndex, 2);
    assert_int_equal(Layout.Problems, 3);
    assert_true(LogHas("entry 1: starting LBA 5000 after ending LBA 4998"));
    assert_true(LogHas("entry 3: LBA 12000..13000 overlaps partition 2"));
    assert_true(LogHas("entry 4: LBA 30000..40000 outside the usable"));
    TdFree(&d);
}

static void test_gpt_4k_sectors(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 4096, 20000);
    TdMakeGpt(&d, Entries, 3);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    assert_int_equal(Layout.FirstUsableLba, 6);
    assert_int_equal(Layout.Problems, 0);
    TdFree(&d);
}

static void test_mbr_with_extended_chain(void **state)
{
    TEST_DISK d;
    uint8_t *m;

    TdInit(&d, 512, 65536);
    m = TdSector(&d, 0);
    TdPut32(m + 440, 0xDEADBEEF);
    TdMbrEntry(m, 0, 0x80, 0x0C, 2048, 8192);
    TdMbrEntry(m, 1, 0x00, 0x05, 10240, 40960);     /* extended 10240..51199 */
    TdMbrEntry(m, 2, 0x00, 0x83, 51200, 4096);
    /* EBR chain: logicals at +2048 from each EBR, links relative to 10240 */
    TdMbrEntry(TdSector(&d, 10240), 0, 0, 0x83, 2048, 4096);
    TdMbrEntry(TdSector(&d, 10240), 1, 0, 0x05, 8192, 8192);
    TdMbrEntry(TdSector(&d, 18432), 0, 0, 0x82, 2048, 2048);
    TdMbrEntry(TdSector(&d, 18432), 1, 0, 0x05, 16384, 8192);
    TdMbrEntry(TdSector(&d, 26624), 0, 0, 0x07, 2048, 2048);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_MBR);
    assert_int_equal(Layout.MbrSignature, 0xDEADBEEF);
    assert_int_equal(Layout.Problems, 0);
    assert_int_equal(Layout.Count, 5);
    assert_int_equal(Layout.Partitions[0].StartLba, 2048);
    assert_true(Layout.Partitions[0].Bootable);
    assert_int_equal(Layout.Partitions[0].MbrType, 0x0C);
    assert_int_equal(Layout.Partitions[1].StartLba, 51200);
    assert_int_equal(Layout.Partitions[2].StartLba, 12288);
    assert_int_equal(Layout.Partitions[2].Sectors, 4096);
    assert_int_equal(Layout.Partitions[2].TableIndex, 4);
    assert_int_equal(Layout.Partitions[3].StartLba, 20480);
    assert_string_equal(FstubPartitionTypeName(&Layout.Partitions[3], Layout.Style), "linux-swap");
    assert_int_equal(Layout.Partitions[4].StartLba, 28672);
    assert_int_equal(Layout.Partitions[4].Number, 5);
    assert_string_equal(FstubPartitionTypeName(&Layout.Partitions[4], Layout.Style), "ntfs");
    TdFree(&d);
}

static void test_mbr_ebr_loop(void **state)
{
    TEST_DISK d;
    uint8_t *m;

    TdInit(&d, 512, 65536);
    m = TdSector(&d, 0);
    TdMbrEntry(m, 0, 0, 0x0F, 10240, 40960);
    TdMbrEntry(TdSector(&d, 10240), 0, 0, 0x83, 2048, 4096);
    TdMbrEntry(TdSector(&d, 10240), 1, 0, 0x05, 8192, 8192);
    TdMbrEntry(TdSector(&d, 18432), 0, 0, 0x83, 2048, 2048);
    TdMbrEntry(TdSector(&d, 18432), 1, 0, 0x05, 0, 8192);  /* back to the first EBR */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, 2);
    assert_true(LogHas("EBR 2 at LBA 10240 links back to EBR 0: loop"));
    TdFree(&d);
}

static void test_mbr_ebr_self_loop_and_escape(void **state)
{
    TEST_DISK d;
    uint8_t *m;

    TdInit(&d, 512, 65536);
    m = TdSector(&d, 0);
    TdMbrEntry(m, 0, 0, 0x85, 10240, 20480);               /* 10240..30719 */
    TdMbrEntry(TdSector(&d, 10240), 0, 0, 0x83, 2048, 40000); /* runs past the container */
    TdMbrEntry(TdSector(&d, 10240), 1, 0, 0x05, 30000, 100); /* next EBR outside */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, 0);
    assert_true(LogHas("logical 0 (EBR LBA 10240): LBA 12288..52287 outside its extended partition"));
    assert_true(LogHas("EBR 1 at LBA 40240 outside the extended partition"));
    TdFree(&d);
}

static void test_mbr_bad_primaries(void **state)
{
    TEST_DISK d;
    uint8_t *m;

    TdInit(&d, 512, 10000);
    m = TdSector(&d, 0);
    TdMbrEntry(m, 0, 0x00, 0x83, 2048, 20000);     /* beyond the disk */
    TdMbrEntry(m, 1, 0x12, 0x83, 100, 100);        /* bad status byte */
    TdMbrEntry(m, 2, 0x00, 0x83, 1000, 1000);
    TdMbrEntry(m, 3, 0x00, 0x07, 1500, 10);        /* overlaps slot 2 */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, 1);
    assert_int_equal(Layout.Partitions[0].StartLba, 1000);
    assert_int_equal(Layout.Partitions[0].TableIndex, 2);
    assert_int_equal(Layout.Problems, 3);
    assert_true(LogHas("slot 0: LBA 2048..22047 outside the disk"));
    assert_true(LogHas("slot 1: status byte 0x12"));
    assert_true(LogHas("slot 3: LBA 1500..1509 overlaps partition 1"));
    TdFree(&d);
}

static void test_mbr_ebr_no_signature_and_read_error(void **state)
{
    TEST_DISK d;
    uint8_t *m;

    TdInit(&d, 512, 65536);
    m = TdSector(&d, 0);
    TdMbrEntry(m, 0, 0, 0x05, 10240, 40960);
    /* No EBR written at 10240 at all. */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_true(LogHas("EBR 0 at LBA 10240: no 0x55AA signature"));
    TdMbrEntry(TdSector(&d, 10240), 0, 0, 0x83, 2048, 4096);
    d.FailLba = 10240;
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, 0);
    assert_true(LogHas("EBR 0 at LBA 10240: read failed"));
    TdFree(&d);
}

static void test_blank_and_read_failure(void **state)
{
    TEST_DISK d;

    TdInit(&d, 512, 4096);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_RAW);
    assert_int_equal(Layout.Count, 0);
    assert_int_equal(Layout.Problems, 0);
    d.FailLba = 0;
    assert_int_equal(Parse(&d), STATUS_DEVICE_DATA_ERROR);
    assert_true(LogHas("LBA 0: read failed"));
    assert_int_equal(FstubReadLayout(TdRead, &d, 520, 4096, Scratch, &Layout), STATUS_INVALID_PARAMETER);
    assert_int_equal(FstubReadLayout(TdRead, &d, 512, 1, Scratch, &Layout), STATUS_INVALID_PARAMETER);
    TdFree(&d);
}

/* IoReadDiskSignature's inputs: LBA 0's signature and NT's checksum (the
 * 32-bit sum of its first 128 ULONGs, negated) on every style, and whether
 * LBA 0 is a protective MBR (a GPT must follow, else the disk is corrupt). */
static void test_signature_checksum_protective(void **state)
{
    TEST_DISK d;
    uint8_t *m;
    uint32_t sum = 0;

    TdInit(&d, 512, 4096);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.MbrCheckSum, 0);            /* a blank disk sums to 0 */
    assert_false(Layout.ProtectiveMbr);
    m = TdSector(&d, 0);
    TdPut32(m + 440, 0x12345678);
    TdMbrEntry(m, 0, 0x00, 0x83, 2048, 1024);
    for (int i = 0; i < 128; i++)
        sum += (uint32_t)m[4 * i] | (uint32_t)m[4 * i + 1] << 8 | (uint32_t)m[4 * i + 2] << 16 |
               (uint32_t)m[4 * i + 3] << 24;
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_MBR);
    assert_int_equal(Layout.MbrSignature, 0x12345678);
    assert_int_equal(Layout.MbrCheckSum, (uint32_t)(0u - sum));
    assert_int_equal((uint32_t)(Layout.MbrCheckSum + sum), 0);
    TdFree(&d);

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_GPT);
    assert_true(Layout.ProtectiveMbr);
    TdSector(&d, 1)[16] ^= 0xFF;
    TdSector(&d, 32767)[16] ^= 0xFF;
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Style, PARTITION_STYLE_RAW);
    assert_true(Layout.ProtectiveMbr);                  /* IoReadDiskSignature: STATUS_DISK_CORRUPT_ERROR */
    TdFree(&d);
}

static void test_gpt_without_protective_mbr(void **state)
{
    TEST_DISK d;

    SetupEntries();
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, Entries, 3);
    memset(TdSector(&d, 0), 0, 512);    /* LBA 0 wiped: GPT still found */
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    AssertThreeGpt();
    TdFree(&d);
}

static void test_gpt_too_many_partitions_capped(void **state)
{
    TEST_DISK d;
    TD_GPT_ENTRY e[TD_GPT_ENTRIES];

    SetupEntries();
    for (int i = 0; i < TD_GPT_ENTRIES; i++) {
        e[i] = Entries[1];
        e[i].Start = 100 + 10 * (uint64_t)i;
        e[i].End = e[i].Start + 9;
    }
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, e, TD_GPT_ENTRIES);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, TD_GPT_ENTRIES);    /* 128 = FSTUB_MAX_PARTITIONS */
    assert_int_equal(Layout.Partitions[127].StartLba, 100 + 1270);
    assert_int_equal(Layout.Problems, 0);
    TdFree(&d);
}

/* 128 broken entries write far more than the 1 KiB log holds: the log keeps
 * the first problems, each line whole, none empty, and says it is cut. */
static void test_problem_log_truncated_whole_lines(void **state)
{
    TEST_DISK d;
    TD_GPT_ENTRY e[TD_GPT_ENTRIES];
    ULONG lines = 0;

    SetupEntries();
    for (int i = 0; i < TD_GPT_ENTRIES; i++) {
        e[i] = Entries[1];
        e[i].Start = 5000 + (uint64_t)i;
        e[i].End = 4000;                                /* start after end */
    }
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, e, TD_GPT_ENTRIES);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Count, 0);
    assert_int_equal(Layout.Problems, TD_GPT_ENTRIES);
    assert_true(Layout.LogTruncated);
    assert_int_equal(Layout.LogLength, strlen(Layout.Log));
    assert_true(Layout.LogLength < sizeof(Layout.Log));
    for (const char *l = Layout.Log; *l; lines++) {
        const char *nl = strchr(l, '\n');
        assert_non_null(nl);                            /* every line ends */
        assert_true(nl > l);                            /* and none is empty */
        assert_memory_equal(l, "gpt: entry ", 11);      /* each names its entry */
        assert_memory_equal(nl - 9, ": skipped", 9);    /* and is complete */
        l = nl + 1;
    }
    assert_int_equal(lines, Layout.LogLines);
    assert_true(lines > 5 && lines < TD_GPT_ENTRIES);
    assert_true(LogHas("gpt: entry 0: starting LBA 5000 after ending LBA 4000: skipped\n"));
    TdFree(&d);
}

/* A log that fits is not marked cut. */
static void test_problem_log_not_truncated(void **state)
{
    TEST_DISK d;
    TD_GPT_ENTRY e[4];

    SetupEntries();
    memcpy(e, Entries, sizeof(Entries));
    e[3] = Entries[2];
    e[3].Start = 30000; e[3].End = 40000;               /* beyond the disk */
    TdInit(&d, 512, 32768);
    TdMakeGpt(&d, e, 4);
    assert_int_equal(Parse(&d), STATUS_SUCCESS);
    assert_int_equal(Layout.Problems, 1);
    assert_int_equal(Layout.LogLines, 1);
    assert_false(Layout.LogTruncated);
    TdFree(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt_good),
        cmocka_unit_test(test_gpt_primary_header_crc_bad_uses_backup),
        cmocka_unit_test(test_gpt_primary_wiped_uses_backup_at_last_lba),
        cmocka_unit_test(test_gpt_primary_array_crc_bad_uses_backup),
        cmocka_unit_test(test_gpt_backup_bad_primary_used),
        cmocka_unit_test(test_gpt_both_bad_no_partitions),
        cmocka_unit_test(test_gpt_header_field_checks),
        cmocka_unit_test(test_gpt_bad_entries_skipped),
        cmocka_unit_test(test_gpt_4k_sectors),
        cmocka_unit_test(test_gpt_without_protective_mbr),
        cmocka_unit_test(test_gpt_too_many_partitions_capped),
        cmocka_unit_test(test_problem_log_truncated_whole_lines),
        cmocka_unit_test(test_problem_log_not_truncated),
        cmocka_unit_test(test_mbr_with_extended_chain),
        cmocka_unit_test(test_mbr_ebr_loop),
        cmocka_unit_test(test_mbr_ebr_self_loop_and_escape),
        cmocka_unit_test(test_mbr_bad_primaries),
        cmocka_unit_test(test_mbr_ebr_no_signature_and_read_error),
        cmocka_unit_test(test_blank_and_read_failure),
        cmocka_unit_test(test_signature_checksum_protective),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
