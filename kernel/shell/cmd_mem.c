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

static INT CmdMem(INT Argc, PCHAR *Argv)
{
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
SHELL_COMMAND(mem, CmdMem, "mem", "physical memory, pool totals and the boot memory map");

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
