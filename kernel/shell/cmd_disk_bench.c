/* cmd_disk_bench.c - `bench disk=<n> rw=randread|randwrite|read|write
 * bs=<bytes> qd=<n> seconds=<s> mode=poll|irq [offset=<lba>] [span=<sectors>]
 * [seed=<n>] [verify=1] [drain=<s>] [raw=1]`: keeps qd asynchronous NtReadFile /
 * NtWriteFile requests in flight on \??\PhysicalDrive<n> (the full NT path:
 * file object, IRP, disk class driver, SRB, AHCI) for the given time and
 * prints one line:
 *
 *   bench disk=0 rw=randread bs=4096 qd=1 mode=poll ios=51234 iops=12806 mbps=52.4
 *         p50_us=70 p90_us=80 p99_us=95 p999_us=160 max_us=410 avg_qd=1.0 errors=0 ...
 *
 * The region is [offset, offset+span) in sectors (default: the whole disk);
 * read/write go up through it from its start in bs steps, wrapping at its
 * end; randread/randwrite pick bs-aligned blocks in it.
 *
 * seed=<n>: the data is DESIGN.md's pattern for (seed, LBA).  Writes carry
 * it in every 512-byte block, so `verify`, a host and bench's own read-back
 * can check them; every block a successful write covered is remembered
 * (written=<distinct blocks>), and verify=1 reads each of them back after
 * the run (verified=, verify_bad=).  Reads poison their buffer first and
 * check every successful read against it (checked=, bad_blocks=, and
 * first_bad_lba= the lowest bad LBA), so a read completed without its data
 * shows.
 *
 * A request is counted good only if its status is a success and it moved
 * every byte asked for; a short one counts as an error (short=).  Bench
 * stops issuing at the first error and drains.  avg_qd is the depth really
 * reached (Little's law: the sum of latencies over the elapsed time).  The
 * summary line always comes, also when requests are still out after the
 * drain (drain=<s>, 30 by default: drain=timeout unfinished=<n>).
 *
 * mode=poll asks for polled completion on the handle
 * (NtSetPolledCompletion), switching the port to polling for the run if
 * needed; mode=irq uses the controller's interrupt (MSI or INTx, whichever
 * it signals now) and never changes it.  Completion routines (ApcRoutine)
 * only stamp the slot and put it on a done list; the loop reaps and
 * refills, so the call depth stays bounded (kernel/include/io.h).  Everything is allocated before the timed
 * loop.  raw=1 runs the same reads or writes in the AHCI driver's own
 * loop instead (cmd_disk_rawbench.c), the yardstick for the NT path.
 *
 * disk=1,2,3,4 runs the same workload on several disks at once from one
 * loop (each pass serves every disk), as one fio process with a job per
 * disk does: a line per disk, then a "bench-total" line with the aggregate
 * (all requests over the longest run, one merged histogram, depths
 * summed).  cdf=1 adds a "bench-cdf" line: the latency at the points of
 * BENCH_CDF_LIST, for tools/bench.py's plot.  profile=1 stamps every
 * request at the layer boundaries of the NT path (kernel/io/profile.c) and
 * adds "bench-profile" lines: the cycles and ns each layer took per I/O
 * (average, p50, p99), all disks together. */
#include "cmd_disk.h"
#include <ntstor_bench_hist.h>

#define BENCH_MAX_QD 128
#define BENCH_MAX_BS (4 * 1024 * 1024)
#define BENCH_MAX_SECONDS 600
#define BENCH_DRAIN_SECONDS 30     /* outstanding requests at the end (drain=) */
/* The written-block bitmap of seed= writes: regions past this many blocks
 * are refused with verify=1 (use span=) and report no written= figure. */
#define BENCH_MAX_TRACKED_BLOCKS (64ull * 1024 * 1024)
#define BENCH_RNG_SEED 0x9E3779B97F4A7C15ull

struct _BENCH_SLOT;

/* Completed slots, pushed by BenchApc (which may run in a DPC that
 * interrupts the loop, mode=irq) and taken all at once by the loop: the
 * loop touches only the slots that finished instead of scanning all qd of
 * them on every pass, which at qd=32 cost more guest instructions per I/O
 * than any single layer of the path being measured.  It lives in the one
 * allocation with the slots (just before them): a request still out when
 * bench gives up keeps that allocation alive (BenchFree), and its late
 * completion must find the list head there, not in the BENCH that is freed. */
typedef struct _BENCH_DONE {
    struct _BENCH_SLOT *volatile Head;
    ULONG64 Reserved;           /* keeps the slots after it 16-byte aligned */
} BENCH_DONE;

