/* test_mm_phys.c - the physical page allocator core (kernel/mm/phys.c) over
 * synthetic UEFI memory maps, and the system VA allocator (kernel/mm/sysva.c):
 * map validation, the low 1 MiB, limits, alignment, boundaries, exhaustion,
 * fragmentation and coalescing, double and foreign frees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <wdm.h>
#include "../../kernel/mm/mi.h"
#include "host_support.h"

#define DESC_SIZE 48    /* bigger stride than the struct, as real firmware uses */
#define MB (1ULL << 20)
#define GB (1ULL << 30)

typedef struct { UCHAR Bytes[64][DESC_SIZE]; ULONG Count; } TEST_MAP;

static void Add(TEST_MAP *m, ULONG Type, ULONG64 Base, ULONG64 Pages)
{
    ntstor_efi_memory_descriptor d = { 0 };
    d.type = Type;
    d.physical_start = Base;
    d.number_of_pages = Pages;
    memset(m->Bytes[m->Count], 0xEE, DESC_SIZE);
    memcpy(m->Bytes[m->Count], &d, sizeof(d));
    m->Count++;
}

/* A PC-like map:  0-640K conventional, 1M-8M conventional, 8M-9M loader data
 * (the kernel), 9M-16M boot services data, an MMIO page, 4G-4G+4M conventional. */
static void PcMap(TEST_MAP *m)
{
    memset(m, 0, sizeof(*m));
    Add(m, 7, 0, 160);
    Add(m, 0, 0xA0000, 96);
    Add(m, 7, 1 * MB, 1792);
    Add(m, 2, 8 * MB, 256);
    Add(m, 4, 9 * MB, 1792);
    Add(m, 11, 0xFEC00000, 1);
    Add(m, 7, 4 * GB, 1024);
}

#define USABLE_PAGES (1792 + 1792 + 1024)

static MI_PHYS_ALLOCATOR A;
static PVOID Storage;

static void InitFrom(TEST_MAP *m)
{
    MI_MAP_SUMMARY s;
    assert_int_equal(MiPhysScanMap(m->Bytes, m->Count * DESC_SIZE, DESC_SIZE, &s), STATUS_SUCCESS);
    ULONG64 bytes = MiPhysBitmapBytes(s.PageLimit);
    free(Storage);
    Storage = malloc(bytes);
    assert_int_equal(MiPhysInitialize(&A, m->Bytes, m->Count * DESC_SIZE, DESC_SIZE, Storage, bytes),
                     STATUS_SUCCESS);
}

static int Teardown(void **state)
{
    free(Storage);
    Storage = NULL;
    return 0;
}

static void test_scan_summary(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    MI_MAP_SUMMARY s;
    assert_int_equal(MiPhysScanMap(m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, &s), STATUS_SUCCESS);
    assert_int_equal(s.DescriptorCount, 7);
    assert_int_equal(s.IgnoredCount, 0);
    assert_int_equal(s.UsablePages, USABLE_PAGES);
    assert_int_equal(s.PageLimit, (4 * GB >> 12) + 1024);
    assert_int_equal(s.TypeCount[7], 3);
    assert_int_equal(s.TypePages[7], 160 + 1792 + 1024);
    assert_int_equal(s.TypeCount[11], 1);
    assert_int_equal(s.TypeCount[2], 1);
}

static void test_bad_maps_refused(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    MI_MAP_SUMMARY s;
    /* Descriptor stride below the 40-byte UEFI layout. */
    assert_int_not_equal(MiPhysScanMap(m.Bytes, m.Count * DESC_SIZE, 32, &s), STATUS_SUCCESS);
    assert_int_not_equal(MiPhysScanMap(NULL, 480, DESC_SIZE, &s), STATUS_SUCCESS);
    assert_int_not_equal(MiPhysScanMap(m.Bytes, 10, DESC_SIZE, &s), STATUS_SUCCESS);
    /* Only low memory: nothing usable. */
    memset(&m, 0, sizeof(m));
    Add(&m, 7, 0x1000, 100);
    assert_int_equal(MiPhysScanMap(m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, &s),
                     STATUS_INSUFFICIENT_RESOURCES);
    /* Too small storage. */
    PcMap(&m);
    ULONG64 word;
    assert_int_equal(MiPhysInitialize(&A, m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, &word, 8),
                     STATUS_BUFFER_TOO_SMALL);
}

