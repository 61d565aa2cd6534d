/* kd.h - kernel log and console output (kernel/rtl/log.c, kernel/rtl/console.c).
 *
 * DbgPrint (wdm/rtl.h) appends a timestamped line to the kernel log ring
 * (shell: log) and echoes it to the console.  ConPrintf writes to the console
 * only, without a timestamp: that is what the shell's output uses.  The
 * console is the COM1 UART plus the framebuffer text console when present. */
#ifndef NTSTOR_KD_H
#define NTSTOR_KD_H

#include <ntdef.h>

VOID ConPrintf(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
VOID ConWrite(PCSTR Text, SIZE_T Length);
/* Next input byte from the console (keyboards, then COM1), or -1 if none
 * is waiting. */
INT ConPollChar(VOID);
/* Keyboard input (kernel/kd/kbdinput.c): ConInitKeyboard reads the layout
 * from the configuration tree (after CmInitSystem); ConPollKeyboard is the
 * next translated byte, or -1.  Drivers feed it with ConKeyboardInput
 * (include/ntstor_console.h). */
VOID ConInitKeyboard(VOID);
INT ConPollKeyboard(VOID);

/* Kernel log.  KdLogDump calls Sink for each stored line, oldest first. */
typedef VOID (*PKD_LOG_SINK)(PCSTR Line, PVOID Context);
VOID KdLogDump(PKD_LOG_SINK Sink, PVOID Context);
/* FALSE stops DbgPrint echoing to the console (the log still records). */
VOID KdSetConsoleEcho(BOOLEAN Echo);

#endif
