/* test_busid.c - the bus drivers' ID helpers (include/ntstor_busid.h,
 * ntstor_scsiid.h, ntstor_targetrel.h): the exact SCSI IDs ahci's disks and
 * usbstor's LUNs answer with (test_pnp.py and test_usbstor.py read them from
 * the guest), ID-safe characters and pieces, a list that does not fit
 * failing rather than answering with a cut ID, the pool the answers come
 * in, and the TargetDeviceRelation list with its reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include <ntstor_scsiid.h>
#include <ntstor_targetrel.h>

#define TEST_TAG NTSTOR_TAG('T', 'B', 'i', 'd')

/* The pool answer of List, compared with Want (its NULs included, the
 * list's terminator too), and freed. */
static void ExpectAnswer(PNTSTOR_ID_LIST List, const WCHAR *Want, size_t WantChars)
{
    ULONG_PTR info = 0;
    PWCHAR got;

    assert_int_equal(NtstorIdListFinish(List, TEST_TAG, &info), STATUS_SUCCESS);
    got = (PWCHAR)info;
    assert_non_null(got);
    assert_int_equal(host_pool_bytes(TEST_TAG), WantChars * sizeof(WCHAR));
    assert_memory_equal(got, Want, WantChars * sizeof(WCHAR));
    ExFreePool(got);
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);
}

static void ScsiIds(BUS_QUERY_ID_TYPE Type, PCSTR TypeName, PCSTR Generic, PCSTR Vendor, PCSTR Product,
                    PNTSTOR_ID_LIST List)
{
    NtstorIdListInit(List);
    assert_true(NtstorScsiAddIds(List, Type, TypeName, Generic, Vendor, Product));
}

typedef struct {
    BUS_QUERY_ID_TYPE Type;
    PCSTR TypeName, Generic, Vendor, Product;
    const WCHAR *Want;
    size_t WantChars;
} SCSI_ID_CASE;

#define CASE(Type, Names, Vendor, Product, Want) \
    { Type, Names, Vendor, Product, Want, sizeof(Want) / sizeof(WCHAR) }
#define DISK  "Disk", "GenDisk"
#define CDROM "CdRom", "GenCdRom"
#define QEMU_DISK "QEMU HARDDISK"

static const SCSI_ID_CASE ScsiCases[] = {
    /* ahci: QEMU's IDE disk on an AHCI port ("ATA", the IDENTIFY model). */
    CASE(BusQueryDeviceID, DISK, "ATA", QEMU_DISK, u"SCSI\\Disk&Ven_ATA&Prod_QEMU_HARDDISK\0"),
    CASE(BusQueryHardwareIDs, DISK, "ATA", QEMU_DISK, u"SCSI\\DiskATA_____QEMU_HARDDISK___\0SCSI\\Disk\0GenDisk\0"),
    CASE(BusQueryCompatibleIDs, DISK, "ATA", QEMU_DISK, u"SCSI\\Disk\0GenDisk\0"),
    /* usbstor: QEMU's usb-storage INQUIRY strings, and a CD-ROM without. */
    CASE(BusQueryDeviceID, DISK, "QEMU", QEMU_DISK, u"SCSI\\Disk&Ven_QEMU&Prod_QEMU_HARDDISK\0"),
    CASE(BusQueryHardwareIDs, DISK, "QEMU", QEMU_DISK, u"SCSI\\DiskQEMU____QEMU_HARDDISK___\0SCSI\\Disk\0GenDisk\0"),
    CASE(BusQueryHardwareIDs, CDROM, "", "", u"SCSI\\CdRom________________________\0SCSI\\CdRom\0GenCdRom\0"),
    CASE(BusQueryDeviceID, CDROM, "", "", u"SCSI\\CdRom&Ven_&Prod_\0"),
    /* Cut at 8 and 16, unsafe bytes as '_', no padding outside the hardware ID. */
    CASE(BusQueryDeviceID, DISK, "Long Vendor", "A Product, Too Long\\",
         u"SCSI\\Disk&Ven_Long_Ven&Prod_A_Product__Too_L\0"),
};

static void test_scsi_ids(void **state)
{
    NTSTOR_ID_LIST ids;

    for (size_t i = 0; i < sizeof(ScsiCases) / sizeof(ScsiCases[0]); i++) {
        const SCSI_ID_CASE *c = &ScsiCases[i];
        ScsiIds(c->Type, c->TypeName, c->Generic, c->Vendor, c->Product, &ids);
        ExpectAnswer(&ids, c->Want, c->WantChars);
    }
}

