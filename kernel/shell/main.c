/* main.c - the shell's main loop: print the boot line, run the autorun file
 * (echoing each command, as if typed), then prompt forever. */
#include <ntos.h>
#include "shellp.h"
#include <pnp.h>

#define SHELL_PROMPT "ntstor> "

static VOID ShellPrintBootLine(VOID)
{
    MM_STATS st;
    ULONG64 tsc = KeReadTsc() - KeBootTsc;
    ULONG64 freq = KeQueryTscFrequency();
    ULONG64 ms = freq >= 1000 ? tsc / (freq / 1000) : 0;   /* uncalibrated: 0 */
    MmQueryStats(&st);
    ConPrintf("boot ms=%llu mem_mib=%llu pool_bytes=%llu\n", ms,
              st.TotalUsableBytes >> 20, st.PoolBytesInUse);
}

/* Autorun: one command per line; blank lines and '#' comments skipped.
 * A line longer than the shell's limit is reported and skipped. */
static VOID ShellRunAutorun(VOID)
{
    const ntstor_boot_file *f = KiFindBootFile("\\ntstor\\autorun");
    if (!f)
        return;
    const CHAR *text = KiBootFileData(f);
    SIZE_T offset = 0;
    ULONG lineNo = 0;
    CHAR line[SHELL_LINE_MAX];
    SHELL_SCRIPT_LINE kind;

    while ((kind = ShellScriptNextLine(text, f->size, &offset, &lineNo, line)) != ShellScriptEnd) {
        if (kind == ShellScriptTooLong) {
            ConPrintf("error: autorun line %u: %s (longer than %u characters)\n", lineNo,
                      RtlNtStatusName(STATUS_NAME_TOO_LONG), SHELL_LINE_MAX - 1);
            continue;
        }
        ConPrintf(SHELL_PROMPT "%s\n", line);
        ShellExecute(line);
    }
}

VOID ShellMain(VOID)
{
    CHAR line[SHELL_LINE_MAX];

    ShellPrintBootLine();
    ShellRunAutorun();
    for (;;) {
        ConWrite(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
        ShellReadLine(line);
        ShellHistoryAdd(line);
        /* Device-relation changes reported at raised IRQL are enumerated
         * here, at PASSIVE_LEVEL, between commands. */
        PnpProcessDeferredWork();
        ShellExecute(line);
    }
}