typedef struct _BENCH_SLOT {
    struct _BENCH_SLOT *NextDone;   /* on the done list (BenchApc) */
    BENCH_DONE *DoneList;
    IO_STATUS_BLOCK Iosb;
    LARGE_INTEGER Offset;
    ULONG64 Block;              /* bs-sized block of the region */
    PUCHAR Buffer;
    ULONG64 Start, End;
    volatile LONG Busy;         /* issued, not yet completed */
    volatile LONG Done;         /* completed, not yet reaped */
} BENCH_SLOT;

typedef struct _BENCH {
    DISK_SHELL Disk;
    PCSTR Rw;
    BOOLEAN Write, Random, Poll, Seeded, VerifyAfter;
    ULONG64 Bs, Qd, Seconds, Seed, DrainSeconds;
    ULONG64 Offset;             /* first sector of the region */
    ULONG64 Blocks;             /* bs-sized blocks in the region */
    BENCH_SLOT *Slots;
    BENCH_HIST *Hist;
    PUCHAR Written;             /* bitmap over Blocks (seed= writes), or NULL */
    ULONG64 TscHz;
    /* results */
    ULONG64 Ios, Errors, Short, Checked, BadBlocks, FirstBad, LatencyTicks, ElapsedUs;
    ULONG64 WrittenBlocks, Unfinished, FirstErrorLba;
    NTSTATUS FirstError;
    BOOLEAN DrainTimedOut;
    /* the port's completion mode, to restore */
    NTSTOR_AHCI_SET_MODE OldMode;
    BOOLEAN ModeChanged;
    /* the run's state (BenchRun) */
    ULONG64 Rng, SeqNext;
    PFILE_OBJECT File;
    PDEVICE_OBJECT PollTop;
    BOOLEAN Issuing, Finished;
    ULONG InFlight;             /* slots issued and not yet reaped */
    BENCH_DONE *Done;           /* the done list; the slots follow it */
} BENCH;

static VOID BenchApc(PVOID Context, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved)
{
    BENCH_SLOT *s = Context;
    BENCH_DONE *list = s->DoneList;
    BENCH_SLOT *head = __atomic_load_n(&list->Head, __ATOMIC_RELAXED);

    s->End = KeReadTsc();
    __atomic_store_n(&s->Done, 1, __ATOMIC_RELEASE);
    /* A push-only LIFO; the single consumer takes the whole list with one
     * exchange, so there is no ABA to guard against. */
    do
        s->NextDone = head;
    while (!__atomic_compare_exchange_n(&list->Head, &head, s, TRUE, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

static BOOLEAN BenchArg(INT Argc, PCHAR *Argv, PCSTR Key, ULONG64 *Value, ULONG64 Default)
{
    PCSTR t = ShellGetKeyArg(Argc, Argv, Key);
    *Value = Default;
    return !t || ShellParseU64(t, Value);
}

/* Parses everything but the disk's own limits; prints the error line. */
static BOOLEAN BenchParse(BENCH *b, INT Argc, PCHAR *Argv, ULONG64 *Disk, ULONG64 *Raw,
                          ULONG64 *Offset, ULONG64 *Span, ULONG64 *Cdf, ULONG64 *Profile)
{
    PCSTR mode = ShellGetKeyArg(Argc, Argv, "mode"), seed = ShellGetKeyArg(Argc, Argv, "seed");
    PCSTR diskText = ShellGetKeyArg(Argc, Argv, "disk");
    ULONG64 verify;

    b->Rw = ShellGetKeyArg(Argc, Argv, "rw");
    if (!b->Rw)
        b->Rw = "randread";
    if (!mode)
        mode = "poll";
    if (!BenchArg(Argc, Argv, "bs", &b->Bs, 4096) || !BenchArg(Argc, Argv, "cdf", Cdf, 0) ||
        !BenchArg(Argc, Argv, "profile", Profile, 0) ||
        !BenchArg(Argc, Argv, "qd", &b->Qd, 1) || !BenchArg(Argc, Argv, "seconds", &b->Seconds, 5) ||
        !BenchArg(Argc, Argv, "raw", Raw, 0) || !BenchArg(Argc, Argv, "offset", Offset, 0) ||
        !BenchArg(Argc, Argv, "span", Span, 0) || !BenchArg(Argc, Argv, "verify", &verify, 0) ||
        !BenchArg(Argc, Argv, "drain", &b->DrainSeconds, BENCH_DRAIN_SECONDS) ||
        (seed && !ShellParseU64(seed, &b->Seed))) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "malformed number", "bench disk=%s",
                    diskText ? diskText : "0");
        return FALSE;
    }
    b->Seeded = seed != NULL;
    b->VerifyAfter = verify != 0;
    b->Write = !RtlAsciiCompare(b->Rw, "randwrite", TRUE) || !RtlAsciiCompare(b->Rw, "write", TRUE);
    b->Random = !RtlAsciiCompare(b->Rw, "randread", TRUE) || !RtlAsciiCompare(b->Rw, "randwrite", TRUE);
    if (!b->Write && !b->Random && RtlAsciiCompare(b->Rw, "read", TRUE)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "rw must be randread, randwrite, read or write",
                    "bench disk=%llu", *Disk);
        return FALSE;
    }
    b->Poll = !RtlAsciiCompare(mode, "poll", TRUE);
    if (!b->Poll && RtlAsciiCompare(mode, "irq", TRUE)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "mode must be poll or irq", "bench disk=%llu", *Disk);
        return FALSE;
    }
    if (b->Qd == 0 || b->Qd > BENCH_MAX_QD || b->Bs == 0 || b->Bs > BENCH_MAX_BS ||
        b->Seconds == 0 || b->Seconds > BENCH_MAX_SECONDS || b->DrainSeconds == 0 ||
        b->DrainSeconds > BENCH_MAX_SECONDS) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "qd 1..128, bs up to 4 MiB, seconds and drain 1..600",
                    "bench disk=%llu", *Disk);
        return FALSE;
    }
    if (b->VerifyAfter && !(b->Write && b->Seeded)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "verify=1 reads back seed= writes",
                    "bench disk=%llu", *Disk);
        return FALSE;
    }
    return TRUE;
}

