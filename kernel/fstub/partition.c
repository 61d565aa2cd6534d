/* partition.c - reads a disk's partition table: GPT (UEFI 2.10 section 5.3)
 * with fallback to the backup header, or MBR with the extended-partition
 * chain.  Pure code over a read callback (fstub.h): the one parser, run by
 * the kernel's IoReadPartitionTableEx / IoReadDiskSignature (fstubio.c),
 * the host unit tests and the fuzz target.
 *
 * Numbering (NT's): partitions are numbered 1..N in table order -- GPT
 * entries in array order; MBR primaries in slot order, then the logical
 * partitions in chain order.  Unused entries and extended containers get
 * no number. */
#include <fstub.h>
#include <wdm/rtl.h>

#define MBR_DISK_SIGNATURE_OFFSET 440
#define MBR_TABLE_OFFSET          446
#define MBR_ENTRY_SIZE            16
#define MBR_SIGNATURE_OFFSET      510
#define MBR_STATUS_ACTIVE         0x80

#define GPT_SIGNATURE   0x5452415020494645ull   /* "EFI PART" */
#define GPT_REVISION_MAJOR 1                     /* 5.3.2: revision 1.0 (0x00010000) */
#define GPT_HEADER_MIN_SIZE 92

/* GPT header fields (5.3.2, table 5-5) */
#define GPTH_SIGNATURE    0
#define GPTH_REVISION     8
#define GPTH_HEADER_SIZE  12
#define GPTH_HEADER_CRC   16
#define GPTH_MY_LBA       24
#define GPTH_ALTERNATE    32
#define GPTH_FIRST_USABLE 40
#define GPTH_LAST_USABLE  48
#define GPTH_DISK_GUID    56
#define GPTH_ENTRY_LBA    72
#define GPTH_ENTRY_COUNT  80
#define GPTH_ENTRY_SIZE   84
#define GPTH_ENTRY_CRC    88

/* GPT partition entry fields (5.3.3, table 5-6) */
#define GPTE_TYPE_GUID  0
#define GPTE_ID_GUID    16
#define GPTE_START      32
#define GPTE_END        40
#define GPTE_ATTRIBUTES 48
#define GPTE_NAME       56

typedef struct _GPT_HEADER_INFO {
    ULONG64 MyLba, AlternateLba, FirstUsable, LastUsable, EntryLba;
    ULONG Entries, EntrySize, EntryCrc;
    BOOLEAN HeaderCrcValid;         /* AlternateLba is trustworthy */
    BOOLEAN HasSignature;
    GUID DiskGuid;
} GPT_HEADER_INFO;

typedef struct _PART_READER {
    PFSTUB_READ_SECTORS Read;
    PVOID Context;
    ULONG SectorSize;
    ULONG64 Sectors;
    PUCHAR Scratch;
    PFSTUB_LAYOUT Layout;
} PART_READER;

static USHORT Le16(const UCHAR *p) { return (USHORT)(p[0] | (p[1] << 8)); }
static ULONG Le32(const UCHAR *p) { return (ULONG)p[0] | ((ULONG)p[1] << 8) | ((ULONG)p[2] << 16) | ((ULONG)p[3] << 24); }
static ULONG64 Le64(const UCHAR *p) { return (ULONG64)Le32(p) | ((ULONG64)Le32(p + 4) << 32); }

static VOID GetGuid(const UCHAR *p, GUID *g)
{
    g->Data1 = Le32(p);
    g->Data2 = Le16(p + 4);
    g->Data3 = Le16(p + 6);
    for (ULONG i = 0; i < 8; i++)
        g->Data4[i] = p[8 + i];
}

/* Counts a problem and appends its line to the log.  A line goes in whole
 * or not at all, and after the first that does not fit none does: the log
 * is always the first LogLines problems in order, and LogTruncated says the
 * rest (Problems - LogLines) are missing.  (It used to end in a cut line and
 * then one empty line per further problem.) */
