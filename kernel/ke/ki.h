/* ki.h - private to kernel/ke/: the pieces the ke files share with each other
 * (descriptor layouts, the current IRQL, the DPC drain, trap entry points).
 * Nothing outside kernel/ke/ includes this; the public halves are
 * kernel/include/ke.h and include/wdm/ke.h. */
#ifndef NTSTOR_KI_H
#define NTSTOR_KI_H

#include <ntos.h>

/* ---- segment selectors (kernel/ke/gdt.c) ----
 * GDT layout: 0 null, 1 kernel code (64-bit), 2 kernel data, 3-4 the 64-bit
 * TSS descriptor (16 bytes, Intel SDM vol. 3 7.2.3). */
#define KGDT_NULL       0x00
#define KGDT_R0_CODE    0x08
#define KGDT_R0_DATA    0x10
#define KGDT_TSS        0x18
#define KGDT_ENTRIES    5

/* Interrupt stack table slots (TSS.IST1..7, SDM vol. 3 6.14.5). */
#define KI_IST_DOUBLE_FAULT  1
#define KI_IST_NMI           2
#define KI_IST_MACHINE_CHECK 3
#define KI_IST_STACK_SIZE    (16 * 1024)

/* ---- exception vectors (SDM vol. 3 table 6-1) ---- */
#define KI_VECTOR_DE  0
#define KI_VECTOR_DB  1
#define KI_VECTOR_NMI 2
#define KI_VECTOR_BP  3
#define KI_VECTOR_OF  4
#define KI_VECTOR_BR  5
#define KI_VECTOR_UD  6
#define KI_VECTOR_NM  7
#define KI_VECTOR_DF  8
#define KI_VECTOR_TS  10
#define KI_VECTOR_NP  11
#define KI_VECTOR_SS  12
#define KI_VECTOR_GP  13
#define KI_VECTOR_PF  14
#define KI_VECTOR_MF  16
#define KI_VECTOR_AC  17
#define KI_VECTOR_MC  18
#define KI_VECTOR_XM  19
#define KI_VECTOR_VE  20
#define KI_VECTOR_CP  21
#define KI_FIRST_DEVICE_VECTOR 0x20
#define KI_SPURIOUS_VECTOR     0xFF
/* The periodic clock (kernel/ke/time.c), at CLOCK_LEVEL. */
#define KI_CLOCK_VECTOR        0xF0

/* Exception codes reported as parameter 1 of KMODE_EXCEPTION_NOT_HANDLED
 * (NT's ntstatus.h values; exceptions, not I/O results, so kept here). */
#define KI_STATUS_BREAKPOINT            0x80000003UL
#define KI_STATUS_SINGLE_STEP           0x80000004UL
#define KI_STATUS_ACCESS_VIOLATION      0xC0000005UL
#define KI_STATUS_ILLEGAL_INSTRUCTION   0xC000001DUL
#define KI_STATUS_ARRAY_BOUNDS_EXCEEDED 0xC000008CUL
#define KI_STATUS_FLOAT_INVALID         0xC0000090UL
#define KI_STATUS_INTEGER_DIVIDE_BY_ZERO 0xC0000094UL
#define KI_STATUS_INTEGER_OVERFLOW      0xC0000095UL
#define KI_STATUS_PRIVILEGED_INSTRUCTION 0xC0000096UL
#define KI_STATUS_STACK_OVERFLOW        0xC00000FDUL
#define KI_STATUS_DATATYPE_MISALIGNMENT 0x80000002UL

/* ---- RFLAGS ---- */
#define KI_EFLAGS_IF 0x200

/* ---- IRQL (kernel/ke/irql.c) ----
 * One CPU: the current IRQL is a plain variable; changes happen with
 * interrupts disabled or by the code running at that level. */
extern volatile KIRQL KiCurrentIrql;
/* CR8 value that masks every vector whose IRQL is <= Irql. */
ULONG64 KiIrqlToTpr(KIRQL Irql);
VOID KiSetIrql(KIRQL Irql);   /* no checks, no DPC drain */

/* ---- DPCs (kernel/ke/dpc.c) ---- */
/* Queued DPCs: inline, it is asked on every lowering below DISPATCH_LEVEL
 * (every spin-lock release). */
extern LIST_ENTRY KiDpcListHead;
static inline BOOLEAN KiDpcPending(VOID) { return KiDpcListHead.Flink != &KiDpcListHead; }
/* Runs every queued DPC.  Caller is at DISPATCH_LEVEL with interrupts
 * enabled. */
VOID KiRetireDpcList(VOID);

/* ---- timers (kernel/ke/timer.c) ----
 * From the clock ISR: queues the DPC of every expired KTIMER. */
VOID KiTimerExpiry(VOID);

/* ---- the dispatcher (kernel/ke/sched.c, wait.c) ----
 * The dispatcher lock: raise to DISPATCH_LEVEL (one CPU: nothing else runs
 * below it, and ISRs never touch dispatcher state).  Taking it above
 * DISPATCH_LEVEL bug-checks IRQL_NOT_LESS_OR_EQUAL (P3 = 5): a caller at
 * device IRQL would corrupt the lists the code it interrupted is editing.
 * Release lowers the IRQL, which runs DPCs and switches threads if one is
 * pending. */
KIRQL KiAcquireDispatcher(PVOID Object);
VOID KiReleaseDispatcher(KIRQL OldIrql);
static inline BOOLEAN KiDispatcherHeld(void) { return KiCurrentIrql >= DISPATCH_LEVEL; }
VOID KiInitializeHeader(PDISPATCHER_HEADER Header, UCHAR Type, LONG SignalState);
/* After Header became signalled: satisfies the waits it can.  [D] */
VOID KiWaitTest(PDISPATCHER_HEADER Header);
/* Ends Thread's wait with Status: unlinks its wait blocks, cancels its
 * timeout, makes it ready.  [D] */