/* The region against the disk, then buffers, slots, histogram, bitmap. */
static BOOLEAN BenchPrepare(BENCH *b, ULONG64 Offset, ULONG64 Span)
{
    ULONG ss = b->Disk.Info.SectorSize;
    ULONG64 sectors = b->Disk.Info.Sectors;

    if (!ss || b->Bs % ss || b->Bs % 512) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "bs must be a multiple of the sector size",
                    "bench disk=%u", b->Disk.Number);
        return FALSE;
    }
    if (Offset >= sectors || (Span && Span > sectors - Offset)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "offset/span beyond end of disk", "bench disk=%u",
                    b->Disk.Number);
        return FALSE;
    }
    b->Offset = Offset;
    b->Blocks = (Span ? Span : sectors - Offset) / (b->Bs / ss);
    if (!b->Blocks) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "region smaller than one bs block", "bench disk=%u",
                    b->Disk.Number);
        return FALSE;
    }
    if (b->Write && !b->Disk.Info.Writable) {
        ShellErrorF(STATUS_MEDIA_WRITE_PROTECTED, DiskShellWhyFor(&b->Disk, STATUS_MEDIA_WRITE_PROTECTED),
                    "bench disk=%u", b->Disk.Number);
        return FALSE;
    }
    if (b->VerifyAfter && b->Blocks > BENCH_MAX_TRACKED_BLOCKS) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "verify=1 region too large: use span=",
                    "bench disk=%u", b->Disk.Number);
        return FALSE;
    }
    b->Done = ExAllocatePoolZero(NonPagedPool, sizeof(BENCH_DONE) + sizeof(BENCH_SLOT) * b->Qd,
                                 DISK_SHELL_TAG);
    b->Slots = b->Done ? (BENCH_SLOT *)(b->Done + 1) : NULL;
    b->Hist = ExAllocatePoolZero(NonPagedPool, sizeof(BENCH_HIST), DISK_SHELL_TAG);
    if (b->Write && b->Seeded && b->Blocks <= BENCH_MAX_TRACKED_BLOCKS)
        b->Written = ExAllocatePoolZero(NonPagedPool, (SIZE_T)((b->Blocks + 7) / 8), DISK_SHELL_TAG);
    if (!b->Slots || !b->Hist || (b->Write && b->Seeded && b->Blocks <= BENCH_MAX_TRACKED_BLOCKS &&
                                  !b->Written)) {
        ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "bench disk=%u", b->Disk.Number);
        return FALSE;
    }
    for (ULONG i = 0; i < b->Qd; i++) {
        b->Slots[i].DoneList = b->Done;
        b->Slots[i].Buffer = ExAllocatePoolWithTag(NonPagedPool, b->Bs, DISK_SHELL_TAG);
        if (!b->Slots[i].Buffer) {
            ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, "buffers", "bench disk=%u", b->Disk.Number);
            return FALSE;
        }
        /* Unseeded writes: some fixed data, filled once, off the timed path. */
        if (b->Write && !b->Seeded)
            for (ULONG k = 0; k < b->Bs / 512; k++)
                RtlFillPatternBlock(b->Slots[i].Buffer + 512 * k, i, k);
    }
    return TRUE;
}

/* poll: the port polls for the run (switched if it was interrupt-driven,
 * restored after).  irq: the controller's interrupt as it is now; a port
 * that polls is switched to it for the run, nothing else changes. */
