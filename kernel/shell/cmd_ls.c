/* cmd_ls.c - `ls [-l] [path]`: the object namespace, one entry per line
 * (name, type; with -l the pointer and handle counts, not counting ls's own
 * reference, and a link's target),
 * then the summary line "ls path=<path> entries=<n>".  Symbolic links in
 * the path are followed, so `ls \??\PhysicalDrive0` lists the disk object.
 *
 *   ntstor> ls -l \??
 *   PhysicalDrive0            SymbolicLink  refs=0 handles=0 -> \Device\Harddisk0\DR0
 *   ls path=\?? entries=1 */
#include <ntos.h>
#include <shell.h>
#include <ob.h>

typedef struct _LS_CTX {
    BOOLEAN Long;
    ULONG Entries;
} LS_CTX;

static VOID LsPrintEntry(PCUNICODE_STRING Name, PVOID Object, LS_CTX *C)
{
    CHAR N[OB_MAX_NAME_CHARS + 1], T[32], Target[OB_MAX_PATH_CHARS + 1];
    PCUNICODE_STRING Link = ObQuerySymbolicLinkTarget(Object);

    RtlUnicodeToAscii(N, sizeof(N), Name);
    RtlUnicodeToAscii(T, sizeof(T), ObGetObjectTypeName(Object));
    if (!C->Long) {
        ConPrintf("%-25s %s\n", N, T);
    } else {
        if (Link)
            RtlUnicodeToAscii(Target, sizeof(Target), Link);
        /* ls holds one reference on each entry while printing it: not shown. */
        ConPrintf("%-25s %-13s refs=%d handles=%d%s%s\n", N, T, ObGetReferenceCount(Object) - 1,
                  ObGetHandleCount(Object), Link ? " -> " : "", Link ? Target : "");
    }
    C->Entries++;
}

static BOOLEAN LsEntry(PCUNICODE_STRING Name, PVOID Object, PVOID Context)
{
    LsPrintEntry(Name, Object, Context);
    return TRUE;
}

static INT CmdLs(INT Argc, PCHAR *Argv)
{
    static WCHAR Wide[OB_MAX_PATH_CHARS + 2];
    LS_CTX C = { FALSE, 0 };
    PCSTR Path = "\\";
    UNICODE_STRING U;
    PVOID Object;
    NTSTATUS Status;
    SIZE_T n;
    INT i;

    for (i = 1; i < Argc; i++) {
        if (RtlAsciiCompare(Argv[i], "-l", FALSE) == 0)
            C.Long = TRUE;
        else if (Argv[i][0] == '-')
            return ShellErrorF(STATUS_INVALID_PARAMETER, "usage: ls [-l] [path]", "ls %s", Argv[i]);
        else
            Path = Argv[i];
    }
    n = RtlAsciiLength(Path);
    if (n > OB_MAX_PATH_CHARS)
        return ShellErrorF(STATUS_NAME_TOO_LONG, "longer than 1024 characters", "ls");
    for (SIZE_T k = 0; k < n; k++)
        Wide[k] = (WCHAR)(UCHAR)Path[k];
    /* "\Device\" means "\Device". */
    while (n > 1 && Wide[n - 1] == L'\\')
        n--;
    U.Buffer = Wide;
    U.Length = U.MaximumLength = (USHORT)(n * sizeof(WCHAR));

    Status = ObpReferenceObjectByName(&U, OBJ_CASE_INSENSITIVE, NULL, &Object);
    if (!NT_SUCCESS(Status))
        return ShellErrorF(Status, Status == STATUS_OBJECT_PATH_SYNTAX_BAD ? "paths start with \\"
                           : "no such object", "ls %s", Path);
    ObEnumerateDirectory(Object, LsEntry, &C);
    /* A leaf (a device, a link target) lists itself, as ls does a file. */
    if (C.Entries == 0 && ObGetObjectType(Object) != ObDirectoryObjectType &&
        ObGetObjectName(Object)->Length)
        LsPrintEntry(ObGetObjectName(Object), Object, &C);
    ObDereferenceObject(Object);
    ConPrintf("ls path=%s entries=%u\n", Path, C.Entries);
    return 0;
}
SHELL_COMMAND(ls, CmdLs, "ls [-l] [path]", "list the object namespace (default \\)");
