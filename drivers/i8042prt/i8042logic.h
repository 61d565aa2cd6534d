/* i8042logic.h - the i8042 port driver's pure logic, shared by the driver
 * and the host tests (tests/unit/test_i8042.c runs it against a model of
 * the controller and keyboard): controller bring-up, the keyboard command
 * exchange (LEDs, typematic) driven by the ISR, and the scan code
 * decoder.  No kernel calls: port access and delays go through I8042_IO. */
#ifndef NTSTOR_I8042LOGIC_H
#define NTSTOR_I8042LOGIC_H

#include <ntdef.h>
#include <ntstatus.h>
#include <ntddkbd.h>

typedef struct _I8042_IO {
    UCHAR (*Read)(PVOID Context, USHORT Port);
    VOID (*Write)(PVOID Context, USHORT Port, UCHAR Value);
    VOID (*Stall)(PVOID Context, ULONG Microseconds);
    PVOID Context;
} I8042_IO, *PI8042_IO;
typedef const I8042_IO *PCI8042_IO;

/* Every wait on the status register is bounded (REAL-PCS.md: a missing
 * or wedged controller must not hang the boot).  Polls are this far apart: */
#define I8042_POLL_US               50
/* A controller command's answer, or the input buffer draining: the 8042
 * answers within microseconds; 100 ms covers slow embedded controllers
 * (Linux's i8042 allows 500 ms for the whole exchange). */
#define I8042_CONTROLLER_TIMEOUT_US 100000
/* A keyboard's ACK to a command: within 20 ms (IBM PS/2 Technical
 * Reference, Keyboard, "Commands from the system"); doubled. */
#define I8042_KBD_ACK_TIMEOUT_US    40000
/* The keyboard's Basic Assurance Test after RESET: 300-500 ms in the
 * Technical Reference; some keyboards take longer, so a second. */
#define I8042_KBD_BAT_TIMEOUT_US    1000000
/* Stale bytes read and dropped before the bring-up starts. */
#define I8042_FLUSH_MAX_BYTES       32
/* Times a keyboard command byte is sent again after RESEND (0xFE). */
#define I8042_MAX_RESENDS           3

/* The keyboard's power-on typematic setting: 10.9 characters/s after
 * 500 ms (Technical Reference); rate and delay encoded as in 0xF3. */
#define I8042_DEFAULT_TYPEMATIC     0x2B

typedef struct _I8042_INIT_RESULT {
    UCHAR Config;           /* the configuration byte in force (keyboard IRQ still off) */
    BOOLEAN Translated;     /* the controller translates: bytes are set 1 */
    BOOLEAN KeyboardTestFailed; /* 0xAB's answer was not 0 (logged; carried on) */
    PCSTR Why;              /* on failure: what went wrong, for the log */
} I8042_INIT_RESULT, *PI8042_INIT_RESULT;

/* Brings up the controller and the keyboard with the keyboard interrupt
 * off: flush, ports off, configuration (translation on), self-test,
 * keyboard interface test, keyboard port on, keyboard RESET and BAT, scan
 * code set 2, Typematic, LEDs off, scanning on.  STATUS_NO_SUCH_DEVICE:
 * no controller (status reads 0xFF); STATUS_IO_TIMEOUT: the controller
 * stopped answering; STATUS_DEVICE_NOT_CONNECTED: no keyboard answers;
 * STATUS_ADAPTER_HARDWARE_ERROR: self-test or BAT failed. */
NTSTATUS I8042Initialize(PCI8042_IO Io, UCHAR Typematic, PI8042_INIT_RESULT Result);
/* Sets the configuration byte with the keyboard interrupt on (after
 * IoConnectInterrupt) or off (before disconnecting). */
NTSTATUS I8042SetKeyboardInterrupt(PCI8042_IO Io, UCHAR Config, BOOLEAN Enable);

/* 0xF3's argument for Rate characters/s and Delay ms: the nearest the
 * keyboard offers (2..30 /s, 250..1000 ms). */
UCHAR I8042TypematicByte(USHORT Rate, USHORT Delay);
/* KEYBOARD_*_LOCK_ON flags -> 0xED's argument. */
UCHAR I8042LedByte(USHORT LedFlags);

/* A keyboard command in flight while interrupts are on (LEDs, typematic):
 * the ISR feeds every byte to I8042CommandByte first; ACK sends the next
 * byte, RESEND repeats one.  Touched only at the interrupt's IRQL. */
typedef struct _I8042_COMMAND {
    UCHAR Bytes[2];
    UCHAR Count;            /* 0: idle */
    UCHAR Next;             /* index of the byte awaiting its ACK */
    UCHAR Resends;
} I8042_COMMAND, *PI8042_COMMAND;

/* Starts Command (First, then Second) replacing any command in flight (a
 * lost ACK must not block later LED changes).  FALSE if the controller
 * would not take the byte. */
BOOLEAN I8042StartCommand(PCI8042_IO Io, PI8042_COMMAND Command, UCHAR First, UCHAR Second);
/* TRUE if Byte was the command's answer (consumed), FALSE if it is input. */
BOOLEAN I8042CommandByte(PCI8042_IO Io, PI8042_COMMAND Command, UCHAR Byte);

/* The scan code decoder: bytes from the keyboard -> key transitions with
 * set 1 make codes.  Set 1 (translated) or set 2 (raw). */
typedef struct _I8042_DECODER {
    BOOLEAN Set2;
    UCHAR Prefix;           /* 0, KBD_PREFIX_E0 or KBD_PREFIX_E1 */
    UCHAR E1Left;           /* codes still to come of an E1 sequence */
    BOOLEAN Break;          /* set 2: F0 seen */
} I8042_DECODER, *PI8042_DECODER;

VOID I8042DecoderInit(PI8042_DECODER Decoder, BOOLEAN Set2);
/* TRUE when Byte completes a transition (Out filled, UnitId 0). */
BOOLEAN I8042DecodeByte(PI8042_DECODER Decoder, UCHAR Byte, PKEYBOARD_INPUT_DATA Out);
/* Set 2 code -> set 1 code (the 8042's translation), 0 for none. */
UCHAR I8042Set2ToSet1(UCHAR Code);

#endif
