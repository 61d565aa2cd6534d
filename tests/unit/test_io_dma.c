/* test_io_dma.c - host unit tests of DMA adapters (kernel/io/dma.c):
 * common buffers below the device's limit, scatter/gather lists merged
 * from an MDL's pages, map registers (bounce) for pages out of reach with
 * the copies in the right direction, the list cache (no pool after the
 * first request), BuildScatterGatherList in the caller's buffer, its Put
 * without the adapter's lock, map registers exhausted ("later") against a
 * transfer they can never carry ("never"), CalculateScatterGatherList
 * without an MDL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <wdm.h>
#include "host_support.h"

/* "Physical" memory: the one contiguous block the adapter asks for gets
 * LOW_PA; everything else is identity (host addresses: above 4 GiB). */
#define LOW_PA 0x00100000ull
static PUCHAR LowBlock;
static SIZE_T LowBytes;
static ULONG64 LastHighest;

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T Bytes, PHYSICAL_ADDRESS Low, PHYSICAL_ADDRESS High,
                                             PHYSICAL_ADDRESS Boundary, MEMORY_CACHING_TYPE Cache)
{
    LastHighest = (ULONG64)High.QuadPart;
    if (LowBlock)
        return NULL;                    /* one block at a time in this stand-in */
    LowBlock = aligned_alloc(PAGE_SIZE, (Bytes + PAGE_SIZE - 1) & ~(SIZE_T)(PAGE_SIZE - 1));
    LowBytes = Bytes;
    return LowBlock;
}

VOID MmFreeContiguousMemory(PVOID Va)
{
    assert_ptr_equal(Va, LowBlock);
    free(LowBlock);
    LowBlock = NULL;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS Pa;
    if (LowBlock && (PUCHAR)Va >= LowBlock && (PUCHAR)Va < LowBlock + LowBytes)
        Pa.QuadPart = (LONGLONG)(LOW_PA + ((PUCHAR)Va - LowBlock));
    else
        Pa.QuadPart = (LONGLONG)(ULONG_PTR)Va;
    return Pa;
}

/* The adapter's lock, counted: host_support.c's, plus how often it was
 * taken (the caller-buffer path must not take it). */
static ULONG LockAcquires;
VOID KeAcquireSpinLock(PKSPIN_LOCK L, PKIRQL Old)
{
    KeRaiseIrql(DISPATCH_LEVEL, Old);
    if (*L)
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 1;
    LockAcquires++;
}
VOID KeReleaseSpinLock(PKSPIN_LOCK L, KIRQL New)
{
    if (!*L)
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 0;
    KeLowerIrql(New);
}

/* An MDL over Buffer whose pages are at the given page numbers. */
typedef struct {
    MDL Mdl;
    PFN_NUMBER Pfn[8];
} TEST_MDL;

static void MakeMdl(TEST_MDL *T, PVOID Buffer, ULONG Bytes, const PFN_NUMBER *Pfns)
{
    memset(T, 0, sizeof(*T));
    T->Mdl.StartVa = PAGE_ALIGN(Buffer);
    T->Mdl.ByteOffset = BYTE_OFFSET(Buffer);
    T->Mdl.ByteCount = Bytes;
    T->Mdl.MappedSystemVa = Buffer;
    T->Mdl.Size = (CSHORT)sizeof(*T);
    for (ULONG i = 0; i < ADDRESS_AND_SIZE_TO_SPAN_PAGES(Buffer, Bytes); i++)
        T->Pfn[i] = Pfns[i];
}

static PSCATTER_GATHER_LIST Seen;
static ULONG SeenCalls;
static PVOID SeenContext;
static VOID Execution(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST Sg, PVOID Context)
{
    Seen = Sg;
    SeenCalls++;
    SeenContext = Context;
}

static PDMA_ADAPTER Get(BOOLEAN Bits64, ULONG MaxLength, PULONG Registers)
{
    DEVICE_DESCRIPTION d = { .Version = DEVICE_DESCRIPTION_VERSION, .Master = TRUE, .ScatterGather = TRUE,
                             .Dma32BitAddresses = TRUE, .Dma64BitAddresses = Bits64,
                             .InterfaceType = PCIBus, .MaximumLength = MaxLength };
    return IoGetDmaAdapter(NULL, &d, Registers);
}

