/* ldr.h - kernel-internal interface of kernel/ldr/: the driver image loader.
 *
 * A driver image is an ELF64 shared object (<name>.sys, see the Makefile's
 * "driver images" section).  Loading happens in three steps, so that nothing
 * is mapped or allocated until the whole file is known to be sound:
 *
 *   1. LdrValidateImage (kernel/ldr/elf_validate.c): pure, checks every
 *      header, segment, dynamic entry, symbol and relocation against the
 *      file's bounds and fills an LDR_IMAGE_INFO.  Host-tested and fuzzed.
 *   2. LdrCheckImports (kernel/ldr/elf_reloc.c): every undefined symbol a
 *      relocation uses must be a kernel export (kernel/ldr/exports.c).
 *   3. LdrLoadImage (kernel/ldr/ldr.c): reserve VA, map pages, copy, zero
 *      bss, relocate, protect (text RX, rodata R, data RW+NX), register
 *      symbols for backtraces.  LdrUnloadImage reverses all of it.
 *
 * Every refusal is one line "ldr: <image>: <culprit>" in the kernel log (and
 * in LDR_IMAGE_INFO.Error for callers and tests).
 *
 * Callers: PASSIVE_LEVEL.  The loaded-image list is only touched by the
 * driver load/unload path (kernel/io/load.c), which is serialized by the
 * shell being single-threaded; no lock. */
#ifndef NTSTOR_LDR_H
#define NTSTOR_LDR_H

#include <wdm.h>

#define LDR_MAX_SEGMENTS     8
#define LDR_MAX_IMAGE_SPAN   (64ULL * 1024 * 1024)   /* bytes of VA an image may span */
#define LDR_MAX_SYMBOLS      65536
#define LDR_MAX_PHDRS        64
#define LDR_ERROR_MAX        192
#define LDR_NAME_MAX         32

/* One PT_LOAD segment, as validated.  Vaddr is the ELF address (relative to
 * the image's link base, normally 0); Prot is MM_PROT_* from its p_flags. */
typedef struct _LDR_SEGMENT {
    ULONG64 Vaddr;
    ULONG64 MemSize;
    ULONG64 FileOffset;
    ULONG64 FileSize;
    ULONG Prot;
} LDR_SEGMENT;

/* A table inside the file (offset and size in bytes, both checked). */
typedef struct _LDR_FILE_RANGE {
    ULONG64 Offset;
    ULONG64 Size;
} LDR_FILE_RANGE;

/* What LdrValidateImage learnt about a file.  All offsets are into the file
 * and have been checked against its size; all addresses are ELF addresses. */
typedef struct _LDR_IMAGE_INFO {
    char Error[LDR_ERROR_MAX];    /* the refusal line, "" on success */
    ULONG64 MinVaddr;           /* lowest PT_LOAD address, page-aligned down */
    ULONG64 Span;               /* bytes from MinVaddr to the last page's end */
    ULONG SegmentCount;
    LDR_SEGMENT Segments[LDR_MAX_SEGMENTS];
    LDR_FILE_RANGE DynSym;      /* .dynsym: SymbolCount entries of 24 bytes */
    ULONG SymbolCount;
    LDR_FILE_RANGE DynStr;      /* ends with NUL */
    LDR_FILE_RANGE Rela;        /* DT_RELA, entries of 24 bytes */
    LDR_FILE_RANGE JmpRel;      /* DT_JMPREL (RELA form) */
    ULONG64 RelroVaddr;         /* PT_GNU_RELRO, made read-only after relocation */
    ULONG64 RelroSize;          /* 0 if none */
    ULONG64 EntryVaddr;         /* DriverEntry's address */
    /* .symtab/.strtab from the section headers, for backtraces; Size 0 when
     * absent or not sound (then the dynamic table is used). */
    LDR_FILE_RANGE DebugSym;
    LDR_FILE_RANGE DebugStr;
} LDR_IMAGE_INFO, *PLDR_IMAGE_INFO;

/* Step 1.  Name is the image name used in messages (e.g. "ahci.sys").
 * STATUS_INVALID_IMAGE_FORMAT for anything malformed,
 * STATUS_DRIVER_ENTRYPOINT_NOT_FOUND when DriverEntry is not exported. */
NTSTATUS LdrValidateImage(PCSTR Name, const VOID *File, SIZE_T FileSize, PLDR_IMAGE_INFO Info);

/* Symbol resolution for imports: returns the address or NULL. */
typedef PVOID (*PLDR_RESOLVE_ROUTINE)(PCSTR Name, PVOID Context);

