UNIT_TESTS += usbstor_bot
usbstor_bot_SRCS := tests/unit/test_usbstor_bot.c tests/unit/bot_sim.c drivers/usbstor/bot.c
