/* wdm/ke.h - kernel core services exported to drivers (kernel/ke/):
 * IRQL, spin locks, DPCs, dispatcher objects and waits, threads, time,
 * bug checks.
 *
 * ntstor runs on one CPU.  IRQL is real (the local APIC's TPR masks device
 * interrupts below the current level), so a spin lock is "raise IRQL to
 * DISPATCH_LEVEL" plus an ownership check that bug-checks on recursion. */
#ifndef NTSTOR_WDM_KE_H
#define NTSTOR_WDM_KE_H

#include <ntdef.h>

#define PASSIVE_LEVEL   0
#define LOW_LEVEL       0
#define APC_LEVEL       1
#define DISPATCH_LEVEL  2
#define DEVICE_LEVEL_MIN 3   /* device IRQLs are 3..12 */
#define DEVICE_LEVEL_MAX 12
#define CLOCK_LEVEL     13
#define IPI_LEVEL       14
#define HIGH_LEVEL      15

KIRQL KeGetCurrentIrql(VOID);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);   /* runs queued DPCs when going below DISPATCH */
KIRQL KeRaiseIrqlToDpcLevel(VOID);

typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql);
VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
/* TRUE when the lock is free (NT's contract).  On one CPU a lock that is
 * not free is held by the caller's own context, so ASSERT(!KeTestSpinLock)
 * checks a "lock held" rule. */
BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock);

struct _KDPC;
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext,
                               PVOID SystemArgument1, PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef struct _KDPC {
    LIST_ENTRY DpcListEntry;
    PKDEFERRED_ROUTINE DeferredRoutine;
    PVOID DeferredContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
    BOOLEAN Inserted;
} KDPC, *PKDPC, *PRKDPC;

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);
/* FALSE if already queued.  Callable at any IRQL. */
BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);
BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);

/* ---- dispatcher objects (kernel/ke/wait.c, event.c, semaphore.c,
 * mutex.c, timer.c, thread.c) ----
 * Every object a thread can wait on starts with a DISPATCHER_HEADER: its
 * kind, its signal state and the list of wait blocks of the threads
 * waiting on it.  NT's semantics: a notification object wakes every waiter
 * and stays signalled; a synchronization object wakes one and resets; a
 * semaphore wakes as many as its count; a mutex is owned by one thread,
 * recursively.  The header is changed only under the dispatcher lock
 * (raising to DISPATCH_LEVEL on this one CPU), so setting, releasing and
 * waiting are callable at IRQL <= DISPATCH_LEVEL, never from an ISR. */
typedef enum _KOBJECTS {
    EventNotificationObject = 0,
    EventSynchronizationObject = 1,
    MutantObject = 2,
    ProcessObject = 3,
    QueueObject = 4,
    SemaphoreObject = 5,
    ThreadObject = 6,
    TimerNotificationObject = 8,
    TimerSynchronizationObject = 9,
} KOBJECTS;