static void test_absurd_entries_ignored(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    Add(&m, 7, 32 * MB + 5, 10);                    /* unaligned */
    Add(&m, 7, 40 * MB, 0);                         /* empty */
    Add(&m, 7, 0xFFFFFFFFFFFFF000ULL, 0x1000);      /* wraps */
    Add(&m, 7, 1ULL << 53, 1);                      /* beyond 52-bit space */
    Add(&m, 0, 12 * MB, 16);                        /* reserved inside boot services data */
    MI_MAP_SUMMARY s;
    assert_int_equal(MiPhysScanMap(m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, &s), STATUS_SUCCESS);
    assert_int_equal(s.IgnoredCount, 6);            /* the 4 absurd + both overlapping */
    assert_int_equal(s.UsablePages, 1792 + 1024);
    InitFrom(&m);
    /* Nothing in the overlapped 9M-16M region is ever handed out. */
    ULONG64 pfn, n = 0;
    while (NT_SUCCESS(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn))) {
        assert_false(pfn >= (9 * MB >> 12) && pfn < (16 * MB >> 12));
        n++;
    }
    assert_int_equal(n, 1792 + 1024);
}

static void test_low_memory_and_loader_data_never_given(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    InitFrom(&m);
    assert_int_equal(A.TotalPages, USABLE_PAGES);
    assert_int_equal(A.FreePages, USABLE_PAGES);
    ULONG64 pfn, n = 0;
    static UCHAR seen[(4 * GB >> 12) + 1024];
    memset(seen, 0, sizeof(seen));
    while (NT_SUCCESS(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn))) {
        assert_true(pfn >= 256);
        assert_false(pfn >= (8 * MB >> 12) && pfn < (9 * MB >> 12));
        assert_false(pfn == (0xFEC00000 >> 12));
        assert_int_equal(seen[pfn], 0);
        seen[pfn] = 1;
        n++;
    }
    assert_int_equal(n, USABLE_PAGES);
    assert_int_equal(A.FreePages, 0);
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn), STATUS_INSUFFICIENT_RESOURCES);
    /* Free them all: everything is available again. */
    for (ULONG64 i = 0; i < RTL_NUMBER_OF(seen); i++)
        if (seen[i])
            assert_int_equal(MiPhysFree(&A, i, 1), STATUS_SUCCESS);
    assert_int_equal(A.FreePages, USABLE_PAGES);
}

static void test_max_phys_limit(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    InitFrom(&m);
    ULONG64 pfn, lim = 0xFFFFFFFFULL >> 12, n = 0;
    while (NT_SUCCESS(MiPhysAllocate(&A, 2, 0, lim, 1, 0, &pfn))) {
        assert_true(pfn + 1 <= lim);
        n++;
    }
    assert_int_equal(n, 1792 / 2 + 1792 / 2);
    /* Memory above 4 GiB is still there for unconstrained requests. */
    assert_int_equal(MiPhysAllocate(&A, 1024, 0, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(pfn, 4 * GB >> 12);
    /* A limit inside a free range: the run must end at or below it. */
    PcMap(&m);
    InitFrom(&m);
    assert_int_equal(MiPhysAllocate(&A, 100, 0, 300, 1, 0, &pfn), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(MiPhysAllocate(&A, 45, 0, 300, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(pfn, 256);
    /* Lowest bound. */
    assert_int_equal(MiPhysAllocate(&A, 4, 1000, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(pfn, 1000);
}

static void test_alignment_and_boundary(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    InitFrom(&m);
    ULONG64 pfn, first;
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &first), STATUS_SUCCESS);
    for (ULONG64 align = 2; align <= 512; align *= 2) {
        assert_int_equal(MiPhysAllocate(&A, 3, 0, ~0ULL, align, 0, &pfn), STATUS_SUCCESS);
        assert_int_equal(pfn % align, 0);
    }
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 3, 0, &pfn), STATUS_INVALID_PARAMETER);
    assert_int_equal(MiPhysAllocate(&A, 0, 0, ~0ULL, 1, 0, &pfn), STATUS_INVALID_PARAMETER);
    /* Boundary: 16-page (64 KiB) windows, 5 pages each, never crossing. */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(MiPhysAllocate(&A, 5, 0, ~0ULL, 1, 16, &pfn), STATUS_SUCCESS);
        assert_int_equal(pfn / 16, (pfn + 4) / 16);
    }
    assert_int_equal(MiPhysAllocate(&A, 17, 0, ~0ULL, 1, 16, &pfn), STATUS_INVALID_PARAMETER);
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 12, &pfn), STATUS_INVALID_PARAMETER);
}

