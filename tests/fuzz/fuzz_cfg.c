/* fuzz_cfg.c - libFuzzer target over the system.cfg parser
 * (kernel/cfg/cfg_parse.c) on arbitrary bytes.  Besides ASan/UBSan, the
 * callbacks check what the tree builder relies on: every string handed out
 * lies inside the input, is 7-bit printable, names are non-empty and within
 * the limits, numbers fit their type, line numbers only grow and every
 * error is counted.  Seeds: tests/fuzz/corpus/cfg/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cfg.h>

typedef struct {
    const uint8_t *Data;
    size_t Size;
    ULONG LastLine, MaxLine, Errors;
} FUZZ_CTX;

static void Check(int ok)
{
    if (!ok)
        abort();
}

static void CheckText(FUZZ_CTX *c, const CHAR *s, SIZE_T n, int AllowBackslash)
{
    Check((const uint8_t *)s >= c->Data && (const uint8_t *)s + n <= c->Data + c->Size);
    for (SIZE_T i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        Check((ch >= 0x20 && ch < 0x7F) || ch == '\t');
        if (!AllowBackslash)
            Check(ch != '\\');
    }
}

static void CheckLine(FUZZ_CTX *c, ULONG Line)
{
    Check(Line >= 1 && Line <= c->MaxLine && Line >= c->LastLine);
    c->LastLine = Line;
}

static NTSTATUS OnSection(PVOID Context, ULONG Line, const CHAR *Path, SIZE_T Len)
{
    FUZZ_CTX *c = Context;
    CheckLine(c, Line);
    Check(Len > 0 && Len <= CFG_MAX_LINE_BYTES);
    CheckText(c, Path, Len, 1);
    Check(Path[0] != '\\' && Path[Len - 1] != '\\' && Path[0] != ' ' && Path[Len - 1] != ' ');
    for (SIZE_T i = 0; i + 1 < Len; i++)
        Check(!(Path[i] == '\\' && Path[i + 1] == '\\'));
    /* Fail some sections so that path is exercised too. */
    return (Line % 7 == 3) ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
}

static NTSTATUS OnValue(PVOID Context, ULONG Line, const CHAR *Name, SIZE_T Len, const CFG_VALUE *V)
{
    FUZZ_CTX *c = Context;
    CheckLine(c, Line);
    Check(Len > 0 && Len <= 255);
    CheckText(c, Name, Len, 0);
    CheckText(c, V->Text, V->TextLength, 1);
    Check(V->Type == REG_SZ || V->Type == REG_DWORD || V->Type == REG_QWORD);
    if (V->Type == REG_DWORD)
        Check(V->Number <= 0xFFFFFFFFull);
    if (V->Type == REG_QWORD)
        Check(V->Number > 0xFFFFFFFFull);
    return STATUS_SUCCESS;
}

static VOID OnError(PVOID Context, ULONG Line, PCSTR Message)
{
    FUZZ_CTX *c = Context;
    CheckLine(c, Line);
    Check(Message && Message[0] && strlen(Message) < 96);
    c->Errors++;
}

static const CFG_PARSE_CALLBACKS Callbacks = { OnSection, OnValue, OnError };

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);
int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    FUZZ_CTX c = { .Data = Data, .Size = Size, .MaxLine = 1 };
    for (size_t i = 0; i < Size; i++)
        if (Data[i] == '\n')
            c.MaxLine++;
    ULONG n = CfgParse((const CHAR *)Data, Size, &Callbacks, &c);
    Check(n == c.Errors);
    return 0;
}
