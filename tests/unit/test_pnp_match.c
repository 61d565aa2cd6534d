/* test_pnp_match.c - host unit tests of the PnP manager's matching
 * (kernel/pnp/match.c): Match values against hardware/compatible ID lists
 * (separators, blanks, case), ranking (hardware before compatible, earlier
 * before later), and service selection over a real configuration tree
 * (Disabled never, Demand only when loaded explicitly, ties by name). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cfg.h>
#include <pnp.h>
#include "host_support.h"

/* What the PCI bus driver reports for QEMU's ICH9 AHCI (00:1f.2). */
static const WCHAR AhciHw[] =
    u"PCI\\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02\0"
    u"PCI\\VEN_8086&DEV_2922&SUBSYS_11001AF4\0"
    u"PCI\\VEN_8086&DEV_2922\0";
static const WCHAR AhciCompat[] =
    u"PCI\\VEN_8086&DEV_2922&REV_02\0"
    u"PCI\\CC_010601\0"
    u"PCI\\CC_0106\0";
/* What the AHCI driver reports for a disk. */
static const WCHAR DiskHw[] = u"SCSI\\DiskATA_____QEMU_HARDDISK___\0SCSI\\Disk\0GenDisk\0";
static const WCHAR DiskCompat[] = u"SCSI\\Disk\0GenDisk\0";
static const WCHAR Empty[] = u"\0";

static void test_rank_exact_and_none(void **state)
{
    assert_int_equal(PnpRankMatch(u"PCI\\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02", AhciHw, AhciCompat), 0);
    assert_int_equal(PnpRankMatch(u"PCI\\VEN_8086&DEV_2922", AhciHw, AhciCompat), 2);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_010601", AhciHw, AhciCompat), PNP_RANK_COMPATIBLE + 1);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_0106", AhciHw, AhciCompat), PNP_RANK_COMPATIBLE + 2);
    /* Prefixes and longer strings are not matches. */
    assert_int_equal(PnpRankMatch(u"PCI\\CC_01", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_0106010", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"PCI\\VEN_8086", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(NULL, AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_010601", NULL, NULL), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_010601", Empty, Empty), PNP_RANK_NONE);
}

static void test_rank_case_insensitive(void **state)
{
    assert_int_equal(PnpRankMatch(u"pci\\cc_010601", AhciHw, AhciCompat), PNP_RANK_COMPATIBLE + 1);
    assert_int_equal(PnpRankMatch(u"Pci\\Ven_8086&Dev_2922", AhciHw, AhciCompat), 2);
    assert_int_equal(PnpRankMatch(u"scsi\\disk", DiskHw, DiskCompat), 1);
    assert_int_equal(PnpRankMatch(u"GENDISK", DiskHw, DiskCompat), 2);
}

static void test_rank_lists_and_separators(void **state)
{
    /* Several entries: the best (earliest) ID wins whatever the entry order. */
    assert_int_equal(PnpRankMatch(u"PCI\\CC_0106,PCI\\VEN_8086&DEV_2922", AhciHw, AhciCompat), 2);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_0106;PCI\\CC_010601", AhciHw, AhciCompat),
                     PNP_RANK_COMPATIBLE + 1);
    /* Blanks around entries and empty entries are ignored; blanks inside are not. */
    assert_int_equal(PnpRankMatch(u"  PCI\\CC_0106 , ;; PCI\\CC_010601  ", AhciHw, AhciCompat),
                     PNP_RANK_COMPATIBLE + 1);
    assert_int_equal(PnpRankMatch(u"PCI\\CC_01 0601", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u" ,;, ", AhciHw, AhciCompat), PNP_RANK_NONE);
    assert_int_equal(PnpRankMatch(u"NOPE\\X,GenDisk", DiskHw, DiskCompat), 2);
}

static void test_rank_hardware_beats_compatible(void **state)
{
    /* "SCSI\Disk" is both hardware ID 1 and compatible ID 0: hardware counts. */
    assert_int_equal(PnpRankMatch(u"SCSI\\Disk", DiskHw, DiskCompat), 1);
    /* Only in the compatible list. */
    static const WCHAR hw[] = u"X\\A\0X\\B\0";
    static const WCHAR compat[] = u"X\\C\0X\\A\0";
    assert_int_equal(PnpRankMatch(u"X\\C", hw, compat), PNP_RANK_COMPATIBLE + 0);
    assert_int_equal(PnpRankMatch(u"X\\A", hw, compat), 0);
    assert_true(PnpRankMatch(u"X\\B", hw, compat) < PnpRankMatch(u"X\\C", hw, compat));
}