static VOID PartLog(PFSTUB_LAYOUT L, PCSTR Format, ...) __attribute__((format(printf, 2, 3)));
static VOID PartLog(PFSTUB_LAYOUT L, PCSTR Format, ...)
{
    CHAR line[FSTUB_LOG_LINE_MAX];
    va_list ap;
    SIZE_T n = 0;

    L->Problems++;
    if (L->LogTruncated)
        return;
    va_start(ap, Format);
    RtlStringCbVPrintfA(line, sizeof(line), Format, ap);
    va_end(ap);
    while (line[n])
        n++;
    if (L->LogLength + n + 2 > sizeof(L->Log)) {    /* the line, '\n' and the terminator */
        L->LogTruncated = TRUE;
        return;
    }
    RtlCopyMemory(L->Log + L->LogLength, line, n);
    L->LogLength += (ULONG)n;
    L->Log[L->LogLength++] = '\n';
    L->Log[L->LogLength] = 0;
    L->LogLines++;
}

/* Adds [Start, Start+Sectors) unless it overlaps an accepted partition or
 * the list is full; What names the entry in the log. */
static PFSTUB_PARTITION PartAdd(PFSTUB_LAYOUT L, ULONG64 Start, ULONG64 Sectors,
                               ULONG TableIndex, PCSTR What)
{
    PFSTUB_PARTITION p;

    for (ULONG i = 0; i < L->Count; i++) {
        const FSTUB_PARTITION *q = &L->Partitions[i];
        if (Start < q->StartLba + q->Sectors && q->StartLba < Start + Sectors) {
            PartLog(L, "%s: LBA %llu..%llu overlaps partition %u (LBA %llu..%llu): skipped", What,
                    Start, Start + Sectors - 1, q->Number, q->StartLba, q->StartLba + q->Sectors - 1);
            return NULL;
        }
    }
    if (L->Count >= FSTUB_MAX_PARTITIONS) {
        PartLog(L, "%s: more than %u partitions: skipped", What, FSTUB_MAX_PARTITIONS);
        return NULL;
    }
    p = &L->Partitions[L->Count++];
    RtlZeroMemory(p, sizeof(*p));
    p->Number = L->Count;
    p->TableIndex = TableIndex;
    p->StartLba = Start;
    p->Sectors = Sectors;
    return p;
}

/* ---- MBR ---------------------------------------------------------------- */

typedef struct _MBR_ENTRY {
    UCHAR Status;
    UCHAR Type;
    ULONG Start;
    ULONG Count;
} MBR_ENTRY;

static VOID MbrDecode(const UCHAR *Sector, ULONG Slot, MBR_ENTRY *e)
{
    const UCHAR *p = Sector + MBR_TABLE_OFFSET + Slot * MBR_ENTRY_SIZE;
    e->Status = p[0];
    e->Type = p[4];
    e->Start = Le32(p + 8);
    e->Count = Le32(p + 12);
}

static BOOLEAN MbrHasSignature(const UCHAR *Sector)
{
    return Sector[MBR_SIGNATURE_OFFSET] == 0x55 && Sector[MBR_SIGNATURE_OFFSET + 1] == 0xAA;
}

/* Checks one entry's range: Base is the LBA its Start counts from, the
 * range must lie in [Low, High). */
static BOOLEAN MbrRangeOk(PFSTUB_LAYOUT L, PCSTR What, ULONG64 Start, ULONG64 Count,
                          ULONG64 Low, ULONG64 High, PCSTR Within)
{
    if (Count == 0) {
        PartLog(L, "%s: zero sectors: skipped", What);
        return FALSE;
    }
    if (Start < Low || Start + Count > High) {
        PartLog(L, "%s: LBA %llu..%llu outside %s (LBA %llu..%llu): skipped", What, Start,
                Start + Count - 1, Within, Low, High - 1);
        return FALSE;
    }
    return TRUE;
}

