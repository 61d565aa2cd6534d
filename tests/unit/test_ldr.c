#define _GNU_SOURCE
/* test_ldr.c - host tests of the driver image loader's pure core
 * (kernel/ldr/elf_validate.c, kernel/ldr/elf_reloc.c) on real images built
 * by the Makefile (build/tests/drivers/NAME.sys, read at run time from the
 * repository root) and on corrupted copies made here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ntos.h>
#include <ldr.h>
#include <elf64.h>
#include "host_support.h"

#define IMAGE_DIR "build/tests/drivers/"
#define FAKE_BASE 0xFFFF900000100000ULL

typedef struct {
    unsigned char *Data;
    size_t Size;
} FILE_BYTES;

static FILE_BYTES ReadImage(const char *Name)
{
    char path[256];
    FILE_BYTES f = { 0 };
    FILE *fp;
    long size;

    snprintf(path, sizeof(path), IMAGE_DIR "%s", Name);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "cannot open %s (run from the repository root after make)\n", path);
        fail();
    }
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f.Data = malloc(size);
    f.Size = (size_t)size;
    assert_int_equal(fread(f.Data, 1, f.Size, fp), f.Size);
    fclose(fp);
    return f;
}

/* ---- helpers that read the (trusted, unmodified) good image ---- */
static Elf64_Ehdr *Ehdr(FILE_BYTES *f) { return (Elf64_Ehdr *)f->Data; }

static Elf64_Phdr *Phdr(FILE_BYTES *f, unsigned Type, unsigned Nth)
{
    Elf64_Ehdr *eh = Ehdr(f);
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(f->Data + eh->e_phoff + i * sizeof(Elf64_Phdr));
        if (ph->p_type == Type && Nth-- == 0)
            return ph;
    }
    fail_msg("no program header type %u", Type);
    return NULL;
}

static Elf64_Dyn *Dyn(FILE_BYTES *f, long Tag)
{
    Elf64_Phdr *dp = Phdr(f, PT_DYNAMIC, 0);
    for (Elf64_Dyn *d = (Elf64_Dyn *)(f->Data + dp->p_offset); d->d_tag != DT_NULL; d++)
        if (d->d_tag == Tag)
            return d;
    fail_msg("no dynamic tag %ld", Tag);
    return NULL;
}

/* File offset of an ELF address (good images only). */
static size_t VaToOff(FILE_BYTES *f, uint64_t Va)
{
    for (unsigned n = 0;; n++) {
        Elf64_Phdr *ph = Phdr(f, PT_LOAD, n);
        if (Va >= ph->p_vaddr && Va < ph->p_vaddr + ph->p_filesz)
            return ph->p_offset + (Va - ph->p_vaddr);
    }
}

static Elf64_Rela *FirstRela(FILE_BYTES *f)
{
    return (Elf64_Rela *)(f->Data + VaToOff(f, Dyn(f, DT_RELA)->d_val));
}

static NTSTATUS Validate(FILE_BYTES *f, const char *Name, LDR_IMAGE_INFO *Info)
{
    return LdrValidateImage(Name, f->Data, f->Size, Info);
}

/* The refusal must be one line naming the image and containing Culprit. */
static void ExpectRefusal(FILE_BYTES *f, NTSTATUS Expected, const char *Culprit)
{
    LDR_IMAGE_INFO info;
    NTSTATUS status = Validate(f, "bad.sys", &info);
    if (status != Expected || strncmp(info.Error, "ldr: bad.sys: ", 14) != 0 ||
        strstr(info.Error, Culprit) == NULL || strchr(info.Error, '\n') != NULL)
        fail_msg("status 0x%08x (want 0x%08x), message '%s' (want '%s')", (unsigned)status,
                 (unsigned)Expected, info.Error, Culprit);
}

/* Resolver standing for the kernel's export table: every name maps to a
 * distinct fake address except the ones a test wants missing. */