static BOOLEAN BenchSetMode(BENCH *b)
{
    NTSTOR_AHCI_SET_MODE mode;
    NTSTATUS s;

    if (!b->Disk.HaveAhci)
        return TRUE;
    b->OldMode.Mode = b->Disk.Ahci.Mode;
    if (b->Poll) {
        mode.Mode = NtstorAhciModePoll;
    } else if (b->Disk.Ahci.Mode != NtstorAhciModePoll) {
        mode.Mode = b->Disk.Ahci.Mode;
    } else {
        mode.Mode = b->Disk.Ahci.Source;
        if (mode.Mode == NtstorAhciModePoll) {
            ShellErrorF(STATUS_NOT_SUPPORTED, "the controller has no working interrupt",
                        "bench disk=%u", b->Disk.Number);
            return FALSE;
        }
    }
    if (mode.Mode == b->OldMode.Mode)
        return TRUE;
    s = DiskShellIoctl(&b->Disk, IOCTL_NTSTOR_AHCI_SET_MODE, &mode, sizeof(mode), NULL, 0, NULL);
    if (!NT_SUCCESS(s)) {
        ShellErrorF(s, "cannot switch the port's completion mode", "bench disk=%u", b->Disk.Number);
        return FALSE;
    }
    b->ModeChanged = TRUE;
    b->Disk.Ahci.Mode = mode.Mode;
    return TRUE;
}

static inline ULONG64 BenchFirstLba(const BENCH *b, ULONG64 Block)
{
    return b->Offset + Block * (b->Bs / b->Disk.Info.SectorSize);
}

/* A completed request: counted, checked, remembered. */
static VOID BenchReap(BENCH *b, BENCH_SLOT *s)
{
    ULONG64 ticks = s->End - s->Start;

    s->Busy = 0;
    s->Done = 0;
    b->InFlight--;
    b->LatencyTicks += ticks;
    if (NT_SUCCESS(s->Iosb.Status) && s->Iosb.Information == b->Bs) {
        ULONG64 first512 = (ULONG64)s->Offset.QuadPart / 512;
        b->Ios++;
        BenchHistAdd(b->Hist, ticks * 1000000ull / b->TscHz);
        if (b->Seeded && !b->Write) {
            b->Checked++;
            for (ULONG k = 0; k < b->Bs / 512; k++)
                if (RtlCheckPatternBlock(s->Buffer + 512 * k, b->Seed, first512 + k)) {
                    /* The lowest bad block, whatever order requests complete in. */
                    if (first512 + k < b->FirstBad)
                        b->FirstBad = first512 + k;
                    b->BadBlocks++;
                }
        }
        if (b->Written && !(b->Written[s->Block / 8] & (1u << (s->Block % 8)))) {
            b->Written[s->Block / 8] |= (UCHAR)(1u << (s->Block % 8));
            b->WrittenBlocks++;
        }
        return;
    }
    if (NT_SUCCESS(s->Iosb.Status))
        b->Short++;
    if (!b->Errors) {
        b->FirstError = NT_SUCCESS(s->Iosb.Status) ? STATUS_DATA_ERROR : s->Iosb.Status;
        b->FirstErrorLba = BenchFirstLba(b, s->Block);
    }
    b->Errors++;
}

/* Sends slot s's next request.  FALSE if it never reached the driver. */
static BOOLEAN BenchIssue(BENCH *b, BENCH_SLOT *s)
{
    ULONG64 block;
    NTSTATUS st;

    if (b->Random) {
        ULONG64 x = b->Rng;     /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b->Rng = x;
        block = x % b->Blocks;
    } else {
        block = b->SeqNext++ % b->Blocks;
    }
    s->Block = block;
    s->Offset.QuadPart = (LONGLONG)(BenchFirstLba(b, block) * b->Disk.Info.SectorSize);
    if (b->Seeded) {
        ULONG64 first512 = (ULONG64)s->Offset.QuadPart / 512;
        if (b->Write)
            for (ULONG k = 0; k < b->Bs / 512; k++)
                RtlFillPatternBlock(s->Buffer + 512 * k, b->Seed, first512 + k);
        else
            RtlFillMemory(s->Buffer, b->Bs, 0xA5);
    }
    s->Busy = 1;
    s->Start = KeReadTsc();
    st = b->Write ? NtWriteFile(b->Disk.Handle, NULL, BenchApc, s, &s->Iosb, s->Buffer,
                                (ULONG)b->Bs, &s->Offset, NULL)
                  : NtReadFile(b->Disk.Handle, NULL, BenchApc, s, &s->Iosb, s->Buffer,
                               (ULONG)b->Bs, &s->Offset, NULL);
    if (st == STATUS_PENDING) {
        b->InFlight++;
        return TRUE;
    }
    s->Busy = 0;
    if (!b->Errors) {
        b->FirstError = st;
        b->FirstErrorLba = BenchFirstLba(b, block);
    }
    b->Errors++;
    return FALSE;
}

