/* hidkbd.h - the HID boot keyboard's logic, pure (no kernel calls): the
 * configuration walk that finds the boot keyboard interface, boot report
 * diffing into key transitions (rollover, key-up), HID usages (page 07h)
 * to scan code set 1 as kbdclass expects them from i8042prt, and the LED
 * output report.  kbdhid.c, the host tests and tests/fuzz/fuzz_hidkbd.c
 * share it. */
#ifndef NTSTOR_HIDKBD_H
#define NTSTOR_HIDKBD_H

#include <ntdef.h>
#include <ntddkbd.h>

#define HIDKBD_MAX_EVENTS 20    /* 8 modifiers + 6 keys up + 6 keys down */

typedef struct _HIDKBD_STATE {
    UCHAR Modifiers;
    UCHAR Keys[6];
    UCHAR KeyCount;
} HIDKBD_STATE;

/* The first boot keyboard interface (class 03h, subclass 01h, protocol
 * 01h) of a configuration descriptor and whether it has an interrupt IN
 * endpoint.  FALSE (with *Why) for a malformed walk or no such interface. */
BOOLEAN HidKbdFindInterface(const UCHAR *Config, ULONG Length, PUCHAR Interface,
                            PUCHAR Alternate, PCSTR *Why);

/* Diffs Report (a boot report: modifiers, reserved, six usages) against
 * *State and writes the transitions to Out (HIDKBD_MAX_EVENTS room):
 * modifiers pressed, keys released, keys pressed, modifiers released.
 * A report with ErrorRollOver/POSTFail/ErrorUndefined (01h-03h) in a key
 * slot, or shorter than 3 bytes, changes nothing.  Usages without a set 1
 * code are skipped.  Returns the number of transitions. */
ULONG HidKbdDiff(HIDKBD_STATE *State, const UCHAR *Report, ULONG Length,
                 KEYBOARD_INPUT_DATA *Out, USHORT UnitId);

/* Set 1 make code (KEY_E0 in *Flags for the grey keys) of a usage or a
 * modifier usage E0h-E7h; 0 when the usage has none. */
USHORT HidKbdUsageToMake(UCHAR Usage, PUSHORT Flags);

/* The key to auto-repeat after a report: the last key in After that was
 * not in Before, 0 if none (lock keys never repeat).  HidKbdIsDown says
 * whether a usage is held in a state. */
UCHAR HidKbdNewestKey(const HIDKBD_STATE *Before, const HIDKBD_STATE *After);
BOOLEAN HidKbdIsDown(const HIDKBD_STATE *State, UCHAR Usage);

/* The boot output report's LED byte (HID 1.11 B.1) for KEYBOARD_*_LOCK_ON. */
UCHAR HidKbdLedReport(USHORT LedFlags);

#endif
