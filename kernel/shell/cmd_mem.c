/* cmd_mem.c - `mem` (physical memory and pool totals, the boot memory map by
 * type) and `pool` (pool usage per tag). */
#include <ntos.h>
#include <shell.h>

#define MEM_MAX_TAGS 600

/* UEFI 2.x 7.2, EFI_MEMORY_TYPE. */
static const PCSTR MemTypeNames[] = {
    "Reserved", "LoaderCode", "LoaderData", "BootServicesCode", "BootServicesData",
    "RuntimeServicesCode", "RuntimeServicesData", "Conventional", "Unusable",
    "AcpiReclaim", "AcpiNvs", "Mmio", "MmioPortSpace", "PalCode", "Persistent", "Unaccepted",
};

#define MEM_TEST_TAG NTSTOR_TAG('M', 'm', 'T', 's')

/* `mem test`: exercises the memory manager end to end on the running
 * kernel; prints one line per check and a closing verdict line. */
static ULONG MemTestFailures;

static VOID MemCheck(BOOLEAN Ok, PCSTR What)
{
    ConPrintf("  %s %s\n", Ok ? "ok  " : "FAIL", What);
    if (!Ok)
        MemTestFailures++;
}

static BOOLEAN MemAllZero(const UCHAR *p, SIZE_T n)
{
    for (SIZE_T i = 0; i < n; i++)
        if (p[i])
            return FALSE;
    return TRUE;
}

