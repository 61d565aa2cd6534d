/* i8042prt.h - the PS/2 keyboard port driver, after NT's i8042prt: an FDO
 * on the ACPI\PNP0303 node (kernel/pnp/legacy.c), the keyboard class
 * driver above it (UpperFilters = kbdclass) connected through
 * IOCTL_INTERNAL_KEYBOARD_CONNECT.  Files: entry.c (DriverEntry, AddDevice,
 * IRP dispatch), hw.c (start, ISR, DPC, LEDs), controller.c and
 * scancode.c (pure logic, i8042logic.h).  QEMU: q35 has the controller
 * and a PS/2 keyboard; `sendkey` on the monitor types on it. */
#ifndef NTSTOR_I8042PRT_H
#define NTSTOR_I8042PRT_H

#include <wdm.h>
#include <kbdmou.h>
#include <i8042.h>
#include "i8042logic.h"

#define I8042_TAG        NTSTOR_TAG('8', '0', '4', '2')
/* Transitions the ISR can hold for the DPC: a power of two. */
#define I8042_RING       64
/* Bytes one interrupt reads at most (the controller holds one at a time;
 * the bound keeps a stuck OBF from looping). */
#define I8042_ISR_MAX_BYTES 8

typedef struct _I8042_EXTENSION {
    PDEVICE_OBJECT Self;
    PDEVICE_OBJECT Lower;
    ULONG UnitId;                       /* n of \Device\KeyboardPort<n> */
    I8042_IO Io;
    USHORT DataPort, CommandPort;
    ULONG Vector;
    KIRQL Irql;
    PKINTERRUPT Interrupt;
    BOOLEAN Started;
    UCHAR Config;                       /* configuration byte, keyboard interrupt bit aside */
    UCHAR Typematic;
    /* Touched at the interrupt's IRQL only (ISR, or KeAcquireInterruptSpinLock). */
    I8042_DECODER Decoder;
    I8042_COMMAND Command;
    KEYBOARD_INPUT_DATA Ring[I8042_RING];
    ULONG Head, Tail;                   /* free-running */
    ULONG Dropped;
    /* Set at PASSIVE_LEVEL by CONNECT while the DPC cannot run with it
     * half-written (interrupt lock held). */
    CONNECT_DATA Connect;
} I8042_EXTENSION, *PI8042_EXTENSION;

/* hw.c */
NTSTATUS I8042StartDevice(PI8042_EXTENSION Ext, PCM_RESOURCE_LIST Raw, PCM_RESOURCE_LIST Translated);
VOID I8042StopDevice(PI8042_EXTENSION Ext);
/* LEDs (0xED) / typematic (0xF3) while running; any IRQL <= DISPATCH_LEVEL. */
NTSTATUS I8042SendKeyboardCommand(PI8042_EXTENSION Ext, UCHAR Command, UCHAR Argument);
NTSTATUS I8042SetConnect(PI8042_EXTENSION Ext, const CONNECT_DATA *Connect);

#endif
