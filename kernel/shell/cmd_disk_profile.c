/* cmd_disk_profile.c - `bench ... profile=1`'s output: one line per layer
 * of the NT path (kernel/io/profile.c names them), then the whole:
 *
 *   bench-profile disk=1 layer=disk ios=41230 avg_cyc=1830 p50_cyc=1712 p99_cyc=3320
 *                 avg_ns=610 p50_ns=570 p99_ns=1106
 *   ...
 *   bench-profile disk=1 layer=total ios=41230 skipped=0 avg_cyc=... bench_avg_ns=<n>
 *
 * The layers' averages add up to total's (each request contributes to every
 * layer); percentiles do not add.  bench_avg_ns is bench's own mean latency
 * (its stamp before NtReadFile to its ApcRoutine), which also holds the
 * call into the I/O manager and the profile's own accounting, so it is a
 * little above total.  Cycles are the TSC's; ns from its frequency. */
#include "cmd_disk.h"

static ULONG64 ProfileNs(ULONG64 Cycles, ULONG64 TscHz)
{
    /* kHz keeps the product within 64 bits for any span under ~5 hours. */
    ULONG64 khz = TscHz / 1000;
    return khz ? Cycles * 1000000ull / khz : 0;
}

VOID DiskShellPrintProfile(PCSTR Disk, PIO_PROFILE Profile, ULONG64 TscHz, ULONG64 BenchAvgCycles)
{
    for (ULONG l = 0; l <= IO_PROFILE_LAYERS; l++) {
        const BENCH_HIST *h = &Profile->Hist[l];
        ULONG64 avg = Profile->Ios ? Profile->Sum[l] / Profile->Ios : 0;
        ULONG64 p50 = BenchHistPercentile(h, 500), p99 = BenchHistPercentile(h, 990);
        CHAR extra[80] = "";

        if (l == IO_PROFILE_LAYERS)
            RtlStringCbPrintfA(extra, sizeof(extra), " skipped=%llu bench_avg_ns=%llu",
                               Profile->Skipped, ProfileNs(BenchAvgCycles, TscHz));
        ConPrintf("bench-profile disk=%s layer=%s ios=%llu avg_cyc=%llu p50_cyc=%llu p99_cyc=%llu "
                  "avg_ns=%llu p50_ns=%llu p99_ns=%llu%s\n", Disk, IoProfileLayerName(l),
                  Profile->Ios, avg, p50, p99, ProfileNs(avg, TscHz), ProfileNs(p50, TscHz),
                  ProfileNs(p99, TscHz), extra);
    }
}
