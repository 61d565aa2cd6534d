/* kbdxlat.c - keys to console bytes: modifiers, the three locks, and the
 * keys that are not characters, turned into what a VT100 terminal sends
 * on the serial line (arrows ESC [ A..D, Home ESC [ H, End ESC [ F,
 * Delete ESC [ 3 ~, Enter CR, Backspace DEL, Ctrl+letter its control
 * code), so kernel/shell/lineedit.c reads one language from every console.
 * The character keys come from the layout tables (kbdlayout.c).
 *
 * Rules (as Windows' console):
 *  - Caps Lock upper-cases letters only (a key whose Shift character is the
 *    Latin-1 upper case of its plain one); with Shift held it lower-cases.
 *  - AltGr is right Alt, or Ctrl+Alt together; a layout without an AltGr
 *    character for the key gives nothing.  Left Alt alone gives nothing.
 *  - The E0-prefixed Shift codes are the "fake shifts" keyboards send
 *    around the grey keys (IBM PS/2 Technical Reference, "Keyboard scan
 *    codes"), not a Shift key: ignored.
 *  - A lock toggles on its make only while not already held, so typematic
 *    repeats of a held Caps Lock do not flicker it.
 *  - Keypad: with Num Lock digits, '.' (',' on de), else the grey keys'
 *    meaning; * - + / and keypad Enter always as marked.
 *  - Esc, the function keys, Insert, Page Up/Down, Pause give nothing: a
 *    lone ESC would make the line editor take the next two keys as an
 *    escape sequence. */
#include <kbdxlat.h>

/* Set 1 make codes of the keys handled here (IBM PC AT set 1). */
#define SC_ENTER      0x1C
#define SC_BACKSPACE  0x0E
#define SC_TAB        0x0F
#define SC_CTRL       0x1D
#define SC_LSHIFT     0x2A
#define SC_RSHIFT     0x36
#define SC_ALT        0x38
#define SC_KP_STAR    0x37
#define SC_CAPS       0x3A
#define SC_NUMLOCK    0x45
#define SC_SCROLL     0x46
#define SC_KP_7       0x47      /* Home with E0 */
#define SC_KP_8       0x48      /* Up */
#define SC_KP_9       0x49      /* Page Up */
#define SC_KP_MINUS   0x4A
#define SC_KP_4       0x4B      /* Left */
#define SC_KP_5       0x4C
#define SC_KP_6       0x4D      /* Right */
#define SC_KP_PLUS    0x4E
#define SC_KP_1       0x4F      /* End */
#define SC_KP_2       0x50      /* Down */
#define SC_KP_3       0x51      /* Page Down */
#define SC_KP_0       0x52      /* Insert */
#define SC_KP_DOT     0x53      /* Delete */
#define SC_E0_KP_SLASH 0x35

#define LOCK_HELD_CAPS   0x01
#define LOCK_HELD_NUM    0x02
#define LOCK_HELD_SCROLL 0x04

#define ESC 0x1B

VOID KbdXlatInit(PKBD_XLAT X, PCKBD_LAYOUT Layout)
{
    X->Layout = Layout ? Layout : &KbdLayoutUs;
    X->Modifiers = 0;
    X->LocksHeld = 0;
    X->Leds = 0;
}

static ULONG Seq(PUCHAR Out, PCSTR Text)
{
    ULONG n = 0;
    while (Text[n] && n < KBD_XLAT_MAX_OUT) {
        Out[n] = (UCHAR)Text[n];
        n++;
    }
    return n;
}

/* Modifier and lock keys: state only.  TRUE if Code was one. */
static BOOLEAN KbdXlatModifier(PKBD_XLAT X, USHORT Code, BOOLEAN E0, BOOLEAN Break)
{
    UCHAR mod = 0, lockHeld = 0;
    USHORT led = 0;

    switch (Code) {
    case SC_LSHIFT: mod = E0 ? 0xFF : KBD_MOD_LSHIFT; break;
    case SC_RSHIFT: mod = E0 ? 0xFF : KBD_MOD_RSHIFT; break;
    case SC_CTRL:   mod = E0 ? KBD_MOD_RCTRL : KBD_MOD_LCTRL; break;
    case SC_ALT:    mod = E0 ? KBD_MOD_RALT : KBD_MOD_LALT; break;
    case SC_CAPS:   lockHeld = LOCK_HELD_CAPS; led = KEYBOARD_CAPS_LOCK_ON; break;
    case SC_NUMLOCK: if (E0) return FALSE;
                    lockHeld = LOCK_HELD_NUM; led = KEYBOARD_NUM_LOCK_ON; break;
    case SC_SCROLL: if (E0) return FALSE;     /* E0 46 is Ctrl+Break */
                    lockHeld = LOCK_HELD_SCROLL; led = KEYBOARD_SCROLL_LOCK_ON; break;
    default:
        return FALSE;
    }
    if (mod == 0xFF)            /* a fake shift */
        return TRUE;
    if (mod) {
        X->Modifiers = Break ? (UCHAR)(X->Modifiers & ~mod) : (UCHAR)(X->Modifiers | mod);
        return TRUE;
    }
    if (Break) {
        X->LocksHeld &= (UCHAR)~lockHeld;
    } else if (!(X->LocksHeld & lockHeld)) {
        X->LocksHeld |= lockHeld;
        X->Leds ^= led;
    }
    return TRUE;
}

