/* test_usbdlib.c - the USBD descriptor library (kernel/usbd/usbdlib.c):
 * each validation level on configurations that break exactly its rule,
 * the offset USBD_ValidateConfigurationDescriptor reports, the WDK parse
 * routines' wildcards and start positions, walks that never leave the
 * bytes that arrived, and the per-interface walk stopping at the next
 * interface. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_support.h"
#include <usbdlib.h>

/* A keyboard (HID boot, interrupt IN) and a stick (bulk-only), as a
 * composite device would send them; interface 1 has an alternate 1. */
static const UCHAR Composite[] = {
    9, 2, 66, 0, 2, 1, 0, 0xA0, 50,
    9, 4, 0, 0, 1, 0x03, 0x01, 0x01, 0,         /* 9: HID boot keyboard */
    9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0,     /* 18: HID descriptor */
    7, 5, 0x81, 3, 8, 0, 10,                    /* 27: interrupt IN */
    9, 4, 1, 0, 2, 0x08, 0x06, 0x50, 0,         /* 34: storage */
    7, 5, 0x82, 2, 0, 2, 0,                     /* 43: bulk IN 512 */
    7, 5, 0x03, 2, 0, 2, 0,                     /* 50: bulk OUT 512 */
    9, 4, 1, 1, 0, 0x08, 0x06, 0x50, 0,         /* 57: storage, alternate 1 */
};

static void test_valid_config(void **state)
{
    ULONG walk = 0;
    PCSTR why = "x";
    PUCHAR offset = (PUCHAR)1;

    assert_int_equal(sizeof(Composite), 66);
    assert_int_equal(NtstorUsbdValidateConfiguration(Composite, sizeof(Composite), USBD_VALIDATE_ENDPOINTS,
                                                     &walk, &why), USBD_STATUS_SUCCESS);
    assert_null(why);
    assert_int_equal(walk, 66);
    assert_int_equal(USBD_ValidateConfigurationDescriptor((PUSB_CONFIGURATION_DESCRIPTOR)Composite,
                                                          sizeof(Composite), 3, &offset, 0), USBD_STATUS_SUCCESS);
    assert_null(offset);
}

static USBD_STATUS Check(const UCHAR *Config, ULONG Length, USHORT Level, ULONG *BadOffset, PCSTR *Why)
{
    PUCHAR offset = NULL;
    USBD_STATUS status = USBD_ValidateConfigurationDescriptor((PUSB_CONFIGURATION_DESCRIPTOR)Config, Length,
                                                              Level, &offset, 0);
    *BadOffset = offset ? (ULONG)(offset - Config) : ~0u;
    NtstorUsbdValidateConfiguration(Config, Length, Level, NULL, Why);
    return status;
}

static void test_header_rules(void **state)
{
    UCHAR c[sizeof(Composite)];
    ULONG bad, walk;
    PCSTR why;

    assert_int_equal(Check(Composite, 8, 1, &bad, &why), USBD_STATUS_BAD_CONFIG_DESC_LENGTH);
    memcpy(c, Composite, sizeof(c));
    c[0] = 8;
    assert_int_equal(Check(c, sizeof(c), 1, &bad, &why), USBD_STATUS_BAD_DESCRIPTOR_BLEN);
    assert_string_equal(why, "configuration descriptor bLength below 9");
    memcpy(c, Composite, sizeof(c));
    c[1] = 1;
    assert_int_equal(Check(c, sizeof(c), 1, &bad, &why), USBD_STATUS_BAD_DESCRIPTOR_TYPE);
    assert_int_equal(bad, 1);
    memcpy(c, Composite, sizeof(c));
    c[2] = 5;
    assert_int_equal(Check(c, sizeof(c), 1, &bad, &why), USBD_STATUS_BAD_CONFIG_DESC_LENGTH);
    assert_int_equal(bad, 2);
    /* A header longer than what arrived (fuzz seed usbdlib-config-blength-past-buffer). */
    memcpy(c, Composite, sizeof(c));
    c[0] = 40;
    assert_int_equal(Check(c, 30, 1, &bad, &why), USBD_STATUS_BAD_DESCRIPTOR_BLEN);
    assert_string_equal(why, "configuration descriptor bLength past what arrived");
    /* Fewer bytes than wTotalLength: the walk is what arrived. */
    assert_int_equal(NtstorUsbdValidateConfiguration(Composite, 34, 2, &walk, &why), USBD_STATUS_SUCCESS);
    assert_int_equal(walk, 34);
    /* ... and a descriptor cut by it is found at level 2, not level 1. */
    assert_int_equal(Check(Composite, 30, 1, &bad, &why), USBD_STATUS_SUCCESS);
    assert_int_equal(Check(Composite, 30, 2, &bad, &why), USBD_STATUS_BAD_DESCRIPTOR_BLEN);
    assert_int_equal(bad, 27);
    assert_string_equal(why, "descriptor runs past wTotalLength");
}

