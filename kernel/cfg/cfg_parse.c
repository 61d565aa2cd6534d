/* cfg_parse.c - the system.cfg parser: bytes in, callbacks out.  Pure (no
 * pool, no globals), so it is unit-tested and fuzzed on the host (with
 * kernel/rtl/format.c for its messages).
 *
 * Grammar (DESIGN.md "Configuration: system.cfg"), one item per line:
 *   line    := ws* (section | value)? ws* comment?   ; LF or CRLF ends it
 *   section := '[' ws* keypath ws* ']'                keypath := name ('\' name)*
 *   value   := valname ws* '=' ws* (quoted | text)?
 *   comment := (';' | '#') anything                  (not inside "...")
 * A UTF-8 byte order mark at the very start is skipped.
 *
 * Malformed lines, each reported with its 1-based line number and skipped:
 *   longer than CFG_MAX_LINE_BYTES; a control byte (other than TAB and the
 *   CR of CRLF), a NUL or a non-ASCII byte outside a comment; '[' without
 *   ']'; text after ']'; an empty section or an empty key name in it ("a\\b",
 *   leading '\'); '[' ']' '"' in a key path; a key name or value name longer
 *   than 255 characters; no '='; an empty value name; '[' ']' '"' '\' in a
 *   value name; an unterminated quoted string; text after a closing quote;
 *   a value before any section; a value under a malformed section header
 *   (named in the message, so a broken header is not silently dropping
 *   everything below it). */
#include <cfg.h>

#define CFG_MAX_NAME_CHARS 255

/* Room for the longest message built with RtlStringCbPrintfA below. */
#define CFG_MSG_BYTES 96

/* ---- parser state ---- */
typedef struct _CFG_PARSER {
    const CFG_PARSE_CALLBACKS *Cb;
    PVOID Context;
    ULONG Errors;
    BOOLEAN HaveSection;        /* a header was seen */
    BOOLEAN SectionValid;       /* ...and it was accepted */
    ULONG SectionLine;
} CFG_PARSER;

static VOID Report(CFG_PARSER *P, ULONG Line, PCSTR Message)
{
    P->Errors++;
    if (P->Cb->Error)
        P->Cb->Error(P->Context, Line, Message);
}

static inline BOOLEAN IsBlank(CHAR c)
{
    return c == ' ' || c == '\t';
}

static VOID Trim(const CHAR **Start, SIZE_T *Len)
{
    while (*Len && IsBlank(**Start)) {
        (*Start)++;
        (*Len)--;
    }
    while (*Len && IsBlank((*Start)[*Len - 1]))
        (*Len)--;
}

static BOOLEAN HasAny(const CHAR *s, SIZE_T n, PCSTR Set)
{
    for (SIZE_T i = 0; i < n; i++)
        for (PCSTR c = Set; *c; c++)
            if (s[i] == *c)
                return TRUE;
    return FALSE;
}

static VOID ParseSection(CFG_PARSER *P, ULONG Line, const CHAR *s, SIZE_T n)
{
    SIZE_T Close, i, Start;
    const CHAR *Path;
    SIZE_T PathLen;
    CHAR M[CFG_MSG_BYTES];

    P->HaveSection = TRUE;
    P->SectionValid = FALSE;
    P->SectionLine = Line;
    for (Close = 1; Close < n && s[Close] != ']'; Close++)
        ;
    if (Close == n) {
        Report(P, Line, "unterminated section header (missing ']')");
        return;
    }
    for (i = Close + 1; i < n; i++)
        if (!IsBlank(s[i])) {
            Report(P, Line, "text after ']' in section header");
            return;
        }
    Path = s + 1;
    PathLen = Close - 1;
    Trim(&Path, &PathLen);
    if (PathLen == 0) {
        Report(P, Line, "empty section name");
        return;
    }
    if (HasAny(Path, PathLen, "[]\"")) {
        Report(P, Line, "'[', ']' or '\"' in section name");
        return;
    }
    for (i = 0, Start = 0; i <= PathLen; i++) {
        if (i == PathLen || Path[i] == '\\') {
            if (i == Start) {
                Report(P, Line, "empty key name in section path (leading, trailing or double '\\')");
                return;
            }
            if (i - Start > CFG_MAX_NAME_CHARS) {
                Report(P, Line, "key name longer than 255 characters");
                return;
            }
            Start = i + 1;
        }
    }
    if (P->Cb->Section) {
        NTSTATUS Status = P->Cb->Section(P->Context, Line, Path, PathLen);
        if (!NT_SUCCESS(Status)) {
            RtlStringCbPrintfA(M, sizeof(M), "cannot create key (status 0x%08X)", (ULONG)Status);
            Report(P, Line, M);
            return;
        }
    }
    P->SectionValid = TRUE;
}

/* Decimal or 0x-hex, the whole text; FALSE if not a number or > 64 bits. */
static BOOLEAN ParseNumber(const CHAR *s, SIZE_T n, ULONG64 *Value)
{
    ULONG64 v = 0;
    SIZE_T i;

    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (n - 2 > 16)
            return FALSE;
        for (i = 2; i < n; i++) {
            CHAR c = s[i];
            ULONG d;
            if (c >= '0' && c <= '9') d = (ULONG)(c - '0');
            else if (c >= 'a' && c <= 'f') d = (ULONG)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = (ULONG)(c - 'A' + 10);
            else return FALSE;
            v = (v << 4) | d;
        }
        *Value = v;
        return TRUE;
    }
    if (n == 0)
        return FALSE;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FALSE;
        ULONG d = (ULONG)(s[i] - '0');
        if (v > (~0ULL - d) / 10)
            return FALSE;           /* too large: stays a string */
        v = v * 10 + d;
    }
    *Value = v;
    return TRUE;
}

