UNIT_TESTS += hal_pit
hal_pit_SRCS := tests/unit/test_hal_pit.c hw/pit_measure.c
