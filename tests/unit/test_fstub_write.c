/* test_fstub_write.c - host unit tests of the kernel's partition-table
 * writer (kernel/fstub/write.c, behind IoWritePartitionTableEx): layouts
 * written into a memory disk and read back with the reader
 * (kernel/fstub/partition.c), 512- and 4096-byte sectors; boot code kept;
 * an MBR over an old GPT clears its headers; bad layouts refused with
 * nothing written; a failed write reaches the caller. */
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

static uint8_t Scratch[FSTUB_SCRATCH_BYTES];
static FSTUB_LAYOUT Read;
static char Why[160];

/* A DRIVE_LAYOUT_INFORMATION_EX with room for N entries, zeroed. */
static PDRIVE_LAYOUT_INFORMATION_EX NewLayout(ULONG Style, ULONG N)
{
    PDRIVE_LAYOUT_INFORMATION_EX l = calloc(1, DRIVE_LAYOUT_INFORMATION_EX_SIZE(N ? N : 1));
    l->PartitionStyle = Style;
    l->PartitionCount = N;
    return l;
}

static void SetPart(PDRIVE_LAYOUT_INFORMATION_EX L, ULONG I, ULONG SectorSize, ULONG64 Lba, ULONG64 Count)
{
    L->PartitionEntry[I].PartitionStyle = L->PartitionStyle;
    L->PartitionEntry[I].StartingOffset.QuadPart = (LONGLONG)(Lba * SectorSize);
    L->PartitionEntry[I].PartitionLength.QuadPart = (LONGLONG)(Count * SectorSize);
}

static void SetGuid(GUID *G, ULONG D1)
{
    G->Data1 = D1;
    G->Data2 = 0x1234;
    G->Data3 = 0x5678;
    for (int i = 0; i < 8; i++)
        G->Data4[i] = (UCHAR)(0x10 * i + 1);
}

static NTSTATUS WriteIt(TEST_DISK *d, PDRIVE_LAYOUT_INFORMATION_EX L)
{
    return FstubWriteLayout(TdRead, TdWrite, d, d->SectorSize, d->Sectors, L, Scratch, Why, sizeof(Why));
}

static NTSTATUS ReadBack(TEST_DISK *d)
{
    return FstubReadLayout(TdRead, d, d->SectorSize, d->Sectors, Scratch, &Read);
}

static PDRIVE_LAYOUT_INFORMATION_EX ThreeGpt(ULONG SectorSize, ULONG64 Sectors)
{
    PDRIVE_LAYOUT_INFORMATION_EX l = NewLayout(PARTITION_STYLE_GPT, 3);
    ULONG64 mib = 1048576 / SectorSize;

    SetGuid(&l->Gpt.DiskId, 0xD15C0000);
    for (ULONG i = 0; i < 3; i++) {
        SetGuid(&l->PartitionEntry[i].Gpt.PartitionType, 0x0FC63DAF + i);
        SetGuid(&l->PartitionEntry[i].Gpt.PartitionId, 0xAB000000 + i);
        l->PartitionEntry[i].Gpt.Name[0] = 'p';
        l->PartitionEntry[i].Gpt.Name[1] = (WCHAR)('1' + i);
    }
    l->PartitionEntry[1].Gpt.Attributes = 0x8000000000000001ull;
    SetPart(l, 0, SectorSize, mib, mib);
    SetPart(l, 1, SectorSize, 2 * mib, 4 * mib);
    /* The last one ends on the last usable LBA (before the backup array). */
    SetPart(l, 2, SectorSize, 6 * mib, Sectors - 1 - (128 * 128 / SectorSize) - 6 * mib);
    return l;
}

static void GptRoundTrip(ULONG SectorSize, ULONG64 Sectors)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX l = ThreeGpt(SectorSize, Sectors);
    ULONG64 arraySectors = 128 * 128 / SectorSize;

    TdInit(&d, SectorSize, Sectors);
    memset(TdSector(&d, 0), 0xC3, 440);             /* boot code */
    assert_int_equal(WriteIt(&d, l), STATUS_SUCCESS);
    assert_int_equal(ReadBack(&d), STATUS_SUCCESS);
    assert_int_equal(Read.Style, PARTITION_STYLE_GPT);
    assert_int_equal(Read.Problems, 0);             /* primary and backup both good */
    assert_false(Read.UsedBackupGpt);
    assert_true(Read.ProtectiveMbr);
    assert_memory_equal(&Read.DiskGuid, &l->Gpt.DiskId, sizeof(GUID));
    assert_int_equal(Read.FirstUsableLba, 2 + arraySectors);
    assert_int_equal(Read.LastUsableLba, Sectors - 2 - arraySectors);
    assert_int_equal(Read.GptEntries, 128);
    assert_int_equal(Read.Count, 3);
    for (ULONG i = 0; i < 3; i++) {
        assert_int_equal(Read.Partitions[i].Number, i + 1);
        assert_int_equal(Read.Partitions[i].StartLba * SectorSize, l->PartitionEntry[i].StartingOffset.QuadPart);
        assert_int_equal(Read.Partitions[i].Sectors * SectorSize, l->PartitionEntry[i].PartitionLength.QuadPart);
        assert_memory_equal(&Read.Partitions[i].TypeGuid, &l->PartitionEntry[i].Gpt.PartitionType, sizeof(GUID));
        assert_memory_equal(&Read.Partitions[i].IdGuid, &l->PartitionEntry[i].Gpt.PartitionId, sizeof(GUID));
        assert_int_equal(Read.Partitions[i].Name[1], '1' + i);
    }
    assert_int_equal(Read.Partitions[1].Attributes, 0x8000000000000001ull);
    for (int i = 0; i < 440; i++)
        assert_int_equal(TdSector(&d, 0)[i], 0xC3);
    /* The backup alone is a whole table: wipe the primary header. */
    memset(TdSector(&d, 1), 0, SectorSize);
    assert_int_equal(ReadBack(&d), STATUS_SUCCESS);
    assert_true(Read.UsedBackupGpt);
    assert_int_equal(Read.Count, 3);
    free(l);
    TdFree(&d);
}

