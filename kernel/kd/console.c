/* console.c - the console: everything goes to COM1 and, once mapped, the
 * framebuffer.  Callable at any IRQL (the bug check screen uses it), so it
 * takes no locks; interrupts are held off for one write so lines from an ISR
 * do not land in the middle of another line. */
#include <ntos.h>

VOID ConWrite(PCSTR Text, SIZE_T Length)
{
    ULONG64 flags = KeDisableInterrupts();
    HalUartWrite(Text, Length);
    HalFbWrite(Text, Length);
    KeRestoreInterrupts(flags);
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

INT ConPollChar(VOID)
{
    return HalUartPoll();
}
