/* write.c - writes a partition table (fstub.h FstubWriteLayout, behind
 * IoWritePartitionTableEx): MBR primaries, or a GPT (UEFI 2.10 section 5.3)
 * with its protective MBR, both headers, both entry arrays and their
 * CRC32s.  Pure code over read and write callbacks, like the reader, so a
 * host test writes into a memory disk and reads it back with the reader.
 *
 * The whole layout is checked before the first write: a refused layout
 * leaves the disk as it was.  Write order keeps a crash readable: the new
 * table goes where the reader looks last first (GPT: backup array and
 * header, then primary array and header, LBA 0 last; MBR: LBA 0, then the
 * stale GPT headers are cleared), so an interrupted write leaves either the
 * old table or a new one with one good copy. */
#include <fstub.h>
#include <wdm/rtl.h>

#define MBR_BOOT_CODE_BYTES 440
#define MBR_DISK_SIGNATURE_OFFSET 440
#define MBR_TABLE_OFFSET 446
#define MBR_ENTRY_SIZE 16
#define GPT_HEADER_SIZE 92

static VOID Put16(PUCHAR p, USHORT v) { p[0] = (UCHAR)v; p[1] = (UCHAR)(v >> 8); }
static VOID Put32(PUCHAR p, ULONG v) { Put16(p, (USHORT)v); Put16(p + 2, (USHORT)(v >> 16)); }
static VOID Put64(PUCHAR p, ULONG64 v) { Put32(p, (ULONG)v); Put32(p + 4, (ULONG)(v >> 32)); }

static VOID PutGuid(PUCHAR p, const GUID *g)
{
    Put32(p, g->Data1);
    Put16(p + 4, g->Data2);
    Put16(p + 6, g->Data3);
    for (ULONG i = 0; i < 8; i++)
        p[8 + i] = g->Data4[i];
}

/* One MBR slot.  The CHS fields hold the "use the LBA" marker (1023/254/63)
 * every modern tool writes for disks past CHS reach; ntstor's reader, UEFI
 * and every OS since the 1990s go by the LBA fields. */
static VOID PutMbrEntry(PUCHAR Sector0, ULONG Slot, UCHAR Status, UCHAR Type, ULONG Start, ULONG Count)
{
    PUCHAR e = Sector0 + MBR_TABLE_OFFSET + Slot * MBR_ENTRY_SIZE;

    RtlZeroMemory(e, MBR_ENTRY_SIZE);
    e[0] = Status;
    e[1] = 0xFE; e[2] = 0xFF; e[3] = 0xFF;
    e[4] = Type;
    e[5] = 0xFE; e[6] = 0xFF; e[7] = 0xFF;
    Put32(e + 8, Start);
    Put32(e + 12, Count);
}

/* Every used entry in whole sectors inside [Low, High], none overlapping.
 * MBR: type 0 is an empty slot, and starts and lengths must fit 32 bits;
 * GPT: every entry is a partition and needs a type. */
