FUZZERS += kbd
kbd_FUZZ_SRCS := tests/fuzz/fuzz_kbd.c drivers/i8042prt/scancode.c kernel/kd/kbdxlat.c kernel/kd/kbdlayout.c
$(B)/fuzz/kbd: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/i8042prt
