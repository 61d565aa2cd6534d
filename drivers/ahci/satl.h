/* satl.h - SCSI-to-ATA translation (SAT-4) as pure functions: no hardware,
 * no kernel services, so the host unit tests exercise exactly the code the
 * driver runs.  The driver turns an SRB's CDB into either an ATA command
 * to issue, data synthesized from the IDENTIFY facts, or sense data; after
 * the ATA command ends, the status/error registers become SCSI status and
 * sense here too. */
#ifndef NTSTOR_AHCI_SATL_H
#define NTSTOR_AHCI_SATL_H

#include <ntdef.h>
#include <ntstatus.h>
#include <wdm/rtl.h>
#include <scsi.h>

/* Facts about one ATA device, parsed from IDENTIFY DEVICE (SatlParseIdentify)
 * plus what the driver decides (NcqDepth after the HBA's CAP.SNCQ and the
 * Ncq parameter; MaxTransferSectors from the PRDT size). */
typedef struct _ATA_DEVICE_INFO {
    ULONG64 Sectors;                /* logical sectors (capacity) */
    ULONG SectorSize;               /* logical sector size in bytes */
    UCHAR LogicalPerPhysicalShift;  /* log2(logical sectors per physical) */
    USHORT AlignmentOffset;         /* word 209: logical sector of LBA 0 in its physical one */
    UCHAR NcqDepth;                 /* 0 = no NCQ, else 1..32 */
    BOOLEAN Lba48;
    BOOLEAN Trim;
    BOOLEAN TrimDeterministic;      /* DRAT */
    BOOLEAN TrimZeroes;             /* RZAT */
    BOOLEAN WriteCache;             /* supported */
    BOOLEAN WriteCacheEnabled;
    BOOLEAN Smart;
    BOOLEAN SmartEnabled;
    BOOLEAN Gpl;                    /* READ LOG EXT (needed for NCQ error recovery) */
    BOOLEAN FlushExt;
    USHORT DsmMaxBlocks;            /* 512-byte blocks of TRIM ranges per command */
    USHORT RotationRate;            /* word 217: 1 = solid state */
    UCHAR FormFactor;               /* word 168 3:0 */
    ULONG MaxTransferSectors;       /* per command, set by the driver */
    ULONG64 Wwn;                    /* 0 if none */
    CHAR Model[41];                 /* trimmed, NUL-terminated */
    CHAR Serial[21];
    CHAR Firmware[9];
} ATA_DEVICE_INFO, *PATA_DEVICE_INFO;

/* Parses 256 words of IDENTIFY DEVICE data (as received: little-endian
 * words).  STATUS_DEVICE_PROTOCOL_ERROR when the data is not an ATA
 * device's or is internally inconsistent (bad checksum, no LBA, zero
 * capacity, impossible sector size); Info is then undefined.
 * MaxTransferSectors is set to the ATA limit; NcqDepth to the device's. */
NTSTATUS SatlParseIdentify(const UCHAR Identify[512], PATA_DEVICE_INFO Info);

/* Copies an IDENTIFY string field (byte-swapped words) into Out, trimming
 * leading and trailing spaces and NULs; Out gets Words*2+1 bytes at most. */
VOID SatlIdentifyString(const UCHAR Identify[512], ULONG Word, ULONG Words, PCHAR Out);

/* ---- the ATA side of a translated command ---- */
typedef enum _SATL_PROTOCOL {
    SatlProtocolNonData = 0,
    SatlProtocolPioIn,
    SatlProtocolPioOut,
    SatlProtocolDmaIn,
    SatlProtocolDmaOut,
    SatlProtocolFpdmaIn,            /* NCQ: tag goes in Count 7:3 at issue */
    SatlProtocolFpdmaOut,
} SATL_PROTOCOL;

extern const char *const SatlProtocolNames[];

typedef struct _SATL_ATA_COMMAND {
    UCHAR Command;
    UCHAR Device;
    USHORT Features;                /* 15:8 used only for 48-bit commands */
    USHORT Count;
    ULONG64 Lba;                    /* 47:0 */
    UCHAR Protocol;                 /* SATL_PROTOCOL */
    BOOLEAN Lba48;                  /* the FIS carries the "previous" bytes */
    BOOLEAN UseScratch;             /* data is the driver's scratch buffer (UNMAP -> TRIM) */
    BOOLEAN PassThrough;            /* result goes back as ATA status (CK_COND rules) */
    BOOLEAN CheckCondition;         /* pass-through CK_COND: always return the task file */
    ULONG TransferBytes;            /* bytes the command moves */
} SATL_ATA_COMMAND, *PSATL_ATA_COMMAND;

static inline BOOLEAN SatlIsFpdma(const SATL_ATA_COMMAND *c)
{
    return c->Protocol == SatlProtocolFpdmaIn || c->Protocol == SatlProtocolFpdmaOut;
}

/* A READ/WRITE FPDMA QUEUED rewritten as the READ/WRITE DMA (FUA) EXT
 * it would have been without NCQ (the port turned NCQ off with the
 * command outstanding).  Anything else is left as it is. */
VOID SatlFpdmaToDma(PSATL_ATA_COMMAND Ata);

static inline BOOLEAN SatlIsWrite(const SATL_ATA_COMMAND *c)
{
    return c->Protocol == SatlProtocolPioOut || c->Protocol == SatlProtocolDmaOut ||
           c->Protocol == SatlProtocolFpdmaOut;
}