static uint64_t FakeAddress(const char *Name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *Name; Name++)
        h = (h ^ (unsigned char)*Name) * 0x100000001b3ULL;
    return 0xFFFFF80000000000ULL | (h & 0xFFFFFFFF0ULL);
}

static PVOID FakeResolve(PCSTR Name, PVOID Context)
{
    if (strcmp(Name, "KeFooBar") == 0)
        return NULL;
    return (PVOID)(uintptr_t)FakeAddress(Name);
}

/* ---- good images ---- */
static void test_good_images_validate(void **state)
{
    static const char *names[] = { "regcopy.sys", "failinit.sys", "badimport.sys", "filter.sys" };

    for (unsigned n = 0; n < 4; n++) {
        FILE_BYTES f = ReadImage(names[n]);
        LDR_IMAGE_INFO info;
        NTSTATUS status = Validate(&f, names[n], &info);
        if (!NT_SUCCESS(status))
            fail_msg("%s: %s", names[n], info.Error);
        assert_string_equal(info.Error, "");
        assert_true(info.SegmentCount >= 2);
        assert_int_equal(info.MinVaddr, 0);
        assert_true(info.Span % PAGE_SIZE == 0 && info.Span <= LDR_MAX_IMAGE_SPAN);
        assert_true(info.SymbolCount > 1);
        assert_true(info.Rela.Size > 0 && info.Rela.Size % sizeof(Elf64_Rela) == 0);
        /* DriverEntry is the ELF entry point (-e DriverEntry) too. */
        assert_int_equal(info.EntryVaddr, Ehdr(&f)->e_entry);
        /* -g images carry .symtab; the loader found it for backtraces. */
        assert_true(info.DebugSym.Size > 0 && info.DebugStr.Size > 0);
        /* No segment is both writable and executable. */
        for (ULONG i = 0; i < info.SegmentCount; i++)
            assert_false((info.Segments[i].Prot & MM_PROT_WRITE) &&
                         (info.Segments[i].Prot & MM_PROT_EXEC));
        free(f.Data);
    }
}

/* Copy + relocate into a buffer and check every relocated word against the
 * formulas, independently of the loader's code. */
static void test_relocate_regcopy(void **state)
{
    FILE_BYTES f = ReadImage("regcopy.sys");
    LDR_IMAGE_INFO info;
    unsigned char *mapped;
    unsigned relocs = 0, imports = 0;

    assert_int_equal(Validate(&f, "regcopy.sys", &info), STATUS_SUCCESS);
    assert_int_equal(LdrCheckImports("regcopy.sys", f.Data, &info, FakeResolve, NULL),
                     STATUS_SUCCESS);
    mapped = malloc(info.Span);
    memset(mapped, 0xEE, info.Span);
    LdrCopySegments(f.Data, &info, mapped);
    assert_int_equal(LdrApplyRelocations("regcopy.sys", f.Data, &info, mapped, FAKE_BASE,
                                         FakeResolve, NULL), STATUS_SUCCESS);

    /* Text is copied byte for byte; bss is zero. */
    for (ULONG i = 0; i < info.SegmentCount; i++) {
        LDR_SEGMENT *s = &info.Segments[i];
        if (s->Prot & MM_PROT_EXEC)
            assert_memory_equal(mapped + s->Vaddr, f.Data + s->FileOffset, s->FileSize);
        for (uint64_t b = s->FileSize; b < s->MemSize; b++)
            assert_int_equal(mapped[s->Vaddr + b], 0);
    }

    Elf64_Rela *r = (Elf64_Rela *)(f.Data + info.Rela.Offset);
    Elf64_Sym *syms = (Elf64_Sym *)(f.Data + info.DynSym.Offset);
    const char *str = (const char *)f.Data + info.DynStr.Offset;
    for (uint64_t i = 0; i < info.Rela.Size / sizeof(*r); i++, relocs++) {
        uint64_t got, want;
        Elf64_Sym *sym = &syms[ELF64_R_SYM(r[i].r_info)];
        memcpy(&got, mapped + r[i].r_offset, 8);
        switch (ELF64_R_TYPE(r[i].r_info)) {
        case R_X86_64_RELATIVE:
            want = FAKE_BASE + r[i].r_addend;
            break;
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
            want = sym->st_shndx ? FAKE_BASE + sym->st_value : FakeAddress(str + sym->st_name);
            imports += sym->st_shndx == 0;
            break;
        case R_X86_64_64:
            want = (sym->st_shndx ? FAKE_BASE + sym->st_value : FakeAddress(str + sym->st_name)) +
                   r[i].r_addend;
            break;
        default:
            fail_msg("unexpected relocation type %u", ELF64_R_TYPE(r[i].r_info));
            return;
        }
        assert_int_equal(got, want);
    }
    assert_true(relocs > 0);
    assert_true(imports >= 5);  /* DbgPrint, pool, IoCreateDevice, ... */
    free(mapped);
    free(f.Data);
}