static VOID MbrReadChain(PART_READER *R, ULONG64 ExtStart, ULONG64 ExtEnd)
{
    PFSTUB_LAYOUT L = R->Layout;
    ULONG64 visited[MBR_MAX_LOGICAL];
    ULONG64 ebr = ExtStart;
    CHAR what[48];

    for (ULONG n = 0;; n++) {
        MBR_ENTRY e0, e1;
        NTSTATUS status;

        if (n >= MBR_MAX_LOGICAL) {
            PartLog(L, "mbr: extended chain longer than %u EBRs: rest skipped", MBR_MAX_LOGICAL);
            return;
        }
        if (ebr < ExtStart || ebr >= ExtEnd) {
            PartLog(L, "mbr: EBR %u at LBA %llu outside the extended partition (LBA %llu..%llu): "
                    "chain ends", n, ebr, ExtStart, ExtEnd - 1);
            return;
        }
        for (ULONG i = 0; i < n; i++) {
            if (visited[i] == ebr) {
                PartLog(L, "mbr: EBR %u at LBA %llu links back to EBR %u: loop, chain ends", n, ebr, i);
                return;
            }
        }
        visited[n] = ebr;
        status = R->Read(R->Context, ebr, 1, R->Scratch);
        if (!NT_SUCCESS(status)) {
            PartLog(L, "mbr: EBR %u at LBA %llu: read failed (0x%08X): chain ends", n, ebr,
                    (ULONG)status);
            return;
        }
        if (!MbrHasSignature(R->Scratch)) {
            PartLog(L, "mbr: EBR %u at LBA %llu: no 0x55AA signature: chain ends", n, ebr);
            return;
        }
        MbrDecode(R->Scratch, 0, &e0);
        MbrDecode(R->Scratch, 1, &e1);
        RtlStringCbPrintfA(what, sizeof(what), "mbr: logical %u (EBR LBA %llu)", n, ebr);
        if (e0.Type != PARTITION_ENTRY_UNUSED) {
            if (IsContainerPartition(e0.Type)) {
                PartLog(L, "%s: first entry is an extended type 0x%02X: skipped", what, e0.Type);
            } else if (MbrRangeOk(L, what, ebr + e0.Start, e0.Count, ebr + 1, ExtEnd,
                                  "its extended partition")) {
                PFSTUB_PARTITION p = PartAdd(L, ebr + e0.Start, e0.Count, 4 + n, what);
                if (p) {
                    p->MbrType = e0.Type;
                    p->Bootable = e0.Status == MBR_STATUS_ACTIVE;
                }
            }
        }
        if (e1.Type == PARTITION_ENTRY_UNUSED || e1.Count == 0)
            return;
        if (!IsContainerPartition(e1.Type)) {
            PartLog(L, "mbr: EBR %u at LBA %llu: link entry has type 0x%02X, not extended: "
                    "chain ends", n, ebr, e1.Type);
            return;
        }
        /* The link's start counts from the start of the extended partition. */
        ebr = ExtStart + e1.Start;
    }
}

static VOID MbrRead(PART_READER *R, const UCHAR *Sector0)
{
    PFSTUB_LAYOUT L = R->Layout;
    MBR_ENTRY e[4];
    ULONG ext = 4;
    CHAR what[32];

    L->Style = PARTITION_STYLE_MBR;
    L->FirstUsableLba = 1;
    L->LastUsableLba = R->Sectors - 1;
    for (ULONG s = 0; s < 4; s++)
        MbrDecode(Sector0, s, &e[s]);

    /* Primaries first, so a chain entry that overlaps one is the one refused. */
    for (ULONG s = 0; s < 4; s++) {
        if (e[s].Type == PARTITION_ENTRY_UNUSED)
            continue;
        RtlStringCbPrintfA(what, sizeof(what), "mbr: slot %u", s);
        if (e[s].Status != 0 && e[s].Status != MBR_STATUS_ACTIVE) {
            PartLog(L, "%s: status byte 0x%02X is neither 0x00 nor 0x80: skipped", what, e[s].Status);
            continue;
        }
        if (!MbrRangeOk(L, what, e[s].Start, e[s].Count, 1, R->Sectors, "the disk"))
            continue;
        if (IsContainerPartition(e[s].Type)) {
            if (ext == 4)
                ext = s;
            else
                PartLog(L, "%s: second extended partition: skipped", what);
            continue;
        }
        PFSTUB_PARTITION p = PartAdd(L, e[s].Start, e[s].Count, s, what);
        if (p) {
            p->MbrType = e[s].Type;
            p->Bootable = e[s].Status == MBR_STATUS_ACTIVE;
        }
    }
    if (ext == 4)
        return;
    for (ULONG i = 0; i < L->Count; i++) {
        const FSTUB_PARTITION *q = &L->Partitions[i];
        if (e[ext].Start < q->StartLba + q->Sectors && q->StartLba < (ULONG64)e[ext].Start + e[ext].Count) {
            PartLog(L, "mbr: slot %u: extended partition overlaps partition %u: skipped", ext, q->Number);
            return;
        }
    }
    MbrReadChain(R, e[ext].Start, (ULONG64)e[ext].Start + e[ext].Count);
}

/* ---- GPT ---------------------------------------------------------------- */

