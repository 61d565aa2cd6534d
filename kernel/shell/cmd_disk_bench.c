/* cmd_disk_bench.c - `bench disk=<n> rw=randread|randwrite|read|write
 * bs=<bytes> qd=<n> seconds=<s> mode=poll|irq`: keeps qd asynchronous
 * NtReadFile/NtWriteFile requests in flight on \??\PhysicalDrive<n> (the
 * full NT path: file object, IRP, disk class driver, SRB, AHCI) for the
 * given time and prints one line:
 *
 *   bench disk=0 rw=randread bs=4096 qd=1 mode=poll ios=51234 iops=12806 mbps=52.4
 *         p50_us=70 p99_us=95 max_us=410                                      (one line)
 *
 * span=<sectors> keeps every request inside LBAs 0..span-1 (default: the
 * whole disk), so seed= can check reads of a disk whose pattern covers only
 * that much (a big scratch disk on real hardware: tests/hw).
 *
 * Everything is allocated before the timed loop (buffers, slots, the
 * latency histogram); the loop only issues and reaps.  mode=poll asks for
 * polled completion on the handle (NtSetPolledCompletion): the port keeps
 * all qd requests in flight and the loop drives their completion with
 * IoPollDevice after each pass.  Completion routines (ApcRoutine) run inside
 * IoCompleteRequest -- from NtPollFile in polled mode, from the DPC with
 * interrupts -- and only stamp the slot; the loop refills it, so the call
 * depth stays bounded (kernel/include/io.h).  Latency is TSC ticks from
 * issue to completion.
 *
 * raw=1 runs the same reads in the AHCI driver's own loop instead
 * (cmd_disk_rawbench.c), to show what the NT path costs.
 *
 * seed=<n> (reads): the disk holds DESIGN.md's pattern with that seed;
 * each buffer is poisoned before its read and every successful read is
 * checked against the pattern, so a read that completes without its data
 * shows: the line ends with `checked=<reads> bad_blocks=<n> first_bad_lba=<lba|->`. */
#include "cmd_disk.h"

#define BENCH_MAX_QD 128
#define BENCH_MAX_BS (4 * 1024 * 1024)
#define BENCH_MAX_SECONDS 600
#define BENCH_HIST_US 20000         /* 1 us buckets; slower completions share the last */
#define BENCH_DRAIN_US 30000000ull  /* outstanding requests at the end: 30 s at most */

typedef struct _BENCH_SLOT {
    IO_STATUS_BLOCK Iosb;
    LARGE_INTEGER Offset;
    PUCHAR Buffer;
    ULONG64 Start, End;
    volatile LONG Busy;         /* issued, not yet completed */
    volatile LONG Done;         /* completed, not yet reaped */
} BENCH_SLOT;

static VOID BenchApc(PVOID Context, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved)
{
    BENCH_SLOT *s = Context;
    s->End = KeReadTsc();
    __atomic_store_n(&s->Done, 1, __ATOMIC_RELEASE);
}

static ULONG64 BenchRandom(ULONG64 *State)
{
    ULONG64 x = *State;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *State = x;
}

static BOOLEAN BenchArg(INT Argc, PCHAR *Argv, PCSTR Key, ULONG64 *Value, ULONG64 Default)
{
    PCSTR t = ShellGetKeyArg(Argc, Argv, Key);
    *Value = Default;
    return !t || ShellParseU64(t, Value);
}

