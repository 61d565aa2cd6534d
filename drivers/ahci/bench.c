/* bench.c - IOCTL_NTSTOR_AHCI_RAW_BENCH: the same READ commands the NT path
 * issues, kept QueueDepth deep on a quiesced port in a tight polled loop
 * (one PxSACT and one PxCI write per batch of issues, one PxSACT or PxCI
 * read per look), so `bench ... raw=1` can show what the file object ->
 * IRP -> class driver -> SRB -> port driver path costs on top. */
#include "ahcip.h"

#define AHCI_BENCH_BUCKETS      10000   /* 1 us latency buckets; slower lands in the last */
#define AHCI_BENCH_MAX_IOS      1000000000ull
#define AHCI_BENCH_STALL_MS     5000    /* no completion for this long: the loop gives up */
#define AHCI_BENCH_MAX_BYTES    (1024 * 1024)

static ULONG AhciBenchPercentile(const ULONG *Hist, ULONG64 Total, ULONG Permille)
{
    ULONG64 want = (Total * Permille + 999) / 1000, seen = 0;

    for (ULONG i = 0; i < AHCI_BENCH_BUCKETS; i++) {
        seen += Hist[i];
        if (seen >= want && want)
            return i;
    }
    return AHCI_BENCH_BUCKETS - 1;
}

static inline ULONG64 AhciXorshift(ULONG64 *State)
{
    ULONG64 x = *State;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *State = x;
}

/* Lock not held; the port is quiesced and its interrupt off.  Takes the
 * failed loop's commands back through the normal recovery. */
static VOID AhciBenchRecover(PAHCI_PORT Port, ULONG Inflight, BOOLEAN Ncq, ULONG PortIs,
                             BOOLEAN Stalled)
{
    LIST_ENTRY done;
    KIRQL irql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Port->Lock, &irql);
    for (ULONG b = Inflight; b; b &= b - 1) {
        PAHCI_SLOT slot = &Port->Slots[__builtin_ctz(b)];
        slot->Irp = NULL;
        slot->Srb = NULL;
        slot->Deadline = 0;
    }
    Port->Issued = Inflight;
    Port->NcqIssued = Ncq ? Inflight : 0;
    AhciRecoverPort(Port, PortIs | (Stalled ? 0 : AHCI_PxIS_TFES), Stalled ? Inflight : 0, &done);
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciFinishIrps(&done);
    /* The loop's buffer is freed next: no taken-back command may still
     * run into it, so the reset (in the worker) comes first. */
    while (Port->InRecovery && AhciWaitRecovery(Port))
        ;
}

