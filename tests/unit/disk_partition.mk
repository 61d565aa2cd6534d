UNIT_TESTS += disk_partition
disk_partition_SRCS := tests/unit/test_disk_partition.c kernel/fstub/partition.c \
        kernel/rtl/crc32.c kernel/rtl/format.c
