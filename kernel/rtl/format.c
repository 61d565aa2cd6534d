/* format.c - bounded printf-style formatting (RtlStringCbPrintfA).
 *
 * The one formatter in the kernel: DbgPrint, ConPrintf, the shell and the
 * bug check screen all come through here.  It must work at any IRQL and with
 * no pool, so it writes into the caller's buffer and nothing else. */
#include <wdm.h>
#include <rtl.h>

typedef struct FMT_OUT {
    PSTR Buf;
    SIZE_T Size;    /* capacity including the terminator */
    SIZE_T Pos;     /* characters produced (may exceed Size - 1) */
} FMT_OUT;

static void put(FMT_OUT *o, char c)
{
    if (o->Pos + 1 < o->Size)
        o->Buf[o->Pos] = c;
    o->Pos++;
}

static void put_padded(FMT_OUT *o, const char *s, SIZE_T len, int width, BOOLEAN left, char pad)
{
    SIZE_T fill = (width > 0 && (SIZE_T)width > len) ? (SIZE_T)width - len : 0;
    if (!left)
        while (fill--)
            put(o, pad);
    for (SIZE_T i = 0; i < len; i++)
        put(o, s[i]);
    if (left)
        while (fill--)
            put(o, ' ');
}

static SIZE_T utoa(char *tmp, ULONG64 v, unsigned base, BOOLEAN upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    SIZE_T n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    return n;   /* reversed */
}

static void put_number(FMT_OUT *o, ULONG64 v, BOOLEAN negative, unsigned base, BOOLEAN upper,
                       int width, int precision, BOOLEAN left, BOOLEAN zero, char sign_char)
{
    char rev[24];
    SIZE_T n = utoa(rev, v, base, upper);
    char sign = negative ? '-' : sign_char;

    if (precision == 0 && v == 0)
        n = 0;
    int digits = (int)n;
    int zeros = precision > digits ? precision - digits : 0;
    int body = (sign ? 1 : 0) + zeros + digits;
    if (zero && !left && precision < 0 && width > body) {
        zeros += width - body;
        body = width;
    }
    /* Written straight out (no intermediate buffer), so any width works. */
    for (int pad = width - body; !left && pad > 0; pad--)
        put(o, ' ');
    if (sign)
        put(o, sign);
    while (zeros-- > 0)
        put(o, '0');
    while (n)
        put(o, rev[--n]);
    for (int pad = width - body; left && pad > 0; pad--)
        put(o, ' ');
}

static void put_wide(FMT_OUT *o, const WCHAR *s, SIZE_T chars, int width, BOOLEAN left)
{
    SIZE_T fill = (width > 0 && (SIZE_T)width > chars) ? (SIZE_T)width - chars : 0;
    if (!left)
        while (fill--)
            put(o, ' ');
    for (SIZE_T i = 0; i < chars; i++)
        put(o, s[i] < 0x80 ? (char)s[i] : '?');
    if (left)
        while (fill--)
            put(o, ' ');
}

