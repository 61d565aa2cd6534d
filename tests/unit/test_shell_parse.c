/* test_shell_parse.c - the shell's parsers (kernel/shell/parse.c): the
 * tokenizer, key=value lookup, the read/write range check and autorun line
 * splitting, as the README's command lines use them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <ntos.h>
#include <shell.h>
#include "shellp.h"

static void test_tokenize(void **state)
{
    char line[SHELL_LINE_MAX];
    char *argv[SHELL_MAX_ARGS + 1];

    strcpy(line, "  write\t1 100 8   seed=7 ");
    assert_int_equal(ShellTokenize(line, argv, SHELL_MAX_ARGS), 5);
    assert_string_equal(argv[0], "write");
    assert_string_equal(argv[4], "seed=7");
    assert_string_equal(ShellGetKeyArg(5, argv, "SEED"), "7");
    assert_null(ShellGetKeyArg(5, argv, "see"));
    assert_null(ShellGetKeyArg(5, argv, "write"));  /* Argv[0] is the command */

    strcpy(line, "ls \"\\Device\\Harddisk 0\" -l");
    assert_int_equal(ShellTokenize(line, argv, SHELL_MAX_ARGS), 3);
    assert_string_equal(argv[1], "\\Device\\Harddisk 0");
    assert_string_equal(argv[2], "-l");
    strcpy(line, "echo \"open to the end");
    assert_int_equal(ShellTokenize(line, argv, SHELL_MAX_ARGS), 2);
    assert_string_equal(argv[1], "open to the end");

    strcpy(line, "   # read 1 0 1");
    assert_int_equal(ShellTokenize(line, argv, SHELL_MAX_ARGS), 0);
    strcpy(line, " \t ");
    assert_int_equal(ShellTokenize(line, argv, SHELL_MAX_ARGS), 0);
    strcpy(line, "a b c d");
    assert_int_equal(ShellTokenize(line, argv, 3), -1);
    strcpy(line, "a b c");
    assert_int_equal(ShellTokenize(line, argv, 3), 3);
}

static void test_numbers(void **state)
{
    ULONG64 v = 99;

    assert_true(ShellParseU64("0x1F", &v));
    assert_int_equal(v, 31);
    assert_true(ShellParseU64("18446744073709551615", &v));
    assert_true(v == ~0ull);
    v = 99;
    assert_false(ShellParseU64("18446744073709551616", &v));
    assert_false(ShellParseU64("0x", &v));
    assert_false(ShellParseU64("-1", &v));
    assert_false(ShellParseU64("12a", &v));
    assert_false(ShellParseU64("", &v));
    assert_int_equal(v, 99);
}

static void test_range(void **state)
{
    assert_null(ShellRangeWhy(2097144, 8, 2097152));
    assert_string_equal(ShellRangeWhy(2097145, 8, 2097152), "beyond end of disk");
    assert_string_equal(ShellRangeWhy(~0ull, 2, 2097152), "beyond end of disk");
    assert_string_equal(ShellRangeWhy(0, 0, 2097152), "zero count");
    assert_string_equal(ShellRangeWhy(0, 0x100000000ull, ~0ull), "count above 4294967295");
    /* A disk claiming more than 2^48 sectors is still addressed below it. */
    assert_null(ShellRangeWhy((1ull << 48) - 1, 1, ~0ull));
    assert_string_equal(ShellRangeWhy(1ull << 48, 1, ~0ull), "beyond end of disk");
}

static void test_script_lines(void **state)
{
    static const char text[] = "read 1 0 1\r\n\n   \r\n# c\nflush 1   ";
    char big[SHELL_LINE_MAX + 16], line[SHELL_LINE_MAX];
    SIZE_T off = 0;
    ULONG no = 0;

    assert_int_equal(ShellScriptNextLine(text, sizeof(text) - 1, &off, &no, line), ShellScriptLine);
    assert_string_equal(line, "read 1 0 1");
    assert_int_equal(no, 1);
    assert_int_equal(ShellScriptNextLine(text, sizeof(text) - 1, &off, &no, line), ShellScriptLine);
    assert_string_equal(line, "# c");               /* comments are the tokenizer's */
    assert_int_equal(no, 4);
    assert_int_equal(ShellScriptNextLine(text, sizeof(text) - 1, &off, &no, line), ShellScriptLine);
    assert_string_equal(line, "flush 1");
    assert_int_equal(ShellScriptNextLine(text, sizeof(text) - 1, &off, &no, line), ShellScriptEnd);
    assert_int_equal(off, sizeof(text) - 1);

    memset(big, 'x', sizeof(big));
    big[SHELL_LINE_MAX] = '\n';
    memcpy(big + SHELL_LINE_MAX + 1, "echo", 4);
    off = no = 0;
    assert_int_equal(ShellScriptNextLine(big, SHELL_LINE_MAX + 5, &off, &no, line),
                     ShellScriptTooLong);
    assert_int_equal(no, 1);
    assert_int_equal(ShellScriptNextLine(big, SHELL_LINE_MAX + 5, &off, &no, line), ShellScriptLine);
    assert_string_equal(line, "echo");
    /* The longest line that fits. */
    big[SHELL_LINE_MAX - 1] = '\n';
    off = no = 0;
    assert_int_equal(ShellScriptNextLine(big, SHELL_LINE_MAX, &off, &no, line), ShellScriptLine);
    assert_int_equal(strlen(line), SHELL_LINE_MAX - 1);

    /* A control byte (a NUL too) or one from 0x80 up: refused, skipped;
     * a tab is a blank. */
    static const char odd[] = "echo \x07" "bell\ncaf\xc3\xa9\nx\0y\necho\tok\n";
    off = no = 0;
    assert_int_equal(ShellScriptNextLine(odd, sizeof(odd) - 1, &off, &no, line), ShellScriptNotAscii);
    assert_int_equal(ShellScriptNextLine(odd, sizeof(odd) - 1, &off, &no, line), ShellScriptNotAscii);
    assert_int_equal(ShellScriptNextLine(odd, sizeof(odd) - 1, &off, &no, line), ShellScriptNotAscii);
    assert_int_equal(no, 3);
    assert_int_equal(ShellScriptNextLine(odd, sizeof(odd) - 1, &off, &no, line), ShellScriptLine);
    assert_string_equal(line, "echo\tok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_script_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
