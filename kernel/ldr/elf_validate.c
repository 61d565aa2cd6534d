/* elf_validate.c - checks a driver image file before anything is mapped.
 *
 * Pure: reads only the bytes it is given, allocates nothing, so the host
 * unit tests and the fuzzer (tests/fuzz/fuzz_ldr.c) run it as is.  Every
 * offset, size and index is checked against the file (or the table that
 * holds it) before it is used; every sum is checked for overflow.  The
 * references are the System V gABI (program headers, dynamic section, hash
 * tables, symbols) and the x86-64 psABI (relocation types).
 *
 * The first problem found is the refusal: one line in Info->Error,
 * "ldr: <image>: <culprit>", also sent to the kernel log. */
#include <ntos.h>
#include <ldr.h>
#include <elf64.h>

typedef struct _LDRP_CHECK {
    PCSTR Name;
    const UCHAR *File;
    ULONG64 FileSize;
    PLDR_IMAGE_INFO Info;
} LDRP_CHECK;

__attribute__((format(printf, 3, 4)))
static NTSTATUS LdrpRefuse(LDRP_CHECK *c, NTSTATUS Status, PCSTR Format, ...)
{
    char why[LDR_ERROR_MAX];
    va_list ap;

    va_start(ap, Format);
    RtlStringCbVPrintfA(why, sizeof(why), Format, ap);
    va_end(ap);
    RtlStringCbPrintfA(c->Info->Error, sizeof(c->Info->Error), "ldr: %s: %s", c->Name, why);
    DbgPrint("%s\n", c->Info->Error);
    return Status;
}

/* [Offset, Offset+Size) lies inside the file. */
static BOOLEAN LdrpInFile(const LDRP_CHECK *c, ULONG64 Offset, ULONG64 Size)
{
    return Offset <= c->FileSize && Size <= c->FileSize - Offset;
}

/* Translates the ELF address range [Vaddr, Vaddr+Size) to a file offset: the
 * range must lie inside the file-backed part of one PT_LOAD segment (tables
 * the loader reads from the file must really be in the file, and must be
 * loaded so they are what the image itself sees).  FALSE if not. */
static BOOLEAN LdrpVaddrToFile(const LDRP_CHECK *c, ULONG64 Vaddr, ULONG64 Size, ULONG64 *Offset)
{
    const LDR_IMAGE_INFO *info = c->Info;

    for (ULONG i = 0; i < info->SegmentCount; i++) {
        const LDR_SEGMENT *s = &info->Segments[i];
        if (Vaddr < s->Vaddr || Vaddr - s->Vaddr > s->FileSize)
            continue;
        if (Size > s->FileSize - (Vaddr - s->Vaddr))
            continue;
        *Offset = s->FileOffset + (Vaddr - s->Vaddr);
        return TRUE;
    }
    return FALSE;
}

/* The segment whose memory holds [Vaddr, Vaddr+Size), or NULL. */
static const LDR_SEGMENT *LdrpSegmentAt(const LDR_IMAGE_INFO *Info, ULONG64 Vaddr, ULONG64 Size)
{
    for (ULONG i = 0; i < Info->SegmentCount; i++) {
        const LDR_SEGMENT *s = &Info->Segments[i];
        if (Vaddr >= s->Vaddr && Vaddr - s->Vaddr <= s->MemSize &&
            Size <= s->MemSize - (Vaddr - s->Vaddr))
            return s;
    }
    return NULL;
}

static ULONG LdrpRead32(const UCHAR *p)
{
    ULONG v;
    RtlCopyMemory(&v, p, sizeof(v));
    return v;
}

