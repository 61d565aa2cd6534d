UNIT_TESTS += ahci_satl
ahci_satl_SRCS := tests/unit/test_ahci_satl.c drivers/ahci/satl.c drivers/ahci/satl_data.c \
        drivers/ahci/satl_sense.c drivers/ahci/satl_identify.c
$(B)/unit/ahci_satl: HOST_CFLAGS += -Ihw/include/regs -Idrivers/ahci