/* A configuration with competing services. */
static const char SystemCfg[] =
    "[Services\\ahci]\n"
    "ImagePath = \\ntstor\\drivers\\ahci.sys\n"
    "Start = Boot\n"
    "Match = PCI\\CC_010601\n"
    "[Services\\ich9]\n"                    /* more specific, but Demand */
    "ImagePath = \\ntstor\\drivers\\ich9.sys\n"
    "Start = Demand\n"
    "Match = pci\\ven_8086&dev_2922\n"
    "[Services\\exact]\n"                   /* most specific, but Disabled */
    "ImagePath = x.sys\n"
    "Start = Disabled\n"
    "Match = PCI\\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02\n"
    "[Services\\storclass]\n"               /* class-only match, System */
    "Start = System\n"
    "Match = \"PCI\\CC_0106; PCI\\CC_0108\"\n"
    "[Services\\disk]\n"
    "Start = Boot\n"
    "Match = SCSI\\Disk\n"
    "[Services\\adisk]\n"                   /* same rank as disk, sorts first */
    "Start = Auto\n"
    "Match = GenDisk, SCSI\\Disk\n"
    "[Services\\nomatch]\n"
    "Start = Boot\n"
    "[Services\\weird]\n"                   /* unrecognised Start: Disabled */
    "Start = Sometimes\n"
    "Match = SCSI\\DiskATA_____QEMU_HARDDISK___\n";

static int GroupSetup(void **state)
{
    ObInitSystem();
    return CmInitSystem(SystemCfg, sizeof(SystemCfg) - 1) == STATUS_SUCCESS ? 0 : -1;
}

static void test_best_service_skips_disabled_and_demand(void **state)
{
    CHAR svc[PNP_SERVICE_CHARS];
    ULONG rank = 0;

    /* exact (Disabled) and ich9 (Demand) are better matches but not eligible. */
    assert_int_equal(PnpFindBestService(AhciHw, AhciCompat, NULL, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "ahci");
    assert_int_equal(rank, PNP_RANK_COMPATIBLE + 1);
}

static void test_best_service_explicit_demand(void **state)
{
    UNICODE_STRING ich9, other, exact;
    CHAR svc[PNP_SERVICE_CHARS];
    ULONG rank = 0;

    RtlInitUnicodeString(&ich9, u"ICH9");
    assert_int_equal(PnpFindBestService(AhciHw, AhciCompat, &ich9, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "ich9");
    assert_int_equal(rank, 2);
    /* Another explicit name does not make ich9 eligible. */
    RtlInitUnicodeString(&other, u"disk");
    assert_int_equal(PnpFindBestService(AhciHw, AhciCompat, &other, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "ahci");
    /* An explicit load never makes a Disabled service eligible. */
    RtlInitUnicodeString(&exact, u"exact");
    assert_int_equal(PnpFindBestService(AhciHw, AhciCompat, &exact, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "ahci");
}

static void test_best_service_tie_goes_to_first_name(void **state)
{
    CHAR svc[PNP_SERVICE_CHARS];
    ULONG rank = 0;

    /* adisk and disk both match hardware ID 1 (SCSI\Disk); "weird" would
     * match ID 0 but its Start is invalid, so it counts as Disabled. */
    assert_int_equal(PnpFindBestService(DiskHw, DiskCompat, NULL, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "adisk");
    assert_int_equal(rank, 1);
}

static void test_best_service_quoted_list_and_none(void **state)
{
    static const WCHAR raidHw[] = u"PCI\\VEN_1234&DEV_0001\0";
    static const WCHAR raidCompat[] = u"PCI\\CC_010800\0PCI\\CC_0108\0";
    static const WCHAR nicHw[] = u"PCI\\VEN_8086&DEV_10D3\0";
    static const WCHAR nicCompat[] = u"PCI\\CC_020000\0PCI\\CC_0200\0";
    CHAR svc[PNP_SERVICE_CHARS] = "unchanged";
    ULONG rank = 0;

    assert_int_equal(PnpFindBestService(raidHw, raidCompat, NULL, svc, sizeof(svc), &rank),
                     STATUS_SUCCESS);
    assert_string_equal(svc, "storclass");
    assert_int_equal(rank, PNP_RANK_COMPATIBLE + 1);
    strcpy(svc, "unchanged");
    assert_int_equal(PnpFindBestService(nicHw, nicCompat, NULL, svc, sizeof(svc), &rank),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_string_equal(svc, "unchanged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_exact_and_none),
        cmocka_unit_test(test_rank_case_insensitive),
        cmocka_unit_test(test_rank_lists_and_separators),
        cmocka_unit_test(test_rank_hardware_beats_compatible),
        cmocka_unit_test(test_best_service_skips_disabled_and_demand),
        cmocka_unit_test(test_best_service_explicit_demand),
        cmocka_unit_test(test_best_service_tie_goes_to_first_name),
        cmocka_unit_test(test_best_service_quoted_list_and_none),
    };
    return cmocka_run_group_tests(tests, GroupSetup, NULL);
}