static NTSTATUS LdrpCheckHeader(LDRP_CHECK *c, Elf64_Ehdr *Eh)
{
    if (c->FileSize < sizeof(Elf64_Ehdr))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "file is %llu bytes, smaller than an ELF header (64 bytes)",
                          (unsigned long long)c->FileSize);
    RtlCopyMemory(Eh, c->File, sizeof(*Eh));
    if (Eh->e_ident[0] != 0x7f || Eh->e_ident[1] != 'E' || Eh->e_ident[2] != 'L' ||
        Eh->e_ident[3] != 'F')
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "no ELF magic (starts %02x %02x %02x %02x)",
                          Eh->e_ident[0], Eh->e_ident[1], Eh->e_ident[2], Eh->e_ident[3]);
    if (Eh->e_ident[EI_CLASS] != ELFCLASS64)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "EI_CLASS %u is not ELFCLASS64",
                          Eh->e_ident[EI_CLASS]);
    if (Eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "EI_DATA %u is not little-endian",
                          Eh->e_ident[EI_DATA]);
    if (Eh->e_ident[EI_VERSION] != EV_CURRENT || Eh->e_version != EV_CURRENT)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "ELF version %u/%u is not 1",
                          Eh->e_ident[EI_VERSION], Eh->e_version);
    if (Eh->e_type != ET_DYN)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "e_type %u is not ET_DYN (link with -shared)", Eh->e_type);
    if (Eh->e_machine != EM_X86_64)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "e_machine %u is not x86-64 (62)",
                          Eh->e_machine);
    if (Eh->e_ehsize < sizeof(Elf64_Ehdr))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "e_ehsize %u is smaller than 64",
                          Eh->e_ehsize);
    if (Eh->e_phentsize != sizeof(Elf64_Phdr))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "e_phentsize %u is not 56",
                          Eh->e_phentsize);
    if (Eh->e_phnum == 0 || Eh->e_phnum > LDR_MAX_PHDRS)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "e_phnum %u is not 1..%u",
                          Eh->e_phnum, LDR_MAX_PHDRS);
    if (!LdrpInFile(c, Eh->e_phoff, (ULONG64)Eh->e_phnum * sizeof(Elf64_Phdr)))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "e_phoff 0x%llx (%u headers) beyond end of file (%llu bytes)",
                          (unsigned long long)Eh->e_phoff, Eh->e_phnum,
                          (unsigned long long)c->FileSize);
    if (Eh->e_phoff % 8)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "e_phoff 0x%llx is not 8-byte aligned",
                          (unsigned long long)Eh->e_phoff);
    return STATUS_SUCCESS;
}

static ULONG LdrpProtFromFlags(ULONG Flags)
{
    ULONG prot = MM_PROT_READ;
    if (Flags & PF_W)
        prot |= MM_PROT_WRITE;
    if (Flags & PF_X)
        prot |= MM_PROT_EXEC;
    return prot;
}

/* PT_LOAD rules: filesz <= memsz, file part inside the file, address and
 * offset congruent modulo the page size (so the file can be copied page by
 * page), ascending and not sharing a page with the previous segment (each
 * page gets one protection), never writable and executable, total span
 * bounded. */
