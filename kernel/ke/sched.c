/* sched.c - threads and the scheduler on one CPU: ready queues by priority,
 * the switch, preemption and quantum end, thread creation and exit, the
 * idle thread.
 *
 * When a switch happens (the rules of docs/decisions.md, "Threads"):
 *  - only at DISPATCH_LEVEL, with the dispatcher lock held (raising to
 *    DISPATCH_LEVEL is the lock: one CPU, and no ISR touches this state);
 *  - when the running thread blocks (a wait, KeDelayExecutionThread) or
 *    ends: KiSwapThread;
 *  - when the IRQL drops below DISPATCH_LEVEL (KeLowerIrql, the end of an
 *    interrupt that came in below DISPATCH_LEVEL) with a switch pending:
 *    a thread of higher priority became ready, or the clock ended the
 *    running thread's quantum while another of its priority was ready
 *    (KiDispatchPending).  Code at DISPATCH_LEVEL and above - DPCs, ISRs,
 *    spin lock holders - is never switched out.
 * The IRQL of a switched-out thread lives on its stack: it was switched at
 * DISPATCH_LEVEL and lowers to its own level when it resumes. */
#include "ki.h"

/* 20 ticks of the 1 ms clock: long enough that a busy thread (bench)
 * pays for few switches, short enough that the others of its priority
 * answer within tens of milliseconds. */
#define KI_QUANTUM_TICKS 20
#define KI_IDLE_PRIORITY 0

KPRCB KiPrcb0;
/* Every live thread, for `threads`.  [D] */
static LIST_ENTRY KiThreadListHead;
static ULONG KiNextThreadId = 1;
static KTHREAD KiBootThread, KiIdleThread;

#ifndef NTSTOR_HOST_TEST
extern UCHAR KiBootStackTop[];
#define KI_BOOT_STACK_SIZE (64 * 1024)   /* entry.asm */
#endif

PKPRCB KeGetCurrentPrcb(VOID)
{
    return &KiPrcb0;
}

PKTHREAD KeGetCurrentThread(VOID)
{
    return KiPrcb0.CurrentThread;
}

KIRQL KiAcquireDispatcher(PVOID Object)
{
    KIRQL Old = KiCurrentIrql;

    if (Old > DISPATCH_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, Old, 5,
                     (ULONG_PTR)__builtin_return_address(0));
    if (Old < DISPATCH_LEVEL)
        KiSetIrql(DISPATCH_LEVEL);
    return Old;
}

VOID KiReleaseDispatcher(KIRQL OldIrql)
{
    if (OldIrql < DISPATCH_LEVEL)
        KeLowerIrql(OldIrql);
}

/* ---- ready queues [D] ---- */

static LONG KiHighestReadyPriority(PKPRCB Prcb)
{
    return Prcb->ReadySummary ? 31 - __builtin_clz(Prcb->ReadySummary) : -1;
}

static VOID KiInsertReady(PKPRCB Prcb, PKTHREAD Thread, BOOLEAN AtFront)
{
    Thread->State = Ready;
    if (AtFront)
        InsertHeadList(&Prcb->ReadyListHead[(UCHAR)Thread->Priority], &Thread->ReadyListEntry);
    else
        InsertTailList(&Prcb->ReadyListHead[(UCHAR)Thread->Priority], &Thread->ReadyListEntry);
    Prcb->ReadySummary |= 1u << Thread->Priority;
}

static VOID KiRemoveReady(PKPRCB Prcb, PKTHREAD Thread)
{
    RemoveEntryList(&Thread->ReadyListEntry);
    if (IsListEmpty(&Prcb->ReadyListHead[(UCHAR)Thread->Priority]))
        Prcb->ReadySummary &= ~(1u << Thread->Priority);
}

static PKTHREAD KiPopHighestReady(PKPRCB Prcb)
{
    LONG p = KiHighestReadyPriority(Prcb);
    if (p < 0)
        return NULL;
    PKTHREAD Thread = CONTAINING_RECORD(Prcb->ReadyListHead[p].Flink, KTHREAD, ReadyListEntry);
    KiRemoveReady(Prcb, Thread);
    return Thread;
}

