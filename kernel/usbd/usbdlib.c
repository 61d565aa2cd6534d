/* usbdlib.c - the USBD descriptor library (include/usbdlib.h): validation
 * of a configuration descriptor a device sent (USB 2.0 9.6.3-9.6.6, USB 3.2
 * 9.6.7) and the walks over it.  Every read is bounded by the walk length,
 * whatever bLength or wTotalLength claim: the bytes come from a device. */
#include <usbdlib.h>

#define USBD_ENDPOINT_RESERVED_BITS 0x70

/* The descriptor at Offset fits in Length bytes and is at least 2 long. */
static BOOLEAN UsbdpFits(const UCHAR *Base, ULONG Length, ULONG Offset)
{
    return Offset + 2 <= Length && Base[Offset] >= 2 && Base[Offset] <= Length - Offset;
}

static USBD_STATUS UsbdpFail(USBD_STATUS Status, PCSTR What, PCSTR *Why)
{
    *Why = What;
    return Status;
}

/* Level 3 for the endpoint descriptor E; Seen/Count are the addresses of
 * the alternate setting so far. */
static USBD_STATUS UsbdpCheckEndpoint(const UCHAR *E, UCHAR *Seen, ULONG *Count, PCSTR *Why)
{
    UCHAR address = E[2];
    USHORT maxPacket = (USHORT)(E[4] | (E[5] << 8));

    if ((address & USB_ENDPOINT_ADDRESS_MASK) == 0 || (address & USBD_ENDPOINT_RESERVED_BITS))
        return UsbdpFail(USBD_STATUS_BAD_ENDPOINT_ADDRESS, "endpoint address 0 or with reserved bits", Why);
    if ((maxPacket & 0x7FF) == 0)
        return UsbdpFail(USBD_STATUS_BAD_ENDPOINT_DESCRIPTOR, "endpoint wMaxPacketSize 0", Why);
    for (ULONG i = 0; i < *Count; i++)
        if (Seen[i] == address)
            return UsbdpFail(USBD_STATUS_BAD_ENDPOINT_ADDRESS,
                             "the same endpoint address twice in one interface", Why);
    if (*Count >= USBD_MAX_INTERFACE_ENDPOINTS)
        return UsbdpFail(USBD_STATUS_BAD_NUMBER_OF_ENDPOINTS, "more than 30 endpoints in one interface", Why);
    Seen[(*Count)++] = address;
    return USBD_STATUS_SUCCESS;
}

static USBD_STATUS UsbdpValidate(const UCHAR *Config, ULONG BufferLength, USHORT Level, ULONG *BadOffset,
                                 PULONG WalkLength, PCSTR *Why)
{
    UCHAR seen[USBD_MAX_INTERFACE_ENDPOINTS];
    ULONG walk, count = 0;
    USBD_STATUS status;

    *BadOffset = 0;
    *Why = NULL;
    if (!Config || BufferLength < sizeof(USB_CONFIGURATION_DESCRIPTOR))
        return UsbdpFail(USBD_STATUS_BAD_CONFIG_DESC_LENGTH, "configuration descriptor shorter than 9 bytes", Why);
    if (Config[0] < sizeof(USB_CONFIGURATION_DESCRIPTOR))
        return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_BLEN, "configuration descriptor bLength below 9", Why);
    if (Config[1] != USB_CONFIGURATION_DESCRIPTOR_TYPE) {
        *BadOffset = 1;
        return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_TYPE, "not a configuration descriptor (bDescriptorType)", Why);
    }
    walk = (ULONG)(Config[2] | (Config[3] << 8));
    if (walk < Config[0]) {
        *BadOffset = 2;
        return UsbdpFail(USBD_STATUS_BAD_CONFIG_DESC_LENGTH, "wTotalLength below bLength", Why);
    }
    if (walk > BufferLength)
        walk = BufferLength;    /* what arrived is all there is to walk */
    if (Config[0] > walk)
        return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_BLEN, "configuration descriptor bLength past what arrived", Why);
    if (WalkLength)
        *WalkLength = walk;
    if (Level < USBD_VALIDATE_LENGTHS)
        return USBD_STATUS_SUCCESS;

    for (ULONG off = Config[0]; off < walk; off += Config[off]) {
        const UCHAR *d = Config + off;
        *BadOffset = off;
        if (off + 2 > walk)
            return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR, "descriptor header past the end", Why);
        if (d[0] < 2)
            return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_BLEN, "descriptor with bLength below 2", Why);
        if (d[0] > walk - off)
            return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_BLEN, "descriptor runs past wTotalLength", Why);
        switch (d[1]) {
        case USB_INTERFACE_DESCRIPTOR_TYPE:
            if (d[0] < sizeof(USB_INTERFACE_DESCRIPTOR))
                return UsbdpFail(USBD_STATUS_BAD_INTERFACE_DESCRIPTOR,
                                 "interface descriptor shorter than 9 bytes", Why);
            count = 0;          /* a new alternate setting: its own addresses */
            break;
        case USB_ENDPOINT_DESCRIPTOR_TYPE:
            if (d[0] < sizeof(USB_ENDPOINT_DESCRIPTOR))
                return UsbdpFail(USBD_STATUS_BAD_ENDPOINT_DESCRIPTOR,
                                 "endpoint descriptor shorter than 7 bytes", Why);
            if (Level >= USBD_VALIDATE_ENDPOINTS) {
                status = UsbdpCheckEndpoint(d, seen, &count, Why);
                if (!USBD_SUCCESS(status))
                    return status;
            }
            break;
        case USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE:
            if (d[0] < sizeof(USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR))
                return UsbdpFail(USBD_STATUS_BAD_DESCRIPTOR_BLEN,
                                 "SuperSpeed endpoint companion shorter than 6 bytes", Why);
            break;
        default:
            break;
        }
    }
    *BadOffset = 0;
    return USBD_STATUS_SUCCESS;
}

