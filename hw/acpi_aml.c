/* acpi_aml.c - finds \_S5 (the soft-off sleep type) in AML bytes without an
 * AML interpreter.  Firmware nearly always declares it as a named constant
 * package, which is a fixed byte pattern (ACPI 6.5, 20.2.5.1 NameOp,
 * 20.2.5.4 PackageOp, 20.2.4 PkgLength, 20.2.3 data objects):
 *
 *   08 [5C] '_S5_' 12 <PkgLength> <NumElements> <SLP_TYPa> <SLP_TYPb> ...
 *
 * where each element is ZeroOp, OneOp, or BytePrefix/WordPrefix/DWordPrefix
 * followed by the value.  Every read is bounded by the package and the
 * buffer; a match that does not decode cleanly is skipped and the search
 * goes on (the string may also appear inside a method body). */
#include "acpip.h"
#include <regs/acpi.h>

/* Decodes one integer data object at Aml[*Pos] within [.., End). */
static BOOLEAN HalpAmlReadInteger(const UCHAR *Aml, ULONG End, ULONG *Pos, ULONG64 *Value)
{
    ULONG p = *Pos;
    ULONG size;

    if (p >= End)
        return FALSE;
    switch (Aml[p]) {
    case AML_ZERO_OP: *Value = 0; *Pos = p + 1; return TRUE;
    case AML_ONE_OP:  *Value = 1; *Pos = p + 1; return TRUE;
    case AML_BYTE_PREFIX:  size = 1; break;
    case AML_WORD_PREFIX:  size = 2; break;
    case AML_DWORD_PREFIX: size = 4; break;
    case AML_QWORD_PREFIX: size = 8; break;
    default: return FALSE;  /* OnesOp, names, method calls: not a constant we trust */
    }
    if (End - p - 1 < size)
        return FALSE;
    *Value = 0;
    for (ULONG i = 0; i < size; i++)
        *Value |= (ULONG64)Aml[p + 1 + i] << (8 * i);
    *Pos = p + 1 + size;
    return TRUE;
}

/* Decodes the package that starts at Aml[Pos] (the PackageOp). */
static BOOLEAN HalpAmlDecodeS5Package(const UCHAR *Aml, ULONG Length, ULONG Pos,
                                      PUCHAR SlpTypA, PUCHAR SlpTypB)
{
    ULONG follow, pkgLength, end, count;
    ULONG64 a, b;

    if (Pos >= Length || Aml[Pos] != AML_PACKAGE_OP)
        return FALSE;
    Pos++;
    if (Pos >= Length)
        return FALSE;
    /* PkgLength: bits 7:6 of the lead byte count the bytes that follow; with
     * none, bits 5:0 are the length, else bits 3:0 are its low nibble. */
    follow = Aml[Pos] >> 6;
    if (Length - Pos < 1 + follow)
        return FALSE;
    if (follow == 0) {
        pkgLength = Aml[Pos] & 0x3F;
    } else {
        pkgLength = Aml[Pos] & 0x0F;
        for (ULONG i = 0; i < follow; i++)
            pkgLength |= (ULONG)Aml[Pos + 1 + i] << (4 + 8 * i);
    }
    /* The length counts itself, so it must cover the PkgLength bytes. */
    if (pkgLength < 1 + follow || pkgLength > Length - Pos)
        return FALSE;
    end = Pos + pkgLength;
    Pos += 1 + follow;
    if (Pos >= end)
        return FALSE;
    count = Aml[Pos++];
    if (count < 1)
        return FALSE;
    if (!HalpAmlReadInteger(Aml, end, &Pos, &a))
        return FALSE;
    /* Old firmware gives a single element; the B register then gets A's
     * value (only PM1a is present on such machines anyway). */
    b = a;
    if (count >= 2 && !HalpAmlReadInteger(Aml, end, &Pos, &b))
        return FALSE;
    /* SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1). */
    if (a > 7 || b > 7)
        return FALSE;
    *SlpTypA = (UCHAR)a;
    *SlpTypB = (UCHAR)b;
    return TRUE;
}

BOOLEAN HalpAmlFindS5(const UCHAR *Aml, ULONG Length, PUCHAR SlpTypA, PUCHAR SlpTypB)
{
    if (!Aml || Length < 6)
        return FALSE;
    for (ULONG i = 1; i + 4 <= Length; i++) {
        if (Aml[i] != '_' || Aml[i + 1] != 'S' || Aml[i + 2] != '5' || Aml[i + 3] != '_')
            continue;
        BOOLEAN named = Aml[i - 1] == AML_NAME_OP ||
                        (i >= 2 && Aml[i - 1] == AML_ROOT_CHAR && Aml[i - 2] == AML_NAME_OP);
        if (!named)
            continue;
        if (HalpAmlDecodeS5Package(Aml, Length, i + 4, SlpTypA, SlpTypB))
            return TRUE;
    }
    return FALSE;
}
