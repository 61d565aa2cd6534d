/* satl_sense.c - sense data: ATA status/error -> sense key and ASC/ASCQ
 * (SAT-4 11.6), ATA PASS-THROUGH results (SAT-4 12.2.2.6), fixed-format
 * sense (SPC-4 4.5.3); and UNMAP parameter lists -> TRIM ranges. */
#include "satl.h"
#include <ata.h>

ULONG SatlBuildSense(const SATL_SENSE *Sense, PVOID Buffer, ULONG Length)
{
    UCHAR d[sizeof(SENSE_DATA)] = { 0 };
    ULONG n = sizeof(d) < Length ? sizeof(d) : Length;

    d[0] = SCSI_SENSE_ERRORCODE_FIXED_CURRENT | (Sense->InformationValid ? 0x80 : 0);
    d[2] = Sense->Key & 0x0F;
    RtlCopyMemory(d + 3, Sense->Information, 4);
    d[7] = sizeof(d) - 8;
    RtlCopyMemory(d + 8, Sense->CommandSpecific, 4);
    d[12] = Sense->Asc;
    d[13] = Sense->Ascq;
    if (n)
        RtlCopyMemory(Buffer, d, n);
    return n;
}

/* Sectors an LBA-addressed command covers, 0 for commands without a range. */
static ULONG64 CommandSectors(const SATL_ATA_COMMAND *c)
{
    switch (c->Command) {
    case ATA_CMD_READ_FPDMA_QUEUED:
    case ATA_CMD_WRITE_FPDMA_QUEUED:
        return c->Features ? c->Features : ATA_NCQ_MAX_SECTORS;
    case ATA_CMD_READ_DMA_EXT:
    case ATA_CMD_WRITE_DMA_EXT:
    case ATA_CMD_WRITE_DMA_FUA_EXT:
    case ATA_CMD_READ_VERIFY_SECTORS_EXT:
        return c->Count ? c->Count : ATA_MAX_SECTORS_LBA48;
    case ATA_CMD_READ_DMA:
    case ATA_CMD_WRITE_DMA:
        return c->Count ? c->Count : ATA_MAX_SECTORS_LBA28;
    default:
        return 0;
    }
}

