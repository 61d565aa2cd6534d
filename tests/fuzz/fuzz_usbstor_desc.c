/* fuzz_usbstor_desc.c - configuration and string descriptors as a USB
 * device returns them, read by usbstor (drivers/usbstor/desc.c).  Input:
 * any bytes, taken as a configuration descriptor and as a string
 * descriptor, each in an exactly sized buffer (ASan sees overreads).
 * Checked: a found interface has a bulk IN (bit 7 set) and a bulk OUT
 * endpoint address with non-zero packet sizes; the interface list stays
 * within its arrays; a string comes out terminated, within its buffer, of
 * printable ASCII without the ID separators. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/usbstor/desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    uint8_t *d = malloc(Size ? Size : 1);
    USBSTOR_INTERFACE i;
    PCSTR why = NULL;
    UCHAR numbers[4], endpoints[4];
    CHAR s[17];

    memcpy(d, Data, Size);
    if (NT_SUCCESS(UsbstorFindInterface(d, (ULONG)Size, &i, &why))) {
        if (!(i.BulkIn & 0x80) || (i.BulkOut & 0x80) || !(i.BulkIn & 0x0F) || !(i.BulkOut & 0x0F) ||
            !i.BulkInMaxPacket || !i.BulkOutMaxPacket || why)
            abort();
    } else if (!why) {
        abort();
    }
    if (UsbstorListInterfaces(d, (ULONG)Size, numbers, endpoints, 4) > 4)
        abort();
    ULONG n = UsbstorStringToAscii(d, (ULONG)Size, s, sizeof(s));
    if (n >= sizeof(s) || s[n] != 0)
        abort();
    for (ULONG k = 0; k < n; k++)
        if (s[k] < ' ' || s[k] > 0x7E || s[k] == '"' || s[k] == ',' || s[k] == '\\')
            abort();
    free(d);
    return 0;
}
