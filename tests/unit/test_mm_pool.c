/* test_mm_pool.c - the nonpaged pool core (kernel/mm/pool.c) over a page
 * source backed by aligned_alloc: size classes, alignment, tag accounting,
 * bug checks on misuse, guard and poison patterns, page return, exhaustion. */
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

#define TAG_A NTSTOR_TAG('T', 's', 't', 'A')
#define TAG_B NTSTOR_TAG('T', 's', 't', 'B')

static ULONG64 SourcePagesOut;      /* pages the pool holds from us */
static ULONG64 SourceFailAfter;     /* 0 = never fail */
static ULONG64 SourceCalls;

static PVOID TestAllocatePages(SIZE_T Count)
{
    SourceCalls++;
    if (SourceFailAfter && SourceCalls >= SourceFailAfter)
        return NULL;
    PVOID p = aligned_alloc(PAGE_SIZE, Count * PAGE_SIZE);
    if (p) {
        memset(p, 0x5A, Count * PAGE_SIZE);  /* not zeroed: the pool must not rely on it */
        SourcePagesOut += Count;
    }
    return p;
}

static VOID TestFreePages(PVOID Va, SIZE_T Count)
{
    assert_true(((uintptr_t)Va & (PAGE_SIZE - 1)) == 0);
    assert_true(SourcePagesOut >= Count);
    SourcePagesOut -= Count;
    free(Va);
}

static const MI_PAGE_SOURCE TestSource = { TestAllocatePages, TestFreePages };

static int Setup(void **state)
{
    SourcePagesOut = 0;
    SourceFailAfter = 0;
    SourceCalls = 0;
    MiPoolInitialize(&TestSource);
    return 0;
}

/* Every test must leave the pool empty: after a trim, no page is held. */
static int Teardown(void **state)
{
    MiPoolTrim();
    assert_int_equal(SourcePagesOut, 0);
    return 0;
}

static MI_POOL_TOTALS Totals(void)
{
    MI_POOL_TOTALS t;
    MiPoolQueryTotals(&t);
    return t;
}

/* Runs Fn and returns the stop code it raised (0 if none). */
typedef void (*BUGCHECK_FN)(void *);
static ULONG CatchBugCheck(BUGCHECK_FN Fn, void *Ctx)
{
    jmp_buf jb;
    host_last_bugcheck = 0;
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        Fn(Ctx);
        host_bugcheck_jmp = NULL;
        return 0;
    }
    host_bugcheck_jmp = NULL;
    return host_last_bugcheck;
}

static void test_alignment_and_sizes(void **state)
{
    static const SIZE_T sizes[] = { 1, 15, 16, 17, 31, 48, 100, 255, 512, 1000, 2032, 2048,
                                    2049, 4000, 4080, 4081, 4096, 8192, 65536, 300000 };
    PVOID p[RTL_NUMBER_OF(sizes)];
    for (size_t i = 0; i < RTL_NUMBER_OF(sizes); i++) {
        p[i] = ExAllocatePoolWithTag(NonPagedPool, sizes[i], TAG_A);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] & 15, 0);
        memset(p[i], (int)i, sizes[i]);
    }
    for (size_t i = 0; i < RTL_NUMBER_OF(sizes); i++) {
        const UCHAR *b = p[i];
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(b[j], (UCHAR)i);
    }
    for (size_t i = 0; i < RTL_NUMBER_OF(sizes); i++)
        ExFreePoolWithTag(p[i], TAG_A);
    assert_int_equal(Totals().Allocations, 0);
    assert_int_equal(Totals().BytesInUse, 0);
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 0);
}

static void test_tag_accounting(void **state)
{
    PVOID a1 = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_A);
    PVOID a2 = ExAllocatePoolWithTag(PagedPool, 5000, TAG_A);
    PVOID b1 = ExAllocatePoolZero(NonPagedPoolNx, 40, TAG_B);
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(b1);
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 5100);
    assert_int_equal(ExQueryPoolTagBytes(TAG_B), 40);
    assert_int_equal(ExQueryPoolTagBytes(NTSTOR_TAG('N', 'o', 'n', 'e')), 0);
    assert_int_equal(Totals().BytesInUse, 5140);
    assert_int_equal(Totals().Allocations, 3);

    POOL_TAG_INFO info[8];
    ULONG n = ExQueryPoolTags(info, 8);
    assert_int_equal(n, 2);
    int seenA = 0, seenB = 0;
    for (ULONG i = 0; i < n; i++) {
        if (info[i].Tag == TAG_A) {
            seenA = 1;
            assert_int_equal(info[i].Allocs, 2);
            assert_int_equal(info[i].Frees, 0);
            assert_int_equal(info[i].BytesInUse, 5100);
        } else if (info[i].Tag == TAG_B) {
            seenB = 1;
            assert_int_equal(info[i].Allocs, 1);
        }
    }
    assert_true(seenA && seenB);
    /* Max smaller than the count still reports the count. */
    assert_int_equal(ExQueryPoolTags(info, 1), 2);

    ExFreePool(a1);
    ExFreePoolWithTag(a2, TAG_A);
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 0);
    ExQueryPoolTags(info, 8);
    for (ULONG i = 0; i < 2; i++)
        if (info[i].Tag == TAG_A)
            assert_int_equal(info[i].Frees, 2);
    ExFreePoolWithTag(b1, TAG_B);
    assert_int_equal(Totals().BytesInUse, 0);
}

static void test_zero_allocation(void **state)
{
    UCHAR *p = ExAllocatePoolWithTag(NonPagedPool, 200, TAG_A);
    memset(p, 0x77, 200);
    ExFreePool(p);
    UCHAR *z = ExAllocatePoolZero(NonPagedPool, 200, TAG_A);
    assert_ptr_equal(z, p);     /* same block reused: zeroing is real work */
    for (int i = 0; i < 200; i++)
        assert_int_equal(z[i], 0);
    ExFreePool(z);
}

static void FreeWrongTag(void *p) { ExFreePoolWithTag(p, TAG_B); }
static void FreeIt(void *p) { ExFreePool(p); }

static void test_wrong_tag_bugchecks(void **state)
{
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_A);
    assert_int_equal(CatchBugCheck(FreeWrongTag, p), BAD_POOL_CALLER);
    assert_int_equal(host_last_bugcheck_params[0], 0x0A);
    assert_int_equal(host_last_bugcheck_params[1], (ULONG_PTR)p);
    assert_int_equal(host_last_bugcheck_params[2], TAG_A);
    assert_int_equal(host_last_bugcheck_params[3], TAG_B);
    /* Nothing was freed, the lock was dropped: the right tag still works. */
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 64);
    ExFreePoolWithTag(p, TAG_A);
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 0);
}

static void test_double_free_bugchecks(void **state)
{
    PVOID keep = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_A); /* keeps the slab alive */
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_A);
    ExFreePool(p);
    assert_int_equal(CatchBugCheck(FreeIt, p), BAD_POOL_HEADER);
    assert_int_equal(host_last_bugcheck_params[0], 0x07);
    ExFreePool(keep);
}

static void test_corrupt_header_bugchecks(void **state)
{
    UCHAR *p = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_A);
    p[-12] ^= 0x40;      /* flip a bit of the size field */
    assert_int_equal(CatchBugCheck(FreeIt, p), BAD_POOL_HEADER);
    assert_int_equal(host_last_bugcheck_params[0], 0x20);
    p[-12] ^= 0x40;
    ExFreePool(p);

    /* A pointer that never came from the pool (inside a block). */
    UCHAR *q = ExAllocatePoolWithTag(NonPagedPool, 256, TAG_A);
    assert_int_equal(CatchBugCheck(FreeIt, q + 32), BAD_POOL_HEADER);
    /* Misaligned and NULL pointers are caller errors. */
    assert_int_equal(CatchBugCheck(FreeIt, q + 1), BAD_POOL_CALLER);
    assert_int_equal(CatchBugCheck(FreeIt, NULL), BAD_POOL_CALLER);
    ExFreePool(q);
}

static void test_overrun_guard(void **state)
{
    UCHAR *p = ExAllocatePoolWithTag(NonPagedPool, 20, TAG_A);  /* 48-byte block: 12 guard bytes */
    p[20] = 0;
    assert_int_equal(CatchBugCheck(FreeIt, p), BAD_POOL_HEADER);
    assert_int_equal(host_last_bugcheck_params[0], 0x24);
    assert_int_equal(host_last_bugcheck_params[2], 20);
    p[20] = 0xCB;
    ExFreePool(p);

    UCHAR *big = ExAllocatePoolWithTag(NonPagedPool, 5000, TAG_A);
    big[5003] = 1;
    assert_int_equal(CatchBugCheck(FreeIt, big), BAD_POOL_HEADER);
    assert_int_equal(host_last_bugcheck_params[2], 5003);
    big[5003] = 0xCB;
    ExFreePool(big);
}

static void test_freed_memory_poisoned(void **state)
{
    PVOID keep = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_A);
    UCHAR *p = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_A);
    memset(p, 0, 100);
    ExFreePool(p);
    /* The first 8 bytes hold the free-list link; the rest is poison. */
    for (int i = 8; i < 100; i++)
        assert_int_equal(p[i], 0xDD);
    ExFreePool(keep);
}

static void FreeAtHighIrql(void *p)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    ExAllocatePoolWithTag(NonPagedPool, 16, TAG_A);
}