static void test_badimport_names_symbol(void **state)
{
    FILE_BYTES f = ReadImage("badimport.sys");
    LDR_IMAGE_INFO info;

    assert_int_equal(Validate(&f, "badimport.sys", &info), STATUS_SUCCESS);
    assert_int_equal(LdrCheckImports("badimport.sys", f.Data, &info, FakeResolve, NULL),
                     STATUS_PROCEDURE_NOT_FOUND);
    assert_string_equal(info.Error, "ldr: badimport.sys: imports unknown symbol 'KeFooBar'");
    free(f.Data);
}

static void test_badhdr_refused(void **state)
{
    FILE_BYTES f = ReadImage("badhdr.sys");
    LDR_IMAGE_INFO info;
    char want[160];

    assert_int_equal(Validate(&f, "badhdr.sys", &info), STATUS_INVALID_IMAGE_FORMAT);
    snprintf(want, sizeof(want),
             "ldr: badhdr.sys: e_phoff 0x7fff0000 (%u headers) beyond end of file (%zu bytes)",
             Ehdr(&f)->e_phnum, f.Size);
    assert_string_equal(info.Error, want);
    free(f.Data);
}

/* ---- corrupted copies of regcopy.sys ---- */
typedef void (*CORRUPT)(FILE_BYTES *f);

static void Corrupt(CORRUPT Fn, NTSTATUS Expected, const char *Culprit)
{
    FILE_BYTES f = ReadImage("regcopy.sys");
    Fn(&f);
    ExpectRefusal(&f, Expected, Culprit);
    free(f.Data);
}

