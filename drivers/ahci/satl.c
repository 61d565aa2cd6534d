/* satl.c - SCSI CDB -> ATA command (SAT-4): READ/WRITE(6/10/12/16) as
 * READ/WRITE FPDMA QUEUED or DMA EXT, VERIFY, SYNCHRONIZE CACHE, UNMAP as
 * DATA SET MANAGEMENT/TRIM, ATA PASS-THROUGH(12/16).  Commands answered
 * from IDENTIFY facts are in satl_data.c; sense building in satl_sense.c. */
#include "satl.h"
#include <ata.h>

const char *const SatlProtocolNames[] = {
    [SatlProtocolNonData] = "non-data",
    [SatlProtocolPioIn] = "pio-in",
    [SatlProtocolPioOut] = "pio-out",
    [SatlProtocolDmaIn] = "dma-in",
    [SatlProtocolDmaOut] = "dma-out",
    [SatlProtocolFpdmaIn] = "fpdma-in",
    [SatlProtocolFpdmaOut] = "fpdma-out",
};

static VOID CheckCondition(PSATL_RESULT Result, UCHAR Key, UCHAR Asc, UCHAR Ascq)
{
    SatlSetSense(&Result->Sense, Key, Asc, Ascq);
    Result->Action = SatlActionCheckCondition;
}

VOID SatlpInvalidField(PSATL_RESULT Result)
{
    CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_CDB, 0);
}

/* CDB length by group code (SPC-4 4.2.5.1). */
static ULONG CdbGroupLength(UCHAR Op)
{
    switch (Op >> 5) {
    case 0: return 6;
    case 1: case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 16;
    }
}

static VOID IssueAta(PSATL_RESULT Result, UCHAR Command, UCHAR Protocol, ULONG64 Lba,
                     USHORT Count, USHORT Features, BOOLEAN Lba48, ULONG Bytes)
{
    PSATL_ATA_COMMAND a = &Result->Ata;

    Result->Action = SatlActionIssueAta;
    a->Command = Command;
    a->Protocol = Protocol;
    a->Lba = Lba;
    a->Count = Count;
    a->Features = Features;
    a->Lba48 = Lba48;
    a->Device = ATA_DEV_LBA;
    a->TransferBytes = Bytes;
    if (!Lba48)
        a->Device |= (UCHAR)((Lba >> 24) & 0x0F);   /* LBA 27:24 in the device register */
}

VOID SatlFpdmaToDma(PSATL_ATA_COMMAND Ata)
{
    BOOLEAN write = Ata->Protocol == SatlProtocolFpdmaOut;
    BOOLEAN fua = (Ata->Device & ATA_DEV_FUA) != 0;

    if (!SatlIsFpdma(Ata))
        return;
    /* The count moves from Features to Count; FUA becomes the opcode
     * (ACS-3 7.62 WRITE DMA FUA EXT), as ReadWrite does without NCQ. */
    Ata->Command = write ? (fua ? ATA_CMD_WRITE_DMA_FUA_EXT : ATA_CMD_WRITE_DMA_EXT)
                         : ATA_CMD_READ_DMA_EXT;
    Ata->Protocol = write ? SatlProtocolDmaOut : SatlProtocolDmaIn;
    Ata->Count = Ata->Features;
    Ata->Features = 0;
    Ata->Device = ATA_DEV_LBA;
}

