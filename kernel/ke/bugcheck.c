/* bugcheck.c - the stop screen.  A broken contract or an exception ends
 * here: interrupts off, one NT-style report on the console (serial and
 * framebuffer), then the CPU halts for good.  Nothing here touches a disk
 * or the pool: the system's state is by definition suspect.
 *
 *   *** STOP: 0x0000001E (0xFFFFFFFFC0000005, 0x..., 0x..., 0x...)
 *   KMODE_EXCEPTION_NOT_HANDLED
 *   ... trap frame registers, if a trap caused it ...
 *   Stack:
 *     #0 0xFFFFFFFF80012345 IopSomething+0x2a [ntoskrnl]
 *   System halted.
 */
#include "ki.h"

#define KI_BACKTRACE_MAX_FRAMES 32

typedef struct _KI_BUGCHECK_NAME { ULONG Code; PCSTR Name; } KI_BUGCHECK_NAME;

#define KI_NAME(c) { c, #c }
static const KI_BUGCHECK_NAME KiBugCheckNames[] = {
    KI_NAME(IRQL_NOT_LESS_OR_EQUAL),
    KI_NAME(KMODE_EXCEPTION_NOT_HANDLED),
    KI_NAME(MULTIPLE_IRP_COMPLETE_REQUESTS),
    KI_NAME(NO_MORE_IRP_STACK_LOCATIONS),
    KI_NAME(INVALID_PROCESS_ATTACH_ATTEMPT),
    KI_NAME(SPIN_LOCK_ALREADY_OWNED),
    KI_NAME(SPIN_LOCK_NOT_OWNED),
    KI_NAME(UNEXPECTED_KERNEL_MODE_TRAP),
    KI_NAME(PAGE_FAULT_IN_NONPAGED_AREA),
    KI_NAME(BAD_POOL_HEADER),
    KI_NAME(BAD_POOL_CALLER),
    KI_NAME(DRIVER_CORRUPTED_EXPOOL),
    KI_NAME(REFERENCE_BY_POINTER),
    KI_NAME(INVALID_DATA_ACCESS_TRAP),
    KI_NAME(IRQL_GT_ZERO_AT_SYSTEM_SERVICE),
    KI_NAME(DRIVER_IRQL_NOT_LESS_OR_EQUAL),
    KI_NAME(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED),
    KI_NAME(MANUALLY_INITIATED_CRASH),
    KI_NAME(PHASE0_INITIALIZATION_FAILED),
    KI_NAME(PHASE1_INITIALIZATION_FAILED),
    KI_NAME(OBJECT_INITIALIZATION_FAILED),
    KI_NAME(INACCESSIBLE_BOOT_DEVICE),
    KI_NAME(PFN_LIST_CORRUPT),
    KI_NAME(NO_PAGES_AVAILABLE),
    KI_NAME(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS),
    KI_NAME(PNP_DETECTED_FATAL_ERROR),
    KI_NAME(KERNEL_SECURITY_CHECK_FAILURE),
    KI_NAME(APC_INDEX_MISMATCH),
    KI_NAME(MAXIMUM_WAIT_OBJECTS_EXCEEDED),
    KI_NAME(THREAD_NOT_MUTEX_OWNER),
    KI_NAME(SYSTEM_EXIT_OWNED_MUTEX),
    KI_NAME(MUTEX_ALREADY_OWNED),
    KI_NAME(WORKER_THREAD_RETURNED_AT_BAD_IRQL),
    KI_NAME(INVALID_WORK_QUEUE_ITEM),
    KI_NAME(THREAD_TERMINATE_HELD_MUTEX),
};

PCSTR KiBugCheckName(ULONG Code)
{
    for (ULONG i = 0; i < RTL_NUMBER_OF(KiBugCheckNames); i++)
        if (KiBugCheckNames[i].Code == Code)
            return KiBugCheckNames[i].Name;
    return "UNKNOWN_BUGCHECK_CODE";
}

