UNIT_TESTS += xhci_model
xhci_model_SRCS := tests/unit/test_xhci_model.c drivers/usbxhci/hcreset.c
$(B)/unit/xhci_model: HOST_CFLAGS += -Ihw/include/regs -Idrivers/usbxhci -DXHCI_MMIO_MODEL