USBD_STATUS NtstorUsbdValidateConfiguration(const VOID *Config, ULONG BufferLength, USHORT Level,
                                            PULONG WalkLength, PCSTR *Why)
{
    ULONG bad;
    PCSTR why;
    USBD_STATUS status = UsbdpValidate(Config, BufferLength, Level, &bad, WalkLength, &why);

    if (Why)
        *Why = why;
    return status;
}

USBD_STATUS USBD_ValidateConfigurationDescriptor(PUSB_CONFIGURATION_DESCRIPTOR ConfigDesc, ULONG BufferLength,
                                                 USHORT Level, PUCHAR *Offset, ULONG Tag)
{
    ULONG bad, walk;
    PCSTR why;
    USBD_STATUS status = UsbdpValidate((const UCHAR *)ConfigDesc, BufferLength, Level, &bad, &walk, &why);

    (void)Tag;
    if (Offset)
        *Offset = USBD_SUCCESS(status) ? NULL : (PUCHAR)ConfigDesc + bad;
    return status;
}

/* The offset of Position inside [Base, Base + Length], or Length (nothing
 * left to walk) for a position outside it. */
static ULONG UsbdpOffsetOf(const VOID *Base, ULONG Length, const VOID *Position)
{
    const UCHAR *b = Base, *p = Position;

    if (!p || p < b || (ULONG_PTR)(p - b) > Length)
        return Length;
    return (ULONG)(p - b);
}

PUSB_COMMON_DESCRIPTOR USBD_ParseDescriptors(PVOID DescriptorBuffer, ULONG TotalLength, PVOID StartPosition,
                                             LONG DescriptorType)
{
    const UCHAR *base = DescriptorBuffer;

    if (!base)
        return NULL;
    for (ULONG off = UsbdpOffsetOf(base, TotalLength, StartPosition);
         UsbdpFits(base, TotalLength, off); off += base[off])
        if (base[off + 1] == (UCHAR)DescriptorType)
            return (PUSB_COMMON_DESCRIPTOR)(base + off);
    return NULL;
}

PUSB_INTERFACE_DESCRIPTOR NtstorUsbdFindInterface(const VOID *Config, ULONG WalkLength, const VOID *StartPosition,
                                                  LONG InterfaceNumber, LONG AlternateSetting, LONG InterfaceClass,
                                                  LONG InterfaceSubClass, LONG InterfaceProtocol)
{
    PUSB_COMMON_DESCRIPTOR d = (PUSB_COMMON_DESCRIPTOR)StartPosition;

    while ((d = USBD_ParseDescriptors((PVOID)Config, WalkLength, d, USB_INTERFACE_DESCRIPTOR_TYPE)) != NULL) {
        PUSB_INTERFACE_DESCRIPTOR i = (PUSB_INTERFACE_DESCRIPTOR)d;
        if (d->bLength >= sizeof(*i) &&
            (InterfaceNumber == -1 || i->bInterfaceNumber == (UCHAR)InterfaceNumber) &&
            (AlternateSetting == -1 || i->bAlternateSetting == (UCHAR)AlternateSetting) &&
            (InterfaceClass == -1 || i->bInterfaceClass == (UCHAR)InterfaceClass) &&
            (InterfaceSubClass == -1 || i->bInterfaceSubClass == (UCHAR)InterfaceSubClass) &&
            (InterfaceProtocol == -1 || i->bInterfaceProtocol == (UCHAR)InterfaceProtocol))
            return i;
        d = (PUSB_COMMON_DESCRIPTOR)((PUCHAR)d + d->bLength);
    }
    return NULL;
}

PUSB_INTERFACE_DESCRIPTOR USBD_ParseConfigurationDescriptorEx(PUSB_CONFIGURATION_DESCRIPTOR ConfigurationDescriptor,
                                                              PVOID StartPosition, LONG InterfaceNumber,
                                                              LONG AlternateSetting, LONG InterfaceClass,
                                                              LONG InterfaceSubClass, LONG InterfaceProtocol)
{
    if (!ConfigurationDescriptor)
        return NULL;
    return NtstorUsbdFindInterface(ConfigurationDescriptor, ConfigurationDescriptor->wTotalLength, StartPosition,
                                   InterfaceNumber, AlternateSetting, InterfaceClass, InterfaceSubClass,
                                   InterfaceProtocol);
}

PUSB_COMMON_DESCRIPTOR NtstorUsbdNextInInterface(const VOID *Config, ULONG WalkLength, const VOID *Current)
{
    const UCHAR *base = Config;
    ULONG off = UsbdpOffsetOf(base, WalkLength, Current);

    if (!base || !UsbdpFits(base, WalkLength, off))
        return NULL;
    off += base[off];
    if (!UsbdpFits(base, WalkLength, off) || base[off + 1] == USB_INTERFACE_DESCRIPTOR_TYPE)
        return NULL;
    return (PUSB_COMMON_DESCRIPTOR)(base + off);
}
