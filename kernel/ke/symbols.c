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

#define KI_MAX_SYMBOL_IMAGES 64
#define KI_IMAGE_NAME_MAX    32

/* ELF64 layouts and constants (System V gABI, "ELF-64 Object File Format"
 * 1.5): only what the symbol tables need. */
typedef struct _KI_ELF64_EHDR {
    UCHAR Ident[16];
    USHORT Type, Machine;
    ULONG Version;
    ULONG64 Entry, PhOff, ShOff;
    ULONG Flags;
    USHORT EhSize, PhEntSize, PhNum, ShEntSize, ShNum, ShStrNdx;
} KI_ELF64_EHDR;

typedef struct _KI_ELF64_SHDR {
    ULONG Name, Type;
    ULONG64 Flags, Addr, Offset, Size;
    ULONG Link, Info;
    ULONG64 AddrAlign, EntSize;
} KI_ELF64_SHDR;

typedef struct _KI_ELF64_SYM {
    ULONG Name;
    UCHAR Info, Other;
    USHORT Shndx;
    ULONG64 Value, Size;
} KI_ELF64_SYM;

#define KI_ELFCLASS64     2
#define KI_ELFDATA2LSB    1
#define KI_SHT_SYMTAB     2
#define KI_SHT_STRTAB     3
#define KI_SHF_ALLOC      0x2
#define KI_SHN_UNDEF      0
#define KI_SHN_LORESERVE  0xFF00
#define KI_STT_OBJECT     1
#define KI_STT_FUNC       2
#define KI_ELF_ST_TYPE(i) ((i) & 0xF)

_Static_assert(sizeof(KI_ELF64_EHDR) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(KI_ELF64_SHDR) == 64, "ELF64 section header is 64 bytes");
_Static_assert(sizeof(KI_ELF64_SYM) == 24, "ELF64 symbol is 24 bytes");

typedef struct _KSYMBOL_TABLE {
    volatile BOOLEAN InUse;
    CHAR ImageName[KI_IMAGE_NAME_MAX];
    ULONG64 Base, Size, LoadBias;
    const KI_ELF64_SYM *Symbols;
    SIZE_T SymbolCount;
    const CHAR *Strings;
    SIZE_T StringsSize;
} KSYMBOL_TABLE;

static KSYMBOL_TABLE KiSymbolTables[KI_MAX_SYMBOL_IMAGES];

static BOOLEAN KiIsUsefulSymbol(const KI_ELF64_SYM *Sym)
{
    ULONG Type = KI_ELF_ST_TYPE(Sym->Info);
    return (Type == KI_STT_FUNC || Type == KI_STT_OBJECT) && Sym->Size != 0 &&
           Sym->Shndx != KI_SHN_UNDEF;
}

