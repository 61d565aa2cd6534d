/* test_cfg_parse.c - host unit tests of the system.cfg parser
 * (kernel/cfg/cfg_parse.c): a good file, every kind of malformed line with
 * its line number, CRLF, comments, quoting, numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cfg.h>
#include "host_support.h"

/* Everything the parser reported, as text lines:
 *   "S <line> <path>", "V <line> <name> <type> <text|number>", "E <line> <message>" */
typedef struct {
    char Log[64][160];
    int N;
    int Errors;
    int FailSectionAtLine;
} REC;

static void Add(REC *r, const char *s)
{
    if (r->N < 64)
        snprintf(r->Log[r->N++], sizeof(r->Log[0]), "%s", s);
}

static NTSTATUS OnSection(PVOID c, ULONG Line, const CHAR *Path, SIZE_T Len)
{
    REC *r = c;
    char b[160];
    snprintf(b, sizeof(b), "S %u %.*s", Line, (int)Len, (const char *)Path);
    Add(r, b);
    return (int)Line == r->FailSectionAtLine ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
}

static NTSTATUS OnValue(PVOID c, ULONG Line, const CHAR *Name, SIZE_T Len, const CFG_VALUE *V)
{
    char b[160];
    if (V->Type == REG_SZ)
        snprintf(b, sizeof(b), "V %u %.*s SZ [%.*s]", Line, (int)Len, (const char *)Name,
                 (int)V->TextLength, (const char *)V->Text);
    else
        snprintf(b, sizeof(b), "V %u %.*s %s %llu", Line, (int)Len, (const char *)Name,
                 V->Type == REG_DWORD ? "DWORD" : "QWORD", (unsigned long long)V->Number);
    Add(c, b);
    return STATUS_SUCCESS;
}

static VOID OnError(PVOID c, ULONG Line, PCSTR Msg)
{
    REC *r = c;
    char b[160];
    snprintf(b, sizeof(b), "E %u %s", Line, Msg);
    r->Errors++;
    Add(r, b);
}

static const CFG_PARSE_CALLBACKS Cb = { OnSection, OnValue, OnError };

static ULONG Parse(REC *r, const char *text, size_t len)
{
    memset(r, 0, sizeof(*r));
    return CfgParse(text, len, &Cb, r);
}

#define PARSE_STR(r, s) Parse(r, s, sizeof(s) - 1)

static void expect(REC *r, int i, const char *want)
{
    assert_true(i < r->N);
    assert_string_equal(r->Log[i], want);
}

static void test_good_file(void **state)
{
    static const char text[] =
        "; ntstor system configuration\n"
        "\n"
        "[Services\\ahci]\n"
        "ImagePath = \\ntstor\\drivers\\ahci.sys\n"
        "Start     = Boot              ; Boot | System | Demand | Disabled\n"
        "Match     = PCI\\CC_010601     # hardware ID\n"
        "\n"
        "[Services\\ahci\\Parameters]\n"
        "InterruptMode = Msi\n"
        "Ncq           = 1\n"
        "Mask = 0xFFFFFFFF\n"
        "Big = 0x100000000\n"
        "Huge = 18446744073709551615\n"
        "TooHuge = 18446744073709551616\n"
        "Empty =\n"
        "  Indented\t=\tvalue with spaces  \n"
        "Model = \"WD Blue; 1TB # x\"   ; comment after quotes\n"
        "Quoted0 = \"007\"\n"
        "Dec0 = 007\n"
        "HexBad = 0xZZ\n"
        "Neg = -1\n"
        "[ Services\\disk ]\n"
        "Eq = a=b\n";
    REC r;
    assert_int_equal(PARSE_STR(&r, text), 0);
    int i = 0;
    expect(&r, i++, "S 3 Services\\ahci");
    expect(&r, i++, "V 4 ImagePath SZ [\\ntstor\\drivers\\ahci.sys]");
    expect(&r, i++, "V 5 Start SZ [Boot]");
    expect(&r, i++, "V 6 Match SZ [PCI\\CC_010601]");
    expect(&r, i++, "S 8 Services\\ahci\\Parameters");
    expect(&r, i++, "V 9 InterruptMode SZ [Msi]");
    expect(&r, i++, "V 10 Ncq DWORD 1");
    expect(&r, i++, "V 11 Mask DWORD 4294967295");
    expect(&r, i++, "V 12 Big QWORD 4294967296");
    expect(&r, i++, "V 13 Huge QWORD 18446744073709551615");
    expect(&r, i++, "V 14 TooHuge SZ [18446744073709551616]");
    expect(&r, i++, "V 15 Empty SZ []");
    expect(&r, i++, "V 16 Indented SZ [value with spaces]");
    expect(&r, i++, "V 17 Model SZ [WD Blue; 1TB # x]");
    expect(&r, i++, "V 18 Quoted0 SZ [007]");
    expect(&r, i++, "V 19 Dec0 DWORD 7");
    expect(&r, i++, "V 20 HexBad SZ [0xZZ]");
    expect(&r, i++, "V 21 Neg SZ [-1]");
    expect(&r, i++, "S 22 Services\\disk");
    expect(&r, i++, "V 23 Eq SZ [a=b]");
    assert_int_equal(r.N, i);
}

