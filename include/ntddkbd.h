/* ntddkbd.h - the keyboard interface, as the WDK's ntddkbd.h: what a
 * keyboard port driver (i8042prt, kbdhid) reports per key, and the
 * IOCTLs for the lock-key LEDs and the typematic rate.  MakeCode is a
 * scan code set 1 code whatever the keyboard speaks (the port driver
 * translates), with KEY_E0/KEY_E1 for the prefixed keys; the console maps
 * it to characters through a layout (kernel/kd/kbdlayout.c). */
#ifndef NTSTOR_NTDDKBD_H
#define NTSTOR_NTDDKBD_H

#include <ntdef.h>
#include <devioctl.h>

#ifndef FILE_DEVICE_KEYBOARD
#define FILE_DEVICE_KEYBOARD 0x0000000b
#endif

#define IOCTL_KEYBOARD_QUERY_ATTRIBUTES CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0000, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KEYBOARD_SET_TYPEMATIC    CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0001, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KEYBOARD_SET_INDICATORS   CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0002, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KEYBOARD_QUERY_TYPEMATIC  CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0008, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KEYBOARD_QUERY_INDICATORS CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0010, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* One key transition. */
typedef struct _KEYBOARD_INPUT_DATA {
    USHORT UnitId;              /* n of \Device\KeyboardPort<n> */
    USHORT MakeCode;            /* set 1 make code, without the break bit */
    USHORT Flags;               /* KEY_* below */
    USHORT Reserved;
    ULONG ExtraInformation;
} KEYBOARD_INPUT_DATA, *PKEYBOARD_INPUT_DATA;

#define KEY_MAKE  0
#define KEY_BREAK 1
#define KEY_E0    2
#define KEY_E1    4

/* IOCTL_KEYBOARD_SET_INDICATORS / QUERY_INDICATORS. */
typedef struct _KEYBOARD_INDICATOR_PARAMETERS {
    USHORT UnitId;
    USHORT LedFlags;
} KEYBOARD_INDICATOR_PARAMETERS, *PKEYBOARD_INDICATOR_PARAMETERS;

#define KEYBOARD_LED_INJECTED   0x8000
#define KEYBOARD_SCROLL_LOCK_ON 1
#define KEYBOARD_NUM_LOCK_ON    2
#define KEYBOARD_CAPS_LOCK_ON   4

/* IOCTL_KEYBOARD_SET_TYPEMATIC / QUERY_TYPEMATIC. */
typedef struct _KEYBOARD_TYPEMATIC_PARAMETERS {
    USHORT UnitId;
    USHORT Rate;                /* characters per second */
    USHORT Delay;               /* milliseconds before the first repeat */
} KEYBOARD_TYPEMATIC_PARAMETERS, *PKEYBOARD_TYPEMATIC_PARAMETERS;

#endif
