# The AHCI driver's real sources as they run against the HBA model: one list
# for the model's unit test and the device-side fuzzer (tests/fuzz/ahci_device.mk).
AHCI_UNDER_MODEL_SRCS := kernel/io/removelock.c tests/unit/hba_model.c drivers/ahci/hba.c \
        drivers/ahci/port.c drivers/ahci/intr.c drivers/ahci/io.c drivers/ahci/io_complete.c \
        drivers/ahci/error.c drivers/ahci/worker.c drivers/ahci/mode.c drivers/ahci/sglist.c \
        drivers/ahci/lowmem.c kernel/io/dma.c drivers/ahci/quirks.c drivers/ahci/satl.c drivers/ahci/satl_data.c \
        drivers/ahci/satl_sense.c drivers/ahci/satl_identify.c kernel/rtl/escape.c

UNIT_TESTS += ahci_model
ahci_model_SRCS := tests/unit/test_ahci_model.c $(AHCI_UNDER_MODEL_SRCS)
$(B)/unit/ahci_model: HOST_CFLAGS += -Ihw/include/regs -Idrivers/ahci -DAHCI_MMIO_MODEL
