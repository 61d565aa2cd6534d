UNIT_TESTS += kbd_xlat
kbd_xlat_SRCS := tests/unit/test_kbd_xlat.c kernel/kd/kbdxlat.c kernel/kd/kbdlayout.c
