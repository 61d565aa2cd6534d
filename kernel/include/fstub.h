/* fstub.h - the kernel's partition-table reader (NT's "fstub", behind
 * IoReadPartitionTableEx / IoReadDiskSignature, kernel/fstub/): GPT (UEFI
 * 2.x section 5.3) and MBR with extended-partition chains.  The parser
 * (kernel/fstub/partition.c) is pure code over a read-sector callback, so
 * the host unit tests and the fuzz target run exactly what the kernel runs;
 * kernel/fstub/fstubio.c feeds it with IRPs sent to a disk device.
 *
 * Everything read is outside input: every field is checked, a bad table is
 * refused or skipped with one log line naming what was wrong, and the
 * reader keeps going with what it can trust (the backup GPT when the
 * primary is bad, the other entries when one entry is bad). */
#ifndef NTSTOR_FSTUB_H
#define NTSTOR_FSTUB_H

#include <ntdef.h>
#include <ntstatus.h>
#include <ntdddisk.h>
#include <ntstor_disk.h>

/* An all-zero GUID: an unused GPT entry's type, or no disk GUID. */
static inline BOOLEAN FstubGuidIsZero(const GUID *Guid)
{
    const UCHAR *p = (const UCHAR *)Guid;
    for (ULONG i = 0; i < sizeof(*Guid); i++)
        if (p[i])
            return FALSE;
    return TRUE;
}

/* Reads Count sectors from Lba into Buffer (Count * SectorSize bytes). */
typedef NTSTATUS (*PFSTUB_READ_SECTORS)(PVOID Context, ULONG64 Lba, ULONG Count, PVOID Buffer);

/* Partitions reported at most (NT's GPT default); more are logged and skipped. */
#define FSTUB_MAX_PARTITIONS NTSTOR_MAX_PARTITIONS
/* GPT bounds ntstor accepts (UEFI allows more; no real tool writes more). */
#define GPT_MAX_ENTRIES 1024
#define GPT_MIN_ENTRY_SIZE 128
#define GPT_MAX_ENTRY_SIZE 4096
/* Logical partitions followed in one extended-partition chain. */
#define MBR_MAX_LOGICAL 124
/* Sector sizes the reader handles (powers of two). */
#define FSTUB_MIN_SECTOR_SIZE NTSTOR_MIN_SECTOR_SIZE
#define FSTUB_MAX_SECTOR_SIZE NTSTOR_MAX_SECTOR_SIZE
/* Longest problem line (its format's figures always fit). */
#define FSTUB_LOG_LINE_MAX 160
/* Caller-provided work buffer: one chunk of the GPT entry array. */
#define FSTUB_SCRATCH_BYTES (2 * FSTUB_MAX_SECTOR_SIZE)

typedef struct _FSTUB_PARTITION {
    ULONG Number;                   /* 1..Count, \Device\Harddisk<n>\Partition<Number> */
    ULONG TableIndex;               /* GPT entry index, MBR slot 0..3, or 4 + logical index */
    ULONG64 StartLba;
    ULONG64 Sectors;
    UCHAR MbrType;                  /* MBR type byte; 0 on GPT */
    BOOLEAN Bootable;               /* MBR 0x80 */
    UCHAR Reserved[6];
    GUID TypeGuid;                  /* GPT only */
    GUID IdGuid;
    ULONG64 Attributes;
    WCHAR Name[36];                 /* GPT name, UTF-16, NUL-padded */
} FSTUB_PARTITION, *PFSTUB_PARTITION;