/* Reads the entry array of H chunk by chunk (Scratch) and either checks its
 * CRC32 (Parse FALSE) or adds its partitions to the layout (Parse TRUE). */
static NTSTATUS GptWalkEntries(PART_READER *R, const GPT_HEADER_INFO *H, BOOLEAN Parse,
                               PULONG Crc)
{
    ULONG64 bytes = (ULONG64)H->Entries * H->EntrySize, done = 0;
    ULONG chunk = H->EntrySize > R->SectorSize ? H->EntrySize : R->SectorSize;
    ULONG64 lba = H->EntryLba;
    ULONG crc = 0, index = 0;
    CHAR what[40];

    while (done < bytes) {
        ULONG want = bytes - done < chunk ? (ULONG)(bytes - done) : chunk;
        ULONG count = (want + R->SectorSize - 1) / R->SectorSize;
        NTSTATUS status = R->Read(R->Context, lba, count, R->Scratch);
        if (!NT_SUCCESS(status))
            return status;
        if (!Parse) {
            crc = RtlComputeCrc32(crc, R->Scratch, want);
        } else {
            for (ULONG off = 0; off + H->EntrySize <= want; off += H->EntrySize, index++) {
                const UCHAR *e = R->Scratch + off;
                GUID type;
                ULONG64 start = Le64(e + GPTE_START), end = Le64(e + GPTE_END);
                PFSTUB_PARTITION p;

                GetGuid(e + GPTE_TYPE_GUID, &type);
                if (FstubGuidIsZero(&type))
                    continue;
                RtlStringCbPrintfA(what, sizeof(what), "gpt: entry %u", index);
                if (start > end) {
                    PartLog(R->Layout, "%s: starting LBA %llu after ending LBA %llu: skipped", what,
                            start, end);
                    continue;
                }
                if (start < H->FirstUsable || end > H->LastUsable) {
                    PartLog(R->Layout, "%s: LBA %llu..%llu outside the usable LBA %llu..%llu: skipped",
                            what, start, end, H->FirstUsable, H->LastUsable);
                    continue;
                }
                p = PartAdd(R->Layout, start, end - start + 1, index, what);
                if (!p)
                    continue;
                p->TypeGuid = type;
                GetGuid(e + GPTE_ID_GUID, &p->IdGuid);
                p->Attributes = Le64(e + GPTE_ATTRIBUTES);
                for (ULONG c = 0; c < 36; c++)
                    p->Name[c] = Le16(e + GPTE_NAME + 2 * c);
            }
        }
        done += want;
        lba += count;
    }
    *Crc = crc;
    return STATUS_SUCCESS;
}

/* Validates the header at Lba and its entry array.  Returns TRUE, or FALSE
 * with the reason in Why. */
