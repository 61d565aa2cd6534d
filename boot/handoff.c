/* handoff.c - the last steps: final memory map, ExitBootServices (UEFI 2.10,
 * 7.4), page tables, and the jump into the kernel. */
#include "loader.h"

/* A stale map key only means the map changed between GetMemoryMap and
 * ExitBootServices (an event fired, a driver allocated); a few tries settle
 * it.  More than this means something keeps allocating: give up. */
#define BL_EXIT_BOOT_SERVICES_TRIES 8

/* Extra descriptors beyond the size GetMemoryMap asked for: the page tables
 * and this buffer are allocated after the first call and split descriptors. */
#define BL_MEMMAP_SLACK_DESCRIPTORS 64

/* The kernel's initial stack (KiSystemStartup switches to its own). */
#define BL_KERNEL_STACK_SIZE (64 * 1024)

static UINT64 BlpReadTsc(VOID)
{
    UINT32 Low, High;

    __asm__ volatile("rdtsc" : "=a"(Low), "=d"(High));
    return ((UINT64)High << 32) | Low;
}

/* No C may run between loading CR3 and the jump: the compiler could touch
 * the stack or globals through addresses the new tables do not promise.
 * The kernel sees: interrupts off, RDI = physical (identity-mapped) address
 * of the boot info, RSP 16-byte aligned minus 8 as after a call, RBP = 0. */
static VOID __attribute__((noreturn))
BlpEnterKernel(UINT64 Cr3, UINT64 StackTop, UINT64 BootInfo, UINT64 Entry)
{
    __asm__ volatile(
        "cli\n\t"
        "cld\n\t"
        "mov %0, %%cr3\n\t"
        "mov %1, %%rsp\n\t"
        "xor %%ebp, %%ebp\n\t"
        "pushq $0\n\t"
        "jmp *%3\n\t"
        :
        : "r"(Cr3), "r"(StackTop), "D"(BootInfo), "r"(Entry)
        : "memory");
    __builtin_unreachable();
}

/* Highest physical address any descriptor covers; a descriptor whose end
 * would pass 2^64 (firmware bug) counts as reaching the top. */
static UINT64 BlpPhysicalTop(UINT8 *Map, UINTN MapSize, UINTN DescriptorSize)
{
    UINT64 Top = 0;
    UINTN Offset;

    for (Offset = 0; Offset + DescriptorSize <= MapSize; Offset += DescriptorSize) {
        EFI_MEMORY_DESCRIPTOR *D = (EFI_MEMORY_DESCRIPTOR *)(Map + Offset);
        UINT64 End = D->NumberOfPages > (UINT64_MAX - D->PhysicalStart) / BL_PAGE_SIZE ?
                         UINT64_MAX : D->PhysicalStart + D->NumberOfPages * BL_PAGE_SIZE;

        if (End > Top)
            Top = End;
    }
    return Top;
}

/* Decimal of a small number, without gnu-efi's formatter (after
 * ExitBootServices only plain memory work is safe). */
static VOID BlpLogAttempts(UINTN Attempts)
{
    char Line[] = "ExitBootServices succeeded on attempt N (stale map key before)";

    Line[sizeof("ExitBootServices succeeded on attempt ") - 1] = (char)('0' + Attempts % 10);
    BlAppendLog(Line);
}

EFI_STATUS BlStartKernel(EFI_HANDLE ImageHandle, UINT64 Entry, BOOLEAN StaleKeyTest)
{
    UINTN MapSize = 0, MapKey = 0, DescriptorSize = 0, Capacity, Attempt;
    UINT32 DescriptorVersion = 0;
    UINT64 MapBuffer, Stack, Cr3;
    UINT8 *Map;
    EFI_STATUS Status;

    Status = BlAllocatePages(BL_KERNEL_STACK_SIZE, &Stack);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot allocate the kernel stack: %r", Status);

    Status = uefi_call_wrapper(BS->GetMemoryMap, 5, &MapSize, NULL, &MapKey,
                               &DescriptorSize, &DescriptorVersion);
    if (Status != EFI_BUFFER_TOO_SMALL || DescriptorSize < sizeof(EFI_MEMORY_DESCRIPTOR))
        return BlFail(EFI_ERROR(Status) ? Status : EFI_DEVICE_ERROR,
                      "GetMemoryMap size query failed: %r", Status);
    Capacity = MapSize + BL_MEMMAP_SLACK_DESCRIPTORS * DescriptorSize;
    Status = BlAllocatePages(Capacity, &MapBuffer);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot allocate %d bytes for the memory map: %r",
                      (INT32)Capacity, Status);
    Map = (UINT8 *)(UINTN)MapBuffer;

    MapSize = Capacity;
    Status = uefi_call_wrapper(BS->GetMemoryMap, 5, &MapSize, (EFI_MEMORY_DESCRIPTOR *)Map,
                               &MapKey, &DescriptorSize, &DescriptorVersion);
    if (EFI_ERROR(Status))
        return BlFail(Status, "GetMemoryMap failed: %r", Status);

    Status = BlBuildPageTables(BlpPhysicalTop(Map, MapSize, DescriptorSize), &Cr3);
    if (EFI_ERROR(Status))
        return BlFail(Status, "cannot build the kernel's page tables: %r", Status);

    Print(L"ntstor: starting the kernel at 0x%lx\n", Entry);

    /* UEFI 2.10, 7.4 ExitBootServices: on EFI_INVALID_PARAMETER get the map
     * again and retry.  After the first call only memory services may be
     * used: no console output from here on. */
    for (Attempt = 1; ; Attempt++) {
        MapSize = Capacity;
        Status = uefi_call_wrapper(BS->GetMemoryMap, 5, &MapSize, (EFI_MEMORY_DESCRIPTOR *)Map,
                                   &MapKey, &DescriptorSize, &DescriptorVersion);
        if (EFI_ERROR(Status)) {
            if (Attempt == 1)
                return BlFail(Status, "GetMemoryMap failed: %r", Status);
            return Status;
        }
        /* bl.stalekey: hand the firmware a wrong key once, to exercise the
         * retry below under test. */
        if (StaleKeyTest && Attempt == 1)
            MapKey++;
        Status = uefi_call_wrapper(BS->ExitBootServices, 2, ImageHandle, MapKey);
        if (!EFI_ERROR(Status))
            break;
        if (Status != EFI_INVALID_PARAMETER || Attempt == BL_EXIT_BOOT_SERVICES_TRIES) {
            if (Attempt == 1)
                return BlFail(Status, "ExitBootServices failed: %r", Status);
            return Status;
        }
    }
    BlBootServicesExited = TRUE;
    if (Attempt > 1)
        BlpLogAttempts(Attempt);

    BlBootInfo->memmap = MapBuffer;
    BlBootInfo->memmap_size = MapSize;
    BlBootInfo->memmap_desc_size = DescriptorSize;
    BlBootInfo->memmap_desc_version = DescriptorVersion;
    BlBootInfo->loader_tsc = BlpReadTsc();

    BlpEnterKernel(Cr3, (Stack + BL_KERNEL_STACK_SIZE) & ~15ULL,
                   (UINT64)(UINTN)BlBootInfo, Entry);
}