static NTSTATUS CheckPartitions(const DRIVE_LAYOUT_INFORMATION_EX *L, ULONG SectorSize, ULONG64 Low,
                                ULONG64 High, PCHAR Why, SIZE_T WhySize)
{
    BOOLEAN mbr = L->PartitionStyle == PARTITION_STYLE_MBR;

    for (ULONG i = 0; i < L->PartitionCount; i++) {
        const PARTITION_INFORMATION_EX *p = &L->PartitionEntry[i];
        LONGLONG off = p->StartingOffset.QuadPart, len = p->PartitionLength.QuadPart;
        ULONG64 start, count;

        if (mbr && p->Mbr.PartitionType == PARTITION_ENTRY_UNUSED)
            continue;
        if (mbr && (IsContainerPartition(p->Mbr.PartitionType) || p->Mbr.PartitionType == PARTITION_GPT)) {
            RtlStringCbPrintfA(Why, WhySize, "entry %u: type 0x%02X (extended or protective) is not "
                               "written by ntstor", i, p->Mbr.PartitionType);
            return STATUS_NOT_SUPPORTED;
        }
        if (!mbr && FstubGuidIsZero(&p->Gpt.PartitionType)) {
            RtlStringCbPrintfA(Why, WhySize, "entry %u: no partition type (all-zero GUID)", i);
            return STATUS_INVALID_PARAMETER;
        }
        if (off <= 0 || len <= 0 || off % SectorSize || len % SectorSize) {
            RtlStringCbPrintfA(Why, WhySize, "entry %u: offset %lld, length %lld: not whole %u-byte "
                               "sectors past LBA 0", i, off, len, SectorSize);
            return STATUS_INVALID_PARAMETER;
        }
        start = (ULONG64)off / SectorSize;
        count = (ULONG64)len / SectorSize;
        if (start < Low || start > High || count > High - start + 1) {
            RtlStringCbPrintfA(Why, WhySize, "entry %u: LBA %llu..%llu outside the usable LBA %llu..%llu",
                               i, start, start + count - 1, Low, High);
            return STATUS_INVALID_PARAMETER;
        }
        if (mbr && (start > 0xFFFFFFFFull || count > 0xFFFFFFFFull)) {
            RtlStringCbPrintfA(Why, WhySize, "entry %u: LBA %llu..%llu beyond what an MBR entry holds",
                               i, start, start + count - 1);
            return STATUS_INVALID_PARAMETER;
        }
        for (ULONG j = 0; j < i; j++) {
            const PARTITION_INFORMATION_EX *q = &L->PartitionEntry[j];
            ULONG64 qs = (ULONG64)q->StartingOffset.QuadPart / SectorSize;
            ULONG64 qc = (ULONG64)q->PartitionLength.QuadPart / SectorSize;

            if (mbr && q->Mbr.PartitionType == PARTITION_ENTRY_UNUSED)
                continue;
            if (start < qs + qc && qs < start + count) {
                RtlStringCbPrintfA(Why, WhySize, "entry %u: LBA %llu..%llu overlaps entry %u (LBA %llu..%llu)",
                                   i, start, start + count - 1, j, qs, qs + qc - 1);
                return STATUS_INVALID_PARAMETER;
            }
        }
    }
    return STATUS_SUCCESS;
}

/* A sector whose first 8 bytes say "EFI PART" is zeroed (a GPT header the
 * new MBR leaves behind would otherwise still be found by tools that look
 * without a protective MBR).  Unreadable: left alone, it is not ours to
 * judge. */
/* LBA 0 is read before anything is written: its boot code is the
 * machine's, not ours, and goes back as it was. */
static NTSTATUS ReadLba0(PFSTUB_READ_SECTORS Read, PVOID Context, PUCHAR Scratch, PCHAR Why, SIZE_T WhySize)
{
    NTSTATUS status = Read(Context, 0, 1, Scratch);

    if (!NT_SUCCESS(status))
        RtlStringCbPrintfA(Why, WhySize, "LBA 0 read failed");
    return status;
}

static NTSTATUS ClearGptHeader(PFSTUB_READ_SECTORS Read, PFSTUB_WRITE_SECTORS Write, PVOID Context,
                               ULONG64 Lba, ULONG SectorSize, PUCHAR Scratch)
{
    static const CHAR sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };

    if (!NT_SUCCESS(Read(Context, Lba, 1, Scratch)) || !RtlEqualMemory(Scratch, sig, sizeof(sig)))
        return STATUS_SUCCESS;
    RtlZeroMemory(Scratch, SectorSize);
    return Write(Context, Lba, 1, Scratch);
}

