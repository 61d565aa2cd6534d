# The AHCI driver's real sources against the HBA model, the fuzz input
# playing the device (issue 14).
FUZZERS += ahci_device
ahci_device_FUZZ_SRCS := tests/fuzz/fuzz_ahci_device.c tests/unit/hba_model.c drivers/ahci/hba.c \
        drivers/ahci/port.c drivers/ahci/intr.c drivers/ahci/io.c drivers/ahci/io_complete.c \
        drivers/ahci/error.c drivers/ahci/mode.c drivers/ahci/bounce.c drivers/ahci/quirks.c \
        drivers/ahci/satl.c drivers/ahci/satl_data.c drivers/ahci/satl_sense.c \
        drivers/ahci/satl_identify.c kernel/rtl/escape.c
$(B)/fuzz/ahci_device: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/ahci -DAHCI_MMIO_MODEL \
        -fsanitize-coverage-ignorelist=tests/fuzz/ahci_device.ignore
$(B)/fuzz/ahci_device: $(wildcard tests/unit/*.h) tests/fuzz/ahci_device.ignore
