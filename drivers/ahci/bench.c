/* bench.c - IOCTL_NTSTOR_AHCI_RAW_BENCH: the yardstick for `bench`.  The
 * same READ/WRITE commands the NT path issues, kept QueueDepth deep on a
 * quiesced port, with nothing between the loop and the registers: no file
 * object, IRP, class driver, SRB, SATL or lock.
 *
 * To be a fair limit (docs/performance.md) it does per pass exactly the
 * register work the NT path's polled loop does (bench's pass, then one
 * AhciPollLook), and nothing less:
 *  - issue: a command with nothing else in flight rings at once (as
 *    AhciSubmitSrb does); others are prepared and rung by the next look,
 *    one PxSACT and one PxCI write for all of them (doorbell batching);
 *  - look: PxSACT (PxCI without NCQ), plus PxCI when something looks
 *    finished (a queued command is done only with both bits clear); with
 *    nothing finished and nothing to ring, PxIS every AHCI_POLL_IS_LOOKS-th
 *    look; before crediting or ringing, PxIS (and PxSERR when QEMU's silent
 *    NCQ failure shows as SDBS), as DESIGN.md's fault rule demands;
 *  - one buffer per slot, like bench's requests (one shared buffer let the
 *    host's caches make the raw loop look better than any real caller);
 *  - time: the TSC, read once per pass as bench's KeQueryTimeUs is; the
 *    loop issues for DurationUs and then drains, so ios / elapsed is the
 *    rate it prints (a fixed command count sized by a probe run ended early
 *    or late and disagreed with the requested time). */
#include "ahcip.h"

#define AHCI_BENCH_MAX_US       (600ull * 1000000)
#define AHCI_BENCH_STALL_MS     5000    /* no completion for this long: the loop gives up */
#define AHCI_BENCH_MAX_BYTES    (4 * 1024 * 1024)

static inline ULONG64 AhciXorshift(ULONG64 *State)
{
    ULONG64 x = *State;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *State = x;
}