static void test_length_rules(void **state)
{
    UCHAR c[sizeof(Composite)];
    ULONG bad;
    PCSTR why;

    memcpy(c, Composite, sizeof(c));
    c[18] = 1;                          /* HID descriptor bLength 1 */
    assert_int_equal(Check(c, sizeof(c), 2, &bad, &why), USBD_STATUS_BAD_DESCRIPTOR_BLEN);
    assert_int_equal(bad, 18);
    memcpy(c, Composite, sizeof(c));
    c[43] = 6;                          /* endpoint of 6 bytes: the rest shifts */
    assert_int_equal(Check(c, sizeof(c), 2, &bad, &why), USBD_STATUS_BAD_ENDPOINT_DESCRIPTOR);
    assert_int_equal(bad, 43);
    memcpy(c, Composite, sizeof(c));
    c[34] = 8;
    assert_int_equal(Check(c, sizeof(c), 2, &bad, &why), USBD_STATUS_BAD_INTERFACE_DESCRIPTOR);
    assert_int_equal(bad, 34);
    /* Level 1 does not walk. */
    assert_int_equal(Check(c, sizeof(c), 1, &bad, &why), USBD_STATUS_SUCCESS);
}

static void test_endpoint_rules(void **state)
{
    UCHAR c[sizeof(Composite)];
    ULONG bad;
    PCSTR why;

    memcpy(c, Composite, sizeof(c));
    c[52] = 0x82;                       /* bulk OUT given bulk IN's address */
    assert_int_equal(Check(c, sizeof(c), 3, &bad, &why), USBD_STATUS_BAD_ENDPOINT_ADDRESS);
    assert_int_equal(bad, 50);
    assert_string_equal(why, "the same endpoint address twice in one interface");
    assert_int_equal(Check(c, sizeof(c), 2, &bad, &why), USBD_STATUS_SUCCESS);
    memcpy(c, Composite, sizeof(c));
    c[29] = 0x80;                       /* endpoint number 0 */
    assert_int_equal(Check(c, sizeof(c), 3, &bad, &why), USBD_STATUS_BAD_ENDPOINT_ADDRESS);
    memcpy(c, Composite, sizeof(c));
    c[29] = 0x91;                       /* reserved bit 4 */
    assert_int_equal(Check(c, sizeof(c), 3, &bad, &why), USBD_STATUS_BAD_ENDPOINT_ADDRESS);
    memcpy(c, Composite, sizeof(c));
    c[47] = 0;
    c[48] = 0;                          /* wMaxPacketSize 0 */
    assert_int_equal(Check(c, sizeof(c), 3, &bad, &why), USBD_STATUS_BAD_ENDPOINT_DESCRIPTOR);
    assert_int_equal(bad, 43);
    /* The same address in two interfaces is legal. */
    memcpy(c, Composite, sizeof(c));
    c[45] = 0x81;
    assert_int_equal(Check(c, sizeof(c), 3, &bad, &why), USBD_STATUS_SUCCESS);
}

