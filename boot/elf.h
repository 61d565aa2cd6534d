/* elf.h - validate the kernel's ELF64 executable and lay its PT_LOAD
 * segments out in one contiguous physical region.
 *
 * Pure C (no UEFI types) so it can be compiled on the host for tests. */
#ifndef NTSTOR_BOOT_ELF_H
#define NTSTOR_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

/* Largest kernel image span accepted (sum of the loaded segments plus gaps).
 * The kernel is a few hundred KiB; anything near this is a broken file. */
#define BL_KERNEL_MAX_SPAN (64ULL << 20)

typedef struct _BL_ELF_LAYOUT {
    uint64_t VirtBase;      /* lowest PT_LOAD vaddr, rounded down to 4 KiB */
    uint64_t Span;          /* bytes from VirtBase to the end of the last segment, 4 KiB multiple */
    uint64_t Entry;         /* e_entry, inside an executable PT_LOAD segment */
    uint32_t LoadCount;     /* PT_LOAD segments with p_memsz != 0 */
} BL_ELF_LAYOUT;

/* Checks everything the loader relies on (ELF-64 spec, "ELF Header" and
 * "Program Header"): class, data, machine, type, program header bounds, every
 * PT_LOAD inside the file, at or above NTSTOR_KERNEL_VIRT_BASE, no overlap,
 * entry point inside an executable segment.  Returns NULL and fills Layout, or
 * a static string saying what is wrong. */
const char *BlElfValidate(const void *Image, uint64_t Size, BL_ELF_LAYOUT *Layout);

/* Copy the PT_LOAD segments of a validated image to Dest (Layout->Span bytes,
 * already zeroed, so .bss stays zero). */
void BlElfCopySegments(const void *Image, const BL_ELF_LAYOUT *Layout, void *Dest);

#endif
