/* elf_reloc.c - binds imports and relocates a validated driver image into a
 * buffer.  Pure (no mapping, no allocation), so host tests can load a real
 * .sys into malloc'd memory and inspect every relocated word.
 *
 * Relocation formulas (x86-64 psABI 1.0, table 4.9; S = symbol value,
 * A = addend, B = the image's load bias):
 *   R_X86_64_RELATIVE   B + A
 *   R_X86_64_64         S + A
 *   R_X86_64_GLOB_DAT   S
 *   R_X86_64_JUMP_SLOT  S          (-z now: bound here, never lazily)
 * LdrValidateImage has already checked every type, symbol index and target,
 * so the checks below are the cheap re-statements that keep a caller which
 * skipped validation from writing outside the buffer. */
#include <ntos.h>
#include <ldr.h>
#include <elf64.h>

static VOID LdrpReadSym(const VOID *File, const LDR_IMAGE_INFO *Info, ULONG Index, Elf64_Sym *Sym)
{
    RtlCopyMemory(Sym, (const UCHAR *)File + Info->DynSym.Offset + (ULONG64)Index * sizeof(*Sym),
                  sizeof(*Sym));
}

static PCSTR LdrpName(const VOID *File, const LDR_IMAGE_INFO *Info, const Elf64_Sym *Sym)
{
    return (PCSTR)File + Info->DynStr.Offset + Sym->st_name;
}

/* Value of symbol Index at run time: defined symbols are relocated by the
 * bias, undefined ones come from the kernel's exports. */
static NTSTATUS LdrpSymbolValue(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info, ULONG Index,
                                ULONG64 Bias, PLDR_RESOLVE_ROUTINE Resolve, PVOID Context,
                                ULONG64 *Value)
{
    Elf64_Sym sym;
    PVOID address;

    if (Index >= Info->SymbolCount)
        return STATUS_INVALID_IMAGE_FORMAT;
    LdrpReadSym(File, Info, Index, &sym);
    if (sym.st_shndx == SHN_ABS) {
        *Value = sym.st_value;
        return STATUS_SUCCESS;
    }
    if (sym.st_shndx != SHN_UNDEF) {
        *Value = Bias + sym.st_value;
        return STATUS_SUCCESS;
    }
    address = Resolve ? Resolve(LdrpName(File, Info, &sym), Context) : NULL;
    if (address == NULL && ELF64_ST_BIND(sym.st_info) != STB_WEAK) {
        RtlStringCbPrintfA(Info->Error, sizeof(Info->Error),
                           "ldr: %s: imports unknown symbol '%s'", Name,
                           LdrpName(File, Info, &sym));
        return STATUS_PROCEDURE_NOT_FOUND;
    }
    *Value = (ULONG64)(ULONG_PTR)address;
    return STATUS_SUCCESS;
}

static NTSTATUS LdrpCheckTableImports(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                                      const LDR_FILE_RANGE *Table, PLDR_RESOLVE_ROUTINE Resolve,
                                      PVOID Context)
{
    for (ULONG64 i = 0; i < Table->Size / sizeof(Elf64_Rela); i++) {
        Elf64_Rela r;
        ULONG64 value;
        NTSTATUS status;

        RtlCopyMemory(&r, (const UCHAR *)File + Table->Offset + i * sizeof(r), sizeof(r));
        if (ELF64_R_TYPE(r.r_info) == R_X86_64_RELATIVE || ELF64_R_TYPE(r.r_info) == R_X86_64_NONE)
            continue;
        status = LdrpSymbolValue(Name, File, Info, ELF64_R_SYM(r.r_info), 0, Resolve, Context,
                                 &value);
        if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

NTSTATUS LdrCheckImports(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                         PLDR_RESOLVE_ROUTINE Resolve, PVOID Context)
{
    NTSTATUS status;

    status = LdrpCheckTableImports(Name, File, Info, &Info->Rela, Resolve, Context);
    if (NT_SUCCESS(status))
        status = LdrpCheckTableImports(Name, File, Info, &Info->JmpRel, Resolve, Context);
    if (!NT_SUCCESS(status))
        DbgPrint("%s\n", Info->Error);
    return status;
}

VOID LdrCopySegments(const VOID *File, const LDR_IMAGE_INFO *Info, PUCHAR Mapped)
{
    RtlZeroMemory(Mapped, Info->Span);
    for (ULONG i = 0; i < Info->SegmentCount; i++) {
        const LDR_SEGMENT *s = &Info->Segments[i];
        RtlCopyMemory(Mapped + (s->Vaddr - Info->MinVaddr),
                      (const UCHAR *)File + s->FileOffset, s->FileSize);
    }
}

static NTSTATUS LdrpApplyTable(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                               const LDR_FILE_RANGE *Table, PUCHAR Mapped, ULONG64 Bias,
                               PLDR_RESOLVE_ROUTINE Resolve, PVOID Context)
{
    for (ULONG64 i = 0; i < Table->Size / sizeof(Elf64_Rela); i++) {
        Elf64_Rela r;
        ULONG type;
        ULONG64 value = 0, at;
        NTSTATUS status;

        RtlCopyMemory(&r, (const UCHAR *)File + Table->Offset + i * sizeof(r), sizeof(r));
        type = ELF64_R_TYPE(r.r_info);
        if (type == R_X86_64_NONE)
            continue;
        if (r.r_offset < Info->MinVaddr || r.r_offset - Info->MinVaddr > Info->Span - 8 ||
            Info->Span < 8)
            return STATUS_INVALID_IMAGE_FORMAT;
        at = r.r_offset - Info->MinVaddr;
        switch (type) {
        case R_X86_64_RELATIVE:
            value = Bias + (ULONG64)r.r_addend;
            break;
        case R_X86_64_64:
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
            status = LdrpSymbolValue(Name, File, Info, ELF64_R_SYM(r.r_info), Bias, Resolve,
                                     Context, &value);
            if (!NT_SUCCESS(status))
                return status;
            if (type == R_X86_64_64)
                value += (ULONG64)r.r_addend;
            break;
        default:
            return STATUS_INVALID_IMAGE_FORMAT;
        }
        RtlCopyMemory(Mapped + at, &value, sizeof(value));
    }
    return STATUS_SUCCESS;
}

NTSTATUS LdrApplyRelocations(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                             PUCHAR Mapped, ULONG64 RuntimeBase,
                             PLDR_RESOLVE_ROUTINE Resolve, PVOID Context)
{
    /* The bias turns an ELF address into a run-time one. */
    ULONG64 bias = RuntimeBase - Info->MinVaddr;
    NTSTATUS status;

    status = LdrpApplyTable(Name, File, Info, &Info->Rela, Mapped, bias, Resolve, Context);
    if (NT_SUCCESS(status))
        status = LdrpApplyTable(Name, File, Info, &Info->JmpRel, Mapped, bias, Resolve, Context);
    return status;
}
