/* test_ke_symbols.c - symbol registration and lookup (kernel/ke/symbols.c)
 * over ELF64 files built in memory with the host's <elf.h> layouts: a good
 * one, and one of each malformation KiRegisterKernelSymbols must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <elf.h>
#include <cmocka.h>
#include "host_support.h"
#include "../../kernel/ke/ki.h"

ULONG64 KiHostRflags = KI_EFLAGS_IF;
ULONG64 KiHostCr8;
VOID KiHostHalt(VOID) {}

#define TEXT_OFF 0x1000ull     /* symbol values relative to the image base */

/* Layout: header | strtab | symtab | section headers. */
typedef struct test_elf {
    _Alignas(8) unsigned char bytes[4096];
    size_t size;
    Elf64_Ehdr *eh;
    Elf64_Shdr *sh;             /* [0] null [1] .text [2] .symtab [3] .strtab */
    Elf64_Sym *sym;
    size_t nsym;
    char *str;
} test_elf;

static const char strings[] = "\0alpha\0beta\0gamma\0zero\0undef\0sect";
#define S_ALPHA 1
#define S_BETA  7
#define S_GAMMA 12
#define S_ZERO  18
#define S_UNDEF 23
#define S_SECT  29

static void build_elf(test_elf *e, ULONG64 base)
{
    memset(e, 0, sizeof(*e));
    size_t off = sizeof(Elf64_Ehdr);
    e->eh = (Elf64_Ehdr *)e->bytes;
    memcpy(e->eh->e_ident, ELFMAG, SELFMAG);
    e->eh->e_ident[EI_CLASS] = ELFCLASS64;
    e->eh->e_ident[EI_DATA] = ELFDATA2LSB;
    e->eh->e_ident[EI_VERSION] = EV_CURRENT;
    e->eh->e_type = ET_EXEC;
    e->eh->e_machine = EM_X86_64;
    e->eh->e_ehsize = sizeof(Elf64_Ehdr);
    e->eh->e_shentsize = sizeof(Elf64_Shdr);
    e->eh->e_shnum = 4;

    e->str = (char *)e->bytes + off;
    memcpy(e->str, strings, sizeof(strings));
    size_t stroff = off, strsize = sizeof(strings);
    off = (off + strsize + 7) & ~7ul;

    e->sym = (Elf64_Sym *)(e->bytes + off);
    size_t symoff = off;
    Elf64_Sym syms[] = {
        { 0 },
        { .st_name = S_ALPHA, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1,
          .st_value = base + TEXT_OFF, .st_size = 0x40 },
        { .st_name = S_BETA, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC), .st_shndx = 1,
          .st_value = base + TEXT_OFF + 0x100, .st_size = 0x20 },
        { .st_name = S_GAMMA, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), .st_shndx = 1,
          .st_value = base + TEXT_OFF + 0x800, .st_size = 8 },
        /* Must all be skipped: size 0, undefined, a section symbol. */
        { .st_name = S_ZERO, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1,
          .st_value = base + TEXT_OFF + 0x80, .st_size = 0 },
        { .st_name = S_UNDEF, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = SHN_UNDEF,
          .st_value = base + TEXT_OFF + 0x90, .st_size = 4 },
        { .st_name = S_SECT, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION), .st_shndx = 1,
          .st_value = base + TEXT_OFF + 0xA0, .st_size = 0x10 },
    };
    e->nsym = sizeof(syms) / sizeof(syms[0]);
    memcpy(e->sym, syms, sizeof(syms));
    off += sizeof(syms);

    e->eh->e_shoff = off;
    e->sh = (Elf64_Shdr *)(e->bytes + off);
    e->sh[1] = (Elf64_Shdr){ .sh_type = SHT_NOBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                             .sh_addr = base + TEXT_OFF, .sh_size = 0x1000 };
    e->sh[2] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = symoff, .sh_size = sizeof(syms),
                             .sh_link = 3, .sh_entsize = sizeof(Elf64_Sym) };
    e->sh[3] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = stroff, .sh_size = strsize };
    off += 4 * sizeof(Elf64_Shdr);
    e->size = off;
    assert_true(e->size <= sizeof(e->bytes));
}

static void expect_symbol(ULONG64 addr, const char *name, ULONG64 offset, const char *image)
{
    ULONG64 off = 0xdead;
    PCSTR img = NULL;
    PCSTR got = KeLookupSymbol(addr, &off, &img);
    assert_non_null(got);
    assert_string_equal(got, name);
    assert_int_equal(off, offset);
    assert_string_equal(img, image);
}

