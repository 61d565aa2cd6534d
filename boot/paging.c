/* paging.c - the page tables the kernel starts on (Intel SDM Vol. 3A, 4.5
 * "4-Level Paging"): identity map and direct map of physical memory with
 * 2 MiB pages, the kernel image at its link address with 4 KiB pages.
 * Everything is present+writable, no NX (EFER.NXE may be clear), no global.
 * Tables are EfiLoaderData pages; UEFI identity-maps memory, so a table's
 * physical address is also its pointer here. */
#include "loader.h"

#define PTE_PRESENT  0x001ULL
#define PTE_WRITABLE 0x002ULL
#define PTE_LARGE    0x080ULL          /* PS bit in a PD entry: 2 MiB page */
#define PTE_ADDRESS  0x000FFFFFFFFFF000ULL

#define BL_2MIB (2ULL << 20)
#define BL_1GIB (1ULL << 30)

#define CR4_LA57 (1ULL << 12)

static EFI_STATUS BlpNewTable(UINT64 **Table)
{
    UINT64 Physical;
    EFI_STATUS Status = BlAllocatePages(BL_PAGE_SIZE, &Physical);

    if (!EFI_ERROR(Status))
        *Table = (UINT64 *)(UINTN)Physical;
    return Status;
}

/* The table that Table[Index] points to, created if absent. */
static EFI_STATUS BlpNextLevel(UINT64 *Table, UINTN Index, UINT64 **Next)
{
    EFI_STATUS Status;

    if (!(Table[Index] & PTE_PRESENT)) {
        Status = BlpNewTable(Next);
        if (EFI_ERROR(Status))
            return Status;
        Table[Index] = (UINT64)(UINTN)*Next | PTE_PRESENT | PTE_WRITABLE;
        return EFI_SUCCESS;
    }
    *Next = (UINT64 *)(UINTN)(Table[Index] & PTE_ADDRESS);
    return EFI_SUCCESS;
}

static UINTN BlpIndex(UINT64 Virtual, UINTN Level)
{
    return (UINTN)((Virtual >> (12 + 9 * Level)) & 511);
}

/* Map [Virtual, Virtual+Size) to Physical with 2 MiB pages; all 2 MiB aligned. */
static EFI_STATUS BlpMapLarge(UINT64 *Pml4, UINT64 Virtual, UINT64 Physical, UINT64 Size)
{
    UINT64 *Pdpt, *Pd, Offset;
    EFI_STATUS Status;

    for (Offset = 0; Offset < Size; Offset += BL_2MIB) {
        UINT64 Va = Virtual + Offset;

        Status = BlpNextLevel(Pml4, BlpIndex(Va, 3), &Pdpt);
        if (!EFI_ERROR(Status))
            Status = BlpNextLevel(Pdpt, BlpIndex(Va, 2), &Pd);
        if (EFI_ERROR(Status))
            return Status;
        Pd[BlpIndex(Va, 1)] = (Physical + Offset) | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
    }
    return EFI_SUCCESS;
}

/* Map [Virtual, Virtual+Size) to Physical with 4 KiB pages. */
static EFI_STATUS BlpMapSmall(UINT64 *Pml4, UINT64 Virtual, UINT64 Physical, UINT64 Size)
{
    UINT64 *Pdpt, *Pd, *Pt, Offset;
    EFI_STATUS Status;

    for (Offset = 0; Offset < Size; Offset += BL_PAGE_SIZE) {
        UINT64 Va = Virtual + Offset;

        Status = BlpNextLevel(Pml4, BlpIndex(Va, 3), &Pdpt);
        if (!EFI_ERROR(Status))
            Status = BlpNextLevel(Pdpt, BlpIndex(Va, 2), &Pd);
        if (!EFI_ERROR(Status) && (Pd[BlpIndex(Va, 1)] & PTE_LARGE))
            Status = EFI_INVALID_PARAMETER;     /* would collide with the direct map */
        if (!EFI_ERROR(Status))
            Status = BlpNextLevel(Pd, BlpIndex(Va, 1), &Pt);
        if (EFI_ERROR(Status))
            return Status;
        Pt[BlpIndex(Va, 0)] = (Physical + Offset) | PTE_PRESENT | PTE_WRITABLE;
    }
    return EFI_SUCCESS;
}

/* PhysicalTop: end of the highest memory map descriptor.  The identity map
 * covers at least 4 GiB (MMIO: LAPIC, IOAPIC, PCIe ECAM, AHCI BARs of q35). */
EFI_STATUS BlBuildPageTables(UINT64 PhysicalTop, UINT64 *Cr3)
{
    UINT64 *Pml4, Top, Cr4;
    EFI_STATUS Status;

    Top = PhysicalTop < (4ULL << 30) ? (4ULL << 30) : PhysicalTop;
    /* One PML4 slot (512 GiB) each for the identity and the direct map is
     * what bootinfo.h promises the kernel it can drop or keep cleanly.
     * Clamped before rounding up: a bogus descriptor near 2^64 would
     * otherwise wrap the rounding to 0 and map nothing at all. */
    if (Top > (512ULL << 30)) {
        BlLog("physical address space ends at 0x%lx: only the first 512 GiB are mapped",
              PhysicalTop);
        Top = 512ULL << 30;
    }
    Top = (Top + BL_1GIB - 1) & ~(BL_1GIB - 1);

    Status = BlpNewTable(&Pml4);
    if (!EFI_ERROR(Status))
        Status = BlpMapLarge(Pml4, 0, 0, Top);
    if (!EFI_ERROR(Status))
        Status = BlpMapLarge(Pml4, NTSTOR_DIRECT_MAP_BASE, 0, Top);
    if (!EFI_ERROR(Status))
        Status = BlpMapSmall(Pml4, BlBootInfo->kernel_virt, BlBootInfo->kernel_phys,
                             BlBootInfo->kernel_size);
    if (EFI_ERROR(Status))
        return Status;
    BlBootInfo->loader_pml4 = (UINT64)(UINTN)Pml4;
    *Cr3 = (UINT64)(UINTN)Pml4;

    /* With 5-level paging on (CR4.LA57; it cannot be turned off without
     * leaving long mode) the top level is a PML5.  Low addresses use PML5[0],
     * the kernel's canonical high addresses PML5[511]: both lead to the same
     * PML4, so the kernel sees exactly the 4-level layout above. */
    __asm__ volatile("mov %%cr4, %0" : "=r"(Cr4));
    if (Cr4 & CR4_LA57) {
        UINT64 *Pml5;

        Status = BlpNewTable(&Pml5);
        if (EFI_ERROR(Status))
            return Status;
        Pml5[0] = (UINT64)(UINTN)Pml4 | PTE_PRESENT | PTE_WRITABLE;
        Pml5[511] = (UINT64)(UINTN)Pml4 | PTE_PRESENT | PTE_WRITABLE;
        *Cr3 = (UINT64)(UINTN)Pml5;
        BlLog("firmware runs with 5-level paging (CR4.LA57): CR3 holds a PML5 whose "
              "entries 0 and 511 point to loader_pml4");
    }
    return EFI_SUCCESS;
}