static void test_fragmentation_and_coalescing(void **state)
{
    TEST_MAP m;
    memset(&m, 0, sizeof(m));
    Add(&m, 7, 1 * MB, 64);
    InitFrom(&m);
    ULONG64 pfn[64];
    for (int i = 0; i < 64; i++)
        assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn[i]), STATUS_SUCCESS);
    for (int i = 0; i < 64; i += 2)
        assert_int_equal(MiPhysFree(&A, pfn[i], 1), STATUS_SUCCESS);
    ULONG64 p;
    assert_int_equal(A.FreePages, 32);
    assert_int_equal(MiPhysAllocate(&A, 2, 0, ~0ULL, 1, 0, &p), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &p), STATUS_SUCCESS);
    assert_int_equal(MiPhysFree(&A, p, 1), STATUS_SUCCESS);
    for (int i = 1; i < 64; i += 2)
        assert_int_equal(MiPhysFree(&A, pfn[i], 1), STATUS_SUCCESS);
    assert_int_equal(MiPhysAllocate(&A, 64, 0, ~0ULL, 1, 0, &p), STATUS_SUCCESS);
    assert_int_equal(p, 256);
    /* A multi-page free releases every page of the run. */
    assert_int_equal(MiPhysFree(&A, p, 64), STATUS_SUCCESS);
    assert_int_equal(A.FreePages, 64);
}

