UNIT_TESTS += hidkbd
hidkbd_SRCS := tests/unit/test_hidkbd.c drivers/kbdhid/hidkbd.c kernel/usbd/usbdlib.c
$(B)/unit/hidkbd: HOST_CFLAGS += -Idrivers/kbdhid