static void test_gpt_round_trip_512(void **state) { GptRoundTrip(512, 65536); }
static void test_gpt_round_trip_4k(void **state) { GptRoundTrip(4096, 16384); }

static void test_gpt_more_entries_than_128(void **state)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX l = NewLayout(PARTITION_STYLE_GPT, 130);

    TdInit(&d, 512, 65536);
    l->Gpt.MaxPartitionCount = 0;                   /* the writer sizes the array */
    for (ULONG i = 0; i < 130; i++) {
        SetGuid(&l->PartitionEntry[i].Gpt.PartitionType, 0xEBD0A0A2);
        SetPart(l, i, 512, 2048 + 100 * i, 100);
    }
    assert_int_equal(WriteIt(&d, l), STATUS_SUCCESS);
    assert_int_equal(ReadBack(&d), STATUS_SUCCESS);
    assert_int_equal(Read.GptEntries, 130);
    /* The reader reports 128 and says the rest were skipped. */
    assert_int_equal(Read.Count, FSTUB_MAX_PARTITIONS);
    assert_int_equal(Read.Problems, 2);
    free(l);
    TdFree(&d);
}

static void test_mbr_round_trip_keeps_boot_code_and_clears_old_gpt(void **state)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX g = ThreeGpt(512, 65536), l = NewLayout(PARTITION_STYLE_MBR, 4);

    TdInit(&d, 512, 65536);
    assert_int_equal(WriteIt(&d, g), STATUS_SUCCESS);
    memset(TdSector(&d, 0), 0x5A, 440);
    l->Mbr.Signature = 0xCAFEF00D;
    l->PartitionEntry[0].Mbr.PartitionType = 0x0C;
    l->PartitionEntry[0].Mbr.BootIndicator = TRUE;
    SetPart(l, 0, 512, 2048, 8192);
    /* slot 1 left empty (type 0) */
    l->PartitionEntry[2].Mbr.PartitionType = 0x83;
    SetPart(l, 2, 512, 10240, 55296);               /* to the last LBA */
    l->PartitionEntry[3].Mbr.PartitionType = 0x07;
    SetPart(l, 3, 512, 1, 2047);
    assert_int_equal(WriteIt(&d, l), STATUS_SUCCESS);
    assert_int_equal(ReadBack(&d), STATUS_SUCCESS);
    assert_int_equal(Read.Style, PARTITION_STYLE_MBR);
    assert_int_equal(Read.Problems, 0);
    assert_false(Read.ProtectiveMbr);
    assert_int_equal(Read.MbrSignature, 0xCAFEF00D);
    assert_int_equal(Read.Count, 3);
    assert_int_equal(Read.Partitions[0].TableIndex, 0);
    assert_int_equal(Read.Partitions[0].MbrType, 0x0C);
    assert_true(Read.Partitions[0].Bootable);
    assert_int_equal(Read.Partitions[1].TableIndex, 2);
    assert_int_equal(Read.Partitions[1].StartLba, 10240);
    assert_int_equal(Read.Partitions[1].Sectors, 55296);
    assert_false(Read.Partitions[1].Bootable);
    assert_int_equal(Read.Partitions[2].TableIndex, 3);
    for (int i = 0; i < 440; i++)
        assert_int_equal(TdSector(&d, 0)[i], 0x5A);
    /* The old GPT's headers are gone, its arrays are just data. */
    assert_int_equal(memcmp(TdSector(&d, 1), "EFI PART", 8) != 0, 1);
    assert_int_equal(memcmp(TdSector(&d, 65535), "EFI PART", 8) != 0, 1);
    free(g);
    free(l);
    TdFree(&d);
}

/* Each refused layout leaves the disk untouched: not one write. */
static void ExpectRefused(TEST_DISK *d, PDRIVE_LAYOUT_INFORMATION_EX L, NTSTATUS Status, const char *Text)
{
    d->Writes = 0;
    assert_int_equal(WriteIt(d, L), Status);
    assert_int_equal(d->Writes, 0);
    if (!strstr(Why, Text))
        fail_msg("why \"%s\" lacks \"%s\"", Why, Text);
}

