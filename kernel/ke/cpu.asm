; cpu.asm - descriptor-table loads that C cannot express (kernel/ke/gdt.c and
; idt.c call these).  System V ABI: rdi, rsi, rdx are the first arguments.

bits 64
default rel
section .text

; VOID KiLoadGdt(const VOID *GdtPointer, ULONG CodeSelector, ULONG DataSelector)
; Loads GDTR, then reloads every segment register: the data selectors by
; plain moves, CS by a far return (the only way to change CS in long mode
; without an interrupt, SDM vol. 3 5.8.8 / RETF in long mode).
global KiLoadGdt:function (KiLoadGdt.end - KiLoadGdt)
KiLoadGdt:
    lgdt [rdi]
    mov ds, dx
    mov es, dx
    mov ss, dx
    xor eax, eax
    mov fs, ax
    mov gs, ax
    pop rcx                 ; our return address
    push rsi                ; new CS
    push rcx                ; resume at the caller
    o64 retf
.end:

; VOID KiLoadTr(ULONG Selector)
global KiLoadTr:function (KiLoadTr.end - KiLoadTr)
KiLoadTr:
    ltr di
    ret
.end:

; VOID KiLoadIdt(const VOID *IdtPointer)
global KiLoadIdt:function (KiLoadIdt.end - KiLoadIdt)
KiLoadIdt:
    lidt [rdi]
    ret
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