/* The timed loop, then the drain (at most drain= seconds), for one disk or
 * several at once (disk=1,2,3,4): each pass serves every disk in turn, so
 * one core keeps all of them busy, as one fio process with a job per disk
 * does.  With one disk a pass is what it always was: reap and refill the
 * slots that completed (BenchApc's done list), one poll, one clock read. */
static VOID BenchRun(BENCH *List, ULONG Count)
{
    for (ULONG d = 0; d < Count; d++) {
        BENCH *b = &List[d];
        b->Rng = BENCH_RNG_SEED;
        b->SeqNext = 0;
        b->Issuing = TRUE;
        /* Polled: requests are left with the port and this loop reaps
         * them, so qd of them are in flight, not one.  The loop polls the
         * stack directly (IoPollDevice, what NtPollFile does) through a
         * file object it holds, rather than looking the handle up on every
         * pass. */
        if (b->Poll && NT_SUCCESS(NtSetPolledCompletion(b->Disk.Handle, TRUE)) &&
            NT_SUCCESS(ObpReferenceObjectByHandle(b->Disk.Handle, IoFileObjectType,
                                                  (PVOID *)&b->File)))
            b->PollTop = IoGetRelatedDeviceObject(b->File);
    }

    ULONG64 startUs = KeQueryTimeUs(), endUs = startUs + List[0].Seconds * 1000000ull;
    ULONG64 nowUs = startUs;
    for (ULONG d = 0; d < Count; d++) {
        BENCH *b = &List[d];
        for (ULONG i = 0; i < b->Qd && b->Issuing; i++)
            if (!BenchIssue(b, &b->Slots[i]))
                b->Issuing = FALSE;
    }
    for (ULONG left = Count; left;) {
        for (ULONG d = 0; d < Count; d++) {
            BENCH *b = &List[d];
            if (b->Finished)
                continue;
            /* Reap what finished since the last pass and refill its slot. */
            BENCH_SLOT *s = __atomic_exchange_n(&b->Done->Head, NULL, __ATOMIC_ACQUIRE);
            while (s) {
                BENCH_SLOT *next = s->NextDone;     /* before the slot goes out again */
                BenchReap(b, s);
                if (b->Issuing && !BenchIssue(b, s))
                    b->Issuing = FALSE;
                s = next;
            }
            if (b->PollTop && b->InFlight)
                IoPollDevice(b->PollTop);
            if (b->Issuing && (nowUs >= endUs || b->Errors || ShellInterrupted()))
                b->Issuing = FALSE;
            if (!b->Issuing && (b->InFlight == 0 || nowUs >= endUs + b->DrainSeconds * 1000000ull)) {
                if (b->InFlight) {
                    b->DrainTimedOut = TRUE;
                    b->Unfinished = b->InFlight;
                }
                b->Finished = TRUE;
                b->ElapsedUs = nowUs - startUs;
                left--;
            }
        }
        nowUs = KeQueryTimeUs();
    }
    for (ULONG d = 0; d < Count; d++)
        if (List[d].File)
            ObDereferenceObject(List[d].File);
}

/* verify=1: reads back every block a successful write covered, in runs of
 * adjacent blocks up to DISK_SHELL_CHUNK, into slot 0's buffer (the run is
 * over, every slot is idle).  Returns the blocks that did not hold the
 * pattern (a failed read counts its whole run). */
static ULONG64 BenchVerify(BENCH *b, PULONG64 Verified)
{
    ULONG64 bad = 0, perRun = DISK_SHELL_CHUNK / b->Bs;
    PUCHAR buf = ExAllocatePoolWithTag(NonPagedPool, DISK_SHELL_CHUNK > b->Bs ? DISK_SHELL_CHUNK : b->Bs,
                                       DISK_SHELL_TAG);

    *Verified = 0;
    if (!buf)
        return b->WrittenBlocks;
    if (!perRun)
        perRun = 1;
    for (ULONG64 blk = 0; blk < b->Blocks;) {
        if (!(b->Written[blk / 8] & (1u << (blk % 8)))) {
            blk++;
            continue;
        }
        ULONG64 n = 1;
        while (n < perRun && blk + n < b->Blocks && (b->Written[(blk + n) / 8] & (1u << ((blk + n) % 8))))
            n++;
        IO_STATUS_BLOCK iosb;
        LARGE_INTEGER offset;
        offset.QuadPart = (LONGLONG)(BenchFirstLba(b, blk) * b->Disk.Info.SectorSize);
        NTSTATUS st = NtReadFile(b->Disk.Handle, NULL, NULL, NULL, &iosb, buf, (ULONG)(n * b->Bs),
                                 &offset, NULL);
        *Verified += n;
        if (!NT_SUCCESS(st) || iosb.Information != n * b->Bs) {
            bad += n;
        } else {
            ULONG64 first512 = (ULONG64)offset.QuadPart / 512;
            for (ULONG64 i = 0; i < n; i++) {
                for (ULONG k = 0; k < b->Bs / 512; k++) {
                    if (RtlCheckPatternBlock(buf + i * b->Bs + 512 * k, b->Seed,
                                             first512 + i * (b->Bs / 512) + k)) {
                        bad++;
                        break;
                    }
                }
            }
        }
        blk += n;
    }
    ExFreePoolWithTag(buf, DISK_SHELL_TAG);
    return bad;
}

