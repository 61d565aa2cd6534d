/* ntstor_bench_hist.h - the latency histogram of `bench` and of the AHCI
 * port's raw loop (IOCTL_NTSTOR_AHCI_RAW_BENCH): log-linear buckets (exact
 * microseconds below 1024 us, then 512 buckets per power of two, so every
 * value from 0 to 2^40 us lands in a bucket at most 0.2% wide and nothing
 * is clipped).  Header-only and pure C because both the shell (kernel) and
 * a driver image (which sees only include/) use it, and the two must
 * compute their percentiles the same way for the yardstick to be fair. */
#ifndef NTSTOR_BENCH_HIST_H
#define NTSTOR_BENCH_HIST_H

#include <ntdef.h>

#define BENCH_HIST_LINEAR   1024u           /* 1 us buckets below this */
#define BENCH_HIST_SUB_BITS 9u              /* 512 buckets per octave above it */
#define BENCH_HIST_OCTAVES  30u             /* 2^10 .. 2^40 us */
#define BENCH_HIST_BUCKETS  (BENCH_HIST_LINEAR + BENCH_HIST_OCTAVES * (1u << BENCH_HIST_SUB_BITS))

/* The points of the latency CDF `bench ... cdf=1` prints, in 1/100000:
 * the same list tools/bench.py hands fio (percentile_list, at most 20
 * entries), so ntstor, raw and Linux are plotted at identical points. */
#define BENCH_CDF_POINTS 19
#define BENCH_CDF_LIST { 1000, 5000, 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, \
                         90000, 95000, 97000, 98000, 99000, 99500, 99900, 99950, 99990 }

typedef struct _BENCH_HIST {
    ULONG64 Count;
    ULONG64 MaxUs;
    ULONG Buckets[BENCH_HIST_BUCKETS];
} BENCH_HIST;

static inline ULONG BenchHistIndex(ULONG64 Us)
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

static inline ULONG64 BenchHistLowerBound(ULONG Index)
{
    if (Index < BENCH_HIST_LINEAR)
        return Index;
    ULONG octave = (Index - BENCH_HIST_LINEAR) >> BENCH_HIST_SUB_BITS;
    ULONG sub = (Index - BENCH_HIST_LINEAR) & ((1u << BENCH_HIST_SUB_BITS) - 1);
    ULONG msb = octave + 10;
    return (1ull << msb) | ((ULONG64)sub << (msb - BENCH_HIST_SUB_BITS));
}

static inline VOID BenchHistAdd(BENCH_HIST *Hist, ULONG64 Us)
{
    Hist->Buckets[BenchHistIndex(Us)]++;
    Hist->Count++;
    if (Us > Hist->MaxUs)
        Hist->MaxUs = Us;
}

/* Adds Other's samples to Hist (several disks' runs reported as one). */
static inline VOID BenchHistMerge(BENCH_HIST *Hist, const BENCH_HIST *Other)
{
    for (ULONG i = 0; i < BENCH_HIST_BUCKETS; i++)
        Hist->Buckets[i] += Other->Buckets[i];
    Hist->Count += Other->Count;
    if (Other->MaxUs > Hist->MaxUs)
        Hist->MaxUs = Other->MaxUs;
}

/* The smallest value v such that at least Per100k/100000 of the samples
 * are <= v's bucket (the bucket's lower bound; exact below 1024 us).
 * 0 with no samples. */
static inline ULONG64 BenchHistQuantile(const BENCH_HIST *Hist, ULONG Per100k)
{
    ULONG64 seen = 0;

    if (!Hist->Count)
        return 0;
    for (ULONG i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += Hist->Buckets[i];
        if (seen * 100000 >= Hist->Count * Per100k) {
            ULONG64 v = BenchHistLowerBound(i);
            return v > Hist->MaxUs ? Hist->MaxUs : v;
        }
    }
    return Hist->MaxUs;
}

static inline ULONG64 BenchHistPercentile(const BENCH_HIST *Hist, ULONG PerMille)
{
    return BenchHistQuantile(Hist, PerMille * 100);
}

#endif