/* READ/WRITE(6/10/12/16), SBC-3 5.x. */
static VOID ReadWrite(const ATA_DEVICE_INFO *Dev, const SATL_OPTIONS *Opt, const UCHAR *Cdb,
                      ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR op = Cdb[0];
    BOOLEAN write = op == SCSIOP_WRITE6 || op == SCSIOP_WRITE || op == SCSIOP_WRITE12 ||
                    op == SCSIOP_WRITE16;
    BOOLEAN fua = FALSE;
    ULONG64 lba, bytes;
    ULONG count;

    switch (op) {
    case SCSIOP_READ6:
    case SCSIOP_WRITE6:
        lba = ScsiGetBe24(Cdb + 1) & 0x1FFFFF;
        count = Cdb[4] ? Cdb[4] : 256;      /* SBC-3 5.7: 0 means 256 */
        break;
    case SCSIOP_READ:
    case SCSIOP_WRITE:
        lba = ScsiGetBe32(Cdb + 2);
        count = ScsiGetBe16(Cdb + 7);
        fua = (Cdb[1] & 0x08) != 0;
        break;
    case SCSIOP_READ12:
    case SCSIOP_WRITE12:
        lba = ScsiGetBe32(Cdb + 2);
        count = ScsiGetBe32(Cdb + 6);
        fua = (Cdb[1] & 0x08) != 0;
        break;
    default:
        lba = ScsiGetBe64(Cdb + 2);
        count = ScsiGetBe32(Cdb + 10);
        fua = (Cdb[1] & 0x08) != 0;
        break;
    }
    if (lba > Dev->Sectors || count > Dev->Sectors - lba) {
        CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
        return;
    }
    if (count == 0) {                       /* SBC-3: no data, not an error */
        Result->Action = SatlActionComplete;
        Result->DataLength = 0;
        return;
    }
    bytes = (ULONG64)count * Dev->SectorSize;
    if (count > Dev->MaxTransferSectors || bytes > BufferLength) {
        SatlpInvalidField(Result);
        return;
    }

    if (Opt->UseNcq && Dev->NcqDepth) {
        /* ACS-3 7.21/7.70: count in Features, tag in Count 7:3 (set at issue),
         * FUA in Device bit 7. */
        IssueAta(Result, write ? ATA_CMD_WRITE_FPDMA_QUEUED : ATA_CMD_READ_FPDMA_QUEUED,
                 write ? SatlProtocolFpdmaOut : SatlProtocolFpdmaIn, lba, 0,
                 (USHORT)count, TRUE, (ULONG)bytes);
        if (fua)
            Result->Ata.Device |= ATA_DEV_FUA;
    } else if (Dev->Lba48) {
        UCHAR cmd = write ? (fua ? ATA_CMD_WRITE_DMA_FUA_EXT : ATA_CMD_WRITE_DMA_EXT)
                          : ATA_CMD_READ_DMA_EXT;
        IssueAta(Result, cmd, write ? SatlProtocolDmaOut : SatlProtocolDmaIn, lba,
                 (USHORT)count, 0, TRUE, (ULONG)bytes);
    } else {
        if (count > ATA_MAX_SECTORS_LBA28 || lba + count > ATA_LBA28_LIMIT + 1) {
            CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
            return;
        }
        IssueAta(Result, write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA,
                 write ? SatlProtocolDmaOut : SatlProtocolDmaIn, lba,
                 (USHORT)(count & 0xFF), 0, FALSE, (ULONG)bytes);
    }
}

/* VERIFY(10/16) with BYTCHK=0 -> READ VERIFY SECTORS EXT (SAT-4 9.x). */
static VOID Verify(const ATA_DEVICE_INFO *Dev, const UCHAR *Cdb, PSATL_RESULT Result)
{
    BOOLEAN sixteen = Cdb[0] == SCSIOP_VERIFY16;
    ULONG64 lba = sixteen ? ScsiGetBe64(Cdb + 2) : ScsiGetBe32(Cdb + 2);
    ULONG count = sixteen ? ScsiGetBe32(Cdb + 10) : ScsiGetBe16(Cdb + 7);

    if (Cdb[1] & 0x06) {                    /* BYTCHK: compare data not supported */
        SatlpInvalidField(Result);
        return;
    }
    if (lba > Dev->Sectors || count > Dev->Sectors - lba) {
        CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
        return;
    }
    if (count == 0) {
        Result->Action = SatlActionComplete;
        Result->DataLength = 0;
        return;
    }
    if (count > ATA_MAX_SECTORS_LBA48 || !Dev->Lba48) {
        SatlpInvalidField(Result);
        return;
    }
    IssueAta(Result, ATA_CMD_READ_VERIFY_SECTORS_EXT, SatlProtocolNonData, lba,
             (USHORT)count, 0, TRUE, 0);
}