static const PCSTR KiVectorMnemonic[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* 0 while running, 1 inside the first bug check, 2+ inside a nested one. */
static volatile ULONG KiBugCheckDepth;

static VOID KiBcPrint(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
static VOID KiBcPrint(PCSTR Format, ...)
{
    CHAR Line[256];
    va_list Args;
    va_start(Args, Format);
    RtlStringCbVPrintfA((PSTR)Line, sizeof(Line), Format, Args);
    va_end(Args);
    SIZE_T Length = 0;
    while (Length < sizeof(Line) && Line[Length])
        Length++;
    ConWrite((PCSTR)Line, Length);
}

__attribute__((noreturn)) static VOID KiHaltForever(VOID)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

static VOID KiPrintAddress(PCSTR Prefix, ULONG64 Address)
{
    ULONG64 Offset = 0;
    PCSTR Image = NULL;
    PCSTR Name = KeLookupSymbol(Address, &Offset, &Image);
    if (Name)
        KiBcPrint("%s0x%016llx %s+0x%llx [%s]\n", Prefix, (unsigned long long)Address, Name,
                  (unsigned long long)Offset, Image ? Image : "?");
    else
        KiBcPrint("%s0x%016llx ?\n", Prefix, (unsigned long long)Address);
}

static VOID KiPrintTrapFrame(PKTRAP_FRAME F)
{
    ULONG Vector = (ULONG)F->Vector;
    KiBcPrint("\nTrap: vector 0x%02x (%s) error code 0x%llx\n", Vector,
              Vector < 32 ? KiVectorMnemonic[Vector] : "interrupt",
              (unsigned long long)F->ErrorCode);
    KiPrintAddress("RIP ", F->Rip);
    KiBcPrint("RSP 0x%016llx RBP 0x%016llx RFLAGS 0x%08llx\n",
              (unsigned long long)F->Rsp, (unsigned long long)F->Rbp, (unsigned long long)F->Rflags);
    KiBcPrint("RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx\n",
              (unsigned long long)F->Rax, (unsigned long long)F->Rbx, (unsigned long long)F->Rcx);
    KiBcPrint("RDX 0x%016llx RSI 0x%016llx RDI 0x%016llx\n",
              (unsigned long long)F->Rdx, (unsigned long long)F->Rsi, (unsigned long long)F->Rdi);
    KiBcPrint("R8  0x%016llx R9  0x%016llx R10 0x%016llx\n",
              (unsigned long long)F->R8, (unsigned long long)F->R9, (unsigned long long)F->R10);
    KiBcPrint("R11 0x%016llx R12 0x%016llx R13 0x%016llx\n",
              (unsigned long long)F->R11, (unsigned long long)F->R12, (unsigned long long)F->R13);
    KiBcPrint("R14 0x%016llx R15 0x%016llx\n",
              (unsigned long long)F->R14, (unsigned long long)F->R15);
    KiBcPrint("CS 0x%04llx SS 0x%04llx CR2 0x%016llx CR3 0x%016llx\n",
              (unsigned long long)F->Cs, (unsigned long long)F->Ss,
              (unsigned long long)KiReadCr2(), (unsigned long long)KiReadCr3());
}

/* Walks the RBP chain (the kernel and drivers keep frame pointers).  Every
 * frame pointer is checked before it is read: 8-aligned, inside one known
 * stack, and above the previous one, so a corrupt chain ends the walk
 * instead of faulting. */
static VOID KiBacktrace(ULONG64 Rbp, ULONG FirstIndex)
{
    ULONG64 Low, High;

    if (!KiFindStack(Rbp, &Low, &High)) {
        KiBcPrint("  (frame pointer 0x%016llx is not in a known stack)\n", (unsigned long long)Rbp);
        return;
    }
    for (ULONG n = FirstIndex; n < KI_BACKTRACE_MAX_FRAMES; n++) {
        if ((Rbp & 7) || Rbp < Low || Rbp > High - 16)
            return;
        const ULONG64 *Frame = (const ULONG64 *)Rbp;
        ULONG64 Return = Frame[1];
        if (Return == 0)
            return;
        CHAR Prefix[16];
        RtlStringCbPrintfA((PSTR)Prefix, sizeof(Prefix), "  #%u ", n);
        KiPrintAddress((PCSTR)Prefix, Return);
        if (Frame[0] <= Rbp)
            return;
        Rbp = Frame[0];
    }
    KiBcPrint("  ... (stopped after %u frames)\n", KI_BACKTRACE_MAX_FRAMES);
}

/* StartRbp: the frame to walk from when there is no trap frame (the frame
 * of KeBugCheckEx, so the first entry is its caller). */
__attribute__((noreturn))
static VOID KiBugCheckCommon(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                             ULONG_PTR P4, PKTRAP_FRAME TrapFrame, ULONG64 StartRbp)
{
    KiDisable();
    ULONG Depth = KiBugCheckDepth++;
    if (Depth == 1) {
        /* Something in the report itself failed; say so once and stop. */
        KiBcPrint("\n*** nested STOP: 0x%08X (0x%016llx) during bug check - halted\n",
                  Code, (unsigned long long)P1);
        KiHaltForever();
    }
    if (Depth > 1)
        KiHaltForever();

    KiBcPrint("\n*** STOP: 0x%08X (0x%016llx, 0x%016llx, 0x%016llx, 0x%016llx)\n", Code,
              (unsigned long long)P1, (unsigned long long)P2, (unsigned long long)P3,
              (unsigned long long)P4);
    KiBcPrint("%s\n", KiBugCheckName(Code));
    if (Code == KERNEL_SECURITY_CHECK_FAILURE && P1 && P2)
        /* ASSERT: P1 function name, P2 expression, P3 line (wdm/ke.h). */
        KiBcPrint("Assertion failed in %s (line %llu): %s\n", (PCSTR)P1,
                  (unsigned long long)P3, (PCSTR)P2);
    KiBcPrint("IRQL %u  uptime %llu us\n", KiCurrentIrql, (unsigned long long)KeQueryTimeUs());

    if (TrapFrame) {
        KiPrintTrapFrame(TrapFrame);
        KiBcPrint("\nStack:\n");
        KiPrintAddress("  #0 ", TrapFrame->Rip);
        KiBacktrace(TrapFrame->Rbp, 1);
    } else {
        KiBcPrint("\nStack:\n");
        KiBacktrace(StartRbp, 0);
    }
    KiBcPrint("\nSystem halted.\n");
    KiHaltForever();
}

VOID KiBugCheckWithFrame(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                         ULONG_PTR P4, PKTRAP_FRAME TrapFrame)
{
    KiBugCheckCommon(Code, P1, P2, P3, P4, TrapFrame, (ULONG64)__builtin_frame_address(0));
}

VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    KiBugCheckCommon(BugCheckCode, P1, P2, P3, P4, NULL, (ULONG64)__builtin_frame_address(0));
}

VOID KeBugCheck(ULONG BugCheckCode)
{
    KiBugCheckCommon(BugCheckCode, 0, 0, 0, 0, NULL, (ULONG64)__builtin_frame_address(0));
}