static void test_common_buffer_below_the_limit(void **state)
{
    ULONG regs;
    PHYSICAL_ADDRESS pa;
    PDMA_ADAPTER a = Get(TRUE, 64 * 1024, &regs);

    assert_non_null(a);
    assert_int_equal(regs, 17);
    assert_null(LowBlock);                      /* 64-bit: no bounce pages */
    PUCHAR va = a->DmaOperations->AllocateCommonBuffer(a, 8192, &pa, TRUE);
    assert_non_null(va);
    assert_true(LastHighest == ~0ull);
    assert_true((ULONG64)pa.QuadPart == LOW_PA);
    assert_int_equal(va[100], 0);               /* zeroed */
    a->DmaOperations->FreeCommonBuffer(a, 8192, pa, va, TRUE);
    a->DmaOperations->PutDmaAdapter(a);

    /* Not a bus master: refused. */
    DEVICE_DESCRIPTION slave = { .Master = FALSE, .MaximumLength = 4096 };
    assert_null(IoGetDmaAdapter(NULL, &slave, &regs));
}

static void test_scatter_gather_merges_and_caches(void **state)
{
    static UCHAR buf[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    /* Pages 0,1 contiguous, 2 elsewhere, 3 after it. */
    static const PFN_NUMBER pfns[] = { 0x200, 0x201, 0x300, 0x301 };
    TEST_MDL t;
    ULONG regs;
    PDMA_ADAPTER a = Get(TRUE, 1024 * 1024, &regs);

    MakeMdl(&t, buf + 512, 3 * PAGE_SIZE, pfns);
    SeenCalls = 0;
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                            3 * PAGE_SIZE, Execution, (PVOID)7, TRUE),
                     STATUS_SUCCESS);
    assert_int_equal(SeenCalls, 1);
    assert_ptr_equal(SeenContext, (PVOID)7);
    assert_int_equal(Seen->NumberOfElements, 2);
    assert_true((ULONG64)Seen->Elements[0].Address.QuadPart == 0x200000 + 512);
    assert_int_equal(Seen->Elements[0].Length, 2 * PAGE_SIZE - 512);
    assert_true((ULONG64)Seen->Elements[1].Address.QuadPart == 0x300000);
    assert_int_equal(Seen->Elements[1].Length, PAGE_SIZE + 512);
    PSCATTER_GATHER_LIST first = Seen;
    a->DmaOperations->PutScatterGatherList(a, Seen, TRUE);

    /* The next request reuses the cached list: no pool. */
    ULONG64 allocs = host_pool_allocs(0);
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, (PUCHAR)MmGetMdlVirtualAddress(&t.Mdl) + 100,
                                                            200, Execution, NULL, FALSE),
                     STATUS_SUCCESS);
    assert_ptr_equal(Seen, first);
    assert_int_equal(host_pool_allocs(0), allocs);
    assert_int_equal(Seen->NumberOfElements, 1);
    assert_true((ULONG64)Seen->Elements[0].Address.QuadPart == 0x200000 + 612);
    a->DmaOperations->PutScatterGatherList(a, Seen, FALSE);

    /* Outside the MDL: refused, routine not called. */
    SeenCalls = 0;
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                            3 * PAGE_SIZE + 1, Execution, NULL, TRUE),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(SeenCalls, 0);
    a->DmaOperations->PutDmaAdapter(a);
}

