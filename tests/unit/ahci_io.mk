UNIT_TESTS += ahci_io
ahci_io_SRCS := tests/unit/test_ahci_io.c kernel/io/removelock.c drivers/ahci/io.c drivers/ahci/io_complete.c \
        drivers/ahci/sglist.c kernel/io/dma.c \
        drivers/ahci/satl.c drivers/ahci/satl_data.c drivers/ahci/satl_sense.c \
        drivers/ahci/satl_identify.c
$(B)/unit/ahci_io: HOST_CFLAGS += -Ihw/include/regs -Idrivers/ahci
