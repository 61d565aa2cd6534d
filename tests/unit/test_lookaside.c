/* test_lookaside.c - interlocked lists and lookaside lists
 * (kernel/ex/lookaside.c): LIFO order, depth, flush, the ABA guard (a
 * stale snapshot's exchange must fail), and a lookaside list that keeps at
 * most Depth blocks and counts its misses; two host threads hammering one
 * list lose and duplicate nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <ntos.h>
#include "host_support.h"

typedef struct {
    SLIST_ENTRY Link;
    int Value;
} ITEM;

static void test_slist_lifo_depth_flush(void **state)
{
    SLIST_HEADER head;
    ITEM a = { .Value = 1 }, b = { .Value = 2 }, c = { .Value = 3 };

    InitializeSListHead(&head);
    assert_null(InterlockedPopEntrySList(&head));
    assert_null(InterlockedPushEntrySList(&head, &a.Link));
    assert_ptr_equal(InterlockedPushEntrySList(&head, &b.Link), &a.Link);
    InterlockedPushEntrySList(&head, &c.Link);
    assert_int_equal(QueryDepthSList(&head), 3);
    assert_ptr_equal(InterlockedPopEntrySList(&head), &c.Link);
    assert_int_equal(QueryDepthSList(&head), 2);
    PSLIST_ENTRY all = InterlockedFlushSList(&head);
    assert_ptr_equal(all, &b.Link);
    assert_ptr_equal(all->Next, &a.Link);
    assert_null(all->Next->Next);
    assert_int_equal(QueryDepthSList(&head), 0);
    assert_null(InterlockedPopEntrySList(&head));
    assert_null(InterlockedFlushSList(&head));
}

/* The ABA case: a popper read first = A, next = B; meanwhile A and B are
 * popped and A pushed back (so first is A again, but its next is not B).
 * The header's sequence changed, so installing B must fail. */
static void test_slist_sequence_defeats_aba(void **state)
{
    SLIST_HEADER head;
    ITEM a, b, c;

    InitializeSListHead(&head);
    InterlockedPushEntrySList(&head, &c.Link);
    InterlockedPushEntrySList(&head, &b.Link);
    InterlockedPushEntrySList(&head, &a.Link);
    SLIST_HEADER stale = head;                  /* A, depth 3 */
    assert_ptr_equal(InterlockedPopEntrySList(&head), &a.Link);
    assert_ptr_equal(InterlockedPopEntrySList(&head), &b.Link);
    InterlockedPushEntrySList(&head, &a.Link);  /* A -> C */
    assert_ptr_equal(head.Next, stale.Next);
    assert_int_not_equal(head.DepthAndSequence, stale.DepthAndSequence);
    /* What a stale popper would do: compare-exchange against its snapshot. */
    unsigned char done;
    PSLIST_ENTRY oldNext = stale.Next;
    ULONG64 oldDs = stale.DepthAndSequence;
    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(done), "+m"(head), "+a"(oldNext), "+d"(oldDs)
                     : "b"(&b.Link), "c"(stale.DepthAndSequence - 1)
                     : "memory");
    assert_false(done);
    assert_ptr_equal(InterlockedPopEntrySList(&head), &a.Link);
    assert_ptr_equal(InterlockedPopEntrySList(&head), &c.Link);
    assert_null(InterlockedPopEntrySList(&head));
}

static int Frees;
static VOID CountingFree(PVOID Buffer)
{
    Frees++;
    ExFreePool(Buffer);
}

static void test_lookaside_keeps_depth_blocks(void **state)
{
    NPAGED_LOOKASIDE_LIST l;
    PVOID blocks[5];

    Frees = 0;
    ExInitializeNPagedLookasideList(&l, NULL, CountingFree, 0, 100, NTSTOR_TAG('T', 'l', 'k', 's'),
                                    3);
    for (int i = 0; i < 5; i++)
        assert_non_null(blocks[i] = ExAllocateFromNPagedLookasideList(&l));
    assert_int_equal(l.L.AllocateMisses, 5);
    for (int i = 0; i < 5; i++)
        ExFreeToNPagedLookasideList(&l, blocks[i]);
    assert_int_equal(QueryDepthSList(&l.L.ListHead), 3);
    assert_int_equal(l.L.FreeMisses, 2);
    assert_int_equal(Frees, 2);
    /* Reuse: the last block kept comes back first, no new miss. */
    assert_ptr_equal(ExAllocateFromNPagedLookasideList(&l), blocks[2]);
    assert_int_equal(l.L.AllocateMisses, 5);
    assert_int_equal(l.L.TotalAllocates, 6);
    ExFreeToNPagedLookasideList(&l, blocks[2]);
    ExDeleteNPagedLookasideList(&l);
    assert_int_equal(Frees, 5);
}

#define HAMMER_ITEMS 64
#define HAMMER_ROUNDS 200000
static SLIST_HEADER Shared;

static void *Hammer(void *arg)
{
    for (int i = 0; i < HAMMER_ROUNDS; i++) {
        PSLIST_ENTRY e = InterlockedPopEntrySList(&Shared);
        if (e) {
            ((ITEM *)e)->Value++;
            InterlockedPushEntrySList(&Shared, e);
        }
    }
    return NULL;
}

static void test_slist_two_threads_lose_nothing(void **state)
{
    static ITEM items[HAMMER_ITEMS];
    pthread_t t1, t2;
    int seen[HAMMER_ITEMS] = { 0 };
    long total = 0;

    InitializeSListHead(&Shared);
    for (int i = 0; i < HAMMER_ITEMS; i++) {
        items[i].Value = 0;
        InterlockedPushEntrySList(&Shared, &items[i].Link);
    }
    pthread_create(&t1, NULL, Hammer, NULL);
    pthread_create(&t2, NULL, Hammer, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(QueryDepthSList(&Shared), HAMMER_ITEMS);
    for (PSLIST_ENTRY e = Shared.Next; e; e = e->Next) {
        int i = (int)((ITEM *)e - items);
        assert_true(i >= 0 && i < HAMMER_ITEMS);
        assert_int_equal(seen[i], 0);   /* on the list once */
        seen[i] = 1;
        total += ((ITEM *)e)->Value;
    }
    for (int i = 0; i < HAMMER_ITEMS; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(total, 2L * HAMMER_ROUNDS);   /* every pop found an item */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slist_lifo_depth_flush),
        cmocka_unit_test(test_slist_sequence_defeats_aba),
        cmocka_unit_test(test_lookaside_keeps_depth_blocks),
        cmocka_unit_test(test_slist_two_threads_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
