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

/* Symbol lookup for backtraces.  Images (kernel, drivers) register their
 * symbol tables; lookup returns the name and offset of the nearest symbol at
 * or below Address, or NULL. */
typedef struct _KSYMBOL_TABLE KSYMBOL_TABLE, *PKSYMBOL_TABLE;
PCSTR KeLookupSymbol(ULONG64 Address, PULONG64 Offset, PCSTR *ImageName);
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
