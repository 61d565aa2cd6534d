/* cmd_verifier.c - the verifier switch (kernel/io/verifier.c):
 *
 *   verifier regcopy on   -> verifier name=regcopy verifier=1 loaded=1
 *   verifier regcopy off  -> verifier name=regcopy verifier=0 loaded=1
 *   verifier regcopy      -> verifier name=regcopy verifier=0 loaded=0
 *
 * On/off sets the service's Verifier value (read at the next load) and,
 * when the driver is loaded, turns the checks on or off at once.  The pool
 * and work-item checks at unload cover what the driver allocated since its
 * load, whenever the verifier was turned on. */
#include <ntos.h>
#include <io.h>
#include <cfg.h>
#include <rtl.h>
#include <shell.h>

#define VERIFIER_NAME_CHARS 64

static INT CmdVerifier(INT Argc, PCHAR *Argv)
{
    WCHAR nameBuffer[VERIFIER_NAME_CHARS], pathBuffer[sizeof(CM_SERVICES_PATH) / sizeof(WCHAR) + VERIFIER_NAME_CHARS + 1];
    UNICODE_STRING name = { 0, sizeof(nameBuffer), nameBuffer }, path = { 0, sizeof(pathBuffer), pathBuffer };
    static const UNICODE_STRING value = RTL_CONSTANT_STRING(u"Verifier");
    PDRIVER_OBJECT driver;
    PVOID key;
    BOOLEAN set = Argc == 3, on = FALSE;
    NTSTATUS status;

    if (Argc != 2 && Argc != 3) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "verifier <service> [on|off]", "verifier");
        return 1;
    }
    if (set) {
        if (!RtlAsciiCompare((PCSTR)Argv[2], "on", TRUE))
            on = TRUE;
        else if (RtlAsciiCompare((PCSTR)Argv[2], "off", TRUE)) {
            ShellErrorF(STATUS_INVALID_PARAMETER, "on or off", "verifier %s %s", (PCSTR)Argv[1], (PCSTR)Argv[2]);
            return 1;
        }
    }
    if (!NT_SUCCESS(RtlAsciiToUnicodeString(&name, (PCSTR)Argv[1])) ||
        !NT_SUCCESS(RtlAppendUnicodeToString(&path, CM_SERVICES_PATH u"\\")) ||
        !NT_SUCCESS(RtlAppendUnicodeStringToString(&path, &name))) {
        ShellErrorF(STATUS_NAME_TOO_LONG, "service names are short", "verifier %s", (PCSTR)Argv[1]);
        return 1;
    }
    /* The service must exist: a typo must not create a key. */
    status = ObpReferenceObjectByName(&path, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &key);
    if (!NT_SUCCESS(status)) {
        ShellErrorF(status, "no such service", "verifier %s", (PCSTR)Argv[1]);
        return 1;
    }
    driver = IopFindLoadedDriver(&name);
    if (set) {
        ULONG v = on;
        status = CmSetValue(key, &value, REG_DWORD, &v);
        if (NT_SUCCESS(status) && driver)
            IopSetDriverVerified(driver, on);
    }
    if (!set) {
        HANDLE h;
        ULONG v = 0;
        if (NT_SUCCESS(ObInsertHandle(key, &h))) {
            CmQueryValueUlong(h, u"Verifier", &v, 0);
            ObpCloseHandle(h);
        }
        on = driver ? IopIsDriverVerified(driver) : v != 0;
    }
    ObDereferenceObject(key);
    if (!NT_SUCCESS(status)) {
        ShellErrorF(status, "cannot set the Verifier value", "verifier %s", (PCSTR)Argv[1]);
        return 1;
    }
    ConPrintf("verifier name=%s verifier=%u loaded=%u\n", (PCSTR)Argv[1], on ? 1u : 0u, driver ? 1u : 0u);
    return 0;
}

SHELL_COMMAND(verifier, CmdVerifier, "verifier <service> [on|off]",
              "driver verifier: IRP, IRQL, spin lock, pool and work item checks for one driver");
