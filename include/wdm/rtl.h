/* wdm/rtl.h - run-time library routines exported to drivers (kernel/rtl/). */
#ifndef NTSTOR_WDM_RTL_H
#define NTSTOR_WDM_RTL_H

#include <ntdef.h>

#define RtlCopyMemory(d, s, n)   __builtin_memcpy((d), (s), (n))
#define RtlMoveMemory(d, s, n)   __builtin_memmove((d), (s), (n))
#define RtlZeroMemory(d, n)      __builtin_memset((d), 0, (n))
#define RtlFillMemory(d, n, v)   __builtin_memset((d), (v), (n))
#define RtlEqualMemory(a, b, n)  (__builtin_memcmp((a), (b), (n)) == 0)

/* Number of leading bytes that are equal. */
SIZE_T RtlCompareMemory(const VOID *a, const VOID *b, SIZE_T n);

VOID RtlInitUnicodeString(PUNICODE_STRING Dest, PCWSTR Source);
BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN CaseInsensitive);
LONG RtlCompareUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN CaseInsensitive);
BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING Prefix, PCUNICODE_STRING s, BOOLEAN CaseInsensitive);
/* Copies as much as fits in Dest->MaximumLength. */
VOID RtlCopyUnicodeString(PUNICODE_STRING Dest, PCUNICODE_STRING Source);
NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Dest, PCUNICODE_STRING Source);
NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Dest, PCWSTR Source);
/* ASCII <-> UTF-16 for the 7-bit range ntstor names use.  The ASCII
 * result is always NUL-terminated (truncated to fit). */
NTSTATUS RtlAsciiToUnicodeString(PUNICODE_STRING Dest, PCSTR Source);
VOID RtlUnicodeToAscii(PCHAR Dest, SIZE_T DestSize, PCUNICODE_STRING Source);
WCHAR RtlUpcaseUnicodeChar(WCHAR c);
NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String);

/* IEEE CRC-32 (zlib's crc32): crc = RtlComputeCrc32(0, buf, len). */
ULONG RtlComputeCrc32(ULONG PartialCrc, const VOID *Buffer, ULONG Length);

/* Bounded formatting (ntstrsafe shape).  Formats: %d %i %u %x %X %o %c %s %p
 * %% with flags '-' '0' width and precision, length modifiers hh h l ll z;
 * %wZ takes a PUNICODE_STRING, %ws a PCWSTR, %Z a PANSI_STRING.
 * Always NUL-terminates; returns STATUS_BUFFER_OVERFLOW when truncated. */
NTSTATUS RtlStringCbPrintfA(PSTR Dest, SIZE_T Size, PCSTR Format, ...)
    __attribute__((format(printf, 3, 4)));
NTSTATUS RtlStringCbVPrintfA(PSTR Dest, SIZE_T Size, PCSTR Format, va_list Args);

/* Text a device reported (model, serial, firmware, INQUIRY fields, GPT
 * partition names) made safe to print, so a disk cannot forge a line of
 * output, move the cursor or end a quoted key="value" field early
 * (DESIGN.md "Safety"; the rule is in docs/decisions.md "Device text"):
 * printable ASCII stays as it is except '"' -> \" and '\' -> \\; any other
 * byte -> \xNN; in the UTF-16 form, a code unit from 0x80 up -> \uNNNN.
 * Stops at the first NUL or after Length bytes (Chars code units).  Dest is
 * always NUL-terminated and never ends in half an escape; returns
 * STATUS_BUFFER_OVERFLOW when cut short.  RTL_ESCAPED_SIZE(n) bytes hold
 * the escaped form of any n bytes or code units. */
#define RTL_ESCAPED_SIZE(n) ((n) * 6 + 1)
NTSTATUS RtlEscapeDeviceText(PSTR Dest, SIZE_T DestSize, PCSTR Source, SIZE_T Length);
NTSTATUS RtlEscapeDeviceTextW(PSTR Dest, SIZE_T DestSize, PCWSTR Source, SIZE_T Chars);

/* Debug output to the kernel log (timestamped) and the console. */
ULONG DbgPrint(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));

#endif