static VOID BenchReport(BENCH *b)
{
    ULONG64 us = b->ElapsedUs;
    ULONG64 iops = us ? b->Ios * 1000000ull / us : 0;
    ULONG64 mbps10 = us ? b->Ios * b->Bs * 10 / us : 0;    /* bytes/us = MB/s */
    /* Little's law: requests in flight on average = time spent in flight / time. */
    ULONG64 depth10 = us ? b->LatencyTicks * 10000000ull / b->TscHz / us : 0;
    CHAR check[96] = "", written[48] = "", verify[64] = "", drain[48] = "", firstErr[40] = "";
    CHAR recoveries[96] = "";
    NTSTOR_AHCI_INFO after;

    if (b->Errors) {
        ShellErrorF(b->FirstError, DiskShellWhyFor(&b->Disk, b->FirstError), "bench disk=%u errors=%llu",
                    b->Disk.Number, b->Errors);
        RtlStringCbPrintfA(firstErr, sizeof(firstErr), " first_error_lba=%llu", b->FirstErrorLba);
    }
    if (b->Seeded && !b->Write) {
        CHAR bad[24];
        RtlStringCbPrintfA(bad, sizeof(bad), b->FirstBad == ~0ull ? "-" : "%llu", b->FirstBad);
        RtlStringCbPrintfA(check, sizeof(check), " checked=%llu bad_blocks=%llu first_bad_lba=%s",
                           b->Checked, b->BadBlocks, bad);
    }
    /* What the device failed, as the port driver counted its recoveries:
     * beside errors= (what reached bench) it shows faults that retries
     * absorbed. */
    if (b->Disk.HaveAhci && NT_SUCCESS(DiskShellIoctl(&b->Disk, IOCTL_NTSTOR_AHCI_GET_INFO, NULL, 0,
                                                      &after, sizeof(after), NULL)))
        RtlStringCbPrintfA(recoveries, sizeof(recoveries),
                           " recoveries=%llu doorbells=%llu looks=%llu",
                           after.Errors - b->Disk.Ahci.Errors,
                           after.Doorbells - b->Disk.Ahci.Doorbells,
                           after.PollLooks - b->Disk.Ahci.PollLooks);
    if (b->Written)
        RtlStringCbPrintfA(written, sizeof(written), " written=%llu", b->WrittenBlocks);
    if (b->VerifyAfter && !b->DrainTimedOut) {
        ULONG64 verified, vbad = BenchVerify(b, &verified);
        RtlStringCbPrintfA(verify, sizeof(verify), " verified=%llu verify_bad=%llu", verified, vbad);
    }
    if (b->DrainTimedOut) {
        ShellErrorF(STATUS_IO_TIMEOUT, "requests still outstanding after the drain",
                    "bench disk=%u unfinished=%llu", b->Disk.Number, b->Unfinished);
        RtlStringCbPrintfA(drain, sizeof(drain), " drain=timeout unfinished=%llu", b->Unfinished);
    }
    ConPrintf("bench disk=%u rw=%s bs=%llu qd=%llu mode=%s%s%s offset=%llu blocks=%llu ios=%llu "
              "iops=%llu mbps=%llu.%llu p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu "
              "max_us=%llu avg_qd=%llu.%llu errors=%llu short=%llu%s%s%s%s%s%s\n",
              b->Disk.Number, b->Rw, b->Bs, b->Qd, b->Poll ? "poll" : "irq",
              b->Disk.HaveAhci ? " source=" : "",
              b->Disk.HaveAhci ? DiskShellModeName(b->Disk.Ahci.Mode) : "", b->Offset, b->Blocks,
              b->Ios, iops, mbps10 / 10, mbps10 % 10, BenchHistPercentile(b->Hist, 500),
              BenchHistPercentile(b->Hist, 900), BenchHistPercentile(b->Hist, 990),
              BenchHistPercentile(b->Hist, 999), b->Hist->MaxUs, depth10 / 10, depth10 % 10,
              b->Errors, b->Short, recoveries, firstErr, check, written, verify, drain);
}

