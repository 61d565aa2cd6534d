/* test_kbd_xlat.c - host unit tests of the console's keyboard translation
 * (kernel/kd/kbdxlat.c, kernel/kd/kbdlayout.c): set 1 make codes with
 * KEY_E0/KEY_BREAK -> the bytes a VT100 would send; Shift, Caps Lock,
 * Ctrl, AltGr, fake shifts, Num Lock and the keypad, typematic repeats of
 * the locks, and the us/de/uk tables key by key where they differ. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <kbdxlat.h>

static KBD_XLAT X;
static char Out[256];

static void Reset(const char *layout)
{
    KbdXlatInit(&X, layout ? KbdFindLayout(layout) : NULL);
    Out[0] = 0;
}

/* One transition; its bytes are appended to Out. */
static void Key(USHORT code, USHORT flags)
{
    KEYBOARD_INPUT_DATA in = { .MakeCode = code, .Flags = flags };
    UCHAR b[KBD_XLAT_MAX_OUT + 4];
    memset(b, 0xEE, sizeof(b));
    ULONG n = KbdXlatKey(&X, &in, b);
    assert_true(n <= KBD_XLAT_MAX_OUT);
    assert_int_equal(b[KBD_XLAT_MAX_OUT], 0xEE);       /* nothing past the bound */
    size_t len = strlen(Out);
    memcpy(Out + len, b, n);
    Out[len + n] = 0;
}

static void Tap(USHORT code, USHORT e0)
{
    Key(code, e0);
    Key(code, e0 | KEY_BREAK);
}

#define LSHIFT 0x2A
#define RSHIFT 0x36
#define CTRL   0x1D
#define ALT    0x38
#define CAPS   0x3A
#define NUM    0x45

static void Shifted(USHORT code)
{
    Key(LSHIFT, 0);
    Tap(code, 0);
    Key(LSHIFT, KEY_BREAK);
}

static void test_us_letters_digits_and_symbols(void **state)
{
    Reset("us");
    /* "ls -l \??" on a US keyboard: l s space - l space \ Shift-/ Shift-/ */
    Tap(0x26, 0); Tap(0x1F, 0); Tap(0x39, 0); Tap(0x0C, 0); Tap(0x26, 0); Tap(0x39, 0);
    Tap(0x2B, 0); Shifted(0x35); Shifted(0x35);
    assert_string_equal(Out, "ls -l \\??");
    Reset("us");
    for (USHORT c = 0x02; c <= 0x0D; c++)
        Shifted(c);
    assert_string_equal(Out, "!@#$%^&*()_+");
    Reset("us");
    Shifted(0x1E); Key(RSHIFT, 0); Tap(0x28, 0); Key(RSHIFT, KEY_BREAK); Tap(0x1E, 0);
    assert_string_equal(Out, "A\"a");
}

static void test_caps_lock_letters_only_and_shift_inverts(void **state)
{
    Reset("us");
    Tap(CAPS, 0);
    assert_int_equal(X.Leds, KEYBOARD_CAPS_LOCK_ON);
    Tap(0x1E, 0); Tap(0x02, 0); Shifted(0x1E); Shifted(0x02);
    assert_string_equal(Out, "A1a!");
    Tap(CAPS, 0);
    assert_int_equal(X.Leds, 0);
    Tap(0x1E, 0);
    assert_string_equal(Out, "A1a!a");
}

static void test_a_held_lock_key_toggles_once(void **state)
{
    Reset("us");
    /* Typematic: makes repeat while held, one break at the end. */
    Key(CAPS, 0); Key(CAPS, 0); Key(CAPS, 0);
    assert_int_equal(X.Leds, KEYBOARD_CAPS_LOCK_ON);
    Key(CAPS, KEY_BREAK);
    Tap(NUM, 0);
    Tap(0x46, 0);
    assert_int_equal(X.Leds, KEYBOARD_CAPS_LOCK_ON | KEYBOARD_NUM_LOCK_ON | KEYBOARD_SCROLL_LOCK_ON);
    assert_string_equal(Out, "");
}

