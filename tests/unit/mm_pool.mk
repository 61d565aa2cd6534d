UNIT_TESTS += mm_pool
mm_pool_SRCS := tests/unit/test_mm_pool.c kernel/mm/pool.c