static void test_bad_layouts_refused_nothing_written(void **state)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX g = ThreeGpt(512, 65536), m = NewLayout(PARTITION_STYLE_MBR, 5);

    TdInit(&d, 512, 65536);
    SetPart(g, 1, 512, 2048 + 100, 10);              /* inside partition 0 */
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "overlaps entry 0");
    SetPart(g, 1, 512, 65536 - 33, 1);               /* the backup array */
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "outside the usable LBA 34..65502");
    SetPart(g, 1, 512, 20, 10);                      /* the primary array */
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "outside the usable");
    g->PartitionEntry[1].StartingOffset.QuadPart = 4096 * 512 + 1;
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "not whole 512-byte sectors");
    SetPart(g, 1, 512, 4096, 0);
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "not whole");
    SetPart(g, 1, 512, 4096, 100);
    memset(&g->PartitionEntry[1].Gpt.PartitionType, 0, sizeof(GUID));
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "no partition type");
    g->Gpt.MaxPartitionCount = 4096;
    SetGuid(&g->PartitionEntry[1].Gpt.PartitionType, 1);
    ExpectRefused(&d, g, STATUS_INVALID_PARAMETER, "4096 entries");

    for (ULONG i = 0; i < 5; i++) {
        m->PartitionEntry[i].Mbr.PartitionType = 0x83;
        SetPart(m, i, 512, 2048 + 1000 * i, 1000);
    }
    ExpectRefused(&d, m, STATUS_NOT_SUPPORTED, "four primaries");
    m->PartitionCount = 2;
    m->PartitionEntry[1].Mbr.PartitionType = PARTITION_EXTENDED;
    ExpectRefused(&d, m, STATUS_NOT_SUPPORTED, "extended");
    m->PartitionEntry[1].Mbr.PartitionType = 0x83;
    SetPart(m, 1, 512, 60000, 6000);                 /* past the end */
    ExpectRefused(&d, m, STATUS_INVALID_PARAMETER, "outside");
    SetPart(m, 1, 512, 0, 100);                      /* over LBA 0 */
    ExpectRefused(&d, m, STATUS_INVALID_PARAMETER, "past LBA 0");
    SetPart(m, 1, 512, 2500, 100);
    ExpectRefused(&d, m, STATUS_INVALID_PARAMETER, "overlaps entry 0");
    m->PartitionStyle = PARTITION_STYLE_RAW;
    ExpectRefused(&d, m, STATUS_NOT_SUPPORTED, "MBR or GPT only");
    assert_int_equal(FstubWriteLayout(TdRead, TdWrite, &d, 520, 65536, g, Scratch, Why, sizeof(Why)),
                     STATUS_INVALID_PARAMETER);
    free(g);
    free(m);
    TdFree(&d);
}

static void test_mbr_beyond_2tib_refused(void **state)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX m = NewLayout(PARTITION_STYLE_MBR, 1);

    /* The entry is checked against the disk's size before anything is
     * read or written, so a 3 TiB "disk" needs no memory here. */
    d.Data = NULL;
    d.SectorSize = 512;
    d.Sectors = 6ull << 30;
    d.FailLba = d.FailWriteLba = UINT64_MAX;
    d.Writes = d.Reads = 0;
    m->PartitionEntry[0].Mbr.PartitionType = 0x07;
    SetPart(m, 0, 512, 2048, 5ull << 30);
    ExpectRefused(&d, m, STATUS_INVALID_PARAMETER, "beyond what an MBR entry holds");
    assert_int_equal(d.Reads, 0);
    free(m);
}

static void test_write_failure_reaches_caller(void **state)
{
    TEST_DISK d;
    PDRIVE_LAYOUT_INFORMATION_EX g = ThreeGpt(512, 65536);

    TdInit(&d, 512, 65536);
    d.FailWriteLba = 1;                              /* the primary header */
    assert_int_equal(WriteIt(&d, g), STATUS_DEVICE_DATA_ERROR);
    assert_non_null(strstr(Why, "write failed"));
    /* LBA 0 comes last: it was not written, so no protective MBR points at
     * a half-written GPT. */
    assert_int_equal(TdSector(&d, 0)[510], 0);
    d.FailWriteLba = UINT64_MAX;
    d.FailLba = 0;
    assert_int_equal(WriteIt(&d, g), STATUS_DEVICE_DATA_ERROR);
    assert_non_null(strstr(Why, "LBA 0 read failed"));
    free(g);
    TdFree(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt_round_trip_512),
        cmocka_unit_test(test_gpt_round_trip_4k),
        cmocka_unit_test(test_gpt_more_entries_than_128),
        cmocka_unit_test(test_mbr_round_trip_keeps_boot_code_and_clears_old_gpt),
        cmocka_unit_test(test_bad_layouts_refused_nothing_written),
        cmocka_unit_test(test_mbr_beyond_2tib_refused),
        cmocka_unit_test(test_write_failure_reaches_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
