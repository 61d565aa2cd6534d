/* elf.c - kernel.elf checks and segment copy (System V gABI, ELF-64 Object
 * File Format 1.5: "ELF Header", "Program Header"). */
#include "elf.h"
#include <bootinfo.h>
#include <elf64.h>

#define BL_ELF_MAX_PHDRS 64
#define BL_PAGE_SIZE     4096ULL

static const Elf64_Phdr *BlpPhdr(const void *Image, const Elf64_Ehdr *Ehdr, unsigned Index)
{
    return (const Elf64_Phdr *)((const uint8_t *)Image + Ehdr->e_phoff +
                                (uint64_t)Index * sizeof(Elf64_Phdr));
}

const char *BlElfValidate(const void *Image, uint64_t Size, BL_ELF_LAYOUT *Layout)
{
    const Elf64_Ehdr *Ehdr = Image;
    uint64_t Low = UINT64_MAX, High = 0;
    int EntryOk = 0;
    unsigned i, j;

    if (Size < sizeof(*Ehdr))
        return "file shorter than an ELF header";
    if (Ehdr->e_ident[0] != 0x7f || Ehdr->e_ident[1] != 'E' ||
        Ehdr->e_ident[2] != 'L' || Ehdr->e_ident[3] != 'F')
        return "no ELF magic";
    if (Ehdr->e_ident[EI_CLASS] != ELFCLASS64)
        return "not ELFCLASS64";
    if (Ehdr->e_ident[EI_DATA] != ELFDATA2LSB)
        return "not little-endian";
    if (Ehdr->e_ident[EI_VERSION] != EV_CURRENT || Ehdr->e_version != EV_CURRENT)
        return "unknown ELF version";
    if (Ehdr->e_machine != EM_X86_64)
        return "e_machine is not x86-64";
    if (Ehdr->e_type != ET_EXEC)
        return "e_type is not ET_EXEC";
    if (Ehdr->e_phentsize != sizeof(Elf64_Phdr))
        return "e_phentsize is not 56";
    if (Ehdr->e_phnum == 0 || Ehdr->e_phnum > BL_ELF_MAX_PHDRS)
        return "e_phnum is 0 or above 64";
    if (Ehdr->e_phoff > Size ||
        (uint64_t)Ehdr->e_phnum * sizeof(Elf64_Phdr) > Size - Ehdr->e_phoff)
        return "program headers extend beyond the file";
    if (Ehdr->e_phoff % 8 != 0)
        return "program headers misaligned";

    Layout->LoadCount = 0;
    for (i = 0; i < Ehdr->e_phnum; i++) {
        const Elf64_Phdr *Ph = BlpPhdr(Image, Ehdr, i);

        if (Ph->p_type != PT_LOAD || Ph->p_memsz == 0)
            continue;
        if (Ph->p_filesz > Ph->p_memsz)
            return "PT_LOAD with p_filesz > p_memsz";
        if (Ph->p_offset > Size || Ph->p_filesz > Size - Ph->p_offset)
            return "PT_LOAD extends beyond the end of the file";
        if (Ph->p_vaddr < NTSTOR_KERNEL_VIRT_BASE)
            return "PT_LOAD below NTSTOR_KERNEL_VIRT_BASE (not linked with linker.ld?)";
        /* No wrap past 2^64, also after rounding the end up to a page. */
        if (Ph->p_memsz > BL_KERNEL_MAX_SPAN ||
            Ph->p_vaddr > UINT64_MAX - BL_PAGE_SIZE + 1 ||
            Ph->p_memsz > UINT64_MAX - BL_PAGE_SIZE + 1 - Ph->p_vaddr)
            return "PT_LOAD p_memsz too large";
        for (j = 0; j < i; j++) {
            const Elf64_Phdr *Other = BlpPhdr(Image, Ehdr, j);

            if (Other->p_type != PT_LOAD || Other->p_memsz == 0)
                continue;
            if (Ph->p_vaddr < Other->p_vaddr + Other->p_memsz &&
                Other->p_vaddr < Ph->p_vaddr + Ph->p_memsz)
                return "PT_LOAD segments overlap";
        }
        if (Ph->p_vaddr < Low)
            Low = Ph->p_vaddr;
        if (Ph->p_vaddr + Ph->p_memsz > High)
            High = Ph->p_vaddr + Ph->p_memsz;
        if ((Ph->p_flags & PF_X) && Ehdr->e_entry >= Ph->p_vaddr &&
            Ehdr->e_entry - Ph->p_vaddr < Ph->p_memsz)
            EntryOk = 1;
        Layout->LoadCount++;
    }
    if (Layout->LoadCount == 0)
        return "no PT_LOAD segment";
    if (!EntryOk)
        return "entry point is not inside an executable PT_LOAD segment";

    Layout->VirtBase = Low & ~(BL_PAGE_SIZE - 1);
    Layout->Span = ((High + BL_PAGE_SIZE - 1) & ~(BL_PAGE_SIZE - 1)) - Layout->VirtBase;
    Layout->Entry = Ehdr->e_entry;
    if (Layout->Span > BL_KERNEL_MAX_SPAN)
        return "loaded segments span more than 64 MiB";
    return NULL;
}

void BlElfCopySegments(const void *Image, const BL_ELF_LAYOUT *Layout, void *Dest)
{
    const Elf64_Ehdr *Ehdr = Image;
    unsigned i;
    uint64_t k;

    for (i = 0; i < Ehdr->e_phnum; i++) {
        const Elf64_Phdr *Ph = BlpPhdr(Image, Ehdr, i);
        const uint8_t *From;
        uint8_t *To;

        if (Ph->p_type != PT_LOAD || Ph->p_memsz == 0)
            continue;
        From = (const uint8_t *)Image + Ph->p_offset;
        To = (uint8_t *)Dest + (Ph->p_vaddr - Layout->VirtBase);
        for (k = 0; k < Ph->p_filesz; k++)
            To[k] = From[k];
    }
}
