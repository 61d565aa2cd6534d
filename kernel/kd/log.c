/* log.c - the kernel log: DbgPrint lines with a timestamp (seconds since
 * kernel entry, microsecond resolution) kept in a ring for the `log` command
 * and echoed to the console.
 *
 * Until KeInitTime knows the TSC's rate a timestamp cannot be computed
 * (at the assumed 1 GHz a 3 GHz TSC reads three times too late, and the
 * first calibrated stamp jumps backwards), so early lines are stamped 0,
 * as Linux's printk does before its clock runs, with their TSC kept
 * aside; the first line after calibration rewrites their stamps in the
 * ring, so `log` shows when each really happened. */
#include <ntos.h>

#define KD_LOG_SIZE   (64 * 1024)
#define KD_LINE_MAX   256

/* The ring holds NUL-separated lines; the oldest are overwritten.  Touched
 * with interrupts off (DbgPrint may be called from an ISR). */
static CHAR LogRing[KD_LOG_SIZE];
static SIZE_T LogHead;          /* next write position */
static BOOLEAN LogWrapped;
static BOOLEAN LogEcho = TRUE;

/* Lines logged before the TSC was calibrated: where each sits in the ring
 * and its TSC.  More than this many early lines keep their 0. */
#define KD_EARLY_LINES 64
#define KD_STAMP_DIGITS 12      /* "%5llu.%06llu" */
static struct { SIZE_T Offset; ULONG64 Tsc; } LogEarly[KD_EARLY_LINES];
static ULONG LogEarlyCount;
static BOOLEAN LogEarlyMended;

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

/* Rewrites the stamps of the early lines, now that the TSC's rate is
 * known.  Interrupts are off (the ring's rule). */
static VOID LogMendEarlyStamps(VOID)
{
    char stamp[KD_STAMP_DIGITS + 8];

    for (ULONG i = 0; i < LogEarlyCount; i++) {
        ULONG64 us = KeTscToUs(LogEarly[i].Tsc - KeBootTsc);
        RtlStringCbPrintfA(stamp, sizeof(stamp), "%5llu.%06llu", us / 1000000, us % 1000000);
        if (RtlAsciiLength(stamp) != KD_STAMP_DIGITS)
            continue;   /* wider than the placeholder: leave the 0 */
        for (ULONG k = 0; k < KD_STAMP_DIGITS; k++)     /* after the '[' */
            LogRing[(LogEarly[i].Offset + 1 + k) % KD_LOG_SIZE] = stamp[k];
    }
    LogEarlyMended = TRUE;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    char line[KD_LINE_MAX];
    BOOLEAN calibrated = KeIsTscCalibrated();
    ULONG64 tsc = KeReadTsc();
    ULONG64 us = calibrated ? KeQueryTimeUs() : 0;
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
    if (calibrated && !LogEarlyMended)
        LogMendEarlyStamps();
    if (!calibrated && LogEarlyCount < KD_EARLY_LINES) {
        LogEarly[LogEarlyCount].Offset = LogHead;
        LogEarly[LogEarlyCount].Tsc = tsc;
        LogEarlyCount++;
    }
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
