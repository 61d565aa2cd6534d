/* ke.h - kernel-internal interface of kernel/ke/ (CPU, interrupts, IRQL,
 * DPCs, time, bug checks).  The exported half is include/wdm/ke.h. */
#ifndef NTSTOR_KE_H
#define NTSTOR_KE_H

#include <wdm.h>
#include "bootinfo.h"

/* Saved by the NASM interrupt stubs (kernel/ke/trap.asm) on every trap. */
typedef struct _KTRAP_FRAME {
    ULONG64 R15, R14, R13, R12, R11, R10, R9, R8;
    ULONG64 Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
    ULONG64 Vector, ErrorCode;
    ULONG64 Rip, Cs, Rflags, Rsp, Ss;
} KTRAP_FRAME, *PKTRAP_FRAME;

/* Boot phases, called in this order from KiSystemStartup (kernel/ke/init.c). */
VOID KeInitProcessor(VOID);          /* GDT, TSS with IST stacks, IDT */
VOID KeInitTime(VOID);               /* TSC calibration; needs HAL timers */

/* A device interrupt: the ISR runs at the vector's IRQL with interrupts
 * enabled for higher levels.  Return TRUE if the device was interrupting
 * (shared INTx lines call every ISR on the vector). */
typedef BOOLEAN (*PKE_VECTOR_ROUTINE)(PVOID Context);

/* Allocates a free vector whose IRQL is Irql (vector >> 4 == Irql + 2 style
 * mapping, see kernel/ke/irql.c).  Returns 0 if none is left. */
ULONG KeAllocateVector(KIRQL Irql);
VOID KeFreeVector(ULONG Vector);
KIRQL KeVectorToIrql(ULONG Vector);
/* Several routines may share a vector (INTx).  Connect returns a cookie for
 * disconnect, NULL on failure. */
PVOID KeConnectVector(ULONG Vector, PKE_VECTOR_ROUTINE Routine, PVOID Context);
VOID KeDisconnectVector(PVOID Cookie);
/* Interrupts taken on Vector since boot; *Unclaimed (optional) counts those
 * no connected routine claimed (returned TRUE for). */
ULONG64 KeQueryVectorCount(ULONG Vector, PULONG64 Unclaimed);

/* Microseconds since boot (TSC-based). */
ULONG64 KeQueryTimeUs(VOID);
/* TSC ticks per second as calibrated. */
ULONG64 KeQueryTscFrequency(VOID);
/* What calibrated the TSC: hpet, pmtimer, cpuid15, pit, cpuid16, guess
 * (1 GHz assumed), or uncalibrated (before KeInitTime). */
PCSTR KeQueryTscSource(VOID);
/* FALSE until KeInitTime has set the TSC's rate: times read before are
 * at an assumed 1 GHz (the log stamps its early lines 0 and mends them). */
BOOLEAN KeIsTscCalibrated(VOID);
ULONG64 KeTscToUs(ULONG64 TscTicks);    /* at the calibrated rate */
ULONG64 KeReadTsc(VOID);
/* TSC at kernel entry, for the boot-time line. */
extern ULONG64 KeBootTsc;
/* The loader's text of the boot volume's UEFI device path ("" if unknown). */
PCSTR KeQueryBootDevicePath(VOID);
/* Periodic clock interrupts (1 ms) since KeInitTime started the clock. */
ULONG64 KeQueryClockTicks(VOID);

/* Runs queued DPCs now if IRQL allows (used by polling loops). */
VOID KeDrainDpcQueue(VOID);

/* ---- threads and the scheduler (kernel/ke/thread.c, sched.c, swap.asm) ----
 *
 * Lock rule: every field below marked [D] changes only under the
 * dispatcher lock, which on one CPU is "IRQL raised to DISPATCH_LEVEL"
 * (KiAcquireDispatcher/KiReleaseDispatcher); the clock ISR only reads
 * them.  A thread switch happens only at DISPATCH_LEVEL, when the thread
 * blocks or when the IRQL drops below DISPATCH_LEVEL with a switch pending
 * (a higher-priority thread became ready, or the quantum ended). */
