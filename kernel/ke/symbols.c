/* symbols.c - address -> name lookup for backtraces, over the ELF64 symbol
 * tables of the kernel (read from its own \ntstor\kernel.elf boot file) and
 * of each loaded driver image (kernel/ldr registers them).
 *
 * Images live in a fixed table so a bug check can look up names without
 * the pool.  Lookups scan linearly: they happen only on the stop screen and
 * in diagnostics, and a kernel has a few thousand symbols.  A slot is filled
 * completely before it is marked in use, and marked unused before it is
 * reused, so a lookup from an interrupt never sees half an entry. */
#include "ki.h"
#include <elf64.h>

#define KI_MAX_SYMBOL_IMAGES 64
#define KI_IMAGE_NAME_MAX    32

typedef struct _KSYMBOL_TABLE {
    volatile BOOLEAN InUse;
    CHAR ImageName[KI_IMAGE_NAME_MAX];
    ULONG64 Base, Size, LoadBias;
    const Elf64_Sym *Symbols;
    SIZE_T SymbolCount;
    const CHAR *Strings;
    SIZE_T StringsSize;
} KSYMBOL_TABLE;

static KSYMBOL_TABLE KiSymbolTables[KI_MAX_SYMBOL_IMAGES];

static BOOLEAN KiIsUsefulSymbol(const Elf64_Sym *Sym)
{
    ULONG Type = ELF64_ST_TYPE(Sym->st_info);
    return (Type == STT_FUNC || Type == STT_OBJECT) && Sym->st_size != 0 &&
           Sym->st_shndx != SHN_UNDEF;
}

PVOID KeRegisterSymbols(PCSTR ImageName, ULONG64 Base, ULONG64 Size,
                        const VOID *Symtab, SIZE_T SymtabSize,
                        const CHAR *Strtab, SIZE_T StrtabSize, ULONG64 LoadBias)
{
    PCSTR Name = ImageName ? ImageName : "?";

    if (!Symtab || SymtabSize == 0 || SymtabSize % sizeof(Elf64_Sym) != 0 ||
        ((ULONG_PTR)Symtab & 7) != 0) {
        DbgPrint("ke: symbols of %s refused: symbol table size %llu not a multiple of %u "
                 "or misaligned\n", Name, (unsigned long long)SymtabSize,
                 (ULONG)sizeof(Elf64_Sym));
        return NULL;
    }
    /* A NUL at the end means every in-bounds name offset ends in bounds. */
    if (!Strtab || StrtabSize == 0 || Strtab[StrtabSize - 1] != 0) {
        DbgPrint("ke: symbols of %s refused: string table missing or not NUL-terminated\n", Name);
        return NULL;
    }
    if (Base + Size < Base) {
        DbgPrint("ke: symbols of %s refused: image range wraps\n", Name);
        return NULL;
    }

    const Elf64_Sym *Symbols = Symtab;
    SIZE_T Count = SymtabSize / sizeof(Elf64_Sym);
    for (SIZE_T i = 0; i < Count; i++) {
        if (Symbols[i].st_name >= StrtabSize) {
            DbgPrint("ke: symbols of %s refused: symbol %llu names offset %u beyond the "
                     "%llu-byte string table\n", Name, (unsigned long long)i, Symbols[i].st_name,
                     (unsigned long long)StrtabSize);
            return NULL;
        }
    }

    ULONG64 Flags = KiDisableInterrupts();
    KSYMBOL_TABLE *Table = NULL;
    for (ULONG i = 0; i < KI_MAX_SYMBOL_IMAGES; i++) {
        if (!KiSymbolTables[i].InUse) {
            Table = &KiSymbolTables[i];
            break;
        }
    }
    if (!Table) {
        KiRestoreInterrupts(Flags);
        DbgPrint("ke: symbols of %s refused: all %u image slots in use\n", Name,
                 KI_MAX_SYMBOL_IMAGES);
        return NULL;
    }
    SIZE_T n = 0;
    for (; n + 1 < KI_IMAGE_NAME_MAX && Name[n]; n++)
        Table->ImageName[n] = Name[n];
    Table->ImageName[n] = 0;
    Table->Base = Base;
    Table->Size = Size;
    Table->LoadBias = LoadBias;
    Table->Symbols = Symbols;
    Table->SymbolCount = Count;
    Table->Strings = Strtab;
    Table->StringsSize = StrtabSize;
    __atomic_store_n(&Table->InUse, TRUE, __ATOMIC_RELEASE);
    KiRestoreInterrupts(Flags);
    return Table;
}

VOID KeUnregisterSymbols(PVOID Handle)
{
    KSYMBOL_TABLE *Table = Handle;
    if (Table < &KiSymbolTables[0] || Table >= &KiSymbolTables[KI_MAX_SYMBOL_IMAGES] ||
        !Table->InUse) {
        DbgPrint("ke: KeUnregisterSymbols(%p): not a registered table, ignored\n", Handle);
        return;
    }
    __atomic_store_n(&Table->InUse, FALSE, __ATOMIC_RELEASE);
}

