/* host_support.c - host stand-ins for the kernel services unit tests need.
 * See host_support.h.  All weak: a test may link the real implementation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wdm.h>
#include "host_support.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#define WEAK __attribute__((weak))

jmp_buf *host_bugcheck_jmp;
ULONG host_last_bugcheck;
ULONG_PTR host_last_bugcheck_params[4];

WEAK VOID KeBugCheckEx(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    host_last_bugcheck = Code;
    host_last_bugcheck_params[0] = P1;
    host_last_bugcheck_params[1] = P2;
    host_last_bugcheck_params[2] = P3;
    host_last_bugcheck_params[3] = P4;
    if (host_bugcheck_jmp)
        longjmp(*host_bugcheck_jmp, 1);
    if (Code == KERNEL_SECURITY_CHECK_FAILURE)
        fprintf(stderr, "ASSERT failed in %s: %s (line %lu)\n", (const char *)P1,
                (const char *)P2, (unsigned long)P3);
    fprintf(stderr, "*** STOP 0x%08X (0x%lx, 0x%lx, 0x%lx, 0x%lx)\n", Code,
            (unsigned long)P1, (unsigned long)P2, (unsigned long)P3, (unsigned long)P4);
    abort();
}

WEAK VOID KeBugCheck(ULONG Code)
{
    KeBugCheckEx(Code, 0, 0, 0, 0);
}

WEAK ULONG DbgPrint(PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    if (getenv("NTSTOR_TEST_VERBOSE"))
        vfprintf(stderr, Format, ap);
    va_end(ap);
    return 0;
}

/* ---- pool: malloc with a header carrying tag and size ---- */
typedef struct host_pool_header {
    ULONG Tag;
    ULONG Magic;
    SIZE_T Size;
    struct host_pool_header *Next, *Prev;
} __attribute__((aligned(16))) host_pool_header;

static host_pool_header host_pool_list = { 0, 0, 0, &host_pool_list, &host_pool_list };
static ULONG host_fail_countdown;

void host_pool_fail_after(ULONG n) { host_fail_countdown = n; }

WEAK PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T Size, ULONG Tag)
{
    if (Size == 0)
        return NULL;
    if (host_fail_countdown && --host_fail_countdown == 0)
        return NULL;
    host_pool_header *h = malloc(sizeof(*h) + Size);
    if (!h)
        return NULL;
    h->Tag = Tag;
    h->Magic = 0x4c4f4f50;
    h->Size = Size;
    h->Next = host_pool_list.Next;
    h->Prev = &host_pool_list;
    host_pool_list.Next->Prev = h;
    host_pool_list.Next = h;
    memset(h + 1, 0xA5, Size);  /* not zeroed, like the real pool */
    return h + 1;
}

WEAK PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T Size, ULONG Tag)
{
    PVOID p = ExAllocatePoolWithTag(PoolType, Size, Tag);
    if (p)
        memset(p, 0, Size);
    return p;
}

WEAK VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    host_pool_header *h = (host_pool_header *)P - 1;
    if (h->Magic != 0x4c4f4f50)
        KeBugCheckEx(BAD_POOL_HEADER, (ULONG_PTR)P, 0, 0, 0);
    if (Tag && h->Tag != Tag)
        KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, Tag, h->Tag);
    h->Magic = 0;
    h->Prev->Next = h->Next;
    h->Next->Prev = h->Prev;
    memset(P, 0xDD, h->Size);
    free(h);
}

WEAK VOID ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

ULONG64 host_pool_bytes(ULONG Tag)
{
    ULONG64 n = 0;
    for (host_pool_header *h = host_pool_list.Next; h != &host_pool_list; h = h->Next)
        if (!Tag || h->Tag == Tag)
            n += h->Size;
    return n;
}

ULONG64 host_pool_allocs(ULONG Tag)
{
    ULONG64 n = 0;
    for (host_pool_header *h = host_pool_list.Next; h != &host_pool_list; h = h->Next)
        if (!Tag || h->Tag == Tag)
            n++;
    return n;
}

/* ---- IRQL, spin locks, DPCs ---- */
static KIRQL host_irql;
extern BOOLEAN host_hold_work_items;
static LIST_ENTRY host_dpcs = { &host_dpcs, &host_dpcs };

