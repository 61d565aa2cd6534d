UNIT_TESTS += usbstor_bot
usbstor_bot_SRCS := tests/unit/test_usbstor_bot.c tests/unit/bot_sim.c drivers/usbstor/bot.c
UNIT_TESTS += usbstor_desc
usbstor_desc_SRCS := tests/unit/test_usbstor_desc.c drivers/usbstor/desc.c kernel/usbd/usbdlib.c