static void test_control_keys(void **state)
{
    Reset("us");
    Key(CTRL, 0); Tap(0x2E, 0); Key(CTRL, KEY_BREAK);           /* Ctrl-C */
    Key(CTRL, KEY_E0); Tap(0x16, 0); Key(CTRL, KEY_E0 | KEY_BREAK);   /* right Ctrl-U */
    Key(CTRL, 0); Tap(0x1E, 0); Tap(0x12, 0); Tap(0x02, 0); Key(CTRL, KEY_BREAK);
    assert_memory_equal(Out, "\x03\x15\x01\x05", 5);            /* Ctrl-1 gives nothing */
    Reset("us");
    Key(CTRL, 0); Tap(0x1A, 0); Tap(0x2B, 0); Key(CTRL, KEY_BREAK);   /* Ctrl-[ (ESC), Ctrl-\ */
    assert_string_equal(Out, "\x1c");
    Reset("us");
    Tap(0x1C, 0); Tap(0x0E, 0); Tap(0x1C, KEY_E0); Tap(0x0F, 0);
    assert_string_equal(Out, "\r\x7f\r\t");
    Reset("us");
    Tap(0x01, 0);               /* Esc alone would start an escape sequence */
    Tap(0x3B, 0);               /* F1 */
    Key(0x1D, KEY_E1); Key(0x45, KEY_E1); Key(0x1D, KEY_E1 | KEY_BREAK); Key(0x45, KEY_E1 | KEY_BREAK);
    assert_string_equal(Out, "");
    /* Pause (E1 1D 45) is neither Ctrl nor Num Lock: a following 'c' is plain. */
    Tap(0x2E, 0);
    assert_string_equal(Out, "c");
    assert_int_equal(X.Leds, 0);
}

static void test_grey_keys_are_vt100_sequences(void **state)
{
    Reset("us");
    Tap(0x48, KEY_E0); Tap(0x50, KEY_E0); Tap(0x4D, KEY_E0); Tap(0x4B, KEY_E0);
    Tap(0x47, KEY_E0); Tap(0x4F, KEY_E0); Tap(0x53, KEY_E0);
    assert_string_equal(Out, "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[3~");
    /* Fake shifts around a grey key (E0 2A ... E0 AA) are not Shift. */
    Reset("us");
    Key(LSHIFT, KEY_E0); Tap(0x48, KEY_E0); Key(LSHIFT, KEY_E0 | KEY_BREAK); Tap(0x1E, 0);
    assert_string_equal(Out, "\x1b[Aa");
    assert_int_equal(X.Modifiers, 0);
}

static void test_keypad_follows_num_lock(void **state)
{
    Reset("us");
    Tap(0x48, 0); Tap(0x47, 0); Tap(0x37, 0); Tap(0x4A, 0); Tap(0x4E, 0); Tap(0x35, KEY_E0);
    assert_string_equal(Out, "\x1b[A\x1b[H*-+/");
    Reset("us");
    Tap(NUM, 0);
    for (USHORT c = 0x47; c <= 0x53; c++)
        Tap(c, 0);
    assert_string_equal(Out, "789-456+1230.");
    Reset("de");
    Tap(NUM, 0);
    Tap(0x53, 0);
    assert_string_equal(Out, ",");
}

