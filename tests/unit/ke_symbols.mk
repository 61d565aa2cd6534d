UNIT_TESTS += ke_symbols
ke_symbols_SRCS := tests/unit/test_ke_symbols.c kernel/ke/symbols.c
