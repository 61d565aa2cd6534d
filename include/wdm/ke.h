/* wdm/ke.h - kernel core services exported to drivers (kernel/ke/):
 * IRQL, spin locks, DPCs, events and waits, time, bug checks.
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

/* Timers (kernel/ke/timer.c): a KTIMER queues its DPC when it expires.
 * Expiry is checked on the 1 ms clock tick, so a timer fires at most about
 * 1 ms late (and not at all while interrupts stay disabled).  The timer
 * and its DPC must stay allocated until KeCancelTimer returns (or the
 * one-shot timer fired and its DPC ran).  Callable at any IRQL up to
 * DISPATCH_LEVEL. */
typedef struct _KTIMER {
    LIST_ENTRY TimerListEntry;
    ULONG64 DueTime;            /* KeQueryInterruptTime units */
    LONG Period;                /* ms, 0 = one-shot */
    PKDPC Dpc;
    BOOLEAN Inserted;
    BOOLEAN Signaled;           /* expired since the last set */
} KTIMER, *PKTIMER, *PRKTIMER;

VOID KeInitializeTimer(PKTIMER Timer);
/* DueTime in 100 ns units: negative = relative to now, positive = absolute
 * KeQueryInterruptTime.  Re-setting a queued timer moves it.  Returns TRUE
 * if the timer was queued before the call. */
BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
/* As KeSetTimer, then again every Period ms (0: once). */
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc);
/* TRUE if the timer was queued (it will not fire now).  A DPC already
 * queued by an earlier expiry is not removed: KeRemoveQueueDpc does that. */
BOOLEAN KeCancelTimer(PKTIMER Timer);
BOOLEAN KeReadStateTimer(PKTIMER Timer);

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef struct _KEVENT {
    EVENT_TYPE Type;
    volatile LONG SignalState;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef enum _KWAIT_REASON { Executive = 0 } KWAIT_REASON;
typedef enum _MODE { KernelMode = 0, UserMode = 1 } MODE, KPROCESSOR_MODE;
typedef LONG KPRIORITY;
#define IO_NO_INCREMENT 0
#define IO_DISK_INCREMENT 1

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);
/* Object must be a KEVENT.  Timeout in 100 ns units, negative = relative
 * (NT convention); NULL waits forever.  At PASSIVE_LEVEL only (bug-checks
 * IRQL_NOT_LESS_OR_EQUAL otherwise, unless Timeout is zero).  Returns
 * STATUS_SUCCESS or STATUS_TIMEOUT.  While waiting the CPU halts between
 * interrupts, so DPCs and polled completions make progress. */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                               KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout);

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

__attribute__((noreturn))
VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);
__attribute__((noreturn)) VOID KeBugCheck(ULONG BugCheckCode);

/* A broken invariant stops the machine, naming the function. */
#define ASSERT(e) ((e) ? (void)0 : \
    KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__, (ULONG_PTR)#e, __LINE__, 0))
#define NT_ASSERT ASSERT

#endif