static VOID Unmap(const ATA_DEVICE_INFO *Dev, const SATL_OPTIONS *Opt, const UCHAR *Cdb,
                  const UCHAR *Buffer, ULONG BufferLength, PSATL_RESULT Result)
{
    ULONG listLength = ScsiGetBe16(Cdb + 7), blocks;

    if (!Dev->Trim) {
        CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
        return;
    }
    if (Cdb[1] & 0x01) {                    /* ANCHOR is not supported (SBC-3 5.28) */
        SatlpInvalidField(Result);
        return;
    }
    if (listLength > BufferLength || (listLength && !Buffer) || !Opt->Scratch) {
        SatlpInvalidField(Result);
        return;
    }
    blocks = SatlBuildTrimRanges(Dev, Buffer, listLength, Opt->Scratch, Opt->ScratchSize,
                                 &Result->Sense);
    if (blocks == 0) {
        if (Result->Sense.Key) {
            Result->Action = SatlActionCheckCondition;
        } else {
            Result->Action = SatlActionComplete;
            Result->DataLength = 0;
        }
        return;
    }
    IssueAta(Result, ATA_CMD_DATA_SET_MANAGEMENT, SatlProtocolDmaOut, 0, (USHORT)blocks,
             ATA_DSM_TRIM, TRUE, blocks * 512);
    Result->Ata.UseScratch = TRUE;
}

/* The ATA commands whose shape the SATL knows (ACS-3 7.x): the protocol
 * they run with, whether they are 48-bit commands, and whether COUNT and
 * LBA address a range of the medium.  A pass-through CDB that names one of
 * them must agree (docs/decisions.md, "ATA PASS-THROUGH is checked against
 * the opcode"); any other opcode goes to the device as the caller shaped it. */
typedef struct _SATL_PT_SHAPE {
    UCHAR Command;
    UCHAR Protocol;                 /* SATL_PROTOCOL; FPDMA never matches: the port owns the tags */
    BOOLEAN Ext;                    /* 48-bit command: needs EXTEND = 1 */
    BOOLEAN Range;                  /* LBA/COUNT address sectors of the medium */
    USHORT Bytes;                   /* fixed transfer length, 0 = not fixed */
} SATL_PT_SHAPE;

static const SATL_PT_SHAPE SatlPtShapes[] = {
    { ATA_CMD_READ_SECTORS,           SatlProtocolPioIn,    FALSE, TRUE,  0 },
    { ATA_CMD_READ_SECTORS_EXT,       SatlProtocolPioIn,    TRUE,  TRUE,  0 },
    { ATA_CMD_READ_DMA_EXT,           SatlProtocolDmaIn,    TRUE,  TRUE,  0 },
    { ATA_CMD_READ_MULTIPLE_EXT,      SatlProtocolPioIn,    TRUE,  TRUE,  0 },
    { ATA_CMD_READ_MULTIPLE,          SatlProtocolPioIn,    FALSE, TRUE,  0 },
    { ATA_CMD_READ_DMA,               SatlProtocolDmaIn,    FALSE, TRUE,  0 },
    { ATA_CMD_WRITE_SECTORS,          SatlProtocolPioOut,   FALSE, TRUE,  0 },
    { ATA_CMD_WRITE_SECTORS_EXT,      SatlProtocolPioOut,   TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_DMA_EXT,          SatlProtocolDmaOut,   TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_MULTIPLE_EXT,     SatlProtocolPioOut,   TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_DMA_FUA_EXT,      SatlProtocolDmaOut,   TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_MULTIPLE_FUA_EXT, SatlProtocolPioOut,   TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_MULTIPLE,         SatlProtocolPioOut,   FALSE, TRUE,  0 },
    { ATA_CMD_WRITE_DMA,              SatlProtocolDmaOut,   FALSE, TRUE,  0 },
    { ATA_CMD_READ_VERIFY_SECTORS,    SatlProtocolNonData,  FALSE, TRUE,  0 },
    { ATA_CMD_READ_VERIFY_SECTORS_EXT, SatlProtocolNonData, TRUE,  TRUE,  0 },
    { ATA_CMD_READ_FPDMA_QUEUED,      SatlProtocolFpdmaIn,  TRUE,  TRUE,  0 },
    { ATA_CMD_WRITE_FPDMA_QUEUED,     SatlProtocolFpdmaOut, TRUE,  TRUE,  0 },
    { ATA_CMD_DATA_SET_MANAGEMENT,    SatlProtocolDmaOut,   TRUE,  FALSE, 0 },
    { ATA_CMD_READ_LOG_EXT,           SatlProtocolPioIn,    TRUE,  FALSE, 0 },
    { ATA_CMD_READ_LOG_DMA_EXT,       SatlProtocolDmaIn,    TRUE,  FALSE, 0 },
    { ATA_CMD_WRITE_LOG_EXT,          SatlProtocolPioOut,   TRUE,  FALSE, 0 },
    { ATA_CMD_WRITE_LOG_DMA_EXT,      SatlProtocolDmaOut,   TRUE,  FALSE, 0 },
    { ATA_CMD_IDENTIFY_DEVICE,        SatlProtocolPioIn,    FALSE, FALSE, 512 },
    { ATA_CMD_FLUSH_CACHE,            SatlProtocolNonData,  FALSE, FALSE, 0 },
    { ATA_CMD_FLUSH_CACHE_EXT,        SatlProtocolNonData,  TRUE,  FALSE, 0 },
};