WEAK KIRQL KeGetCurrentIrql(VOID) { return host_irql; }
WEAK VOID KeRaiseIrql(KIRQL New, PKIRQL Old)
{
    if (New < host_irql)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, New, host_irql, 0, 0);
    *Old = host_irql;
    host_irql = New;
}
WEAK VOID KeLowerIrql(KIRQL New)
{
    host_irql = New;
    if (New < DISPATCH_LEVEL)
        host_run_dpcs();
}
WEAK KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    return old;
}
WEAK VOID KeInitializeSpinLock(PKSPIN_LOCK L) { *L = 0; }
WEAK VOID KeAcquireSpinLock(PKSPIN_LOCK L, PKIRQL Old)
{
    KeRaiseIrql(DISPATCH_LEVEL, Old);
    if (*L)
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 1;
}
WEAK VOID KeReleaseSpinLock(PKSPIN_LOCK L, KIRQL New)
{
    if (!*L)
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)L, 0, 0, 0);
    *L = 0;
    KeLowerIrql(New);
}
WEAK VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK L) { *L = 1; }
WEAK VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK L) { *L = 0; }
WEAK BOOLEAN KeTestSpinLock(PKSPIN_LOCK L) { return *L == 0; }

WEAK VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE Routine, PVOID Context)
{
    Dpc->DeferredRoutine = Routine;
    Dpc->DeferredContext = Context;
    Dpc->Inserted = FALSE;
}
WEAK BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID A1, PVOID A2)
{
    if (Dpc->Inserted)
        return FALSE;
    Dpc->SystemArgument1 = A1;
    Dpc->SystemArgument2 = A2;
    Dpc->Inserted = TRUE;
    InsertTailList(&host_dpcs, &Dpc->DpcListEntry);
    return TRUE;
}
WEAK BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    if (!Dpc->Inserted)
        return FALSE;
    RemoveEntryList(&Dpc->DpcListEntry);
    Dpc->Inserted = FALSE;
    return TRUE;
}
void host_run_dpcs(void)
{
    static BOOLEAN running;
    /* DPCs run at DISPATCH_LEVEL, one after the other, never nested. */
    if (!running) {
        KIRQL old = host_irql;
        running = TRUE;
        if (host_irql < DISPATCH_LEVEL)
            host_irql = DISPATCH_LEVEL;
        while (!IsListEmpty(&host_dpcs)) {
            PKDPC Dpc = CONTAINING_RECORD(RemoveHeadList(&host_dpcs), KDPC, DpcListEntry);
            Dpc->Inserted = FALSE;
            Dpc->DeferredRoutine(Dpc, Dpc->DeferredContext, Dpc->SystemArgument1,
                                 Dpc->SystemArgument2);
        }
        host_irql = old;
        running = FALSE;
    }
    /* The IRQL is dropping below DISPATCH_LEVEL: a worker thread, whose
     * priority is above any test thread's, would run now. */
    if (host_irql == PASSIVE_LEVEL && !host_hold_work_items)
        host_run_work_items();
}

/* ---- work items: queued, run at PASSIVE_LEVEL when the IRQL drops there
 * (unless held) or when the test thread waits, one at a time. ---- */
BOOLEAN host_hold_work_items;
ULONG host_work_items_run;
KIRQL host_work_item_irql;      /* the IRQL the last routine ran at */
struct _IO_WORKITEM {
    PDEVICE_OBJECT Device;
    PIO_WORKITEM_ROUTINE Routine;
    PVOID Context;
    BOOLEAN Queued;
    struct _IO_WORKITEM *Next;
};
static struct _IO_WORKITEM *host_work_head;
static BOOLEAN host_work_running;

