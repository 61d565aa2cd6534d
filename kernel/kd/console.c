/* console.c - the console: everything goes to COM1 and, once mapped, the
 * framebuffer; input comes from the keyboards (kbdinput.c) and COM1.  Callable at any IRQL (the bug check screen uses it), so it
 * takes no locks.  Interrupts are held off while a piece is written: the
 * framebuffer console's cursor must not be moved by an ISR's DbgPrint in the
 * middle of a glyph or a scroll.  The pieces are short because a real 16550
 * at 115200 baud takes ~87 us a byte: a whole 512-byte line would keep
 * interrupts off for ~45 ms, and the disk driver's watchdog would see lost
 * interrupts.  An ISR's line may so land between two pieces of another. */
#include <ntos.h>

#define CON_PIECE 64        /* bytes written with interrupts off: ~5.6 ms at 115200 */

VOID ConWrite(PCSTR Text, SIZE_T Length)
{
    while (Length) {
        SIZE_T n = Length < CON_PIECE ? Length : CON_PIECE;
        ULONG64 flags = KeDisableInterrupts();
        HalUartWrite(Text, n);
        HalFbWrite(Text, n);
        KeRestoreInterrupts(flags);
        Text += n;
        Length -= n;
    }
}

VOID ConPrintf(PCSTR Format, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, Format);
    RtlStringCbVPrintfA(buf, sizeof(buf), Format, ap);
    va_end(ap);
    ConWrite(buf, RtlAsciiLength(buf));
}

/* Keyboards first: a key's escape sequence is queued whole (kbdinput.c),
 * so it is never split by a serial byte read between its bytes. */
INT ConPollChar(VOID)
{
    INT c = ConPollKeyboard();

    return c >= 0 ? c : HalUartPoll();
}
