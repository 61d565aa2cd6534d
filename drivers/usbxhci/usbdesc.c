/* usbdesc.c - USB descriptor parsing (USB 2.0 chapter 9, 11.23; USB 3.2
 * 9.6.7; HID 1.11 appendix B), pure: see usbdesc.h. */
#include "usbdesc.h"
#include <usbdlib.h>

#define DESC_RD16(p) ((USHORT)((p)[0] | ((p)[1] << 8)))

NTSTATUS UsbParseDeviceDescriptor(const UCHAR *Buffer, ULONG Length, BOOLEAN SuperSpeed,
                                  PUSB_DEVICE_DESCRIPTOR Out, PCSTR *Why)
{
    if (Length < 8) {
        *Why = "device descriptor shorter than 8 bytes";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Buffer[1] != USB_DEVICE_DESCRIPTOR_TYPE) {
        *Why = "not a device descriptor (bDescriptorType)";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Buffer[0] < 18 && Length >= 18) {
        *Why = "device descriptor bLength below 18";
        return STATUS_DEVICE_DATA_ERROR;
    }
    for (ULONG i = 0; i < sizeof(*Out); i++)
        ((PUCHAR)Out)[i] = i < Length ? Buffer[i] : 0;
    if (SuperSpeed ? Out->bMaxPacketSize0 != 9
                   : (Out->bMaxPacketSize0 != 8 && Out->bMaxPacketSize0 != 16 &&
                      Out->bMaxPacketSize0 != 32 && Out->bMaxPacketSize0 != 64)) {
        *Why = "bMaxPacketSize0 not 8, 16, 32 or 64 (9 on USB 3)";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Length >= 18 && Out->bNumConfigurations == 0) {
        *Why = "bNumConfigurations is 0";
        return STATUS_DEVICE_DATA_ERROR;
    }
    return STATUS_SUCCESS;
}

USHORT UsbMaxPacket0(const USB_DEVICE_DESCRIPTOR *Desc, BOOLEAN SuperSpeed)
{
    if (SuperSpeed)
        return Desc->bMaxPacketSize0 < 16 ? (USHORT)(1u << Desc->bMaxPacketSize0) : 512;
    return Desc->bMaxPacketSize0;
}

NTSTATUS UsbParseConfigHeader(const UCHAR *Buffer, ULONG Length,
                              PUSB_CONFIGURATION_DESCRIPTOR Out, PCSTR *Why)
{
    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Buffer, Length, USBD_VALIDATE_HEADER, NULL, Why)))
        return STATUS_DEVICE_DATA_ERROR;
    for (ULONG i = 0; i < sizeof(*Out); i++)
        ((PUCHAR)Out)[i] = Buffer[i];
    return STATUS_SUCCESS;
}

/* The walk itself is the USBD library's (include/usbdlib.h, one home for
 * every USB driver); what is the host controller's own is here: the
 * summary of one interface it programs endpoints from, and the refusal of
 * a control endpoint inside an interface (ntstor's xHCI driver opens only
 * EP0 as a control pipe). */
