; trap.asm - the 256 interrupt entry stubs.  Each stub makes the stack look
; the same (a KTRAP_FRAME, kernel/include/ke.h) whatever the vector, then
; calls KiTrapDispatch (kernel/ke/trap.c) with a pointer to it.
;
; The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
; code (SDM vol. 3 6.13 and 6.14.2).  Where it does not, the stub pushes a
; zero so every frame has the same shape.

bits 64
default rel
section .text

extern KiTrapDispatch

; Vectors whose exceptions push an error code (SDM vol. 3 table 6-1):
; #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21,
; #VC 29, #SX 30.
%macro TRAP_STUB 1
align 16
KiTrap%1:
%if %1 = 8 || %1 = 10 || %1 = 11 || %1 = 12 || %1 = 13 || %1 = 14 || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
%else
    push 0                  ; dummy error code
%endif
    push %1                 ; vector
    jmp KiTrapCommon
%endmacro

; Typed and sized so backtraces name it (kernel/ke/symbols.c reads only
; sized function symbols).
global KiTrapCommon:function (KiTrapCommon.end - KiTrapCommon)
align 16
KiTrapCommon:
    ; General registers in the reverse of KTRAP_FRAME's field order, so
    ; R15 ends up at the lowest address (the start of the structure).
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld                     ; the C ABI expects DF clear
    mov rdi, rsp            ; PKTRAP_FRAME
    mov rbx, rsp            ; callee-saved: our frame across the call
    and rsp, -16            ; the ABI's call alignment
    call KiTrapDispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; vector and error code
    iretq
.end:

%assign v 0
%rep 256
TRAP_STUB v
%assign v v+1
%endrep

section .rodata
align 8
global KiTrapStubTable:data (KiTrapStubTable.end - KiTrapStubTable)
KiTrapStubTable:
%assign v 0
%rep 256
    dq KiTrap %+ v
%assign v v+1
%endrep
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