static void test_de_layout(void **state)
{
    Reset("de");
    Tap(0x15, 0); Tap(0x2C, 0); Tap(0x35, 0); Shifted(0x08); Shifted(0x0B); Shifted(0x33);
    assert_string_equal(Out, "zy-/=;");
    Reset("de");
    Key(ALT, KEY_E0);
    Tap(0x10, 0); Tap(0x08, 0); Tap(0x09, 0); Tap(0x0A, 0); Tap(0x0B, 0); Tap(0x0C, 0);
    Tap(0x1B, 0); Tap(0x56, 0);
    Key(ALT, KEY_E0 | KEY_BREAK);
    Tap(0x10, 0);
    assert_string_equal(Out, "@{[]}\\~|q");
    /* Ctrl+Alt is AltGr too (Windows). */
    Reset("de");
    Key(CTRL, 0); Key(ALT, 0); Tap(0x10, 0); Key(ALT, KEY_BREAK); Key(CTRL, KEY_BREAK);
    assert_string_equal(Out, "@");
    /* Umlauts are letters: Caps Lock upper-cases them; Latin-1 out. */
    Reset("de");
    Tap(CAPS, 0); Tap(0x27, 0); Tap(0x1A, 0);
    assert_string_equal(Out, "\xd6\xdc");
    /* Ctrl-Z on de is the key where us has Y. */
    Reset("de");
    Key(CTRL, 0); Tap(0x15, 0); Key(CTRL, KEY_BREAK);
    assert_string_equal(Out, "\x1a");
}

static void test_uk_layout(void **state)
{
    Reset("uk");
    Shifted(0x03); Shifted(0x28); Tap(0x2B, 0); Shifted(0x2B); Tap(0x56, 0); Shifted(0x56);
    Shifted(0x04);
    assert_string_equal(Out, "\"@#~\\|\xa3");
    Reset("uk");
    Key(ALT, KEY_E0); Tap(0x12, 0); Key(ALT, KEY_E0 | KEY_BREAK);
    assert_string_equal(Out, "\xe9");
    /* us has no AltGr characters: right Alt + a key gives nothing. */
    Reset("us");
    Key(ALT, KEY_E0); Tap(0x12, 0); Key(ALT, KEY_E0 | KEY_BREAK); Key(ALT, 0); Tap(0x12, 0);
    assert_string_equal(Out, "");
}

static void test_layout_lookup(void **state)
{
    assert_ptr_equal(KbdFindLayout("us"), &KbdLayoutUs);
    assert_non_null(KbdFindLayout("DE"));
    assert_non_null(KbdFindLayout("Uk"));
    assert_null(KbdFindLayout("fr"));
    assert_null(KbdFindLayout("u"));
    assert_null(KbdFindLayout("usa"));
    assert_null(KbdFindLayout(""));
    assert_null(KbdFindLayout(NULL));
    /* Every layout: letters a-z somewhere, each with its upper case. */
    const char *names[] = { "us", "de", "uk" };
    for (int l = 0; l < 3; l++) {
        PCKBD_LAYOUT t = KbdFindLayout(names[l]);
        assert_string_equal(t->Name, names[l]);
        for (char c = 'a'; c <= 'z'; c++) {
            int found = 0;
            for (int k = 0; k < KBD_LAYOUT_CODES; k++)
                if (t->Normal[k] == (UCHAR)c && t->Shift[k] == (UCHAR)(c - 0x20))
                    found++;
            assert_int_equal(found, 1);
        }
    }
}

static void test_out_of_range_and_odd_flags(void **state)
{
    Reset("us");
    Tap(0x7F, 0); Tap(0xFFFF, 0); Tap(0x59, 0); Tap(0x1E, 0x80);
    Key(0x1E, KEY_E1);
    assert_string_equal(Out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_us_letters_digits_and_symbols),
        cmocka_unit_test(test_caps_lock_letters_only_and_shift_inverts),
        cmocka_unit_test(test_a_held_lock_key_toggles_once),
        cmocka_unit_test(test_control_keys),
        cmocka_unit_test(test_grey_keys_are_vt100_sequences),
        cmocka_unit_test(test_keypad_follows_num_lock),
        cmocka_unit_test(test_de_layout),
        cmocka_unit_test(test_uk_layout),
        cmocka_unit_test(test_layout_lookup),
        cmocka_unit_test(test_out_of_range_and_odd_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