static NTSTATUS LdrpCheckLoad(LDRP_CHECK *c, ULONG Index, const Elf64_Phdr *Ph)
{
    PLDR_IMAGE_INFO info = c->Info;
    LDR_SEGMENT *seg;

    if (Ph->p_memsz == 0)
        return STATUS_SUCCESS;  /* occupies nothing */
    if (info->SegmentCount == LDR_MAX_SEGMENTS)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "more than %u PT_LOAD segments",
                          LDR_MAX_SEGMENTS);
    if (Ph->p_filesz > Ph->p_memsz)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u p_filesz 0x%llx exceeds p_memsz 0x%llx", Index,
                          (unsigned long long)Ph->p_filesz, (unsigned long long)Ph->p_memsz);
    if (!LdrpInFile(c, Ph->p_offset, Ph->p_filesz))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u p_offset 0x%llx + p_filesz 0x%llx beyond end of file (%llu bytes)",
                          Index, (unsigned long long)Ph->p_offset,
                          (unsigned long long)Ph->p_filesz, (unsigned long long)c->FileSize);
    if (Ph->p_align < PAGE_SIZE || (Ph->p_align & (Ph->p_align - 1)))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u p_align 0x%llx is not a power of two >= page size", Index,
                          (unsigned long long)Ph->p_align);
    if ((Ph->p_vaddr - Ph->p_offset) % PAGE_SIZE)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u p_vaddr 0x%llx and p_offset 0x%llx differ modulo the page size",
                          Index, (unsigned long long)Ph->p_vaddr, (unsigned long long)Ph->p_offset);
    if (Ph->p_vaddr > LDR_MAX_IMAGE_SPAN || Ph->p_memsz > LDR_MAX_IMAGE_SPAN ||
        Ph->p_vaddr + Ph->p_memsz > LDR_MAX_IMAGE_SPAN)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u at 0x%llx size 0x%llx beyond the %llu MiB image limit", Index,
                          (unsigned long long)Ph->p_vaddr, (unsigned long long)Ph->p_memsz,
                          LDR_MAX_IMAGE_SPAN >> 20);
    if ((Ph->p_flags & PF_W) && (Ph->p_flags & PF_X))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_LOAD %u at 0x%llx is writable and executable", Index,
                          (unsigned long long)Ph->p_vaddr);
    if (info->SegmentCount > 0) {
        const LDR_SEGMENT *prev = &info->Segments[info->SegmentCount - 1];
        ULONG64 prevEnd = ALIGN_UP_BY(prev->Vaddr + prev->MemSize, PAGE_SIZE);
        if (ALIGN_DOWN_BY(Ph->p_vaddr, PAGE_SIZE) < prevEnd)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "PT_LOAD %u at 0x%llx overlaps the previous segment (ends 0x%llx) or shares its page",
                              Index, (unsigned long long)Ph->p_vaddr,
                              (unsigned long long)(prev->Vaddr + prev->MemSize));
    }
    seg = &info->Segments[info->SegmentCount++];
    seg->Vaddr = Ph->p_vaddr;
    seg->MemSize = Ph->p_memsz;
    seg->FileOffset = Ph->p_offset;
    seg->FileSize = Ph->p_filesz;
    seg->Prot = LdrpProtFromFlags(Ph->p_flags);
    return STATUS_SUCCESS;
}

static NTSTATUS LdrpCheckProgramHeaders(LDRP_CHECK *c, const Elf64_Ehdr *Eh, Elf64_Phdr *Dynamic)
{
    PLDR_IMAGE_INFO info = c->Info;
    BOOLEAN haveDynamic = FALSE;
    NTSTATUS status;

    for (ULONG i = 0; i < Eh->e_phnum; i++) {
        Elf64_Phdr ph;
        RtlCopyMemory(&ph, c->File + Eh->e_phoff + (ULONG64)i * sizeof(ph), sizeof(ph));
        switch (ph.p_type) {
        case PT_LOAD:
            status = LdrpCheckLoad(c, info->SegmentCount, &ph);
            if (!NT_SUCCESS(status))
                return status;
            break;
        case PT_DYNAMIC:
            if (haveDynamic)
                return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "more than one PT_DYNAMIC");
            haveDynamic = TRUE;
            *Dynamic = ph;
            break;
        case PT_GNU_RELRO:
            info->RelroVaddr = ph.p_vaddr;
            info->RelroSize = ph.p_memsz;
            break;
        case PT_INTERP:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has PT_INTERP (a user-space program, not a driver)");
        case PT_TLS:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has PT_TLS (thread-local storage is not supported)");
        default:
            break;  /* notes, stack flags, eh_frame_hdr: nothing to load */
        }
    }
    if (info->SegmentCount == 0)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "no PT_LOAD segment");
    if (!haveDynamic)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "no PT_DYNAMIC (not a shared object; link with -shared)");

    info->MinVaddr = ALIGN_DOWN_BY(info->Segments[0].Vaddr, PAGE_SIZE);
    {
        const LDR_SEGMENT *last = &info->Segments[info->SegmentCount - 1];
        info->Span = ALIGN_UP_BY(last->Vaddr + last->MemSize, PAGE_SIZE) - info->MinVaddr;
    }

    /* RELRO must lie inside one writable segment's memory, or it is ignored
     * (it only tightens protection, it is never required). */
    if (info->RelroSize) {
        /* ld may round the RELRO end up to a page boundary past the
         * segment's last byte; protection is page-granular anyway, so the
         * segment's page-rounded end is the limit. */
        const LDR_SEGMENT *s = NULL;
        for (ULONG i = 0; i < info->SegmentCount; i++) {
            const LDR_SEGMENT *t = &info->Segments[i];
            ULONG64 end = ALIGN_UP_BY(t->Vaddr + t->MemSize, PAGE_SIZE);
            if (info->RelroVaddr >= t->Vaddr && info->RelroVaddr <= end &&
                info->RelroSize <= end - info->RelroVaddr)
                s = t;
        }
        if (s == NULL || !(s->Prot & MM_PROT_WRITE))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "PT_GNU_RELRO 0x%llx+0x%llx is not inside a writable segment",
                              (unsigned long long)info->RelroVaddr,
                              (unsigned long long)info->RelroSize);
    }

    if (Dynamic->p_filesz == 0 || Dynamic->p_filesz % sizeof(Elf64_Dyn) ||
        !LdrpInFile(c, Dynamic->p_offset, Dynamic->p_filesz))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "PT_DYNAMIC offset 0x%llx size 0x%llx not a whole table inside the file (%llu bytes)",
                          (unsigned long long)Dynamic->p_offset,
                          (unsigned long long)Dynamic->p_filesz, (unsigned long long)c->FileSize);
    {
        ULONG64 off;
        if (!LdrpVaddrToFile(c, Dynamic->p_vaddr, Dynamic->p_filesz, &off) ||
            off != Dynamic->p_offset)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "PT_DYNAMIC at 0x%llx is not inside a loaded segment",
                              (unsigned long long)Dynamic->p_vaddr);
    }
    return STATUS_SUCCESS;
}

