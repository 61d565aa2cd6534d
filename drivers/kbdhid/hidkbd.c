/* hidkbd.c - HID boot keyboard logic (HID 1.11 appendix B; HID Usage
 * Tables 1.12 chapter 10, Keyboard/Keypad page; scan codes from the
 * usage tables' PS/2 set 1 column), pure: see hidkbd.h. */
#include "hidkbd.h"
#include <usbdlib.h>

#define HID_E0 0x100    /* in the table: the code follows E0 */

/* Usage 00h-65h -> set 1 make code (| HID_E0). */
static const USHORT HidKbdSet1[0x66] = {
    [0x04] = 0x1E, [0x05] = 0x30, [0x06] = 0x2E, [0x07] = 0x20, [0x08] = 0x12, [0x09] = 0x21,
    [0x0A] = 0x22, [0x0B] = 0x23, [0x0C] = 0x17, [0x0D] = 0x24, [0x0E] = 0x25, [0x0F] = 0x26,
    [0x10] = 0x32, [0x11] = 0x31, [0x12] = 0x18, [0x13] = 0x19, [0x14] = 0x10, [0x15] = 0x13,
    [0x16] = 0x1F, [0x17] = 0x14, [0x18] = 0x16, [0x19] = 0x2F, [0x1A] = 0x11, [0x1B] = 0x2D,
    [0x1C] = 0x15, [0x1D] = 0x2C,
    [0x1E] = 0x02, [0x1F] = 0x03, [0x20] = 0x04, [0x21] = 0x05, [0x22] = 0x06, [0x23] = 0x07,
    [0x24] = 0x08, [0x25] = 0x09, [0x26] = 0x0A, [0x27] = 0x0B,
    [0x28] = 0x1C, [0x29] = 0x01, [0x2A] = 0x0E, [0x2B] = 0x0F, [0x2C] = 0x39, [0x2D] = 0x0C,
    [0x2E] = 0x0D, [0x2F] = 0x1A, [0x30] = 0x1B, [0x31] = 0x2B, [0x32] = 0x2B, [0x33] = 0x27,
    [0x34] = 0x28, [0x35] = 0x29, [0x36] = 0x33, [0x37] = 0x34, [0x38] = 0x35, [0x39] = 0x3A,
    [0x3A] = 0x3B, [0x3B] = 0x3C, [0x3C] = 0x3D, [0x3D] = 0x3E, [0x3E] = 0x3F, [0x3F] = 0x40,
    [0x40] = 0x41, [0x41] = 0x42, [0x42] = 0x43, [0x43] = 0x44, [0x44] = 0x57, [0x45] = 0x58,
    [0x46] = HID_E0 | 0x37, [0x47] = 0x46,
    [0x49] = HID_E0 | 0x52, [0x4A] = HID_E0 | 0x47, [0x4B] = HID_E0 | 0x49, [0x4C] = HID_E0 | 0x53,
    [0x4D] = HID_E0 | 0x4F, [0x4E] = HID_E0 | 0x51, [0x4F] = HID_E0 | 0x4D, [0x50] = HID_E0 | 0x4B,
    [0x51] = HID_E0 | 0x50, [0x52] = HID_E0 | 0x48,
    [0x53] = 0x45, [0x54] = HID_E0 | 0x35, [0x55] = 0x37, [0x56] = 0x4A, [0x57] = 0x4E,
    [0x58] = HID_E0 | 0x1C, [0x59] = 0x4F, [0x5A] = 0x50, [0x5B] = 0x51, [0x5C] = 0x4B,
    [0x5D] = 0x4C, [0x5E] = 0x4D, [0x5F] = 0x47, [0x60] = 0x48, [0x61] = 0x49, [0x62] = 0x52,
    [0x63] = 0x53, [0x64] = 0x56, [0x65] = HID_E0 | 0x5D,
};

/* Modifier bits 0-7: LCtrl LShift LAlt LGUI RCtrl RShift RAlt RGUI. */
static const USHORT HidKbdModifierSet1[8] = {
    0x1D, 0x2A, 0x38, HID_E0 | 0x5B, HID_E0 | 0x1D, 0x36, HID_E0 | 0x38, HID_E0 | 0x5C,
};

USHORT HidKbdUsageToMake(UCHAR Usage, PUSHORT Flags)
{
    USHORT v = 0;

    if (Usage < sizeof(HidKbdSet1) / sizeof(HidKbdSet1[0]))
        v = HidKbdSet1[Usage];
    else if (Usage >= 0xE0 && Usage <= 0xE7)
        v = HidKbdModifierSet1[Usage - 0xE0];
    *Flags = (v & HID_E0) ? KEY_E0 : 0;
    return v & 0xFF;
}

UCHAR HidKbdLedReport(USHORT LedFlags)
{
    return (UCHAR)(((LedFlags & KEYBOARD_NUM_LOCK_ON) ? 1 : 0) |
                   ((LedFlags & KEYBOARD_CAPS_LOCK_ON) ? 2 : 0) |
                   ((LedFlags & KEYBOARD_SCROLL_LOCK_ON) ? 4 : 0));
}