static void test_bad_frees_refused(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    InitFrom(&m);
    ULONG64 pfn;
    assert_int_equal(MiPhysAllocate(&A, 4, 0, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(MiPhysFree(&A, pfn, 4), STATUS_SUCCESS);
    assert_int_equal(MiPhysFree(&A, pfn, 4), STATUS_UNSUCCESSFUL);        /* double */
    assert_int_equal(MiPhysFree(&A, 8 * MB >> 12, 1), STATUS_INVALID_PARAMETER);  /* loader data */
    assert_int_equal(MiPhysFree(&A, 10, 1), STATUS_INVALID_PARAMETER);   /* below 1 MiB */
    assert_int_equal(MiPhysFree(&A, 1ULL << 40, 1), STATUS_INVALID_PARAMETER);
    assert_int_equal(MiPhysFree(&A, pfn, 0), STATUS_INVALID_PARAMETER);
    /* Half-allocated run: refused as a whole, nothing changes. */
    assert_int_equal(MiPhysAllocate(&A, 2, 0, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    ULONG64 freeBefore = A.FreePages;
    assert_int_equal(MiPhysFree(&A, pfn, 3), STATUS_UNSUCCESSFUL);
    assert_int_equal(A.FreePages, freeBefore);
    assert_int_equal(MiPhysFree(&A, pfn, 2), STATUS_SUCCESS);
}

static void test_reserve_and_storage(void **state)
{
    TEST_MAP m;
    PcMap(&m);
    ULONG64 phys = MiPhysFindStorage(m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, 5 * PAGE_SIZE);
    assert_int_equal(phys, 1 * MB);
    /* Larger than any free range. */
    assert_int_equal(MiPhysFindStorage(m.Bytes, m.Count * DESC_SIZE, DESC_SIZE, 1792 * PAGE_SIZE + 1), 0);
    /* Too small a range is skipped for the next one that fits. */
    TEST_MAP small;
    memset(&small, 0, sizeof(small));
    Add(&small, 7, 1 * MB, 4);
    Add(&small, 2, 2 * MB, 4);
    Add(&small, 3, 3 * MB, 100);
    assert_int_equal(MiPhysFindStorage(small.Bytes, small.Count * DESC_SIZE, DESC_SIZE, 10 * PAGE_SIZE),
                     3 * MB);

    InitFrom(&m);
    MiPhysReserve(&A, 256, 10);
    MiPhysReserve(&A, 8 * MB >> 12, 4);     /* already in use: no change to the count */
    assert_int_equal(A.FreePages, USABLE_PAGES - 10);
    ULONG64 pfn;
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(pfn, 266);
    /* Reserved usable pages may be freed back (the bitmaps' own pages may). */
    assert_int_equal(MiPhysFree(&A, 256, 10), STATUS_SUCCESS);
    assert_int_equal(MiPhysAllocate(&A, 1, 0, ~0ULL, 1, 0, &pfn), STATUS_SUCCESS);
    assert_int_equal(pfn, 256);
}

static void test_system_va(void **state)
{
    static MI_VA_SPACE s;
    const ULONG64 base = MI_SYSTEM_VA_BASE;
    MiVaInitialize(&s, base, 100);
    ULONG64 a = MiVaReserve(&s, 10), b = MiVaReserve(&s, 20), c = MiVaReserve(&s, 5);
    assert_int_equal(a, base);
    assert_int_equal(b, base + 11 * PAGE_SIZE);     /* guard page between */
    assert_int_equal(c, base + 32 * PAGE_SIZE);
    assert_int_equal(MiVaReserve(&s, 70), 0);       /* does not fit */
    assert_int_equal(MiVaReserve(&s, 0), 0);
    assert_int_equal(MiVaRelease(&s, b), 20);
    assert_int_equal(MiVaRelease(&s, b), 0);        /* not reserved any more */
    assert_int_equal(MiVaRelease(&s, a + PAGE_SIZE), 0);
    ULONG64 d = MiVaReserve(&s, 20);                /* reuses the gap */
    assert_int_equal(d, b);
    assert_int_equal(MiVaReserve(&s, 62), 0);       /* its guard page would not fit */
    ULONG64 e = MiVaReserve(&s, 61);                /* 38..99, guard 99 */
    assert_int_equal(e, base + 38 * PAGE_SIZE);
    assert_int_equal(MiVaReserve(&s, 1), 0);        /* full up to guard pages */
    assert_int_equal(MiVaRelease(&s, a), 10);
    assert_int_equal(MiVaRelease(&s, c), 5);
    assert_int_equal(MiVaRelease(&s, d), 20);
    assert_int_equal(MiVaRelease(&s, e), 61);
    assert_int_equal(s.Count, 0);
    assert_int_equal(MiVaReserve(&s, 99), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_scan_summary, Teardown),
        cmocka_unit_test_teardown(test_bad_maps_refused, Teardown),
        cmocka_unit_test_teardown(test_absurd_entries_ignored, Teardown),
        cmocka_unit_test_teardown(test_low_memory_and_loader_data_never_given, Teardown),
        cmocka_unit_test_teardown(test_max_phys_limit, Teardown),
        cmocka_unit_test_teardown(test_alignment_and_boundary, Teardown),
        cmocka_unit_test_teardown(test_fragmentation_and_coalescing, Teardown),
        cmocka_unit_test_teardown(test_bad_frees_refused, Teardown),
        cmocka_unit_test_teardown(test_reserve_and_storage, Teardown),
        cmocka_unit_test(test_system_va),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
