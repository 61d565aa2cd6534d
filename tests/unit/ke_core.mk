UNIT_TESTS += ke_core
ke_core_SRCS := tests/unit/test_ke_core.c kernel/ke/irql.c kernel/ke/dpc.c kernel/ke/spinlock.c kernel/ke/event.c kernel/ke/interrupt.c
