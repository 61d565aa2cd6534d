; swap.asm - the context switch and the first instructions of a new thread
; (kernel/ke/sched.c calls these at DISPATCH_LEVEL).
;
; A switched-out thread's state is its stack: the System V callee-saved
; registers (rbx, rbp, r12-r15) and RFLAGS pushed by KiSwapContext, the
; return address above them, and its RSP in KTHREAD.SavedRsp.  The
; caller-saved registers need no saving: the switch is a C call.  No FPU or
; SSE state: the kernel and drivers build with -mgeneral-regs-only.
; RFLAGS is part of the state because a thread may be switched out with
; interrupts disabled (at the end of an interrupt) and another resumed that
; expects them enabled.

bits 64
default rel
section .text

; VOID KiSwapContext(ULONG64 *SaveRsp /* rdi */, ULONG64 NewRsp /* rsi */)
global KiSwapContext:function (KiSwapContext.end - KiSwapContext)
KiSwapContext:
    pushfq
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    popfq
    ret
.end:

; A new thread's stack, as KeInitializeThread builds it, pops into the
; registers above with r12 = the C entry (KiThreadMain), r13 = its
; argument (the KTHREAD), rbp = 0, RFLAGS = interrupts off, and "returns"
; here.  rbp = 0 ends backtraces at this frame.
global KiThreadStartup:function (KiThreadStartup.end - KiThreadStartup)
KiThreadStartup:
    mov rdi, r13
    and rsp, -16            ; the ABI: RSP+8 aligned at the callee's entry
    call r12                ; never returns
    ud2
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