static NTSTATUS WriteMbr(PFSTUB_READ_SECTORS Read, PFSTUB_WRITE_SECTORS Write, PVOID Context,
                         ULONG SectorSize, ULONG64 Sectors, const DRIVE_LAYOUT_INFORMATION_EX *L,
                         PUCHAR Scratch, PCHAR Why, SIZE_T WhySize)
{
    NTSTATUS status;

    if (L->PartitionCount > 4) {
        RtlStringCbPrintfA(Why, WhySize, "%u MBR entries: ntstor writes the four primaries only",
                           L->PartitionCount);
        return STATUS_NOT_SUPPORTED;
    }
    status = CheckPartitions(L, SectorSize, 1, Sectors - 1, Why, WhySize);
    if (!NT_SUCCESS(status))
        return status;
    status = ReadLba0(Read, Context, Scratch, Why, WhySize);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(Scratch + MBR_BOOT_CODE_BYTES, SectorSize - MBR_BOOT_CODE_BYTES);
    Put32(Scratch + MBR_DISK_SIGNATURE_OFFSET, L->Mbr.Signature);
    for (ULONG i = 0; i < L->PartitionCount; i++) {
        const PARTITION_INFORMATION_EX *p = &L->PartitionEntry[i];
        if (p->Mbr.PartitionType == PARTITION_ENTRY_UNUSED)
            continue;
        PutMbrEntry(Scratch, i, p->Mbr.BootIndicator ? 0x80 : 0x00, p->Mbr.PartitionType,
                    (ULONG)((ULONG64)p->StartingOffset.QuadPart / SectorSize),
                    (ULONG)((ULONG64)p->PartitionLength.QuadPart / SectorSize));
    }
    Scratch[510] = 0x55;
    Scratch[511] = 0xAA;
    status = Write(Context, 0, 1, Scratch);
    if (!NT_SUCCESS(status)) {
        RtlStringCbPrintfA(Why, WhySize, "LBA 0 write failed");
        return status;
    }
    status = ClearGptHeader(Read, Write, Context, 1, SectorSize, Scratch);
    if (NT_SUCCESS(status))
        status = ClearGptHeader(Read, Write, Context, Sectors - 1, SectorSize, Scratch);
    if (!NT_SUCCESS(status))
        RtlStringCbPrintfA(Why, WhySize, "clearing the old GPT header failed");
    return status;
}

/* Bytes [Offset, Offset + Bytes) of the entry array into Buffer (entry
 * i is PartitionEntry[i]; the rest of the array is zero: unused). */
static VOID FillEntries(const DRIVE_LAYOUT_INFORMATION_EX *L, ULONG SectorSize, ULONG64 Offset,
                        ULONG Bytes, PUCHAR Buffer)
{
    RtlZeroMemory(Buffer, Bytes);
    for (ULONG i = (ULONG)(Offset / FSTUB_GPT_ENTRY_SIZE); i < L->PartitionCount; i++) {
        ULONG64 at = (ULONG64)i * FSTUB_GPT_ENTRY_SIZE;
        const PARTITION_INFORMATION_EX *p = &L->PartitionEntry[i];
        ULONG64 start = (ULONG64)p->StartingOffset.QuadPart / SectorSize;
        ULONG64 count = (ULONG64)p->PartitionLength.QuadPart / SectorSize;
        PUCHAR e;

        if (at >= Offset + Bytes)
            break;
        e = Buffer + (at - Offset);
        PutGuid(e + 0, &p->Gpt.PartitionType);
        PutGuid(e + 16, &p->Gpt.PartitionId);
        Put64(e + 32, start);
        Put64(e + 40, start + count - 1);          /* inclusive */
        Put64(e + 48, p->Gpt.Attributes);
        for (ULONG c = 0; c < 36; c++)
            Put16(e + 56 + 2 * c, p->Gpt.Name[c]);
    }
}

typedef struct _GPT_PLAN {
    ULONG SectorSize;
    ULONG64 Sectors;
    ULONG Entries;
    ULONG64 ArraySectors;
    ULONG64 FirstUsable, LastUsable;
} GPT_PLAN;

/* Writes the array at Lba chunk by chunk (whole sectors, zero-padded);
 * its CRC32 into *Crc when asked. */
