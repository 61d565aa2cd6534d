FUZZERS += bot_csw bot_sense
bot_csw_FUZZ_SRCS := tests/fuzz/fuzz_bot_csw.c drivers/usbstor/bot.c
bot_sense_FUZZ_SRCS := tests/fuzz/fuzz_bot_sense.c drivers/usbstor/bot.c
FUZZERS += usbstor_desc
usbstor_desc_FUZZ_SRCS := tests/fuzz/fuzz_usbstor_desc.c drivers/usbstor/desc.c kernel/usbd/usbdlib.c
