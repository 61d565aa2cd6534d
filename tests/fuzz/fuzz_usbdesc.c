/* fuzz_usbdesc.c - USB descriptor parsing on arbitrary bytes: the xHCI
 * driver's parsers (drivers/usbxhci/usbdesc.c: device, configuration with
 * its interface/endpoint/companion/HID walk, hub, string, LANGID) and the
 * HID keyboard driver's (drivers/kbdhid/hidkbd.c: the boot keyboard
 * interface walk, boot report diffing).  The first byte picks the
 * interface number and alternate setting asked for and the speed; the
 * rest is the descriptor (and, split in half, two reports).
 * Checked: nothing reads past the buffer (ASan); a found interface has at
 * most 30 endpoints, each with a nonzero number, no reserved address
 * bits, a nonzero max packet size and no duplicate; a parsed device
 * descriptor has a legal bMaxPacketSize0; a hub has 1..255 ports; strings
 * are terminated within their buffer; report diffing emits at most
 * HIDKBD_MAX_EVENTS transitions with make codes below 0x80 and flags only
 * KEY_BREAK/KEY_E0, and a release only for a key it reported pressed.
 * The USBD library (kernel/usbd/usbdlib.c) under all of them: every
 * descriptor its walks return lies whole inside the walk, and a
 * configuration it validated at level 2 walks to its end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "usbdesc.h"
#include "hidkbd.h"
#include <usbdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

#define Check(ok) CheckAt((ok), __LINE__)
static void CheckAt(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_usbdesc.c:%d: check failed\n", line);
        abort();
    }
}

/* The USBD library's walks on the raw bytes. */
static void CheckUsbdWalks(const UCHAR *Buf, ULONG N, UCHAR Sel)
{
    ULONG walk = 0, seen = 0;
    PCSTR why = NULL;
    USBD_STATUS st = NtstorUsbdValidateConfiguration(Buf, N, (USHORT)(1 + Sel % 3), &walk, &why);

    Check(USBD_SUCCESS(st) ? why == NULL && walk <= N : why != NULL);
    if (!USBD_SUCCESS(st))
        walk = N;           /* the walks must hold on unvalidated bytes too */
    for (PUSB_INTERFACE_DESCRIPTOR i = NtstorUsbdFindInterface(Buf, walk, Buf, -1, -1, -1, -1, -1); i;
         i = NtstorUsbdFindInterface(Buf, walk, (const UCHAR *)i + i->bLength, -1, -1, -1, -1, -1)) {
        const UCHAR *p = (const UCHAR *)i;
        Check(p >= Buf && p + i->bLength <= Buf + walk && i->bLength >= 9 && ++seen <= walk / 9);
        for (PUSB_COMMON_DESCRIPTOR d = NtstorUsbdNextInInterface(Buf, walk, i); d;
             d = NtstorUsbdNextInInterface(Buf, walk, d)) {
            const UCHAR *q = (const UCHAR *)d;
            Check(q > p && q + d->bLength <= Buf + walk && d->bLength >= 2 &&
                  d->bDescriptorType != USB_INTERFACE_DESCRIPTOR_TYPE);
        }
    }
    if (USBD_SUCCESS(st) && Sel % 3 >= 1) {
        /* Level 2 passed: following bLength from the header lands on the end exactly. */
        ULONG off = Buf[0];
        while (off < walk)
            off += Buf[off];
        Check(off == walk);
    }
}