typedef enum _KTHREAD_STATE {   /* NT's numbering */
    Initialized = 0, Ready = 1, Running = 2, Standby = 3, Terminated = 4,
    Waiting = 5, Transition = 6, DeferredReady = 7,
} KTHREAD_STATE;

#define KI_THREAD_NAME_MAX 16
/* NT x64's kernel stack size; one unmapped guard page below it. */
#define KI_KERNEL_STACK_SIZE (24 * 1024)

typedef struct _KTHREAD {
    DISPATCHER_HEADER Header;       /* ThreadObject: signalled when it ends */
    ULONG64 SavedRsp;               /* while switched out (swap.asm) */
    PVOID StackBase;                /* highest address + 1; NULL: not ours */
    PVOID StackLimit;               /* lowest usable address */
    LIST_ENTRY ReadyListEntry;      /* [D] in a ready queue while Ready */
    LIST_ENTRY ThreadListEntry;     /* [D] KiThreadListHead: every live thread */
    LIST_ENTRY MutantListHead;      /* [D] KMUTEXes this thread owns */
    KWAIT_BLOCK WaitBlock[THREAD_WAIT_OBJECTS + 1];   /* the last: the timer */
    PKWAIT_BLOCK WaitBlockList;     /* [D] blocks of the current wait */
    KTIMER Timer;                   /* wait timeouts, KeDelayExecutionThread */
    NTSTATUS WaitStatus;            /* [D] what the wait returns */
    KIRQL WaitIrql;                 /* IRQL of the waiter, restored after */
    UCHAR State;                    /* [D] KTHREAD_STATE */
    UCHAR WaitReason;               /* [D] KWAIT_REASON while Waiting */
    UCHAR WaitType;                 /* [D] WAIT_TYPE while Waiting */
    CHAR Priority;                  /* [D] 0..31 */
    LONG Quantum;                   /* clock ticks left of its turn */
    ULONG Id;
    ULONG FastMutexCount;           /* fast mutexes held (ExAcquireFastMutex) */
    ULONG64 CycleTime;              /* TSC ticks run (ISRs and DPCs included) */
    ULONG64 ContextSwitches;        /* times switched in */
    PKSTART_ROUTINE StartRoutine;
    PVOID StartContext;
    /* Called (at DISPATCH_LEVEL, on another thread) once the thread has
     * terminated and its stack is no longer in use: frees the stack and
     * drops the scheduler's reference.  NULL for static threads. */
    VOID (*ReapRoutine)(struct _KTHREAD *Thread);
    NTSTATUS ExitStatus;
    CHAR Name[KI_THREAD_NAME_MAX];
} KTHREAD;

/* Per-CPU state.  One CPU today: KeGetCurrentPrcb is the one accessor,
 * so a second CPU is a second KPRCB and a GS-based accessor. */
typedef struct _KPRCB {
    PKTHREAD CurrentThread;         /* [D] */
    PKTHREAD IdleThread;
    PKTHREAD DeadThread;            /* [D] terminated, to reap after the switch */
    LIST_ENTRY ReadyListHead[MAXIMUM_PRIORITY];   /* [D] */
    volatile ULONG ReadySummary;    /* [D] bit p: ReadyListHead[p] not empty */
    volatile BOOLEAN DispatchPending;   /* a switch to consider when IRQL drops */
    volatile BOOLEAN QuantumEnd;    /* the clock took the current thread's turn */
    ULONG64 SwitchTsc;              /* TSC of the last switch (CPU time) */
    ULONG64 ContextSwitches;
} KPRCB, *PKPRCB;

PKPRCB KeGetCurrentPrcb(VOID);

/* Boot: turns the running boot context into the first thread (Name) and
 * creates the idle thread.  After MmInitSystem, before KeInitTime. */
VOID KeInitThreads(PCSTR BootThreadName);
/* Creates a thread that starts at PASSIVE_LEVEL in StartRoutine and is
 * made ready at once.  Stack with a guard page.  Thread is the caller's
 * memory (Ps embeds it in its object); Reap is called when the thread has
 * ended (see KTHREAD.ReapRoutine).  PASSIVE_LEVEL. */
NTSTATUS KeInitializeThread(PKTHREAD Thread, PCSTR Name, KPRIORITY Priority,
                            PKSTART_ROUTINE StartRoutine, PVOID StartContext,
                            VOID (*Reap)(PKTHREAD Thread));
