/* partition.h - the disk class driver's partition-table reader: GPT (UEFI
 * 2.x section 5.3) and MBR with extended-partition chains, as pure code
 * over a read-sector callback, so the host unit tests and the fuzz target
 * run exactly what the driver runs.
 *
 * Everything read is outside input: every field is checked, a bad table is
 * refused or skipped with one log line naming what was wrong, and the
 * reader keeps going with what it can trust (the backup GPT when the
 * primary is bad, the other entries when one entry is bad). */
#ifndef NTSTOR_DISK_PARTITION_H
#define NTSTOR_DISK_PARTITION_H

#include <ntdef.h>
#include <ntstatus.h>
#include <ntdddisk.h>

/* Reads Count sectors from Lba into Buffer (Count * SectorSize bytes). */
typedef NTSTATUS (*PDISK_READ_SECTORS)(PVOID Context, ULONG64 Lba, ULONG Count, PVOID Buffer);

/* Partitions reported at most (NT's GPT default); more are logged and skipped. */
#define DISK_MAX_PARTITIONS 128
/* GPT bounds ntstor accepts (UEFI allows more; no real tool writes more). */
#define GPT_MAX_ENTRIES 1024
#define GPT_MIN_ENTRY_SIZE 128
#define GPT_MAX_ENTRY_SIZE 4096
/* Logical partitions followed in one extended-partition chain. */
#define MBR_MAX_LOGICAL 124
/* Sector sizes the reader handles (powers of two). */
#define DISK_MIN_SECTOR_SIZE 512
#define DISK_MAX_SECTOR_SIZE 4096
/* Longest problem line (its format's figures always fit). */
#define DISK_LOG_LINE_MAX 160
/* Caller-provided work buffer: one chunk of the GPT entry array. */
#define DISK_PARTITION_SCRATCH_BYTES (2 * DISK_MAX_SECTOR_SIZE)

typedef struct _DISK_PARTITION {
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
} DISK_PARTITION, *PDISK_PARTITION;

typedef struct _DISK_LAYOUT {
    PARTITION_STYLE Style;
    ULONG Count;
    ULONG Problems;                 /* every problem found, logged or not */
    BOOLEAN UsedBackupGpt;
    BOOLEAN LogTruncated;           /* Log is full: the last Problems - LogLines are not in it */
    UCHAR Reserved[2];
    ULONG MbrSignature;             /* MBR disk signature (bytes 440..443) */
    GUID DiskGuid;                  /* GPT */
    ULONG64 FirstUsableLba, LastUsableLba;   /* GPT; MBR: 1 .. Sectors-1 */
    ULONG GptEntries;               /* GPT NumberOfPartitionEntries */
    ULONG LogLength;
    ULONG LogLines;                 /* problems in Log, the first ones found, one whole line each */
    CHAR Log[1024];                 /* "gpt: primary header at LBA 1: bad CRC32 (...)\n" ... */
    DISK_PARTITION Partitions[DISK_MAX_PARTITIONS];
} DISK_LAYOUT, *PDISK_LAYOUT;

/* Reads the partition table of a disk of Sectors sectors of SectorSize
 * bytes.  Scratch is DISK_PARTITION_SCRATCH_BYTES of caller memory.
 * Returns STATUS_SUCCESS with Layout filled (Style RAW and Count 0 when
 * there is no usable table; the log says why), STATUS_INVALID_PARAMETER for
 * an unsupported sector size or a disk too small for a table, or the read
 * callback's failure status for LBA 0. */
NTSTATUS DiskReadLayout(PDISK_READ_SECTORS Read, PVOID Context, ULONG SectorSize,
                        ULONG64 Sectors, PVOID Scratch, PDISK_LAYOUT Layout);

/* Short printable name of a GPT type GUID or an MBR type byte
 * ("efi-system", "linux-data", "ntfs", ...) or NULL when unknown. */
PCSTR DiskPartitionTypeName(const DISK_PARTITION *Partition, PARTITION_STYLE Style);

/* "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" into Text (at least 37 bytes). */
VOID DiskFormatGuid(const GUID *Guid, PCHAR Text, SIZE_T TextSize);

#endif /* NTSTOR_DISK_PARTITION_H */