static void CheckInterface(const USB_PARSED_INTERFACE *i)
{
    Check(i->EndpointCount <= USB_PARSED_MAX_ENDPOINTS);
    for (ULONG e = 0; e < i->EndpointCount; e++) {
        const USB_PARSED_ENDPOINT *p = &i->Endpoints[e];
        Check((p->Address & 0x0F) != 0 && (p->Address & 0x70) == 0);
        Check(p->MaxPacket != 0 && p->MaxPacket <= 0x7FF);
        Check(p->Type != USB_ENDPOINT_TYPE_CONTROL);
        Check(p->MaxBurst <= 15);
        for (ULONG f = 0; f < e; f++)
            Check(i->Endpoints[f].Address != p->Address);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    uint8_t sel;
    uint8_t *buf;
    size_t n;
    PCSTR why = NULL;
    USB_DEVICE_DESCRIPTOR dd;
    USB_CONFIGURATION_DESCRIPTOR cd;
    USB_PARSED_INTERFACE intf;
    USB_PARSED_HUB hub;
    WCHAR str[16];
    UCHAR ifn = 0, alt = 0;

    if (Size < 1)
        return 0;
    sel = Data[0];
    n = Size - 1;
    /* An exact-size heap copy: a read past the end is an ASan report. */
    buf = malloc(n ? n : 1);
    memcpy(buf, Data + 1, n);

    if (NT_SUCCESS(UsbParseDeviceDescriptor(buf, (ULONG)n, sel & 1, &dd, &why))) {
        USHORT mps = UsbMaxPacket0(&dd, sel & 1);
        Check(mps == 8 || mps == 16 || mps == 32 || mps == 64 || mps == 512);
    } else {
        Check(why != NULL);
    }
    why = NULL;
    if (NT_SUCCESS(UsbParseConfigHeader(buf, (ULONG)n, &cd, &why)))
        Check(cd.wTotalLength >= 9);
    if (NT_SUCCESS(UsbFindInterface(buf, (ULONG)n, 0xFF, 0, &intf, &why)))
        CheckInterface(&intf);
    if (NT_SUCCESS(UsbFindInterface(buf, (ULONG)n, (sel >> 1) & 3, (sel >> 3) & 1, &intf, &why))) {
        Check(intf.Number == ((sel >> 1) & 3) && intf.Alternate == ((sel >> 3) & 1));
        CheckInterface(&intf);
    }
    Check(UsbCountInterfaces(buf, (ULONG)n) <= n / 9);
    CheckUsbdWalks(buf, (ULONG)n, sel);
    if (NT_SUCCESS(UsbParseHubDescriptor(buf, (ULONG)n, &hub, &why)))
        Check(hub.Ports >= 1 && hub.TtThinkTime <= 3);
    ULONG units = UsbParseString(buf, (ULONG)n, str, 16);
    Check(units < 16 && str[units] == 0);
    (void)UsbParseLangId(buf, (ULONG)n);
    if (HidKbdFindInterface(buf, (ULONG)n, &ifn, &alt, &why)) {
        /* Filled from a boot keyboard interface descriptor that is in the
         * buffer (any number and setting are legal, 0xFF too: seed
         * usbdesc-hid-interface-ff-ff). */
        int seen = 0;
        for (size_t o = 0; o + 8 <= n && !seen; o++)
            seen = buf[o] >= 9 && buf[o + 1] == 0x04 && buf[o + 2] == ifn && buf[o + 3] == alt &&
                   buf[o + 5] == 0x03 && buf[o + 6] == 0x01 && buf[o + 7] == 0x01;
        Check(seen);
    }

    /* Two reports diffed in turn. */
    {
        HIDKBD_STATE st = { 0 };
        KEYBOARD_INPUT_DATA out[HIDKBD_MAX_EVENTS];
        size_t half = n / 2;
        for (int r = 0; r < 2; r++) {
            HIDKBD_STATE before = st;
            ULONG k = HidKbdDiff(&st, buf + (r ? half : 0), (ULONG)(r ? n - half : half), out, 3);
            Check(k <= HIDKBD_MAX_EVENTS);
            Check(st.KeyCount <= 6);
            for (ULONG i = 0; i < k; i++) {
                Check(out[i].MakeCode != 0 && out[i].MakeCode < 0x80);
                Check((out[i].Flags & ~(KEY_BREAK | KEY_E0)) == 0);
                Check(out[i].UnitId == 3);
                if (out[i].Flags & KEY_BREAK) {
                    /* Released keys were down before (a modifier bit or a key). */
                    int was = 0;
                    for (ULONG b = 0; b < 8; b++) {
                        USHORT fl;
                        USHORT mc = HidKbdUsageToMake((UCHAR)(0xE0 + b), &fl);
                        if ((before.Modifiers & (1u << b)) && mc == out[i].MakeCode &&
                            fl == (out[i].Flags & KEY_E0))
                            was = 1;
                    }
                    for (ULONG j = 0; j < before.KeyCount; j++) {
                        USHORT fl;
                        if (HidKbdUsageToMake(before.Keys[j], &fl) == out[i].MakeCode &&
                            fl == (out[i].Flags & KEY_E0))
                            was = 1;
                    }
                    Check(was);
                }
            }
        }
    }
    free(buf);
    return 0;
}