static BOOLEAN GptCheck(PART_READER *R, ULONG64 Lba, GPT_HEADER_INFO *H, PCHAR Why, SIZE_T WhySize)
{
    PUCHAR b = R->Scratch;
    ULONG size, crc, arrayCrc;
    ULONG64 arraySectors, arrayEnd;
    NTSTATUS status;

    RtlZeroMemory(H, sizeof(*H));
    status = R->Read(R->Context, Lba, 1, b);
    if (!NT_SUCCESS(status)) {
        RtlStringCbPrintfA(Why, WhySize, "read failed (0x%08X)", (ULONG)status);
        return FALSE;
    }
    if (Le64(b + GPTH_SIGNATURE) != GPT_SIGNATURE) {
        RtlStringCbPrintfA(Why, WhySize, "no \"EFI PART\" signature");
        return FALSE;
    }
    H->HasSignature = TRUE;
    if ((Le32(b + GPTH_REVISION) >> 16) != GPT_REVISION_MAJOR) {
        RtlStringCbPrintfA(Why, WhySize, "revision 0x%08X is not 1.x", Le32(b + GPTH_REVISION));
        return FALSE;
    }
    size = Le32(b + GPTH_HEADER_SIZE);
    if (size < GPT_HEADER_MIN_SIZE || size > R->SectorSize) {
        RtlStringCbPrintfA(Why, WhySize, "header size %u outside %u..%u", size,
                           GPT_HEADER_MIN_SIZE, R->SectorSize);
        return FALSE;
    }
    /* 5.3.2: the CRC covers HeaderSize bytes with the CRC field taken as 0. */
    crc = Le32(b + GPTH_HEADER_CRC);
    b[GPTH_HEADER_CRC] = b[GPTH_HEADER_CRC + 1] = b[GPTH_HEADER_CRC + 2] = b[GPTH_HEADER_CRC + 3] = 0;
    if (RtlComputeCrc32(0, b, size) != crc) {
        RtlStringCbPrintfA(Why, WhySize, "header CRC32 0x%08X does not match its contents (0x%08X)",
                           crc, RtlComputeCrc32(0, b, size));
        return FALSE;
    }
    H->HeaderCrcValid = TRUE;
    H->MyLba = Le64(b + GPTH_MY_LBA);
    H->AlternateLba = Le64(b + GPTH_ALTERNATE);
    H->FirstUsable = Le64(b + GPTH_FIRST_USABLE);
    H->LastUsable = Le64(b + GPTH_LAST_USABLE);
    GetGuid(b + GPTH_DISK_GUID, &H->DiskGuid);
    H->EntryLba = Le64(b + GPTH_ENTRY_LBA);
    H->Entries = Le32(b + GPTH_ENTRY_COUNT);
    H->EntrySize = Le32(b + GPTH_ENTRY_SIZE);
    H->EntryCrc = Le32(b + GPTH_ENTRY_CRC);

    if (H->MyLba != Lba) {
        RtlStringCbPrintfA(Why, WhySize, "MyLBA %llu is not where it was read", H->MyLba);
        return FALSE;
    }
    if (H->FirstUsable > H->LastUsable || H->LastUsable >= R->Sectors || H->FirstUsable < 2) {
        RtlStringCbPrintfA(Why, WhySize, "usable LBA %llu..%llu not inside the disk's %llu sectors",
                           H->FirstUsable, H->LastUsable, R->Sectors);
        return FALSE;
    }
    if (Lba >= H->FirstUsable && Lba <= H->LastUsable) {
        RtlStringCbPrintfA(Why, WhySize, "header lies inside the usable LBA %llu..%llu",
                           H->FirstUsable, H->LastUsable);
        return FALSE;
    }
    if (H->Entries > GPT_MAX_ENTRIES) {
        RtlStringCbPrintfA(Why, WhySize, "%u partition entries (ntstor accepts up to %u)",
                           H->Entries, GPT_MAX_ENTRIES);
        return FALSE;
    }
    if (H->EntrySize < GPT_MIN_ENTRY_SIZE || H->EntrySize > GPT_MAX_ENTRY_SIZE ||
        (H->EntrySize & (H->EntrySize - 1))) {
        RtlStringCbPrintfA(Why, WhySize, "entry size %u is not 128*2^n up to %u", H->EntrySize,
                           GPT_MAX_ENTRY_SIZE);
        return FALSE;
    }
    arraySectors = ((ULONG64)H->Entries * H->EntrySize + R->SectorSize - 1) / R->SectorSize;
    arrayEnd = H->EntryLba + arraySectors;     /* exclusive */
    if (H->EntryLba < 2 || H->EntryLba >= R->Sectors || arrayEnd > R->Sectors ||
        (Lba >= H->EntryLba && Lba < arrayEnd) ||
        (arraySectors && H->EntryLba <= H->LastUsable && arrayEnd > H->FirstUsable)) {
        RtlStringCbPrintfA(Why, WhySize, "entry array LBA %llu..%llu overlaps a header, the usable "
                           "area or the disk's end", H->EntryLba, arrayEnd - 1);
        return FALSE;
    }
    status = GptWalkEntries(R, H, FALSE, &arrayCrc);
    if (!NT_SUCCESS(status)) {
        RtlStringCbPrintfA(Why, WhySize, "entry array read failed (0x%08X)", (ULONG)status);
        return FALSE;
    }
    if (arrayCrc != H->EntryCrc) {
        RtlStringCbPrintfA(Why, WhySize, "entry array CRC32 0x%08X, header says 0x%08X", arrayCrc,
                           H->EntryCrc);
        return FALSE;
    }
    return TRUE;
}

/* TRUE if a GPT was found and used.  Quiet: no protective MBR, so a
 * missing GPT is simply "not a GPT disk" and not worth a log line. */
