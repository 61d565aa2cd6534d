/* crc32.c - IEEE 802.3 CRC-32, reflected, polynomial 0xEDB88320: the same
 * value as zlib's crc32(), which is what DESIGN.md's `read` line reports and
 * what GPT headers carry.  Slicing-by-4 over a table built on first use: the
 * shell checksums whole reads, so it is worth being quick. */
#include <wdm.h>

static ULONG CrcTable[4][256];
static BOOLEAN CrcTableReady;

static void crc32_init(void)
{
    for (ULONG i = 0; i < 256; i++) {
        ULONG c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        CrcTable[0][i] = c;
    }
    for (ULONG i = 0; i < 256; i++) {
        ULONG c = CrcTable[0][i];
        for (int t = 1; t < 4; t++) {
            c = CrcTable[0][c & 0xFF] ^ (c >> 8);
            CrcTable[t][i] = c;
        }
    }
    CrcTableReady = TRUE;
}

ULONG RtlComputeCrc32(ULONG PartialCrc, const VOID *Buffer, ULONG Length)
{
    const UCHAR *p = Buffer;
    ULONG c = ~PartialCrc;

    if (!CrcTableReady)
        crc32_init();
    while (Length && ((ULONG_PTR)p & 3)) {
        c = CrcTable[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
        Length--;
    }
    while (Length >= 4) {
        ULONG w;
        __builtin_memcpy(&w, p, 4);
        c ^= w;
        c = CrcTable[3][c & 0xFF] ^ CrcTable[2][(c >> 8) & 0xFF] ^
            CrcTable[1][(c >> 16) & 0xFF] ^ CrcTable[0][c >> 24];
        p += 4;
        Length -= 4;
    }
    while (Length--)
        c = CrcTable[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}