/* The dynamic entries the loader needs, gathered before they are checked. */
typedef struct _LDRP_DYNAMIC {
    ULONG64 Value[DT_RELR + 1];
    BOOLEAN Present[DT_RELR + 1];
    ULONG64 GnuHash;
    BOOLEAN HaveGnuHash;
} LDRP_DYNAMIC;

static NTSTATUS LdrpReadDynamic(LDRP_CHECK *c, const Elf64_Phdr *Dynamic, LDRP_DYNAMIC *d)
{
    ULONG64 count = Dynamic->p_filesz / sizeof(Elf64_Dyn);

    RtlZeroMemory(d, sizeof(*d));
    for (ULONG64 i = 0; i < count; i++) {
        Elf64_Dyn dyn;
        RtlCopyMemory(&dyn, c->File + Dynamic->p_offset + i * sizeof(dyn), sizeof(dyn));
        if (dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag == DT_GNU_HASH) {
            d->GnuHash = dyn.d_val;
            d->HaveGnuHash = TRUE;
            continue;
        }
        if (dyn.d_tag < 0 || dyn.d_tag > DT_RELR)
            continue;   /* flags, version tables, counts: not needed to load */
        switch (dyn.d_tag) {
        case DT_NEEDED: {
            /* The name is only printable once DT_STRTAB is known; refusing
             * here with the offset is enough to find it with readelf. */
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "needs a shared library (DT_NEEDED, name at dynstr+0x%llx); drivers bind to kernel exports only",
                              (unsigned long long)dyn.d_val);
        }
        case DT_TEXTREL:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has text relocations (DT_TEXTREL); build with -fPIC");
        case DT_REL:
        case DT_RELSZ:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has REL relocations (DT_REL); x86-64 images use RELA");
        case DT_RELR:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has packed DT_RELR relocations (link without -z pack-relative-relocs)");
        case DT_INIT:
        case DT_FINI:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "has DT_INIT/DT_FINI (constructors are not run; use DriverEntry)");
        case DT_INIT_ARRAYSZ:
        case DT_PREINIT_ARRAYSZ:
            if (dyn.d_val != 0)
                return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                                  "has %llu bytes of constructors (DT_INIT_ARRAY); they are not run",
                                  (unsigned long long)dyn.d_val);
            break;
        default:
            break;
        }
        if (d->Present[dyn.d_tag] && d->Value[dyn.d_tag] != dyn.d_val &&
            (dyn.d_tag == DT_SYMTAB || dyn.d_tag == DT_STRTAB || dyn.d_tag == DT_RELA ||
             dyn.d_tag == DT_JMPREL || dyn.d_tag == DT_HASH))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "dynamic tag %lld appears twice with different values",
                              (long long)dyn.d_tag);
        d->Present[dyn.d_tag] = TRUE;
        d->Value[dyn.d_tag] = dyn.d_val;
    }
    return STATUS_SUCCESS;
}