NTSTATUS UsbFindInterface(const UCHAR *Config, ULONG Length, UCHAR Number, UCHAR Alternate,
                          PUSB_PARSED_INTERFACE Out, PCSTR *Why)
{
    PUSB_INTERFACE_DESCRIPTOR i;
    PUSB_COMMON_DESCRIPTOR d;
    ULONG walk;

    for (ULONG b = 0; b < sizeof(*Out); b++)
        ((PUCHAR)Out)[b] = 0;
    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Config, Length, USBD_VALIDATE_ENDPOINTS, &walk, Why)))
        return STATUS_DEVICE_DATA_ERROR;
    i = NtstorUsbdFindInterface(Config, walk, Config, Number == 0xFF ? -1 : Number,
                                Number == 0xFF ? -1 : Alternate, -1, -1, -1);
    if (!i) {
        *Why = "no such interface";
        return STATUS_NOT_FOUND;
    }
    Out->Number = i->bInterfaceNumber;
    Out->Alternate = i->bAlternateSetting;
    Out->Class = i->bInterfaceClass;
    Out->SubClass = i->bInterfaceSubClass;
    Out->Protocol = i->bInterfaceProtocol;
    Out->StringIndex = i->iInterface;
    for (d = NtstorUsbdNextInInterface(Config, walk, i); d; d = NtstorUsbdNextInInterface(Config, walk, d)) {
        const UCHAR *r = (const UCHAR *)d;
        if (d->bDescriptorType == USB_ENDPOINT_DESCRIPTOR_TYPE) {
            /* Validated at level 3: sized, addressed, unique, at most 30. */
            USB_PARSED_ENDPOINT *ep = &Out->Endpoints[Out->EndpointCount++];
            ep->Address = r[2];
            ep->Type = r[3] & USB_ENDPOINT_TYPE_MASK;
            ep->MaxPacket = DESC_RD16(r + 4) & 0x7FF;
            ep->Mult = (DESC_RD16(r + 4) >> 11) & 3;
            ep->Interval = r[6];
            if (ep->Type == USB_ENDPOINT_TYPE_CONTROL) {
                *Why = "a control endpoint in an interface (not supported)";
                return STATUS_DEVICE_DATA_ERROR;
            }
        } else if (d->bDescriptorType == USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE) {
            if (Out->EndpointCount)
                Out->Endpoints[Out->EndpointCount - 1].MaxBurst = r[2] > 15 ? 15 : r[2];
        } else if (d->bDescriptorType == USB_HID_DESCRIPTOR_TYPE) {
            /* HID 1.11 6.2.1: bNumDescriptors at 5, then type/length pairs. */
            if (d->bLength >= 9 && r[6] == USB_HID_REPORT_DESCRIPTOR_TYPE)
                Out->HidReportLength = DESC_RD16(r + 7);
        }
    }
    return STATUS_SUCCESS;
}

ULONG UsbCountInterfaces(const UCHAR *Config, ULONG Length)
{
    PUSB_INTERFACE_DESCRIPTOR i = NULL;
    ULONG walk, n = 0;
    PCSTR why;

    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Config, Length, USBD_VALIDATE_LENGTHS, &walk, &why)))
        return 0;
    while ((i = NtstorUsbdFindInterface(Config, walk, i ? (PUCHAR)i + i->bLength : Config, -1, 0, -1, -1,
                                        -1)) != NULL)
        n++;
    return n;
}

NTSTATUS UsbParseHubDescriptor(const UCHAR *Buffer, ULONG Length, PUSB_PARSED_HUB Out,
                               PCSTR *Why)
{
    if (Length < 7 || Buffer[0] < 7 || Buffer[0] > Length) {
        *Why = "hub descriptor shorter than 7 bytes or than its bLength";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Buffer[1] != USB_20_HUB_DESCRIPTOR_TYPE) {
        *Why = "not a hub descriptor (bDescriptorType)";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Buffer[2] == 0) {
        *Why = "hub with 0 ports";
        return STATUS_DEVICE_DATA_ERROR;
    }
    /* DeviceRemovable follows, one bit per port and bit 0 reserved. */
    if (Buffer[0] < 7 + (Buffer[2] + 1 + 7) / 8) {
        *Why = "hub descriptor too short for its port count";
        return STATUS_DEVICE_DATA_ERROR;
    }
    Out->Ports = Buffer[2];
    Out->Characteristics = DESC_RD16(Buffer + 3);
    Out->PowerOnToPowerGoodMs2 = Buffer[5];
    Out->TtThinkTime = (UCHAR)((Out->Characteristics >> 5) & 3);
    return STATUS_SUCCESS;
}

ULONG UsbParseString(const UCHAR *Buffer, ULONG Length, PWCHAR Out, ULONG Chars)
{
    ULONG n = 0, units;

    if (Chars == 0)
        return 0;
    Out[0] = 0;
    if (Length < 2 || Buffer[1] != USB_STRING_DESCRIPTOR_TYPE || Buffer[0] < 2)
        return 0;
    if (Buffer[0] < Length)
        Length = Buffer[0];
    units = (Length - 2) / 2;
    for (; n < units && n + 1 < Chars; n++) {
        WCHAR c = (WCHAR)(Buffer[2 + 2 * n] | (Buffer[3 + 2 * n] << 8));
        if (c == 0)
            break;
        Out[n] = c;
    }
    Out[n] = 0;
    return n;
}

USHORT UsbParseLangId(const UCHAR *Buffer, ULONG Length)
{
    if (Length < 4 || Buffer[0] < 4 || Buffer[1] != USB_STRING_DESCRIPTOR_TYPE)
        return 0;
    return DESC_RD16(Buffer + 2);
}
