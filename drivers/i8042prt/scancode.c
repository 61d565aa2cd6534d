/* scancode.c - keyboard bytes to key transitions.  KEYBOARD_INPUT_DATA
 * carries set 1 make codes (as NT's i8042prt reports them), so set 1
 * bytes (the controller translating) pass through and set 2 bytes (a
 * controller that will not translate) go through the same table the 8042
 * uses.  Prefixes: E0 marks the grey keys; E1 starts Pause, whose two
 * codes both get KEY_E1 so nobody takes them for Ctrl and Num Lock; set 2
 * marks a release with F0 before the code, set 1 with bit 7.  Sources: IBM
 * PS/2 Hardware Interface Technical Reference, Keyboard, "Scan code sets
 * 1 and 2"; the 8042 translation is the pairing of the two tables. */
#include "i8042logic.h"
#include <i8042.h>

/* Set 2 -> set 1, indexed by the set 2 code.  Codes that follow E0 use the
 * same table (E0 75 Up -> E0 48). */
static const UCHAR I8042Set2Table[0x84] = {
    [0x01] = 0x43, [0x03] = 0x3F, [0x04] = 0x3D, [0x05] = 0x3B, [0x06] = 0x3C, [0x07] = 0x58,
    [0x09] = 0x44, [0x0A] = 0x42, [0x0B] = 0x40, [0x0C] = 0x3E, [0x0D] = 0x0F, [0x0E] = 0x29,
    [0x11] = 0x38, [0x12] = 0x2A, [0x14] = 0x1D, [0x15] = 0x10, [0x16] = 0x02, [0x1A] = 0x2C,
    [0x1B] = 0x1F, [0x1C] = 0x1E, [0x1D] = 0x11, [0x1E] = 0x03, [0x1F] = 0x5B, [0x21] = 0x2E,
    [0x22] = 0x2D, [0x23] = 0x20, [0x24] = 0x12, [0x25] = 0x05, [0x26] = 0x04, [0x27] = 0x5C,
    [0x29] = 0x39, [0x2A] = 0x2F, [0x2B] = 0x21, [0x2C] = 0x14, [0x2D] = 0x13, [0x2E] = 0x06,
    [0x2F] = 0x5D, [0x31] = 0x31, [0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15,
    [0x36] = 0x07, [0x3A] = 0x32, [0x3B] = 0x24, [0x3C] = 0x16, [0x3D] = 0x08, [0x3E] = 0x09,
    [0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18, [0x45] = 0x0B, [0x46] = 0x0A,
    [0x49] = 0x34, [0x4A] = 0x35, [0x4B] = 0x26, [0x4C] = 0x27, [0x4D] = 0x19, [0x4E] = 0x0C,
    [0x52] = 0x28, [0x54] = 0x1A, [0x55] = 0x0D, [0x58] = 0x3A, [0x59] = 0x36, [0x5A] = 0x1C,
    [0x5B] = 0x1B, [0x5D] = 0x2B, [0x61] = 0x56, [0x66] = 0x0E, [0x69] = 0x4F, [0x6B] = 0x4B,
    [0x6C] = 0x47, [0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, [0x73] = 0x4C, [0x74] = 0x4D,
    [0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45, [0x78] = 0x57, [0x79] = 0x4E, [0x7A] = 0x51,
    [0x7B] = 0x4A, [0x7C] = 0x37, [0x7D] = 0x49, [0x7E] = 0x46, [0x83] = 0x41,
};

UCHAR I8042Set2ToSet1(UCHAR Code)
{
    return Code < sizeof(I8042Set2Table) ? I8042Set2Table[Code] : 0;
}

VOID I8042DecoderInit(PI8042_DECODER Decoder, BOOLEAN Set2)
{
    Decoder->Set2 = Set2;
    Decoder->Prefix = 0;
    Decoder->E1Left = 0;
    Decoder->Break = FALSE;
}

/* Bytes that are never a key in either set: overrun/error, the replies to
 * commands (a late ACK), a hot-plugged keyboard's BAT in set 2. */
static BOOLEAN I8042NotAKey(PI8042_DECODER D, UCHAR Byte)
{
    switch (Byte) {
    case KBD_REPLY_OVERRUN_SET2:
    case KBD_REPLY_OVERRUN_SET1:
    case KBD_REPLY_ACK:
    case KBD_REPLY_RESEND:
    case KBD_REPLY_ECHO:
        return TRUE;
    case KBD_REPLY_BAT_OK:      /* in set 1 it is also left Shift's release */
    case KBD_REPLY_BAT_FAIL:
        return D->Set2;
    default:
        return FALSE;
    }
}

BOOLEAN I8042DecodeByte(PI8042_DECODER D, UCHAR Byte, PKEYBOARD_INPUT_DATA Out)
{
    UCHAR code;
    USHORT flags = 0;

    if (Byte == KBD_PREFIX_E0 || Byte == KBD_PREFIX_E1) {
        /* An E1 sequence holds its own E0-less codes; a stray prefix just
         * restarts the state. */
        D->Prefix = Byte;
        D->E1Left = Byte == KBD_PREFIX_E1 ? 2 : 0;
        D->Break = FALSE;
        return FALSE;
    }
    if (D->Set2 && Byte == KBD_SET2_BREAK) {
        D->Break = TRUE;
        return FALSE;
    }
    if (I8042NotAKey(D, Byte)) {
        I8042DecoderInit(D, D->Set2);
        return FALSE;
    }
    if (D->Set2) {
        code = I8042Set2ToSet1(Byte);
        if (D->Break)
            flags |= KEY_BREAK;
    } else {
        code = Byte & ~KBD_SET1_BREAK_BIT;
        if (Byte & KBD_SET1_BREAK_BIT)
            flags |= KEY_BREAK;
    }
    if (D->Prefix == KBD_PREFIX_E0)
        flags |= KEY_E0;
    else if (D->Prefix == KBD_PREFIX_E1)
        flags |= KEY_E1;
    D->Break = FALSE;
    if (D->Prefix == KBD_PREFIX_E1 && --D->E1Left > 0) {
        /* Pause's first code: the prefix stays for its second. */
    } else {
        D->Prefix = 0;
        D->E1Left = 0;
    }
    if (code == 0)
        return FALSE;           /* a set 2 code no key has */
    Out->UnitId = 0;
    Out->MakeCode = code;
    Out->Flags = flags;
    Out->Reserved = 0;
    Out->ExtraInformation = 0;
    return TRUE;
}
