/* pattern.c - DESIGN.md's write/verify data pattern, in one place for the
 * shell, the benchmark and the tests. */
#include <ntos.h>

VOID RtlFillPatternBlock(PVOID Block512, ULONG64 Seed, ULONG64 BlockIndex)
{
    ULONG64 *w = Block512;
    ULONG64 base = Seed + BlockIndex * 64;
    for (ULONG i = 0; i < 64; i++)
        w[i] = RtlSplitMix64(base + i);
}

ULONG RtlCheckPatternBlock(const VOID *Block512, ULONG64 Seed, ULONG64 BlockIndex)
{
    const ULONG64 *w = Block512;
    ULONG64 base = Seed + BlockIndex * 64;
    ULONG bad = 0;
    for (ULONG i = 0; i < 64; i++)
        bad += w[i] != RtlSplitMix64(base + i);
    return bad;
}