VOID SatlSenseFromAta(const ATA_DEVICE_INFO *Device, const SATL_ATA_COMMAND *Command,
                      UCHAR Status, UCHAR Error, PSATL_SENSE Sense)
{
    ULONG64 sectors = CommandSectors(Command);

    if (Status & ATA_STS_DF) {
        SatlSetSense(Sense, SCSI_SENSE_HARDWARE_ERROR, SCSI_ADSENSE_INTERNAL_TARGET_FAILURE, 0);
    } else if (Error & ATA_ERR_ICRC) {
        SatlSetSense(Sense, SCSI_SENSE_ABORTED_COMMAND, SCSI_ADSENSE_PARITY_ERROR,
                     SCSI_SENSEQ_IUCRC_ERROR);
    } else if (Error & ATA_ERR_UNC) {
        SatlSetSense(Sense, SCSI_SENSE_MEDIUM_ERROR, SCSI_ADSENSE_UNRECOVERED_ERROR,
                     SCSI_SENSEQ_AUTO_REALLOCATION_FAILED);
    } else if (Error & ATA_ERR_IDNF) {
        if (sectors && Command->Lba + sectors > Device->Sectors)
            SatlSetSense(Sense, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
        else
            SatlSetSense(Sense, SCSI_SENSE_MEDIUM_ERROR, SCSI_ADSENSE_TRACK_ERROR,
                         SCSI_SENSEQ_RECORD_NOT_FOUND);
    } else if (Error & ATA_ERR_NM) {
        SatlSetSense(Sense, SCSI_SENSE_NOT_READY, SCSI_ADSENSE_NO_MEDIA_IN_DEVICE, 0);
    } else {
        /* ABRT, or an error bit with nothing set in the error register. */
        SatlSetSense(Sense, SCSI_SENSE_ABORTED_COMMAND, 0, 0);
    }
}

VOID SatlPassThroughSense(const SATL_ATA_COMMAND *Command, const SATL_TASKFILE *Returned,
                          PSATL_SENSE Sense)
{
    if (Returned->Status & (ATA_STS_ERR | ATA_STS_DF)) {
        ATA_DEVICE_INFO none = { 0 };
        SatlSenseFromAta(&none, Command, Returned->Status, Returned->Error, Sense);
    } else {
        SatlSetSense(Sense, SCSI_SENSE_RECOVERED_ERROR, 0, SCSI_SENSEQ_ATA_PASSTHROUGH_INFO);
    }
    /* SAT-4 table 162/163: ERROR, STATUS, DEVICE, COUNT(7:0) in INFORMATION;
     * EXTEND, upper-nonzero flags and LBA(23:0) in COMMAND-SPECIFIC. */
    Sense->Information[0] = Returned->Error;
    Sense->Information[1] = Returned->Status;
    Sense->Information[2] = Returned->Device;
    Sense->Information[3] = (UCHAR)Returned->Count;
    Sense->CommandSpecific[0] = (Command->Lba48 ? 0x80 : 0) |
                                ((Returned->Count >> 8) ? 0x40 : 0) |
                                ((Returned->Lba >> 24) ? 0x20 : 0);
    Sense->CommandSpecific[1] = (UCHAR)Returned->Lba;
    Sense->CommandSpecific[2] = (UCHAR)(Returned->Lba >> 8);
    Sense->CommandSpecific[3] = (UCHAR)(Returned->Lba >> 16);
}

static ULONG MaxTrimRanges(const ATA_DEVICE_INFO *Device, ULONG ScratchSize)
{
    ULONG blocks = ScratchSize / 512;

    if (blocks > Device->DsmMaxBlocks)
        blocks = Device->DsmMaxBlocks;
    return blocks * ATA_DSM_RANGES_PER_BLOCK;
}

VOID SatlUnmapLimits(const ATA_DEVICE_INFO *Device, ULONG ScratchSize,
                     PULONG MaxLbaCount, PULONG MaxDescriptors)
{
    ULONG ranges = MaxTrimRanges(Device, ScratchSize);

    /* A descriptor of n blocks takes ceil(n / FFFFh) ranges, so lists
     * within these figures need at most ranges/2 + ranges/2 entries. */
    *MaxDescriptors = ranges / 2;
    *MaxLbaCount = (ranges / 2) * ATA_DSM_RANGE_MAX_SECTORS;
}

ULONG SatlBuildTrimRanges(const ATA_DEVICE_INFO *Device, const UCHAR *List, ULONG ListLength,
                          PUCHAR Out, ULONG OutSize, PSATL_SENSE Sense)
{
    ULONG maxRanges = MaxTrimRanges(Device, OutSize), n = 0, descLength, blocks;

    RtlZeroMemory(Sense, sizeof(*Sense));
    if (ListLength == 0)
        return 0;                   /* SBC-3 5.28: zero length is not an error */
    if (ListLength < 8) {
        SatlSetSense(Sense, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_PARAMETER_LIST_LENGTH, 0);
        return 0;
    }
    descLength = ScsiGetBe16(List + 2);
    /* The UNMAP DATA LENGTH field is redundant; the descriptor length and
     * the parameter list length are what bound the walk. */
    if ((descLength % sizeof(UNMAP_BLOCK_DESCRIPTOR)) != 0 || 8 + descLength > ListLength) {
        SatlSetSense(Sense, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST, 0);
        return 0;
    }

    for (ULONG off = 8; off < 8 + descLength; off += sizeof(UNMAP_BLOCK_DESCRIPTOR)) {
        ULONG64 lba = ScsiGetBe64(List + off);
        ULONG64 count = ScsiGetBe32(List + off + 8);

        if (lba > Device->Sectors || count > Device->Sectors - lba) {
            SatlSetSense(Sense, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK, 0);
            return 0;
        }
        while (count) {
            ULONG64 chunk = count > ATA_DSM_RANGE_MAX_SECTORS ? ATA_DSM_RANGE_MAX_SECTORS : count;
            ULONG64 entry = lba | (chunk << 48);    /* ACS-3 7.5.3.2: LBA 47:0, length 63:48 */
            if (n >= maxRanges) {
                SatlSetSense(Sense, SCSI_SENSE_ILLEGAL_REQUEST,
                             SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST, 0);
                return 0;
            }
            for (ULONG b = 0; b < 8; b++)
                Out[n * 8 + b] = (UCHAR)(entry >> (8 * b));
            n++;
            lba += chunk;
            count -= chunk;
        }
    }
    if (n == 0)
        return 0;
    blocks = (n + ATA_DSM_RANGES_PER_BLOCK - 1) / ATA_DSM_RANGES_PER_BLOCK;
    RtlZeroMemory(Out + n * 8, blocks * 512 - n * 8);
    return blocks;
}