/* The grey navigation keys (E0, or the keypad without Num Lock). */
static ULONG KbdXlatNavigation(USHORT Code, PUCHAR Out)
{
    switch (Code) {
    case SC_KP_8: return Seq(Out, "\x1b[A");
    case SC_KP_2: return Seq(Out, "\x1b[B");
    case SC_KP_6: return Seq(Out, "\x1b[C");
    case SC_KP_4: return Seq(Out, "\x1b[D");
    case SC_KP_7: return Seq(Out, "\x1b[H");
    case SC_KP_1: return Seq(Out, "\x1b[F");
    case SC_KP_DOT: return Seq(Out, "\x1b[3~");
    default: return 0;          /* Insert, Page Up/Down, keypad 5 */
    }
}

ULONG KbdXlatKey(PKBD_XLAT X, const KEYBOARD_INPUT_DATA *In, PUCHAR Out)
{
    USHORT code = In->MakeCode;
    BOOLEAN e0 = (In->Flags & KEY_E0) != 0, brk = (In->Flags & KEY_BREAK) != 0;
    BOOLEAN shift = (X->Modifiers & (KBD_MOD_LSHIFT | KBD_MOD_RSHIFT)) != 0;
    BOOLEAN ctrl = (X->Modifiers & (KBD_MOD_LCTRL | KBD_MOD_RCTRL)) != 0;
    BOOLEAN altGr = (X->Modifiers & KBD_MOD_RALT) ||
                    ((X->Modifiers & KBD_MOD_LALT) && ctrl);
    UCHAR c;

    /* E1 is Pause (both of its codes carry KEY_E1: the port driver's
     * decoder); unknown flag bits are not a key we know. */
    if ((In->Flags & ~(KEY_BREAK | KEY_E0)) != 0)
        return 0;
    if (KbdXlatModifier(X, code, e0, brk) || brk)
        return 0;

    if (e0) {
        if (code == SC_ENTER)
            return Seq(Out, "\r");
        if (code == SC_E0_KP_SLASH)
            return Seq(Out, "/");
        return KbdXlatNavigation(code, Out);
    }
    switch (code) {
    case SC_ENTER:     return Seq(Out, "\r");
    case SC_BACKSPACE: return Seq(Out, "\x7f");
    case SC_TAB:       return Seq(Out, "\t");
    case SC_KP_STAR:   return Seq(Out, "*");
    case SC_KP_MINUS:  return Seq(Out, "-");
    case SC_KP_PLUS:   return Seq(Out, "+");
    case SC_KP_7: case SC_KP_8: case SC_KP_9: case SC_KP_4: case SC_KP_5: case SC_KP_6:
    case SC_KP_1: case SC_KP_2: case SC_KP_3: case SC_KP_0: case SC_KP_DOT: {
        static const UCHAR digits[] = "789-456+1230";
        if (!(X->Leds & KEYBOARD_NUM_LOCK_ON))
            return KbdXlatNavigation(code, Out);
        Out[0] = code == SC_KP_DOT ? X->Layout->KeypadDecimal : digits[code - SC_KP_7];
        return 1;
    }
    default:
        break;
    }
    if (code >= KBD_LAYOUT_CODES)
        return 0;

    if (altGr) {
        c = X->Layout->AltGr[code];
    } else if (X->Modifiers & KBD_MOD_LALT) {
        return 0;
    } else {
        UCHAR plain = X->Layout->Normal[code], upper = X->Layout->Shift[code];
        /* A letter: its Shift character is its Latin-1 upper case (the
         * case bit 0x20 of both ASCII and Latin-1). */
        BOOLEAN letter = plain != upper && (UCHAR)(plain & ~0x20) == upper &&
                         ((upper >= 'A' && upper <= 'Z') || (upper >= 0xC0 && upper <= 0xDE && upper != 0xD7));
        BOOLEAN upperCase = shift;
        if (letter && (X->Leds & KEYBOARD_CAPS_LOCK_ON))
            upperCase = !upperCase;
        c = upperCase ? upper : plain;
        if (ctrl && c) {
            /* Ctrl + a letter (either case) or one of @ [ \ ] ^ _: its C0
             * control code (ECMA-48 / ASCII: the key's code minus 0x40). */
            UCHAR u = (c >= 'a' && c <= 'z') ? (UCHAR)(c - 0x20) : c;
            if (u < 0x40 || u > 0x5F)
                return 0;
            c = (UCHAR)(u - 0x40);
            /* Ctrl-[ is ESC: alone it would swallow the next two keys as
             * an escape sequence (found by fuzz_kbd), as the Esc key would. */
            if (c == ESC)
                return 0;
        }
    }
    if (c == 0)
        return 0;
    Out[0] = c;
    return 1;
}