BOOLEAN HidKbdFindInterface(const UCHAR *Config, ULONG Length, PUCHAR Interface,
                            PUCHAR Alternate, PCSTR *Why)
{
    PUSB_INTERFACE_DESCRIPTOR i;
    ULONG walk;

    if (!USBD_SUCCESS(NtstorUsbdValidateConfiguration(Config, Length, USBD_VALIDATE_LENGTHS, &walk, Why)))
        return FALSE;
    /* HID 1.11 4.2, 4.3: subclass 01h boot interface, protocol 01h
     * keyboard; one without an interrupt IN endpoint is passed over. */
    for (i = NtstorUsbdFindInterface(Config, walk, Config, -1, -1, USB_DEVICE_CLASS_HUMAN_INTERFACE, 0x01, 0x01); i;
         i = NtstorUsbdFindInterface(Config, walk, (PUCHAR)i + i->bLength, -1, -1,
                                     USB_DEVICE_CLASS_HUMAN_INTERFACE, 0x01, 0x01)) {
        for (PUSB_COMMON_DESCRIPTOR d = NtstorUsbdNextInInterface(Config, walk, i); d;
             d = NtstorUsbdNextInInterface(Config, walk, d)) {
            PUSB_ENDPOINT_DESCRIPTOR e = (PUSB_ENDPOINT_DESCRIPTOR)d;
            if (d->bDescriptorType == USB_ENDPOINT_DESCRIPTOR_TYPE &&
                USB_ENDPOINT_DIRECTION_IN(e->bEndpointAddress) &&
                (e->bmAttributes & USB_ENDPOINT_TYPE_MASK) == USB_ENDPOINT_TYPE_INTERRUPT) {
                *Interface = i->bInterfaceNumber;
                *Alternate = i->bAlternateSetting;
                return TRUE;
            }
        }
    }
    *Why = "no boot keyboard interface with an interrupt IN endpoint";
    return FALSE;
}

static BOOLEAN HidKbdHas(const HIDKBD_STATE *S, UCHAR Usage)
{
    for (ULONG i = 0; i < S->KeyCount; i++)
        if (S->Keys[i] == Usage)
            return TRUE;
    return FALSE;
}

static ULONG HidKbdEmit(KEYBOARD_INPUT_DATA *Out, ULONG N, UCHAR Usage, BOOLEAN Up, USHORT Unit)
{
    USHORT flags;
    USHORT make = HidKbdUsageToMake(Usage, &flags);

    if (!make || N >= HIDKBD_MAX_EVENTS)
        return N;
    Out[N].UnitId = Unit;
    Out[N].MakeCode = make;
    Out[N].Flags = flags | (Up ? KEY_BREAK : KEY_MAKE);
    Out[N].Reserved = 0;
    Out[N].ExtraInformation = 0;
    return N + 1;
}

ULONG HidKbdDiff(HIDKBD_STATE *State, const UCHAR *Report, ULONG Length,
                 KEYBOARD_INPUT_DATA *Out, USHORT UnitId)
{
    HIDKBD_STATE now = { 0 };
    ULONG n = 0;
    UCHAR pressed, released;

    if (Length < 3)
        return 0;
    now.Modifiers = Report[0];
    for (ULONG i = 2; i < Length && i < 8; i++) {
        UCHAR u = Report[i];
        if (u >= 0x01 && u <= 0x03)
            return 0;       /* phantom state (too many keys): keep what we had */
        if (u && !HidKbdHas(&now, u))
            now.Keys[now.KeyCount++] = u;
    }
    pressed = (UCHAR)(now.Modifiers & ~State->Modifiers);
    released = (UCHAR)(State->Modifiers & ~now.Modifiers);
    for (ULONG b = 0; b < 8; b++)
        if (pressed & (1u << b))
            n = HidKbdEmit(Out, n, (UCHAR)(0xE0 + b), FALSE, UnitId);
    for (ULONG i = 0; i < State->KeyCount; i++)
        if (!HidKbdHas(&now, State->Keys[i]))
            n = HidKbdEmit(Out, n, State->Keys[i], TRUE, UnitId);
    for (ULONG i = 0; i < now.KeyCount; i++)
        if (!HidKbdHas(State, now.Keys[i]))
            n = HidKbdEmit(Out, n, now.Keys[i], FALSE, UnitId);
    for (ULONG b = 0; b < 8; b++)
        if (released & (1u << b))
            n = HidKbdEmit(Out, n, (UCHAR)(0xE0 + b), TRUE, UnitId);
    *State = now;
    return n;
}

BOOLEAN HidKbdIsDown(const HIDKBD_STATE *State, UCHAR Usage)
{
    return Usage != 0 && HidKbdHas(State, Usage);
}

UCHAR HidKbdNewestKey(const HIDKBD_STATE *Before, const HIDKBD_STATE *After)
{
    UCHAR key = 0;

    for (ULONG i = 0; i < After->KeyCount; i++) {
        UCHAR u = After->Keys[i];
        /* Caps Lock, Scroll Lock, Num Lock toggle; they do not repeat. */
        if (u == 0x39 || u == 0x47 || u == 0x53)
            continue;
        if (!HidKbdHas(Before, u))
            key = u;
    }
    return key;
}