static VOID BenchFree(BENCH *b)
{
    if (b->ModeChanged)
        DiskShellIoctl(&b->Disk, IOCTL_NTSTOR_AHCI_SET_MODE, &b->OldMode, sizeof(b->OldMode),
                       NULL, 0, NULL);
    DiskShellClose(&b->Disk);
    /* A request NtClose gave up waiting for may still DMA into its buffer
     * and stamp its slot: those are left allocated rather than reused. */
    for (ULONG i = 0; b->Slots && i < b->Qd; i++) {
        if (b->Slots[i].Busy && !__atomic_load_n(&b->Slots[i].Done, __ATOMIC_ACQUIRE)) {
            ShellErrorF(STATUS_IO_TIMEOUT, "buffers of unfinished requests kept", "bench disk=%u",
                        b->Disk.Number);
            b->Slots = NULL;
            b->Done = NULL;     /* the same allocation: late completions push onto it */
        }
    }
    if (b->Slots) {
        for (ULONG i = 0; i < b->Qd; i++)
            if (b->Slots[i].Buffer)
                ExFreePoolWithTag(b->Slots[i].Buffer, DISK_SHELL_TAG);
        ExFreePoolWithTag(b->Done, DISK_SHELL_TAG);
    }
    if (b->Hist)
        ExFreePoolWithTag(b->Hist, DISK_SHELL_TAG);
    if (b->Written)
        ExFreePoolWithTag(b->Written, DISK_SHELL_TAG);
}

/* disk=1,2,3,4: one line per disk, then the aggregate: requests of all
 * disks over the longest disk's time, their latencies as one histogram,
 * the depth summed. */
static VOID BenchReportTotal(BENCH *List, ULONG Count, PCSTR DiskText, BOOLEAN Cdf)
{
    static const ULONG points[BENCH_CDF_POINTS] = BENCH_CDF_LIST;
    ULONG64 ios = 0, errors = 0, ticks = 0, us = 0;
    ULONG64 cdf[BENCH_CDF_POINTS];
    BENCH_HIST *total = List[0].Hist;

    for (ULONG d = 0; d < Count; d++) {
        ios += List[d].Ios;
        errors += List[d].Errors;
        ticks += List[d].LatencyTicks;
        if (List[d].ElapsedUs > us)
            us = List[d].ElapsedUs;
        if (d)
            BenchHistMerge(total, List[d].Hist);   /* after every per-disk line */
    }
    ULONG64 iops = us ? ios * 1000000ull / us : 0;
    ULONG64 mbps10 = us ? ios * List[0].Bs * 10 / us : 0;
    ULONG64 depth10 = us ? ticks * 10000000ull / List[0].TscHz / us : 0;
    ConPrintf("bench-total disk=%s disks=%u rw=%s bs=%llu qd=%llu mode=%s ios=%llu iops=%llu "
              "mbps=%llu.%llu p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu "
              "avg_qd=%llu.%llu elapsed_us=%llu errors=%llu\n", DiskText, Count, List[0].Rw,
              List[0].Bs, List[0].Qd, List[0].Poll ? "poll" : "irq", ios, iops, mbps10 / 10,
              mbps10 % 10, BenchHistPercentile(total, 500), BenchHistPercentile(total, 900),
              BenchHistPercentile(total, 990), BenchHistPercentile(total, 999), total->MaxUs,
              depth10 / 10, depth10 % 10, us, errors);
    if (Cdf) {
        for (ULONG i = 0; i < BENCH_CDF_POINTS; i++)
            cdf[i] = BenchHistQuantile(total, points[i]);
        DiskShellPrintCdf(DiskText, List[0].Poll ? "poll" : "irq", cdf, total->MaxUs);
    }
}

static VOID BenchPrintCdf(BENCH *b)
{
    static const ULONG points[BENCH_CDF_POINTS] = BENCH_CDF_LIST;
    ULONG64 cdf[BENCH_CDF_POINTS];
    CHAR disk[16];

    for (ULONG i = 0; i < BENCH_CDF_POINTS; i++)
        cdf[i] = BenchHistQuantile(b->Hist, points[i]);
    RtlStringCbPrintfA(disk, sizeof(disk), "%u", b->Disk.Number);
    DiskShellPrintCdf(disk, b->Poll ? "poll" : "irq", cdf, b->Hist->MaxUs);
}

#define BENCH_MAX_DISKS 8

/* "1,2,3,4" -> numbers; FALSE if malformed, empty, repeated or too many. */
static BOOLEAN BenchDiskList(PCSTR Text, ULONG64 *Numbers, PULONG Count)
{
    CHAR one[24];
    ULONG n = 0;

    while (*Text) {
        ULONG len = 0;
        while (Text[len] && Text[len] != ',')
            len++;
        if (!len || len >= sizeof(one) || n == BENCH_MAX_DISKS)
            return FALSE;
        RtlCopyMemory(one, Text, len);
        one[len] = 0;
        if (!ShellParseU64(one, &Numbers[n]))
            return FALSE;
        for (ULONG i = 0; i < n; i++)
            if (Numbers[i] == Numbers[n])
                return FALSE;
        n++;
        Text += len;
        if (*Text == ',' && !*++Text)
            return FALSE;
    }
    *Count = n;
    return n != 0;
}