NTSTATUS AhciRawBench(PAHCI_PORT Port, PNTSTOR_AHCI_RAW_BENCH Bench)
{
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high, boundary = { .QuadPart = 0 };
    ULONG sectorSize = Port->Device.SectorSize, count, depth, slotsMask, inflight = 0;
    ULONG64 blocks, issued = 0, completed = 0, freq, tsc0, lastProgress, rng;
    LARGE_INTEGER f;
    BOOLEAN ncq = Port->UseNcq, stalled = FALSE;
    ULONG errorIs = 0;
    PVOID buffer;
    PULONG hist;
    SATL_ATA_COMMAND ata = { 0 };
    NTSTATUS status = STATUS_SUCCESS;

    if (!sectorSize || !Bench->BlockBytes || Bench->BlockBytes % sectorSize ||
        Bench->BlockBytes > AHCI_BENCH_MAX_BYTES ||
        Bench->BlockBytes / sectorSize > Port->Device.MaxTransferSectors ||
        !Bench->Ios || Bench->Ios > AHCI_BENCH_MAX_IOS || !Bench->QueueDepth ||
        Bench->QueueDepth > (ncq ? Port->QueueDepth : 1) || Bench->Random > 1)
        return STATUS_INVALID_PARAMETER;
    Bench->Completed = Bench->Errors = Bench->ElapsedUs = 0;
    Bench->P50Us = Bench->P99Us = Bench->MaxUs = 0;
    count = Bench->BlockBytes / sectorSize;
    blocks = Port->Device.Sectors / count;
    if (!blocks)
        return STATUS_INVALID_PARAMETER;
    depth = Bench->QueueDepth;
    slotsMask = depth == 32 ? 0xFFFFFFFFu : (1u << depth) - 1;

    high.QuadPart = (Port->Controller->Cap & AHCI_CAP_S64A) ? (LONGLONG)-1 : 0xFFFFFFFFll;
    buffer = MmAllocateContiguousMemorySpecifyCache(Bench->BlockBytes, low, high, boundary,
                                                    MmCached);
    hist = ExAllocatePoolZero(NonPagedPool, AHCI_BENCH_BUCKETS * sizeof(ULONG), AHCI_TAG);
    if (!buffer || !hist) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    if (!AhciQuiescePort(Port)) {
        AhciResumePort(Port);
        status = STATUS_DEVICE_BUSY;
        goto out;
    }
    AhciWrite(Port->Regs, AHCI_PxIE, 0);

    /* Every slot gets its command once; the loop changes only the LBA. */
    if (ncq) {
        ata.Command = ATA_CMD_READ_FPDMA_QUEUED;
        ata.Protocol = SatlProtocolFpdmaIn;
        ata.Features = (USHORT)count;
    } else {
        ata.Command = ATA_CMD_READ_DMA_EXT;
        ata.Protocol = SatlProtocolDmaIn;
        ata.Count = (USHORT)count;
    }
    ata.Lba48 = TRUE;
    ata.Device = ATA_DEV_LBA;
    ata.TransferBytes = Bench->BlockBytes;
    for (ULONG s = 0; s < depth; s++)
        if (!AhciBuildCommand(Port, s, &ata, NULL, buffer, FALSE)) {
            status = STATUS_INVALID_PARAMETER;
            goto resume;
        }

    f.QuadPart = 0;
    KeQueryPerformanceCounter(&f);
    freq = f.QuadPart ? (ULONG64)f.QuadPart : 1;
    rng = Bench->Seed ? Bench->Seed : 0x9E3779B97F4A7C15ull;
    tsc0 = (ULONG64)KeQueryPerformanceCounter(NULL).QuadPart;
    lastProgress = tsc0;
    while (completed < Bench->Ios) {
        ULONG batch = 0, done, active;
        ULONG64 now;

        while (issued < Bench->Ios && (slotsMask & ~inflight)) {
            ULONG s = (ULONG)__builtin_ctz(slotsMask & ~inflight);
            FIS_REG_H2D *fis = (FIS_REG_H2D *)Port->Slots[s].Table->Cfis;
            ULONG64 lba = (Bench->Random ? AhciXorshift(&rng) % blocks : issued % blocks) * count;
            fis->Lba0 = (UCHAR)lba;
            fis->Lba1 = (UCHAR)(lba >> 8);
            fis->Lba2 = (UCHAR)(lba >> 16);
            fis->Lba3 = (UCHAR)(lba >> 24);
            fis->Lba4 = (UCHAR)(lba >> 32);
            fis->Lba5 = (UCHAR)(lba >> 40);
            Port->Slots[s].StartTsc = (ULONG64)KeQueryPerformanceCounter(NULL).QuadPart;
            inflight |= 1u << s;
            batch |= 1u << s;
            issued++;
        }
        if (batch) {
            if (ncq)
                AhciWrite(Port->Regs, AHCI_PxSACT, batch);
            AhciWrite(Port->Regs, AHCI_PxCI, batch);
        }
        active = AhciRead(Port->Regs, ncq ? AHCI_PxSACT : AHCI_PxCI);
        done = inflight & ~active;
        now = (ULONG64)KeQueryPerformanceCounter(NULL).QuadPart;
        if (!done) {
            /* Nothing yet: is something wrong? */
            ULONG is = AhciRead(Port->Regs, AHCI_PxIS) & AHCI_PxIS_ERRORS;
            if (!is && ncq && (Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) &&
                AhciRead(Port->Regs, AHCI_PxSERR))
                is = AHCI_PxIS_TFES;
            if (is) {
                errorIs = is;
                break;
            }
            if ((now - lastProgress) * 1000 / freq > AHCI_BENCH_STALL_MS) {
                stalled = TRUE;
                break;
            }
            continue;
        }
        if (!ncq && (Port->Rfis[AHCI_RFIS_RFIS + 2] & ATA_STS_ERR)) {
            errorIs = AHCI_PxIS_TFES;
            break;
        }
        lastProgress = now;
        for (ULONG b = done; b; b &= b - 1) {
            ULONG64 us = (now - Port->Slots[__builtin_ctz(b)].StartTsc) * 1000000 / freq;
            hist[us < AHCI_BENCH_BUCKETS ? us : AHCI_BENCH_BUCKETS - 1]++;
            if (us > Bench->MaxUs)
                Bench->MaxUs = (ULONG)(us > 0xFFFFFFFFull ? 0xFFFFFFFFull : us);
            completed++;
        }
        inflight &= ~done;
    }
    Bench->ElapsedUs = ((ULONG64)KeQueryPerformanceCounter(NULL).QuadPart - tsc0) * 1000000 / freq;
    Bench->Completed = completed;
    Bench->Errors = 0;
    if (errorIs || stalled) {
        Bench->Errors = 1;
        DbgPrint("ahci%u: port %u: raw bench stopped after %llu commands: %s (PxIS=%08x)\n",
                 Port->Controller->Number, Port->Index, (unsigned long long)completed,
                 stalled ? "no completion" : "error", errorIs);
        AhciBenchRecover(Port, inflight, ncq, errorIs, stalled);
    }
    Bench->P50Us = AhciBenchPercentile(hist, completed, 500);
    Bench->P99Us = AhciBenchPercentile(hist, completed, 990);

resume:
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciPortSetMode(Port, Port->Mode);
    AhciResumePort(Port);
out:
    if (buffer)
        MmFreeContiguousMemory(buffer);
    if (hist)
        ExFreePoolWithTag(hist, AHCI_TAG);
    return status;
}