static void c_short(FILE_BYTES *f) { f->Size = 40; }
static void c_magic(FILE_BYTES *f) { f->Data[1] = 'X'; }
static void c_class(FILE_BYTES *f) { f->Data[EI_CLASS] = 1; }
static void c_endian(FILE_BYTES *f) { f->Data[EI_DATA] = 2; }
static void c_type(FILE_BYTES *f) { Ehdr(f)->e_type = 2; }
static void c_machine(FILE_BYTES *f) { Ehdr(f)->e_machine = 3; }
static void c_phentsize(FILE_BYTES *f) { Ehdr(f)->e_phentsize = 32; }
static void c_phnum0(FILE_BYTES *f) { Ehdr(f)->e_phnum = 0; }
static void c_phoff_wrap(FILE_BYTES *f) { Ehdr(f)->e_phoff = ~0ULL - 8; }
static void c_filesz(FILE_BYTES *f) { Phdr(f, PT_LOAD, 1)->p_filesz = Phdr(f, PT_LOAD, 1)->p_memsz + 1; }
static void c_offset(FILE_BYTES *f) { Phdr(f, PT_LOAD, 2)->p_offset = 0x7fff0000; }
static void c_congruent(FILE_BYTES *f) { Phdr(f, PT_LOAD, 1)->p_vaddr += 0x10; }
static void c_align(FILE_BYTES *f) { Phdr(f, PT_LOAD, 1)->p_align = 0x10; }
static void c_overlap(FILE_BYTES *f)
{
    Phdr(f, PT_LOAD, 2)->p_vaddr = Phdr(f, PT_LOAD, 1)->p_vaddr;
    Phdr(f, PT_LOAD, 2)->p_offset = Phdr(f, PT_LOAD, 1)->p_offset;
}
static void c_wx(FILE_BYTES *f) { Phdr(f, PT_LOAD, 3)->p_flags = PF_R | PF_W | PF_X; }
static void c_span(FILE_BYTES *f) { Phdr(f, PT_LOAD, 3)->p_memsz = 128ULL << 20; }
static void c_nodynamic(FILE_BYTES *f) { Phdr(f, PT_DYNAMIC, 0)->p_type = PT_NULL; }
static void c_interp(FILE_BYTES *f) { Phdr(f, PT_GNU_STACK, 0)->p_type = PT_INTERP; }
static void c_reloc_type(FILE_BYTES *f)
{
    Elf64_Rela *r = FirstRela(f);
    r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 2 /* R_X86_64_PC32 */);
}
static void c_reloc_sym(FILE_BYTES *f)
{
    Elf64_Rela *r = FirstRela(f);
    r->r_info = ELF64_R_INFO(5000, R_X86_64_GLOB_DAT);
}
static void c_reloc_target_text(FILE_BYTES *f) { FirstRela(f)->r_offset = Phdr(f, PT_LOAD, 1)->p_vaddr; }
static void c_reloc_target_outside(FILE_BYTES *f) { FirstRela(f)->r_offset = 0x7ffffff8; }
static void c_relasz(FILE_BYTES *f) { Dyn(f, DT_RELASZ)->d_val += 8; }
static void c_rela_oob(FILE_BYTES *f) { Dyn(f, DT_RELA)->d_val = 0x7fff0000; }
static void c_symname(FILE_BYTES *f)
{
    Elf64_Sym *s = (Elf64_Sym *)(f->Data + VaToOff(f, Dyn(f, DT_SYMTAB)->d_val));
    s[1].st_name = 0x100000;
}
static void c_strtab_nul(FILE_BYTES *f)
{
    f->Data[VaToOff(f, Dyn(f, DT_STRTAB)->d_val) + Dyn(f, DT_STRSZ)->d_val - 1] = 'x';
}
static void c_strsz(FILE_BYTES *f) { Dyn(f, DT_STRSZ)->d_val = 0x10000000; }
static void c_hash(FILE_BYTES *f)
{
    uint32_t *h = (uint32_t *)(f->Data + VaToOff(f, Dyn(f, DT_HASH)->d_val));
    h[1] = 0x00100000;  /* nchain */
}
static void c_syment(FILE_BYTES *f) { Dyn(f, DT_SYMENT)->d_val = 16; }
static void c_textrel(FILE_BYTES *f) { Dyn(f, DT_RELAENT)->d_tag = DT_TEXTREL; }
static void c_needed(FILE_BYTES *f) { Dyn(f, DT_RELAENT)->d_tag = DT_NEEDED; }
static void c_entry_name(FILE_BYTES *f)
{
    char *str = (char *)f->Data + VaToOff(f, Dyn(f, DT_STRTAB)->d_val);
    char *p = memmem(str, Dyn(f, DT_STRSZ)->d_val, "DriverEntry", 12);
    assert_non_null(p);
    p[10] = 'x';
}
static void c_entry_type(FILE_BYTES *f)
{
    Elf64_Sym *s = (Elf64_Sym *)(f->Data + VaToOff(f, Dyn(f, DT_SYMTAB)->d_val));
    const char *str = (const char *)f->Data + VaToOff(f, Dyn(f, DT_STRTAB)->d_val);
    for (unsigned i = 1;; i++)
        if (strcmp(str + s[i].st_name, "DriverEntry") == 0) {
            s[i].st_info = (STB_GLOBAL << 4) | STT_OBJECT;
            return;
        }
}
static void c_entry_outside(FILE_BYTES *f)
{
    Elf64_Sym *s = (Elf64_Sym *)(f->Data + VaToOff(f, Dyn(f, DT_SYMTAB)->d_val));
    const char *str = (const char *)f->Data + VaToOff(f, Dyn(f, DT_STRTAB)->d_val);
    for (unsigned i = 1;; i++)
        if (strcmp(str + s[i].st_name, "DriverEntry") == 0) {
            s[i].st_value = 0x7fff0000;
            return;
        }
}

