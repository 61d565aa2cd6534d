/* iospace.c - the system VA region (0xFFFFFE0000000000, 64 GiB): reserving
 * address space, mapping and protecting kernel ranges (driver images), MMIO
 * mappings for drivers, and virtual-to-physical translation.
 *
 * Locking: MiSystemVaLock guards MiSystemVa (the reservations);
 * MiPageTableLock guards PTE changes.  Neither is held while taking the
 * other.  All at IRQL <= DISPATCH_LEVEL. */
#include <ntos.h>
#include "mi.h"

static MI_VA_SPACE MiSystemVa;
static KSPIN_LOCK MiSystemVaLock;

VOID MiInitSystemVa(VOID)
{
    KeInitializeSpinLock(&MiSystemVaLock);
    KeInitializeSpinLock(&MiPageTableLock);
    MiVaInitialize(&MiSystemVa, MI_SYSTEM_VA_BASE, MI_SYSTEM_VA_SIZE >> PAGE_SHIFT);
}

static BOOLEAN MiInSystemVa(ULONG64 Va, ULONG64 Size)
{
    return Va >= MI_SYSTEM_VA_BASE && Size <= MI_SYSTEM_VA_SIZE &&
           Va - MI_SYSTEM_VA_BASE <= MI_SYSTEM_VA_SIZE - Size;
}

PVOID MmReserveSystemVa(SIZE_T Size)
{
    if (Size == 0 || Size > MI_SYSTEM_VA_SIZE)
        return NULL;
    KIRQL old;
    KeAcquireSpinLock(&MiSystemVaLock, &old);
    ULONG64 va = MiVaReserve(&MiSystemVa, ALIGN_UP_BY(Size, PAGE_SIZE) >> PAGE_SHIFT);
    KeReleaseSpinLock(&MiSystemVaLock, old);
    if (!va)
        DbgPrint("mm: system VA exhausted (asked for %llu bytes)\n", (unsigned long long)Size);
    return (PVOID)va;
}

VOID MmReleaseSystemVa(PVOID Va, SIZE_T Size)
{
    KIRQL old;
    KeAcquireSpinLock(&MiSystemVaLock, &old);
    ULONG64 pages = MiVaRelease(&MiSystemVa, (ULONG64)Va);
    KeReleaseSpinLock(&MiSystemVaLock, old);
    if (!pages)
        DbgPrint("mm: MmReleaseSystemVa(%p): not a reservation\n", Va);
    else if (pages != ALIGN_UP_BY(Size, PAGE_SIZE) >> PAGE_SHIFT)
        DbgPrint("mm: MmReleaseSystemVa(%p, %llu): reserved %llu pages\n", Va,
                 (unsigned long long)Size, (unsigned long long)pages);
}

NTSTATUS MmMapKernelRange(PVOID Va, ULONG64 Phys, SIZE_T Size, ULONG Prot)
{
    ULONG64 va = (ULONG64)Va, pages = ALIGN_UP_BY(Size, PAGE_SIZE) >> PAGE_SHIFT;
    if (!MiKernelPml4 || Size == 0 || ((va | Phys) & (PAGE_SIZE - 1)) ||
        !MiInSystemVa(va, pages << PAGE_SHIFT))
        return STATUS_INVALID_PARAMETER;
    ULONG64 bits = MiProtToPte(Prot, FALSE);
    NTSTATUS st = STATUS_SUCCESS;
    ULONG64 i;
    KIRQL old;
    KeAcquireSpinLock(&MiPageTableLock, &old);
    for (i = 0; i < pages; i++) {
        PULONG64 pte = MiFindPte(MiKernelPml4, va + (i << PAGE_SHIFT));
        if (pte && (*pte & MI_PTE_PRESENT)) {
            st = STATUS_ALREADY_COMMITTED;
            break;
        }
        st = MiMapPage(MiKernelPml4, va + (i << PAGE_SHIFT), Phys + (i << PAGE_SHIFT), bits);
        if (!NT_SUCCESS(st))
            break;
    }
    if (!NT_SUCCESS(st)) {
        /* Undo what this call mapped; the pages were not present before, so
         * no TLB entry can exist for them beyond the ones we made. */
        while (i--) {
            PULONG64 pte = MiFindPte(MiKernelPml4, va + (i << PAGE_SHIFT));
            *pte = 0;
            MiInvalidatePage(va + (i << PAGE_SHIFT));
        }
    }
    KeReleaseSpinLock(&MiPageTableLock, old);
    return st;
}