static void test_crlf_and_bom(void **state)
{
    static const char text[] = "\xEF\xBB\xBF[A]\r\nX = 1\r\n\r\nY = \"q\"\r\n;c\r\nZ=2";
    REC r;
    assert_int_equal(PARSE_STR(&r, text), 0);
    expect(&r, 0, "S 1 A");
    expect(&r, 1, "V 2 X DWORD 1");
    expect(&r, 2, "V 4 Y SZ [q]");
    expect(&r, 3, "V 6 Z DWORD 2");     /* last line without terminator */
    assert_int_equal(r.N, 4);
}

static void test_malformed_lines(void **state)
{
    static const char text[] =
        "Early = 1\n"                         /* 1: before any section */
        "[Good]\n"                            /* 2 */
        "NoEquals\n"                          /* 3 */
        " = value\n"                          /* 4: empty name */
        "Q = \"open\n"                        /* 5: unterminated quote */
        "Q2 = \"a\" b\n"                      /* 6: text after quote */
        "Bad\"Name = 1\n"                     /* 7 */
        "Ok = 1\n"                            /* 8: fine */
        "[Unterminated\n"                     /* 9 */
        "Lost = 1\n"                          /* 10: under a bad header */
        "[]\n"                                /* 11: empty section */
        "[A\\\\B]\n"                          /* 12: empty component */
        "[\\Lead]\n"                          /* 13 */
        "[Trail\\]\n"                         /* 14 */
        "[X] junk\n"                          /* 15 */
        "[Fine]\n"                            /* 16 */
        "Ctl = a\x01" "b\n"                   /* 17: control char */
        "Hi = caf\xC3\xA9\n"                  /* 18: non-ASCII */
        "Ok2 = 2 ; caf\xC3\xA9 in a comment is fine\n" /* 19 */
        "Back\\slash = 1\n"                   /* 20 */
        "[Br[ack]\n";                         /* 21 */
    REC r;
    ULONG n = PARSE_STR(&r, text);
    int i = 0;
    expect(&r, i++, "E 1 value before any [section]");
    expect(&r, i++, "S 2 Good");
    expect(&r, i++, "E 3 missing '=' (expected Name = Value or [Section])");
    expect(&r, i++, "E 4 empty value name before '='");
    expect(&r, i++, "E 5 unterminated quoted string");
    expect(&r, i++, "E 6 text after closing quote");
    expect(&r, i++, "E 7 '[', ']', '\"' or '\\' in value name");
    expect(&r, i++, "V 8 Ok DWORD 1");
    expect(&r, i++, "E 9 unterminated section header (missing ']')");
    expect(&r, i++, "E 10 value skipped: section header at line 9 is malformed");
    expect(&r, i++, "E 11 empty section name");
    expect(&r, i++, "E 12 empty key name in section path (leading, trailing or double '\\')");
    expect(&r, i++, "E 13 empty key name in section path (leading, trailing or double '\\')");
    expect(&r, i++, "E 14 empty key name in section path (leading, trailing or double '\\')");
    expect(&r, i++, "E 15 text after ']' in section header");
    expect(&r, i++, "S 16 Fine");
    expect(&r, i++, "E 17 invalid character 0x01 at column 8");
    expect(&r, i++, "E 18 invalid character 0xC3 at column 9");
    expect(&r, i++, "V 19 Ok2 DWORD 2");
    expect(&r, i++, "E 20 '[', ']', '\"' or '\\' in value name");
    expect(&r, i++, "E 21 '[', ']' or '\"' in section name");
    assert_int_equal(r.N, i);
    assert_int_equal(n, 17);
    assert_int_equal(r.Errors, 17);
}