#define GOOD_BASE 0xFFFFFFFF80000000ull

static void test_kernel_elf_registers_and_resolves(void **state)
{
    static test_elf e;   /* stays registered: must stay alive */
    build_elf(&e, GOOD_BASE);
    KiRegisterKernelSymbols(e.bytes, e.size);
    expect_symbol(GOOD_BASE + TEXT_OFF, "alpha", 0, "ntoskrnl");
    expect_symbol(GOOD_BASE + TEXT_OFF + 0x3f, "alpha", 0x3f, "ntoskrnl");
    /* The size-0, undefined and section symbols in between are skipped. */
    expect_symbol(GOOD_BASE + TEXT_OFF + 0xA4, "alpha", 0xA4, "ntoskrnl");
    expect_symbol(GOOD_BASE + TEXT_OFF + 0x100, "beta", 0, "ntoskrnl");
    expect_symbol(GOOD_BASE + TEXT_OFF + 0x900, "gamma", 0x100, "ntoskrnl");
    /* Outside the loaded sections: nothing. */
    assert_null(KeLookupSymbol(GOOD_BASE + TEXT_OFF - 1, NULL, NULL));
    assert_null(KeLookupSymbol(GOOD_BASE + TEXT_OFF + 0x1000, NULL, NULL));
}

/* Each malformed file uses its own address range, so a wrongly accepted
 * table cannot answer for another case. */
static ULONG64 next_bad_base = 0xFFFFFFFFA0000000ull;

typedef void (*mutator)(test_elf *e);

static void expect_refused(mutator m)
{
    static test_elf e;
    ULONG64 base = next_bad_base;
    next_bad_base += 0x100000;
    build_elf(&e, base);
    m(&e);
    KiRegisterKernelSymbols(e.bytes, e.size);
    assert_null(KeLookupSymbol(base + TEXT_OFF, NULL, NULL));
    assert_null(KeLookupSymbol(base + TEXT_OFF + 0x100, NULL, NULL));
}

static void m_truncated(test_elf *e) { e->size = sizeof(Elf64_Ehdr) - 1; }
static void m_magic(test_elf *e) { e->eh->e_ident[1] = 'X'; }
static void m_class32(test_elf *e) { e->eh->e_ident[EI_CLASS] = ELFCLASS32; }
static void m_bigendian(test_elf *e) { e->eh->e_ident[EI_DATA] = ELFDATA2MSB; }
static void m_shoff_beyond(test_elf *e) { e->eh->e_shoff = e->size + 8; }
static void m_shoff_huge(test_elf *e) { e->eh->e_shoff = ~0ull - 16; }
static void m_shnum_too_many(test_elf *e) { e->eh->e_shnum = 40; }
static void m_shnum_zero(test_elf *e) { e->eh->e_shnum = 0; }
static void m_shentsize(test_elf *e) { e->eh->e_shentsize = sizeof(Elf64_Shdr) - 8; }
static void m_section_headers_cut(test_elf *e) { e->size -= 1; }
static void m_no_symtab(test_elf *e) { e->sh[2].sh_type = SHT_PROGBITS; }
static void m_sym_entsize(test_elf *e) { e->sh[2].sh_entsize = 16; }
static void m_sym_size_partial(test_elf *e) { e->sh[2].sh_size -= 4; }
static void m_sym_beyond(test_elf *e) { e->sh[2].sh_offset = e->size - 8; }
static void m_sym_wraps(test_elf *e) { e->sh[2].sh_offset = ~0ull - 7; e->sh[2].sh_size = 24; }
static void m_link_range(test_elf *e) { e->sh[2].sh_link = 4; }
static void m_link_zero(test_elf *e) { e->sh[2].sh_link = 0; }
static void m_link_not_strtab(test_elf *e) { e->sh[2].sh_link = 1; }
static void m_str_beyond(test_elf *e) { e->sh[3].sh_size = e->size; }
static void m_str_unterminated(test_elf *e) { e->str[sizeof(strings) - 1] = 'x'; }
static void m_name_out_of_bounds(test_elf *e) { e->sym[2].st_name = sizeof(strings); }
static void m_no_alloc_sections(test_elf *e) { e->sh[1].sh_flags = 0; }
static void m_alloc_wraps(test_elf *e) { e->sh[1].sh_size = ~0ull; }