VOID KiReadyThread(PKTHREAD Thread)
{
    PKPRCB Prcb = &KiPrcb0;

    ASSERT(KiDispatcherHeld());
    KiInsertReady(Prcb, Thread, FALSE);
    if (Thread->Priority > Prcb->CurrentThread->Priority)
        Prcb->DispatchPending = TRUE;
}

/* ---- the switch ---- */

/* Runs on the new thread's stack right after every switch: the thread
 * that just ended can now lose its stack. */
static VOID KiReapDeadThread(PKPRCB Prcb)
{
    PKTHREAD Dead = Prcb->DeadThread;

    if (!Dead)
        return;
    Prcb->DeadThread = NULL;
    if (Dead->ReapRoutine)
        Dead->ReapRoutine(Dead);    /* may free Dead */
}

static VOID KiSwitchTo(PKPRCB Prcb, PKTHREAD Old, PKTHREAD New)
{
    ULONG64 Now = KeReadTsc();

    ASSERT(KiCurrentIrql == DISPATCH_LEVEL);
    Old->CycleTime += Now - Prcb->SwitchTsc;
    Prcb->SwitchTsc = Now;
    New->State = Running;
    New->ContextSwitches++;
    if (New->Quantum <= 0)
        New->Quantum = KI_QUANTUM_TICKS;
    Prcb->ContextSwitches++;
    Prcb->CurrentThread = New;
#ifdef NTSTOR_HOST_TEST
    /* The simulated IF is one global; the real one is in RFLAGS, which
     * KiSwapContext saves per thread. */
    ULONG64 Flags = KiHostRflags;
    KiSwapContext(&Old->SavedRsp, New->SavedRsp);
    KiHostRflags = Flags;
#else
    KiSwapContext(&Old->SavedRsp, New->SavedRsp);
#endif
    /* Old runs again here. */
    KiReapDeadThread(Prcb);
}

NTSTATUS KiSwapThread(VOID)
{
    PKPRCB Prcb = &KiPrcb0;
    PKTHREAD Old = Prcb->CurrentThread;
    PKTHREAD New = KiPopHighestReady(Prcb);

    ASSERT(Old != Prcb->IdleThread);
    if (!New)
        New = Prcb->IdleThread;
    /* Whatever was pending, the best ready thread is the one chosen. */
    Prcb->DispatchPending = FALSE;
    Prcb->QuantumEnd = FALSE;
    KiSwitchTo(Prcb, Old, New);
    return Old->WaitStatus;
}

VOID KiDispatchPending(VOID)
{
    PKPRCB Prcb = &KiPrcb0;
    PKTHREAD Current = Prcb->CurrentThread;
    BOOLEAN QuantumEnd = Prcb->QuantumEnd;

    ASSERT(KiCurrentIrql == DISPATCH_LEVEL);
    Prcb->DispatchPending = FALSE;
    Prcb->QuantumEnd = FALSE;
    if (!Current)
        return;
    LONG Best = KiHighestReadyPriority(Prcb);
    if (Best < 0)
        return;
    if (Current != Prcb->IdleThread && Best < Current->Priority)
        return;
    if (Current != Prcb->IdleThread && Best == Current->Priority && !QuantumEnd)
        return;

    PKTHREAD New = KiPopHighestReady(Prcb);
    if (Current == Prcb->IdleThread) {
        Current->State = Ready;     /* never queued: chosen when nothing else is */
    } else if (QuantumEnd) {
        Current->Quantum = KI_QUANTUM_TICKS;
        KiInsertReady(Prcb, Current, FALSE);    /* its turn is over: last in line */
    } else {
        KiInsertReady(Prcb, Current, TRUE);     /* preempted: first in line */
    }
    KiSwitchTo(Prcb, Current, New);
}

/* Clock ISR (CLOCK_LEVEL, interrupts off).  Reads ReadySummary without the
 * dispatcher lock: a thread made ready just now is seen on the next tick. */
VOID KiClockTick(VOID)
{
    PKPRCB Prcb = &KiPrcb0;
    PKTHREAD Current = Prcb->CurrentThread;

    if (!Current || Current == Prcb->IdleThread)
        return;
    if (Current->Quantum > 0 && --Current->Quantum > 0)
        return;
    if (Prcb->ReadySummary >> Current->Priority) {
        Prcb->QuantumEnd = TRUE;
        Prcb->DispatchPending = TRUE;
    }
}