static NTSTATUS WriteArray(PFSTUB_WRITE_SECTORS Write, PVOID Context, const GPT_PLAN *P,
                           const DRIVE_LAYOUT_INFORMATION_EX *L, ULONG64 Lba, PUCHAR Scratch, PULONG Crc)
{
    ULONG64 bytes = (ULONG64)P->Entries * FSTUB_GPT_ENTRY_SIZE, done = 0;
    ULONG chunk = FSTUB_SCRATCH_BYTES - FSTUB_SCRATCH_BYTES % P->SectorSize;
    ULONG crc = 0;

    while (done < P->ArraySectors * P->SectorSize) {
        ULONG64 left = P->ArraySectors * P->SectorSize - done;
        ULONG want = left < chunk ? (ULONG)left : chunk;
        NTSTATUS status;

        FillEntries(L, P->SectorSize, done, want, Scratch);
        /* The CRC covers the entries only, not the padding to a sector. */
        if (done < bytes)
            crc = RtlComputeCrc32(crc, Scratch, bytes - done < want ? (ULONG)(bytes - done) : want);
        status = Write(Context, Lba + done / P->SectorSize, want / P->SectorSize, Scratch);
        if (!NT_SUCCESS(status))
            return status;
        done += want;
    }
    if (Crc)
        *Crc = crc;
    return STATUS_SUCCESS;
}

static NTSTATUS WriteHeader(PFSTUB_WRITE_SECTORS Write, PVOID Context, const GPT_PLAN *P,
                            const DRIVE_LAYOUT_INFORMATION_EX *L, ULONG64 My, ULONG64 Alternate,
                            ULONG64 ArrayLba, ULONG ArrayCrc, PUCHAR Scratch)
{
    RtlZeroMemory(Scratch, P->SectorSize);
    RtlCopyMemory(Scratch, "EFI PART", 8);
    Put32(Scratch + 8, 0x00010000);                 /* revision 1.0 */
    Put32(Scratch + 12, GPT_HEADER_SIZE);
    Put64(Scratch + 24, My);
    Put64(Scratch + 32, Alternate);
    Put64(Scratch + 40, P->FirstUsable);
    Put64(Scratch + 48, P->LastUsable);
    PutGuid(Scratch + 56, &L->Gpt.DiskId);
    Put64(Scratch + 72, ArrayLba);
    Put32(Scratch + 80, P->Entries);
    Put32(Scratch + 84, FSTUB_GPT_ENTRY_SIZE);
    Put32(Scratch + 88, ArrayCrc);
    /* Its own CRC last, over HeaderSize bytes with the field at 0. */
    Put32(Scratch + 16, RtlComputeCrc32(0, Scratch, GPT_HEADER_SIZE));
    return Write(Context, My, 1, Scratch);
}