PCSTR KeLookupSymbol(ULONG64 Address, PULONG64 Offset, PCSTR *ImageName)
{
    for (ULONG t = 0; t < KI_MAX_SYMBOL_IMAGES; t++) {
        const KSYMBOL_TABLE *Table = &KiSymbolTables[t];
        if (!__atomic_load_n(&Table->InUse, __ATOMIC_ACQUIRE))
            continue;
        if (Address < Table->Base || Address - Table->Base >= Table->Size)
            continue;

        const Elf64_Sym *Best = NULL;
        ULONG64 BestValue = 0;
        for (SIZE_T i = 0; i < Table->SymbolCount; i++) {
            const Elf64_Sym *Sym = &Table->Symbols[i];
            if (!KiIsUsefulSymbol(Sym))
                continue;
            ULONG64 Value = Sym->st_value + Table->LoadBias;
            if (Value > Address)
                continue;
            if (!Best || Value > BestValue) {
                Best = Sym;
                BestValue = Value;
            }
        }
        if (!Best)
            continue;
        if (Offset)
            *Offset = Address - BestValue;
        if (ImageName)
            *ImageName = Table->ImageName;
        return Table->Strings + Best->st_name;
    }
    return NULL;
}

/* ---- the kernel's own ELF file ---- */

static BOOLEAN KiRangeInFile(ULONG64 Offset, ULONG64 Length, SIZE_T FileSize)
{
    return Offset <= FileSize && Length <= FileSize - Offset;
}

static VOID KiRefuseKernelSymbols(PCSTR Why)
{
    DbgPrint("ke: kernel.elf symbols not loaded: %s; backtraces show bare addresses\n", Why);
}

VOID KiRegisterKernelSymbols(const VOID *ElfFile, SIZE_T Size)
{
    const UCHAR *File = ElfFile;
    Elf64_Ehdr Ehdr;

    if (!File || Size < sizeof(Ehdr)) {
        KiRefuseKernelSymbols("file missing or shorter than an ELF header");
        return;
    }
    RtlCopyMemory(&Ehdr, File, sizeof(Ehdr));
    if (Ehdr.e_ident[0] != 0x7F || Ehdr.e_ident[1] != 'E' || Ehdr.e_ident[2] != 'L' ||
        Ehdr.e_ident[3] != 'F') {
        KiRefuseKernelSymbols("no ELF magic");
        return;
    }
    if (Ehdr.e_ident[4] != ELFCLASS64 || Ehdr.e_ident[5] != ELFDATA2LSB) {
        KiRefuseKernelSymbols("not ELF64 little-endian");
        return;
    }
    if (Ehdr.e_shentsize != sizeof(Elf64_Shdr) || Ehdr.e_shnum == 0 ||
        Ehdr.e_shnum >= SHN_LORESERVE ||
        !KiRangeInFile(Ehdr.e_shoff, (ULONG64)Ehdr.e_shnum * sizeof(Elf64_Shdr), Size)) {
        KiRefuseKernelSymbols("section header table malformed or outside the file");
        return;
    }

    const UCHAR *Sections = File + Ehdr.e_shoff;
    Elf64_Shdr Symtab = { 0 }, Strtab, Shdr;
    BOOLEAN HaveSymtab = FALSE;
    ULONG64 Low = ~0ULL, High = 0;
    for (ULONG i = 0; i < Ehdr.e_shnum; i++) {
        RtlCopyMemory(&Shdr, Sections + (SIZE_T)i * sizeof(Shdr), sizeof(Shdr));
        if (Shdr.sh_type == SHT_SYMTAB && !HaveSymtab) {
            Symtab = Shdr;
            HaveSymtab = TRUE;
        }
        if ((Shdr.sh_flags & SHF_ALLOC) && Shdr.sh_size && Shdr.sh_addr) {
            if (Shdr.sh_addr + Shdr.sh_size < Shdr.sh_addr) {
                KiRefuseKernelSymbols("a loaded section's address range wraps");
                return;
            }
            if (Shdr.sh_addr < Low)
                Low = Shdr.sh_addr;
            if (Shdr.sh_addr + Shdr.sh_size > High)
                High = Shdr.sh_addr + Shdr.sh_size;
        }
    }
    if (!HaveSymtab) {
        KiRefuseKernelSymbols("no .symtab (stripped?)");
        return;
    }
    if (High <= Low) {
        KiRefuseKernelSymbols("no loaded sections");
        return;
    }
    if (Symtab.sh_entsize != sizeof(Elf64_Sym) || Symtab.sh_size % sizeof(Elf64_Sym) ||
        !KiRangeInFile(Symtab.sh_offset, Symtab.sh_size, Size)) {
        KiRefuseKernelSymbols(".symtab entry size wrong or outside the file");
        return;
    }
    if (Symtab.sh_link == 0 || Symtab.sh_link >= Ehdr.e_shnum) {
        KiRefuseKernelSymbols(".symtab's string table index out of range");
        return;
    }
    RtlCopyMemory(&Strtab, Sections + (SIZE_T)Symtab.sh_link * sizeof(Strtab), sizeof(Strtab));
    if (Strtab.sh_type != SHT_STRTAB || !KiRangeInFile(Strtab.sh_offset, Strtab.sh_size, Size)) {
        KiRefuseKernelSymbols(".strtab not a string table or outside the file");
        return;
    }

    /* KeRegisterSymbols checks alignment, termination and every name. */
    PVOID Handle = KeRegisterSymbols("ntoskrnl", Low, High - Low, File + Symtab.sh_offset,
                                     Symtab.sh_size, (const CHAR *)(File + Strtab.sh_offset),
                                     Strtab.sh_size, 0);
    if (!Handle) {
        KiRefuseKernelSymbols("symbol table malformed");
        return;
    }
    DbgPrint("ke: kernel symbols: %llu entries, image 0x%llx-0x%llx\n",
             (unsigned long long)(Symtab.sh_size / sizeof(Elf64_Sym)),
             (unsigned long long)Low, (unsigned long long)High);
}
