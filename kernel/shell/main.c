/* main.c - the shell's main loop: print the boot line, run the autorun file
 * (echoing each command, as if typed), then prompt forever. */
#include <ntos.h>
#include "shellp.h"
#include <pnp.h>
#include <bootinfo.h>

#define SHELL_PROMPT "ntstor> "

/* TRUE when the device path has a node starting with Node ("/USB("), in
 * any case: firmware spells the text form differently (gnu-efi: "Usb("). */
static BOOLEAN ShellPathHasNode(PCSTR Path, PCSTR Node)
{
    SIZE_T n = RtlAsciiLength(Node);
    for (; *Path; Path++)
        if (!RtlAsciiCompareN(Path, Node, n, TRUE))
            return TRUE;
    return FALSE;
}

static VOID ShellPrintBootLine(VOID)
{
    MM_STATS st;
    ULONG64 tsc = KeReadTsc() - KeBootTsc;
    ULONG64 freq = KeQueryTscFrequency();
    ULONG64 ms = freq >= 1000 ? tsc / (freq / 1000) : 0;   /* uncalibrated: 0 */
    PCSTR dev = KeQueryBootDevicePath();
    CHAR devText[2 * NTSTOR_BOOT_DEVICE_MAX];
    /* The bus the boot volume sits on, from its device path's nodes
     * (UEFI 2.x 10.3.4: messaging device paths). */
    PCSTR from = !dev[0] ? "unknown" :
                 ShellPathHasNode(dev, "/USB(") || ShellPathHasNode(dev, "/UsbClass(") ? "usb" :
                 ShellPathHasNode(dev, "/Sata(") ? "sata" : ShellPathHasNode(dev, "/NVMe(") ? "nvme" :
                 ShellPathHasNode(dev, "/CDROM(") ? "cdrom" : "other";
    MmQueryStats(&st);
    RtlEscapeDeviceText(devText, sizeof(devText), dev, NTSTOR_BOOT_DEVICE_MAX);
    ConPrintf("boot ms=%llu mem_mib=%llu pool_bytes=%llu from=%s device=\"%s\"\n", ms,
              st.TotalUsableBytes >> 20, st.PoolBytesInUse, from, devText);
}

VOID ShellRefuseLine(PCSTR Where, NTSTATUS Status)
{
    CHAR why[64];

    if (Status == STATUS_NAME_TOO_LONG)
        RtlStringCbPrintfA(why, sizeof(why), "longer than %u characters: not run", SHELL_LINE_MAX - 1);
    else
        RtlStringCbPrintfA(why, sizeof(why), "a byte outside printable ASCII: not run");
    ShellError(Where, Status, why);
}

/* Autorun: one command per line; blank lines and '#' comments skipped.
 * A line longer than the shell's limit or with a byte outside printable
 * ASCII is reported and skipped, as a typed one is. */
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
        if (kind != ShellScriptLine) {
            CHAR where[32];
            RtlStringCbPrintfA(where, sizeof(where), "autorun line %u", lineNo);
            ShellRefuseLine(where, kind == ShellScriptTooLong ? STATUS_NAME_TOO_LONG
                                                             : STATUS_INVALID_PARAMETER);
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
        NTSTATUS status = ShellReadLine(line);
        if (!NT_SUCCESS(status)) {
            ShellRefuseLine("shell", status);
            continue;
        }
        ShellHistoryAdd(line);
        /* Device changes under way (the PnP thread's) settle first, so a
         * command sees the devices as they are now. */
        PnpWaitForIdle(PNP_SETTLE_TIMEOUT_MS);
        ShellExecute(line);
    }
}
