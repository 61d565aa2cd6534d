/* test_boot.c - the loader's two parsers of outside input, on the host:
 * its lenient reading of system.cfg and its check of kernel.elf (the real
 * build/kernel.elf, then corrupted copies of it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../boot/config.h"
#include "../../boot/elf.h"

static void parse(const char *text, BL_CONFIG *c)
{
    BlParseConfig(text, strlen(text), c);
}

static const BL_SERVICE *find(const BL_CONFIG *c, const char *name)
{
    for (uint32_t i = 0; i < c->ServiceCount; i++)
        if (strcmp(c->Services[i].Name, name) == 0)
            return &c->Services[i];
    return NULL;
}

static void test_config_start_types(void **state)
{
    static BL_CONFIG c;
    parse("[Services\\a]\nImagePath = \\x\\a.sys\nStart = Boot\n"
          "[Services\\b]\r\nImagePath=\"\\x\\b.sys\" ; quoted\r\nStart = Demand\r\n"
          "[Services\\c]\nImagePath = \\x\\c.sys\nStart = disabled\n"
          "[Services\\d]\nImagePath = \\x\\d.sys\n"
          "[Services\\a\\Parameters]\nImagePath = \\not\\this.sys\n", &c);
    assert_int_equal(c.ServiceCount, 4);
    assert_string_equal(find(&c, "a")->ImagePath, "\\x\\a.sys");
    assert_true(find(&c, "a")->Preload);
    assert_string_equal(find(&c, "b")->ImagePath, "\\x\\b.sys");
    assert_true(find(&c, "b")->Preload);
    assert_false(find(&c, "c")->Preload);           /* Disabled stays on disk */
    assert_true(find(&c, "d")->Preload);            /* no Start = Demand */
}

static void test_config_garbage_is_skipped(void **state)
{
    static BL_CONFIG c;
    const char text[] = "junk line\n[Services\\x\n= v\n[Services\\ok]\nImagePath = \\p.sys\0"
                        "\n[Services\\late]\n";
    BlParseConfig(text, sizeof(text) - 1, &c);
    assert_non_null(find(&c, "ok"));
    assert_string_equal(find(&c, "ok")->ImagePath, "\\p.sys");
    assert_null(find(&c, "x"));
}

static void test_config_long_image_path_flagged(void **state)
{
    static BL_CONFIG c;
    char text[512];
    char path[300];
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = 0;
    snprintf(text, sizeof(text), "[Services\\big]\nImagePath = \\%s\n", path);
    parse(text, &c);
    assert_true(find(&c, "big")->ImagePathTooLong);
    assert_string_equal(find(&c, "big")->ImagePath, "");
}

static unsigned char *kernel;
static size_t kernel_size;

static int load_kernel(void **state)
{
    FILE *f = fopen("build/kernel.elf", "rb");
    if (!f)
        return -1;      /* make builds it before the unit tests */
    fseek(f, 0, SEEK_END);
    kernel_size = (size_t)ftell(f);
    rewind(f);
    kernel = malloc(kernel_size);
    if (fread(kernel, 1, kernel_size, f) != kernel_size)
        return -1;
    fclose(f);
    return 0;
}

static int free_kernel(void **state)
{
    free(kernel);
    return 0;
}

static void test_elf_real_kernel(void **state)
{
    BL_ELF_LAYOUT l;
    assert_null(BlElfValidate(kernel, kernel_size, &l));
    assert_true(l.VirtBase == 0xFFFFFFFF80000000ULL);
    assert_true(l.Entry >= l.VirtBase && l.Entry < l.VirtBase + l.Span);
    assert_int_equal(l.LoadCount, 3);
    unsigned char *dest = calloc(1, l.Span);
    BlElfCopySegments(kernel, &l, dest);
    free(dest);
}

static void refuse(size_t offset, const void *bytes, size_t n, uint64_t size)
{
    unsigned char *copy = malloc(kernel_size);
    memcpy(copy, kernel, kernel_size);
    memcpy(copy + offset, bytes, n);
    BL_ELF_LAYOUT l;
    const char *why = BlElfValidate(copy, size, &l);
    assert_non_null(why);
    assert_true(strlen(why) > 5);
    free(copy);
}

static void test_elf_corruptions_refused(void **state)
{
    uint64_t huge = 0x7fffffff0ULL;
    uint16_t machine = 3, type = 3, many = 0xffff;
    uint8_t class32 = 1;
    refuse(0, "\177ELG", 4, kernel_size);               /* magic */
    refuse(4, &class32, 1, kernel_size);                /* ELFCLASS32 */
    refuse(16, &type, 2, kernel_size);                  /* ET_DYN */
    refuse(18, &machine, 2, kernel_size);               /* EM_386 */
    refuse(32, &huge, 8, kernel_size);                  /* e_phoff past the end */
    refuse(56, &many, 2, kernel_size);                  /* e_phnum */
    refuse(24, &huge, 8, kernel_size);                  /* e_entry outside */
    refuse(0, "", 0, 40);                               /* truncated header */
    /* every prefix shorter than the segments is refused, never read past */
    for (uint64_t s = 0; s < 4096; s += 61)
        refuse(0, "", 0, s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_start_types),
        cmocka_unit_test(test_config_garbage_is_skipped),
        cmocka_unit_test(test_config_long_image_path_flagged),
        cmocka_unit_test_setup_teardown(test_elf_real_kernel, load_kernel, free_kernel),
        cmocka_unit_test_setup_teardown(test_elf_corruptions_refused, load_kernel, free_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