/* ---- creation and exit ---- */

VOID KeSetThreadName(PKTHREAD Thread, PCSTR Name)
{
    ULONG i = 0;
    for (; Name && Name[i] && i < KI_THREAD_NAME_MAX - 1; i++)
        Thread->Name[i] = Name[i];
    Thread->Name[i] = 0;
}

static VOID KiInitThreadObject(PKTHREAD Thread, PCSTR Name, KPRIORITY Priority)
{
    KiInitializeHeader(&Thread->Header, ThreadObject, 0);
    InitializeListHead(&Thread->ReadyListEntry);
    InitializeListHead(&Thread->MutantListHead);
    KeInitializeTimer(&Thread->Timer);
    Thread->WaitBlockList = NULL;
    Thread->Priority = (CHAR)Priority;
    Thread->Quantum = KI_QUANTUM_TICKS;
    Thread->State = Initialized;
    KeSetThreadName(Thread, Name);
}

/* The C start of every new thread, entered from KiThreadStartup at
 * DISPATCH_LEVEL with interrupts off (the state of the switch). */
static VOID KiThreadMain(PKTHREAD Thread)
{
    KiReapDeadThread(&KiPrcb0);
    KiEnable();
    KeLowerIrql(PASSIVE_LEVEL);
    Thread->StartRoutine(Thread->StartContext);
    KeTerminateThread(STATUS_SUCCESS);
}

static NTSTATUS KiCreateThread(PKTHREAD Thread, PCSTR Name, KPRIORITY Priority,
                               PKSTART_ROUTINE StartRoutine, PVOID StartContext,
                               VOID (*Reap)(PKTHREAD), BOOLEAN MakeReady)
{
    NTSTATUS Status;

    KiInitThreadObject(Thread, Name, Priority);
    Status = KiAllocateKernelStack(&Thread->StackBase, &Thread->StackLimit);
    if (!NT_SUCCESS(Status))
        return Status;
    Thread->StartRoutine = StartRoutine;
    Thread->StartContext = StartContext;
    Thread->ReapRoutine = Reap;

    /* The frame KiSwapContext pops (swap.asm), top down: return address,
     * RFLAGS, rbp, rbx, r12, r13, r14, r15. */
    ULONG64 *Sp = (ULONG64 *)Thread->StackBase;
    *--Sp = 0;                              /* keeps the frame 16-byte aligned */
    *--Sp = (ULONG64)KiThreadStartup;
    *--Sp = 0x2;                            /* RFLAGS: reserved bit, IF clear */
    *--Sp = 0;                              /* rbp: ends backtraces */
    *--Sp = 0;                              /* rbx */
    *--Sp = (ULONG64)KiThreadMain;          /* r12 */
    *--Sp = (ULONG64)Thread;                /* r13 */
    *--Sp = 0;                              /* r14 */
    *--Sp = 0;                              /* r15 */
    Thread->SavedRsp = (ULONG64)Sp;

    KIRQL Old = KiAcquireDispatcher(Thread);
    Thread->Id = KiNextThreadId++;
    InsertTailList(&KiThreadListHead, &Thread->ThreadListEntry);
    if (MakeReady)
        KiReadyThread(Thread);
    else
        Thread->State = Ready;
    KiReleaseDispatcher(Old);
    return STATUS_SUCCESS;
}

NTSTATUS KeInitializeThread(PKTHREAD Thread, PCSTR Name, KPRIORITY Priority,
                            PKSTART_ROUTINE StartRoutine, PVOID StartContext,
                            VOID (*Reap)(PKTHREAD Thread))
{
    if (Priority <= KI_IDLE_PRIORITY || Priority >= MAXIMUM_PRIORITY || !StartRoutine)
        return STATUS_INVALID_PARAMETER;
    return KiCreateThread(Thread, Name, Priority, StartRoutine, StartContext, Reap, TRUE);
}

VOID KeFreeThreadStack(PKTHREAD Thread)
{
    if (Thread->StackBase) {
        KiFreeKernelStack(Thread->StackBase, Thread->StackLimit);
        Thread->StackBase = Thread->StackLimit = NULL;
    }
}