static void test_map_registers_bounce_both_ways(void **state)
{
    static UCHAR buf[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    static const PFN_NUMBER high[] = { 0x100000, 0x100001, 0x100002 };     /* 4 GiB and up */
    static const PFN_NUMBER low[] = { 0x400, 0x401, 0x402 };
    TEST_MDL t;
    ULONG regs;
    PDMA_ADAPTER a = Get(FALSE, 2 * PAGE_SIZE, &regs);       /* 32-bit */

    assert_int_equal(regs, 3);
    assert_non_null(LowBlock);
    assert_true(LastHighest == 0xFFFFFFFFull);

    /* Reachable pages go as they are. */
    MakeMdl(&t, buf, 2 * PAGE_SIZE, low);
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, buf, 2 * PAGE_SIZE, Execution,
                                                            NULL, TRUE), STATUS_SUCCESS);
    assert_true((ULONG64)Seen->Elements[0].Address.QuadPart == 0x400000);
    a->DmaOperations->PutScatterGatherList(a, Seen, TRUE);

    /* A write above 4 GiB: copied into map registers before the routine runs. */
    MakeMdl(&t, buf + 16, 2 * PAGE_SIZE, high);
    memset(buf, 0xAB, sizeof(buf));
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                            2 * PAGE_SIZE, Execution, NULL, TRUE), STATUS_SUCCESS);
    assert_int_equal(Seen->NumberOfElements, 1);
    ULONG64 pa = (ULONG64)Seen->Elements[0].Address.QuadPart;
    assert_true(pa >= LOW_PA && pa + 2 * PAGE_SIZE <= LOW_PA + LowBytes);
    assert_int_equal(LowBlock[pa - LOW_PA], 0xAB);
    assert_int_equal(LowBlock[pa - LOW_PA + 2 * PAGE_SIZE - 1], 0xAB);
    PSCATTER_GATHER_LIST w = Seen;

    /* While it holds 2 of the 3 registers, another 2-page bounce must wait. */
    TEST_MDL t2;
    MakeMdl(&t2, buf, 2 * PAGE_SIZE, high);
    SeenCalls = 0;
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t2.Mdl, buf, 2 * PAGE_SIZE, Execution,
                                                            NULL, FALSE), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(SeenCalls, 0);
    a->DmaOperations->PutScatterGatherList(a, w, TRUE);

    /* A read above 4 GiB: the device's bytes come back at Put. */
    memset(buf, 0, sizeof(buf));
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, NULL, &t2.Mdl, buf, PAGE_SIZE + 8, Execution,
                                                            NULL, FALSE), STATUS_SUCCESS);
    pa = (ULONG64)Seen->Elements[0].Address.QuadPart;
    memset(LowBlock + (pa - LOW_PA), 0x5C, PAGE_SIZE + 8);   /* "the device wrote" */
    assert_int_equal(buf[0], 0);                               /* not before Put */
    a->DmaOperations->PutScatterGatherList(a, Seen, FALSE);
    assert_int_equal(buf[0], 0x5C);
    assert_int_equal(buf[PAGE_SIZE + 7], 0x5C);
    assert_int_equal(buf[PAGE_SIZE + 8], 0);                   /* not past the transfer */

    /* BuildScatterGatherList: the caller's buffer, sized by Calculate. */
    ULONG size = 0, maps = 0;
    UCHAR sgbuf[512] __attribute__((aligned(8)));
    assert_int_equal(a->DmaOperations->CalculateScatterGatherList(a, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                                  2 * PAGE_SIZE, &size, &maps), STATUS_SUCCESS);
    assert_int_equal(maps, 3);
    assert_true(size <= sizeof(sgbuf));
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                              2 * PAGE_SIZE, Execution, NULL, TRUE, sgbuf,
                                                              size - 1), STATUS_BUFFER_TOO_SMALL);
    ULONG64 allocs = host_pool_allocs(0);
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                              2 * PAGE_SIZE, Execution, NULL, TRUE, sgbuf, size),
                     STATUS_SUCCESS);
    assert_true((PUCHAR)Seen > sgbuf && (PUCHAR)Seen < sgbuf + size);
    a->DmaOperations->PutScatterGatherList(a, Seen, TRUE);
    assert_int_equal(host_pool_allocs(0), allocs);
    a->DmaOperations->PutDmaAdapter(a);
    assert_null(LowBlock);                                      /* bounce pages freed */
}

static void test_put_adapter_with_lists_out_bugchecks(void **state)
{
    static UCHAR buf[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    static const PFN_NUMBER pfn[] = { 0x500 };
    TEST_MDL t;
    ULONG regs;
    jmp_buf jb;
    PDMA_ADAPTER a = Get(TRUE, PAGE_SIZE, &regs);

    MakeMdl(&t, buf, 64, pfn);
    a->DmaOperations->GetScatterGatherList(a, NULL, &t.Mdl, buf, 64, Execution, NULL, TRUE);
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        a->DmaOperations->PutDmaAdapter(a);
        fail_msg("PutDmaAdapter with a list out did not bug-check");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, DRIVER_VERIFIER_DMA_VIOLATION);
    a->DmaOperations->PutScatterGatherList(a, Seen, TRUE);
    a->DmaOperations->PutDmaAdapter(a);
}

/* The hot path of a device that reaches everything: Build into the
 * caller's buffer and Put take no lock, allocate nothing, and one
 * physically consecutive run is one element. */