static const SATL_PT_SHAPE *PtShape(UCHAR Command)
{
    for (ULONG i = 0; i < sizeof(SatlPtShapes) / sizeof(SatlPtShapes[0]); i++)
        if (SatlPtShapes[i].Command == Command)
            return &SatlPtShapes[i];
    return NULL;
}

/* ATA PASS-THROUGH(12/16), SAT-4 12.2.2. */
static VOID PassThrough(const ATA_DEVICE_INFO *Dev, const UCHAR *Cdb, ULONG BufferLength,
                        PSATL_RESULT Result)
{
    BOOLEAN sixteen = Cdb[0] == SCSIOP_ATA_PASSTHROUGH16;
    UCHAR protocol = (Cdb[1] >> 1) & 0x0F;
    BOOLEAN extend = sixteen && (Cdb[1] & 0x01);
    UCHAR ckCond = (Cdb[2] >> 5) & 1, tType = (Cdb[2] >> 4) & 1, tDir = (Cdb[2] >> 3) & 1;
    UCHAR byteBlock = (Cdb[2] >> 2) & 1, tLength = Cdb[2] & 3;
    USHORT features, count;
    ULONG64 lba, length, bytes;
    UCHAR device, command, proto;
    const SATL_PT_SHAPE *shape;

    if (sixteen) {
        features = Cdb[4] | (extend ? Cdb[3] << 8 : 0);
        count = Cdb[6] | (extend ? Cdb[5] << 8 : 0);
        lba = (ULONG64)Cdb[8] | ((ULONG64)Cdb[10] << 8) | ((ULONG64)Cdb[12] << 16);
        if (extend)
            lba |= ((ULONG64)Cdb[7] << 24) | ((ULONG64)Cdb[9] << 32) | ((ULONG64)Cdb[11] << 40);
        device = Cdb[13];
        command = Cdb[14];
    } else {
        features = Cdb[3];
        count = Cdb[4];
        lba = (ULONG64)Cdb[5] | ((ULONG64)Cdb[6] << 8) | ((ULONG64)Cdb[7] << 16);
        device = Cdb[8];
        command = Cdb[9];
    }

    switch (protocol) {
    case ATA_PT_PROTOCOL_NON_DATA: proto = SatlProtocolNonData; break;
    case ATA_PT_PROTOCOL_PIO_DATA_IN: proto = SatlProtocolPioIn; break;
    case ATA_PT_PROTOCOL_PIO_DATA_OUT: proto = SatlProtocolPioOut; break;
    case ATA_PT_PROTOCOL_DMA: proto = tDir ? SatlProtocolDmaIn : SatlProtocolDmaOut; break;
    case ATA_PT_PROTOCOL_UDMA_DATA_IN: proto = SatlProtocolDmaIn; break;
    case ATA_PT_PROTOCOL_UDMA_DATA_OUT: proto = SatlProtocolDmaOut; break;
    default:
        /* Resets, NCQ (the port owns the tags), DEVICE DIAGNOSTIC, RETURN
         * RESPONSE INFORMATION: not offered. */
        SatlpInvalidField(Result);
        return;
    }

    switch (tLength) {
    case ATA_PT_TLENGTH_NONE: length = 0; break;
    case ATA_PT_TLENGTH_FEATURES: length = features; break;
    case ATA_PT_TLENGTH_SECTOR_COUNT: length = count; break;
    default: SatlpInvalidField(Result); return;
    }
    bytes = byteBlock ? length * (tType ? Dev->SectorSize : 512) : length;

    if (proto == SatlProtocolNonData) {
        if (bytes) {
            SatlpInvalidField(Result);
            return;
        }
    } else {
        BOOLEAN in = proto == SatlProtocolPioIn || proto == SatlProtocolDmaIn;
        if (bytes == 0 || bytes > BufferLength || in != (tDir != 0) ||
            bytes > (ULONG64)Dev->MaxTransferSectors * Dev->SectorSize || (bytes & 1)) {
            SatlpInvalidField(Result);
            return;
        }
    }

    /* A command the SATL knows must be sent the way ACS-3 defines it: a
     * READ DMA EXT sent as non-data would have the device move data the
     * HBA has no PRDs for.  Mismatches are the caller's error (SAT-4
     * 12.2.2.1 leaves the result undefined; libata refuses what it can
     * check), reported before anything reaches the device. */
    shape = PtShape(command);
    if (shape) {
        if (shape->Protocol != proto || shape->Ext != extend ||
            (shape->Bytes && bytes != shape->Bytes)) {
            SatlpInvalidField(Result);
            return;
        }
        if (shape->Range) {
            ULONG64 sectors;
            if (extend) {
                sectors = count ? count : ATA_MAX_SECTORS_LBA48;
            } else {
                /* 28-bit: LBA 27:24 in DEVICE 3:0, and only with the LBA bit
                 * (without it the fields are a CHS address the SATL cannot
                 * bound, and ACS-3 has no CHS any more). */
                if (!(device & ATA_DEV_LBA)) {
                    SatlpInvalidField(Result);
                    return;
                }
                lba |= (ULONG64)(device & 0x0F) << 24;
                sectors = (count & 0xFF) ? (count & 0xFF) : ATA_MAX_SECTORS_LBA28;
            }
            if (proto != SatlProtocolNonData && bytes != sectors * Dev->SectorSize) {
                SatlpInvalidField(Result);
                return;
            }
            /* Past the end: refused as READ(16) would be, rather than issued
             * for the device to abort with IDNF (decisions.md). */
            if (lba > Dev->Sectors || sectors > Dev->Sectors - lba) {
                CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
                return;
            }
        }
    }

    IssueAta(Result, command, proto, lba, count, features, extend, (ULONG)bytes);
    Result->Ata.Device = device;
    Result->Ata.PassThrough = TRUE;
    Result->Ata.CheckCondition = ckCond;
}