static INT CmdBench(INT Argc, PCHAR *Argv)
{
    DISK_SHELL d;
    ULONG64 disk, bs, qd, seconds, raw, span, ios = 0, errors = 0, seqNext = 0, rng = 0x9E3779B97F4A7C15ull;
    ULONG64 tscHz = KeQueryTscFrequency(), maxTicks = 0, blocks;
    PCSTR rwText = ShellGetKeyArg(Argc, Argv, "rw"), modeText = ShellGetKeyArg(Argc, Argv, "mode");
    PCSTR diskText = ShellGetKeyArg(Argc, Argv, "disk");
    BOOLEAN write, random, poll;
    BENCH_SLOT *slots = NULL;
    PULONG hist = NULL;
    NTSTATUS firstError = STATUS_SUCCESS;
    NTSTOR_AHCI_SET_MODE oldMode, newMode;
    BOOLEAN modeChanged = FALSE;
    PFILE_OBJECT file = NULL;
    PDEVICE_OBJECT pollTop = NULL;
    CHAR diskNum[16];
    INT rc = 1;
    PCSTR seedText = ShellGetKeyArg(Argc, Argv, "seed");
    ULONG64 seed = 0, checked = 0, badBlocks = 0, firstBad = ~0ull;

    if (!rwText)
        rwText = "randread";
    if (!modeText)
        modeText = "poll";
    if (!BenchArg(Argc, Argv, "disk", &disk, 0) || !BenchArg(Argc, Argv, "bs", &bs, 4096) ||
        !BenchArg(Argc, Argv, "qd", &qd, 1) || !BenchArg(Argc, Argv, "seconds", &seconds, 5) ||
        !BenchArg(Argc, Argv, "raw", &raw, 0) || !BenchArg(Argc, Argv, "span", &span, 0) ||
        (seedText && !ShellParseU64(seedText, &seed)))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "malformed number", "bench disk=%s",
                           diskText ? diskText : "0");
    write = !RtlAsciiCompare(rwText, "randwrite", TRUE) || !RtlAsciiCompare(rwText, "write", TRUE);
    random = !RtlAsciiCompare(rwText, "randread", TRUE) || !RtlAsciiCompare(rwText, "randwrite", TRUE);
    if (!write && !random && RtlAsciiCompare(rwText, "read", TRUE))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "rw must be randread, randwrite, read or write",
                           "bench disk=%llu", disk);
    poll = !RtlAsciiCompare(modeText, "poll", TRUE);
    if (!poll && RtlAsciiCompare(modeText, "irq", TRUE))
        return ShellErrorF(STATUS_INVALID_PARAMETER, "mode must be poll or irq", "bench disk=%llu", disk);
    if (qd == 0 || qd > BENCH_MAX_QD || bs == 0 || bs > BENCH_MAX_BS || seconds == 0 ||
        seconds > BENCH_MAX_SECONDS)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "qd 1..128, bs up to 4 MiB, seconds 1..600",
                           "bench disk=%llu", disk);

    RtlStringCbPrintfA(diskNum, sizeof(diskNum), "%llu", disk);
    if (!DiskShellOpen("bench", diskNum, write, &d))
        return 1;
    if (bs % d.Info.SectorSize || bs / d.Info.SectorSize > d.Info.Sectors) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "bs must be a multiple of the sector size and fit the disk",
                    "bench disk=%u", d.Number);
        goto out;
    }
    if (write && !d.Info.Writable) {
        ShellErrorF(STATUS_MEDIA_WRITE_PROTECTED, DiskShellWhy(STATUS_MEDIA_WRITE_PROTECTED),
                    "bench disk=%u", d.Number);
        goto out;
    }
    if (span > d.Info.Sectors || (span && (span < bs / d.Info.SectorSize || raw))) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "span must hold one bs, fit the disk, and not go with raw=1",
                    "bench disk=%u", d.Number);
        goto out;
    }
    blocks = (span ? span : d.Info.Sectors) / (bs / d.Info.SectorSize);
    if (raw) {
        rc = DiskShellRawBench(&d, rwText, write, random, bs, qd, seconds);
        goto out;
    }

    slots = ExAllocatePoolZero(NonPagedPool, sizeof(BENCH_SLOT) * qd, DISK_SHELL_TAG);
    hist = ExAllocatePoolZero(NonPagedPool, sizeof(ULONG) * BENCH_HIST_US, DISK_SHELL_TAG);
    if (!slots || !hist) {
        ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "bench disk=%u", d.Number);
        goto out;
    }
    for (ULONG i = 0; i < qd; i++) {
        slots[i].Buffer = ExAllocatePoolWithTag(NonPagedPool, bs, DISK_SHELL_TAG);
        if (!slots[i].Buffer) {
            ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, "buffers", "bench disk=%u", d.Number);
            goto out;
        }
        if (write)
            for (ULONG b = 0; b < bs / 512; b++)
                RtlFillPatternBlock(slots[i].Buffer + 512 * b, i, b);
    }

    /* poll: completions found by spinning; irq: MSI, else INTx. */
    if (d.HaveAhci) {
        oldMode.Mode = d.Ahci.Mode;
        newMode.Mode = poll ? NtstorAhciModePoll : NtstorAhciModeMsi;
        if (newMode.Mode != oldMode.Mode) {
            NTSTATUS s = DiskShellIoctl(&d, IOCTL_NTSTOR_AHCI_SET_MODE, &newMode, sizeof(newMode), NULL, 0, NULL);
            if (!NT_SUCCESS(s) && !poll) {
                newMode.Mode = NtstorAhciModeIntx;
                s = newMode.Mode == oldMode.Mode ? STATUS_SUCCESS
                    : DiskShellIoctl(&d, IOCTL_NTSTOR_AHCI_SET_MODE, &newMode, sizeof(newMode), NULL, 0, NULL);
            }
            if (!NT_SUCCESS(s)) {
                ShellErrorF(s, "cannot switch the port's completion mode", "bench disk=%u", d.Number);
                goto out;
            }
            modeChanged = newMode.Mode != oldMode.Mode;
        }
    }

    /* Polled: requests are left with the port and this loop reaps them,
     * so qd of them are in flight, not one.  The loop polls the stack
     * directly (IoPollDevice, what NtPollFile does) through a file object
     * it holds, rather than looking the handle up on every pass. */
    if (poll && NT_SUCCESS(NtSetPolledCompletion(d.Handle, TRUE)) &&
        NT_SUCCESS(ObReferenceObjectByHandle(d.Handle, IoFileObjectType, (PVOID *)&file)))
        pollTop = IoGetRelatedDeviceObject(file);
    ULONG64 startUs = KeQueryTimeUs(), endUs = startUs + seconds * 1000000ull, nowUs = startUs;
    BOOLEAN issuing = TRUE;
    for (;;) {
        ULONG busy = 0;
        for (ULONG i = 0; i < qd; i++) {
            BENCH_SLOT *s = &slots[i];
            if (s->Busy && __atomic_load_n(&s->Done, __ATOMIC_ACQUIRE)) {
                ULONG64 ticks = s->End - s->Start, us = ticks * 1000000ull / tscHz;
                s->Busy = 0;
                s->Done = 0;
                if (NT_SUCCESS(s->Iosb.Status)) {
                    ios++;
                    if (seedText && !write) {
                        ULONG64 first = (ULONG64)s->Offset.QuadPart / 512;
                        checked++;
                        for (ULONG b = 0; b < bs / 512; b++)
                            if (RtlCheckPatternBlock(s->Buffer + 512 * b, seed, first + b)) {
                                if (firstBad == ~0ull)
                                    firstBad = first + b;
                                badBlocks++;
                            }
                    }
                    hist[us < BENCH_HIST_US ? us : BENCH_HIST_US - 1]++;
                    if (ticks > maxTicks)
                        maxTicks = ticks;
                } else {
                    if (!errors)
                        firstError = s->Iosb.Status;
                    errors++;
                }
            }
            if (!s->Busy && issuing) {
                ULONG64 block = random ? BenchRandom(&rng) % blocks : seqNext++ % blocks;
                NTSTATUS st;
                s->Offset.QuadPart = (LONGLONG)(block * bs);
                if (seedText && !write)
                    RtlFillMemory(s->Buffer, bs, 0xA5);
                s->Busy = 1;
                s->Start = KeReadTsc();
                st = write ? NtWriteFile(d.Handle, NULL, BenchApc, s, &s->Iosb, s->Buffer, (ULONG)bs, &s->Offset, NULL)
                           : NtReadFile(d.Handle, NULL, BenchApc, s, &s->Iosb, s->Buffer, (ULONG)bs, &s->Offset, NULL);
                if (st != STATUS_PENDING) {
                    /* Never reached the driver: nothing will complete. */
                    s->Busy = 0;
                    if (!errors)
                        firstError = st;
                    errors++;
                    issuing = FALSE;
                }
            }
            busy += s->Busy;
        }
        if (pollTop && busy)
            IoPollDevice(pollTop);
        nowUs = KeQueryTimeUs();
        if (issuing && (nowUs >= endUs || errors))
            issuing = FALSE;
        if (!issuing && busy == 0)
            break;
        if (!issuing && nowUs >= endUs + BENCH_DRAIN_US) {
            ShellErrorF(STATUS_IO_TIMEOUT, "requests still outstanding", "bench disk=%u", d.Number);
            goto out;   /* NtClose waits for them, for a while */
        }
    }
    {
        ULONG64 elapsedUs = nowUs - startUs, p50 = 0, p99 = 0, seen = 0;
        ULONG64 iops = elapsedUs ? ios * 1000000ull / elapsedUs : 0;
        ULONG64 mbps10 = elapsedUs ? ios * bs * 10 / elapsedUs : 0;   /* bytes/us = MB/s */
        BOOLEAN got50 = FALSE;
        for (ULONG us = 0; us < BENCH_HIST_US && ios; us++) {
            seen += hist[us];
            if (!got50 && seen * 2 >= ios) {
                p50 = us;
                got50 = TRUE;
            }
            if (seen * 100 >= ios * 99) {
                p99 = us;
                break;
            }
        }
        if (errors)
            ShellErrorF(firstError, DiskShellWhy(firstError), "bench disk=%u errors=%llu",
                        d.Number, errors);
        CHAR check[96] = "";
        if (seedText && !write) {
            CHAR bad[24];
            RtlStringCbPrintfA(bad, sizeof(bad), firstBad == ~0ull ? "-" : "%llu", firstBad);
            RtlStringCbPrintfA(check, sizeof(check), " checked=%llu bad_blocks=%llu first_bad_lba=%s",
                               checked, badBlocks, bad);
        }
        ConPrintf("bench disk=%u rw=%s bs=%llu qd=%llu mode=%s ios=%llu iops=%llu mbps=%llu.%llu "
                  "p50_us=%llu p99_us=%llu max_us=%llu errors=%llu%s\n", d.Number, rwText, bs, qd,
                  poll ? "poll" : "irq", ios, iops, mbps10 / 10, mbps10 % 10, p50, p99,
                  maxTicks * 1000000ull / tscHz, errors, check);
        rc = errors ? 1 : 0;
    }
