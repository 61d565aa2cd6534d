/* idt.c - the interrupt descriptor table: all 256 vectors go to the stubs in
 * trap.asm.  Every gate is an interrupt gate (IF cleared on entry, SDM vol. 3
 * 6.12.1.2), so a handler decides itself when to allow nesting. */
#include "ki.h"

/* 64-bit IDT gate descriptor (SDM vol. 3 figure 6-8). */
typedef struct __attribute__((packed)) _KIDTENTRY64 {
    USHORT OffsetLow;
    USHORT Selector;
    UCHAR IstIndex;         /* bits 0-2 */
    UCHAR TypeAttributes;   /* P, DPL, type */
    USHORT OffsetMiddle;
    ULONG OffsetHigh;
    ULONG Reserved;
} KIDTENTRY64;

typedef struct __attribute__((packed)) _KIDT_POINTER {
    USHORT Limit;
    ULONG64 Base;
} KIDT_POINTER;

#define KI_GATE_INTERRUPT_64 0x8E   /* present, DPL 0, type 0xE */

static KIDTENTRY64 KiIdt[256] __attribute__((aligned(16)));

static VOID KiSetGate(ULONG Vector, ULONG64 Handler, UCHAR Ist)
{
    KIDTENTRY64 *Gate = &KiIdt[Vector];
    Gate->OffsetLow = (USHORT)Handler;
    Gate->Selector = KGDT_R0_CODE;
    Gate->IstIndex = Ist & 7;
    Gate->TypeAttributes = KI_GATE_INTERRUPT_64;
    Gate->OffsetMiddle = (USHORT)(Handler >> 16);
    Gate->OffsetHigh = (ULONG)(Handler >> 32);
    Gate->Reserved = 0;
}

VOID KiInitIdt(VOID)
{
    for (ULONG v = 0; v < 256; v++)
        KiSetGate(v, KiTrapStubTable[v], 0);
    /* These may arrive with a broken stack (a #DF is often a stack
     * overflow) or at any instant (NMI, #MC): own stacks, see gdt.c. */
    KiSetGate(KI_VECTOR_DF, KiTrapStubTable[KI_VECTOR_DF], KI_IST_DOUBLE_FAULT);
    KiSetGate(KI_VECTOR_NMI, KiTrapStubTable[KI_VECTOR_NMI], KI_IST_NMI);
    KiSetGate(KI_VECTOR_MC, KiTrapStubTable[KI_VECTOR_MC], KI_IST_MACHINE_CHECK);

    KIDT_POINTER Idtr = { sizeof(KiIdt) - 1, (ULONG64)KiIdt };
    KiLoadIdt(&Idtr);
}
