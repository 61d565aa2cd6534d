/* ascii.c - NUL-terminated ASCII helpers for the shell and config code. */
#include <ntos.h>

SIZE_T RtlAsciiLength(PCSTR s)
{
    SIZE_T n = 0;
    while (s[n])
        n++;
    return n;
}

static CHAR fold(CHAR c, BOOLEAN ci)
{
    return (ci && c >= 'A' && c <= 'Z') ? (CHAR)(c - 'A' + 'a') : c;
}

INT RtlAsciiCompareN(PCSTR a, PCSTR b, SIZE_T n, BOOLEAN CaseInsensitive)
{
    for (SIZE_T i = 0; i < n; i++) {
        CHAR x = fold(a[i], CaseInsensitive), y = fold(b[i], CaseInsensitive);
        if (x != y)
            return (UCHAR)x < (UCHAR)y ? -1 : 1;
        if (!x)
            return 0;
    }
    return 0;
}

INT RtlAsciiCompare(PCSTR a, PCSTR b, BOOLEAN CaseInsensitive)
{
    return RtlAsciiCompareN(a, b, (SIZE_T)-1, CaseInsensitive);
}

VOID RtlAsciiCopy(PCHAR Dest, SIZE_T DestSize, PCSTR Source)
{
    SIZE_T i = 0;
    if (!DestSize)
        return;
    for (; i + 1 < DestSize && Source[i]; i++)
        Dest[i] = Source[i];
    Dest[i] = 0;
}

BOOLEAN RtlAsciiToU64(PCSTR Text, ULONG64 *Value)
{
    ULONG64 v = 0;
    unsigned base = 10;
    PCSTR p = Text;
    if (!p || !*p)
        return FALSE;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        if (!*p)
            return FALSE;
    }
    for (; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F') d = (unsigned)(*p - 'A' + 10);
        else return FALSE;
        if (v > (~0ULL - d) / base)
            return FALSE;
        v = v * base + d;
    }
    *Value = v;
    return TRUE;
}