static void test_long_lines_and_names(void **state)
{
    static char text[2048];
    REC r;
    size_t n = 0;
    n += sprintf(text + n, "[S]\n");
    /* exactly 512 bytes: accepted */
    n += sprintf(text + n, "A = ");
    memset(text + n, 'x', 508); n += 508;
    text[n++] = '\n';
    /* 513 bytes: refused (line 3) */
    n += sprintf(text + n, "B = ");
    memset(text + n, 'y', 509); n += 509;
    n += sprintf(text + n, "\r\nC = 3\n");   /* CR not counted */
    assert_int_equal(Parse(&r, text, n), 1);
    assert_true(strncmp(r.Log[1], "V 2 A SZ [xxx", 13) == 0);
    expect(&r, 2, "E 3 line longer than 512 bytes");
    expect(&r, 3, "V 4 C DWORD 3");

    /* An over-long section header must not let its values fall into the
     * previous section. */
    n = 0;
    n += sprintf(text + n, "[S]\n[");
    memset(text + n, 'k', 600); n += 600;
    n += sprintf(text + n, "]\nV = 1\n");
    assert_int_equal(Parse(&r, text, n), 2);
    expect(&r, 1, "E 2 line longer than 512 bytes");
    expect(&r, 2, "E 3 value skipped: section header at line 2 is malformed");

    /* 256-character key name and value name. */
    n = 0;
    text[n++] = '[';
    memset(text + n, 'k', 256); n += 256;
    n += sprintf(text + n, "]\n[Ok]\n");
    memset(text + n, 'v', 256); n += 256;
    n += sprintf(text + n, " = 1\n");
    assert_int_equal(Parse(&r, text, n), 2);
    expect(&r, 0, "E 1 key name longer than 255 characters");
    expect(&r, 2, "E 3 value name longer than 255 characters");
}

static void test_nul_bytes_and_garbage(void **state)
{
    static const char text[] = "[A]\nX = 1\0 2\nY = 2\n\0\0\0\n[B\0]\n";
    REC r;
    ULONG n = Parse(&r, text, sizeof(text) - 1);
    expect(&r, 0, "S 1 A");
    expect(&r, 1, "E 2 invalid character 0x00 at column 6");
    expect(&r, 2, "V 3 Y DWORD 2");
    expect(&r, 3, "E 4 invalid character 0x00 at column 1");
    expect(&r, 4, "E 5 invalid character 0x00 at column 3");
    assert_int_equal(n, 3);
    /* Empty input and NULL are fine. */
    assert_int_equal(Parse(&r, "", 0), 0);
    assert_int_equal(CfgParse(NULL, 10, &Cb, &r), 0);
    /* Lone CR inside a line is a control character. */
    assert_int_equal(PARSE_STR(&r, "[A]\nX = 1\rY = 2\n"), 1);
    expect(&r, 1, "E 2 invalid character 0x0D at column 6");
}

static void test_section_callback_failure(void **state)
{
    static const char text[] = "[A]\nX = 1\n[B]\nY = 2\n";
    REC r;
    memset(&r, 0, sizeof(r));
    r.FailSectionAtLine = 3;
    ULONG n = CfgParse(text, sizeof(text) - 1, &Cb, &r);
    assert_int_equal(n, 2);
    expect(&r, 2, "S 3 B");
    expect(&r, 3, "E 3 cannot create key (status 0xC000009A)");
    expect(&r, 4, "E 4 value skipped: section header at line 3 is malformed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_crlf_and_bom),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_long_lines_and_names),
        cmocka_unit_test(test_nul_bytes_and_garbage),
        cmocka_unit_test(test_section_callback_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
