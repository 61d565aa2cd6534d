/* cmd_disk_rawbench.c - `bench ... raw=1`: the same reads issued straight
 * on the AHCI port in the port driver's tight polled loop
 * (IOCTL_NTSTOR_AHCI_RAW_BENCH), with no file object, IRP, class driver or
 * SRB per command.  Comparing its line (mode=raw) with the full-path line
 * of the same bs/qd shows what the NT layers cost (DESIGN.md: within 10%).
 *
 * The IOCTL runs a fixed number of commands, so a short probe run first
 * sizes the real one to last about `seconds`. */
#include "cmd_disk.h"

#define RAW_PROBE_IOS 512ull
#define RAW_MAX_IOS 1000000000ull

static NTSTATUS RawRun(PDISK_SHELL Disk, NTSTOR_AHCI_RAW_BENCH *b, BOOLEAN Random, ULONG Bs,
                       ULONG Qd, ULONG64 Ios)
{
    RtlZeroMemory(b, sizeof(*b));
    b->Size = sizeof(*b);
    b->Random = Random;
    b->BlockBytes = Bs;
    b->QueueDepth = Qd;
    b->Ios = Ios;
    b->Seed = 0x9E3779B97F4A7C15ull;
    return DiskShellIoctl(Disk, IOCTL_NTSTOR_AHCI_RAW_BENCH, b, sizeof(*b), b, sizeof(*b), NULL);
}

INT DiskShellRawBench(PDISK_SHELL Disk, PCSTR RwText, BOOLEAN Write, BOOLEAN Random, ULONG64 Bs,
                      ULONG64 Qd, ULONG64 Seconds)
{
    NTSTOR_AHCI_RAW_BENCH b;

    if (Write)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "raw mode reads only (rw=read or randread)",
                           "bench disk=%u", Disk->Number);
    if (!Disk->HaveAhci)
        return ShellErrorF(STATUS_NOT_SUPPORTED, "raw mode needs a disk on the AHCI driver",
                           "bench disk=%u", Disk->Number);
    NTSTATUS s = RawRun(Disk, &b, Random, (ULONG)Bs, (ULONG)Qd, RAW_PROBE_IOS);
    if (NT_SUCCESS(s) && b.ElapsedUs) {
        ULONG64 ios = b.Completed * Seconds * 1000000ull / b.ElapsedUs;
        s = RawRun(Disk, &b, Random, (ULONG)Bs, (ULONG)Qd,
                   ios < RAW_PROBE_IOS ? RAW_PROBE_IOS : ios > RAW_MAX_IOS ? RAW_MAX_IOS : ios);
    }
    if (!NT_SUCCESS(s))
        return ShellErrorF(s, DiskShellWhy(s), "bench disk=%u raw=1", Disk->Number);
    ULONG64 iops = b.ElapsedUs ? b.Completed * 1000000ull / b.ElapsedUs : 0;
    ULONG64 mbps10 = b.ElapsedUs ? b.Completed * Bs * 10 / b.ElapsedUs : 0;
    ConPrintf("bench disk=%u rw=%s bs=%llu qd=%llu mode=raw ios=%llu iops=%llu mbps=%llu.%llu "
              "p50_us=%u p99_us=%u max_us=%u errors=%llu\n", Disk->Number, RwText, Bs, Qd,
              b.Completed, iops, mbps10 / 10, mbps10 % 10, b.P50Us, b.P99Us, b.MaxUs, b.Errors);
    return b.Errors ? 1 : 0;
}
