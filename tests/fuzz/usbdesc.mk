FUZZERS += usbdesc
usbdesc_FUZZ_SRCS := tests/fuzz/fuzz_usbdesc.c drivers/usbxhci/usbdesc.c drivers/kbdhid/hidkbd.c kernel/usbd/usbdlib.c
$(B)/fuzz/usbdesc: FUZZ_CFLAGS += -Ihw/include/regs -Idrivers/usbxhci -Idrivers/kbdhid
