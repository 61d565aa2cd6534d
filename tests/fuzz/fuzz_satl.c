/* fuzz_satl.c - the AHCI driver's SCSI-to-ATA translation over outside
 * input: IDENTIFY DEVICE data (from the device) and CDBs with their data
 * buffers (from pass-through callers and the disk class driver).
 *
 * Input: 512 bytes of IDENTIFY, one byte of flags (NCQ, buffer size class),
 * up to 16 bytes of CDB, the rest the data buffer.  Checked, besides ASan's
 * bounds on exactly-sized buffers: a parsed device is sane, synthesized data
 * fits the buffer, and an issued command that reads, writes or verifies the
 * medium -- translated or passed through -- addresses only sectors inside
 * the disk, is sent with the protocol, direction and 28/48-bit form its
 * opcode needs, and moves exactly the sectors it names, no more than the
 * buffer holds (docs/decisions.md: pass-through is checked against the
 * opcode).  The table below is the harness's own reading of ACS-3, kept
 * apart from the SATL's so a wrong entry there shows up here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ata.h>
#include "satl.h"

int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

/* Medium-access commands (ACS-3 7.x): 'r'ead, 'w'rite or 'v'erify, pio,
 * dma or fpdma, 48-bit or not. */
static const struct { uint8_t Op; char Kind; char How; uint8_t Ext; } Medium[] = {
    { 0x20, 'r', 'p', 0 }, { 0x24, 'r', 'p', 1 }, { 0x25, 'r', 'd', 1 }, { 0x29, 'r', 'p', 1 },
    { 0xC4, 'r', 'p', 0 }, { 0xC8, 'r', 'd', 0 }, { 0x60, 'r', 'f', 1 },
    { 0x30, 'w', 'p', 0 }, { 0x34, 'w', 'p', 1 }, { 0x35, 'w', 'd', 1 }, { 0x39, 'w', 'p', 1 },
    { 0x3D, 'w', 'd', 1 }, { 0xCE, 'w', 'p', 1 }, { 0xC5, 'w', 'p', 0 }, { 0xCA, 'w', 'd', 0 },
    { 0x61, 'w', 'f', 1 },
    { 0x40, 'v', 'n', 0 }, { 0x42, 'v', 'n', 1 },
};

static void CheckMedium(const ATA_DEVICE_INFO *Dev, const SATL_ATA_COMMAND *a, ULONG BufferLength)
{
    for (size_t i = 0; i < sizeof(Medium) / sizeof(Medium[0]); i++) {
        if (Medium[i].Op != a->Command)
            continue;
        uint64_t lba = a->Lba, sectors;
        int want;
        if (Medium[i].How == 'f')
            sectors = a->Features ? a->Features : 65536;
        else if (Medium[i].Ext)
            sectors = a->Count ? a->Count : 65536;
        else
            sectors = (a->Count & 0xFF) ? (a->Count & 0xFF) : 256;
        if (!Medium[i].Ext) {
            /* 28-bit: LBA 27:24 travels in DEVICE 3:0 (the FIS has no LBA 3). */
            if (!(a->Device & 0x40) || (lba >> 28) || ((lba >> 24) & 0x0F) != (a->Device & 0x0F))
                abort();
        }
        if ((a->Lba48 != 0) != (Medium[i].Ext != 0))
            abort();
        if (lba > Dev->Sectors || sectors > Dev->Sectors - lba)
            abort();
        switch (Medium[i].How) {
        case 'p': want = Medium[i].Kind == 'r' ? SatlProtocolPioIn : SatlProtocolPioOut; break;
        case 'd': want = Medium[i].Kind == 'r' ? SatlProtocolDmaIn : SatlProtocolDmaOut; break;
        case 'f': want = Medium[i].Kind == 'r' ? SatlProtocolFpdmaIn : SatlProtocolFpdmaOut; break;
        default: want = SatlProtocolNonData; break;
        }
        if (a->Protocol != want)
            abort();
        if (a->TransferBytes != (Medium[i].Kind == 'v' ? 0 : sectors * Dev->SectorSize) ||
            a->TransferBytes > BufferLength)
            abort();
    }
}

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
        if (r.Ata.UseScratch ? r.Ata.TransferBytes > sizeof(scratch)
                             : r.Ata.TransferBytes > bufferLength)
            abort();
        /* A protocol that moves data moves some; one that does not, none. */
        if ((r.Ata.Protocol == SatlProtocolNonData) != (r.Ata.TransferBytes == 0))
            abort();
        CheckMedium(&dev, &r.Ata, r.Ata.UseScratch ? sizeof(scratch) : bufferLength);
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