static INT MemSelfTest(VOID)
{
    MemTestFailures = 0;
    MM_STATS before, after;
    MmQueryStats(&before);

    ULONG64 phys = 0;
    NTSTATUS st = MmAllocatePhysicalPages(2, 0xFFFFFFFFULL, 0x10000, &phys);
    MemCheck(NT_SUCCESS(st), "physical pages below 4 GiB");
    if (NT_SUCCESS(st)) {
        PUCHAR va = MmPhysToVirt(phys);
        MemCheck(phys >= 0x100000 && phys + 2 * PAGE_SIZE - 1 <= 0xFFFFFFFFULL && !(phys & 0xFFFF),
                 "above 1 MiB, below the limit, 64 KiB aligned");
        MemCheck(MemAllZero(va, 2 * PAGE_SIZE), "pages zeroed");
        MemCheck((ULONG64)MmGetPhysicalAddress(va + 5000).QuadPart == phys + 5000, "direct map translates");

        /* Map the same pages into system VA, uncached, and write through it. */
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (LONGLONG)(phys + 16);
        PUCHAR io = MmMapIoSpace(pa, PAGE_SIZE + 100, MmNonCached);
        MemCheck(io != NULL && (ULONG64)io >= 0xFFFFFE0000000000ULL, "MmMapIoSpace maps into system VA");
        if (io) {
            MemCheck((ULONG64)MmGetPhysicalAddress(io).QuadPart == phys + 16, "MMIO mapping translates");
            io[PAGE_SIZE] = 0x5A;
            MemCheck(va[PAGE_SIZE + 16] == 0x5A, "write through the alias lands in the page");
            MmUnmapIoSpace(io, PAGE_SIZE + 100);
            MemCheck(MmGetPhysicalAddress(io).QuadPart == 0, "unmapped address translates to 0");
        }
        PUCHAR cached = MmMapIoSpace(pa, 64, MmCached);
        MemCheck(cached == va + 16, "cached RAM comes from the direct map");
        MmUnmapIoSpace(cached, 64);
        MmFreePhysicalPages(phys, 2);
    }

    /* Reserve, map, protect, unmap. */
    PUCHAR sva = MmReserveSystemVa(3 * PAGE_SIZE);
    MemCheck(sva != NULL, "system VA reserved");
    if (sva && NT_SUCCESS(MmAllocatePhysicalPages(3, 0, PAGE_SIZE, &phys))) {
        MemCheck(NT_SUCCESS(MmMapKernelRange(sva, phys, 3 * PAGE_SIZE, MM_PROT_READ | MM_PROT_WRITE)),
                 "kernel range mapped");
        MemCheck(MmMapKernelRange(sva, phys, PAGE_SIZE, MM_PROT_READ) == STATUS_ALREADY_COMMITTED,
                 "mapping over a mapping refused");
        sva[2 * PAGE_SIZE + 7] = 0xA7;
        MemCheck(((PUCHAR)MmPhysToVirt(phys))[2 * PAGE_SIZE + 7] == 0xA7, "mapped range is the pages");
        MemCheck(NT_SUCCESS(MmProtectKernelRange(sva, 3 * PAGE_SIZE, MM_PROT_READ)), "range made read-only");
        MemCheck((ULONG64)MmGetPhysicalAddress(sva + PAGE_SIZE).QuadPart == phys + PAGE_SIZE,
                 "system VA translates");
        MmUnmapKernelRange(sva, 3 * PAGE_SIZE);
        MemCheck(MmGetPhysicalAddress(sva).QuadPart == 0, "range unmapped");
        MmReleaseSystemVa(sva, 3 * PAGE_SIZE);
        MmFreePhysicalPages(phys, 3);
    }

    /* Contiguous DMA memory under 4 GiB not crossing 64 KiB. */
    PHYSICAL_ADDRESS lo, hi, bnd;
    lo.QuadPart = 0;
    hi.QuadPart = 0xFFFFFFFF;
    bnd.QuadPart = 0x10000;
    PUCHAR dma = MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, lo, hi, bnd, MmNonCached);
    MemCheck(dma != NULL, "contiguous memory allocated");
    if (dma) {
        ULONG64 p = (ULONG64)MmGetPhysicalAddress(dma).QuadPart;
        MemCheck(p && p + 3 * PAGE_SIZE - 1 <= 0xFFFFFFFFULL && (p >> 16) == ((p + 3 * PAGE_SIZE - 1) >> 16),
                 "below 4 GiB, within one 64 KiB window");
        MemCheck((ULONG64)MmGetPhysicalAddress(dma + 2 * PAGE_SIZE).QuadPart == p + 2 * PAGE_SIZE,
                 "physically contiguous");
        MemCheck(MemAllZero(dma, 3 * PAGE_SIZE), "contiguous memory zeroed");
        MmFreeContiguousMemory(dma);
    }

    /* Pool. */
    PUCHAR a = ExAllocatePoolWithTag(NonPagedPool, 100, MEM_TEST_TAG);
    PUCHAR b = ExAllocatePoolZero(NonPagedPool, 9000, MEM_TEST_TAG);
    MemCheck(a && b && !((ULONG64)a & 15) && !((ULONG64)b & 15), "pool blocks 16-byte aligned");
    MemCheck(ExQueryPoolTagBytes(MEM_TEST_TAG) == 9100, "pool tag accounting");
    MemCheck(b && MemAllZero(b, 9000), "ExAllocatePoolZero zeroes");
    MemCheck(a && MmGetPhysicalAddress(a).QuadPart != 0, "pool memory translates");
    if (a)
        ExFreePoolWithTag(a, MEM_TEST_TAG);
    if (b)
        ExFreePoolWithTag(b, MEM_TEST_TAG);
    MemCheck(ExQueryPoolTagBytes(MEM_TEST_TAG) == 0, "pool tag back to zero");

    /* The kernel image is mapped where the linker put it. */
    MemCheck(MmGetPhysicalAddress((PVOID)(ULONG_PTR)MemSelfTest).QuadPart != 0, "kernel text translates");

    MmQueryStats(&after);
    ConPrintf("memtest checks_failed=%u free_delta_kib=%lld result=%s\n", MemTestFailures,
              (long long)((LONG64)after.FreeBytes - (LONG64)before.FreeBytes) / 1024,
              MemTestFailures ? "fail" : "pass");
    return MemTestFailures ? 1 : 0;
}

