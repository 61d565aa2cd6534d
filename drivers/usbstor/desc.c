/* desc.c - configuration and string descriptors as usbstor reads them
 * (desc.h).  USB 2.0 9.6.3-9.6.7; Mass Storage Class Overview 1.4 2, 3
 * (class 08h, subclass 06h SCSI transparent, protocol 50h bulk-only).
 * Pure code: the descriptors come from the device and may say anything. */
#include "desc.h"

/* Calls back for each descriptor that fits; returns FALSE at the first
 * that does not (bLength < 2 or past the end). */
static BOOLEAN DescNext(const UCHAR *Config, ULONG Length, ULONG *Offset, ULONG *DescLength)
{
    ULONG o = *Offset;

    if (o + 2 > Length)
        return FALSE;
    if (Config[o] < 2 || Config[o] > Length - o)
        return FALSE;
    *DescLength = Config[o];
    return TRUE;
}

static NTSTATUS DescHeader(const UCHAR *Config, ULONG Length, ULONG *Total, PCSTR *Why)
{
    if (Length < sizeof(USB_CONFIGURATION_DESCRIPTOR) || Config[1] != USB_CONFIGURATION_DESCRIPTOR_TYPE ||
        Config[0] < sizeof(USB_CONFIGURATION_DESCRIPTOR)) {
        *Why = "configuration descriptor header malformed";
        return STATUS_DEVICE_DATA_ERROR;
    }
    *Total = Config[2] | ((ULONG)Config[3] << 8);
    if (*Total > Length)
        *Total = Length;        /* what arrived is all there is */
    return STATUS_SUCCESS;
}

NTSTATUS UsbstorFindInterface(const UCHAR *Config, ULONG Length, PUSBSTOR_INTERFACE Out, PCSTR *Why)
{
    ULONG total, o, len;
    BOOLEAN inOurs = FALSE, found = FALSE, sawOurs = FALSE;
    NTSTATUS status;

    *Why = NULL;
    for (ULONG i = 0; i < sizeof(*Out); i++)
        ((PUCHAR)Out)[i] = 0;
    status = DescHeader(Config, Length, &total, Why);
    if (!NT_SUCCESS(status))
        return status;
    Out->NumInterfaces = Config[4];
    Out->ConfigurationValue = Config[5];
    for (o = Config[0]; DescNext(Config, total, &o, &len); o += len) {
        const UCHAR *d = Config + o;
        if (d[1] == USB_INTERFACE_DESCRIPTOR_TYPE && len >= sizeof(USB_INTERFACE_DESCRIPTOR)) {
            if (found)
                break;          /* ours is complete */
            inOurs = d[5] == USB_DEVICE_CLASS_STORAGE && d[6] == USBSTOR_SUBCLASS_SCSI &&
                     d[7] == USBSTOR_PROTOCOL_BOT && d[3] == 0;
            if (inOurs) {
                sawOurs = TRUE;
                Out->InterfaceNumber = d[2];
                Out->AlternateSetting = d[3];
                Out->BulkIn = Out->BulkOut = 0;
            }
        } else if (inOurs && d[1] == USB_ENDPOINT_DESCRIPTOR_TYPE && len >= sizeof(USB_ENDPOINT_DESCRIPTOR)) {
            UCHAR addr = d[2];
            USHORT mps = (USHORT)((d[4] | (d[5] << 8)) & 0x7FF);
            if ((d[3] & USB_ENDPOINT_TYPE_MASK) != USB_ENDPOINT_TYPE_BULK || !(addr & USB_ENDPOINT_ADDRESS_MASK))
                continue;
            if (USB_ENDPOINT_DIRECTION_IN(addr) && !Out->BulkIn) {
                Out->BulkIn = addr;
                Out->BulkInMaxPacket = mps;
            } else if (!USB_ENDPOINT_DIRECTION_IN(addr) && !Out->BulkOut) {
                Out->BulkOut = addr;
                Out->BulkOutMaxPacket = mps;
            }
            found = Out->BulkIn && Out->BulkOut;
        }
    }
    if (found && (!Out->BulkInMaxPacket || !Out->BulkOutMaxPacket)) {
        *Why = "bulk endpoint with wMaxPacketSize 0";
        return STATUS_DEVICE_DATA_ERROR;
    }
    if (!found) {
        *Why = sawOurs ? "bulk-only interface without a bulk IN and a bulk OUT endpoint"
                                              : "no bulk-only SCSI interface (class 08h/06h/50h)";
        return STATUS_DEVICE_DATA_ERROR;
    }
    return STATUS_SUCCESS;
}

ULONG UsbstorListInterfaces(const UCHAR *Config, ULONG Length, PUCHAR Numbers, PUCHAR Endpoints,
                            ULONG Max)
{
    ULONG total, o, len, n = 0;
    PCSTR why;

    if (!NT_SUCCESS(DescHeader(Config, Length, &total, &why)))
        return 0;
    for (o = Config[0]; n < Max && DescNext(Config, total, &o, &len); o += len) {
        const UCHAR *d = Config + o;
        if (d[1] == USB_INTERFACE_DESCRIPTOR_TYPE && len >= sizeof(USB_INTERFACE_DESCRIPTOR) && d[3] == 0) {
            Numbers[n] = d[2];
            Endpoints[n] = d[4] > 30 ? 30 : d[4];   /* 15 IN + 15 OUT at most */
            n++;
        }
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