/* Symbol count from DT_HASH (nchain, gABI "Hash Table") or, failing that,
 * DT_GNU_HASH (one past the highest index any bucket chain reaches). */
static NTSTATUS LdrpSymbolCount(LDRP_CHECK *c, const LDRP_DYNAMIC *d, ULONG *Count)
{
    ULONG64 off;

    if (d->Present[DT_HASH]) {
        ULONG nbucket, nchain;
        if (!LdrpVaddrToFile(c, d->Value[DT_HASH], 8, &off))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_HASH 0x%llx is not inside a loaded segment",
                              (unsigned long long)d->Value[DT_HASH]);
        nbucket = LdrpRead32(c->File + off);
        nchain = LdrpRead32(c->File + off + 4);
        if (!LdrpVaddrToFile(c, d->Value[DT_HASH], 8 + 4ULL * nbucket + 4ULL * nchain, &off))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_HASH table (%u buckets, %u chains) runs past its segment",
                              nbucket, nchain);
        *Count = nchain;
        return STATUS_SUCCESS;
    }
    if (d->HaveGnuHash) {
        ULONG nbuckets, symoffset, bloomSize;
        ULONG64 bucketsOff, maxIndex = 0;
        if (!LdrpVaddrToFile(c, d->GnuHash, 16, &off))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_GNU_HASH 0x%llx is not inside a loaded segment",
                              (unsigned long long)d->GnuHash);
        nbuckets = LdrpRead32(c->File + off);
        symoffset = LdrpRead32(c->File + off + 4);
        bloomSize = LdrpRead32(c->File + off + 8);
        if (nbuckets > LDR_MAX_SYMBOLS || bloomSize > LDR_MAX_SYMBOLS ||
            !LdrpVaddrToFile(c, d->GnuHash, 16 + 8ULL * bloomSize + 4ULL * nbuckets, &off))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_GNU_HASH table (%u buckets, %u bloom words) runs past its segment",
                              nbuckets, bloomSize);
        bucketsOff = off + 16 + 8ULL * bloomSize;
        for (ULONG b = 0; b < nbuckets; b++) {
            ULONG v = LdrpRead32(c->File + bucketsOff + 4ULL * b);
            if (v > maxIndex)
                maxIndex = v;
        }
        if (maxIndex == 0) {
            *Count = symoffset;
            return STATUS_SUCCESS;
        }
        if (maxIndex < symoffset || maxIndex > LDR_MAX_SYMBOLS)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_GNU_HASH bucket names symbol %llu (symoffset %u)",
                              (unsigned long long)maxIndex, symoffset);
        /* Walk the last chain to its end marker (low bit set). */
        for (;;) {
            ULONG64 chainVa = d->GnuHash + 16 + 8ULL * bloomSize + 4ULL * nbuckets +
                              4ULL * (maxIndex - symoffset);
            if (!LdrpVaddrToFile(c, chainVa, 4, &off))
                return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                                  "DT_GNU_HASH chain for symbol %llu runs past its segment",
                                  (unsigned long long)maxIndex);
            if (LdrpRead32(c->File + off) & 1)
                break;
            if (++maxIndex > LDR_MAX_SYMBOLS)
                return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                                  "DT_GNU_HASH chain has no end before %u symbols", LDR_MAX_SYMBOLS);
        }
        *Count = (ULONG)(maxIndex + 1);
        return STATUS_SUCCESS;
    }
    return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                      "neither DT_HASH nor DT_GNU_HASH (symbol count unknown)");
}

static const Elf64_Sym *LdrpSym(const LDRP_CHECK *c, ULONG Index, Elf64_Sym *Copy)
{
    RtlCopyMemory(Copy, c->File + c->Info->DynSym.Offset + (ULONG64)Index * sizeof(*Copy),
                  sizeof(*Copy));
    return Copy;
}

static PCSTR LdrpSymName(const LDRP_CHECK *c, const Elf64_Sym *Sym)
{
    return (PCSTR)(c->File + c->Info->DynStr.Offset + Sym->st_name);
}

