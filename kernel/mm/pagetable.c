/* pagetable.c - the kernel's 4-level page tables (Intel SDM vol. 3A, 4.5):
 * building them at boot (direct map of RAM, kernel image by section) and the
 * primitives the rest of mm uses to map, find and translate.
 *
 * Every table page is reached through the direct map, which both the
 * loader's tables and ours provide, so building works before and after the
 * CR3 switch.  Locking: MiPageTableLock guards table changes made after boot
 * (iospace.c takes it); the boot-time build runs alone. */
#include <ntos.h>
#include "mi.h"

#define MSR_EFER        0xC0000080
#define EFER_NXE        (1ULL << 11)
#define MSR_PAT         0x277
#define CR0_WP          (1ULL << 16)
#define CR4_PGE         (1ULL << 7)
#define CR4_LA57        (1ULL << 12)
/* CPUID.80000001H:EDX[20] = execute-disable; CPUID.01H:EDX[16] = PAT. */
#define CPUID_EXT_NX    (1u << 20)
#define CPUID_PAT       (1u << 16)
/* PAT memory type encodings (SDM vol. 3A, 11.12.2, table 11-10). */
#define PAT_TYPE_WC     0x01ULL

ULONG64 MiKernelPml4;
KSPIN_LOCK MiPageTableLock;
ULONG64 MiNxBit;
BOOLEAN MiPatWriteCombining;

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __kernel_start[], __kernel_end[];

static inline PULONG64 MiTable(ULONG64 Entry)
{
    return (PULONG64)MmPhysToVirt(Entry & MI_PTE_ADDR);
}

static inline ULONG MiIndex(ULONG64 Va, ULONG Level)
{
    return (ULONG)((Va >> (PAGE_SHIFT + 9 * Level)) & 511);
}

/* Table that Table[Index] points to; created (zeroed) if Create. NULL if
 * absent, if a large page is in the way, or if no page is left. */
static PULONG64 MiNextLevel(PULONG64 Table, ULONG Index, BOOLEAN Create)
{
    ULONG64 e = Table[Index];
    if (e & MI_PTE_PRESENT)
        return (e & MI_PTE_LARGE) ? NULL : MiTable(e);
    if (!Create)
        return NULL;
    ULONG64 phys;
    if (!NT_SUCCESS(MmAllocatePhysicalPages(1, 0, PAGE_SIZE, &phys)))
        return NULL;
    /* Upper levels grant everything; the leaf decides (SDM 4.6: access
     * rights are the most restrictive of all levels). */
    Table[Index] = phys | MI_PTE_PRESENT | MI_PTE_WRITE;
    return MiTable(phys);
}

ULONG64 MiProtToPte(ULONG Prot, BOOLEAN Large)
{
    ULONG64 bits = MI_PTE_PRESENT;
    if (Prot & MM_PROT_WRITE)
        bits |= MI_PTE_WRITE;
    if (!(Prot & MM_PROT_EXEC))
        bits |= MiNxBit;
    if ((Prot & MM_PROT_WRITECOMBINE) && MiPatWriteCombining)
        bits |= Large ? MI_PTE_PAT_LARGE : MI_PTE_PAT_4K;   /* PAT index 4 = WC */
    else if (Prot & (MM_PROT_NOCACHE | MM_PROT_WRITECOMBINE))
        bits |= MI_PTE_PCD | MI_PTE_PWT;                    /* PAT index 3 = UC */
    return bits;
}

