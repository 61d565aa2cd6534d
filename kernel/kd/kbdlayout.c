/* kbdlayout.c - the console's keyboard layouts, one table each: what
 * character a key (set 1 make code, as KEYBOARD_INPUT_DATA carries it)
 * gives plain, with Shift and with AltGr.  Keys that are not characters
 * (Enter, Backspace, arrows, the keypad, modifiers and locks) are the
 * translator's (kbdxlat.c), the same on every layout.  Latin-1 values
 * above 0x7F are honest about the keycap; the line editor refuses a line
 * holding one.  system.cfg: [Control\Console] KeyboardLayout = us|de|uk.
 *
 * Make codes: IBM PC/AT set 1 (the 8042's translation of set 2), by key
 * position: row 1 is 0x02-0x0D, row Q 0x10-0x1B, row A 0x1E-0x29 (0x29 is
 * the key left of 1), 0x2B the key beside Enter on ISO boards (above it on
 * ANSI), row Z 0x2C-0x35, 0x56 the ISO key left of Z. */
#include <kbdxlat.h>

/* US (ANSI; the ISO 102nd key gives \ and |): the default. */
const KBD_LAYOUT KbdLayoutUs = {
    .Name = "us",
    .Normal = {
        [0x02] = '1', [0x03] = '2', [0x04] = '3', [0x05] = '4', [0x06] = '5', [0x07] = '6',
        [0x08] = '7', [0x09] = '8', [0x0A] = '9', [0x0B] = '0', [0x0C] = '-', [0x0D] = '=',
        [0x10] = 'q', [0x11] = 'w', [0x12] = 'e', [0x13] = 'r', [0x14] = 't', [0x15] = 'y',
        [0x16] = 'u', [0x17] = 'i', [0x18] = 'o', [0x19] = 'p', [0x1A] = '[', [0x1B] = ']',
        [0x1E] = 'a', [0x1F] = 's', [0x20] = 'd', [0x21] = 'f', [0x22] = 'g', [0x23] = 'h',
        [0x24] = 'j', [0x25] = 'k', [0x26] = 'l', [0x27] = ';', [0x28] = '\'', [0x29] = '`',
        [0x2B] = '\\', [0x2C] = 'z', [0x2D] = 'x', [0x2E] = 'c', [0x2F] = 'v', [0x30] = 'b',
        [0x31] = 'n', [0x32] = 'm', [0x33] = ',', [0x34] = '.', [0x35] = '/', [0x39] = ' ',
        [0x56] = '\\',
    },
    .Shift = {
        [0x02] = '!', [0x03] = '@', [0x04] = '#', [0x05] = '$', [0x06] = '%', [0x07] = '^',
        [0x08] = '&', [0x09] = '*', [0x0A] = '(', [0x0B] = ')', [0x0C] = '_', [0x0D] = '+',
        [0x10] = 'Q', [0x11] = 'W', [0x12] = 'E', [0x13] = 'R', [0x14] = 'T', [0x15] = 'Y',
        [0x16] = 'U', [0x17] = 'I', [0x18] = 'O', [0x19] = 'P', [0x1A] = '{', [0x1B] = '}',
        [0x1E] = 'A', [0x1F] = 'S', [0x20] = 'D', [0x21] = 'F', [0x22] = 'G', [0x23] = 'H',
        [0x24] = 'J', [0x25] = 'K', [0x26] = 'L', [0x27] = ':', [0x28] = '"', [0x29] = '~',
        [0x2B] = '|', [0x2C] = 'Z', [0x2D] = 'X', [0x2E] = 'C', [0x2F] = 'V', [0x30] = 'B',
        [0x31] = 'N', [0x32] = 'M', [0x33] = '<', [0x34] = '>', [0x35] = '?', [0x39] = ' ',
        [0x56] = '|',
    },
    .KeypadDecimal = '.',
};

/* German (DIN 2137 basic layout, QWERTZ).  AltGr: @ on Q, ~ on +,
 * { [ ] } \ on 7 8 9 0 and the sharp-s key, | on <, micro on M, superscript
 * 2 3 on 2 3.  ^, acute and ` are plain keys here: no dead keys. */