static NTSTATUS LdrpCheckSymbols(LDRP_CHECK *c, const LDRP_DYNAMIC *d)
{
    PLDR_IMAGE_INFO info = c->Info;
    ULONG64 off;
    NTSTATUS status;
    ULONG count = 0;

    if (!d->Present[DT_SYMTAB] || !d->Present[DT_STRTAB] || !d->Present[DT_STRSZ])
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "DT_SYMTAB, DT_STRTAB or DT_STRSZ missing");
    if (d->Present[DT_SYMENT] && d->Value[DT_SYMENT] != sizeof(Elf64_Sym))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "DT_SYMENT %llu is not 24",
                          (unsigned long long)d->Value[DT_SYMENT]);

    /* The string table must end with NUL, so any in-range st_name is a
     * terminated string. */
    if (d->Value[DT_STRSZ] == 0 ||
        !LdrpVaddrToFile(c, d->Value[DT_STRTAB], d->Value[DT_STRSZ], &off))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "DT_STRTAB 0x%llx size %llu is not inside a loaded segment",
                          (unsigned long long)d->Value[DT_STRTAB],
                          (unsigned long long)d->Value[DT_STRSZ]);
    if (c->File[off + d->Value[DT_STRSZ] - 1] != 0)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "DT_STRTAB does not end with NUL (last of %llu bytes is 0x%02x)",
                          (unsigned long long)d->Value[DT_STRSZ],
                          c->File[off + d->Value[DT_STRSZ] - 1]);
    info->DynStr.Offset = off;
    info->DynStr.Size = d->Value[DT_STRSZ];

    status = LdrpSymbolCount(c, d, &count);
    if (!NT_SUCCESS(status))
        return status;
    if (count == 0 || count > LDR_MAX_SYMBOLS)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "symbol count %u is not 1..%u",
                          count, LDR_MAX_SYMBOLS);
    if (!LdrpVaddrToFile(c, d->Value[DT_SYMTAB], (ULONG64)count * sizeof(Elf64_Sym), &off))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "DT_SYMTAB 0x%llx with %u symbols is not inside a loaded segment",
                          (unsigned long long)d->Value[DT_SYMTAB], count);
    if (off % 8)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "DT_SYMTAB 0x%llx is not 8-byte aligned",
                          (unsigned long long)d->Value[DT_SYMTAB]);
    info->DynSym.Offset = off;
    info->DynSym.Size = (ULONG64)count * sizeof(Elf64_Sym);
    info->SymbolCount = count;

    for (ULONG i = 0; i < count; i++) {
        Elf64_Sym sym;
        LdrpSym(c, i, &sym);
        if (sym.st_name >= info->DynStr.Size)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "symbol %u name offset 0x%x beyond DT_STRTAB (%llu bytes)", i,
                              sym.st_name, (unsigned long long)info->DynStr.Size);
        if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || i == 0)
            continue;
        /* A defined symbol's address must lie in the image (its end may be
         * the image's end, e.g. a linker-defined _end). */
        if (sym.st_value < info->MinVaddr || sym.st_value - info->MinVaddr > info->Span ||
            sym.st_size > info->Span - (sym.st_value - info->MinVaddr))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "symbol %u '%s' at 0x%llx size %llu lies outside the image", i,
                              LdrpSymName(c, &sym), (unsigned long long)sym.st_value,
                              (unsigned long long)sym.st_size);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS LdrpCheckRelaTable(LDRP_CHECK *c, PCSTR Tag, ULONG64 Vaddr, ULONG64 Size,
                                   LDR_FILE_RANGE *Range)
{
    PLDR_IMAGE_INFO info = c->Info;
    ULONG64 off;

    if (Size == 0)
        return STATUS_SUCCESS;
    if (Size % sizeof(Elf64_Rela))
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "%s size %llu is not a multiple of 24", Tag, (unsigned long long)Size);
    if (!LdrpVaddrToFile(c, Vaddr, Size, &off) || off % 8)
        return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                          "%s 0x%llx size %llu is not an aligned table inside a loaded segment",
                          Tag, (unsigned long long)Vaddr, (unsigned long long)Size);
    Range->Offset = off;
    Range->Size = Size;

    for (ULONG64 i = 0; i < Size / sizeof(Elf64_Rela); i++) {
        Elf64_Rela r;
        ULONG type, symIndex;
        const LDR_SEGMENT *target;

        RtlCopyMemory(&r, c->File + off + i * sizeof(r), sizeof(r));
        type = ELF64_R_TYPE(r.r_info);
        symIndex = ELF64_R_SYM(r.r_info);
        switch (type) {
        case R_X86_64_NONE:
            continue;
        case R_X86_64_RELATIVE:
        case R_X86_64_64:
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
            break;
        default:
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "%s entry %llu at 0x%llx has unsupported relocation type %u", Tag,
                              (unsigned long long)i, (unsigned long long)r.r_offset, type);
        }
        if (symIndex >= info->SymbolCount)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "%s entry %llu names symbol %u, table has %u", Tag,
                              (unsigned long long)i, symIndex, info->SymbolCount);
        if (type != R_X86_64_RELATIVE && symIndex == 0)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "%s entry %llu (type %u) names no symbol", Tag,
                              (unsigned long long)i, type);
        /* All four types write 8 bytes; the target must be image memory the
         * image itself may write (data, GOT), never text or rodata. */
        target = LdrpSegmentAt(info, r.r_offset, 8);
        if (target == NULL || !(target->Prot & MM_PROT_WRITE))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "%s entry %llu writes 0x%llx, outside the image's writable segments",
                              Tag, (unsigned long long)i, (unsigned long long)r.r_offset);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS LdrpCheckRelocations(LDRP_CHECK *c, const LDRP_DYNAMIC *d)
{
    NTSTATUS status;

    if (d->Present[DT_RELA] || d->Present[DT_RELASZ]) {
        if (!d->Present[DT_RELA] || !d->Present[DT_RELASZ])
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "DT_RELA without DT_RELASZ or back");
        if (d->Present[DT_RELAENT] && d->Value[DT_RELAENT] != sizeof(Elf64_Rela))
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "DT_RELAENT %llu is not 24",
                              (unsigned long long)d->Value[DT_RELAENT]);
        status = LdrpCheckRelaTable(c, "DT_RELA", d->Value[DT_RELA], d->Value[DT_RELASZ],
                                    &c->Info->Rela);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (d->Present[DT_JMPREL] || d->Present[DT_PLTRELSZ]) {
        if (!d->Present[DT_JMPREL] || !d->Present[DT_PLTRELSZ])
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT,
                              "DT_JMPREL without DT_PLTRELSZ or back");
        if (d->Present[DT_PLTREL] && d->Value[DT_PLTREL] != DT_RELA)
            return LdrpRefuse(c, STATUS_INVALID_IMAGE_FORMAT, "DT_PLTREL %llu is not DT_RELA (7)",
                              (unsigned long long)d->Value[DT_PLTREL]);
        status = LdrpCheckRelaTable(c, "DT_JMPREL", d->Value[DT_JMPREL], d->Value[DT_PLTRELSZ],
                                    &c->Info->JmpRel);
        if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

