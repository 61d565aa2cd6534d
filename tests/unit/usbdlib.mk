UNIT_TESTS += usbdlib
usbdlib_SRCS := tests/unit/test_usbdlib.c kernel/usbd/usbdlib.c
