/* desc.c - configuration and string descriptors as usbstor reads them
 * (desc.h).  USB 2.0 9.6.3-9.6.7; Mass Storage Class Overview 1.4 2, 3
 * (class 08h, subclass 06h SCSI transparent, protocol 50h bulk-only).
 * Pure code: the descriptors come from the device and may say anything. */
#include "desc.h"
#include <usbdlib.h>

NTSTATUS UsbstorFindInterface(const UCHAR *Config, ULONG Length, PUSBSTOR_INTERFACE Out, PCSTR *Why)
{
    PUSB_INTERFACE_DESCRIPTOR i = NULL;
    BOOLEAN sawOurs = FALSE;
    ULONG walk;

    *Why = NULL;
    for (ULONG b = 0; b < sizeof(*Out); b++)
        ((PUCHAR)Out)[b] = 0;
    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Config, Length, USBD_VALIDATE_ENDPOINTS, &walk, Why)))
        return STATUS_DEVICE_DATA_ERROR;
    Out->NumInterfaces = Config[4];
    Out->ConfigurationValue = Config[5];
    /* The first bulk-only SCSI interface (alternate 0) that has both bulk
     * endpoints; one without them is passed over for the next. */
    while ((i = NtstorUsbdFindInterface(Config, walk, i ? (PUCHAR)i + i->bLength : Config, -1, 0,
                                        USB_DEVICE_CLASS_STORAGE, USBSTOR_SUBCLASS_SCSI,
                                        USBSTOR_PROTOCOL_BOT)) != NULL) {
        sawOurs = TRUE;
        Out->InterfaceNumber = i->bInterfaceNumber;
        Out->AlternateSetting = i->bAlternateSetting;
        Out->BulkIn = Out->BulkOut = 0;
        for (PUSB_COMMON_DESCRIPTOR d = NtstorUsbdNextInInterface(Config, walk, i); d;
             d = NtstorUsbdNextInInterface(Config, walk, d)) {
            PUSB_ENDPOINT_DESCRIPTOR e = (PUSB_ENDPOINT_DESCRIPTOR)d;
            const UCHAR *r = (const UCHAR *)d;
            USHORT mps;
            /* Only an endpoint descriptor is known (validated) to be 7 bytes. */
            if (d->bDescriptorType != USB_ENDPOINT_DESCRIPTOR_TYPE ||
                (e->bmAttributes & USB_ENDPOINT_TYPE_MASK) != USB_ENDPOINT_TYPE_BULK)
                continue;
            mps = (USHORT)((r[4] | (r[5] << 8)) & 0x7FF);
            if (USB_ENDPOINT_DIRECTION_IN(e->bEndpointAddress) && !Out->BulkIn) {
                Out->BulkIn = e->bEndpointAddress;
                Out->BulkInMaxPacket = mps;
            } else if (!USB_ENDPOINT_DIRECTION_IN(e->bEndpointAddress) && !Out->BulkOut) {
                Out->BulkOut = e->bEndpointAddress;
                Out->BulkOutMaxPacket = mps;
            }
        }
        if (Out->BulkIn && Out->BulkOut)
            return STATUS_SUCCESS;
    }
    *Why = sawOurs ? "bulk-only interface without a bulk IN and a bulk OUT endpoint"
                   : "no bulk-only SCSI interface (class 08h/06h/50h)";
    return STATUS_DEVICE_DATA_ERROR;
}

ULONG UsbstorListInterfaces(const UCHAR *Config, ULONG Length, PUCHAR Numbers, PUCHAR Endpoints,
                            ULONG Max)
{
    PUSB_INTERFACE_DESCRIPTOR i = NULL;
    ULONG walk, n = 0;
    PCSTR why;

    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Config, Length, USBD_VALIDATE_LENGTHS, &walk, &why)))
        return 0;
    while (n < Max && (i = NtstorUsbdFindInterface(Config, walk, i ? (PUCHAR)i + i->bLength : Config, -1, 0,
                                                   -1, -1, -1)) != NULL) {
        Numbers[n] = i->bInterfaceNumber;
        Endpoints[n] = i->bNumEndpoints > USBD_MAX_INTERFACE_ENDPOINTS ? USBD_MAX_INTERFACE_ENDPOINTS
                                                                       : i->bNumEndpoints;
        n++;
    }
    return n;
}

ULONG UsbstorStringToAscii(const UCHAR *Desc, ULONG Got, PCHAR Out, ULONG OutSize)
{
    ULONG len, n = 0;

    if (!OutSize)
        return 0;
    Out[0] = 0;
    if (Got < 2 || Desc[1] != USB_STRING_DESCRIPTOR_TYPE)
        return 0;
    len = Desc[0] < Got ? Desc[0] : Got;
    for (ULONG i = 2; i + 1 < len && n + 1 < OutSize; i += 2) {
        USHORT c = (USHORT)(Desc[i] | (Desc[i + 1] << 8));
        if (c == ' ' && !n)
            continue;           /* leading blanks */
        Out[n++] = (c > ' ' && c < 0x7F && c != '"' && c != '\\' && c != ',') ? (CHAR)c
                   : c == ' ' ? ' ' : '_';
    }
    while (n && Out[n - 1] == ' ')
        n--;
    Out[n] = 0;
    return n;
}
