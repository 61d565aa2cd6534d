/* stack.c - kernel stacks for threads: KI_KERNEL_STACK_SIZE of physical
 * pages mapped in system VA above one page left unmapped, so an overflow
 * faults (a double fault on the IST stack, then the bug check) instead of
 * silently overwriting whatever lies below.  IRQL <= DISPATCH_LEVEL (the
 * free runs in the reaper, right after a switch). */
#include "ki.h"

#define KI_GUARD_SIZE PAGE_SIZE

NTSTATUS KiAllocateKernelStack(PVOID *Base, PVOID *Limit)
{
    PUCHAR Va = MmReserveSystemVa(KI_GUARD_SIZE + KI_KERNEL_STACK_SIZE);
    ULONG64 Phys;
    NTSTATUS Status;

    if (!Va)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = MmAllocatePhysicalPages(KI_KERNEL_STACK_SIZE / PAGE_SIZE, ~0ULL, PAGE_SIZE, &Phys);
    if (!NT_SUCCESS(Status)) {
        MmReleaseSystemVa(Va, KI_GUARD_SIZE + KI_KERNEL_STACK_SIZE);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = MmMapKernelRange(Va + KI_GUARD_SIZE, Phys, KI_KERNEL_STACK_SIZE,
                              MM_PROT_READ | MM_PROT_WRITE);
    if (!NT_SUCCESS(Status)) {
        MmFreePhysicalPages(Phys, KI_KERNEL_STACK_SIZE / PAGE_SIZE);
        MmReleaseSystemVa(Va, KI_GUARD_SIZE + KI_KERNEL_STACK_SIZE);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *Limit = Va + KI_GUARD_SIZE;
    *Base = Va + KI_GUARD_SIZE + KI_KERNEL_STACK_SIZE;
    return STATUS_SUCCESS;
}

VOID KiFreeKernelStack(PVOID Base, PVOID Limit)
{
    PUCHAR Va = (PUCHAR)Limit - KI_GUARD_SIZE;
    /* One contiguous run (MmAllocatePhysicalPages above). */
    ULONG64 Phys = (ULONG64)MmGetPhysicalAddress(Limit).QuadPart;

    MmUnmapKernelRange(Limit, KI_KERNEL_STACK_SIZE);
    MmFreePhysicalPages(Phys, KI_KERNEL_STACK_SIZE / PAGE_SIZE);
    MmReleaseSystemVa(Va, KI_GUARD_SIZE + KI_KERNEL_STACK_SIZE);
}
