FUZZERS += partition
partition_FUZZ_SRCS := tests/fuzz/fuzz_partition.c kernel/fstub/partition.c kernel/rtl/crc32.c \
        kernel/rtl/format.c