static BOOLEAN GptRead(PART_READER *R, BOOLEAN Quiet)
{
    PFSTUB_LAYOUT L = R->Layout;
    GPT_HEADER_INFO primary, backup, *use = NULL;
    CHAR why[128];
    ULONG64 last = R->Sectors - 1, tried = 0;
    ULONG crc;

    if (GptCheck(R, 1, &primary, why, sizeof(why))) {
        use = &primary;
        /* The primary is good; still say so if the backup is not. */
        if (primary.AlternateLba > 1 && primary.AlternateLba < R->Sectors &&
            !GptCheck(R, primary.AlternateLba, &backup, why, sizeof(why)))
            PartLog(L, "gpt: backup header at LBA %llu: %s (primary used)", primary.AlternateLba, why);
        else if (primary.AlternateLba <= 1 || primary.AlternateLba >= R->Sectors)
            PartLog(L, "gpt: primary header's AlternateLBA %llu is not on the disk", primary.AlternateLba);
    } else {
        if (Quiet && !primary.HasSignature) {
            /* No protective MBR and nothing at LBA 1: look at the end only
             * to catch a disk whose start was wiped. */
            if (!GptCheck(R, last, &backup, why, sizeof(why)))
                return FALSE;
            PartLog(L, "gpt: no primary header at LBA 1, using the backup at LBA %llu", last);
            use = &backup;
        } else {
            PartLog(L, "gpt: primary header at LBA 1: %s", why);
            if (primary.HeaderCrcValid && primary.AlternateLba > 1 && primary.AlternateLba < R->Sectors) {
                tried = primary.AlternateLba;
                if (GptCheck(R, tried, &backup, why, sizeof(why)))
                    use = &backup;
                else
                    PartLog(L, "gpt: backup header at LBA %llu: %s", tried, why);
            }
            if (!use && tried != last) {
                if (GptCheck(R, last, &backup, why, sizeof(why)))
                    use = &backup;
                else if (!Quiet || backup.HasSignature)
                    PartLog(L, "gpt: backup header at LBA %llu: %s", last, why);
            }
            if (!use)
                return FALSE;
            PartLog(L, "gpt: using the backup header at LBA %llu", use->MyLba);
        }
        L->UsedBackupGpt = TRUE;
    }
    L->Style = PARTITION_STYLE_GPT;
    L->DiskGuid = use->DiskGuid;
    L->FirstUsableLba = use->FirstUsable;
    L->LastUsableLba = use->LastUsable;
    L->GptEntries = use->Entries;
    if (!NT_SUCCESS(GptWalkEntries(R, use, TRUE, &crc))) {
        /* It read a moment ago; a disk that fails now is logged, and what
         * was read is kept. */
        PartLog(L, "gpt: entry array at LBA %llu could not be read again", use->EntryLba);
    }
    return TRUE;
}

ULONG FstubMbrCheckSum(const UCHAR *Sector0)
{
    ULONG sum = 0;

    for (ULONG i = 0; i < FSTUB_MIN_SECTOR_SIZE / 4; i++)
        sum += Le32(Sector0 + 4 * i);
    return 0u - sum;
}

