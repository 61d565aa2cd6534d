UNIT_TESTS += fstub_write
fstub_write_SRCS := tests/unit/test_fstub_write.c kernel/fstub/write.c kernel/fstub/partition.c \
        kernel/rtl/crc32.c kernel/rtl/format.c
