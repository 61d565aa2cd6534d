/* fuzz_satl.c - the AHCI driver's SCSI-to-ATA translation over outside
 * input: IDENTIFY DEVICE data (from the device) and CDBs with their data
 * buffers (from pass-through callers and the disk class driver).
 *
 * Input: 512 bytes of IDENTIFY, one byte of flags (NCQ, buffer size class),
 * up to 16 bytes of CDB, the rest the data buffer.  Checked, besides ASan's
 * bounds on exactly-sized buffers: a parsed device is sane, synthesized data
 * fits the buffer, and an issued READ/WRITE never addresses past the end of
 * the disk or moves more than the buffer holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ata.h>
#include "satl.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size)
{
    ATA_DEVICE_INFO dev;
    UCHAR identify[512];

    if (Size < 512 + 1 + 6)
        return 0;
    memcpy(identify, Data, 512);
    if (!NT_SUCCESS(SatlParseIdentify(identify, &dev)))
        return 0;
    if (dev.Sectors == 0 || dev.SectorSize < 512 || dev.SectorSize > 65536 || dev.NcqDepth > 32 ||
        dev.Model[40] != 0 || dev.Serial[20] != 0 || dev.Firmware[8] != 0)
        abort();

    UCHAR flags = Data[512];
    size_t cdbLength = 6 + (flags & 0x0F) % 11;        /* 6..16 */
    if (Size < 513 + cdbLength)
        return 0;
    const UCHAR *cdb = Data + 513;
    size_t rest = Size - 513 - cdbLength;
    /* The buffer is exactly as large as the SRB says, so ASan sees any
     * byte written or read past it. */
    ULONG bufferLength = (flags & 0x80) ? (ULONG)rest : (ULONG)(rest < 64 ? rest : 64);
    UCHAR *buffer = malloc(bufferLength ? bufferLength : 1);
    memcpy(buffer, Data + 513 + cdbLength, bufferLength);

    static UCHAR scratch[4096];
    SATL_OPTIONS opt = { .UseNcq = (flags & 0x40) && dev.NcqDepth, .Scratch = scratch,
                         .ScratchSize = sizeof(scratch) };
    dev.MaxTransferSectors = 2048;
    SATL_RESULT r;
    SatlTranslate(&dev, &opt, cdb, (ULONG)cdbLength, buffer, bufferLength, &r);

    switch (r.Action) {
    case SatlActionComplete:
        if (r.DataLength > bufferLength)
            abort();
        break;
    case SatlActionIssueAta:
        if (!r.Ata.PassThrough && !r.Ata.UseScratch && r.Ata.TransferBytes > bufferLength)
            abort();
        if (r.Ata.Command == ATA_CMD_READ_DMA_EXT || r.Ata.Command == ATA_CMD_WRITE_DMA_EXT ||
            r.Ata.Command == ATA_CMD_READ_FPDMA_QUEUED || r.Ata.Command == ATA_CMD_WRITE_FPDMA_QUEUED) {
            ULONG64 sectors = r.Ata.TransferBytes / dev.SectorSize;
            if (r.Ata.Lba > dev.Sectors || sectors > dev.Sectors - r.Ata.Lba)
                abort();
        }
        break;
    case SatlActionCheckCondition: {
        UCHAR sense[18];
        if (SatlBuildSense(&r.Sense, sense, sizeof(sense)) > sizeof(sense))
            abort();
        break;
    }
    default:
        abort();
    }
    free(buffer);
    return 0;
}