/* Step 2 (pure).  STATUS_PROCEDURE_NOT_FOUND with Info->Error set to
 * "ldr: <image>: imports unknown symbol '<sym>'" for the first missing one.
 * An undefined weak symbol that is not exported binds to 0. */
NTSTATUS LdrCheckImports(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                         PLDR_RESOLVE_ROUTINE Resolve, PVOID Context);

/* Copies segments into Mapped (Info->Span bytes, standing for MinVaddr) and
 * zeroes everything else (bss, gaps).  Pure. */
VOID LdrCopySegments(const VOID *File, const LDR_IMAGE_INFO *Info, PUCHAR Mapped);

/* Applies every relocation in Mapped for an image whose MinVaddr will be
 * (or is) at RuntimeBase.  Imports resolve through Resolve; call
 * LdrCheckImports first (an import that vanished in between is a status
 * error here, never a wild write).  Pure. */
NTSTATUS LdrApplyRelocations(PCSTR Name, const VOID *File, PLDR_IMAGE_INFO Info,
                             PUCHAR Mapped, ULONG64 RuntimeBase,
                             PLDR_RESOLVE_ROUTINE Resolve, PVOID Context);

/* ---- loaded images (kernel/ldr/ldr.c) ---- */
typedef struct _LDR_IMAGE {
    LIST_ENTRY Link;            /* LdrImageList */
    char Name[LDR_NAME_MAX];   /* "regcopy.sys" */
    PVOID Base;                 /* where MinVaddr is mapped */
    SIZE_T Size;                /* bytes of VA (Span) */
    PVOID EntryPoint;           /* DriverEntry */
    ULONG64 Phys;               /* physically contiguous backing pages */
    PVOID SymbolHandle;         /* KeRegisterSymbols, NULL if not registered */
    PVOID SymbolCopy;           /* pool copy of symtab+strtab given to ke */
    ULONG64 LoadUs;             /* time validate..protect took */
} LDR_IMAGE, *PLDR_IMAGE;

extern LIST_ENTRY LdrImageList;

/* Validates, maps and links File (which the caller keeps; nothing points
 * into it afterwards).  On failure nothing is left mapped or allocated. */
NTSTATUS LdrLoadImage(PCSTR Name, const VOID *File, SIZE_T FileSize, PLDR_IMAGE *Image);
VOID LdrUnloadImage(PLDR_IMAGE Image);

/* ---- kernel exports (kernel/ldr/exports.c) ---- */
typedef struct _LDR_EXPORT {
    PCSTR Name;
    PVOID Address;
} LDR_EXPORT;
/* The address of a kernel export, or NULL.  Context is ignored (fits
 * PLDR_RESOLVE_ROUTINE). */
PVOID LdrLookupExport(PCSTR Name, PVOID Context);
/* Number of exports and the sorted table (for the self-check and shell). */
ULONG LdrExportCount(VOID);
const LDR_EXPORT *LdrExportTable(VOID);

/* ---- driver load and unload (kernel/io/load.c) ----
 * Also declared in kernel/include/io.h.  ServiceName is the service key's
 * name ("ahci"); see load.c for the whole flow. */
NTSTATUS IopLoadDriver(PCUNICODE_STRING ServiceName);
NTSTATUS IopUnloadDriver(PCUNICODE_STRING ServiceName);
PDRIVER_OBJECT IopFindLoadedDriver(PCUNICODE_STRING ServiceName);

/* What the `drivers` command shows of each driver IopLoadDriver loaded. */
typedef enum _IOP_DRIVER_STATE {
    IopDriverLoaded = 0,        /* DriverEntry succeeded */
    IopDriverUnloadRefused,     /* last unload attempt was refused */
    IopDriverUnloadFailed,      /* DriverUnload left devices: image kept */
    IopDriverStateCount
} IOP_DRIVER_STATE;

typedef struct _IOP_DRIVER_INFO {
    char Name[LDR_NAME_MAX];
    PVOID Base;
    SIZE_T Size;
    ULONG Devices;
    IOP_DRIVER_STATE State;
    PCSTR StateName;
    ULONG64 LoadUs;             /* load + DriverEntry */
} IOP_DRIVER_INFO;
/* Fills up to Max entries, returns how many drivers are loaded. */
ULONG IopQueryLoadedDrivers(IOP_DRIVER_INFO *Info, ULONG Max);

#endif /* NTSTOR_LDR_H */
