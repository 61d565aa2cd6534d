/* log.c - the kernel log: DbgPrint lines with a timestamp (seconds since
 * kernel entry, microsecond resolution) kept in a ring for the `log` command
 * and echoed to the console. */
#include <ntos.h>

#define KD_LOG_SIZE   (64 * 1024)
#define KD_LINE_MAX   256

/* The ring holds NUL-separated lines; the oldest are overwritten.  Touched
 * with interrupts off (DbgPrint may be called from an ISR). */
static CHAR LogRing[KD_LOG_SIZE];
static SIZE_T LogHead;          /* next write position */
static BOOLEAN LogWrapped;
static BOOLEAN LogEcho = TRUE;

VOID KdSetConsoleEcho(BOOLEAN Echo)
{
    LogEcho = Echo;
}

static void ring_put(PCSTR s, SIZE_T n)
{
    for (SIZE_T i = 0; i < n; i++) {
        LogRing[LogHead++] = s[i];
        if (LogHead == KD_LOG_SIZE) {
            LogHead = 0;
            LogWrapped = TRUE;
        }
    }
}

ULONG DbgPrint(PCSTR Format, ...)
{
    char line[KD_LINE_MAX];
    ULONG64 us = KeQueryTimeUs();
    RtlStringCbPrintfA(line, sizeof(line), "[%5llu.%06llu] ", us / 1000000, us % 1000000);
    SIZE_T prefix = RtlAsciiLength(line);

    va_list ap;
    va_start(ap, Format);
    RtlStringCbVPrintfA(line + prefix, sizeof(line) - prefix, Format, ap);
    va_end(ap);

    /* One line per call: strip the caller's trailing newline, add ours. */
    SIZE_T n = RtlAsciiLength(line);
    while (n > prefix && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;

    ULONG64 flags = KeDisableInterrupts();
    ring_put(line, n + 1);
    KeRestoreInterrupts(flags);
    if (LogEcho) {
        line[n] = '\n';
        ConWrite(line, n + 1);
    }
    return 0;
}

VOID KdLogDump(PKD_LOG_SINK Sink, PVOID Context)
{
    /* Copy out under interrupts-off so a concurrent DbgPrint can't tear it,
     * then hand lines out from the copy. */
    static CHAR snapshot[KD_LOG_SIZE];
    SIZE_T start, len;
    ULONG64 flags = KeDisableInterrupts();
    if (LogWrapped) {
        start = LogHead;
        len = KD_LOG_SIZE;
    } else {
        start = 0;
        len = LogHead;
    }
    for (SIZE_T i = 0; i < len; i++)
        snapshot[i] = LogRing[(start + i) % KD_LOG_SIZE];
    KeRestoreInterrupts(flags);

    SIZE_T i = 0;
    if (LogWrapped) {   /* first line is probably torn: skip to after a NUL */
        while (i < len && snapshot[i])
            i++;
        i++;
    }
    while (i < len) {
        SIZE_T j = i;
        while (j < len && snapshot[j])
            j++;
        if (j < len)
            Sink(&snapshot[i], Context);
        i = j + 1;
    }
}
