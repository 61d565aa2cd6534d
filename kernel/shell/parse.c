/* parse.c - the shell's parsers of outside input, kept free of consoles,
 * devices and pool so the host fuzzes them (tests/fuzz/fuzz_shell.c): the
 * command-line tokenizer, numbers and key=value arguments, the range check
 * of read/write/verify/trim, and the autorun file's line splitting. */
#include <ntos.h>
#include <shell.h>
#include "shellp.h"

/* Splits Line in place.  Double quotes group words ("a b" is one argument);
 * an unterminated quote runs to the end of the line.  A '#' as the first
 * non-blank character makes the line a comment (autorun files use it). */
INT ShellTokenize(PCHAR Line, PCHAR *Argv, INT Max)
{
    INT argc = 0;
    PCHAR p = Line;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '#')
        return 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (argc == Max)
            return -1;
        if (*p == '"') {
            Argv[argc++] = ++p;
            while (*p && *p != '"')
                p++;
        } else {
            Argv[argc++] = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
        }
        if (*p)
            *p++ = 0;
    }
    return argc;
}

BOOLEAN ShellParseU64(PCSTR Text, ULONG64 *Value)
{
    return RtlAsciiToU64(Text, Value);
}

PCSTR ShellGetKeyArg(INT Argc, PCHAR *Argv, PCSTR Key)
{
    SIZE_T n = RtlAsciiLength(Key);
    for (INT i = 1; i < Argc; i++)
        if (RtlAsciiCompareN(Argv[i], Key, n, TRUE) == 0 && Argv[i][n] == '=')
            return Argv[i] + n + 1;
    return NULL;
}

PCSTR ShellRangeWhy(ULONG64 Lba, ULONG64 Count, ULONG64 Sectors)
{
    if (Count == 0)
        return "zero count";
    /* LBA 2^48 is the ATA limit and keeps every byte offset far inside a
     * LONGLONG, whatever sector count a disk reports. */
    if (Count > 0xFFFFFFFFull)
        return "count above 4294967295";
    if (Lba >= Sectors || Count > Sectors - Lba || Lba + Count > (1ull << 48))
        return "beyond end of disk";
    return NULL;
}

BOOLEAN ShellLineIsAscii(PCSTR Text, SIZE_T Length)
{
    for (SIZE_T i = 0; i < Length; i++) {
        UCHAR c = (UCHAR)Text[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7F)
            return FALSE;
    }
    return TRUE;
}

SHELL_SCRIPT_LINE ShellScriptNextLine(const CHAR *Text, SIZE_T Size, SIZE_T *Offset,
                                      PULONG LineNo, PCHAR Line)
{
    while (*Offset < Size) {
        SIZE_T start = *Offset, i = start, n;

        while (i < Size && Text[i] != '\n')
            i++;
        n = i - start;
        *Offset = i < Size ? i + 1 : Size;
        ++*LineNo;
        /* CRLF files and trailing blanks read as the bare line. */
        while (n && (Text[start + n - 1] == '\r' || Text[start + n - 1] == ' '))
            n--;
        if (n == 0)
            continue;
        if (n >= SHELL_LINE_MAX)
            return ShellScriptTooLong;
        if (!ShellLineIsAscii(Text + start, n))
            return ShellScriptNotAscii;
        RtlCopyMemory(Line, Text + start, n);
        Line[n] = 0;
        return ShellScriptLine;
    }
    return ShellScriptEnd;
}
