# The AHCI driver's real sources against the HBA model, the fuzz input
# playing the device (issue 14).  The source list is the model test's
# (tests/unit/ahci_model.mk, included before this file).
FUZZERS += ahci_device
ahci_device_FUZZ_SRCS := tests/fuzz/fuzz_ahci_device.c $(AHCI_UNDER_MODEL_SRCS)
$(B)/fuzz/ahci_device: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/ahci -DAHCI_MMIO_MODEL \
        -fsanitize-coverage-ignorelist=tests/fuzz/ahci_device.ignore
$(B)/fuzz/ahci_device: $(wildcard tests/unit/*.h) tests/fuzz/ahci_device.ignore
