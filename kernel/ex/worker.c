/* worker.c - the system worker threads behind ExQueueWorkItem and
 * IoQueueWorkItem: one thread per queue, each waiting on a semaphore that
 * counts its queued items.  Critical (and hyper-critical) items run at
 * priority 13, delayed ones at 12, as NT's default workers do, so queued
 * work preempts a busy PASSIVE_LEVEL thread such as the shell's bench.
 *
 * Each queue's list is under its spin lock; ExQueueWorkItem is callable up
 * to DISPATCH_LEVEL (a DPC may queue work that must wait or take long). */
#include <ntos.h>
#include <ob.h>
#include <ps.h>

typedef struct _EXP_WORK_QUEUE {
    KSPIN_LOCK Lock;
    LIST_ENTRY Items;           /* under Lock */
    KSEMAPHORE Pending;         /* one count per queued item */
    KPRIORITY Priority;
    PCSTR ThreadName;
    volatile ULONG64 Run;
} EXP_WORK_QUEUE;

static EXP_WORK_QUEUE ExpQueues[2] = {
    [CriticalWorkQueue] = { .Priority = 13, .ThreadName = "worker-critical" },
    [DelayedWorkQueue] = { .Priority = 12, .ThreadName = "worker-delayed" },
};
static BOOLEAN ExpQueuesReady;

static EXP_WORK_QUEUE *ExpQueueFor(WORK_QUEUE_TYPE Type)
{
    return Type == DelayedWorkQueue ? &ExpQueues[DelayedWorkQueue] : &ExpQueues[CriticalWorkQueue];
}

static VOID ExpInitQueues(VOID)
{
    for (ULONG i = 0; i < ARRAYSIZE(ExpQueues); i++) {
        KeInitializeSpinLock(&ExpQueues[i].Lock);
        InitializeListHead(&ExpQueues[i].Items);
        KeInitializeSemaphore(&ExpQueues[i].Pending, 0, 0x7FFFFFFF);
    }
    ExpQueuesReady = TRUE;
}

VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
    EXP_WORK_QUEUE *Queue = ExpQueueFor(QueueType);
    KIRQL Old;

    /* ExInitializeWorkItem clears List.Flink; a queued item has it set. */
    if (WorkItem->List.Flink != NULL || !WorkItem->WorkerRoutine || QueueType >= MaximumWorkQueue)
        KeBugCheckEx(INVALID_WORK_QUEUE_ITEM, (ULONG_PTR)WorkItem->List.Flink,
                     (ULONG_PTR)WorkItem, QueueType, (ULONG_PTR)WorkItem->WorkerRoutine);
    if (!ExpQueuesReady)
        ExpInitQueues();
    KeAcquireSpinLock(&Queue->Lock, &Old);
    InsertTailList(&Queue->Items, &WorkItem->List);
    KeReleaseSpinLock(&Queue->Lock, Old);
    KeReleaseSemaphore(&Queue->Pending, IO_NO_INCREMENT, 1, FALSE);
}

static VOID ExpWorkerThread(PVOID Context)
{
    EXP_WORK_QUEUE *Queue = Context;
    PKTHREAD Self = KeGetCurrentThread();

    for (;;) {
        KIRQL Old;
        KeWaitForSingleObject(&Queue->Pending, WrQueue, KernelMode, FALSE, NULL);
        KeAcquireSpinLock(&Queue->Lock, &Old);
        PLIST_ENTRY Entry = RemoveHeadList(&Queue->Items);
        KeReleaseSpinLock(&Queue->Lock, Old);

        PWORK_QUEUE_ITEM Item = CONTAINING_RECORD(Entry, WORK_QUEUE_ITEM, List);
        PWORKER_THREAD_ROUTINE Routine = Item->WorkerRoutine;
        PVOID Parameter = Item->Parameter;
        /* Not queued any more: the routine may queue it again or free it. */
        Item->List.Flink = NULL;
        Routine(Parameter);
        Queue->Run++;

        /* The next item would run with the lock this one forgot. */
        if (KeGetCurrentIrql() != PASSIVE_LEVEL)
            KeBugCheckEx(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG_PTR)Routine,
                         KeGetCurrentIrql(), (ULONG_PTR)Item, 0);
        if (!IsListEmpty(&Self->MutantListHead))
            KeBugCheckEx(SYSTEM_EXIT_OWNED_MUTEX, (ULONG_PTR)Routine, (ULONG_PTR)Parameter,
                         (ULONG_PTR)Item, 0);
    }
}

VOID ExInitWorkerThreads(VOID)
{
    if (!ExpQueuesReady)
        ExpInitQueues();
    for (ULONG i = 0; i < ARRAYSIZE(ExpQueues); i++) {
        HANDLE Handle;
        PVOID Object;
        NTSTATUS Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL,
                                               ExpWorkerThread, &ExpQueues[i]);
        if (!NT_SUCCESS(Status))
            KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, Status, (ULONG_PTR)__func__, i, 0);
        Status = ObpReferenceObjectByHandle(Handle, *PsThreadType, &Object);
        if (NT_SUCCESS(Status)) {
            KeSetThreadName(Object, ExpQueues[i].ThreadName);
            KeSetPriorityThread(Object, ExpQueues[i].Priority);
            ObDereferenceObject(Object);
        }
        ObpCloseHandle(Handle);
    }
}

ULONG64 ExQueryWorkItemsRun(WORK_QUEUE_TYPE Queue)
{
    return ExpQueueFor(Queue)->Run;
}