static const KBD_LAYOUT KbdLayoutDe = {
    .Name = "de",
    .Normal = {
        [0x02] = '1', [0x03] = '2', [0x04] = '3', [0x05] = '4', [0x06] = '5', [0x07] = '6',
        [0x08] = '7', [0x09] = '8', [0x0A] = '9', [0x0B] = '0', [0x0C] = 0xDF, [0x0D] = 0xB4,
        [0x10] = 'q', [0x11] = 'w', [0x12] = 'e', [0x13] = 'r', [0x14] = 't', [0x15] = 'z',
        [0x16] = 'u', [0x17] = 'i', [0x18] = 'o', [0x19] = 'p', [0x1A] = 0xFC, [0x1B] = '+',
        [0x1E] = 'a', [0x1F] = 's', [0x20] = 'd', [0x21] = 'f', [0x22] = 'g', [0x23] = 'h',
        [0x24] = 'j', [0x25] = 'k', [0x26] = 'l', [0x27] = 0xF6, [0x28] = 0xE4, [0x29] = '^',
        [0x2B] = '#', [0x2C] = 'y', [0x2D] = 'x', [0x2E] = 'c', [0x2F] = 'v', [0x30] = 'b',
        [0x31] = 'n', [0x32] = 'm', [0x33] = ',', [0x34] = '.', [0x35] = '-', [0x39] = ' ',
        [0x56] = '<',
    },
    .Shift = {
        [0x02] = '!', [0x03] = '"', [0x04] = 0xA7, [0x05] = '$', [0x06] = '%', [0x07] = '&',
        [0x08] = '/', [0x09] = '(', [0x0A] = ')', [0x0B] = '=', [0x0C] = '?', [0x0D] = '`',
        [0x10] = 'Q', [0x11] = 'W', [0x12] = 'E', [0x13] = 'R', [0x14] = 'T', [0x15] = 'Z',
        [0x16] = 'U', [0x17] = 'I', [0x18] = 'O', [0x19] = 'P', [0x1A] = 0xDC, [0x1B] = '*',
        [0x1E] = 'A', [0x1F] = 'S', [0x20] = 'D', [0x21] = 'F', [0x22] = 'G', [0x23] = 'H',
        [0x24] = 'J', [0x25] = 'K', [0x26] = 'L', [0x27] = 0xD6, [0x28] = 0xC4, [0x29] = 0xB0,
        [0x2B] = '\'', [0x2C] = 'Y', [0x2D] = 'X', [0x2E] = 'C', [0x2F] = 'V', [0x30] = 'B',
        [0x31] = 'N', [0x32] = 'M', [0x33] = ';', [0x34] = ':', [0x35] = '_', [0x39] = ' ',
        [0x56] = '>',
    },
    .AltGr = {
        [0x03] = 0xB2, [0x04] = 0xB3, [0x08] = '{', [0x09] = '[', [0x0A] = ']', [0x0B] = '}',
        [0x0C] = '\\', [0x10] = '@', [0x1B] = '~', [0x32] = 0xB5, [0x56] = '|',
    },
    .KeypadDecimal = ',',
};

/* British (BS 4822): " on 2, pound on 3, @ on ', # ~ beside Enter, \ | left
 * of Z, ` not and broken bar left of 1; AltGr gives the acute vowels. */
static const KBD_LAYOUT KbdLayoutUk = {
    .Name = "uk",
    .Normal = {
        [0x02] = '1', [0x03] = '2', [0x04] = '3', [0x05] = '4', [0x06] = '5', [0x07] = '6',
        [0x08] = '7', [0x09] = '8', [0x0A] = '9', [0x0B] = '0', [0x0C] = '-', [0x0D] = '=',
        [0x10] = 'q', [0x11] = 'w', [0x12] = 'e', [0x13] = 'r', [0x14] = 't', [0x15] = 'y',
        [0x16] = 'u', [0x17] = 'i', [0x18] = 'o', [0x19] = 'p', [0x1A] = '[', [0x1B] = ']',
        [0x1E] = 'a', [0x1F] = 's', [0x20] = 'd', [0x21] = 'f', [0x22] = 'g', [0x23] = 'h',
        [0x24] = 'j', [0x25] = 'k', [0x26] = 'l', [0x27] = ';', [0x28] = '\'', [0x29] = '`',
        [0x2B] = '#', [0x2C] = 'z', [0x2D] = 'x', [0x2E] = 'c', [0x2F] = 'v', [0x30] = 'b',
        [0x31] = 'n', [0x32] = 'm', [0x33] = ',', [0x34] = '.', [0x35] = '/', [0x39] = ' ',
        [0x56] = '\\',
    },
    .Shift = {
        [0x02] = '!', [0x03] = '"', [0x04] = 0xA3, [0x05] = '$', [0x06] = '%', [0x07] = '^',
        [0x08] = '&', [0x09] = '*', [0x0A] = '(', [0x0B] = ')', [0x0C] = '_', [0x0D] = '+',
        [0x10] = 'Q', [0x11] = 'W', [0x12] = 'E', [0x13] = 'R', [0x14] = 'T', [0x15] = 'Y',
        [0x16] = 'U', [0x17] = 'I', [0x18] = 'O', [0x19] = 'P', [0x1A] = '{', [0x1B] = '}',
        [0x1E] = 'A', [0x1F] = 'S', [0x20] = 'D', [0x21] = 'F', [0x22] = 'G', [0x23] = 'H',
        [0x24] = 'J', [0x25] = 'K', [0x26] = 'L', [0x27] = ':', [0x28] = '@', [0x29] = 0xAC,
        [0x2B] = '~', [0x2C] = 'Z', [0x2D] = 'X', [0x2E] = 'C', [0x2F] = 'V', [0x30] = 'B',
        [0x31] = 'N', [0x32] = 'M', [0x33] = '<', [0x34] = '>', [0x35] = '?', [0x39] = ' ',
        [0x56] = '|',
    },
    .AltGr = {
        [0x12] = 0xE9, [0x16] = 0xFA, [0x17] = 0xED, [0x18] = 0xF3, [0x1E] = 0xE1,
        [0x29] = 0xA6,
    },
    .KeypadDecimal = '.',
};

static const PCKBD_LAYOUT KbdLayouts[] = { &KbdLayoutUs, &KbdLayoutDe, &KbdLayoutUk };
const PCSTR KbdLayoutNames = "us, de, uk";

PCKBD_LAYOUT KbdFindLayout(PCSTR Name)
{
    for (ULONG i = 0; Name && i < sizeof(KbdLayouts) / sizeof(KbdLayouts[0]); i++) {
        PCSTR a = KbdLayouts[i]->Name, b = Name;
        while (*a && (*a == *b || *a == (*b | 0x20)))
            a++, b++;
        if (*a == 0 && *b == 0)
            return KbdLayouts[i];
    }
    return NULL;
}