/* DriverEntry must be an exported (global, default visibility), defined
 * function inside an executable segment. */
static NTSTATUS LdrpFindEntry(LDRP_CHECK *c)
{
    PLDR_IMAGE_INFO info = c->Info;
    static const char entryName[] = "DriverEntry";

    for (ULONG i = 1; i < info->SymbolCount; i++) {
        Elf64_Sym sym;
        const LDR_SEGMENT *seg;
        PCSTR name;

        LdrpSym(c, i, &sym);
        name = LdrpSymName(c, &sym);
        if (info->DynStr.Size - sym.st_name < sizeof(entryName) ||
            !RtlEqualMemory(name, entryName, sizeof(entryName)))
            continue;
        if (sym.st_shndx == SHN_UNDEF)
            return LdrpRefuse(c, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND,
                              "DriverEntry is imported, not defined");
        if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
            ELF64_ST_BIND(sym.st_info) == STB_LOCAL ||
            ELF64_ST_VISIBILITY(sym.st_other) != STV_DEFAULT)
            return LdrpRefuse(c, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND,
                              "DriverEntry is not an exported function (type %u bind %u visibility %u)",
                              ELF64_ST_TYPE(sym.st_info), ELF64_ST_BIND(sym.st_info),
                              ELF64_ST_VISIBILITY(sym.st_other));
        seg = LdrpSegmentAt(info, sym.st_value, 1);
        if (seg == NULL || !(seg->Prot & MM_PROT_EXEC))
            return LdrpRefuse(c, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND,
                              "DriverEntry at 0x%llx is not in an executable segment",
                              (unsigned long long)sym.st_value);
        info->EntryVaddr = sym.st_value;
        return STATUS_SUCCESS;
    }
    return LdrpRefuse(c, STATUS_DRIVER_ENTRYPOINT_NOT_FOUND,
                      "no exported DriverEntry (declare it with default visibility)");
}

