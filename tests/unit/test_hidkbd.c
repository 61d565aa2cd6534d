/* test_hidkbd.c - the HID boot keyboard logic kbdhid runs
 * (drivers/kbdhid/hidkbd.c): report diffing into set 1 transitions with
 * the modifiers first, key-up detection, six-key rollover and the phantom
 * state, the grey keys' E0 flag, the boot keyboard interface walk, the key
 * to auto-repeat and the LED byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "hidkbd.h"

static KEYBOARD_INPUT_DATA out[HIDKBD_MAX_EVENTS];

static ULONG diff(HIDKBD_STATE *s, const UCHAR r[8])
{
    return HidKbdDiff(s, r, 8, out, 1);
}

static void test_shift_a_press_and_release(void **state)
{
    HIDKBD_STATE s = { 0 };
    static const UCHAR down[8] = { 0x02, 0, 0x04 }, up[8] = { 0 };
    assert_int_equal(diff(&s, down), 2);
    assert_int_equal(out[0].MakeCode, 0x2A);        /* left shift first */
    assert_int_equal(out[0].Flags, KEY_MAKE);
    assert_int_equal(out[1].MakeCode, 0x1E);        /* then a */
    assert_int_equal(out[1].UnitId, 1);
    assert_int_equal(diff(&s, up), 2);
    assert_int_equal(out[0].MakeCode, 0x1E);        /* key up before the modifier */
    assert_int_equal(out[0].Flags, KEY_BREAK);
    assert_int_equal(out[1].MakeCode, 0x2A);
    assert_int_equal(out[1].Flags, KEY_BREAK);
}

static void test_rollover_and_phantom_state(void **state)
{
    HIDKBD_STATE s = { 0 };
    static const UCHAR six[8] = { 0, 0, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
    static const UCHAR phantom[8] = { 0, 0, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01 };
    static const UCHAR five[8] = { 0, 0, 0x04, 0x05, 0x06, 0x07, 0x08, 0 };
    assert_int_equal(diff(&s, six), 6);
    assert_int_equal(diff(&s, phantom), 0);         /* too many keys: nothing changes */
    assert_int_equal(s.KeyCount, 6);
    assert_int_equal(diff(&s, five), 1);            /* only 09h (f) went up */
    assert_int_equal(out[0].MakeCode, 0x21);
    assert_int_equal(out[0].Flags, KEY_BREAK);
}

static void test_grey_keys_carry_e0(void **state)
{
    HIDKBD_STATE s = { 0 };
    static const UCHAR up_arrow[8] = { 0x10, 0, 0x52 };     /* right ctrl + up */
    assert_int_equal(diff(&s, up_arrow), 2);
    assert_int_equal(out[0].MakeCode, 0x1D);
    assert_int_equal(out[0].Flags, KEY_E0);
    assert_int_equal(out[1].MakeCode, 0x48);
    assert_int_equal(out[1].Flags, KEY_E0);
}

static void test_short_report_and_unknown_usage(void **state)
{
    HIDKBD_STATE s = { 0 };
    static const UCHAR r[8] = { 0, 0, 0xA5 };
    assert_int_equal(HidKbdDiff(&s, r, 2, out, 0), 0);
    assert_int_equal(diff(&s, r), 0);               /* no set 1 code: skipped */
}

static void test_newest_key_repeats_but_not_locks(void **state)
{
    HIDKBD_STATE a = { 0 }, b = { 0 };
    static const UCHAR r1[8] = { 0, 0, 0x04 }, r2[8] = { 0, 0, 0x04, 0x05 }, caps[8] = { 0, 0, 0x39 };
    diff(&b, r1);
    assert_int_equal(HidKbdNewestKey(&a, &b), 0x04);
    a = b;
    diff(&b, r2);
    assert_int_equal(HidKbdNewestKey(&a, &b), 0x05);
    assert_true(HidKbdIsDown(&b, 0x04));
    a = b = (HIDKBD_STATE){ 0 };
    diff(&b, caps);
    assert_int_equal(HidKbdNewestKey(&a, &b), 0);
}

static void test_boot_interface_walk(void **state)
{
    static const UCHAR cfg[] = {
        9, 2, 34, 0, 1, 1, 0, 0xA0, 50,
        9, 4, 0, 0, 1, 3, 1, 1, 0,
        9, 0x21, 0x11, 1, 0, 1, 0x22, 63, 0,
        7, 5, 0x81, 3, 8, 0, 7,
    };
    UCHAR ifn = 0xFF, alt = 0xFF;
    PCSTR why = NULL;
    assert_true(HidKbdFindInterface(cfg, sizeof(cfg), &ifn, &alt, &why));
    assert_int_equal(ifn, 0);
    UCHAR bad[sizeof(cfg)];
    memcpy(bad, cfg, sizeof(cfg));
    bad[27] = 40;                                   /* endpoint runs past the end */
    assert_false(HidKbdFindInterface(bad, sizeof(bad), &ifn, &alt, &why));
    assert_non_null(why);
    assert_false(HidKbdFindInterface(cfg, 20, &ifn, &alt, &why));  /* cut short */
}

static void test_led_byte(void **state)
{
    assert_int_equal(HidKbdLedReport(KEYBOARD_NUM_LOCK_ON), 1);
    assert_int_equal(HidKbdLedReport(KEYBOARD_CAPS_LOCK_ON), 2);
    assert_int_equal(HidKbdLedReport(KEYBOARD_SCROLL_LOCK_ON | KEYBOARD_CAPS_LOCK_ON), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shift_a_press_and_release),
        cmocka_unit_test(test_rollover_and_phantom_state),
        cmocka_unit_test(test_grey_keys_carry_e0),
        cmocka_unit_test(test_short_report_and_unknown_usage),
        cmocka_unit_test(test_newest_key_repeats_but_not_locks),
        cmocka_unit_test(test_boot_interface_walk),
        cmocka_unit_test(test_led_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
