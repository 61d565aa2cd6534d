/* test_rtl.c - the run-time library: formatting, CRC-32, strings, the data
 * pattern.  Reference values come from the standards (CRC-32 check value)
 * and from independent computation (Python's zlib, splitmix64 reference). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <ntos.h>

static char buf[128];

/* %wZ and %ws are NT extensions the compiler's printf checker rejects, so
 * they go through an unchecked wrapper. */
static void fmt_nt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    RtlStringCbVPrintfA(buf, sizeof(buf), f, ap);
    va_end(ap);
}

#define FMT(expect, ...) do {                                   \
        RtlStringCbPrintfA(buf, sizeof(buf), __VA_ARGS__);     \
        assert_string_equal(buf, expect);                      \
    } while (0)

static void test_format_integers(void **state)
{
    FMT("42 -7 0", "%d %d %u", 42, -7, 0u);
    FMT("ff FF 0x00ab", "%x %X 0x%04x", 255, 255, 0xab);
    FMT("18446744073709551615", "%llu", ~0ULL);
    FMT("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
    FMT("[   5][5   ][00005]", "[%4d][%-4d][%05d]", 5, 5, 5);
    FMT("-0042", "%05d", -42);
    FMT("0000000000000000000000000000000000000042", "%040d", 42);     /* wider than any buffer */
    FMT("[   -5][  +7][0x00000000000000ff]", "[%5d][%+4d][0x%016llx]", -5, 7, 255ULL);
    FMT("0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
    FMT("1.000234", "%llu.%06llu", 1ULL, 234ULL);
    FMT("17 zu", "%zu zu", (size_t)17);
}

static void test_format_strings(void **state)
{
    FMT("[ab  ][  ab][a]", "[%-4s][%4s][%.1s]", "ab", "ab", "ab");
    const char *null_string = NULL;
    fmt_nt("%s", null_string);
    assert_string_equal(buf, "(null)");
    UNICODE_STRING u = RTL_CONSTANT_STRING(u"\\Device\\X");
    fmt_nt("%wZ", &u);
    assert_string_equal(buf, "\\Device\\X");
    fmt_nt("%ws", u"wide");
    assert_string_equal(buf, "wide");
    FMT("100%", "100%%");
}

static void test_format_truncates_and_terminates(void **state)
{
    char small[6];
    assert_int_equal(RtlStringCbPrintfA(small, sizeof(small), "%s", "abcdefgh"), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(small, "abcde");
    assert_int_equal(RtlStringCbPrintfA(small, sizeof(small), "%d", 12345), STATUS_SUCCESS);
    assert_int_equal(RtlStringCbPrintfA(small, 0, "x"), STATUS_INVALID_PARAMETER);
}

/* Device text: the partition name of issue 7 cannot start a line of its
 * own, clear the screen or close its quotes; every byte has one form. */
static void test_escape_device_text(void **state)
{
    static const char forged[] = "x\"\r\nparts disk=1 problems=0\x1b[2J";
    char out[RTL_ESCAPED_SIZE(64)];

    assert_int_equal(RtlEscapeDeviceText(out, sizeof(out), forged, sizeof(forged)), STATUS_SUCCESS);
    assert_string_equal(out, "x\\\"\\x0d\\x0aparts disk=1 problems=0\\x1b[2J");
    assert_int_equal(RtlEscapeDeviceText(out, sizeof(out), "a\\b\x7f\x80\xff", 64), STATUS_SUCCESS);
    assert_string_equal(out, "a\\\\b\\x7f\\x80\\xff");
    /* Length bounds the source; a NUL ends it. */
    assert_int_equal(RtlEscapeDeviceText(out, sizeof(out), "QEMU HARDDISK", 4), STATUS_SUCCESS);
    assert_string_equal(out, "QEMU");
    assert_int_equal(RtlEscapeDeviceText(out, sizeof(out), "ab\0\x1b", 4), STATUS_SUCCESS);
    assert_string_equal(out, "ab");
    /* Every byte from 1 to 255: printable ones as they are, the rest
     * escaped, and no control byte or '"' left unescaped. */
    char all[256];
    char big[RTL_ESCAPED_SIZE(256)];
    for (int i = 0; i < 255; i++)
        all[i] = (char)(i + 1);
    all[255] = 0;
    assert_int_equal(RtlEscapeDeviceText(big, sizeof(big), all, 255), STATUS_SUCCESS);
    for (const char *p = big; *p; p++) {
        assert_true(*p >= 0x20 && *p < 0x7F);
        if (*p == '\\') {
            p++;
            assert_true(*p == '\\' || *p == '"' || *p == 'x');
        } else {
            assert_true(*p != '"');
        }
    }
}

static void test_escape_device_text_wide(void **state)
{
    static const WCHAR name[] = u"x\"\r\n\x1b[2J caf\u00e9 \U0001F600";
    char out[RTL_ESCAPED_SIZE(36)];

    assert_int_equal(RtlEscapeDeviceTextW(out, sizeof(out), name, 36), STATUS_SUCCESS);
    assert_string_equal(out, "x\\\"\\x0d\\x0a\\x1b[2J caf\\u00e9 \\ud83d\\ude00");
    static const WCHAR padded[36] = u"data";
    assert_int_equal(RtlEscapeDeviceTextW(out, sizeof(out), padded, 36), STATUS_SUCCESS);
    assert_string_equal(out, "data");
}

/* Cut short, the result never ends in part of an escape: a lone '\' would
 * escape the closing quote the caller prints after it. */
static void test_escape_truncates_whole_sequences(void **state)
{
    char small[6];
    assert_int_equal(RtlEscapeDeviceText(small, sizeof(small), "ab\x1b" "cd", 5), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(small, "ab");
    assert_int_equal(RtlEscapeDeviceText(small, sizeof(small), "abcd\"", 5), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(small, "abcd");
    assert_int_equal(RtlEscapeDeviceText(small, sizeof(small), "abcde", 5), STATUS_SUCCESS);
    assert_string_equal(small, "abcde");
    assert_int_equal(RtlEscapeDeviceText(small, 0, "x", 1), STATUS_INVALID_PARAMETER);
}

static void test_crc32_matches_zlib(void **state)
{
    /* The CRC-32 check value (ISO 3309 / zlib): crc32(b"123456789"). */
    assert_int_equal(RtlComputeCrc32(0, "123456789", 9), 0xCBF43926);
    assert_int_equal(RtlComputeCrc32(0, "", 0), 0);
    /* Incremental use equals one pass, at every split and alignment. */
    unsigned char data[1000];
    for (int i = 0; i < 1000; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    ULONG whole = RtlComputeCrc32(0, data, sizeof(data));
    for (int split = 0; split < 1000; split += 37) {
        ULONG c = RtlComputeCrc32(0, data, split);
        assert_int_equal(RtlComputeCrc32(c, data + split, 1000 - split), whole);
    }
    /* zlib.crc32(bytes((i*7+3) & 255 for i in range(1000))) */
    assert_int_equal(whole, 0x17BC2A46);
}

static void test_unicode(void **state)
{
    UNICODE_STRING a = RTL_CONSTANT_STRING(u"\\Device\\Harddisk0");
    UNICODE_STRING b = RTL_CONSTANT_STRING(u"\\DEVICE\\harddisk0");
    UNICODE_STRING p = RTL_CONSTANT_STRING(u"\\device");
    assert_true(RtlEqualUnicodeString(&a, &b, TRUE));
    assert_false(RtlEqualUnicodeString(&a, &b, FALSE));
    assert_true(RtlPrefixUnicodeString(&p, &a, TRUE));
    assert_false(RtlPrefixUnicodeString(&a, &p, TRUE));

    WCHAR store[8];
    UNICODE_STRING d = { 0, sizeof(store), store };
    assert_int_equal(RtlAppendUnicodeToString(&d, u"abc"), STATUS_SUCCESS);
    assert_int_equal(RtlAppendUnicodeToString(&d, u"defghi"), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(d.Length, 6);

    char ascii[4];
    RtlUnicodeToAscii(ascii, sizeof(ascii), &a);
    assert_string_equal(ascii, "\\De");

    UNICODE_STRING n = { 0, sizeof(store), store };
    assert_int_equal(RtlIntegerToUnicodeString(1234, 10, &n), STATUS_SUCCESS);
    UNICODE_STRING e = RTL_CONSTANT_STRING(u"1234");
    assert_true(RtlEqualUnicodeString(&n, &e, FALSE));
}

static void test_ascii_numbers(void **state)
{
    ULONG64 v = 99;
    assert_true(RtlAsciiToU64("0", &v) && v == 0);
    assert_true(RtlAsciiToU64("0x1F", &v) && v == 31);
    assert_true(RtlAsciiToU64("18446744073709551615", &v) && v == ~0ULL);
    v = 99;
    assert_false(RtlAsciiToU64("18446744073709551616", &v));
    assert_false(RtlAsciiToU64("12a", &v));
    assert_false(RtlAsciiToU64("", &v));
    assert_false(RtlAsciiToU64("0x", &v));
    assert_false(RtlAsciiToU64("-1", &v));
    assert_int_equal(v, 99);
}

static void test_pattern(void **state)
{
    /* Reference splitmix64 outputs for x = 0 and 1 (Vigna's reference
     * implementation, seeded so the first call uses x). */
    assert_true(RtlSplitMix64(0) == 0xE220A8397B1DCDAFULL);
    ULONG64 block[64];
    RtlFillPatternBlock(block, 7, 3);
    assert_true(block[0] == RtlSplitMix64(7 + 3 * 64));
    assert_true(block[63] == RtlSplitMix64(7 + 3 * 64 + 63));
    assert_int_equal(RtlCheckPatternBlock(block, 7, 3), 0);
    block[5] ^= 1;
    assert_int_equal(RtlCheckPatternBlock(block, 7, 3), 1);
    assert_int_equal(RtlCheckPatternBlock(block, 7, 4), 64);
}

void *RtlpMemCopy(void *d, const void *s, size_t n);
void *RtlpMemMove(void *d, const void *s, size_t n);
void *RtlpMemFill(void *d, int c, size_t n);
int RtlpMemCompare(const void *a, const void *b, size_t n);

/* The kernel's memcpy/memmove/memset/memcmp against the C library's, at
 * every small length and alignment (the 8-byte bulk and the byte tail),
 * overlapping moves in both directions, and the bytes around untouched. */
static void test_memory_routines_match_libc(void **state)
{
    unsigned char a[96], b[96], c[96];
    for (int n = 0; n < 40; n++)
        for (int so = 0; so < 9; so++)
            for (int dof = 0; dof < 9; dof++) {
                for (int i = 0; i < 96; i++) {
                    a[i] = (unsigned char)(i * 13 + n);
                    b[i] = c[i] = (unsigned char)(i * 7 + so);
                }
                assert_ptr_equal(RtlpMemCopy(b + dof, a + so, n), b + dof);
                memcpy(c + dof, a + so, n);
                assert_memory_equal(b, c, 96);
                assert_ptr_equal(RtlpMemFill(b + dof, 0x100 + n, n), b + dof);
                memset(c + dof, 0x100 + n, n);
                assert_memory_equal(b, c, 96);
                RtlpMemMove(b + dof, b + so + 20, n);       /* overlap, either way */
                memmove(c + dof, c + so + 20, n);
                assert_memory_equal(b, c, 96);
                RtlpMemMove(b + so + 20, b + dof, n);
                memmove(c + so + 20, c + dof, n);
                assert_memory_equal(b, c, 96);
                int x = RtlpMemCompare(a, b, n), y = memcmp(a, b, n);
                assert_true((x < 0) == (y < 0) && (x > 0) == (y > 0));
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_integers),
        cmocka_unit_test(test_format_strings),
        cmocka_unit_test(test_format_truncates_and_terminates),
        cmocka_unit_test(test_escape_device_text),
        cmocka_unit_test(test_escape_device_text_wide),
        cmocka_unit_test(test_escape_truncates_whole_sequences),
        cmocka_unit_test(test_crc32_matches_zlib),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_ascii_numbers),
        cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_memory_routines_match_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