WEAK PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    return calloc(1, sizeof(struct _IO_WORKITEM));
}
WEAK VOID IoFreeWorkItem(PIO_WORKITEM Item)
{
    if (Item->Queued)
        KeBugCheckEx(INVALID_WORK_QUEUE_ITEM, 0, (ULONG_PTR)Item, 0, 0);
    free(Item);
}
WEAK VOID IoQueueWorkItem(PIO_WORKITEM Item, PIO_WORKITEM_ROUTINE Routine, WORK_QUEUE_TYPE Type,
                          PVOID Context)
{
    if (Item->Queued)
        KeBugCheckEx(INVALID_WORK_QUEUE_ITEM, 1, (ULONG_PTR)Item, Type, (ULONG_PTR)Routine);
    Item->Queued = TRUE;
    Item->Routine = Routine;
    Item->Context = Context;
    Item->Next = NULL;
    struct _IO_WORKITEM **tail = &host_work_head;
    while (*tail)
        tail = &(*tail)->Next;
    *tail = Item;
}
/* The PnP manager's: counted, for the tests of bus drivers. */
ULONG host_bus_relations_invalidated;
WEAK VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type)
{
    if (Type == BusRelations)
        host_bus_relations_invalidated++;
}

/* The verifier's remove-lock hooks (kernel/io/vfremlock.c): no driver is
 * verified unless a test links the real vfremlock.c and verifier.c. */
BOOLEAN IopVerifierTrackRemoveLock(PIO_REMOVE_LOCK Lock, PVOID Caller);
VOID IopVerifierRemoveLockAcquired(PIO_REMOVE_LOCK Lock, PVOID Tag);
VOID IopVerifierRemoveLockReleased(PIO_REMOVE_LOCK Lock, PVOID Tag, PVOID Caller);
VOID IopVerifierForgetRemoveLock(PIO_REMOVE_LOCK Lock);
WEAK BOOLEAN IopVerifierTrackRemoveLock(PIO_REMOVE_LOCK Lock, PVOID Caller) { return FALSE; }
WEAK VOID IopVerifierRemoveLockAcquired(PIO_REMOVE_LOCK Lock, PVOID Tag) { }
WEAK VOID IopVerifierRemoveLockReleased(PIO_REMOVE_LOCK Lock, PVOID Tag, PVOID Caller) { }
WEAK VOID IopVerifierForgetRemoveLock(PIO_REMOVE_LOCK Lock) { }

ULONG host_work_items_queued(void)
{
    ULONG n = 0;
    for (struct _IO_WORKITEM *i = host_work_head; i; i = i->Next)
        n++;
    return n;
}
void host_run_work_items(void)
{
    /* One worker thread: a routine that lowers the IRQL does not start
     * the next item inside itself. */
    if (host_work_running || host_irql != PASSIVE_LEVEL)
        return;
    host_work_running = TRUE;
    while (host_work_head) {
        struct _IO_WORKITEM *item = host_work_head;
        host_work_head = item->Next;
        item->Queued = FALSE;
        host_work_item_irql = host_irql;
        host_work_items_run++;
        item->Routine(item->Device, item->Context);
        if (host_irql != PASSIVE_LEVEL)
            KeBugCheckEx(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG_PTR)item->Routine, host_irql,
                         0, 0);
    }
    host_work_running = FALSE;
}

/* ---- events: single-threaded, so a wait either finds the event set (after
 * running DPCs) or times out immediately. ---- */
WEAK VOID KeInitializeEvent(PRKEVENT E, EVENT_TYPE Type, BOOLEAN State)
{
    E->Header.Type = Type == SynchronizationEvent ? EventSynchronizationObject
                                                  : EventNotificationObject;
    E->Header.SignalState = State;
    InitializeListHead(&E->Header.WaitListHead);
}
WEAK LONG KeSetEvent(PRKEVENT E, KPRIORITY Inc, BOOLEAN Wait)
{
    LONG old = E->Header.SignalState;
    E->Header.SignalState = 1;
    return old;
}
WEAK VOID KeClearEvent(PRKEVENT E) { E->Header.SignalState = 0; }
WEAK LONG KeResetEvent(PRKEVENT E) { LONG o = E->Header.SignalState; E->Header.SignalState = 0; return o; }
WEAK LONG KeReadStateEvent(PRKEVENT E) { return E->Header.SignalState; }
WEAK NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON R, KPROCESSOR_MODE M,
                                    BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    PKEVENT E = Object;
    host_run_dpcs();
    /* A wait lets the worker thread run (even when held: the test waits). */
    if (host_irql == PASSIVE_LEVEL && !E->Header.SignalState) {
        BOOLEAN hold = host_hold_work_items;
        host_hold_work_items = FALSE;
        host_run_work_items();
        host_hold_work_items = hold;
    }
    if (!E->Header.SignalState)
        return STATUS_TIMEOUT;
    if (E->Header.Type == EventSynchronizationObject)
        E->Header.SignalState = 0;
    return STATUS_SUCCESS;
}

