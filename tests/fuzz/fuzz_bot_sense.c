/* fuzz_bot_sense.c - sense data as a device returns it to REQUEST SENSE
 * (drivers/usbstor/bot.c BotParseSense), fixed or descriptor format or
 * garbage, any length.  Checked, besides ASan on an exactly sized buffer:
 * the length reported never exceeds what arrived, is 0 for anything but
 * response codes 70h-73h, and the key fits in 4 bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/usbstor/bot.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    uint8_t *s = malloc(Size ? Size : 1);
    UCHAR key = 0xEE, asc = 0xEE, ascq = 0xEE;

    memcpy(s, Data, Size);
    ULONG n = BotParseSense(s, (ULONG)Size, &key, &asc, &ascq);
    if (n > Size)
        abort();
    if (n && ((s[0] & 0x7F) < 0x70 || (s[0] & 0x7F) > 0x73))
        abort();
    if (key > 15)
        abort();
    if (!n && (key || asc || ascq))
        abort();
    free(s);
    return 0;
}