/* Sense to report: fixed format is built by SatlBuildSense. */
typedef struct _SATL_SENSE {
    UCHAR Key;
    UCHAR Asc;
    UCHAR Ascq;
    BOOLEAN InformationValid;
    UCHAR Information[4];
    UCHAR CommandSpecific[4];
} SATL_SENSE, *PSATL_SENSE;

typedef enum _SATL_ACTION {
    SatlActionIssueAta = 0,         /* issue Result->Ata */
    SatlActionComplete,             /* done: GOOD, DataLength bytes were written to the buffer */
    SatlActionCheckCondition,       /* done: CHECK CONDITION with Result->Sense */
} SATL_ACTION;

typedef struct _SATL_RESULT {
    SATL_ACTION Action;
    ULONG DataLength;               /* Complete: bytes synthesized (<= buffer) */
    SATL_ATA_COMMAND Ata;
    SATL_SENSE Sense;
} SATL_RESULT, *PSATL_RESULT;

/* Translation options the driver decides. */
typedef struct _SATL_OPTIONS {
    BOOLEAN UseNcq;                 /* READ/WRITE become FPDMA QUEUED */
    PVOID Scratch;                  /* UNMAP -> DSM TRIM ranges are built here */
    ULONG ScratchSize;              /* bytes, a multiple of 512 */
} SATL_OPTIONS, *PSATL_OPTIONS;

/* Translates one CDB.  Buffer/BufferLength are the SRB's DataBuffer and
 * DataTransferLength: the synthesized data goes there (truncated to the
 * allocation length and the buffer), and for UNMAP the parameter list is
 * read from there.  Never touches more than BufferLength bytes. */
VOID SatlTranslate(const ATA_DEVICE_INFO *Device, const SATL_OPTIONS *Options,
                   const UCHAR *Cdb, ULONG CdbLength, PVOID Buffer, ULONG BufferLength,
                   PSATL_RESULT Result);

/* UNMAP parameter list -> DSM TRIM range entries (ACS-3 7.5.3.2) in Out
 * (zero-padded to whole 512-byte blocks).  Returns the number of 512-byte
 * blocks used, 0 with *Sense set on a bad list or when it does not fit;
 * 0 with Sense->Key == 0 when the list has nothing to trim. */
ULONG SatlBuildTrimRanges(const ATA_DEVICE_INFO *Device, const UCHAR *List, ULONG ListLength,
                          PUCHAR Out, ULONG OutSize, PSATL_SENSE Sense);

/* Maximum UNMAP figures advertised in VPD B0 for a scratch of ScratchSize
 * bytes, so that any list within them fits (each descriptor may need
 * several ranges). */
VOID SatlUnmapLimits(const ATA_DEVICE_INFO *Device, ULONG ScratchSize,
                     PULONG MaxLbaCount, PULONG MaxDescriptors);

/* ATA completion status -> SCSI sense (SAT-4 11.6, libata's table shape):
 * UNC -> MEDIUM ERROR 11h/04h; IDNF -> ILLEGAL REQUEST 21h/00h when the
 * command addressed past the end, else MEDIUM ERROR 14h/01h; ICRC ->
 * ABORTED COMMAND 47h/03h; NM -> NOT READY 3Ah/00h; DF -> HARDWARE ERROR
 * 44h/00h; ABRT and anything else -> ABORTED COMMAND 00h/00h. */
VOID SatlSenseFromAta(const ATA_DEVICE_INFO *Device, const SATL_ATA_COMMAND *Command,
                      UCHAR Status, UCHAR Error, PSATL_SENSE Sense);

/* Pass-through results (SAT-4 12.2.2.6, fixed format): RECOVERED ERROR
 * 00h/1Dh (or the error's sense) with the returned task file in the
 * Information and Command-specific fields. */
typedef struct _SATL_TASKFILE {
    UCHAR Status, Error, Device;
    USHORT Count;
    ULONG64 Lba;
} SATL_TASKFILE, *PSATL_TASKFILE;
VOID SatlPassThroughSense(const SATL_ATA_COMMAND *Command, const SATL_TASKFILE *Returned,
                          PSATL_SENSE Sense);

/* Writes fixed-format sense (SPC-4 4.5.3) into Buffer; returns the bytes
 * written (min(18, Length)). */
ULONG SatlBuildSense(const SATL_SENSE *Sense, PVOID Buffer, ULONG Length);

static inline VOID SatlSetSense(PSATL_SENSE s, UCHAR Key, UCHAR Asc, UCHAR Ascq)
{
    RtlZeroMemory(s, sizeof(*s));
    s->Key = Key;
    s->Asc = Asc;
    s->Ascq = Ascq;
}

/* ---- shared by satl*.c only ---- */
VOID SatlpInvalidField(PSATL_RESULT Result);
/* Commands answered from ATA_DEVICE_INFO alone; FALSE if Cdb is not one. */
BOOLEAN SatlpSynthesize(const ATA_DEVICE_INFO *Device, const SATL_OPTIONS *Options,
                        const UCHAR *Cdb, PVOID Buffer, ULONG BufferLength, PSATL_RESULT Result);

#endif /* NTSTOR_AHCI_SATL_H */
