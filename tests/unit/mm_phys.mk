UNIT_TESTS += mm_phys
mm_phys_SRCS := tests/unit/test_mm_phys.c kernel/mm/phys.c kernel/mm/sysva.c