typedef struct _DISPATCHER_HEADER {
    UCHAR Type;                 /* KOBJECTS */
    UCHAR Reserved[3];
    volatile LONG SignalState;  /* > 0 signalled; a mutex: 1 free, <= 0 owned */
    LIST_ENTRY WaitListHead;    /* KWAIT_BLOCKs of waiting threads */
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

struct _KTHREAD;
typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;

typedef enum _WAIT_TYPE { WaitAll = 0, WaitAny = 1 } WAIT_TYPE;

/* One per object a thread waits on.  A thread has THREAD_WAIT_OBJECTS of
 * its own; KeWaitForMultipleObjects with more objects needs the caller's
 * array (nonpaged, Count entries, not touched by anyone else while the
 * wait lasts). */
typedef struct _KWAIT_BLOCK {
    LIST_ENTRY WaitListEntry;   /* in the object's WaitListHead */
    PKTHREAD Thread;
    PVOID Object;
    struct _KWAIT_BLOCK *NextWaitBlock;   /* the thread's next block, NULL ends */
    NTSTATUS WaitKey;           /* the status this block's satisfaction returns */
    UCHAR WaitType;             /* WAIT_TYPE */
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;

#define THREAD_WAIT_OBJECTS  3
#define MAXIMUM_WAIT_OBJECTS 64

/* Timers (kernel/ke/timer.c): a KTIMER is a waitable object that is
 * signalled, and queues its DPC, when it expires.  Expiry is checked on
 * the 1 ms clock tick and handled in a DPC, so a timer fires at most about
 * 1 ms late (and not while the IRQL stays at DISPATCH_LEVEL or above).
 * The timer and its DPC must stay allocated until KeCancelTimer returns
 * (or the one-shot timer fired and its DPC ran).  Callable at any IRQL up
 * to DISPATCH_LEVEL. */
typedef enum _TIMER_TYPE { NotificationTimer = 0, SynchronizationTimer = 1 } TIMER_TYPE;
typedef struct _KTIMER {
    DISPATCHER_HEADER Header;   /* signalled when it expires; reset by KeSetTimer */
    LIST_ENTRY TimerListEntry;
    ULONG64 DueTime;            /* KeQueryInterruptTime units */
    LONG Period;                /* ms, 0 = one-shot */
    PKDPC Dpc;
    BOOLEAN Inserted;
} KTIMER, *PKTIMER, *PRKTIMER;

/* A notification timer. */
VOID KeInitializeTimer(PKTIMER Timer);
VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
/* DueTime in 100 ns units: negative = relative to now, positive = absolute
 * KeQueryInterruptTime.  Re-setting a queued timer moves it and clears its
 * signal state.  Returns TRUE if the timer was queued before the call. */
BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
/* As KeSetTimer, then again every Period ms (0: once). */
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc);
/* TRUE if the timer was queued (it will not fire now).  A DPC already
 * queued by an earlier expiry is not removed: KeRemoveQueueDpc does that. */
BOOLEAN KeCancelTimer(PKTIMER Timer);
BOOLEAN KeReadStateTimer(PKTIMER Timer);

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KSEMAPHORE {
    DISPATCHER_HEADER Header;   /* SignalState is the count */
    LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

/* A kernel mutex (NT's KMUTANT as drivers see it).  Recursive for its
 * owner; a thread that ends while owning one bug-checks
 * THREAD_TERMINATE_HELD_MUTEX. */
typedef struct _KMUTANT {
    DISPATCHER_HEADER Header;
    LIST_ENTRY MutantListEntry; /* in the owner's list of owned mutexes */
    PKTHREAD OwnerThread;
    BOOLEAN Abandoned;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

/* NT's wait reasons (the values the WDK gives them). */
typedef enum _KWAIT_REASON {
    Executive = 0, FreePage, PageIn, PoolAllocation, DelayExecution, Suspended,
    UserRequest, WrExecutive, WrFreePage, WrPageIn, WrPoolAllocation,
    WrDelayExecution, WrSuspended, WrUserRequest, WrEventPair, WrQueue,
    MaximumWaitReason
} KWAIT_REASON;
typedef enum _MODE { KernelMode = 0, UserMode = 1 } MODE, KPROCESSOR_MODE;
typedef LONG KPRIORITY;
#define IO_NO_INCREMENT 0
#define IO_DISK_INCREMENT 1
#define SEMAPHORE_INCREMENT 1
#define EVENT_INCREMENT 1

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
/* Returns the previous state.  Increment (NT's priority boost) is ignored:
 * ntstor boosts no priorities.  Wait = TRUE is accepted and behaves as
 * FALSE (the caller's next wait is not atomic with the set). */
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);

/* Count starts at Count, never exceeds Limit. */
VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
/* Adds Adjustment to the count and wakes as many waiters as it allows;
 * returns the previous count.  Going past Limit bug-checks
 * (KMODE_EXCEPTION_NOT_HANDLED, STATUS_SEMAPHORE_LIMIT_EXCEEDED: NT raises
 * that exception, and ntstor has no exception handlers). */
LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait);
LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

/* Level is NT's deadlock-ordering hint, ignored. */
VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
/* Only the owner may release (THREAD_NOT_MUTEX_OWNER otherwise); returns
 * the previous signal state. */
LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
LONG KeReadStateMutex(PRKMUTEX Mutex);
#define KeWaitForMutexObject KeWaitForSingleObject

/* Waits for a dispatcher object (event, semaphore, mutex, timer, thread).
 * Timeout in 100 ns units, negative = relative (NT convention); NULL waits
 * forever.  A real wait at IRQL <= APC_LEVEL only; a zero Timeout (a poll)
 * up to DISPATCH_LEVEL; otherwise IRQL_NOT_LESS_OR_EQUAL.  Returns
 * STATUS_SUCCESS (STATUS_WAIT_0) or STATUS_TIMEOUT.  The thread blocks and
 * others run; with nothing to run the CPU halts until an interrupt. */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                               KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout);
