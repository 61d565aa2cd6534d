/* trap.c - what happens on each vector: CPU exceptions (0-31) stop the
 * machine with an NT stop code; everything else is a device interrupt and
 * goes to interrupt.c.  ntstor has no exception handling (no SEH), so a
 * kernel-mode exception is always fatal, as an unhandled one is in NT. */
#include "ki.h"

/* #PF error code bits (SDM vol. 3 4.7). */
#define KI_PF_WRITE   0x02
#define KI_PF_FETCH   0x10

/* NT's PAGE_FAULT_IN_NONPAGED_AREA parameter 2: 0 read, 1 write,
 * 10 instruction fetch. */
#define KI_PF_ACCESS_READ    0
#define KI_PF_ACCESS_WRITE   1
#define KI_PF_ACCESS_EXECUTE 10

/* The NT exception code each vector raises; 0 for vectors NT reports as
 * UNEXPECTED_KERNEL_MODE_TRAP (no exception record: #DF, NMI, #TS, #NP,
 * #SS, #MC and the reserved ones). */
static const ULONG KiExceptionCode[32] = {
    [KI_VECTOR_DE] = KI_STATUS_INTEGER_DIVIDE_BY_ZERO,
    [KI_VECTOR_DB] = KI_STATUS_SINGLE_STEP,
    [KI_VECTOR_BP] = KI_STATUS_BREAKPOINT,
    [KI_VECTOR_OF] = KI_STATUS_INTEGER_OVERFLOW,
    [KI_VECTOR_BR] = KI_STATUS_ARRAY_BOUNDS_EXCEEDED,
    [KI_VECTOR_UD] = KI_STATUS_ILLEGAL_INSTRUCTION,
    [KI_VECTOR_NM] = KI_STATUS_PRIVILEGED_INSTRUCTION,
    [KI_VECTOR_GP] = KI_STATUS_ACCESS_VIOLATION,
    [KI_VECTOR_MF] = KI_STATUS_FLOAT_INVALID,
    [KI_VECTOR_AC] = KI_STATUS_DATATYPE_MISALIGNMENT,
    [KI_VECTOR_XM] = KI_STATUS_FLOAT_INVALID,
    [KI_VECTOR_CP] = KI_STATUS_ACCESS_VIOLATION,
};

static VOID KiDispatchException(PKTRAP_FRAME Frame)
{
    ULONG Vector = (ULONG)Frame->Vector;

    if (Vector == KI_VECTOR_PF) {
        ULONG64 Cr2 = KiReadCr2();
        ULONG Access = (Frame->ErrorCode & KI_PF_FETCH) ? KI_PF_ACCESS_EXECUTE :
                       (Frame->ErrorCode & KI_PF_WRITE) ? KI_PF_ACCESS_WRITE :
                       KI_PF_ACCESS_READ;
        KiBugCheckWithFrame(PAGE_FAULT_IN_NONPAGED_AREA, Cr2, Access, Frame->Rip,
                            Frame->ErrorCode, Frame);
    }
    if (KiExceptionCode[Vector] != 0) {
        /* NT: P1 exception code, P2 address, P3/P4 exception parameters
         * (we give the error code, which #GP fills with a selector). */
        KiBugCheckWithFrame(KMODE_EXCEPTION_NOT_HANDLED, KiExceptionCode[Vector],
                            Frame->Rip, Frame->ErrorCode, 0, Frame);
    }
    /* NT: P1 is the trap number. */
    KiBugCheckWithFrame(UNEXPECTED_KERNEL_MODE_TRAP, Vector, Frame->ErrorCode,
                        Frame->Rip, 0, Frame);
}

/* Called by every stub in trap.asm with interrupts disabled. */
VOID KiTrapDispatch(PKTRAP_FRAME TrapFrame)
{
    if (TrapFrame->Vector < KI_FIRST_DEVICE_VECTOR)
        KiDispatchException(TrapFrame);
    else
        KiInterruptDispatch(TrapFrame);
}
