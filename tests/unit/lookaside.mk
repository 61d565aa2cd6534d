UNIT_TESTS += lookaside
lookaside_SRCS := tests/unit/test_lookaside.c kernel/ex/lookaside.c
$(B)/unit/lookaside: include/wdm/ex.h