/* WaitAny: returns STATUS_WAIT_0 + the index of the object that satisfied
 * the wait; WaitAll: STATUS_WAIT_0 once every object is signalled at the
 * same time (all are then acquired together).  Count up to
 * MAXIMUM_WAIT_OBJECTS; more than THREAD_WAIT_OBJECTS needs
 * WaitBlockArray (MAXIMUM_WAIT_OBJECTS_EXCEEDED otherwise). */
NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray);

/* ---- threads (kernel/ke/thread.c; creation is PsCreateSystemThread) ----
 * Priorities 0..31 as NT's (16 and up "real-time"); the highest ready
 * thread runs, equal priorities take turns every quantum (20 clock ticks),
 * and a thread made ready at a higher priority preempts at once when the
 * IRQL is below DISPATCH_LEVEL.  One CPU. */
#define LOW_PRIORITY           0
#define LOW_REALTIME_PRIORITY  16
#define HIGH_PRIORITY          31
#define MAXIMUM_PRIORITY       32

PKTHREAD KeGetCurrentThread(VOID);
/* Returns the old priority.  1..31 (0 is the idle thread's). */
KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority);
KPRIORITY KeQueryPriorityThread(PKTHREAD Thread);
/* Sleeps Interval (100 ns units, negative = relative); a zero interval
 * gives the CPU to another ready thread of the same priority.  IRQL <=
 * APC_LEVEL.  Returns STATUS_SUCCESS. */
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval);

/* Time.  The performance counter is the TSC, calibrated at boot. */
LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
/* 100 ns units since boot. */
ULONGLONG KeQueryInterruptTime(VOID);
VOID KeStallExecutionProcessor(ULONG MicroSeconds);

/* Stop codes ntstor uses (NT's numbers). */
#define IRQL_NOT_LESS_OR_EQUAL            0x0000000A
#define KMODE_EXCEPTION_NOT_HANDLED       0x0000001E
#define MULTIPLE_IRP_COMPLETE_REQUESTS    0x00000044
#define NO_MORE_IRP_STACK_LOCATIONS       0x00000035
#define INVALID_PROCESS_ATTACH_ATTEMPT    0x00000005
#define SPIN_LOCK_ALREADY_OWNED           0x0000000F
#define SPIN_LOCK_NOT_OWNED               0x00000010
#define UNEXPECTED_KERNEL_MODE_TRAP       0x0000007F
#define PAGE_FAULT_IN_NONPAGED_AREA       0x00000050
#define BAD_POOL_HEADER                   0x00000019
#define BAD_POOL_CALLER                   0x000000C2
#define DRIVER_CORRUPTED_EXPOOL           0x000000C5
#define REFERENCE_BY_POINTER              0x00000018
#define INVALID_DATA_ACCESS_TRAP          0x00000004
#define IRQL_GT_ZERO_AT_SYSTEM_SERVICE    0x0000004A
#define DRIVER_IRQL_NOT_LESS_OR_EQUAL     0x000000D1
#define SYSTEM_THREAD_EXCEPTION_NOT_HANDLED 0x0000007E
#define MANUALLY_INITIATED_CRASH          0x000000E2
#define PHASE0_INITIALIZATION_FAILED      0x00000031
#define PHASE1_INITIALIZATION_FAILED      0x00000032
#define OBJECT_INITIALIZATION_FAILED      0x00000036
#define INACCESSIBLE_BOOT_DEVICE          0x0000007B
#define PFN_LIST_CORRUPT                  0x0000004E
#define NO_PAGES_AVAILABLE                0x0000004D
#define DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS 0x000000CE
#define PNP_DETECTED_FATAL_ERROR          0x000000CA
#define KERNEL_SECURITY_CHECK_FAILURE     0x00000139
#define APC_INDEX_MISMATCH                0x00000001
#define MAXIMUM_WAIT_OBJECTS_EXCEEDED     0x0000000C
#define THREAD_NOT_MUTEX_OWNER            0x00000011
#define SYSTEM_EXIT_OWNED_MUTEX           0x00000039
#define MUTEX_ALREADY_OWNED               0x000000BF
#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1
#define INVALID_WORK_QUEUE_ITEM           0x00000096
#define THREAD_TERMINATE_HELD_MUTEX       0x4000008A
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4
#define DRIVER_VERIFIER_DMA_VIOLATION     0x000000E6

__attribute__((noreturn))
VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);
__attribute__((noreturn)) VOID KeBugCheck(ULONG BugCheckCode);

/* A broken invariant stops the machine, naming the function. */
#define ASSERT(e) ((e) ? (void)0 : \
    KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__, (ULONG_PTR)#e, __LINE__, 0))
#define NT_ASSERT ASSERT

#endif
