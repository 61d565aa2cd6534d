# The dispatcher's files: every test of kernel/ke/ waits, signals or
# switches through them, and the context switch is the kernel's own NASM
# (System V, so it runs unchanged in a host process).
KE_DISPATCHER_SRCS := kernel/ke/irql.c kernel/ke/dpc.c kernel/ke/spinlock.c kernel/ke/event.c \
    kernel/ke/sched.c kernel/ke/wait.c kernel/ke/timer.c kernel/ke/semaphore.c kernel/ke/mutex.c \
    $(B)/kernel/ke/swap.asm.o
UNIT_TESTS += ke_core
ke_core_SRCS := tests/unit/test_ke_core.c kernel/ke/interrupt.c $(KE_DISPATCHER_SRCS)