static void test_build_and_put_without_the_lock(void **state)
{
    static UCHAR buf[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    static const PFN_NUMBER run[] = { 0x700, 0x701, 0x702, 0x703 };
    UCHAR sgbuf[256] __attribute__((aligned(8)));
    TEST_MDL t;
    ULONG regs, size = 0;
    PDMA_ADAPTER a = Get(TRUE, 1024 * 1024, &regs);

    MakeMdl(&t, buf + 8, 3 * PAGE_SIZE + 100, run);
    assert_int_equal(a->DmaOperations->CalculateScatterGatherList(a, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                                  3 * PAGE_SIZE + 100, &size, NULL),
                     STATUS_SUCCESS);
    assert_true(size <= sizeof(sgbuf));
    ULONG locks = LockAcquires;
    ULONG64 allocs = host_pool_allocs(0);
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t.Mdl, MmGetMdlVirtualAddress(&t.Mdl),
                                                              3 * PAGE_SIZE + 100, Execution, NULL, FALSE,
                                                              sgbuf, size), STATUS_SUCCESS);
    assert_int_equal(Seen->NumberOfElements, 1);
    assert_true((ULONG64)Seen->Elements[0].Address.QuadPart == 0x700000 + 8);
    assert_int_equal(Seen->Elements[0].Length, 3 * PAGE_SIZE + 100);
    a->DmaOperations->PutScatterGatherList(a, Seen, FALSE);
    assert_int_equal(LockAcquires, locks);
    assert_int_equal(host_pool_allocs(0), allocs);
    a->DmaOperations->PutDmaAdapter(a);         /* the list counted as back: no bug check */

    /* Without an MDL, as NT: CurrentVa and Length say the span -- the
     * worst case of 1 MiB from a page's last word is 257 pages. */
    a = Get(TRUE, 1024 * 1024, &regs);
    ULONG maps = 0;
    assert_int_equal(a->DmaOperations->CalculateScatterGatherList(a, NULL, (PVOID)(PAGE_SIZE - 2), 1024 * 1024,
                                                                  &size, &maps), STATUS_SUCCESS);
    assert_int_equal(maps, 257);
    assert_true(size >= 257 * sizeof(SCATTER_GATHER_ELEMENT));
    a->DmaOperations->PutDmaAdapter(a);
}

/* Map registers all taken: STATUS_INSUFFICIENT_RESOURCES, the routine not
 * called, and the same request succeeds once the holder puts its list
 * back; a transfer longer than every register together is
 * STATUS_BUFFER_TOO_SMALL (never), not a reason to wait. */
static void test_map_registers_exhausted_then_free(void **state)
{
    static UCHAR buf[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    static const PFN_NUMBER high[] = { 0x100000, 0x100001, 0x100002, 0x100003 };
    UCHAR sg1[256] __attribute__((aligned(8))), sg2[256] __attribute__((aligned(8)));
    TEST_MDL t1, t2, t4;
    ULONG regs;
    PDMA_ADAPTER a = Get(FALSE, 2 * PAGE_SIZE, &regs);       /* 32-bit, 3 registers */

    assert_int_equal(regs, 3);
    MakeMdl(&t1, buf, 2 * PAGE_SIZE, high);
    MakeMdl(&t2, buf + 2 * PAGE_SIZE, 2 * PAGE_SIZE, high + 2);
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t1.Mdl, buf, 2 * PAGE_SIZE, Execution,
                                                              NULL, TRUE, sg1, sizeof(sg1)), STATUS_SUCCESS);
    PSCATTER_GATHER_LIST held = Seen;
    SeenCalls = 0;
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t2.Mdl, buf + 2 * PAGE_SIZE,
                                                              2 * PAGE_SIZE, Execution, NULL, TRUE, sg2,
                                                              sizeof(sg2)), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(SeenCalls, 0);
    /* The bounced list's Put takes the lock (its registers go back). */
    ULONG locks = LockAcquires;
    a->DmaOperations->PutScatterGatherList(a, held, TRUE);
    assert_int_equal(LockAcquires, locks + 1);
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t2.Mdl, buf + 2 * PAGE_SIZE,
                                                              2 * PAGE_SIZE, Execution, NULL, TRUE, sg2,
                                                              sizeof(sg2)), STATUS_SUCCESS);
    assert_int_equal(SeenCalls, 1);
    a->DmaOperations->PutScatterGatherList(a, Seen, TRUE);

    /* Four pages through three registers: never. */
    MakeMdl(&t4, buf, 4 * PAGE_SIZE, high);
    SeenCalls = 0;
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, NULL, &t4.Mdl, buf, 4 * PAGE_SIZE, Execution,
                                                              NULL, FALSE, sg1, sizeof(sg1)),
                     STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(SeenCalls, 0);
    a->DmaOperations->PutDmaAdapter(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_buffer_below_the_limit),
        cmocka_unit_test(test_scatter_gather_merges_and_caches),
        cmocka_unit_test(test_map_registers_bounce_both_ways),
        cmocka_unit_test(test_put_adapter_with_lists_out_bugchecks),
        cmocka_unit_test(test_build_and_put_without_the_lock),
        cmocka_unit_test(test_map_registers_exhausted_then_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