static void test_corruptions(void **state)
{
    Corrupt(c_short, STATUS_INVALID_IMAGE_FORMAT, "file is 40 bytes, smaller than an ELF header");
    Corrupt(c_magic, STATUS_INVALID_IMAGE_FORMAT, "no ELF magic");
    Corrupt(c_class, STATUS_INVALID_IMAGE_FORMAT, "EI_CLASS 1 is not ELFCLASS64");
    Corrupt(c_endian, STATUS_INVALID_IMAGE_FORMAT, "EI_DATA 2 is not little-endian");
    Corrupt(c_type, STATUS_INVALID_IMAGE_FORMAT, "e_type 2 is not ET_DYN");
    Corrupt(c_machine, STATUS_INVALID_IMAGE_FORMAT, "e_machine 3 is not x86-64");
    Corrupt(c_phentsize, STATUS_INVALID_IMAGE_FORMAT, "e_phentsize 32 is not 56");
    Corrupt(c_phnum0, STATUS_INVALID_IMAGE_FORMAT, "e_phnum 0 is not 1..64");
    Corrupt(c_phoff_wrap, STATUS_INVALID_IMAGE_FORMAT, "beyond end of file");
    Corrupt(c_filesz, STATUS_INVALID_IMAGE_FORMAT, "PT_LOAD 1 p_filesz");
    Corrupt(c_offset, STATUS_INVALID_IMAGE_FORMAT, "PT_LOAD 2 p_offset 0x7fff0000");
    Corrupt(c_congruent, STATUS_INVALID_IMAGE_FORMAT, "differ modulo the page size");
    Corrupt(c_align, STATUS_INVALID_IMAGE_FORMAT, "p_align 0x10 is not a power of two >= page size");
    Corrupt(c_overlap, STATUS_INVALID_IMAGE_FORMAT, "overlaps the previous segment");
    Corrupt(c_wx, STATUS_INVALID_IMAGE_FORMAT, "is writable and executable");
    Corrupt(c_span, STATUS_INVALID_IMAGE_FORMAT, "beyond the 64 MiB image limit");
    Corrupt(c_nodynamic, STATUS_INVALID_IMAGE_FORMAT, "no PT_DYNAMIC");
    Corrupt(c_interp, STATUS_INVALID_IMAGE_FORMAT, "has PT_INTERP");
    Corrupt(c_reloc_type, STATUS_INVALID_IMAGE_FORMAT, "unsupported relocation type 2");
    Corrupt(c_reloc_sym, STATUS_INVALID_IMAGE_FORMAT, "names symbol 5000");
    Corrupt(c_reloc_target_text, STATUS_INVALID_IMAGE_FORMAT, "outside the image's writable segments");
    Corrupt(c_reloc_target_outside, STATUS_INVALID_IMAGE_FORMAT, "writes 0x7ffffff8");
    Corrupt(c_relasz, STATUS_INVALID_IMAGE_FORMAT, "not a multiple of 24");
    Corrupt(c_rela_oob, STATUS_INVALID_IMAGE_FORMAT, "DT_RELA 0x7fff0000");
    Corrupt(c_symname, STATUS_INVALID_IMAGE_FORMAT, "symbol 1 name offset 0x100000 beyond DT_STRTAB");
    Corrupt(c_strtab_nul, STATUS_INVALID_IMAGE_FORMAT, "DT_STRTAB does not end with NUL");
    Corrupt(c_strsz, STATUS_INVALID_IMAGE_FORMAT, "is not inside a loaded segment");
    Corrupt(c_hash, STATUS_INVALID_IMAGE_FORMAT, "DT_HASH table");
    Corrupt(c_syment, STATUS_INVALID_IMAGE_FORMAT, "DT_SYMENT 16 is not 24");
    Corrupt(c_textrel, STATUS_INVALID_IMAGE_FORMAT, "DT_TEXTREL");
    Corrupt(c_needed, STATUS_INVALID_IMAGE_FORMAT, "DT_NEEDED");
    Corrupt(c_entry_name, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND, "no exported DriverEntry");
    Corrupt(c_entry_type, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND, "DriverEntry is not an exported function");
    Corrupt(c_entry_outside, STATUS_INVALID_IMAGE_FORMAT, "'DriverEntry' at 0x7fff0000");
}

