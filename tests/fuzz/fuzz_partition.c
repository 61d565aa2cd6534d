/* fuzz_partition.c - libFuzzer target over the kernel's partition-table
 * reader (kernel/fstub/partition.c, behind IoReadPartitionTableEx).
 *
 * Input: a sparse disk image.
 *   byte 0      bit 0: 4096-byte sectors (else 512)
 *   bytes 1..4  disk size in sectors (LE32, at least 2)
 *   bytes 5..8  bytes of "head" data (LE32)
 *   then        head data (from LBA 0), then tail data (ending at the last LBA)
 * Sectors in neither part read as zeros; a sector in both gets the tail.
 * Seeds (tests/fuzz/corpus/partition/, tools/mkdisk_seeds.sh) are real
 * sgdisk/sfdisk images cut to their first and last sectors.
 *
 * Besides ASan/UBSan it checks what the driver relies on: every partition
 * lies inside the disk (GPT: inside the usable area) with at least one
 * sector, none overlap, numbers run 1..Count, the log is terminated and
 * its length matches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fstub.h>

typedef struct {
    const uint8_t *Head, *Tail;
    size_t HeadSize, TailSize;
    uint32_t SectorSize;
    uint64_t Sectors;
} FUZZ_DISK;

static void Check(int ok)
{
    if (!ok)
        abort();
}

static NTSTATUS FuzzRead(PVOID Context, ULONG64 Lba, ULONG Count, PVOID Buffer)
{
    FUZZ_DISK *d = Context;
    uint64_t tailStart = d->Sectors * d->SectorSize - d->TailSize;

    Check(Count > 0 && Count <= FSTUB_SCRATCH_BYTES / d->SectorSize);
    if (Lba >= d->Sectors || Count > d->Sectors - Lba)
        return STATUS_INVALID_PARAMETER;
    for (uint64_t b = 0; b < (uint64_t)Count * d->SectorSize; b++) {
        uint64_t at = Lba * d->SectorSize + b;
        uint8_t v = 0;
        if (at >= tailStart)
            v = d->Tail[at - tailStart];
        else if (at < d->HeadSize)
            v = d->Head[at];
        ((uint8_t *)Buffer)[b] = v;
    }
    return STATUS_SUCCESS;
}

static uint8_t Scratch[FSTUB_SCRATCH_BYTES];
static FSTUB_LAYOUT Layout;

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    FUZZ_DISK d;
    uint32_t head;

    if (Size < 9)
        return 0;
    d.SectorSize = (Data[0] & 1) ? 4096 : 512;
    d.Sectors = (uint64_t)Data[1] | ((uint64_t)Data[2] << 8) | ((uint64_t)Data[3] << 16) |
                ((uint64_t)Data[4] << 24);
    head = (uint32_t)Data[5] | ((uint32_t)Data[6] << 8) | ((uint32_t)Data[7] << 16) |
           ((uint32_t)Data[8] << 24);
    Data += 9;
    Size -= 9;
    if (head > Size)
        head = (uint32_t)Size;
    d.Head = Data;
    d.HeadSize = head;
    d.Tail = Data + head;
    d.TailSize = Size - head;
    if (d.Sectors < 2 || d.TailSize > d.Sectors * d.SectorSize)
        return 0;

    NTSTATUS status = FstubReadLayout(FuzzRead, &d, d.SectorSize, d.Sectors, Scratch, &Layout);
    Check(status == STATUS_SUCCESS);
    Check(Layout.Count <= FSTUB_MAX_PARTITIONS);
    Check(Layout.LogLength < sizeof(Layout.Log) && Layout.Log[Layout.LogLength] == 0);
    Check(strlen(Layout.Log) == Layout.LogLength);
    Check(Layout.Style == PARTITION_STYLE_RAW || Layout.Style == PARTITION_STYLE_MBR ||
          Layout.Style == PARTITION_STYLE_GPT);
    if (Layout.Style == PARTITION_STYLE_RAW)
        Check(Layout.Count == 0);
    for (ULONG i = 0; i < Layout.Count; i++) {
        const FSTUB_PARTITION *p = &Layout.Partitions[i];
        Check(p->Number == i + 1);
        Check(p->Sectors >= 1 && p->StartLba >= 1);
        Check(p->StartLba < d.Sectors && p->Sectors <= d.Sectors - p->StartLba);
        if (Layout.Style == PARTITION_STYLE_GPT)
            Check(p->StartLba >= Layout.FirstUsableLba &&
                  p->StartLba + p->Sectors - 1 <= Layout.LastUsableLba);
        for (ULONG j = 0; j < i; j++) {
            const FSTUB_PARTITION *q = &Layout.Partitions[j];
            Check(p->StartLba >= q->StartLba + q->Sectors || q->StartLba >= p->StartLba + p->Sectors);
        }
        (void)FstubPartitionTypeName(p, Layout.Style);
    }
    return 0;
}