/* ---- time ---- */
WEAK ULONGLONG KeQueryInterruptTime(VOID)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ULONGLONG)ts.tv_sec * 10000000ULL + (ULONGLONG)ts.tv_nsec / 100;
}
WEAK ULONG64 KeQueryTimeUs(VOID);
WEAK ULONG64 KeQueryTimeUs(VOID) { return KeQueryInterruptTime() / 10; }
WEAK VOID KeStallExecutionProcessor(ULONG Us) { (void)Us; }
WEAK ULONG64 KeReadTsc(VOID);
WEAK ULONG64 KeReadTsc(VOID) { return KeQueryInterruptTime(); }
WEAK ULONG64 KeQueryTscFrequency(VOID);
WEAK ULONG64 KeQueryTscFrequency(VOID) { return 10000000ULL; }

/* ---- thread stacks (kernel/ke/stack.c maps pages; the host mallocs) ---- */
NTSTATUS KiAllocateKernelStack(PVOID *Base, PVOID *Limit);
VOID KiFreeKernelStack(PVOID Base, PVOID Limit);
#define HOST_STACK_SIZE (256 * 1024)    /* ASan frames are large */
WEAK NTSTATUS KiAllocateKernelStack(PVOID *Base, PVOID *Limit)
{
    PUCHAR p = aligned_alloc(16, HOST_STACK_SIZE);
    if (!p)
        return STATUS_INSUFFICIENT_RESOURCES;
    *Limit = p;
    *Base = p + HOST_STACK_SIZE;
    return STATUS_SUCCESS;
}
WEAK VOID KiFreeKernelStack(PVOID Base, PVOID Limit)
{
#if defined(__SANITIZE_ADDRESS__)
    /* Frames of the dead thread may still be poisoned. */
    __asan_unpoison_memory_region(Limit, HOST_STACK_SIZE);
#endif
    free(Limit);
}

/* Fast mutexes (kernel/cfg's value lock): one thread on the host, so only
 * the pairing is checked. */
WEAK VOID ExInitializeFastMutex(PFAST_MUTEX M) { memset(M, 0, sizeof(*M)); M->Count = 1; }
WEAK VOID ExAcquireFastMutex(PFAST_MUTEX M)
{
    if (M->Count != 1)
        KeBugCheckEx(0xDEAD, (ULONG_PTR)M, 0, 0, 0);     /* not recursive */
    M->Count = 0;
}
WEAK VOID ExReleaseFastMutex(PFAST_MUTEX M) { M->Count = 1; }

/* The verifier's view of the kernel (kernel/io/verifier.c): spin locks held
 * (host_support's spin locks do not count), and no symbols. */
WEAK ULONG KeGetSpinLocksHeld(VOID) { return 0; }
WEAK PCSTR KeLookupSymbol(ULONG64 Address, PULONG64 Offset, PCSTR *ImageName)
{
    (void)Address;
    *Offset = 0;
    *ImageName = NULL;
    return NULL;
}

/* kernel/io/mdl.c's, page by page through the test's own
 * MmGetPhysicalAddress (the ahci tests describe an SRB's buffer that came
 * without an MDL with the slot's own, drivers/ahci/sglist.c; their DMA
 * adapter is kernel/io/dma.c itself). */
extern PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID) __attribute__((weak));

WEAK VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    PPFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl);
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), (ULONG64)Mdl->ByteCount);
    PUCHAR Va = Mdl->StartVa;

    for (ULONG i = 0; i < Pages; i++, Va += PAGE_SIZE)
        Pfn[i] = (PFN_NUMBER)((ULONG64)MmGetPhysicalAddress(Va).QuadPart >> PAGE_SHIFT);
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}
