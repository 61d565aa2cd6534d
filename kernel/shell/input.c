/* input.c - console input for the shell thread, and Ctrl-C.
 *
 * The console has no receive interrupt here (HalUartPoll), and the shell
 * thread must block while it waits for a key so other threads run and the
 * CPU idles.  So a periodic kernel timer's DPC drains the console every
 * SHELL_INPUT_POLL_MS into a ring and sets an event the line editor waits
 * on.  The DPC runs at DISPATCH_LEVEL whatever the shell thread is doing,
 * which is what lets Ctrl-C reach a running command: while one runs, Ctrl-C
 * sets the interrupted flag (ShellInterrupted) instead of entering the
 * ring; other keys wait in the ring as type-ahead.
 *
 * The ring and the flags are written by the DPC and read by the shell
 * thread: the DPC cannot be interrupted by the thread, and the thread
 * reads the ring with the DPC held off (DISPATCH_LEVEL). */
#include <ntos.h>
#include "shellp.h"

/* 2 ms: a 16-byte UART FIFO at 115200 baud fills in ~1.4 ms; the ring
 * drains QEMU's queue a FIFO-load at a time, and a typed key shows at
 * once to a person. */
#define SHELL_INPUT_POLL_MS 2
#define SHELL_INPUT_RING 256
#define SHELL_CTRL_C 0x03

static KTIMER ShellInputTimer;
static KDPC ShellInputDpc;
static KEVENT ShellInputEvent;          /* synchronization: a key arrived */
static UCHAR ShellRing[SHELL_INPUT_RING];
static ULONG ShellRingHead, ShellRingTail;      /* DISPATCH_LEVEL */
static volatile BOOLEAN ShellCommandRunning;
static volatile BOOLEAN ShellInterruptFlag;
static BOOLEAN ShellInputStarted;

static VOID ShellInputPoll(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    BOOLEAN any = FALSE;
    INT c;

    while ((ShellRingHead - ShellRingTail) < SHELL_INPUT_RING && (c = ConPollChar()) >= 0) {
        if (c == SHELL_CTRL_C && ShellCommandRunning) {
            ShellInterruptFlag = TRUE;
            continue;
        }
        ShellRing[ShellRingHead++ % SHELL_INPUT_RING] = (UCHAR)c;
        any = TRUE;
    }
    if (any)
        KeSetEvent(&ShellInputEvent, IO_NO_INCREMENT, FALSE);
}

static VOID ShellInputStart(VOID)
{
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)SHELL_INPUT_POLL_MS * 10000 };

    KeInitializeEvent(&ShellInputEvent, SynchronizationEvent, FALSE);
    KeInitializeDpc(&ShellInputDpc, ShellInputPoll, NULL);
    KeInitializeTimer(&ShellInputTimer);
    KeSetTimerEx(&ShellInputTimer, due, SHELL_INPUT_POLL_MS, &ShellInputDpc);
    ShellInputStarted = TRUE;
}

INT ShellGetKey(VOID)
{
    if (!ShellInputStarted)
        ShellInputStart();
    for (;;) {
        KIRQL old;
        INT c = -1;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        if (ShellRingTail != ShellRingHead)
            c = ShellRing[ShellRingTail++ % SHELL_INPUT_RING];
        KeLowerIrql(old);
        if (c >= 0)
            return c;
        KeWaitForSingleObject(&ShellInputEvent, UserRequest, KernelMode, FALSE, NULL);
    }
}

VOID ShellBeginCommand(VOID)
{
    ShellInterruptFlag = FALSE;
    ShellCommandRunning = TRUE;
}

BOOLEAN ShellEndCommand(VOID)
{
    ShellCommandRunning = FALSE;
    return ShellInterruptFlag;
}

BOOLEAN ShellInterrupted(VOID)
{
    return ShellInterruptFlag;
}
