/* ldr.c - maps a validated driver image into kernel space and links it.
 *
 * Order (each step undone in reverse on failure, see LdrpDiscard):
 *   validate the file (elf_validate.c) and every import (elf_reloc.c) -- a
 *   bad image is refused here, before any memory is taken;
 *   reserve VA (MmReserveSystemVa), take physically contiguous pages, map
 *   them RW+NX; copy segments, zero bss and gaps; apply relocations;
 *   set final protections: text RX, rodata R, data RW+NX, RELRO R, gaps R;
 *   register symbols for backtraces (a pool copy, so the boot file can go).
 *
 * Callers are at PASSIVE_LEVEL and serialized by the driver load path
 * (kernel/io/load.c); LdrImageList has no lock of its own. */
#include <ntos.h>
#include <ldr.h>
#include <rtl.h>

#define LDR_POOL_TAG NTSTOR_TAG('L', 'd', 'r', ' ')
#define LDR_ANY_PHYS (~0ULL)

LIST_ENTRY LdrImageList = { &LdrImageList, &LdrImageList };

static PLDR_IMAGE LdrpFindImage(PCSTR Name)
{
    for (PLIST_ENTRY e = LdrImageList.Flink; e != &LdrImageList; e = e->Flink) {
        PLDR_IMAGE image = CONTAINING_RECORD(e, LDR_IMAGE, Link);
        if (RtlAsciiCompare(image->Name, Name, TRUE) == 0)
            return image;
    }
    return NULL;
}

/* Protection of the page range covering [Vaddr, Vaddr+Size). */
static NTSTATUS LdrpProtect(PLDR_IMAGE Image, const LDR_IMAGE_INFO *Info, ULONG64 Vaddr,
                            ULONG64 Size, ULONG Prot)
{
    ULONG64 start = ALIGN_DOWN_BY(Vaddr, PAGE_SIZE);
    ULONG64 end = ALIGN_UP_BY(Vaddr + Size, PAGE_SIZE);

    if (end <= start)
        return STATUS_SUCCESS;
    return MmProtectKernelRange((PUCHAR)Image->Base + (start - Info->MinVaddr), end - start, Prot);
}

static NTSTATUS LdrpSetProtections(PLDR_IMAGE Image, const LDR_IMAGE_INFO *Info)
{
    ULONG64 cursor = Info->MinVaddr;
    NTSTATUS status;

    for (ULONG i = 0; i < Info->SegmentCount; i++) {
        const LDR_SEGMENT *s = &Info->Segments[i];
        ULONG64 segStart = ALIGN_DOWN_BY(s->Vaddr, PAGE_SIZE);

        /* Pages between segments: nothing lives there, read-only. */
        if (segStart > cursor) {
            status = LdrpProtect(Image, Info, cursor, segStart - cursor, MM_PROT_READ);
            if (!NT_SUCCESS(status))
                return status;
        }
        status = LdrpProtect(Image, Info, s->Vaddr, s->MemSize, s->Prot);
        if (!NT_SUCCESS(status))
            return status;
        cursor = ALIGN_UP_BY(s->Vaddr + s->MemSize, PAGE_SIZE);
    }

    /* RELRO (GOT, .data.rel.ro): written by relocation only, read-only
     * afterwards.  Only whole pages: the page holding RELRO's start is
     * protected only if nothing of the segment lies before it in that page,
     * and the partial last page stays writable (it holds .data/.bss). */
    if (Info->RelroSize) {
        ULONG64 start = Info->RelroVaddr, end = ALIGN_DOWN_BY(Info->RelroVaddr + Info->RelroSize, PAGE_SIZE);
        for (ULONG i = 0; i < Info->SegmentCount; i++) {
            const LDR_SEGMENT *s = &Info->Segments[i];
            if (start >= s->Vaddr && start < s->Vaddr + s->MemSize) {
                start = (s->Vaddr == start) ? ALIGN_DOWN_BY(start, PAGE_SIZE)
                                            : ALIGN_UP_BY(start, PAGE_SIZE);
                break;
            }
        }
        if (end > start) {
            status = LdrpProtect(Image, Info, start, end - start, MM_PROT_READ);
            if (!NT_SUCCESS(status))
                return status;
        }
    }
    return STATUS_SUCCESS;
}

/* Gives the backtrace code a pool copy of the image's symbols: .symtab
 * when the file has a sound one, the dynamic symbols otherwise.  Failing to
 * register only costs symbol names in backtraces, so it is logged, not
 * fatal. */
static VOID LdrpRegisterSymbols(PLDR_IMAGE Image, const VOID *File, const LDR_IMAGE_INFO *Info)
{
    LDR_FILE_RANGE sym = Info->DebugSym, str = Info->DebugStr;
    PUCHAR copy;

    if (sym.Size == 0) {
        sym = Info->DynSym;
        str = Info->DynStr;
    }
    copy = ExAllocatePoolWithTag(NonPagedPool, sym.Size + str.Size, LDR_POOL_TAG);
    if (copy == NULL) {
        DbgPrint("ldr: %s: no pool for its symbol table; backtraces will show addresses only\n",
                 Image->Name);
        return;
    }
    RtlCopyMemory(copy, (const UCHAR *)File + sym.Offset, sym.Size);
    RtlCopyMemory(copy + sym.Size, (const UCHAR *)File + str.Offset, str.Size);
    Image->SymbolCopy = copy;
    Image->SymbolHandle = KeRegisterSymbols(Image->Name, (ULONG64)Image->Base, Image->Size,
                                            copy, sym.Size, (const CHAR *)(copy + sym.Size),
                                            str.Size, (ULONG64)Image->Base - Info->MinVaddr);
}

