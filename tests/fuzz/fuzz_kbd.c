/* fuzz_kbd.c - the keyboard path on arbitrary bytes: the first byte picks
 * the scan code set (bit 0) and the layout (bits 2:1); the rest are bytes
 * from the keyboard, decoded by i8042prt's decoder (drivers/i8042prt/
 * scancode.c) and translated by the console (kernel/kd/kbdxlat.c).
 * Checked: transitions carry only KEY_BREAK/E0/E1 and a make code below
 * 0x80; a translation writes at most KBD_XLAT_MAX_OUT bytes, never a NUL,
 * and ESC only as the start of a CSI sequence the line editor parses
 * (ESC [ letter, or ESC [ 3 ~); LEDs hold only the three lock bits; and
 * the set 1 and set 2 decoders agree: each transition re-encoded in the
 * other set decodes to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kbdxlat.h>
#include <i8042logic.h>
#include <i8042.h>

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

#define Check(ok) CheckAt((ok), __LINE__)
static void CheckAt(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_kbd.c:%d: check failed\n", line);
        abort();
    }
}

/* Set 1 code -> set 2 code (inverse of I8042Set2ToSet1), 0 if none. */
static UCHAR Set1ToSet2(UCHAR Code)
{
    for (unsigned c = 1; c < 0x100; c++)
        if (I8042Set2ToSet1((UCHAR)c) == Code)
            return (UCHAR)c;
    return 0;
}

static void CheckRoundTrip(const KEYBOARD_INPUT_DATA *k)
{
    UCHAR bytes[4], code2 = Set1ToSet2((UCHAR)k->MakeCode);
    size_t n = 0;
    I8042_DECODER d;
    KEYBOARD_INPUT_DATA out;
    int got = 0;

    if (k->Flags & KEY_E1)
        return;                 /* E1 sequences are two codes long; unit-tested */
    I8042DecoderInit(&d, TRUE);
    if (code2 == 0)
        return;
    if (k->Flags & KEY_E0)
        bytes[n++] = KBD_PREFIX_E0;
    if (k->Flags & KEY_BREAK)
        bytes[n++] = KBD_SET2_BREAK;
    bytes[n++] = code2;
    for (size_t i = 0; i < n; i++)
        got += I8042DecodeByte(&d, bytes[i], &out);
    /* Set 2 has no code for 0xAA's key under E0 etc.: only when decoded. */
    if (got) {
        Check(got == 1);
        Check(out.MakeCode == k->MakeCode && out.Flags == k->Flags);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    static const char *layouts[] = { "us", "de", "uk", "us" };
    I8042_DECODER dec;
    KBD_XLAT x;
    KEYBOARD_INPUT_DATA k;

    if (Size < 1)
        return 0;
    I8042DecoderInit(&dec, Data[0] & 1);
    KbdXlatInit(&x, KbdFindLayout(layouts[(Data[0] >> 1) & 3]));
    for (size_t i = 1; i < Size; i++) {
        UCHAR out[KBD_XLAT_MAX_OUT + 1];
        ULONG n;
        if (!I8042DecodeByte(&dec, Data[i], &k))
            continue;
        Check((k.Flags & ~(KEY_BREAK | KEY_E0 | KEY_E1)) == 0);
        Check(k.MakeCode != 0 && k.MakeCode < 0x80);
        CheckRoundTrip(&k);
        out[KBD_XLAT_MAX_OUT] = 0xA5;
        n = KbdXlatKey(&x, &k, out);
        Check(n <= KBD_XLAT_MAX_OUT && out[KBD_XLAT_MAX_OUT] == 0xA5);
        Check((x.Leds & ~(KEYBOARD_CAPS_LOCK_ON | KEYBOARD_NUM_LOCK_ON | KEYBOARD_SCROLL_LOCK_ON)) == 0);
        for (ULONG j = 0; j < n; j++) {
            Check(out[j] != 0);
            if (out[j] == 0x1B) {
                Check(j == 0 && n >= 3 && out[1] == '[');
                Check((n == 3 && strchr("ABCDHF", out[2])) || (n == 4 && out[2] == '3' && out[3] == '~'));
            }
        }
    }
    return 0;
}