VOID SatlTranslate(const ATA_DEVICE_INFO *Device, const SATL_OPTIONS *Options,
                   const UCHAR *Cdb, ULONG CdbLength, PVOID Buffer, ULONG BufferLength,
                   PSATL_RESULT Result)
{
    RtlZeroMemory(Result, sizeof(*Result));
    if (!Buffer)
        BufferLength = 0;
    if (CdbLength == 0 || CdbLength > 16) {
        SatlpInvalidField(Result);
        return;
    }
    if (CdbLength < CdbGroupLength(Cdb[0])) {
        CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
        return;
    }
    if (SatlpSynthesize(Device, Options, Cdb, Buffer, BufferLength, Result))
        return;

    switch (Cdb[0]) {
    case SCSIOP_READ6: case SCSIOP_WRITE6:
    case SCSIOP_READ: case SCSIOP_WRITE:
    case SCSIOP_READ12: case SCSIOP_WRITE12:
    case SCSIOP_READ16: case SCSIOP_WRITE16:
        ReadWrite(Device, Options, Cdb, BufferLength, Result);
        break;
    case SCSIOP_VERIFY:
    case SCSIOP_VERIFY16:
        Verify(Device, Cdb, Result);
        break;
    case SCSIOP_SYNCHRONIZE_CACHE:
    case SCSIOP_SYNCHRONIZE_CACHE16:
        IssueAta(Result, Device->FlushExt ? ATA_CMD_FLUSH_CACHE_EXT : ATA_CMD_FLUSH_CACHE,
                 SatlProtocolNonData, 0, 0, 0, FALSE, 0);
        Result->Ata.Device = 0;
        break;
    case SCSIOP_UNMAP:
        Unmap(Device, Options, Cdb, Buffer, BufferLength, Result);
        break;
    case SCSIOP_ATA_PASSTHROUGH16:
    case SCSIOP_ATA_PASSTHROUGH12:
        PassThrough(Device, Cdb, BufferLength, Result);
        break;
    default:
        CheckCondition(Result, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_COMMAND, 0);
        break;
    }
}
