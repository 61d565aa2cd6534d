/* kbdxlat.h - the console's keyboard translation (kernel/kd/kbdxlat.c,
 * kernel/kd/kbdlayout.c): KEYBOARD_INPUT_DATA from any keyboard class
 * device -> the bytes a VT100 terminal on the serial line would send for
 * the same key, so the line editor has one input language.  NT does this
 * in win32k with the keyboard layout DLLs (kbdus.dll ...); ntstor's
 * console is the only consumer, so it lives here.
 *
 * Pure code (no locks, no hardware): the caller (kernel/kd/kbdinput.c)
 * serializes.  Host-tested (tests/unit/test_kbd_xlat.c) and fuzzed. */
#ifndef NTSTOR_KBDXLAT_H
#define NTSTOR_KBDXLAT_H

#include <ntdef.h>
#include <ntddkbd.h>

/* The most bytes one key transition produces ("ESC [ 3 ~"). */
#define KBD_XLAT_MAX_OUT 4

/* Highest set 1 make code a layout table covers (0x56 is the 102nd key
 * of ISO keyboards, between left Shift and Z). */
#define KBD_LAYOUT_CODES 0x59

typedef struct _KBD_LAYOUT {
    PCSTR Name;                             /* "us", "de", "uk" */
    /* Character per set 1 make code: plain, with Shift, with AltGr; 0 for
     * none.  Latin-1 above 0x7F (the line editor refuses such a line, as
     * it refuses UTF-8 from the serial side). */
    UCHAR Normal[KBD_LAYOUT_CODES];
    UCHAR Shift[KBD_LAYOUT_CODES];
    UCHAR AltGr[KBD_LAYOUT_CODES];
    UCHAR KeypadDecimal;                    /* '.' or ',' with Num Lock */
} KBD_LAYOUT, *PKBD_LAYOUT;
typedef const KBD_LAYOUT *PCKBD_LAYOUT;

/* The layout named Name (any case), or NULL.  KbdLayoutNames lists them,
 * ", "-separated, for messages. */
PCKBD_LAYOUT KbdFindLayout(PCSTR Name);
extern const PCSTR KbdLayoutNames;
extern const KBD_LAYOUT KbdLayoutUs;

/* Modifier bits of KBD_XLAT.Modifiers. */
#define KBD_MOD_LSHIFT 0x01
#define KBD_MOD_RSHIFT 0x02
#define KBD_MOD_LCTRL  0x04
#define KBD_MOD_RCTRL  0x08
#define KBD_MOD_LALT   0x10
#define KBD_MOD_RALT   0x20     /* AltGr on layouts that have one */

typedef struct _KBD_XLAT {
    PCKBD_LAYOUT Layout;
    UCHAR Modifiers;            /* KBD_MOD_* held now */
    UCHAR LocksHeld;            /* lock keys down (a typematic repeat must not toggle) */
    USHORT Leds;                /* KEYBOARD_{CAPS,NUM,SCROLL}_LOCK_ON */
} KBD_XLAT, *PKBD_XLAT;

/* Starts with no modifier, every lock off, Layout (NULL: us). */
VOID KbdXlatInit(PKBD_XLAT X, PCKBD_LAYOUT Layout);
/* Applies one transition; writes up to KBD_XLAT_MAX_OUT bytes to Out and
 * returns how many.  Unknown codes and flags produce nothing. */
ULONG KbdXlatKey(PKBD_XLAT X, const KEYBOARD_INPUT_DATA *In, PUCHAR Out);

#endif