out:
    if (file)
        ObDereferenceObject(file);
    if (modeChanged)
        DiskShellIoctl(&d, IOCTL_NTSTOR_AHCI_SET_MODE, &oldMode, sizeof(oldMode), NULL, 0, NULL);
    DiskShellClose(&d);
    /* A request NtClose gave up waiting for may still DMA into its buffer
     * and stamp its slot: those are left allocated rather than reused. */
    for (ULONG i = 0; slots && i < qd; i++) {
        if (slots[i].Busy && !__atomic_load_n(&slots[i].Done, __ATOMIC_ACQUIRE)) {
            ShellErrorF(STATUS_IO_TIMEOUT, "buffers of unfinished requests kept", "bench disk=%u",
                        d.Number);
            slots = NULL;
        }
    }
    if (slots) {
        for (ULONG i = 0; i < qd; i++)
            if (slots[i].Buffer)
                ExFreePoolWithTag(slots[i].Buffer, DISK_SHELL_TAG);
        ExFreePoolWithTag(slots, DISK_SHELL_TAG);
    }
    if (hist)
        ExFreePoolWithTag(hist, DISK_SHELL_TAG);
    return rc;
}
SHELL_COMMAND(bench, CmdBench, "bench disk=<n> rw=randread|randwrite|read|write bs=<bytes> qd=<n> seconds=<s> mode=poll|irq [raw=1] [seed=<n>] [span=<sectors>]",
              "storage benchmark through the full NT path (raw=1: the AHCI port's own loop)");