PVOID KeRegisterSymbols(PCSTR ImageName, ULONG64 Base, ULONG64 Size,
                        const VOID *Symtab, SIZE_T SymtabSize,
                        const CHAR *Strtab, SIZE_T StrtabSize, ULONG64 LoadBias)
{
    PCSTR Name = ImageName ? ImageName : "?";

    if (!Symtab || SymtabSize == 0 || SymtabSize % sizeof(KI_ELF64_SYM) != 0 ||
        ((ULONG_PTR)Symtab & 7) != 0) {
        DbgPrint("ke: symbols of %s refused: symbol table size %llu not a multiple of %u "
                 "or misaligned\n", Name, (unsigned long long)SymtabSize,
                 (ULONG)sizeof(KI_ELF64_SYM));
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

    const KI_ELF64_SYM *Symbols = Symtab;
    SIZE_T Count = SymtabSize / sizeof(KI_ELF64_SYM);
    for (SIZE_T i = 0; i < Count; i++) {
        if (Symbols[i].Name >= StrtabSize) {
            DbgPrint("ke: symbols of %s refused: symbol %llu names offset %u beyond the "
                     "%llu-byte string table\n", Name, (unsigned long long)i, Symbols[i].Name,
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

        const KI_ELF64_SYM *Best = NULL;
        ULONG64 BestValue = 0;
        for (SIZE_T i = 0; i < Table->SymbolCount; i++) {
            const KI_ELF64_SYM *Sym = &Table->Symbols[i];
            if (!KiIsUsefulSymbol(Sym))
                continue;
            ULONG64 Value = Sym->Value + Table->LoadBias;
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
        return Table->Strings + Best->Name;
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
    KI_ELF64_EHDR Ehdr;

    if (!File || Size < sizeof(Ehdr)) {
        KiRefuseKernelSymbols("file missing or shorter than an ELF header");
        return;
    }
    RtlCopyMemory(&Ehdr, File, sizeof(Ehdr));
    if (Ehdr.Ident[0] != 0x7F || Ehdr.Ident[1] != 'E' || Ehdr.Ident[2] != 'L' ||
        Ehdr.Ident[3] != 'F') {
        KiRefuseKernelSymbols("no ELF magic");
        return;
    }
    if (Ehdr.Ident[4] != KI_ELFCLASS64 || Ehdr.Ident[5] != KI_ELFDATA2LSB) {
        KiRefuseKernelSymbols("not ELF64 little-endian");
        return;
    }
    if (Ehdr.ShEntSize != sizeof(KI_ELF64_SHDR) || Ehdr.ShNum == 0 ||
        Ehdr.ShNum >= KI_SHN_LORESERVE ||
        !KiRangeInFile(Ehdr.ShOff, (ULONG64)Ehdr.ShNum * sizeof(KI_ELF64_SHDR), Size)) {
        KiRefuseKernelSymbols("section header table malformed or outside the file");
        return;
    }

    const UCHAR *Sections = File + Ehdr.ShOff;
    KI_ELF64_SHDR Symtab = { 0 }, Strtab, Shdr;
    BOOLEAN HaveSymtab = FALSE;
    ULONG64 Low = ~0ULL, High = 0;
    for (ULONG i = 0; i < Ehdr.ShNum; i++) {
        RtlCopyMemory(&Shdr, Sections + (SIZE_T)i * sizeof(Shdr), sizeof(Shdr));
        if (Shdr.Type == KI_SHT_SYMTAB && !HaveSymtab) {
            Symtab = Shdr;
            HaveSymtab = TRUE;
        }
        if ((Shdr.Flags & KI_SHF_ALLOC) && Shdr.Size && Shdr.Addr) {
            if (Shdr.Addr + Shdr.Size < Shdr.Addr) {
                KiRefuseKernelSymbols("a loaded section's address range wraps");
                return;
            }
            if (Shdr.Addr < Low)
                Low = Shdr.Addr;
            if (Shdr.Addr + Shdr.Size > High)
                High = Shdr.Addr + Shdr.Size;
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
    if (Symtab.EntSize != sizeof(KI_ELF64_SYM) || Symtab.Size % sizeof(KI_ELF64_SYM) ||
        !KiRangeInFile(Symtab.Offset, Symtab.Size, Size)) {
        KiRefuseKernelSymbols(".symtab entry size wrong or outside the file");
        return;
    }
    if (Symtab.Link == 0 || Symtab.Link >= Ehdr.ShNum) {
        KiRefuseKernelSymbols(".symtab's string table index out of range");
        return;
    }
    RtlCopyMemory(&Strtab, Sections + (SIZE_T)Symtab.Link * sizeof(Strtab), sizeof(Strtab));
    if (Strtab.Type != KI_SHT_STRTAB || !KiRangeInFile(Strtab.Offset, Strtab.Size, Size)) {
        KiRefuseKernelSymbols(".strtab not a string table or outside the file");
        return;
    }

    /* KeRegisterSymbols checks alignment, termination and every name. */
    PVOID Handle = KeRegisterSymbols("ntoskrnl", Low, High - Low, File + Symtab.Offset,
                                     Symtab.Size, (const CHAR *)(File + Strtab.Offset),
                                     Strtab.Size, 0);
    if (!Handle) {
        KiRefuseKernelSymbols("symbol table malformed");
        return;
    }
    DbgPrint("ke: kernel symbols: %llu entries, image 0x%llx-0x%llx\n",
             (unsigned long long)(Symtab.Size / sizeof(KI_ELF64_SYM)),
             (unsigned long long)Low, (unsigned long long)High);
}