static void test_irql_checked(void **state)
{
    assert_int_equal(CatchBugCheck(FreeAtHighIrql, NULL), BAD_POOL_CALLER);
    assert_int_equal(host_last_bugcheck_params[0], 0x08);
    KeLowerIrql(PASSIVE_LEVEL);
    /* At DISPATCH_LEVEL it is fine. */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_A);
    assert_non_null(p);
    ExFreePool(p);
    KeLowerIrql(old);
}

static void test_exhaustion_and_limits(void **state)
{
    assert_null(ExAllocatePoolWithTag(NonPagedPool, 0, TAG_A));
    assert_null(ExAllocatePoolWithTag(NonPagedPool, (SIZE_T)1 << 40, TAG_A));
    SourceFailAfter = SourceCalls + 1;      /* the next page request fails */
    assert_null(ExAllocatePoolWithTag(NonPagedPool, 100, TAG_A));
    assert_null(ExAllocatePoolWithTag(NonPagedPool, 100000, TAG_A));
    assert_int_equal(Totals().Allocations, 0);
    assert_int_equal(ExQueryPoolTagBytes(TAG_A), 0);
    SourceFailAfter = 0;
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_A);
    assert_non_null(p);
    ExFreePool(p);
}

static void test_pages_returned(void **state)
{
    enum { N = 3000 };
    static PVOID p[N];
    for (int i = 0; i < N; i++) {
        p[i] = ExAllocatePoolWithTag(NonPagedPool, 16 + (i % 9) * 200, TAG_A);
        assert_non_null(p[i]);
    }
    ULONG64 peak = SourcePagesOut;
    assert_int_equal(Totals().PagesHeld, peak);
    assert_true(peak > 100);
    for (int i = 0; i < N; i++)
        ExFreePool(p[i]);
    /* At most one empty slab per class (each at most 8 pages) is kept. */
    assert_int_equal(Totals().PagesHeld, SourcePagesOut);
    assert_true(SourcePagesOut <= 17 * 8);
    assert_int_equal(Totals().Allocations, 0);
    /* Big blocks go straight back. */
    ULONG64 before = SourcePagesOut;
    PVOID big = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, TAG_A);
    assert_int_equal(SourcePagesOut, before + 4);
    ExFreePool(big);
    assert_int_equal(SourcePagesOut, before);
}

static void test_random_stress(void **state)
{
    enum { SLOTS = 512, ROUNDS = 20000 };
    static UCHAR *p[SLOTS];
    static SIZE_T sz[SLOTS];
    ULONG64 bytes = 0;
    srand(12345);
    memset(p, 0, sizeof(p));
    for (int r = 0; r < ROUNDS; r++) {
        int i = rand() % SLOTS;
        if (p[i]) {
            for (SIZE_T j = 0; j < sz[i]; j++)
                assert_int_equal(p[i][j], (UCHAR)(i * 7 + sz[i]));
            ExFreePoolWithTag(p[i], (i & 1) ? TAG_A : TAG_B);
            bytes -= sz[i];
            p[i] = NULL;
        } else {
            sz[i] = 1 + (SIZE_T)(rand() % ((r & 15) ? 2100 : 20000));
            p[i] = ExAllocatePoolWithTag(NonPagedPool, sz[i], (i & 1) ? TAG_A : TAG_B);
            assert_non_null(p[i]);
            memset(p[i], (UCHAR)(i * 7 + sz[i]), sz[i]);
            bytes += sz[i];
        }
        if ((r & 1023) == 0)
            assert_int_equal(Totals().BytesInUse, bytes);
    }
    assert_int_equal(ExQueryPoolTagBytes(TAG_A) + ExQueryPoolTagBytes(TAG_B), bytes);
    for (int i = 0; i < SLOTS; i++)
        if (p[i])
            ExFreePool(p[i]);
    assert_int_equal(Totals().BytesInUse, 0);
}

static void test_many_tags(void **state)
{
    /* More tags than the table has slots: the rest are counted together. */
    enum { N = 600 };
    static PVOID p[N];
    for (int i = 0; i < N; i++)
        p[i] = ExAllocatePoolWithTag(NonPagedPool, 16, NTSTOR_TAG('t', 'g', i & 0xFF, (i >> 8) + '0'));
    POOL_TAG_INFO *info = calloc(N + 1, sizeof(*info));
    ULONG n = ExQueryPoolTags(info, N + 1);
    assert_int_equal(n, 513);
    ULONG64 total = 0;
    for (ULONG i = 0; i < n; i++)
        total += info[i].BytesInUse;
    assert_int_equal(total, N * 16);
    free(info);
    for (int i = 0; i < N; i++)
        ExFreePool(p[i]);
    assert_int_equal(Totals().BytesInUse, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment_and_sizes, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_tag_accounting, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_zero_allocation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_wrong_tag_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_double_free_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_header_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_overrun_guard, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_freed_memory_poisoned, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_irql_checked, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion_and_limits, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_pages_returned, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_random_stress, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_many_tags, Setup, Teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
