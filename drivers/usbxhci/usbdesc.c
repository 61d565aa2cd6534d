/* usbdesc.c - USB descriptor parsing (USB 2.0 chapter 9, 11.23; USB 3.2
 * 9.6.7; HID 1.11 appendix B), pure: see usbdesc.h. */
#include "usbdesc.h"

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
    if (Length < 9) {
        *Why = "configuration descriptor shorter than 9 bytes";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (Buffer[1] != USB_CONFIGURATION_DESCRIPTOR_TYPE || Buffer[0] < 9) {
        *Why = "not a configuration descriptor (bLength/bDescriptorType)";
        return STATUS_DEVICE_DATA_ERROR;
    }
    for (ULONG i = 0; i < 9; i++)
        ((PUCHAR)Out)[i] = Buffer[i];
    if (Out->wTotalLength < 9) {
        *Why = "wTotalLength below 9";
        return STATUS_DEVICE_DATA_ERROR;
    }
    return STATUS_SUCCESS;
}

/* One step of the walk: the descriptor at Offset fits and is at least 2
 * bytes long. */
static BOOLEAN UsbDescriptorAt(const UCHAR *Config, ULONG Length, ULONG Offset, PCSTR *Why)
{
    if (Offset + 2 > Length) {
        *Why = "descriptor header past the end";
        return FALSE;
    }
    if (Config[Offset] < 2) {
        *Why = "descriptor with bLength below 2";
        return FALSE;
    }
    if (Offset + Config[Offset] > Length) {
        *Why = "descriptor runs past wTotalLength";
        return FALSE;
    }
    return TRUE;
}

NTSTATUS UsbFindInterface(const UCHAR *Config, ULONG Length, UCHAR Number, UCHAR Alternate,
                          PUSB_PARSED_INTERFACE Out, PCSTR *Why)
{
    USB_CONFIGURATION_DESCRIPTOR hdr;
    NTSTATUS status;
    BOOLEAN in = FALSE, found = FALSE;
    ULONG off;

    status = UsbParseConfigHeader(Config, Length, &hdr, Why);
    if (!NT_SUCCESS(status))
        return status;
    if (hdr.wTotalLength < Length)
        Length = hdr.wTotalLength;
    for (ULONG i = 0; i < sizeof(*Out); i++)
        ((PUCHAR)Out)[i] = 0;
    for (off = Config[0]; off < Length; off += Config[off]) {
        const UCHAR *d;
        if (!UsbDescriptorAt(Config, Length, off, Why))
            return STATUS_DEVICE_DATA_ERROR;
        d = Config + off;
        switch (d[1]) {
        case USB_INTERFACE_DESCRIPTOR_TYPE:
            if (d[0] < 9) {
                *Why = "interface descriptor shorter than 9 bytes";
                return STATUS_DEVICE_DATA_ERROR;
            }
            if (found)
                return STATUS_SUCCESS;      /* the next interface ends ours */
            in = (Number == 0xFF || d[2] == Number) && (Number == 0xFF || d[3] == Alternate);
            if (in) {
                found = TRUE;
                Out->Number = d[2];
                Out->Alternate = d[3];
                Out->Class = d[5];
                Out->SubClass = d[6];
                Out->Protocol = d[7];
                Out->StringIndex = d[8];
            }
            break;
        case USB_ENDPOINT_DESCRIPTOR_TYPE: {
            USB_PARSED_ENDPOINT *ep;
            if (d[0] < 7) {
                *Why = "endpoint descriptor shorter than 7 bytes";
                return STATUS_DEVICE_DATA_ERROR;
            }
            if (!in)
                break;
            if ((d[2] & USB_ENDPOINT_ADDRESS_MASK) == 0 || (d[2] & 0x70)) {
                *Why = "endpoint address 0 or with reserved bits";
                return STATUS_DEVICE_DATA_ERROR;
            }
            if (Out->EndpointCount >= USB_PARSED_MAX_ENDPOINTS) {
                *Why = "more than 30 endpoints in one interface";
                return STATUS_DEVICE_DATA_ERROR;
            }
            for (ULONG e = 0; e < Out->EndpointCount; e++)
                if (Out->Endpoints[e].Address == d[2]) {
                    *Why = "the same endpoint address twice in one interface";
                    return STATUS_DEVICE_DATA_ERROR;
                }
            ep = &Out->Endpoints[Out->EndpointCount++];
            ep->Address = d[2];
            ep->Type = d[3] & USB_ENDPOINT_TYPE_MASK;
            ep->MaxPacket = DESC_RD16(d + 4) & 0x7FF;
            ep->Mult = (DESC_RD16(d + 4) >> 11) & 3;
            ep->Interval = d[6];
            if (ep->Type == USB_ENDPOINT_TYPE_CONTROL) {
                *Why = "a control endpoint in an interface (not supported)";
                return STATUS_DEVICE_DATA_ERROR;
            }
            if (ep->MaxPacket == 0) {
                *Why = "endpoint wMaxPacketSize 0";
                return STATUS_DEVICE_DATA_ERROR;
            }
            break;
        }
        case USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE:
            if (d[0] < 6) {
                *Why = "SuperSpeed endpoint companion shorter than 6 bytes";
                return STATUS_DEVICE_DATA_ERROR;
            }
            if (in && Out->EndpointCount)
                Out->Endpoints[Out->EndpointCount - 1].MaxBurst = d[2] > 15 ? 15 : d[2];
            break;
        case USB_HID_DESCRIPTOR_TYPE:
            /* HID 1.11 6.2.1: bNumDescriptors at 5, then type/length pairs. */
            if (in && d[0] >= 9 && d[6] == USB_HID_REPORT_DESCRIPTOR_TYPE)
                Out->HidReportLength = DESC_RD16(d + 7);
            break;
        default:
            break;
        }
    }
    if (!found) {
        *Why = "no such interface";
        return STATUS_NOT_FOUND;
    }
    return STATUS_SUCCESS;
}

ULONG UsbCountInterfaces(const UCHAR *Config, ULONG Length)
{
    USB_CONFIGURATION_DESCRIPTOR hdr;
    PCSTR why;
    ULONG n = 0;

    if (!NT_SUCCESS(UsbParseConfigHeader(Config, Length, &hdr, &why)))
        return 0;
    if (hdr.wTotalLength < Length)
        Length = hdr.wTotalLength;
    for (ULONG off = Config[0]; off < Length; off += Config[off]) {
        if (!UsbDescriptorAt(Config, Length, off, &why))
            break;
        if (Config[off + 1] == USB_INTERFACE_DESCRIPTOR_TYPE && Config[off] >= 9 &&
            Config[off + 3] == 0)
            n++;
    }
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
