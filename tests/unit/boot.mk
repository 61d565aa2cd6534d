UNIT_TESTS += boot
boot_SRCS := tests/unit/test_boot.c boot/config.c boot/elf.c