static INT CmdMem(INT Argc, PCHAR *Argv)
{
    if (Argc > 1) {
        if (Argc == 2 && RtlAsciiCompare(Argv[1], "test", TRUE) == 0)
            return MemSelfTest();
        return ShellError("mem", STATUS_INVALID_PARAMETER, "usage: mem [test]");
    }
    MM_STATS s;
    MmQueryStats(&s);
    ConPrintf("mem total_mib=%llu free_mib=%llu pool_bytes=%llu pool_allocs=%llu\n",
              (unsigned long long)(s.TotalUsableBytes >> 20), (unsigned long long)(s.FreeBytes >> 20),
              (unsigned long long)s.PoolBytesInUse, (unsigned long long)s.PoolAllocations);

    MM_MAP_TYPE_INFO types[20];
    ULONG ignored = 0;
    ULONG n = MmQueryMemoryMap(types, RTL_NUMBER_OF(types), &ignored);
    ULONG entries = 0;
    for (ULONG i = 0; i < n && i < RTL_NUMBER_OF(types); i++)
        entries += types[i].Entries;
    ConPrintf("  memory map: %u entries by type, %u ignored as malformed or overlapping\n",
              entries, ignored);
    for (ULONG i = 0; i < n && i < RTL_NUMBER_OF(types); i++) {
        PCSTR name = types[i].Type < RTL_NUMBER_OF(MemTypeNames) ? MemTypeNames[types[i].Type] : "Other";
        ULONG64 kib = types[i].Pages * (PAGE_SIZE / 1024);
        ConPrintf("  %-20s %5u entries %10llu KiB\n", name, types[i].Entries, (unsigned long long)kib);
    }
    return 0;
}
SHELL_COMMAND(mem, CmdMem, "mem [test]", "physical memory, pool totals and the boot memory map; test: self-test");

static POOL_TAG_INFO PoolTags[MEM_MAX_TAGS];

static VOID PoolTagText(ULONG Tag, CHAR Out[5])
{
    for (ULONG i = 0; i < 4; i++) {
        UCHAR c = (UCHAR)(Tag >> (8 * i));
        Out[i] = (c > ' ' && c < 0x7F && c != '=' && c != '"') ? (CHAR)c : '.';
    }
    Out[4] = 0;
}

static INT CmdPool(INT Argc, PCHAR *Argv)
{
    /* One shell runs at a time, so the static table needs no lock; it is not
     * pool memory, so listing does not change what it lists. */
    ULONG n = ExQueryPoolTags(PoolTags, MEM_MAX_TAGS);
    ULONG shown = n < MEM_MAX_TAGS ? n : MEM_MAX_TAGS;
    /* Insertion sort by tag text: stable, readable output. */
    for (ULONG i = 1; i < shown; i++) {
        POOL_TAG_INFO t = PoolTags[i];
        ULONG j = i;
        while (j > 0 && __builtin_bswap32(PoolTags[j - 1].Tag) > __builtin_bswap32(t.Tag)) {
            PoolTags[j] = PoolTags[j - 1];
            j--;
        }
        PoolTags[j] = t;
    }
    ULONG64 allocs = 0, frees = 0, bytes = 0;
    for (ULONG i = 0; i < shown; i++) {
        CHAR tag[5];
        PoolTagText(PoolTags[i].Tag, tag);
        ConPrintf("pool tag=%s allocs=%llu frees=%llu bytes=%llu\n", tag,
                  (unsigned long long)PoolTags[i].Allocs, (unsigned long long)PoolTags[i].Frees,
                  (unsigned long long)PoolTags[i].BytesInUse);
        allocs += PoolTags[i].Allocs;
        frees += PoolTags[i].Frees;
        bytes += PoolTags[i].BytesInUse;
    }
    MM_STATS s;
    MmQueryStats(&s);
    ConPrintf("pool total tags=%u allocs=%llu frees=%llu bytes=%llu live=%llu\n", n,
              (unsigned long long)allocs, (unsigned long long)frees, (unsigned long long)bytes,
              (unsigned long long)s.PoolAllocations);
    return 0;
}
SHELL_COMMAND(pool, CmdPool, "pool", "nonpaged pool usage per tag");
