/* fbcon.c - text console on the GOP framebuffer: 8x16 glyphs (generated from
 * a Linux console font, see tools/psf2c.py), white on black, scrolls by
 * moving the pixel rows up.  On a real PC this is the screen the user sees
 * when there is no serial port. */
#include <ntos.h>

extern const unsigned char FbFont[128][16];

#define GLYPH_W 8
#define GLYPH_H 16
#define FG 0x00C0C0C0u
#define BG 0x00000000u

static volatile ULONG *FbBase;
static ULONG FbWidth, FbHeight, FbStride;
static ULONG Cols, Rows, CurX, CurY;

VOID HalFbInit(const ntstor_framebuffer *Fb)
{
    if (Fb->format != NTSTOR_FB_RGBX && Fb->format != NTSTOR_FB_BGRX)
        return;
    if (Fb->width < GLYPH_W || Fb->height < GLYPH_H || Fb->pixels_per_line < Fb->width ||
        (ULONG64)Fb->pixels_per_line * Fb->height * 4 > Fb->size)
        return;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)Fb->base;
    FbBase = MmMapIoSpace(pa, Fb->size, MmWriteCombined);
    if (!FbBase)
        return;
    FbWidth = Fb->width;
    FbHeight = Fb->height;
    FbStride = Fb->pixels_per_line;
    Cols = FbWidth / GLYPH_W;
    Rows = FbHeight / GLYPH_H;
    for (ULONG y = 0; y < FbHeight; y++)
        for (ULONG x = 0; x < FbWidth; x++)
            FbBase[y * FbStride + x] = BG;
}

BOOLEAN HalFbPresent(VOID)
{
    return FbBase != NULL;
}

static void draw_glyph(ULONG cx, ULONG cy, UCHAR ch)
{
    const unsigned char *g = FbFont[ch < 128 ? ch : '?'];
    for (ULONG y = 0; y < GLYPH_H; y++) {
        volatile ULONG *row = FbBase + (cy * GLYPH_H + y) * FbStride + cx * GLYPH_W;
        for (ULONG x = 0; x < GLYPH_W; x++)
            row[x] = (g[y] & (0x80 >> x)) ? FG : BG;
    }
}

static void scroll(void)
{
    ULONG line = GLYPH_H * FbStride;
    for (ULONG i = 0; i < (Rows - 1) * line; i++)
        FbBase[i] = FbBase[i + line];
    for (ULONG i = (Rows - 1) * line; i < Rows * line; i++)
        FbBase[i] = BG;
}

static void newline(void)
{
    CurX = 0;
    if (++CurY == Rows) {
        scroll();
        CurY = Rows - 1;
    }
}

VOID HalFbWrite(PCSTR Text, SIZE_T Length)
{
    if (!FbBase)
        return;
    for (SIZE_T i = 0; i < Length; i++) {
        UCHAR c = (UCHAR)Text[i];
        if (c == '\n') {
            newline();
        } else if (c == '\r') {
            CurX = 0;
        } else if (c == '\b') {
            if (CurX)
                CurX--;
        } else if (c == 0x1B) {
            /* Skip ANSI escape sequences the shell sends for line editing. */
            while (i + 1 < Length && !((Text[i + 1] >= 'A' && Text[i + 1] <= 'Z') ||
                                       (Text[i + 1] >= 'a' && Text[i + 1] <= 'z')))
                i++;
            i++;
        } else if (c >= 0x20) {
            draw_glyph(CurX, CurY, c);
            if (++CurX == Cols)
                newline();
        }
    }
}
