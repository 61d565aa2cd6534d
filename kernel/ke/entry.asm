; entry.asm - the kernel's first instructions.
;
; BOOTX64.EFI jumps here with interrupts off, its own page tables loaded
; (identity map + direct map + kernel at its link address) and
; RDI = physical address of the ntstor_bootinfo.  We note the TSC for the
; boot-time line, move onto the kernel's boot stack and call C.

bits 64
default rel

global KiSystemStartup:function (KiSystemStartup.end - KiSystemStartup)
global KiEntryTsc
global KiBootStackTop
extern KiSystemInit

KI_BOOT_STACK_SIZE equ 64 * 1024

section .text.entry
KiSystemStartup:
    cli
    cld
    mov rbx, rdi                    ; keep the boot-info pointer
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov [KiEntryTsc], rax
    lea rsp, [KiBootStackTop]
    xor ebp, ebp                    ; terminates backtraces
    mov rdi, rbx
    call KiSystemInit               ; does not return
.halt:
    cli
    hlt
    jmp .halt
.end:

section .data
align 8
KiEntryTsc: dq 0

section .bss
align 16
KiBootStack: resb KI_BOOT_STACK_SIZE
KiBootStackTop:
