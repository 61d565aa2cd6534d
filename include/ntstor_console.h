/* ntstor_console.h - how a keyboard class driver hands keys to the console
 * (ntstor's stand-in for win32k's raw input thread reading
 * \Device\KeyboardClass<n>).  The console translates with the layout of
 * system.cfg's [Control\Console] KeyboardLayout and merges the result with
 * the serial input into the line editor (kernel/kd/kbdinput.c). */
#ifndef NTSTOR_CONSOLE_H
#define NTSTOR_CONSOLE_H

#include <ntdef.h>
#include <ntddkbd.h>

/* Translates and queues Count transitions.  IRQL <= DISPATCH_LEVEL (a
 * class service callback runs at DISPATCH_LEVEL).  Returns the LED flags
 * (KEYBOARD_*_LOCK_ON) the console's lock state calls for now, so the
 * caller can update its keyboard's LEDs when they differ from what it
 * last set.  Keys that do not fit the console's queue (256 bytes: nobody
 * is reading) are dropped. */
USHORT ConKeyboardInput(const KEYBOARD_INPUT_DATA *Data, ULONG Count);

#endif
