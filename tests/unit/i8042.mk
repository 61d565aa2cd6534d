UNIT_TESTS += i8042
i8042_SRCS := tests/unit/test_i8042.c drivers/i8042prt/controller.c drivers/i8042prt/scancode.c
$(B)/unit/i8042: HOST_CFLAGS += -Ihw/include/regs -Idrivers/i8042prt