typedef struct _FSTUB_LAYOUT {
    PARTITION_STYLE Style;
    ULONG Count;
    ULONG Problems;                 /* every problem found, logged or not */
    BOOLEAN UsedBackupGpt;
    BOOLEAN LogTruncated;           /* Log is full: the last Problems - LogLines are not in it */
    BOOLEAN ProtectiveMbr;          /* LBA 0 has a 0xEE entry (a GPT should follow) */
    UCHAR Reserved[1];
    ULONG MbrSignature;             /* MBR disk signature (bytes 440..443) of LBA 0, whatever the style */
    ULONG MbrCheckSum;              /* FstubMbrCheckSum of LBA 0, whatever the style */
    GUID DiskGuid;                  /* GPT */
    ULONG64 FirstUsableLba, LastUsableLba;   /* GPT; MBR: 1 .. Sectors-1 */
    ULONG GptEntries;               /* GPT NumberOfPartitionEntries */
    ULONG LogLength;
    ULONG LogLines;                 /* problems in Log, the first ones found, one whole line each */
    CHAR Log[NTSTOR_DISK_LOG_BYTES];               /* "gpt: primary header at LBA 1: bad CRC32 (...)\n" ... */
    FSTUB_PARTITION Partitions[FSTUB_MAX_PARTITIONS];
} FSTUB_LAYOUT, *PFSTUB_LAYOUT;

/* Reads the partition table of a disk of Sectors sectors of SectorSize
 * bytes.  Scratch is FSTUB_SCRATCH_BYTES of caller memory.
 * Returns STATUS_SUCCESS with Layout filled (Style RAW and Count 0 when
 * there is no usable table; the log says why), STATUS_INVALID_PARAMETER for
 * an unsupported sector size or a disk too small for a table, or the read
 * callback's failure status for LBA 0. */
NTSTATUS FstubReadLayout(PFSTUB_READ_SECTORS Read, PVOID Context, ULONG SectorSize,
                        ULONG64 Sectors, PVOID Scratch, PFSTUB_LAYOUT Layout);

/* Short printable name of a GPT type GUID or an MBR type byte
 * ("efi-system", "linux-data", "ntfs", ...) or NULL when unknown. */
PCSTR FstubPartitionTypeName(const FSTUB_PARTITION *Partition, PARTITION_STYLE Style);

/* The 32-bit sum of the first 512 bytes' ULONGs, negated: NT's MBR
 * checksum (DISK_SIGNATURE.Mbr.CheckSum), which tells apart disks whose
 * signatures are equal (both 0 on a blank disk). */
ULONG FstubMbrCheckSum(const UCHAR *Sector0);

/* ---- writing (kernel/fstub/write.c, behind IoWritePartitionTableEx) ---- */

/* Writes Count sectors from Buffer at Lba. */
typedef NTSTATUS (*PFSTUB_WRITE_SECTORS)(PVOID Context, ULONG64 Lba, ULONG Count, const VOID *Buffer);

/* Entries of a GPT's array at least (UEFI 5.3.2: 16 KiB reserved for it). */
#define FSTUB_GPT_MIN_ENTRIES 128
#define FSTUB_GPT_ENTRY_SIZE 128

/* Writes Layout (NT's shape, byte offsets) to a disk of Sectors sectors of
 * SectorSize bytes: MBR -- the four primary slots from PartitionEntry[0..3]
 * (type 0: an empty slot), LBA 0's boot code kept, a stale GPT's headers
 * cleared; GPT -- protective MBR, primary header and entry array, backup
 * array and header, CRC32s (UEFI 2.x 5.3), usable area from the disk's size.
 * Nothing is written unless the whole layout is valid.  Returns
 * STATUS_INVALID_PARAMETER for a partition that is misaligned, empty, out of
 * the usable range or overlapping another, STATUS_NOT_SUPPORTED for what
 * ntstor does not write (RAW, more than four MBR entries, extended
 * partitions), else the callbacks' first failure; Why (WhySize bytes) says
 * which partition and what.  Scratch is FSTUB_SCRATCH_BYTES. */
NTSTATUS FstubWriteLayout(PFSTUB_READ_SECTORS Read, PFSTUB_WRITE_SECTORS Write, PVOID Context,
                          ULONG SectorSize, ULONG64 Sectors, const DRIVE_LAYOUT_INFORMATION_EX *Layout,
                          PVOID Scratch, PCHAR Why, SIZE_T WhySize);

#endif /* NTSTOR_FSTUB_H */