NTSTATUS FstubReadLayout(PFSTUB_READ_SECTORS Read, PVOID Context, ULONG SectorSize,
                        ULONG64 Sectors, PVOID Scratch, PFSTUB_LAYOUT Layout)
{
    PART_READER r = { Read, Context, SectorSize, Sectors, Scratch, Layout };
    BOOLEAN mbrSig, protective = FALSE;
    UCHAR sector0[FSTUB_MIN_SECTOR_SIZE];
    NTSTATUS status;

    RtlZeroMemory(Layout, sizeof(*Layout));
    Layout->Style = PARTITION_STYLE_RAW;
    if (SectorSize < FSTUB_MIN_SECTOR_SIZE || SectorSize > FSTUB_MAX_SECTOR_SIZE ||
        (SectorSize & (SectorSize - 1))) {
        PartLog(Layout, "sector size %u not supported (512..4096, a power of two)", SectorSize);
        return STATUS_INVALID_PARAMETER;
    }
    if (Sectors < 2) {
        PartLog(Layout, "disk of %llu sectors cannot hold a partition table", Sectors);
        return STATUS_INVALID_PARAMETER;
    }
    status = Read(Context, 0, 1, Scratch);
    if (!NT_SUCCESS(status)) {
        PartLog(Layout, "LBA 0: read failed (0x%08X)", (ULONG)status);
        return status;
    }
    RtlCopyMemory(sector0, Scratch, sizeof(sector0));
    /* IoReadDiskSignature's MBR answer, for every style: NT reads them
     * from any disk that is not GPT, a blank one included. */
    Layout->MbrSignature = Le32(sector0 + MBR_DISK_SIGNATURE_OFFSET);
    Layout->MbrCheckSum = FstubMbrCheckSum(sector0);
    mbrSig = MbrHasSignature(sector0);
    if (mbrSig) {
        for (ULONG s = 0; s < 4; s++) {
            MBR_ENTRY e;
            MbrDecode(sector0, s, &e);
            if (e.Type == PARTITION_GPT)
                protective = TRUE;
        }
    }
    Layout->ProtectiveMbr = protective;
    /* UEFI 5.2.3: a 0xEE entry says "look for a GPT".  A disk with no MBR
     * signature may still carry a GPT whose LBA 0 was overwritten. */
    if (protective || !mbrSig) {
        if (Sectors >= 3 && GptRead(&r, !protective))
            return STATUS_SUCCESS;
        if (protective)
            PartLog(Layout, "gpt: protective MBR but no valid GPT: no partitions");
        Layout->Style = PARTITION_STYLE_RAW;
        Layout->Count = 0;
        return STATUS_SUCCESS;
    }
    MbrRead(&r, sector0);
    return STATUS_SUCCESS;
}

typedef struct _GPT_TYPE_NAME {
    GUID Type;
    PCSTR Name;
} GPT_TYPE_NAME;

/* The GPT types a user of ntstor meets (UEFI 5.3.3 table 5-7 and the
 * operating systems' published GUIDs). */
static const GPT_TYPE_NAME GptTypeNames[] = {
    { { 0xC12A7328, 0xF81F, 0x11D2, { 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B } }, "efi-system" },
    { { 0x21686148, 0x6449, 0x6E6F, { 0x74, 0x4E, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49 } }, "bios-boot" },
    { { 0xE3C9E316, 0x0B5C, 0x4DB8, { 0x81, 0x7D, 0xF9, 0x2D, 0xF0, 0x02, 0x15, 0xAE } }, "ms-reserved" },
    { { 0xEBD0A0A2, 0xB9E5, 0x4433, { 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7 } }, "ms-basic-data" },
    { { 0xDE94BBA4, 0x06D1, 0x4D40, { 0xA1, 0x6A, 0xBF, 0xD5, 0x01, 0x79, 0xD6, 0xAC } }, "ms-recovery" },
    { { 0x0FC63DAF, 0x8483, 0x4772, { 0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4 } }, "linux-data" },
    { { 0x0657FD6D, 0xA4AB, 0x43C4, { 0x84, 0xE5, 0x09, 0x33, 0xC8, 0x4B, 0x4F, 0x4F } }, "linux-swap" },
    { { 0xE6D6D379, 0xF507, 0x44C2, { 0xA2, 0x3C, 0x23, 0x8F, 0x2A, 0x3D, 0xF9, 0x28 } }, "linux-lvm" },
    { { 0x4F68BCE3, 0xE8CD, 0x4DB1, { 0x96, 0xE7, 0xFB, 0xCA, 0xF9, 0x84, 0xB7, 0x09 } }, "linux-root-x86-64" },
};

PCSTR FstubPartitionTypeName(const FSTUB_PARTITION *p, PARTITION_STYLE Style)
{
    if (Style == PARTITION_STYLE_GPT) {
        for (ULONG i = 0; i < sizeof(GptTypeNames) / sizeof(GptTypeNames[0]); i++)
            if (RtlEqualMemory(&GptTypeNames[i].Type, &p->TypeGuid, sizeof(GUID)))
                return GptTypeNames[i].Name;
        return NULL;
    }
    switch (p->MbrType) {
    case PARTITION_FAT_12: return "fat12";
    case PARTITION_FAT_16: return "fat16";
    case PARTITION_IFS: return "ntfs";
    case PARTITION_FAT32: case PARTITION_FAT32_XINT13: return "fat32";
    case PARTITION_XINT13: return "fat16-lba";
    case 0x82: return "linux-swap";
    case PARTITION_LINUX: return "linux";
    case 0x8E: return "linux-lvm";
    case PARTITION_EFI_SYSTEM: return "efi-system";
    default: return NULL;
    }
}