static inline ULONG64 AhciBenchTsc(VOID)
{
    return (ULONG64)KeQueryPerformanceCounter(NULL).QuadPart;
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
    static const ULONG cdf[BENCH_CDF_POINTS] = BENCH_CDF_LIST;
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high, boundary = { .QuadPart = 0 };
    ULONG sectorSize = Port->Device.SectorSize, count, depth, slotsMask;
    ULONG inflight = 0, deferred = 0, looks = 0, errorIs = 0;
    ULONG isMask = AHCI_PxIS_ERRORS;
    ULONG64 blocks, issued = 0, completed = 0, freq, tsc0, end, now, lastProgress, rng;
    ULONG64 start[AHCI_MAX_SLOTS];
    PVOID buffers[AHCI_MAX_SLOTS] = { 0 };
    LARGE_INTEGER f;
    BOOLEAN ncq = Port->UseNcq, stalled = FALSE, issuing = TRUE;
    BENCH_HIST *hist;
    SATL_ATA_COMMAND ata = { 0 };
    NTSTATUS status = STATUS_SUCCESS;

    if (!sectorSize || !Bench->BlockBytes || Bench->BlockBytes % sectorSize ||
        Bench->BlockBytes > AHCI_BENCH_MAX_BYTES ||
        Bench->BlockBytes / sectorSize > Port->Device.MaxTransferSectors ||
        !Bench->DurationUs || Bench->DurationUs > AHCI_BENCH_MAX_US || !Bench->QueueDepth ||
        Bench->QueueDepth > (ncq ? Port->QueueDepth : 1) || Bench->Random > 1 || Bench->Write > 1)
        return STATUS_INVALID_PARAMETER;
    Bench->Completed = Bench->Errors = Bench->ElapsedUs = Bench->LatencyTicks = Bench->MaxUs = 0;
    Bench->Doorbells = Bench->Looks = 0;
    RtlZeroMemory(Bench->CdfUs, sizeof(Bench->CdfUs));
    count = Bench->BlockBytes / sectorSize;
    blocks = Port->Device.Sectors / count;
    if (!blocks)
        return STATUS_INVALID_PARAMETER;
    depth = Bench->QueueDepth;
    slotsMask = depth == 32 ? 0xFFFFFFFFu : (1u << depth) - 1;
    if (ncq && (Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR))
        isMask |= AHCI_PxIS_SDBS;

    high.QuadPart = (Port->Controller->Cap & AHCI_CAP_S64A) ? (LONGLONG)-1 : 0xFFFFFFFFll;
    hist = ExAllocatePoolZero(NonPagedPool, sizeof(*hist), AHCI_TAG);
    if (!hist) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    for (ULONG s = 0; s < depth; s++) {
        buffers[s] = MmAllocateContiguousMemorySpecifyCache(Bench->BlockBytes, low, high, boundary,
                                                            MmCached);
        if (!buffers[s]) {
            status = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
    }
    if (!AhciQuiescePort(Port)) {
        AhciResumePort(Port);
        status = STATUS_DEVICE_BUSY;
        goto out;
    }
    AhciWrite(Port->Regs, AHCI_PxIE, 0);

    /* Every slot gets its command once; the loop changes only the LBA. */
    if (ncq) {
        ata.Command = Bench->Write ? ATA_CMD_WRITE_FPDMA_QUEUED : ATA_CMD_READ_FPDMA_QUEUED;
        ata.Protocol = Bench->Write ? SatlProtocolFpdmaOut : SatlProtocolFpdmaIn;
        ata.Features = (USHORT)count;
    } else {
        ata.Command = Bench->Write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT;
        ata.Protocol = Bench->Write ? SatlProtocolDmaOut : SatlProtocolDmaIn;
        ata.Count = (USHORT)count;
    }
    ata.Lba48 = TRUE;
    ata.Device = ATA_DEV_LBA;
    ata.TransferBytes = Bench->BlockBytes;
    for (ULONG s = 0; s < depth; s++)
        if (!NT_SUCCESS(AhciBuildCommand(Port, s, &ata, NULL, buffers[s], FALSE))) {
            status = STATUS_INVALID_PARAMETER;
            goto resume;
        }

    f.QuadPart = 0;
    KeQueryPerformanceCounter(&f);
    freq = f.QuadPart ? (ULONG64)f.QuadPart : 1;
    rng = Bench->Seed ? Bench->Seed : 0x9E3779B97F4A7C15ull;
    tsc0 = AhciBenchTsc();
    end = tsc0 + Bench->DurationUs * freq / 1000000;
    lastProgress = tsc0;
    for (;;) {
        ULONG sent, active, done;

        /* bench's pass: every free slot gets its next command. */
        while (issuing && (slotsMask & ~inflight)) {
            ULONG s = (ULONG)__builtin_ctz(slotsMask & ~inflight), bit = 1u << s;
            FIS_REG_H2D *fis = (FIS_REG_H2D *)Port->Slots[s].Table->Cfis;
            ULONG64 lba = (Bench->Random ? AhciXorshift(&rng) % blocks : issued % blocks) * count;
            fis->Lba0 = (UCHAR)lba;
            fis->Lba1 = (UCHAR)(lba >> 8);
            fis->Lba2 = (UCHAR)(lba >> 16);
            fis->Lba3 = (UCHAR)(lba >> 24);
            fis->Lba4 = (UCHAR)(lba >> 32);
            fis->Lba5 = (UCHAR)(lba >> 40);
            start[s] = AhciBenchTsc();
            issued++;
            if (!inflight) {
                /* Nothing else out: ring now, as AhciSubmitSrb does. */
                if (ncq)
                    AhciWrite(Port->Regs, AHCI_PxSACT, bit);
                AhciWrite(Port->Regs, AHCI_PxCI, bit);
                Bench->Doorbells++;
            } else {
                deferred |= bit;
            }
            inflight |= bit;
        }
        if (!inflight)
            break;

        /* One look, as AhciPollLook. */
        looks++;
        sent = inflight & ~deferred;
        active = 0;
        if (sent) {
            active = AhciRead(Port->Regs, ncq ? AHCI_PxSACT : AHCI_PxCI);
            if (ncq && (sent & ~active))
                active |= AhciRead(Port->Regs, AHCI_PxCI);
        }
        done = sent & ~active;
        now = AhciBenchTsc();
        if (!done && !deferred) {
            ULONG is = 0;
            if (!(looks % AHCI_POLL_IS_LOOKS))
                is = AhciRead(Port->Regs, AHCI_PxIS) & AHCI_PxIS_ERRORS;
            if (is) {
                errorIs = is;
                break;
            }
            if (!(looks % AHCI_POLL_DEADLINE_LOOKS) &&
                (now - lastProgress) * 1000 / freq > AHCI_BENCH_STALL_MS) {
                stalled = TRUE;
                break;
            }
        } else {
            /* Something to credit or to ring: the device's error state first. */
            ULONG is = AhciRead(Port->Regs, AHCI_PxIS) & isMask;
            if (is & AHCI_PxIS_SDBS) {
                AhciWrite(Port->Regs, AHCI_PxIS, AHCI_PxIS_SDBS);
                if (AhciRead(Port->Regs, AHCI_PxSERR))
                    is |= AHCI_PxIS_TFES;
            }
            if ((is & AHCI_PxIS_ERRORS) ||
                (done && !ncq && (Port->Rfis[AHCI_RFIS_RFIS + 2] & ATA_STS_ERR))) {
                errorIs = is | AHCI_PxIS_TFES;
                break;
            }
            for (ULONG b = done; b; b &= b - 1) {
                ULONG64 ticks = now - start[__builtin_ctz(b)];
                Bench->LatencyTicks += ticks;
                BenchHistAdd(hist, ticks * 1000000 / freq);
                completed++;
            }
            if (done)
                lastProgress = now;
            inflight &= ~done;
            if (deferred) {
                if (ncq)
                    AhciWrite(Port->Regs, AHCI_PxSACT, deferred);
                AhciWrite(Port->Regs, AHCI_PxCI, deferred);
                Bench->Doorbells++;
                deferred = 0;
            }
        }
        if (issuing && now >= end)
            issuing = FALSE;
    }
    Bench->ElapsedUs = (AhciBenchTsc() - tsc0) * 1000000 / freq;
    Bench->Looks = looks;
    Bench->Completed = completed;
    Bench->Errors = 0;
    if (errorIs || stalled) {
        Bench->Errors = 1;
        DbgPrint("ahci%u: port %u: raw bench stopped after %llu commands: %s (PxIS=%08x)\n",
                 Port->Controller->Number, Port->Index, (unsigned long long)completed,
                 stalled ? "no completion" : "error", errorIs);
        /* Slots prepared but never rung are not the device's: the recovery
         * takes back only what it was given. */
        AhciBenchRecover(Port, inflight & ~deferred, ncq, errorIs, stalled);
    }
    Bench->MaxUs = hist->MaxUs;
    for (ULONG i = 0; i < BENCH_CDF_POINTS; i++)
        Bench->CdfUs[i] = BenchHistQuantile(hist, cdf[i]);

resume:
    AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
    AhciPortSetMode(Port, Port->Mode);
    AhciResumePort(Port);
out:
    for (ULONG s = 0; s < AHCI_MAX_SLOTS; s++)
        if (buffers[s])
            MmFreeContiguousMemory(buffers[s]);
    if (hist)
        ExFreePoolWithTag(hist, AHCI_TAG);
    return status;
}