VOID KiUnwaitThread(PKTHREAD Thread, NTSTATUS Status);
/* Makes Thread ready; asks for a switch if it should preempt.  [D] */
VOID KiReadyThread(PKTHREAD Thread);
/* The current thread has set its State (Waiting, Terminated): runs the
 * next thread; returns, at DISPATCH_LEVEL, when this thread runs again,
 * with its WaitStatus.  [D] */
NTSTATUS KiSwapThread(VOID);
/* With the IRQL about to drop below DISPATCH_LEVEL (called at
 * DISPATCH_LEVEL): switches if a preemption or quantum end is pending. */
VOID KiDispatchPending(VOID);
static inline BOOLEAN KiSwitchPending(void);
/* From the clock ISR: charges the tick to the current thread's quantum. */
VOID KiClockTick(VOID);
/* Mutex bookkeeping on thread exit (mutex.c). [D] */
VOID KiAcquireMutantOwnership(PKMUTANT Mutant, PKTHREAD Thread);
/* Timers (timer.c): arm/cancel with the dispatcher lock held. */
BOOLEAN KiSetTimerLocked(PKTIMER Timer, ULONG64 DueTime, LONG Period, PKDPC Dpc);
BOOLEAN KiCancelTimerLocked(PKTIMER Timer);
/* Stack of a new thread (stack.c; the host tests have their own). */
NTSTATUS KiAllocateKernelStack(PVOID *Base, PVOID *Limit);
VOID KiFreeKernelStack(PVOID Base, PVOID Limit);
/* Context switch (swap.asm): saves the callee-saved registers and RFLAGS
 * on the current stack, stores RSP in *SaveRsp, loads NewRsp and pops the
 * same set from it.  KiThreadStartup is the first return address on a new
 * thread's stack: it calls R12(R13) with the ABI's alignment. */
VOID KiSwapContext(ULONG64 *SaveRsp, ULONG64 NewRsp);
VOID KiThreadStartup(VOID);

extern KPRCB KiPrcb0;
static inline BOOLEAN KiSwitchPending(void) { return KiPrcb0.DispatchPending; }

/* ---- traps (kernel/ke/trap.asm, trap.c, interrupt.c) ---- */
/* Table of the 256 NASM entry stubs, in vector order. */
extern const ULONG64 KiTrapStubTable[256];
VOID KiTrapDispatch(PKTRAP_FRAME TrapFrame);
VOID KiInterruptDispatch(PKTRAP_FRAME TrapFrame);
VOID KiInitIdt(VOID);

/* ---- descriptor loads (kernel/ke/cpu.asm) ---- */
VOID KiLoadGdt(const VOID *GdtPointer, ULONG CodeSelector, ULONG DataSelector);
VOID KiLoadTr(ULONG Selector);
VOID KiLoadIdt(const VOID *IdtPointer);

/* ---- bug check with a trap frame (kernel/ke/bugcheck.c) ---- */
__attribute__((noreturn))
VOID KiBugCheckWithFrame(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                         ULONG_PTR P4, PKTRAP_FRAME TrapFrame);
PCSTR KiBugCheckName(ULONG Code);

/* ---- stacks known to the backtrace walker (kernel/ke/gdt.c) ---- */
BOOLEAN KiFindStack(ULONG64 Address, PULONG64 Low, PULONG64 High);

/* ---- time (kernel/ke/time.c) ---- */
extern volatile BOOLEAN KiClockRunning;

/* ---- privileged primitives ----
 * Host unit tests (NTSTOR_HOST_TEST) run this code in user mode, where CLI,
 * STI, HLT and CR accesses fault; there the primitives act on simulated
 * state the test inspects (tests/unit/test_ke_core.c). */
#ifdef NTSTOR_HOST_TEST
extern ULONG64 KiHostRflags;    /* only IF matters */
extern ULONG64 KiHostCr8;
VOID KiHostHalt(VOID);          /* the test's "an interrupt arrived" */
static inline ULONG64 KiReadCr2(void) { return 0; }
static inline ULONG64 KiReadCr3(void) { return 0; }
static inline void KiWriteCr8(ULONG64 v) { KiHostCr8 = v; }
static inline ULONG64 KiReadRflags(void) { return KiHostRflags; }
static inline void KiEnable(void) { KiHostRflags |= KI_EFLAGS_IF; }
static inline void KiDisable(void) { KiHostRflags &= ~(ULONG64)KI_EFLAGS_IF; }
static inline void KiHaltUntilInterrupt(void) { KiEnable(); KiHostHalt(); }
#else
static inline ULONG64 KiReadCr2(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline ULONG64 KiReadCr3(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
static inline void KiWriteCr8(ULONG64 v)
{
    __asm__ volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}
static inline ULONG64 KiReadRflags(void)
{
    ULONG64 v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}
static inline void KiEnable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void KiDisable(void) { __asm__ volatile("cli" ::: "memory"); }
/* STI's interrupt shadow covers the HLT, so an interrupt pending at the
 * STI ends the HLT rather than slipping in before it (SDM vol. 2B, STI). */
static inline void KiHaltUntilInterrupt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
#endif

/* Disable interrupts, returning the previous RFLAGS for KiRestoreInterrupts. */
static inline ULONG64 KiDisableInterrupts(void)
{
    ULONG64 Flags = KiReadRflags();
    KiDisable();
    return Flags;
}
static inline void KiRestoreInterrupts(ULONG64 Flags)
{
    if (Flags & KI_EFLAGS_IF)
        KiEnable();
}

#endif
