UNIT_TESTS += rtl
rtl_SRCS := tests/unit/test_rtl.c kernel/rtl/format.c kernel/rtl/crc32.c kernel/rtl/unicode.c \
            kernel/rtl/ascii.c kernel/rtl/pattern.c kernel/rtl/memory.c \
            kernel/rtl/escape.c
