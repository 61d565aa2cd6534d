/* fuzz_shell.c - the shell's parsers of typed and autorun input
 * (kernel/shell/parse.c, kernel/rtl/ascii.c) on arbitrary bytes.
 *
 * The whole input is an autorun file: every line ShellScriptNextLine hands
 * out must be the input's line without CR and trailing spaces, and fit the
 * shell's line.  Each such line is tokenized; the arguments must lie inside
 * the line in order, hold no blank unless quoted, and match a plain split
 * when the line has no quote.  Every argument goes through ShellParseU64
 * (checked against strtoull on the decimal/0x-hex grammar) and, when it is
 * key=value, ShellGetKeyArg (checked against a plain search).  The first
 * 24 bytes, as three numbers, go through ShellRangeWhy, checked with
 * 128-bit arithmetic. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ntos.h>
#include <shell.h>
#include "shellp.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

static void Check(int ok)
{
    if (!ok)
        abort();
}

/* The number grammar: decimal digits, or 0x/0X and hex digits; no sign,
 * no blanks, at most 2^64-1. */
static void CheckNumber(const char *t)
{
    ULONG64 v = 12345, want;
    BOOLEAN ok = ShellParseU64(t, &v);
    size_t n = strlen(t);
    int hex = n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    int good = n > 0 && strspn(t + (hex ? 2 : 0), hex ? "0123456789abcdefABCDEF" : "0123456789") ==
                            n - (hex ? 2 : 0);
    if (good) {
        errno = 0;
        want = strtoull(t + (hex ? 2 : 0), NULL, hex ? 16 : 10);
        if (errno == ERANGE)
            good = 0;
    }
    Check(ok == (good != 0));
    if (ok)
        Check(v == want);
    else
        Check(v == 12345);              /* left alone on failure */
}

static void CheckKey(int argc, char **argv, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char key[SHELL_LINE_MAX];
    const char *want = NULL;

    if (!eq)
        return;
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = 0;
    for (int i = 1; i < argc && !want; i++)
        if (strlen(argv[i]) > strlen(key) && !strncasecmp(argv[i], key, strlen(key)) &&
            argv[i][strlen(key)] == '=')
            want = argv[i] + strlen(key) + 1;
    Check(ShellGetKeyArg(argc, argv, key) == want);
}

static void CheckLine(const char *text)
{
    char line[SHELL_LINE_MAX], plain[SHELL_LINE_MAX];
    char *argv[SHELL_MAX_ARGS + 1];
    size_t n = strlen(text);
    const char *p = text + strspn(text, " \t");

    memcpy(line, text, n + 1);
    int argc = ShellTokenize(line, argv, SHELL_MAX_ARGS);
    Check(argc >= -1 && argc <= SHELL_MAX_ARGS);
    if (*p == '#' || *p == 0)
        Check(argc == 0);
    if (argc <= 0)
        return;
    for (int i = 0; i < argc; i++) {
        Check(argv[i] >= line && argv[i] + strlen(argv[i]) <= line + n);
        if (i)
            Check(argv[i] > argv[i - 1] + strlen(argv[i - 1]));
        /* Outside quotes a blank ends an argument. */
        if (argv[i] == line || text[argv[i] - line - 1] != '"')
            Check(!strpbrk(argv[i], " \t"));
    }
    if (!strchr(text, '"')) {
        int m = 0;
        memcpy(plain, text, n + 1);
        for (char *t = strtok(plain, " \t"); t; t = strtok(NULL, " \t"), m++)
            Check(m < argc && !strcmp(t, argv[m]));
        Check(m == argc);
    }
    for (int i = 0; i < argc; i++) {
        CheckNumber(argv[i]);
        CheckKey(argc, argv, argv[i]);
    }
}

static void CheckRange(const uint8_t *Data)
{
    ULONG64 v[3];
    memcpy(v, Data, sizeof(v));
    /* Small sector counts and lba/count near them are the interesting cases. */
    ULONG64 lba = v[0], count = v[1] >> (v[1] & 63), sectors = v[2] >> (v[2] & 63);
    PCSTR why = ShellRangeWhy(lba, count, sectors);
    unsigned __int128 end = (unsigned __int128)lba + count;
    int fits = count > 0 && count <= 0xFFFFFFFFull && end <= sectors && end <= (1ull << 48);
    Check((why == NULL) == fits);
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    char line[SHELL_LINE_MAX];
    SIZE_T offset = 0, prev = 0;
    ULONG lineNo = 0, prevNo = 0;
    SHELL_SCRIPT_LINE kind;

    if (Size >= 24)
        CheckRange(Data);

    /* Exactly Size bytes, so ASan sees a read past the file. */
    char *text = malloc(Size ? Size : 1);
    memcpy(text, Data, Size);
    while ((kind = ShellScriptNextLine(text, Size, &offset, &lineNo, line)) != ShellScriptEnd) {
        Check(offset > prev && offset <= Size && lineNo > prevNo);
        /* The line ends at the LF before the new offset, or at the end. */
        size_t lineEnd = text[offset - 1] == '\n' ? offset - 1 : Size;
        Check(lineEnd == offset - 1 || offset == Size);
        size_t start = lineEnd, n;
        while (start > prev && text[start - 1] != '\n')
            start--;
        /* Only blank lines were skipped before this one. */
        for (size_t k = prev; k < start; k++)
            Check(text[k] == ' ' || text[k] == '\r' || text[k] == '\n');
        n = lineEnd - start;
        while (n && (text[start + n - 1] == ' ' || text[start + n - 1] == '\r'))
            n--;
        Check(n > 0);
        if (kind == ShellScriptLine) {
            /* The line is the input's, without CR and trailing blanks, and
             * holds only printable ASCII and tabs. */
            Check(n < SHELL_LINE_MAX && !memcmp(line, text + start, n) && line[n] == 0);
            Check(ShellLineIsAscii(text + start, n));
            CheckLine(line);
        } else if (kind == ShellScriptNotAscii) {
            Check(n < SHELL_LINE_MAX && !ShellLineIsAscii(text + start, n));
        } else {
            Check(kind == ShellScriptTooLong && n >= SHELL_LINE_MAX);
        }
        prev = offset;
        prevNo = lineNo;
    }
    /* Whatever followed the last line was blank. */
    for (size_t k = prev; k < Size; k++)
        Check(text[k] == ' ' || text[k] == '\r' || text[k] == '\n');
    Check(offset == Size);
    free(text);
    return 0;
}
