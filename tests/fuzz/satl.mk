FUZZERS += satl
satl_FUZZ_SRCS := tests/fuzz/fuzz_satl.c drivers/ahci/satl.c drivers/ahci/satl_data.c \
        drivers/ahci/satl_sense.c drivers/ahci/satl_identify.c
$(B)/fuzz/satl: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/ahci