NTSTATUS RtlStringCbVPrintfA(PSTR Dest, SIZE_T Size, PCSTR f, va_list ap)
{
    FMT_OUT o = { Dest, Size, 0 };

    if (!Dest || Size == 0)
        return STATUS_INVALID_PARAMETER;
    while (*f) {
        if (*f != '%') {
            put(&o, *f++);
            continue;
        }
        f++;
        BOOLEAN left = FALSE, zero = FALSE;
        char sign_char = 0;
        for (;; f++) {
            if (*f == '-') left = TRUE;
            else if (*f == '0') zero = TRUE;
            else if (*f == '+') sign_char = '+';
            else if (*f == ' ') { if (!sign_char) sign_char = ' '; }
            else break;
        }
        int width = -1, precision = -1;
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = TRUE; width = -width; }
            f++;
        } else {
            for (width = 0; *f >= '0' && *f <= '9'; f++)
                width = width * 10 + (*f - '0');
        }
        if (*f == '.') {
            f++;
            if (*f == '*') {
                precision = va_arg(ap, int);
                f++;
            } else {
                for (precision = 0; *f >= '0' && *f <= '9'; f++)
                    precision = precision * 10 + (*f - '0');
            }
        }
        int lng = 0;    /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
        BOOLEAN wide = FALSE;
        for (;; f++) {
            if (*f == 'l') lng++;
            else if (*f == 'h') lng--;
            else if (*f == 'z' || *f == 'j' || *f == 't') lng = 3;
            else if (*f == 'w') wide = TRUE;
            else if (*f == 'I' && f[1] == '6' && f[2] == '4') { lng = 2; f += 2; }
            else break;
        }
        char c = *f ? *f++ : 0;
        switch (c) {
        case 'd': case 'i': {
            LONG64 v = lng >= 1 ? va_arg(ap, LONG64) : (LONG64)va_arg(ap, int);
            if (lng == -1) v = (SHORT)v;
            if (lng == -2) v = (CHAR)v;
            BOOLEAN neg = v < 0;
            put_number(&o, neg ? (ULONG64)0 - (ULONG64)v : (ULONG64)v, neg, 10, FALSE,
                       width, precision, left, zero, sign_char);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            ULONG64 v = lng >= 1 ? va_arg(ap, ULONG64) : (ULONG64)va_arg(ap, unsigned int);
            if (lng == -1) v = (USHORT)v;
            if (lng == -2) v = (UCHAR)v;
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            put_number(&o, v, FALSE, base, c == 'X', width, precision, left, zero, 0);
            break;
        }
        case 'p': {
            ULONG64 v = (ULONG64)(ULONG_PTR)va_arg(ap, void *);
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, v, FALSE, 16, FALSE, 16, -1, FALSE, TRUE, 0);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            if (wide) {
                const WCHAR *s = va_arg(ap, const WCHAR *);
                if (!s) { put_padded(&o, "(null)", 6, width, left, ' '); break; }
                SIZE_T n = 0;
                while (s[n] && (precision < 0 || n < (SIZE_T)precision))
                    n++;
                put_wide(&o, s, n, width, left);
                break;
            }
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            SIZE_T n = 0;
            while (s[n] && (precision < 0 || n < (SIZE_T)precision))
                n++;
            put_padded(&o, s, n, width, left, ' ');
            break;
        }
        case 'Z': {
            if (wide) {
                PCUNICODE_STRING u = va_arg(ap, PCUNICODE_STRING);
                if (!u || !u->Buffer) { put_padded(&o, "(null)", 6, width, left, ' '); break; }
                put_wide(&o, u->Buffer, u->Length / sizeof(WCHAR), width, left);
            } else {
                PANSI_STRING a = va_arg(ap, PANSI_STRING);
                if (!a || !a->Buffer) { put_padded(&o, "(null)", 6, width, left, ' '); break; }
                put_padded(&o, (const char *)a->Buffer, a->Length, width, left, ' ');
            }
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case 0:
            break;
        default:
            put(&o, '%');
            put(&o, c);
            break;
        }
    }
    if (o.Pos < o.Size) {
        Dest[o.Pos] = 0;
        return STATUS_SUCCESS;
    }
    Dest[o.Size - 1] = 0;
    return STATUS_BUFFER_OVERFLOW;
}

NTSTATUS RtlStringCbPrintfA(PSTR Dest, SIZE_T Size, PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    NTSTATUS s = RtlStringCbVPrintfA(Dest, Size, Format, ap);
    va_end(ap);
    return s;
}

/* A GUID as text without braces, the form UEFI device paths and the shell
 * print; the one formatter of it (the shell's `parts` and `disks`, the
 * partition tests). */
VOID RtlFormatGuidA(const GUID *g, PCHAR Text, SIZE_T TextSize)
{
    RtlStringCbPrintfA(Text, TextSize, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                       g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
                       g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}
