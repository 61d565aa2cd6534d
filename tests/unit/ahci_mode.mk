UNIT_TESTS += ahci_mode
ahci_mode_SRCS := tests/unit/test_ahci_mode.c kernel/io/removelock.c drivers/ahci/mode.c drivers/ahci/intr.c drivers/ahci/error.c drivers/ahci/worker.c \
        drivers/ahci/port.c drivers/ahci/io.c drivers/ahci/io_complete.c drivers/ahci/quirks.c \
        drivers/ahci/sglist.c kernel/io/dma.c \
        drivers/ahci/satl.c drivers/ahci/satl_data.c drivers/ahci/satl_sense.c \
        drivers/ahci/satl_identify.c kernel/rtl/escape.c
$(B)/unit/ahci_mode: HOST_CFLAGS += -Ihw/include/regs -Idrivers/ahci
