/* escape.c - device text made safe to print (RtlEscapeDeviceText).
 *
 * Model, serial, firmware, INQUIRY fields and GPT partition names are
 * written by whoever made the disk.  Printed as they are, a control byte
 * could start a line of its own that looks like shell output, move the
 * cursor or clear the screen, and a '"' could end a quoted key="value"
 * field early (DESIGN.md "Safety").  This is the one place that decides how
 * such text is shown: docs/decisions.md "Device text" has the rule. */
#include <wdm.h>

typedef struct _RTLP_ESCAPE_OUT {
    PSTR Buffer;
    SIZE_T Size;        /* capacity including the terminator */
    SIZE_T Length;
    BOOLEAN Truncated;
} RTLP_ESCAPE_OUT;

/* Appends a whole escape sequence or nothing: half of one would leave a '\'
 * that escapes whatever the caller prints next (the closing quote). */
static VOID RtlpEscapeAppend(RTLP_ESCAPE_OUT *Out, PCSTR Text, SIZE_T Length)
{
    if (Out->Truncated || Out->Length + Length >= Out->Size) {
        Out->Truncated = TRUE;
        return;
    }
    for (SIZE_T i = 0; i < Length; i++)
        Out->Buffer[Out->Length++] = Text[i];
}

/* One byte (Wide FALSE) or one UTF-16 code unit (Wide TRUE). */
static VOID RtlpEscapeUnit(RTLP_ESCAPE_OUT *Out, ULONG Unit, BOOLEAN Wide)
{
    static const CHAR hex[] = "0123456789abcdef";
    CHAR seq[6];

    if (Unit == '"' || Unit == '\\') {
        seq[0] = '\\';
        seq[1] = (CHAR)Unit;
        RtlpEscapeAppend(Out, seq, 2);
    } else if (Unit >= 0x20 && Unit < 0x7F) {
        seq[0] = (CHAR)Unit;
        RtlpEscapeAppend(Out, seq, 1);
    } else if (Wide && Unit >= 0x80) {
        seq[0] = '\\';
        seq[1] = 'u';
        for (ULONG i = 0; i < 4; i++)
            seq[2 + i] = hex[(Unit >> (12 - 4 * i)) & 0xF];
        RtlpEscapeAppend(Out, seq, 6);
    } else {
        seq[0] = '\\';
        seq[1] = 'x';
        seq[2] = hex[(Unit >> 4) & 0xF];
        seq[3] = hex[Unit & 0xF];
        RtlpEscapeAppend(Out, seq, 4);
    }
}

static NTSTATUS RtlpEscapeFinish(RTLP_ESCAPE_OUT *Out)
{
    Out->Buffer[Out->Length] = 0;
    return Out->Truncated ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS RtlEscapeDeviceText(PSTR Dest, SIZE_T DestSize, PCSTR Source, SIZE_T Length)
{
    RTLP_ESCAPE_OUT out = { Dest, DestSize, 0, FALSE };

    if (!Dest || DestSize == 0)
        return STATUS_INVALID_PARAMETER;
    for (SIZE_T i = 0; Source && i < Length && Source[i]; i++)
        RtlpEscapeUnit(&out, (UCHAR)Source[i], FALSE);
    return RtlpEscapeFinish(&out);
}

NTSTATUS RtlEscapeDeviceTextW(PSTR Dest, SIZE_T DestSize, PCWSTR Source, SIZE_T Chars)
{
    RTLP_ESCAPE_OUT out = { Dest, DestSize, 0, FALSE };

    if (!Dest || DestSize == 0)
        return STATUS_INVALID_PARAMETER;
    for (SIZE_T i = 0; Source && i < Chars && Source[i]; i++)
        RtlpEscapeUnit(&out, Source[i], TRUE);
    return RtlpEscapeFinish(&out);
}