NTSTATUS MmProtectKernelRange(PVOID Va, SIZE_T Size, ULONG Prot)
{
    ULONG64 va = (ULONG64)Va, pages = ALIGN_UP_BY(Size, PAGE_SIZE) >> PAGE_SHIFT;
    if (!MiKernelPml4 || Size == 0 || (va & (PAGE_SIZE - 1)) || !MiInSystemVa(va, pages << PAGE_SHIFT))
        return STATUS_INVALID_PARAMETER;
    ULONG64 bits = MiProtToPte(Prot, FALSE);
    KIRQL old;
    KeAcquireSpinLock(&MiPageTableLock, &old);
    for (ULONG64 i = 0; i < pages; i++) {
        PULONG64 pte = MiFindPte(MiKernelPml4, va + (i << PAGE_SHIFT));
        if (!pte || !(*pte & MI_PTE_PRESENT)) {
            KeReleaseSpinLock(&MiPageTableLock, old);
            return STATUS_INVALID_ADDRESS;
        }
    }
    for (ULONG64 i = 0; i < pages; i++) {
        PULONG64 pte = MiFindPte(MiKernelPml4, va + (i << PAGE_SHIFT));
        *pte = (*pte & MI_PTE_ADDR) | bits;
        MiInvalidatePage(va + (i << PAGE_SHIFT));
    }
    KeReleaseSpinLock(&MiPageTableLock, old);
    return STATUS_SUCCESS;
}

VOID MmUnmapKernelRange(PVOID Va, SIZE_T Size)
{
    ULONG64 va = (ULONG64)Va, pages = ALIGN_UP_BY(Size, PAGE_SIZE) >> PAGE_SHIFT;
    if (!MiKernelPml4 || (va & (PAGE_SIZE - 1)) || !MiInSystemVa(va, pages << PAGE_SHIFT)) {
        DbgPrint("mm: MmUnmapKernelRange(%p, %llu): not in system VA\n", Va, (unsigned long long)Size);
        return;
    }
    KIRQL old;
    KeAcquireSpinLock(&MiPageTableLock, &old);
    for (ULONG64 i = 0; i < pages; i++) {
        PULONG64 pte = MiFindPte(MiKernelPml4, va + (i << PAGE_SHIFT));
        if (pte && (*pte & MI_PTE_PRESENT)) {
            *pte = 0;
            MiInvalidatePage(va + (i << PAGE_SHIFT));
        }
    }
    KeReleaseSpinLock(&MiPageTableLock, old);
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)
{
    ULONG64 phys = (ULONG64)PhysicalAddress.QuadPart;
    ULONG64 offset = phys & (PAGE_SIZE - 1), base = phys - offset;
    if (NumberOfBytes == 0 || NumberOfBytes > MI_SYSTEM_VA_SIZE ||
        phys >= (1ULL << MI_MAX_PHYS_BITS) || !MiKernelPml4) {
        DbgPrint("mm: MmMapIoSpace(0x%llx, %llu) refused\n", (unsigned long long)phys,
                 (unsigned long long)NumberOfBytes);
        return NULL;
    }
    ULONG64 span = ALIGN_UP_BY(offset + NumberOfBytes, PAGE_SIZE);
    /* Cached RAM (ACPI tables, say) is already in the direct map with that
     * very type; a second mapping would only cost address space. */
    if (CacheType == MmCached && MiIsDirectMapped(base, span))
        return MmPhysToVirt(phys);
    PUCHAR va = MmReserveSystemVa(span);
    if (!va)
        return NULL;
    ULONG prot = MM_PROT_READ | MM_PROT_WRITE;
    if (CacheType == MmNonCached)
        prot |= MM_PROT_NOCACHE;
    else if (CacheType == MmWriteCombined)
        prot |= MM_PROT_WRITECOMBINE;
    NTSTATUS st = MmMapKernelRange(va, base, span, prot);
    if (!NT_SUCCESS(st)) {
        DbgPrint("mm: MmMapIoSpace(0x%llx, %llu): mapping failed 0x%08x\n",
                 (unsigned long long)phys, (unsigned long long)NumberOfBytes, (unsigned)st);
        MmReleaseSystemVa(va, span);
        return NULL;
    }
    return va + offset;
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    ULONG64 va = (ULONG64)BaseAddress;
    if (va >= NTSTOR_DIRECT_MAP_BASE && va < MI_SYSTEM_VA_BASE)
        return;     /* handed out from the direct map: nothing was mapped */
    ULONG64 offset = va & (PAGE_SIZE - 1);
    ULONG64 span = ALIGN_UP_BY(offset + NumberOfBytes, PAGE_SIZE);
    MmUnmapKernelRange((PVOID)(va - offset), span);
    MmReleaseSystemVa((PVOID)(va - offset), span);
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    PHYSICAL_ADDRESS pa;
    ULONG64 root = MiKernelPml4;
    if (!root)
        __asm__ volatile("mov %%cr3, %0" : "=r"(root));     /* still on the loader's tables */
    pa.QuadPart = (LONGLONG)MiTranslate(root & MI_PTE_ADDR, (ULONG64)BaseAddress);
    return pa;
}