NTSTATUS MiMapPage(ULONG64 Pml4Phys, ULONG64 Va, ULONG64 Phys, ULONG64 Bits)
{
    PULONG64 t = MiTable(Pml4Phys);
    for (ULONG level = 3; level > 0; level--) {
        t = MiNextLevel(t, MiIndex(Va, level), TRUE);
        if (!t)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    t[MiIndex(Va, 0)] = (Phys & MI_PTE_ADDR) | Bits;
    return STATUS_SUCCESS;
}

NTSTATUS MiMapLargePage(ULONG64 Pml4Phys, ULONG64 Va, ULONG64 Phys, ULONG64 Bits)
{
    PULONG64 t = MiTable(Pml4Phys);
    for (ULONG level = 3; level > 1; level--) {
        t = MiNextLevel(t, MiIndex(Va, level), TRUE);
        if (!t)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    t[MiIndex(Va, 1)] = (Phys & MI_PTE_ADDR) | Bits | MI_PTE_LARGE;
    return STATUS_SUCCESS;
}

PULONG64 MiFindPte(ULONG64 Pml4Phys, ULONG64 Va)
{
    PULONG64 t = MiTable(Pml4Phys);
    for (ULONG level = 3; level > 0; level--) {
        t = MiNextLevel(t, MiIndex(Va, level), FALSE);
        if (!t)
            return NULL;
    }
    return &t[MiIndex(Va, 0)];
}

ULONG64 MiTranslate(ULONG64 Pml4Phys, ULONG64 Va)
{
    ULONG64 e = Pml4Phys | MI_PTE_PRESENT;
    for (LONG level = 3; level >= 0; level--) {
        e = MiTable(e)[MiIndex(Va, (ULONG)level)];
        if (!(e & MI_PTE_PRESENT))
            return 0;
        if (level == 0 || (level <= 2 && (e & MI_PTE_LARGE))) {
            ULONG64 span = 1ULL << (PAGE_SHIFT + 9 * level);
            ULONG64 base = e & MI_PTE_ADDR & ~(span - 1);
            if (level > 0)
                base &= ~MI_PTE_PAT_LARGE;  /* bit 12 is PAT in a large entry */
            return base | (Va & (span - 1));
        }
    }
    return 0;
}

/* ---- boot-time build ---- */

static VOID MiBuildFail(PCSTR What, ULONG64 Va)
{
    DbgPrint("mm: out of pages building the kernel page tables (%s at 0x%llx)\n",
             What, (unsigned long long)Va);
    KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x4D4D, Va, 0, 0);
}

static VOID MiMapDirectRange(ULONG64 Pml4, ULONG64 Base, ULONG64 End)
{
    ULONG64 small = MI_PTE_PRESENT | MI_PTE_WRITE | MiNxBit;
    ULONG64 p = Base;
    while (p < End) {
        ULONG64 va = NTSTOR_DIRECT_MAP_BASE + p;
        if ((p & (MI_LARGE_PAGE_SIZE - 1)) == 0 && End - p >= MI_LARGE_PAGE_SIZE) {
            if (!NT_SUCCESS(MiMapLargePage(Pml4, va, p, small)))
                MiBuildFail("direct map", va);
            p += MI_LARGE_PAGE_SIZE;
        } else {
            if (!NT_SUCCESS(MiMapPage(Pml4, va, p, small)))
                MiBuildFail("direct map", va);
            p += PAGE_SIZE;
        }
    }
}

static VOID MiMapImageRange(ULONG64 Pml4, const ntstor_bootinfo *Bi, PVOID Start, PVOID End,
                            ULONG Prot)
{
    ULONG64 bits = MiProtToPte(Prot, FALSE);
    for (ULONG64 va = ALIGN_DOWN_BY(Start, PAGE_SIZE); va < (ULONG64)End; va += PAGE_SIZE)
        if (!NT_SUCCESS(MiMapPage(Pml4, va, Bi->kernel_phys + (va - Bi->kernel_virt), bits)))
            MiBuildFail("kernel image", va);
}

static inline ULONG64 MiReadCr0(VOID) { ULONG64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline ULONG64 MiReadCr4(VOID) { ULONG64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline VOID MiWriteCr0(ULONG64 v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline VOID MiWriteCr3(ULONG64 v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline VOID MiWriteCr4(ULONG64 v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

static VOID MiEnableCpuFeatures(VOID)
{
    ULONG r[4];
    __cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000001) {
        __cpuid(0x80000001, 0, r);
        if (r[3] & CPUID_EXT_NX) {
            __wrmsr(MSR_EFER, __rdmsr(MSR_EFER) | EFER_NXE);
            MiNxBit = MI_PTE_NX;
        }
    }
    if (!MiNxBit)
        DbgPrint("mm: CPU has no execute-disable bit: data is executable\n");
    __cpuid(1, 0, r);
    if (r[3] & CPUID_PAT) {
        /* Entry 4 (PAT=1, PCD=0, PWT=0) becomes write-combining; the others
         * keep their power-on values (WB, WT, UC-, UC).  Nothing maps with
         * the PAT bit yet, so no flush is needed (SDM 11.12.4). */
        ULONG64 pat = __rdmsr(MSR_PAT);
        pat = (pat & ~(0xFFULL << 32)) | (PAT_TYPE_WC << 32);
        __wrmsr(MSR_PAT, pat);
        MiPatWriteCombining = TRUE;
    }
}

/* The CR3 value for Pml4.  Firmware that runs 5-level paging leaves
 * CR4.LA57 set, and it cannot be cleared in long mode (SDM 4.1.1), so CR3
 * must hold a PML5 (the loader does the same, boot/paging.c).  Every kernel
 * address (direct map, image, system VA) has bits 56:48 all ones, i.e. PML5
 * slot 511, so that one entry gives the kernel the 4-level layout it
 * builds; MiKernelPml4 stays the PML4 all walks start from. */
static ULONG64 MiRootFor(ULONG64 Pml4)
{
    ULONG64 pml5;
    if (!(MiReadCr4() & CR4_LA57))
        return Pml4;
    if (!NT_SUCCESS(MmAllocatePhysicalPages(1, 0, PAGE_SIZE, &pml5)))
        MiBuildFail("PML5", 0);
    MiTable(pml5)[511] = Pml4 | MI_PTE_PRESENT | MI_PTE_WRITE;
    DbgPrint("mm: 5-level paging is on (CR4.LA57): CR3 holds a PML5 over the kernel PML4\n");
    return pml5;
}

VOID MiBuildKernelAddressSpace(const ntstor_bootinfo *Bi)
{
    MiEnableCpuFeatures();
    ULONG64 pml4;
    if (!NT_SUCCESS(MmAllocatePhysicalPages(1, 0, PAGE_SIZE, &pml4)))
        MiBuildFail("PML4", 0);

    for (ULONG i = 0; i < MiRamRangeCount; i++)
        MiMapDirectRange(pml4, MiRamRanges[i].Base, MiRamRanges[i].End);

    /* The image: text RX, everything between text and data (rodata and
     * .eh_frame) R, data and bss RW; all but text NX. */
    ULONG64 imageBytes = (ULONG64)__kernel_end - (ULONG64)__kernel_start;
    if (Bi->kernel_virt != (ULONG64)__kernel_start || imageBytes > Bi->kernel_size)
        DbgPrint("mm: boot info places the kernel at 0x%llx size 0x%llx, link says 0x%llx size 0x%llx\n",
                 (unsigned long long)Bi->kernel_virt, (unsigned long long)Bi->kernel_size,
                 (unsigned long long)(ULONG64)__kernel_start, (unsigned long long)imageBytes);
    MiMapImageRange(pml4, Bi, __text_start, __text_end, MM_PROT_READ | MM_PROT_EXEC);
    MiMapImageRange(pml4, Bi, __rodata_start, __data_start, MM_PROT_READ);
    MiMapImageRange(pml4, Bi, __data_start, __data_end, MM_PROT_READ | MM_PROT_WRITE);

    /* Load: WP so read-only pages bind the kernel too, then CR3.  A CR3
     * write keeps global TLB entries, so toggle CR4.PGE to drop any the
     * loader's tables left (SDM 4.10.4.1). */
    MiWriteCr0(MiReadCr0() | CR0_WP);
    MiWriteCr3(MiRootFor(pml4));
    ULONG64 cr4 = MiReadCr4();
    if (cr4 & CR4_PGE) {
        MiWriteCr4(cr4 & ~CR4_PGE);
        MiWriteCr4(cr4);
    }
    MiKernelPml4 = pml4;
}
