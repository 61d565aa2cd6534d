/* rtl.h - kernel-internal run-time helpers beyond include/wdm/rtl.h. */
#ifndef NTSTOR_RTL_H
#define NTSTOR_RTL_H

#include <wdm.h>

/* "STATUS_INVALID_PARAMETER" etc.; unknown codes as "STATUS_0xC0001234". */
PCSTR RtlNtStatusName(NTSTATUS Status);

/* NUL-terminated ASCII helpers (the shell and config code work in ASCII). */
SIZE_T RtlAsciiLength(PCSTR s);
INT RtlAsciiCompare(PCSTR a, PCSTR b, BOOLEAN CaseInsensitive);
INT RtlAsciiCompareN(PCSTR a, PCSTR b, SIZE_T n, BOOLEAN CaseInsensitive);
/* Copies at most DestSize-1 chars and always terminates. */
VOID RtlAsciiCopy(PCHAR Dest, SIZE_T DestSize, PCSTR Source);
/* Decimal or 0x-hex, whole string; FALSE on garbage or overflow. */
BOOLEAN RtlAsciiToU64(PCSTR Text, ULONG64 *Value);
/* "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" into Text (at least 37 bytes). */
VOID RtlFormatGuidA(const GUID *Guid, PCHAR Text, SIZE_T TextSize);

/* DESIGN.md's data pattern: splitmix64 and the 512-byte block filler used by
 * write/verify.  Block b of a seed holds splitmix64(seed + b*64 + i) in
 * 64-bit little-endian word i. */
static inline ULONG64 RtlSplitMix64(ULONG64 x)
{
    ULONG64 z = x + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
VOID RtlFillPatternBlock(PVOID Block512, ULONG64 Seed, ULONG64 BlockIndex);
/* Number of 64-bit words in Block512 that differ from the pattern. */
ULONG RtlCheckPatternBlock(const VOID *Block512, ULONG64 Seed, ULONG64 BlockIndex);

#endif