VOID KeTerminateThread(NTSTATUS ExitStatus)
{
    PKPRCB Prcb = &KiPrcb0;
    PKTHREAD Thread = Prcb->CurrentThread;

    /* A thread that ends above PASSIVE_LEVEL holds a spin lock or a fast
     * mutex nobody will release. */
    if (KiCurrentIrql != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Thread, KiCurrentIrql, 4,
                     (ULONG_PTR)__builtin_return_address(0));
    /* The boot (shell) and idle threads have no one to reap them. */
    if (!Thread->ReapRoutine)
        KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__,
                     (ULONG_PTR)"a static thread ended", (ULONG_PTR)Thread, 0);

    KIRQL Old = KiAcquireDispatcher(Thread);
    (VOID)Old;
    if (!IsListEmpty(&Thread->MutantListHead))
        KeBugCheckEx(THREAD_TERMINATE_HELD_MUTEX, (ULONG_PTR)Thread,
                     (ULONG_PTR)CONTAINING_RECORD(Thread->MutantListHead.Flink, KMUTANT, MutantListEntry),
                     0, 0);
    Thread->ExitStatus = ExitStatus;
    Thread->State = Terminated;
    RemoveEntryList(&Thread->ThreadListEntry);
    Thread->Header.SignalState = 1;
    KiWaitTest(&Thread->Header);
    Prcb->DeadThread = Thread;
    KiSwapThread();
    KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, (ULONG_PTR)__func__,
                 (ULONG_PTR)"a terminated thread ran again", (ULONG_PTR)Thread, 0);
}

/* The idle thread: runs when nothing else is ready and halts until an
 * interrupt.  The interrupt's return path switches to whatever it made
 * ready; the check here catches work readied before the halt. */
static VOID KiIdleLoop(PVOID Context)
{
    for (;;) {
        KiDisable();
        if (KiPrcb0.ReadySummary || KiDpcPending()) {
            KiEnable();
            KIRQL Old = KiAcquireDispatcher(NULL);
            KiPrcb0.DispatchPending = TRUE;
            KiReleaseDispatcher(Old);
        } else if (KiClockRunning) {
            KiHaltUntilInterrupt();
        } else {
            KiEnable();     /* no clock yet: a halt could last forever */
        }
    }
}

VOID KeInitThreads(PCSTR BootThreadName)
{
    PKPRCB Prcb = &KiPrcb0;
    NTSTATUS Status;

    for (ULONG p = 0; p < MAXIMUM_PRIORITY; p++)
        InitializeListHead(&Prcb->ReadyListHead[p]);
    Prcb->ReadySummary = 0;
    Prcb->DispatchPending = FALSE;
    Prcb->QuantumEnd = FALSE;
    Prcb->DeadThread = NULL;
    InitializeListHead(&KiThreadListHead);
    KiNextThreadId = 1;

    /* The code running now becomes the first thread, on the boot stack. */
    RtlZeroMemory(&KiBootThread, sizeof(KiBootThread));
    KiInitThreadObject(&KiBootThread, BootThreadName, DEFAULT_SYSTEM_THREAD_PRIORITY);
#ifndef NTSTOR_HOST_TEST
    KiBootThread.StackBase = KiBootStackTop;
    KiBootThread.StackLimit = (PVOID)((ULONG_PTR)KiBootStackTop - KI_BOOT_STACK_SIZE);
#endif
    KiBootThread.State = Running;
    KiBootThread.Id = KiNextThreadId++;
    InsertTailList(&KiThreadListHead, &KiBootThread.ThreadListEntry);
    Prcb->CurrentThread = &KiBootThread;
    Prcb->SwitchTsc = KeReadTsc();

    RtlZeroMemory(&KiIdleThread, sizeof(KiIdleThread));
    Status = KiCreateThread(&KiIdleThread, "idle", KI_IDLE_PRIORITY, KiIdleLoop, NULL, NULL, FALSE);
    if (!NT_SUCCESS(Status))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, Status, (ULONG_PTR)__func__, 0, 0);
    Prcb->IdleThread = &KiIdleThread;
}

/* ---- priorities ---- */

KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)
{
    return Thread->Priority;
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
    PKPRCB Prcb = &KiPrcb0;

    /* 0 is the idle thread's alone. */
    ASSERT(Priority > KI_IDLE_PRIORITY && Priority < MAXIMUM_PRIORITY);
    ASSERT(Thread != Prcb->IdleThread);
    KIRQL Old = KiAcquireDispatcher(Thread);
    KPRIORITY Previous = Thread->Priority;
    if (Thread->State == Ready) {
        KiRemoveReady(Prcb, Thread);
        Thread->Priority = (CHAR)Priority;
        KiReadyThread(Thread);
    } else {
        Thread->Priority = (CHAR)Priority;
    }
    /* The running thread lowered below a ready one: let it run. */
    if (Thread == Prcb->CurrentThread && KiHighestReadyPriority(Prcb) > Priority)
        Prcb->DispatchPending = TRUE;
    KiReleaseDispatcher(Old);
    return Previous;
}

/* ---- what the shell shows ---- */

static const PCSTR KiStateNames[] = {
    [Initialized] = "initialized", [Ready] = "ready", [Running] = "running",
    [Standby] = "standby", [Terminated] = "terminated", [Waiting] = "waiting",
    [Transition] = "transition", [DeferredReady] = "deferred-ready",
};

PCSTR KeThreadStateName(UCHAR State)
{
    return State < ARRAYSIZE(KiStateNames) && KiStateNames[State] ? KiStateNames[State] : "?";
}

static const PCSTR KiWaitReasonNames[] = {
    "Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended",
    "UserRequest", "WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation",
    "WrDelayExecution", "WrSuspended", "WrUserRequest", "WrEventPair", "WrQueue",
};

PCSTR KeWaitReasonName(UCHAR Reason)
{
    return Reason < ARRAYSIZE(KiWaitReasonNames) ? KiWaitReasonNames[Reason] : "?";
}

PCSTR KeObjectTypeName(UCHAR Type)
{
    switch (Type) {
    case EventNotificationObject: return "NotificationEvent";
    case EventSynchronizationObject: return "SynchronizationEvent";
    case MutantObject: return "Mutex";
    case SemaphoreObject: return "Semaphore";
    case ThreadObject: return "Thread";
    case TimerNotificationObject: return "NotificationTimer";
    case TimerSynchronizationObject: return "SynchronizationTimer";
    default: return "?";
    }
}

ULONG KeQueryThreads(KTHREAD_INFO *Info, ULONG Max)
{
    PKPRCB Prcb = &KiPrcb0;
    ULONG n = 0;
    ULONG64 Hz = KeQueryTscFrequency();
    KIRQL Old = KiAcquireDispatcher(NULL);
    ULONG64 Now = KeReadTsc();

    for (PLIST_ENTRY e = KiThreadListHead.Flink; e != &KiThreadListHead; e = e->Flink, n++) {
        PKTHREAD t = CONTAINING_RECORD(e, KTHREAD, ThreadListEntry);
        if (n >= Max)
            continue;
        KTHREAD_INFO *i = &Info[n];
        RtlZeroMemory(i, sizeof(*i));
        i->Thread = t;
        i->Id = t->Id;
        RtlCopyMemory(i->Name, t->Name, KI_THREAD_NAME_MAX);
        i->State = t->State;
        i->Priority = t->Priority;
        i->ContextSwitches = t->ContextSwitches;
        ULONG64 Cycles = t->CycleTime + (t == Prcb->CurrentThread ? Now - Prcb->SwitchTsc : 0);
        i->CpuUs = Hz >= 1000000 ? Cycles / (Hz / 1000000) : 0;
        if (t->State == Waiting) {
            i->WaitReason = t->WaitReason;
            i->WaitType = t->WaitType;
            for (PKWAIT_BLOCK b = t->WaitBlockList; b; b = b->NextWaitBlock) {
                if (b->Object == &t->Timer) {
                    i->WaitTimeout = TRUE;
                    continue;
                }
                if (i->WaitObjects < THREAD_WAIT_OBJECTS) {
                    i->WaitObject[i->WaitObjects] = b->Object;
                    i->WaitObjectType[i->WaitObjects] = ((PDISPATCHER_HEADER)b->Object)->Type;
                }
                i->WaitObjects++;
            }
        }
    }
    KiReleaseDispatcher(Old);
    return n;
}
