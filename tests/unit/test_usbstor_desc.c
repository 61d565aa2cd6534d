/* test_usbstor_desc.c - usbstor's reading of configuration and string
 * descriptors (drivers/usbstor/desc.c): QEMU's usb-storage configuration,
 * a composite device whose storage interface is second, interfaces that
 * are not bulk-only or lack an endpoint, descriptors that lie about their
 * lengths, and serial strings with bytes that must not reach an ID. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../drivers/usbstor/desc.h"

/* As QEMU's hw/usb/dev-storage.c describes a full-speed stick. */
static const UCHAR QemuConfig[] = {
    9, 2, 32, 0, 1, 1, 0, 0xC0, 50,
    9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0,
    7, 5, 0x81, 2, 64, 0, 0,
    7, 5, 0x02, 2, 64, 0, 0,
};

static void test_qemu_stick(void **state)
{
    USBSTOR_INTERFACE i;
    PCSTR why = "x";

    assert_int_equal(UsbstorFindInterface(QemuConfig, sizeof(QemuConfig), &i, &why), STATUS_SUCCESS);
    assert_null(why);
    assert_int_equal(i.InterfaceNumber, 0);
    assert_int_equal(i.BulkIn, 0x81);
    assert_int_equal(i.BulkOut, 0x02);
    assert_int_equal(i.BulkInMaxPacket, 64);
    assert_int_equal(i.ConfigurationValue, 1);
    UCHAR n[4], e[4];
    assert_int_equal(UsbstorListInterfaces(QemuConfig, sizeof(QemuConfig), n, e, 4), 1);
    assert_int_equal(e[0], 2);
}

/* HID first, then storage with an interrupt endpoint and a SuperSpeed
 * companion between its bulk endpoints; an alternate setting 1 of storage
 * that must not replace setting 0's endpoints. */
static void test_composite(void **state)
{
    static const UCHAR cfg[] = {
        9, 2, 71, 0, 2, 1, 0, 0x80, 50,
        9, 4, 0, 0, 1, 0x03, 0x01, 0x01, 0,
        7, 5, 0x83, 3, 8, 0, 10,
        9, 4, 1, 0, 3, 0x08, 0x06, 0x50, 0,
        7, 5, 0x84, 3, 8, 0, 10,
        7, 5, 0x85, 2, 0, 4, 0,
        6, 0x30, 15, 0, 0, 0,
        7, 5, 0x06, 2, 0, 4, 0,
        9, 4, 1, 1, 2, 0x08, 0x06, 0x62, 0,
    };
    USBSTOR_INTERFACE i;
    PCSTR why;

    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_SUCCESS);
    assert_int_equal(i.InterfaceNumber, 1);
    assert_int_equal(i.BulkIn, 0x85);
    assert_int_equal(i.BulkOut, 0x06);
    assert_int_equal(i.BulkOutMaxPacket, 1024);
    assert_int_equal(i.NumInterfaces, 2);
    UCHAR n[4], e[4];
    assert_int_equal(UsbstorListInterfaces(cfg, sizeof(cfg), n, e, 4), 2);
    assert_int_equal(n[1], 1);
    assert_int_equal(e[1], 3);
}

static void test_refusals(void **state)
{
    UCHAR cfg[sizeof(QemuConfig)];
    USBSTOR_INTERFACE i;
    PCSTR why;

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[16] = 0x62;     /* UAS, not bulk-only */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);
    assert_string_equal(why, "no bulk-only SCSI interface (class 08h/06h/50h)");

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[28] = 3;        /* the OUT endpoint is interrupt */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);
    assert_string_equal(why, "bulk-only interface without a bulk IN and a bulk OUT endpoint");

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[25] = 200;      /* an endpoint descriptor longer than what is left */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[18] = 0;        /* bLength 0 would loop forever */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[1] = 4;         /* not a configuration descriptor */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);
    assert_string_equal(why, "not a configuration descriptor (bDescriptorType)");

    /* wTotalLength larger than what arrived: only what arrived is read. */
    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[2] = 255;
    assert_int_equal(UsbstorFindInterface(cfg, 25, &i, &why), STATUS_DEVICE_DATA_ERROR);
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_SUCCESS);

    memcpy(cfg, QemuConfig, sizeof(cfg));
    cfg[22] = 0;        /* wMaxPacketSize 0 */
    assert_int_equal(UsbstorFindInterface(cfg, sizeof(cfg), &i, &why), STATUS_DEVICE_DATA_ERROR);
    assert_string_equal(why, "endpoint wMaxPacketSize 0");
}

static void test_strings(void **state)
{
    static const UCHAR s[] = { 22, 3, ' ', 0, '1', 0, '2', 0, '"', 0, 'A', 0, 0x1B, 0, 0xE9, 0,
                               ',', 0, 'b', 0, ' ', 0 };
    CHAR out[32];

    assert_int_equal(UsbstorStringToAscii(s, sizeof(s), out, sizeof(out)), 8);
    assert_string_equal(out, "12_A___b");
    assert_int_equal(UsbstorStringToAscii(s, 8, out, sizeof(out)), 2);    /* cut: what came */
    assert_string_equal(out, "12");
    assert_int_equal(UsbstorStringToAscii(s, sizeof(s), out, 4), 3);      /* cut: room */
    UCHAR bad[4] = { 4, 2, 'x', 0 };
    assert_int_equal(UsbstorStringToAscii(bad, 4, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_stick),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