static void test_parse_routines(void **state)
{
    PUSB_CONFIGURATION_DESCRIPTOR cfg = (PUSB_CONFIGURATION_DESCRIPTOR)Composite;
    PUSB_INTERFACE_DESCRIPTOR i;
    PUSB_COMMON_DESCRIPTOR d;

    i = USBD_ParseConfigurationDescriptorEx(cfg, cfg, -1, -1, 0x08, -1, -1);
    assert_ptr_equal(i, Composite + 34);
    i = USBD_ParseConfigurationDescriptorEx(cfg, (PUCHAR)i + i->bLength, -1, -1, 0x08, -1, -1);
    assert_ptr_equal(i, Composite + 57);
    assert_null(USBD_ParseConfigurationDescriptorEx(cfg, (PUCHAR)i + i->bLength, -1, -1, 0x08, -1, -1));
    assert_ptr_equal(USBD_ParseConfigurationDescriptorEx(cfg, cfg, 1, 1, -1, -1, -1), Composite + 57);
    assert_null(USBD_ParseConfigurationDescriptorEx(cfg, cfg, 2, -1, -1, -1, -1));
    assert_ptr_equal(USBD_ParseConfigurationDescriptorEx(cfg, cfg, -1, -1, 3, 1, 1), Composite + 9);
    /* StartPosition is itself a candidate. */
    d = USBD_ParseDescriptors(cfg, sizeof(Composite), (PUCHAR)Composite + 27, USB_ENDPOINT_DESCRIPTOR_TYPE);
    assert_ptr_equal(d, Composite + 27);
    d = USBD_ParseDescriptors(cfg, sizeof(Composite), (PUCHAR)d + d->bLength, USB_ENDPOINT_DESCRIPTOR_TYPE);
    assert_ptr_equal(d, Composite + 43);
    assert_null(USBD_ParseDescriptors(cfg, sizeof(Composite), cfg, 0x30));
    /* A start outside the buffer walks nothing. */
    assert_null(USBD_ParseDescriptors(cfg, sizeof(Composite), (PUCHAR)Composite + 200, 4));
}

static void test_interface_walk(void **state)
{
    PUSB_INTERFACE_DESCRIPTOR i = NtstorUsbdFindInterface(Composite, sizeof(Composite), Composite, 0, 0, -1, -1, -1);
    PUSB_COMMON_DESCRIPTOR d;
    ULONG n = 0;

    assert_ptr_equal(i, Composite + 9);
    for (d = NtstorUsbdNextInInterface(Composite, sizeof(Composite), i); d;
         d = NtstorUsbdNextInInterface(Composite, sizeof(Composite), d))
        n++;
    assert_int_equal(n, 2);             /* the HID descriptor and the endpoint, not interface 1 */
    /* The last interface ends with the walk, even when bytes follow. */
    i = NtstorUsbdFindInterface(Composite, sizeof(Composite), Composite, 1, 0, -1, -1, -1);
    assert_ptr_equal(i, Composite + 34);
    d = NtstorUsbdNextInInterface(Composite, 50, i);
    assert_ptr_equal(d, Composite + 43);
    assert_null(NtstorUsbdNextInInterface(Composite, 50, d));   /* 50..56 did not arrive */
}

/* A descriptor claiming to run past the walk is never returned by any
 * routine, validated or not. */
static void test_lying_lengths(void **state)
{
    UCHAR c[sizeof(Composite)];

    memcpy(c, Composite, sizeof(c));
    c[34] = 200;
    assert_null(NtstorUsbdFindInterface(c, sizeof(c), c, 1, -1, -1, -1, -1));
    assert_null(USBD_ParseDescriptors(c, sizeof(c), c + 34, 4));
    c[34] = 0;                          /* a zero length would loop forever */
    assert_ptr_equal(USBD_ParseDescriptors(c, sizeof(c), c, 5), c + 27);     /* before it: found */
    assert_null(USBD_ParseDescriptors(c, sizeof(c), c + 34, 5));              /* at it: the walk ends */
    assert_null(NtstorUsbdFindInterface(c, sizeof(c), c, 1, -1, -1, -1, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_config),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_length_rules),
        cmocka_unit_test(test_endpoint_rules),
        cmocka_unit_test(test_parse_routines),
        cmocka_unit_test(test_interface_walk),
        cmocka_unit_test(test_lying_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
