/* bench_hist.c - bench's log-linear latency histogram (bench_hist.h).
 * A fixed 1 us grid clipped everything past its end into one bucket, so a
 * p99 of 3 s printed as the grid's last value; here the grid widens with
 * the value instead, as HDR-style histograms do. */
#include "bench_hist.h"

static ULONG BenchHistIndex(ULONG64 Us)
{
    if (Us < BENCH_HIST_LINEAR)
        return (ULONG)Us;
    ULONG msb = 63 - (ULONG)__builtin_clzll(Us);             /* >= 10 */
    ULONG octave = msb - 10;
    if (octave >= BENCH_HIST_OCTAVES)
        return BENCH_HIST_BUCKETS - 1;
    ULONG sub = (ULONG)(Us >> (msb - BENCH_HIST_SUB_BITS)) & ((1u << BENCH_HIST_SUB_BITS) - 1);
    return BENCH_HIST_LINEAR + (octave << BENCH_HIST_SUB_BITS) + sub;
}

static ULONG64 BenchHistLowerBound(ULONG Index)
{
    if (Index < BENCH_HIST_LINEAR)
        return Index;
    ULONG octave = (Index - BENCH_HIST_LINEAR) >> BENCH_HIST_SUB_BITS;
    ULONG sub = (Index - BENCH_HIST_LINEAR) & ((1u << BENCH_HIST_SUB_BITS) - 1);
    ULONG msb = octave + 10;
    return (1ull << msb) | ((ULONG64)sub << (msb - BENCH_HIST_SUB_BITS));
}

VOID BenchHistAdd(BENCH_HIST *Hist, ULONG64 Us)
{
    Hist->Buckets[BenchHistIndex(Us)]++;
    Hist->Count++;
    if (Us > Hist->MaxUs)
        Hist->MaxUs = Us;
}

ULONG64 BenchHistPercentile(const BENCH_HIST *Hist, ULONG PerMille)
{
    ULONG64 seen = 0;

    if (!Hist->Count)
        return 0;
    for (ULONG i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += Hist->Buckets[i];
        if (seen * 1000 >= Hist->Count * PerMille) {
            ULONG64 v = BenchHistLowerBound(i);
            return v > Hist->MaxUs ? Hist->MaxUs : v;
        }
    }
    return Hist->MaxUs;
}
