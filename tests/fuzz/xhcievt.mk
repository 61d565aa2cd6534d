FUZZERS += xhcievt
xhcievt_FUZZ_SRCS := tests/fuzz/fuzz_xhcievt.c drivers/usbxhci/xhcievt.c
$(B)/fuzz/xhcievt: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/usbxhci