static VOID ParseValue(CFG_PARSER *P, ULONG Line, const CHAR *s, SIZE_T n)
{
    SIZE_T Eq, i;
    const CHAR *Name, *Text;
    SIZE_T NameLen, TextLen;
    CFG_VALUE V = { .Type = REG_SZ };
    CHAR M[CFG_MSG_BYTES];

    for (Eq = 0; Eq < n && s[Eq] != '='; Eq++)
        ;
    if (Eq == n) {
        Report(P, Line, "missing '=' (expected Name = Value or [Section])");
        return;
    }
    Name = s;
    NameLen = Eq;
    Trim(&Name, &NameLen);
    if (NameLen == 0) {
        Report(P, Line, "empty value name before '='");
        return;
    }
    if (NameLen > CFG_MAX_NAME_CHARS) {
        Report(P, Line, "value name longer than 255 characters");
        return;
    }
    if (HasAny(Name, NameLen, "[]\"\\")) {
        Report(P, Line, "'[', ']', '\"' or '\\' in value name");
        return;
    }
    Text = s + Eq + 1;
    TextLen = n - Eq - 1;
    Trim(&Text, &TextLen);
    if (TextLen && Text[0] == '"') {
        for (i = 1; i < TextLen && Text[i] != '"'; i++)
            ;
        if (i == TextLen) {
            Report(P, Line, "unterminated quoted string");
            return;
        }
        if (i + 1 != TextLen) {
            Report(P, Line, "text after closing quote");
            return;
        }
        Text++;
        TextLen = i - 1;
    } else if (ParseNumber(Text, TextLen, &V.Number)) {
        V.Type = V.Number > 0xFFFFFFFFull ? REG_QWORD : REG_DWORD;
    }
    V.Text = Text;
    V.TextLength = TextLen;

    if (!P->HaveSection) {
        Report(P, Line, "value before any [section]");
        return;
    }
    if (!P->SectionValid) {
        RtlStringCbPrintfA(M, sizeof(M), "value skipped: section header at line %u is malformed",
                           P->SectionLine);
        Report(P, Line, M);
        return;
    }
    if (P->Cb->Value) {
        NTSTATUS Status = P->Cb->Value(P->Context, Line, Name, NameLen, &V);
        if (!NT_SUCCESS(Status)) {
            RtlStringCbPrintfA(M, sizeof(M), "cannot store value (status 0x%08X)", (ULONG)Status);
            Report(P, Line, M);
        }
    }
}

static VOID ParseLine(CFG_PARSER *P, ULONG Line, const CHAR *s, SIZE_T n)
{
    SIZE_T i, End = n;
    BOOLEAN Quoted = FALSE;

    /* The comment starts at the first ';' or '#' outside double quotes. */
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            Quoted = !Quoted;
        else if (!Quoted && (s[i] == ';' || s[i] == '#')) {
            End = i;
            break;
        }
    }
    for (i = 0; i < End; i++) {
        UCHAR c = (UCHAR)s[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7F) {
            CHAR M[CFG_MSG_BYTES];
            RtlStringCbPrintfA(M, sizeof(M), "invalid character 0x%02X at column %zu", c, i + 1);
            Report(P, Line, M);
            return;
        }
    }
    Trim(&s, &End);
    if (End == 0)
        return;
    if (s[0] == '[')
        ParseSection(P, Line, s, End);
    else
        ParseValue(P, Line, s, End);
}

ULONG CfgParse(const CHAR *Text, SIZE_T Length, const CFG_PARSE_CALLBACKS *Callbacks, PVOID Context)
{
    CFG_PARSER P = { .Cb = Callbacks, .Context = Context };
    SIZE_T Pos = 0;
    ULONG Line = 0;

    if (!Text || !Callbacks)
        return 0;
    if (Length >= 3 && (UCHAR)Text[0] == 0xEF && (UCHAR)Text[1] == 0xBB && (UCHAR)Text[2] == 0xBF)
        Pos = 3;
    while (Pos < Length) {
        SIZE_T Start = Pos, End;

        while (Pos < Length && Text[Pos] != '\n')
            Pos++;
        End = Pos;
        if (Pos < Length)
            Pos++;              /* the LF */
        if (End > Start && Text[End - 1] == '\r')
            End--;              /* CRLF */
        Line++;
        if (End - Start > CFG_MAX_LINE_BYTES) {
            CHAR M[CFG_MSG_BYTES];
            RtlStringCbPrintfA(M, sizeof(M), "line longer than %u bytes", CFG_MAX_LINE_BYTES);
            Report(&P, Line, M);
            /* A header lost this way must not let its values land in the
             * previous section. */
            SIZE_T k = Start;
            while (k < End && IsBlank(Text[k]))
                k++;
            if (k < End && Text[k] == '[') {
                P.HaveSection = TRUE;
                P.SectionValid = FALSE;
                P.SectionLine = Line;
            }
            continue;
        }
        ParseLine(&P, Line, Text + Start, End - Start);
    }
    return P.Errors;
}
