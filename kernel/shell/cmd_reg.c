/* cmd_reg.c - `reg [path]`: one key of the configuration tree: its values
 * (name, type, data) and subkeys, then the summary line
 * "reg path=<full path> values=<n> subkeys=<n>".  A path without a leading
 * '\' is looked up under \Registry\Machine, then under
 * \Registry\Machine\System\CurrentControlSet (where system.cfg sections
 * live), so `reg Services\ahci\Parameters` works.
 *
 *   ntstor> reg Services\ahci\Parameters
 *     InterruptMode        REG_SZ     Msi
 *     Ncq                  REG_DWORD  1 (0x1)
 *   reg path=\Registry\Machine\System\CurrentControlSet\Services\ahci\Parameters values=2 subkeys=0 */
#include <ntos.h>
#include <shell.h>
#include <cfg.h>

typedef struct _REG_CTX {
    ULONG Values, SubKeys;
} REG_CTX;

static PCSTR RegTypeName(ULONG Type)
{
    switch (Type) {
    case REG_SZ: return "REG_SZ";
    case REG_DWORD: return "REG_DWORD";
    case REG_QWORD: return "REG_QWORD";
    case REG_EXPAND_SZ: return "REG_EXPAND_SZ";
    case REG_BINARY: return "REG_BINARY";
    case REG_MULTI_SZ: return "REG_MULTI_SZ";
    default: return "REG_NONE";
    }
}

static BOOLEAN RegValue(PCUNICODE_STRING Name, ULONG Type, ULONG64 Number, PCUNICODE_STRING String,
                        PVOID Context)
{
    REG_CTX *C = Context;
    CHAR N[OB_MAX_NAME_CHARS + 1], S[CFG_MAX_LINE_BYTES + 1];
    BOOLEAN Quote = FALSE;

    RtlUnicodeToAscii(N, sizeof(N), Name);
    if (Type == REG_SZ || Type == REG_EXPAND_SZ) {
        RtlUnicodeToAscii(S, sizeof(S), String);
        /* Quote what would not read back as one plain word. */
        Quote = S[0] == 0;
        for (PCSTR p = S; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == ';' || *p == '#')
                Quote = TRUE;
        ConPrintf("  %-20s %-10s %s%s%s\n", N, RegTypeName(Type), Quote ? "\"" : "", S, Quote ? "\"" : "");
    } else if (Type != REG_DWORD && Type != REG_QWORD) {
        /* Binary data (set by a driver at run time): its size only. */
        ConPrintf("  %-20s %-10s (%u bytes)\n", N, RegTypeName(Type), (unsigned)String->Length);
    } else {
        ConPrintf("  %-20s %-10s %llu (0x%llx)\n", N, RegTypeName(Type), (unsigned long long)Number,
                  (unsigned long long)Number);
    }
    C->Values++;
    return TRUE;
}

static BOOLEAN RegSubKey(PCUNICODE_STRING Name, PVOID SubKey, PVOID Context)
{
    REG_CTX *C = Context;
    CHAR N[OB_MAX_NAME_CHARS + 1];

    RtlUnicodeToAscii(N, sizeof(N), Name);
    ConPrintf("  %-20s <key>\n", N);
    C->SubKeys++;
    return TRUE;
}

/* Base + '\' + Rel (ASCII) as a counted UTF-16 path in Out. */
static NTSTATUS RegBuildPath(PCWSTR Base, PCSTR Rel, PWCHAR Out, SIZE_T OutChars, PUNICODE_STRING Path)
{
    SIZE_T n = 0, r = RtlAsciiLength(Rel);

    if (Base)
        while (Base[n] && n < OutChars)
            Out[n] = Base[n], n++;
    if (Base && r)
        Out[n++] = L'\\';
    if (n + r > OB_MAX_PATH_CHARS || n + r >= OutChars)
        return STATUS_NAME_TOO_LONG;
    for (SIZE_T k = 0; k < r; k++)
        Out[n++] = (WCHAR)(UCHAR)Rel[k];
    while (n > 1 && Out[n - 1] == L'\\')
        n--;
    Path->Buffer = Out;
    Path->Length = Path->MaximumLength = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

static INT CmdReg(INT Argc, PCHAR *Argv)
{
    static WCHAR Wide[OB_MAX_PATH_CHARS + 2], Full[OB_MAX_PATH_CHARS + 2];
    static CHAR FullA[OB_MAX_PATH_CHARS + 1];
    static const PCWSTR Bases[] = { CM_MACHINE_PATH, CM_CONTROL_SET_PATH };
    PCSTR Arg = Argc > 1 ? Argv[1] : "";
    REG_CTX C = { 0, 0 };
    UNICODE_STRING Path, Name;
    PVOID Key = NULL;
    NTSTATUS Status = STATUS_OBJECT_NAME_NOT_FOUND;

    if (Argc > 2)
        return ShellError("reg", STATUS_INVALID_PARAMETER, "usage: reg [path]");
    if (!CmKeyObjectType)
        return ShellError("reg", STATUS_DEVICE_NOT_READY, "no configuration tree");
    if (Arg[0] == '\\') {
        Status = RegBuildPath(NULL, Arg, Wide, RTL_NUMBER_OF(Wide), &Path);
        if (NT_SUCCESS(Status))
            Status = ObpReferenceObjectByName(&Path, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &Key);
    } else {
        for (ULONG i = 0; i < RTL_NUMBER_OF(Bases) && !Key; i++) {
            NTSTATUS S = RegBuildPath(Bases[i], Arg, Wide, RTL_NUMBER_OF(Wide), &Path);
            if (NT_SUCCESS(S))
                S = ObpReferenceObjectByName(&Path, OBJ_CASE_INSENSITIVE, CmKeyObjectType, &Key);
            /* Report the first base's error unless the second one finds it. */
            if (i == 0 || NT_SUCCESS(S))
                Status = S;
        }
    }
    if (!NT_SUCCESS(Status))
        return ShellErrorF(Status, Status == STATUS_OBJECT_TYPE_MISMATCH ? "not a key" : "no such key",
                           "reg %s", Arg[0] ? Arg : "\\Registry\\Machine");

    CmEnumerateValues(Key, RegValue, &C);
    CmEnumerateSubKeys(Key, RegSubKey, &C);
    Name.Buffer = Full;
    Name.Length = 0;
    Name.MaximumLength = sizeof(Full);
    if (NT_SUCCESS(ObQueryNameString(Key, &Name)))
        RtlUnicodeToAscii(FullA, sizeof(FullA), &Name);
    else
        RtlAsciiCopy(FullA, sizeof(FullA), Arg);
    ObDereferenceObject(Key);
    ConPrintf("reg path=%s values=%u subkeys=%u\n", FullA, C.Values, C.SubKeys);
    return 0;
}
SHELL_COMMAND(reg, CmdReg, "reg [path]",
              "show a configuration key (relative to \\Registry\\Machine or CurrentControlSet)");
