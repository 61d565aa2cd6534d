/* gdt.c - the global descriptor table, the 64-bit TSS with its interrupt
 * stacks, and the list of stacks the backtrace walker may read.
 *
 * Long mode ignores segment bases and limits for code and data (SDM vol. 3
 * 3.2.4), so the GDT holds just one kernel code and one kernel data
 * descriptor.  The TSS matters only for its IST pointers: #DF, NMI and #MC
 * switch to their own known-good stacks, so a kernel stack overflow still
 * reaches the bug check screen instead of triple-faulting. */
#include "ki.h"

/* 64-bit TSS (SDM vol. 3 figure 7-11). */
typedef struct __attribute__((packed)) _KTSS64 {
    ULONG Reserved0;
    ULONG64 Rsp[3];
    ULONG64 Ist[8];         /* Ist[0] is the reserved qword at 0x1C; IST1..IST7 */
    ULONG64 Reserved2;
    USHORT Reserved3;
    USHORT IoMapBase;
} KTSS64;

_Static_assert(sizeof(KTSS64) == 104, "64-bit TSS is 104 bytes");
_Static_assert(__builtin_offsetof(KTSS64, Ist[1]) == 0x24, "IST1 at offset 0x24");

typedef struct __attribute__((packed)) _KDESCRIPTOR_POINTER {
    USHORT Limit;
    ULONG64 Base;
} KDESCRIPTOR_POINTER;

/* Code: present, DPL 0, execute/read, L=1 (64-bit), G=1.
 * Data: present, DPL 0, read/write, G=1, D/B=1.  (SDM vol. 3 3.4.5) */
#define KI_GDT_CODE64 0x00AF9A000000FFFFULL
#define KI_GDT_DATA   0x00CF92000000FFFFULL
#define KI_TSS_TYPE_AVAILABLE 0x9   /* 64-bit TSS (available), SDM table 3-2 */

static ULONG64 KiGdt[KGDT_ENTRIES] __attribute__((aligned(16)));
static KTSS64 KiTss __attribute__((aligned(16)));

static UCHAR KiDoubleFaultStack[KI_IST_STACK_SIZE] __attribute__((aligned(16)));
static UCHAR KiNmiStack[KI_IST_STACK_SIZE] __attribute__((aligned(16)));
static UCHAR KiMachineCheckStack[KI_IST_STACK_SIZE] __attribute__((aligned(16)));

/* ---- known stacks ----
 * The backtrace walker reads a frame only if it lies inside one of these,
 * so a corrupt RBP chain cannot send it into unmapped memory. */
#define KI_MAX_KNOWN_STACKS 8
/* The boot stack, on which everything but #DF/NMI/#MC runs (entry.asm). */
extern UCHAR KiBootStackTop[];
#define KI_BOOT_STACK_SIZE (64 * 1024)   /* KI_BOOT_STACK_SIZE in entry.asm */

typedef struct _KI_STACK_RANGE { ULONG64 Low, High; } KI_STACK_RANGE;
static KI_STACK_RANGE KiKnownStacks[KI_MAX_KNOWN_STACKS];
static ULONG KiKnownStackCount;

static VOID KiRegisterStack(ULONG64 Low, ULONG64 High)
{
    if (KiKnownStackCount < KI_MAX_KNOWN_STACKS && Low < High) {
        KiKnownStacks[KiKnownStackCount].Low = Low;
        KiKnownStacks[KiKnownStackCount].High = High;
        KiKnownStackCount++;
    }
}

BOOLEAN KiFindStack(ULONG64 Address, PULONG64 Low, PULONG64 High)
{
    for (ULONG i = 0; i < KiKnownStackCount; i++) {
        if (Address >= KiKnownStacks[i].Low && Address < KiKnownStacks[i].High) {
            *Low = KiKnownStacks[i].Low;
            *High = KiKnownStacks[i].High;
            return TRUE;
        }
    }
    /* A thread's stack (sched.c): the running one is where a backtrace
     * starts. */
    PKTHREAD Thread = KeGetCurrentPrcb()->CurrentThread;
    if (Thread && Thread->StackBase && Address >= (ULONG64)Thread->StackLimit &&
        Address < (ULONG64)Thread->StackBase) {
        *Low = (ULONG64)Thread->StackLimit;
        *High = (ULONG64)Thread->StackBase;
        return TRUE;
    }
    return FALSE;
}

static ULONG64 KiTssDescriptorLow(ULONG64 Base, ULONG Limit)
{
    return (Limit & 0xFFFFULL) |
           ((Base & 0xFFFFFFULL) << 16) |
           ((ULONG64)KI_TSS_TYPE_AVAILABLE << 40) |
           (1ULL << 47) |                          /* present */
           ((ULONG64)((Limit >> 16) & 0xF) << 48) |
           (((Base >> 24) & 0xFF) << 56);
}

static VOID KiInitGdt(VOID)
{
    ULONG64 TssBase = (ULONG64)&KiTss;

    RtlZeroMemory(&KiTss, sizeof(KiTss));
    KiTss.Ist[KI_IST_DOUBLE_FAULT] = (ULONG64)KiDoubleFaultStack + sizeof(KiDoubleFaultStack);
    KiTss.Ist[KI_IST_NMI] = (ULONG64)KiNmiStack + sizeof(KiNmiStack);
    KiTss.Ist[KI_IST_MACHINE_CHECK] = (ULONG64)KiMachineCheckStack + sizeof(KiMachineCheckStack);
    /* No I/O permission bitmap: the base points past the limit. */
    KiTss.IoMapBase = sizeof(KiTss);

    KiGdt[KGDT_NULL / 8] = 0;
    KiGdt[KGDT_R0_CODE / 8] = KI_GDT_CODE64;
    KiGdt[KGDT_R0_DATA / 8] = KI_GDT_DATA;
    KiGdt[KGDT_TSS / 8] = KiTssDescriptorLow(TssBase, sizeof(KiTss) - 1);
    KiGdt[KGDT_TSS / 8 + 1] = TssBase >> 32;

    KDESCRIPTOR_POINTER Gdtr = { sizeof(KiGdt) - 1, (ULONG64)KiGdt };
    KiLoadGdt(&Gdtr, KGDT_R0_CODE, KGDT_R0_DATA);
    KiLoadTr(KGDT_TSS);

    KiRegisterStack((ULONG64)KiDoubleFaultStack, (ULONG64)KiDoubleFaultStack + sizeof(KiDoubleFaultStack));
    KiRegisterStack((ULONG64)KiNmiStack, (ULONG64)KiNmiStack + sizeof(KiNmiStack));
    KiRegisterStack((ULONG64)KiMachineCheckStack, (ULONG64)KiMachineCheckStack + sizeof(KiMachineCheckStack));
}

VOID KeInitProcessor(VOID)
{
    KiInitGdt();
    KiInitIdt();
    KiRegisterStack((ULONG64)KiBootStackTop - KI_BOOT_STACK_SIZE, (ULONG64)KiBootStackTop);
    DbgPrint("ke: GDT, TSS (IST #DF/NMI/#MC %u KiB each), IDT loaded\n",
             KI_IST_STACK_SIZE / 1024);
}
