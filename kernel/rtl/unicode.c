/* unicode.c - UNICODE_STRING routines.  ntstor names are 7-bit ASCII in
 * UTF-16 code units; case-insensitive comparison folds ASCII only (NT folds
 * with its upcase table; no name here needs more). */
#include <wdm.h>

WCHAR RtlUpcaseUnicodeChar(WCHAR c)
{
    return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 'a' + 'A') : c;
}

VOID RtlInitUnicodeString(PUNICODE_STRING Dest, PCWSTR Source)
{
    SIZE_T n = 0;
    if (Source)
        while (Source[n] && n < 0x7FFE)
            n++;
    Dest->Buffer = (PWSTR)Source;
    Dest->Length = (USHORT)(n * sizeof(WCHAR));
    Dest->MaximumLength = Source ? (USHORT)((n + 1) * sizeof(WCHAR)) : 0;
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN CaseInsensitive)
{
    SIZE_T na = a->Length / sizeof(WCHAR), nb = b->Length / sizeof(WCHAR);
    SIZE_T n = na < nb ? na : nb;
    for (SIZE_T i = 0; i < n; i++) {
        WCHAR x = a->Buffer[i], y = b->Buffer[i];
        if (CaseInsensitive) {
            x = RtlUpcaseUnicodeChar(x);
            y = RtlUpcaseUnicodeChar(y);
        }
        if (x != y)
            return (LONG)x - (LONG)y;
    }
    return (LONG)na - (LONG)nb;
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN CaseInsensitive)
{
    return a->Length == b->Length && RtlCompareUnicodeString(a, b, CaseInsensitive) == 0;
}

BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING Prefix, PCUNICODE_STRING s, BOOLEAN CaseInsensitive)
{
    if (Prefix->Length > s->Length)
        return FALSE;
    UNICODE_STRING head = { Prefix->Length, Prefix->Length, s->Buffer };
    return RtlCompareUnicodeString(Prefix, &head, CaseInsensitive) == 0;
}

VOID RtlCopyUnicodeString(PUNICODE_STRING Dest, PCUNICODE_STRING Source)
{
    if (!Source || !Source->Buffer) {
        Dest->Length = 0;
        return;
    }
    USHORT n = Source->Length < Dest->MaximumLength ? Source->Length : Dest->MaximumLength;
    RtlMoveMemory(Dest->Buffer, Source->Buffer, n);
    Dest->Length = n;
    if (n + sizeof(WCHAR) <= Dest->MaximumLength)
        Dest->Buffer[n / sizeof(WCHAR)] = 0;
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Dest, PCUNICODE_STRING Source)
{
    if ((ULONG)Dest->Length + Source->Length > Dest->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    RtlMoveMemory((PUCHAR)Dest->Buffer + Dest->Length, Source->Buffer, Source->Length);
    Dest->Length += Source->Length;
    if ((ULONG)Dest->Length + sizeof(WCHAR) <= Dest->MaximumLength)
        Dest->Buffer[Dest->Length / sizeof(WCHAR)] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Dest, PCWSTR Source)
{
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, Source);
    return RtlAppendUnicodeStringToString(Dest, &s);
}

NTSTATUS RtlAsciiToUnicodeString(PUNICODE_STRING Dest, PCSTR Source)
{
    SIZE_T n = 0;
    while (Source[n])
        n++;
    if ((n + 1) * sizeof(WCHAR) > Dest->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    for (SIZE_T i = 0; i < n; i++)
        Dest->Buffer[i] = (UCHAR)Source[i];
    Dest->Buffer[n] = 0;
    Dest->Length = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

VOID RtlUnicodeToAscii(PCHAR Dest, SIZE_T DestSize, PCUNICODE_STRING Source)
{
    if (!DestSize)
        return;
    SIZE_T n = Source && Source->Buffer ? Source->Length / sizeof(WCHAR) : 0;
    if (n > DestSize - 1)
        n = DestSize - 1;
    for (SIZE_T i = 0; i < n; i++) {
        WCHAR c = Source->Buffer[i];
        Dest[i] = (CHAR)(c < 0x80 ? c : '?');
    }
    Dest[n] = 0;
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
    WCHAR tmp[33];
    SIZE_T n = 0;
    if (Base == 0)
        Base = 10;
    if (Base != 2 && Base != 8 && Base != 10 && Base != 16)
        return STATUS_INVALID_PARAMETER;
    do {
        ULONG d = Value % Base;
        tmp[n++] = (WCHAR)(d < 10 ? '0' + d : 'A' + d - 10);
        Value /= Base;
    } while (Value);
    if ((n + 1) * sizeof(WCHAR) > String->MaximumLength)
        return STATUS_BUFFER_OVERFLOW;
    for (SIZE_T i = 0; i < n; i++)
        String->Buffer[i] = tmp[n - 1 - i];
    String->Buffer[n] = 0;
    String->Length = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}