static INT CmdBench(INT Argc, PCHAR *Argv)
{
    BENCH *list;
    ULONG64 disks[BENCH_MAX_DISKS], raw, offset, span, cdf, profile;
    PIO_PROFILE prof = NULL;
    ULONG count = 0, opened = 0;
    PCSTR diskText = ShellGetKeyArg(Argc, Argv, "disk");
    CHAR diskNum[16];
    BOOLEAN ready = TRUE;
    INT rc = 1;

    if (!diskText)
        diskText = "0";
    if (!BenchDiskList(diskText, disks, &count)) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "disk=<n> or a list of up to 8 distinct disks, "
                    "disk=1,2,3,4", "bench disk=%s", diskText);
        return 1;
    }
    list = ExAllocatePoolZero(NonPagedPool, sizeof(BENCH) * count, DISK_SHELL_TAG);
    if (!list) {
        ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, NULL, "bench disk=%s", diskText);
        return 1;
    }
    list[0].FirstBad = ~0ull;
    list[0].TscHz = KeQueryTscFrequency();
    if (!BenchParse(&list[0], Argc, Argv, &disks[0], &raw, &offset, &span, &cdf, &profile))
        goto out;
    if (raw && profile) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "profile=1 profiles the NT path, raw=1 has none",
                    "bench disk=%s", diskText);
        goto out;
    }
    if (raw && count > 1) {
        ShellErrorF(STATUS_INVALID_PARAMETER, "raw=1 runs one disk (the port's own loop)",
                    "bench disk=%s", diskText);
        goto out;
    }
    for (ULONG d = 1; d < count; d++)
        list[d] = list[0];     /* the parsed settings; nothing allocated yet */
    for (; opened < count; opened++) {
        RtlStringCbPrintfA(diskNum, sizeof(diskNum), "%llu", disks[opened]);
        if (!DiskShellOpen("bench", diskNum, list[opened].Write, &list[opened].Disk))
            break;
    }
    if (opened < count)
        goto close;
    if (raw) {
        BENCH *b = &list[0];
        if (b->Bs % b->Disk.Info.SectorSize || b->Bs / b->Disk.Info.SectorSize > b->Disk.Info.Sectors)
            rc = ShellErrorF(STATUS_INVALID_PARAMETER, "bs must be a multiple of the sector size "
                             "and fit the disk", "bench disk=%u", b->Disk.Number);
        else
            rc = DiskShellRawBench(&b->Disk, b->Rw, b->Write, b->Random, b->Bs, b->Qd, b->Seconds,
                                   cdf != 0);
        goto close;
    }
    for (ULONG d = 0; d < count && ready; d++)
        ready = BenchPrepare(&list[d], offset, span) && BenchSetMode(&list[d]);
    if (ready && profile) {
        prof = IoStartProfile((ULONG)(list[0].Qd * count));
        if (!prof) {
            ShellErrorF(STATUS_INSUFFICIENT_RESOURCES, "no memory for the profile, or one runs",
                        "bench disk=%s", diskText);
            ready = FALSE;
        }
    }
    if (ready) {
        BenchRun(list, count);
        if (prof)
            IoStopProfile(prof);
        rc = 0;
        for (ULONG d = 0; d < count; d++) {
            BenchReport(&list[d]);
            if (cdf && count == 1)
                BenchPrintCdf(&list[d]);
            if (list[d].Errors || list[d].DrainTimedOut)
                rc = 1;
        }
        if (count > 1)
            BenchReportTotal(list, count, diskText, cdf != 0);
        if (prof) {
            ULONG64 ios = 0, ticks = 0;
            for (ULONG d = 0; d < count; d++) {
                ios += list[d].Ios + list[d].Errors;
                ticks += list[d].LatencyTicks;
            }
            DiskShellPrintProfile(diskText, prof, list[0].TscHz, ios ? ticks / ios : 0);
        }
    }
    if (prof)
        IoFreeProfile(prof);
    for (ULONG d = 0; d < count; d++)
        BenchFree(&list[d]);
    goto out;
close:
    for (ULONG d = 0; d < opened; d++)
        DiskShellClose(&list[d].Disk);
out:
    ExFreePoolWithTag(list, DISK_SHELL_TAG);
    return rc;
}
SHELL_COMMAND(bench, CmdBench, "bench disk=<n>[,<n>...] rw=randread|randwrite|read|write bs=<bytes> "
              "qd=<n> seconds=<s> mode=poll|irq [offset=<lba>] [span=<sectors>] [seed=<n>] [verify=1] "
              "[drain=<s>] [raw=1] [cdf=1] [profile=1]",
              "storage benchmark through the full NT path (raw=1: the AHCI port's own loop)");
