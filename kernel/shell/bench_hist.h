/* bench_hist.h - the latency histogram of `bench`: log-linear buckets
 * (exact microseconds below 1024 us, then 512 buckets per power of two,
 * so every value from 0 to 2^40 us lands in a bucket at most 0.2% wide and
 * nothing is clipped).  Pure C: the host unit tests run it as it is. */
#ifndef NTSTOR_BENCH_HIST_H
#define NTSTOR_BENCH_HIST_H

#include <ntdef.h>

#define BENCH_HIST_LINEAR   1024u           /* 1 us buckets below this */
#define BENCH_HIST_SUB_BITS 9u              /* 512 buckets per octave above it */
#define BENCH_HIST_OCTAVES  30u             /* 2^10 .. 2^40 us */
#define BENCH_HIST_BUCKETS  (BENCH_HIST_LINEAR + BENCH_HIST_OCTAVES * (1u << BENCH_HIST_SUB_BITS))

typedef struct _BENCH_HIST {
    ULONG64 Count;
    ULONG64 MaxUs;
    ULONG Buckets[BENCH_HIST_BUCKETS];
} BENCH_HIST;

VOID BenchHistAdd(BENCH_HIST *Hist, ULONG64 Us);
/* The smallest value v such that at least PerMille/1000 of the samples
 * are <= v's bucket (the bucket's lower bound; exact below 1024 us).
 * 0 with no samples. */
ULONG64 BenchHistPercentile(const BENCH_HIST *Hist, ULONG PerMille);

#endif