static NTSTATUS WriteGpt(PFSTUB_READ_SECTORS Read, PFSTUB_WRITE_SECTORS Write, PVOID Context,
                         ULONG SectorSize, ULONG64 Sectors, const DRIVE_LAYOUT_INFORMATION_EX *L,
                         PUCHAR Scratch, PCHAR Why, SIZE_T WhySize)
{
    GPT_PLAN plan = { SectorSize, Sectors, L->Gpt.MaxPartitionCount, 0, 0, 0 };
    ULONG64 last = Sectors - 1;
    UCHAR bootCode[MBR_BOOT_CODE_BYTES];
    ULONG crc;
    NTSTATUS status;

    if (plan.Entries < FSTUB_GPT_MIN_ENTRIES)
        plan.Entries = FSTUB_GPT_MIN_ENTRIES;
    if (plan.Entries < L->PartitionCount)
        plan.Entries = L->PartitionCount;
    if (plan.Entries > GPT_MAX_ENTRIES) {
        RtlStringCbPrintfA(Why, WhySize, "%u entries (ntstor writes up to %u)", plan.Entries,
                           GPT_MAX_ENTRIES);
        return STATUS_INVALID_PARAMETER;
    }
    plan.ArraySectors = ((ULONG64)plan.Entries * FSTUB_GPT_ENTRY_SIZE + SectorSize - 1) / SectorSize;
    /* LBA 0, header, array ... usable ... array, header. */
    if (Sectors < 2 * plan.ArraySectors + 4) {
        RtlStringCbPrintfA(Why, WhySize, "disk of %llu sectors too small for a GPT", Sectors);
        return STATUS_INVALID_PARAMETER;
    }
    plan.FirstUsable = 2 + plan.ArraySectors;
    plan.LastUsable = last - 1 - plan.ArraySectors;
    status = CheckPartitions(L, SectorSize, plan.FirstUsable, plan.LastUsable, Why, WhySize);
    if (!NT_SUCCESS(status))
        return status;

    status = ReadLba0(Read, Context, Scratch, Why, WhySize);
    if (!NT_SUCCESS(status))
        return status;
    RtlCopyMemory(bootCode, Scratch, sizeof(bootCode));

    status = WriteArray(Write, Context, &plan, L, plan.LastUsable + 1, Scratch, &crc);
    if (NT_SUCCESS(status))
        status = WriteHeader(Write, Context, &plan, L, last, 1, plan.LastUsable + 1, crc, Scratch);
    if (NT_SUCCESS(status))
        status = WriteArray(Write, Context, &plan, L, 2, Scratch, NULL);
    if (NT_SUCCESS(status))
        status = WriteHeader(Write, Context, &plan, L, 1, last, 2, crc, Scratch);
    if (!NT_SUCCESS(status)) {
        RtlStringCbPrintfA(Why, WhySize, "GPT write failed");
        return status;
    }
    /* UEFI 5.2.3 protective MBR: one 0xEE entry over the disk (capped at
     * 32 bits), signature unused (0); the boot code stays. */
    RtlZeroMemory(Scratch, SectorSize);
    RtlCopyMemory(Scratch, bootCode, sizeof(bootCode));
    PutMbrEntry(Scratch, 0, 0, PARTITION_GPT, 1, Sectors - 1 > 0xFFFFFFFFull ? 0xFFFFFFFF : (ULONG)(Sectors - 1));
    Scratch[MBR_TABLE_OFFSET + 1] = 0x00;           /* starting CHS 0/0/2: LBA 1 */
    Scratch[MBR_TABLE_OFFSET + 2] = 0x02;
    Scratch[MBR_TABLE_OFFSET + 3] = 0x00;
    Scratch[510] = 0x55;
    Scratch[511] = 0xAA;
    status = Write(Context, 0, 1, Scratch);
    if (!NT_SUCCESS(status))
        RtlStringCbPrintfA(Why, WhySize, "protective MBR write failed");
    return status;
}

NTSTATUS FstubWriteLayout(PFSTUB_READ_SECTORS Read, PFSTUB_WRITE_SECTORS Write, PVOID Context,
                          ULONG SectorSize, ULONG64 Sectors, const DRIVE_LAYOUT_INFORMATION_EX *Layout,
                          PVOID Scratch, PCHAR Why, SIZE_T WhySize)
{
    RtlStringCbPrintfA(Why, WhySize, "written");
    if (SectorSize < FSTUB_MIN_SECTOR_SIZE || SectorSize > FSTUB_MAX_SECTOR_SIZE ||
        (SectorSize & (SectorSize - 1))) {
        RtlStringCbPrintfA(Why, WhySize, "sector size %u not supported", SectorSize);
        return STATUS_INVALID_PARAMETER;
    }
    if (Sectors < 2) {
        RtlStringCbPrintfA(Why, WhySize, "disk of %llu sectors cannot hold a partition table", Sectors);
        return STATUS_INVALID_PARAMETER;
    }
    switch (Layout->PartitionStyle) {
    case PARTITION_STYLE_MBR:
        return WriteMbr(Read, Write, Context, SectorSize, Sectors, Layout, Scratch, Why, WhySize);
    case PARTITION_STYLE_GPT:
        return WriteGpt(Read, Write, Context, SectorSize, Sectors, Layout, Scratch, Why, WhySize);
    default:
        RtlStringCbPrintfA(Why, WhySize, "partition style %u is not written (MBR or GPT only)",
                           Layout->PartitionStyle);
        return STATUS_NOT_SUPPORTED;
    }
}