/* Frees the stack KeInitializeThread allocated (from a ReapRoutine). */
VOID KeFreeThreadStack(PKTHREAD Thread);
__attribute__((noreturn)) VOID KeTerminateThread(NTSTATUS ExitStatus);
VOID KeSetThreadName(PKTHREAD Thread, PCSTR Name);

/* A snapshot of one thread for the shell's `threads`. */
typedef struct _KTHREAD_INFO {
    ULONG Id;
    CHAR Name[KI_THREAD_NAME_MAX];
    UCHAR State, WaitReason, WaitType;
    CHAR Priority;
    ULONG WaitObjects;              /* objects waited on (timeout excluded) */
    PVOID WaitObject[THREAD_WAIT_OBJECTS];
    UCHAR WaitObjectType[THREAD_WAIT_OBJECTS];
    BOOLEAN WaitTimeout;            /* the wait has a timeout */
    ULONG64 CpuUs;
    ULONG64 ContextSwitches;
    PKTHREAD Thread;
} KTHREAD_INFO;
ULONG KeQueryThreads(KTHREAD_INFO *Info, ULONG Max);
PCSTR KeThreadStateName(UCHAR State);
PCSTR KeWaitReasonName(UCHAR Reason);
PCSTR KeObjectTypeName(UCHAR Type);

/* Symbol lookup for backtraces.  Images (kernel, drivers) register their
 * symbol tables; lookup returns the name and offset of the nearest symbol at
 * or below Address, or NULL. */
typedef struct _KSYMBOL_TABLE KSYMBOL_TABLE, *PKSYMBOL_TABLE;
PCSTR KeLookupSymbol(ULONG64 Address, PULONG64 Offset, PCSTR *ImageName);
/* Spin locks held on this CPU now (spinlock.c; for the verifier). */
ULONG KeGetSpinLocksHeld(VOID);
/* Registers an image's ELF .symtab/.strtab (must stay mapped while
 * registered).  LoadBias is added to each symbol's value. */
PVOID KeRegisterSymbols(PCSTR ImageName, ULONG64 Base, ULONG64 Size,
                        const VOID *Symtab, SIZE_T SymtabSize,
                        const CHAR *Strtab, SIZE_T StrtabSize, ULONG64 LoadBias);
VOID KeUnregisterSymbols(PVOID Handle);
/* Validates the raw kernel ELF file (the \ntstor\kernel.elf boot file,
 * which must stay mapped) and registers its symbols as image "ntoskrnl".
 * A malformed file is logged and ignored: backtraces then show addresses. */
VOID KiRegisterKernelSymbols(const VOID *ElfFile, SIZE_T Size);

/* Interrupt enable/disable for the few places that must. */
static inline ULONG64 KeDisableInterrupts(void)
{
    ULONG64 flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
    return flags;
}
static inline void KeRestoreInterrupts(ULONG64 flags)
{
    if (flags & 0x200)
        __asm__ volatile("sti" ::: "memory");
}

/* Work run by the poweroff and reboot commands before the machine goes
 * down (kernel/ke/shutdown.c); the I/O manager registers the sending of
 * IRP_MJ_SHUTDOWN here.  Newest registration runs first. */
typedef VOID (*PSHUTDOWN_CALLBACK)(PVOID Context);
VOID KeRegisterShutdownCallback(PSHUTDOWN_CALLBACK Callback, PVOID Context);
VOID KeRunShutdownCallbacks(VOID);

/* Boot information and files the loader brought (kernel/ke/init.c).  The
 * structure is copied into the kernel at entry; file contents stay where the
 * loader put them and are reached through the direct map. */
const ntstor_bootinfo *KeGetBootInfo(VOID);
/* Case-insensitive match on the path as the loader recorded it
 * (e.g. "\ntstor\drivers\ahci.sys"); NULL if the loader did not load it. */
const ntstor_boot_file *KiFindBootFile(PCSTR Path);
static inline const VOID *KiBootFileData(const ntstor_boot_file *File)
{
    return (const VOID *)(NTSTOR_DIRECT_MAP_BASE + File->phys);
}

#endif