/* The instance ID and the rest are the bus driver's: nothing is added. */
static void test_other_types_untouched(void **state)
{
    static const BUS_QUERY_ID_TYPE others[] = { BusQueryInstanceID, BusQueryDeviceSerialNumber,
                                                BusQueryContainerID };
    NTSTOR_ID_LIST ids;

    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        NtstorIdListInit(&ids);
        assert_false(NtstorScsiAddIds(&ids, others[i], "Disk", "GenDisk", "ATA", "X"));
        assert_int_equal(ids.Length, 0);
    }
}

/* Bytes an ID may not hold become '_'; a piece is cut at Max and padded
 * only when asked. */
static void test_pieces(void **state)
{
    CHAR out[17];

    NtstorIdPiece(out, "a b,c\\d\"e\x7f\x80\x01z", 16, FALSE);
    assert_string_equal(out, "a_b_c_d_e___z");
    NtstorIdPiece(out, "ab", 4, TRUE);
    assert_string_equal(out, "ab__");
    NtstorIdPiece(out, "0123456789abcdefXYZ", 16, FALSE);
    assert_string_equal(out, "0123456789abcdef");
    NtstorIdPiece(out, "", 8, FALSE);
    assert_string_equal(out, "");
    /* usbxhci's USB strings: a character is judged whole, not its low byte. */
    assert_int_equal(NtstorIdChar(u'A'), 'A');
    assert_int_equal(NtstorIdChar(0x0141), '_');
}

/* A list that does not fit fails the answer: an ID cut short would name
 * another device.  Nothing is allocated. */
static void test_overflow(void **state)
{
    NTSTOR_ID_LIST ids;
    ULONG_PTR info = 1;
    CHAR big[NTSTOR_ID_LIST_BYTES];

    memset(big, 'x', sizeof(big));
    big[199] = 0;
    NtstorIdListInit(&ids);
    NtstorIdListAdd(&ids, "%s", big);
    assert_false(ids.Overflow);
    NtstorIdListAdd(&ids, "%s", big);
    assert_true(ids.Overflow);
    NtstorIdListAdd(&ids, "y");
    assert_true(ids.Overflow);
    assert_int_equal(NtstorIdListFinish(&ids, TEST_TAG, &info), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(info, 1);
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);

    /* Exactly full: the last byte stays for the terminating empty string. */
    memset(big, 'x', sizeof(big));
    big[NTSTOR_ID_LIST_BYTES - 2] = 0;
    NtstorIdListInit(&ids);
    NtstorIdListAdd(&ids, "%s", big);
    assert_false(ids.Overflow);
    assert_int_equal(ids.Length, NTSTOR_ID_LIST_BYTES - 1);
    NtstorIdListAdd(&ids, "y");
    assert_true(ids.Overflow);
}

static void test_no_memory(void **state)
{
    NTSTOR_ID_LIST ids;
    ULONG_PTR info = 1;

    NtstorIdListInit(&ids);
    NtstorIdListAdd(&ids, "%u", 3u);
    host_pool_fail_after(1);
    assert_int_equal(NtstorIdListFinish(&ids, TEST_TAG, &info), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(info, 1);
    host_pool_fail_after(1);
    assert_null(NtstorMultiSzFromAscii("0", 2, TEST_TAG));
}

/* Widening keeps every byte, NULs included (the legacy bus's static lists). */
static void test_widen(void **state)
{
    static const CHAR list[] = "ACPI\\PNP0303\0*PNP0303\0";
    PWCHAR w = NtstorMultiSzFromAscii(list, sizeof(list), TEST_TAG);

    assert_non_null(w);
    assert_memory_equal(w, u"ACPI\\PNP0303\0*PNP0303\0", sizeof(list) * sizeof(WCHAR));
    ExFreePool(w);
}

/* ---- TargetDeviceRelation ---- */

static PVOID Referenced;
static ULONG References;

VOID ObReferenceObject(PVOID Object)
{
    Referenced = Object;
    References++;
}

static void test_target_relation(void **state)
{
    DEVICE_OBJECT pdo;
    ULONG_PTR info = 7;
    PDEVICE_RELATIONS rel;

    References = 0;
    host_pool_fail_after(1);
    assert_int_equal(NtstorTargetDeviceRelation(&pdo, TEST_TAG, &info), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(info, 7);
    assert_int_equal(References, 0);

    assert_int_equal(NtstorTargetDeviceRelation(&pdo, TEST_TAG, &info), STATUS_SUCCESS);
    rel = (PDEVICE_RELATIONS)info;
    assert_int_equal(rel->Count, 1);
    assert_ptr_equal(rel->Objects[0], &pdo);
    assert_int_equal(References, 1);
    assert_ptr_equal(Referenced, &pdo);
    assert_int_equal(host_pool_allocs(TEST_TAG), 1);
    ExFreePool(rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scsi_ids),
        cmocka_unit_test(test_other_types_untouched),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_no_memory),
        cmocka_unit_test(test_widen),
        cmocka_unit_test(test_target_relation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