/* Every prefix shorter than the end of the last file-backed segment must be
 * refused (and none may read out of bounds: ASan). */
static void test_truncations(void **state)
{
    FILE_BYTES f = ReadImage("regcopy.sys");
    LDR_IMAGE_INFO info;
    uint64_t needed = 0;

    assert_int_equal(Validate(&f, "t.sys", &info), STATUS_SUCCESS);
    for (ULONG i = 0; i < info.SegmentCount; i++)
        if (info.Segments[i].FileOffset + info.Segments[i].FileSize > needed)
            needed = info.Segments[i].FileOffset + info.Segments[i].FileSize;
    for (size_t len = 0; len < needed; len++) {
        /* A fresh allocation of exactly len bytes, so ASan sees overreads. */
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, f.Data, len);
        assert_int_not_equal(LdrValidateImage("t.sys", copy, len, &info), STATUS_SUCCESS);
        assert_true(strncmp(info.Error, "ldr: t.sys: ", 12) == 0);
        free(copy);
    }
    free(f.Data);
}

/* Random corruption of the first pages (headers, dynamic tables): never a
 * crash, and whatever validates can be copied and relocated inside a buffer
 * of exactly Span bytes (ASan checks every write). */
static void test_random_flips(void **state)
{
    FILE_BYTES good = ReadImage("regcopy.sys");
    uint64_t rng = 0x1234567;
    unsigned accepted = 0;

    for (unsigned round = 0; round < 3000; round++) {
        unsigned char *copy = malloc(good.Size);
        LDR_IMAGE_INFO info;
        memcpy(copy, good.Data, good.Size);
        for (unsigned k = 0; k < 1 + round % 4; k++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (rng >> 33) % (good.Size < 0x1000 ? good.Size : 0x1000);
            copy[at] ^= (unsigned char)(1u << ((rng >> 20) & 7));
        }
        if (NT_SUCCESS(LdrValidateImage("r.sys", copy, good.Size, &info)) &&
            NT_SUCCESS(LdrCheckImports("r.sys", copy, &info, FakeResolve, NULL))) {
            unsigned char *mapped = malloc(info.Span);
            LdrCopySegments(copy, &info, mapped);
            assert_int_equal(LdrApplyRelocations("r.sys", copy, &info, mapped, FAKE_BASE,
                                                 FakeResolve, NULL), STATUS_SUCCESS);
            free(mapped);
            accepted++;
        } else {
            assert_true(strncmp(info.Error, "ldr: r.sys: ", 12) == 0);
        }
        free(copy);
    }
    /* Flips in padding and unused bytes must not be refused. */
    assert_true(accepted > 0);
    free(good.Data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_images_validate),
        cmocka_unit_test(test_relocate_regcopy),
        cmocka_unit_test(test_badimport_names_symbol),
        cmocka_unit_test(test_badhdr_refused),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_random_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