static void test_malformed_kernel_elf_refused(void **state)
{
    static const mutator cases[] = {
        m_truncated, m_magic, m_class32, m_bigendian, m_shoff_beyond, m_shoff_huge,
        m_shnum_too_many, m_shnum_zero, m_shentsize, m_section_headers_cut, m_no_symtab,
        m_sym_entsize, m_sym_size_partial, m_sym_beyond, m_sym_wraps, m_link_range,
        m_link_zero, m_link_not_strtab, m_str_beyond, m_str_unterminated,
        m_name_out_of_bounds, m_no_alloc_sections, m_alloc_wraps,
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_refused(cases[i]);
    /* The good table is still there and unaffected. */
    expect_symbol(GOOD_BASE + TEXT_OFF + 0x101, "beta", 1, "ntoskrnl");
}

/* A driver image: values relative to 0, placed with a load bias. */
static void test_driver_symbols_with_bias(void **state)
{
    static test_elf e;
    const ULONG64 bias = 0xFFFFFFFFC0200000ull;
    build_elf(&e, 0);
    PVOID h = KeRegisterSymbols("ahci.sys", bias + TEXT_OFF, 0x1000, e.sym,
                                e.nsym * sizeof(Elf64_Sym), (const CHAR *)e.str,
                                sizeof(strings), bias);
    assert_non_null(h);
    expect_symbol(bias + TEXT_OFF + 0x110, "beta", 0x10, "ahci.sys");
    KeUnregisterSymbols(h);
    assert_null(KeLookupSymbol(bias + TEXT_OFF + 0x110, NULL, NULL));
    KeUnregisterSymbols(h);                 /* twice: ignored */
    KeUnregisterSymbols((PVOID)&e);         /* not a handle: ignored */
}

static void test_register_symbols_validates(void **state)
{
    static test_elf e;
    build_elf(&e, 0);
    SIZE_T symsize = e.nsym * sizeof(Elf64_Sym);
    /* Size not a whole number of symbols; misaligned table; no strings. */
    assert_null(KeRegisterSymbols("x", 0x1000, 0x1000, e.sym, symsize - 1,
                                  (const CHAR *)e.str, sizeof(strings), 0));
    assert_null(KeRegisterSymbols("x", 0x1000, 0x1000, (char *)e.sym + 4, symsize - 24,
                                  (const CHAR *)e.str, sizeof(strings), 0));
    assert_null(KeRegisterSymbols("x", 0x1000, 0x1000, e.sym, symsize, NULL, 0, 0));
    assert_null(KeRegisterSymbols("x", 0x1000, 0x1000, e.sym, 0,
                                  (const CHAR *)e.str, sizeof(strings), 0));
    /* Range that wraps the address space. */
    assert_null(KeRegisterSymbols("x", ~0ull - 10, 0x1000, e.sym, symsize,
                                  (const CHAR *)e.str, sizeof(strings), 0));
    /* A string table cut short leaves names out of bounds. */
    assert_null(KeRegisterSymbols("x", 0x1000, 0x1000, e.sym, symsize,
                                  (const CHAR *)e.str, S_GAMMA, 0));
}

static void test_slots_run_out_and_come_back(void **state)
{
    static test_elf e;
    PVOID handles[128];
    size_t n = 0;
    build_elf(&e, 0);
    while (n < 128) {
        handles[n] = KeRegisterSymbols("a-rather-long-image-name-that-gets-truncated.sys",
                                       0x10000 * (n + 1), 0x10000, e.sym,
                                       e.nsym * sizeof(Elf64_Sym), (const CHAR *)e.str,
                                       sizeof(strings), 0x10000 * (n + 1) - TEXT_OFF);
        if (!handles[n])
            break;
        n++;
    }
    assert_true(n > 0 && n < 128);
    PCSTR img = NULL;
    ULONG64 off;
    assert_string_equal(KeLookupSymbol(0x10000 * 2 + 0x100, &off, &img), "beta");
    assert_int_equal(strlen(img), 31);
    for (size_t i = 0; i < n; i++)
        KeUnregisterSymbols(handles[i]);
    assert_null(KeLookupSymbol(0x10000 * 2 + 0x100, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_elf_registers_and_resolves),
        cmocka_unit_test(test_malformed_kernel_elf_refused),
        cmocka_unit_test(test_driver_symbols_with_bias),
        cmocka_unit_test(test_register_symbols_validates),
        cmocka_unit_test(test_slots_run_out_and_come_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