/* .symtab for backtraces: optional, so anything unsound just leaves it out
 * (the dynamic symbols still name the exported functions). */
static VOID LdrpFindDebugSymbols(LDRP_CHECK *c, const Elf64_Ehdr *Eh)
{
    PLDR_IMAGE_INFO info = c->Info;

    if (Eh->e_shoff == 0 || Eh->e_shnum == 0 || Eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !LdrpInFile(c, Eh->e_shoff, (ULONG64)Eh->e_shnum * sizeof(Elf64_Shdr)))
        return;
    for (ULONG i = 0; i < Eh->e_shnum; i++) {
        Elf64_Shdr sh, str;
        RtlCopyMemory(&sh, c->File + Eh->e_shoff + (ULONG64)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB)
            continue;
        if (sh.sh_link >= Eh->e_shnum || sh.sh_entsize != sizeof(Elf64_Sym) ||
            sh.sh_size % sizeof(Elf64_Sym) || sh.sh_size / sizeof(Elf64_Sym) > LDR_MAX_SYMBOLS ||
            sh.sh_offset % 8 || !LdrpInFile(c, sh.sh_offset, sh.sh_size))
            return;
        RtlCopyMemory(&str, c->File + Eh->e_shoff + (ULONG64)sh.sh_link * sizeof(str), sizeof(str));
        if (str.sh_type != SHT_STRTAB || str.sh_size == 0 ||
            !LdrpInFile(c, str.sh_offset, str.sh_size) ||
            c->File[str.sh_offset + str.sh_size - 1] != 0)
            return;
        for (ULONG64 s = 0; s < sh.sh_size / sizeof(Elf64_Sym); s++) {
            Elf64_Sym sym;
            RtlCopyMemory(&sym, c->File + sh.sh_offset + s * sizeof(sym), sizeof(sym));
            if (sym.st_name >= str.sh_size)
                return;
        }
        info->DebugSym.Offset = sh.sh_offset;
        info->DebugSym.Size = sh.sh_size;
        info->DebugStr.Offset = str.sh_offset;
        info->DebugStr.Size = str.sh_size;
        return;
    }
}

NTSTATUS LdrValidateImage(PCSTR Name, const VOID *File, SIZE_T FileSize, PLDR_IMAGE_INFO Info)
{
    LDRP_CHECK c = { Name, File, FileSize, Info };
    Elf64_Ehdr eh;
    Elf64_Phdr dynamic = { 0 };
    LDRP_DYNAMIC dyn;
    NTSTATUS status;

    RtlZeroMemory(Info, sizeof(*Info));
    if (File == NULL)
        return LdrpRefuse(&c, STATUS_INVALID_IMAGE_FORMAT, "no file data");
    status = LdrpCheckHeader(&c, &eh);
    if (NT_SUCCESS(status))
        status = LdrpCheckProgramHeaders(&c, &eh, &dynamic);
    if (NT_SUCCESS(status))
        status = LdrpReadDynamic(&c, &dynamic, &dyn);
    if (NT_SUCCESS(status))
        status = LdrpCheckSymbols(&c, &dyn);
    if (NT_SUCCESS(status))
        status = LdrpCheckRelocations(&c, &dyn);
    if (NT_SUCCESS(status))
        status = LdrpFindEntry(&c);
    if (NT_SUCCESS(status))
        LdrpFindDebugSymbols(&c, &eh);
    return status;
}