/* Undoes whatever of a load exists: symbols, mapping, VA, pages, record. */
static VOID LdrpDiscard(PLDR_IMAGE Image, BOOLEAN Mapped)
{
    if (Image->SymbolHandle)
        KeUnregisterSymbols(Image->SymbolHandle);
    if (Image->SymbolCopy)
        ExFreePoolWithTag(Image->SymbolCopy, LDR_POOL_TAG);
    if (Mapped)
        MmUnmapKernelRange(Image->Base, Image->Size);
    if (Image->Base)
        MmReleaseSystemVa(Image->Base, Image->Size);
    if (Image->Phys)
        MmFreePhysicalPages(Image->Phys, Image->Size / PAGE_SIZE);
    ExFreePoolWithTag(Image, LDR_POOL_TAG);
}

NTSTATUS LdrLoadImage(PCSTR Name, const VOID *File, SIZE_T FileSize, PLDR_IMAGE *Result)
{
    ULONG64 started = KeQueryTimeUs();
    LDR_IMAGE_INFO *info;
    PLDR_IMAGE image;
    NTSTATUS status;
    BOOLEAN mapped = FALSE;

    *Result = NULL;
    if (LdrpFindImage(Name)) {
        DbgPrint("ldr: %s: already loaded\n", Name);
        return STATUS_IMAGE_ALREADY_LOADED;
    }
    /* LDR_IMAGE_INFO is ~600 bytes: pool, not the kernel stack. */
    info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info), LDR_POOL_TAG);
    if (info == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = LdrValidateImage(Name, File, FileSize, info);
    if (NT_SUCCESS(status))
        status = LdrCheckImports(Name, File, info, LdrLookupExport, NULL);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(info, LDR_POOL_TAG);
        return status;
    }

    image = ExAllocatePoolZero(NonPagedPool, sizeof(*image), LDR_POOL_TAG);
    if (image == NULL) {
        ExFreePoolWithTag(info, LDR_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    InitializeListHead(&image->Link);
    RtlAsciiCopy(image->Name, sizeof(image->Name), Name);
    image->Size = info->Span;

    status = MmAllocatePhysicalPages(info->Span / PAGE_SIZE, LDR_ANY_PHYS, PAGE_SIZE, &image->Phys);
    if (!NT_SUCCESS(status)) {
        image->Phys = 0;
        DbgPrint("ldr: %s: no %llu KiB of memory for the image: %s\n", Name,
                 (unsigned long long)(info->Span >> 10), RtlNtStatusName(status));
        goto fail;
    }
    image->Base = MmReserveSystemVa(info->Span);
    if (image->Base == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        DbgPrint("ldr: %s: no kernel address space for %llu KiB\n", Name,
                 (unsigned long long)(info->Span >> 10));
        goto fail;
    }
    status = MmMapKernelRange(image->Base, image->Phys, info->Span, MM_PROT_READ | MM_PROT_WRITE);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ldr: %s: mapping failed: %s\n", Name, RtlNtStatusName(status));
        goto fail;
    }
    mapped = TRUE;

    LdrCopySegments(File, info, image->Base);
    status = LdrApplyRelocations(Name, File, info, image->Base, (ULONG64)image->Base,
                                 LdrLookupExport, NULL);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ldr: %s: relocation failed: %s %s\n", Name, RtlNtStatusName(status), info->Error);
        goto fail;
    }
    status = LdrpSetProtections(image, info);
    if (!NT_SUCCESS(status)) {
        DbgPrint("ldr: %s: setting page protections failed: %s\n", Name, RtlNtStatusName(status));
        goto fail;
    }
    image->EntryPoint = (PUCHAR)image->Base + (info->EntryVaddr - info->MinVaddr);
    LdrpRegisterSymbols(image, File, info);
    image->LoadUs = KeQueryTimeUs() - started;
    InsertTailList(&LdrImageList, &image->Link);
    DbgPrint("ldr: %s: loaded at %p size 0x%llx entry %p (%llu us)\n", Name, image->Base,
             (unsigned long long)image->Size, image->EntryPoint,
             (unsigned long long)image->LoadUs);
    ExFreePoolWithTag(info, LDR_POOL_TAG);
    *Result = image;
    return STATUS_SUCCESS;

fail:
    LdrpDiscard(image, mapped);
    ExFreePoolWithTag(info, LDR_POOL_TAG);
    return status;
}

VOID LdrUnloadImage(PLDR_IMAGE Image)
{
    if (Image == NULL)
        return;
    RemoveEntryList(&Image->Link);
    DbgPrint("ldr: %s: unloaded from %p\n", Image->Name, Image->Base);
    /* The pages go back to the allocator; unmapping first means a stale
     * pointer into the old image faults (with this image's name gone from
     * the symbol table) instead of running whatever comes next. */
    LdrpDiscard(Image, TRUE);
}
