/* cmd_disk_rawbench.c - `bench ... raw=1`: the same reads or writes issued
 * straight on the AHCI port in the port driver's own polled loop
 * (IOCTL_NTSTOR_AHCI_RAW_BENCH, drivers/ahci/bench.c), with no file object,
 * IRP, class driver or SRB per command but the same register looks per
 * pass as the NT path's poll, a buffer per slot and the same clock.  Its
 * line (mode=raw) has the fields of the full-path line, so tools/bench.py
 * reads both alike; the gap between them is what the NT layers cost
 * (DESIGN.md "Performance targets"). */
#include "cmd_disk.h"

VOID DiskShellPrintCdf(PCSTR Disk, PCSTR Mode, const ULONG64 *CdfUs, ULONG64 MaxUs)
{
    static const ULONG points[BENCH_CDF_POINTS] = BENCH_CDF_LIST;
    CHAR pcm[BENCH_CDF_POINTS * 8 + 8], us[BENCH_CDF_POINTS * 22 + 24];
    SIZE_T p = 0, u = 0;

    pcm[0] = us[0] = 0;
    for (ULONG i = 0; i < BENCH_CDF_POINTS; i++) {
        RtlStringCbPrintfA(pcm + p, sizeof(pcm) - p, "%s%u", i ? "," : "", points[i]);
        p += RtlAsciiLength(pcm + p);
        RtlStringCbPrintfA(us + u, sizeof(us) - u, "%s%llu", i ? "," : "", CdfUs[i]);
        u += RtlAsciiLength(us + u);
    }
    RtlStringCbPrintfA(us + u, sizeof(us) - u, ",%llu", MaxUs);
    ConPrintf("bench-cdf disk=%s mode=%s pcm=%s,100000 us=%s\n", Disk, Mode, pcm, us);
}

INT DiskShellRawBench(PDISK_SHELL Disk, PCSTR RwText, BOOLEAN Write, BOOLEAN Random, ULONG64 Bs,
                      ULONG64 Qd, ULONG64 Seconds, BOOLEAN Cdf)
{
    NTSTOR_AHCI_RAW_BENCH b;
    CHAR diskNum[16];

    if (!Disk->HaveAhci)
        return ShellErrorF(STATUS_NOT_SUPPORTED, "raw mode needs a disk on the AHCI driver",
                           "bench disk=%u", Disk->Number);
    if (Write && !Disk->Info.Writable)
        return ShellErrorF(STATUS_MEDIA_WRITE_PROTECTED, DiskShellWhy(STATUS_MEDIA_WRITE_PROTECTED),
                           "bench disk=%u raw=1", Disk->Number);
    RtlZeroMemory(&b, sizeof(b));
    b.Size = sizeof(b);
    b.Random = Random;
    b.Write = Write;
    b.BlockBytes = (ULONG)Bs;
    b.QueueDepth = (ULONG)Qd;
    b.DurationUs = Seconds * 1000000ull;
    b.Seed = 0x9E3779B97F4A7C15ull;     /* bench's own, so both visit the same LBAs */
    NTSTATUS s = DiskShellIoctl(Disk, IOCTL_NTSTOR_AHCI_RAW_BENCH, &b, sizeof(b), &b, sizeof(b), NULL);
    if (!NT_SUCCESS(s))
        return ShellErrorF(s, DiskShellWhy(s), "bench disk=%u raw=1", Disk->Number);
    ULONG64 us = b.ElapsedUs, tscHz = KeQueryTscFrequency();
    ULONG64 iops = us ? b.Completed * 1000000ull / us : 0;
    ULONG64 mbps10 = us ? b.Completed * Bs * 10 / us : 0;
    ULONG64 depth10 = us ? b.LatencyTicks * 10000000ull / tscHz / us : 0;
    /* BENCH_CDF_LIST holds 50%, 90%, 99% and 99.9% at these indexes. */
    ConPrintf("bench disk=%u rw=%s bs=%llu qd=%llu mode=raw ios=%llu iops=%llu mbps=%llu.%llu "
              "p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu avg_qd=%llu.%llu "
              "elapsed_us=%llu errors=%llu doorbells=%llu looks=%llu\n", Disk->Number, RwText, Bs,
              Qd, b.Completed, iops, mbps10 / 10, mbps10 % 10, b.CdfUs[6], b.CdfUs[10], b.CdfUs[14],
              b.CdfUs[16], b.MaxUs, depth10 / 10, depth10 % 10, us, b.Errors, b.Doorbells, b.Looks);
    if (Cdf) {
        RtlStringCbPrintfA(diskNum, sizeof(diskNum), "%u", Disk->Number);
        DiskShellPrintCdf(diskNum, "raw", b.CdfUs, b.MaxUs);
    }
    return b.Errors ? 1 : 0;
}
