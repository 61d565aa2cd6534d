/* fuzz_acpi.c - libFuzzer target for the ACPI table parser.  The first input
 * byte picks what the rest is:
 *   0: physical memory at 0x1000 with the RSDP at its start (whole walk);
 *      tables that fail checksums are fixed up in a copy first when the
 *      second byte is odd, so the fuzzer reaches the table parsers;
 *   1..4: one MADT / MCFG / FADT / HPET table body;
 *   5: AML bytes for the \_S5 search, which must find the same values with a
 *      zero byte before the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../hw/acpip.h"

#define FUZZ_BASE 0x1000ull

typedef struct { const UCHAR *Data; size_t Size; } fuzz_mem;

static const UCHAR *fuzz_map(PVOID ctx, ULONG64 phys, ULONG len)
{
    fuzz_mem *m = ctx;
    if (phys < FUZZ_BASE || phys - FUZZ_BASE > m->Size || len > m->Size - (phys - FUZZ_BASE))
        return NULL;
    return m->Data + (phys - FUZZ_BASE);
}
static void fuzz_unmap(PVOID ctx, const UCHAR *va, ULONG len) { }

/* Makes every 36-byte-header-shaped table found at 16-byte alignment sum
 * to zero, so random bytes get past the checksum gate. */
static void fix_checksums(UCHAR *m, size_t n)
{
    if (n >= 36) {
        m[8] = 0;
        m[8] = (UCHAR)(0 - HalpAcpiChecksum(m, 20));
        ULONG l = HalpRead32(m + 20);
        if (l >= 36 && l <= n) {
            m[32] = 0;
            m[32] = (UCHAR)(0 - HalpAcpiChecksum(m, l));
        }
    }
    for (size_t off = 16; off + 36 <= n; off += 16) {
        ULONG l = HalpRead32(m + off + 4);
        if (l >= 36 && l <= n - off) {
            m[off + 9] = 0;
            m[off + 9] = (UCHAR)(0 - HalpAcpiChecksum(m + off, l));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static HAL_ACPI_INFO info;
    UCHAR a, b;

    if (size < 2)
        return 0;
    UCHAR mode = data[0];
    data++, size--;
    switch (mode % 6) {
    case 0: {
        UCHAR *copy = malloc(size);
        memcpy(copy, data, size);
        if (copy[0] & 1)
            fix_checksums(copy + 1, size - 1);
        fuzz_mem m = { copy + 1, size - 1 };
        HALP_ACPI_ACCESS access = { fuzz_map, fuzz_unmap, &m };
        HalpAcpiParse(&access, FUZZ_BASE, &info);
        free(copy);
        break;
    }
    case 1: HalpAcpiParseMadt(data, (ULONG)size, memset(&info, 0, sizeof(info))); break;
    case 2: HalpAcpiParseMcfg(data, (ULONG)size, memset(&info, 0, sizeof(info))); break;
    case 3: HalpAcpiParseFadt(data, (ULONG)size, memset(&info, 0, sizeof(info))); break;
    case 4:
        /* HPET and SPCR: each a GAS at a fixed place; one input, both. */
        HalpAcpiParseHpet(data, (ULONG)size, memset(&info, 0, sizeof(info)));
        HalpAcpiParseSpcr(data, (ULONG)size, &info);
        if (info.HaveSpcr &&
            (!info.Spcr.Address || (info.Spcr.Stride != 1 && info.Spcr.Stride != 4) ||
             (info.Spcr.Width != 1 && info.Spcr.Width != 4) ||
             (!info.Spcr.Mmio && (info.Spcr.Address > 0xFFF8 || info.Spcr.Stride != 1))))
            abort();
        break;
    case 5: {
        /* What \_S5 decodes to depends only on the bytes from its name on:
         * a leading byte that cannot start a match changes nothing (an
         * off-by-one against the buffer's start would).  Bytes after the
         * end may change the answer, rightly: they can complete an earlier
         * \_S5 package that was cut short, which is then the first match
         * (seed aml_s5_truncated_then_completed). */
        BOOLEAN found = HalpAmlFindS5(data, (ULONG)size, &a, &b);
        if (found && (a > 7 || b > 7))
            abort();
        UCHAR *moved = malloc(size + 1), a2 = 0xEE, b2 = 0xEE;
        moved[0] = 0;
        memcpy(moved + 1, data, size);
        if (HalpAmlFindS5(moved, (ULONG)size + 1, &a2, &b2) != found ||
            (found && (a2 != a || b2 != b)))
            abort();
        free(moved);
        break;
    }
    }
    return 0;
}
