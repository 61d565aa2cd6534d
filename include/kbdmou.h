/* kbdmou.h - the class/port connection of the keyboard stack, as the WDK's
 * kbdmou.h.  The class driver (kbdclass) sits above a port driver
 * (i8042prt, later kbdhid) in the device's stack and, once the stack has
 * started, sends IOCTL_INTERNAL_KEYBOARD_CONNECT down with a CONNECT_DATA
 * in Parameters.DeviceIoControl.Type3InputBuffer.  The port driver then
 * calls ClassService from its DPC (DISPATCH_LEVEL) with the key
 * transitions it has decoded:
 *
 *   ClassService(ClassDeviceObject, InputDataStart, InputDataEnd, &Consumed)
 *
 * InputDataEnd points one past the last KEYBOARD_INPUT_DATA; the class
 * driver sets *Consumed to how many it took.  A second CONNECT on a
 * connected port fails with STATUS_SHARING_VIOLATION, as in NT. */
#ifndef NTSTOR_KBDMOU_H
#define NTSTOR_KBDMOU_H

#include <ntdef.h>
#include <devioctl.h>
#include <ntddkbd.h>

#define IOCTL_INTERNAL_KEYBOARD_CONNECT    CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0080, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_INTERNAL_KEYBOARD_DISCONNECT CTL_CODE(FILE_DEVICE_KEYBOARD, 0x0100, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef struct _CONNECT_DATA {
    struct _DEVICE_OBJECT *ClassDeviceObject;
    PVOID ClassService;         /* a PSERVICE_CALLBACK_ROUTINE */
} CONNECT_DATA, *PCONNECT_DATA;

typedef VOID (*PSERVICE_CALLBACK_ROUTINE)(PVOID NormalContext, PVOID SystemArgument1,
                                          PVOID SystemArgument2, PVOID SystemArgument3);

#endif
