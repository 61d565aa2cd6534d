/* satl_identify.c - IDENTIFY DEVICE data -> ATA_DEVICE_INFO (ACS-3 7.12.7).
 * The data comes from the device: every field is checked before use. */
#include "satl.h"
#include <ata.h>

static USHORT IdWord(const UCHAR *Id, ULONG Word)
{
    return (USHORT)(Id[Word * 2] | (Id[Word * 2 + 1] << 8));
}

/* ATA strings hold two characters per word, the first in the high byte
 * (ACS-3 3.4.9). */
VOID SatlIdentifyString(const UCHAR Identify[512], ULONG Word, ULONG Words, PCHAR Out)
{
    ULONG n = 0, start = 0, end;

    for (ULONG i = 0; i < Words; i++) {
        USHORT w = IdWord(Identify, Word + i);
        Out[n++] = (CHAR)(w >> 8);
        Out[n++] = (CHAR)(w & 0xFF);
    }
    for (ULONG i = 0; i < n; i++) {
        UCHAR c = (UCHAR)Out[i];
        if (c < 0x20 || c > 0x7E)
            Out[i] = ' ';   /* unprintable bytes from the device become blanks */
    }
    while (start < n && Out[start] == ' ')
        start++;
    end = n;
    while (end > start && Out[end - 1] == ' ')
        end--;
    if (start)
        RtlMoveMemory(Out, Out + start, end - start);
    Out[end - start] = '\0';
}

/* Word 255: when the low byte is A5h, all 512 bytes sum to 0 mod 256
 * (ACS-3 7.12.7.93). */
static BOOLEAN IdChecksumOk(const UCHAR *Id)
{
    UCHAR sum = 0;

    if (Id[510] != 0xA5)
        return TRUE;
    for (ULONG i = 0; i < 512; i++)
        sum = (UCHAR)(sum + Id[i]);
    return sum == 0;
}

NTSTATUS SatlParseIdentify(const UCHAR Identify[512], PATA_DEVICE_INFO Info)
{
    const UCHAR *id = Identify;
    USHORT cs1, cs2, cfsse, en1, sata, secsz;

    RtlZeroMemory(Info, sizeof(*Info));
    if (IdWord(id, ATA_ID_CONFIG) & 0x8000)
        return STATUS_DEVICE_PROTOCOL_ERROR;          /* an ATAPI device's data */
    if (!IdChecksumOk(id))
        return STATUS_DEVICE_PROTOCOL_ERROR;
    if (!(IdWord(id, ATA_ID_CAPABILITIES) & ATA_ID_CAP_LBA))
        return STATUS_DEVICE_PROTOCOL_ERROR;          /* CHS-only devices are not supported */

    SatlIdentifyString(id, ATA_ID_MODEL, ATA_ID_MODEL_LEN / 2, Info->Model);
    SatlIdentifyString(id, ATA_ID_SERIAL, ATA_ID_SERIAL_LEN / 2, Info->Serial);
    SatlIdentifyString(id, ATA_ID_FW_REV, ATA_ID_FW_REV_LEN / 2, Info->Firmware);

    /* Words 82-87 are valid only when bits 15:14 of 83/84 read 01b. */
    cs1 = IdWord(id, ATA_ID_COMMAND_SET_1);
    cs2 = IdWord(id, ATA_ID_COMMAND_SET_2);
    cfsse = IdWord(id, ATA_ID_CFSSE);
    en1 = IdWord(id, ATA_ID_CFS_ENABLE_1);
    if ((cs2 & ATA_ID_CS2_VALID_MASK) != ATA_ID_CS2_VALID)
        cs1 = cs2 = en1 = 0;
    if ((cfsse & ATA_ID_CS2_VALID_MASK) != ATA_ID_CS2_VALID)
        cfsse = 0;
    if (cs1 == 0xFFFF)
        cs1 = en1 = 0;

    Info->Lba48 = (cs2 & ATA_ID_CS2_LBA48) != 0;
    Info->FlushExt = Info->Lba48 && (cs2 & ATA_ID_CS2_FLUSH_CACHE_EXT);
    Info->WriteCache = (cs1 & ATA_ID_CS1_WRITE_CACHE) != 0;
    Info->WriteCacheEnabled = Info->WriteCache && (en1 & ATA_ID_CS1_WRITE_CACHE);
    Info->Smart = (cs1 & ATA_ID_CS1_SMART) != 0;
    Info->SmartEnabled = Info->Smart && (en1 & ATA_ID_CS1_SMART);
    Info->Gpl = (cfsse & ATA_ID_CFSSE_GPL) != 0;
    if (cfsse & ATA_ID_CFSSE_WWN) {
        Info->Wwn = ((ULONG64)IdWord(id, ATA_ID_WWN) << 48) |
                    ((ULONG64)IdWord(id, ATA_ID_WWN + 1) << 32) |
                    ((ULONG64)IdWord(id, ATA_ID_WWN + 2) << 16) | IdWord(id, ATA_ID_WWN + 3);
    }

    if (Info->Lba48) {
        Info->Sectors = (ULONG64)IdWord(id, ATA_ID_LBA48_CAPACITY) |
                        ((ULONG64)IdWord(id, ATA_ID_LBA48_CAPACITY + 1) << 16) |
                        ((ULONG64)IdWord(id, ATA_ID_LBA48_CAPACITY + 2) << 32) |
                        ((ULONG64)IdWord(id, ATA_ID_LBA48_CAPACITY + 3) << 48);
        if (Info->Sectors > ATA_LBA48_LIMIT + 1)
            return STATUS_DEVICE_PROTOCOL_ERROR;
    }
    if (Info->Sectors == 0) {
        Info->Lba48 = FALSE;
        Info->Sectors = (ULONG)IdWord(id, ATA_ID_LBA28_CAPACITY) |
                        ((ULONG)IdWord(id, ATA_ID_LBA28_CAPACITY + 1) << 16);
        if (Info->Sectors > ATA_LBA28_LIMIT + 1)
            return STATUS_DEVICE_PROTOCOL_ERROR;
    }
    if (Info->Sectors == 0)
        return STATUS_DEVICE_PROTOCOL_ERROR;

    Info->SectorSize = 512;
    secsz = IdWord(id, ATA_ID_SECTOR_SIZE);
    if ((secsz & ATA_ID_SECSZ_VALID_MASK) == ATA_ID_SECSZ_VALID) {
        if (secsz & ATA_ID_SECSZ_LARGE_LOGICAL) {
            ULONG words = (ULONG)IdWord(id, ATA_ID_LOGICAL_SECTOR_SIZE) |
                          ((ULONG)IdWord(id, ATA_ID_LOGICAL_SECTOR_SIZE + 1) << 16);
            ULONG bytes = words * 2;
            if (words > 0x8000 || bytes < 512 || (bytes & (bytes - 1)))
                return STATUS_DEVICE_PROTOCOL_ERROR;
            Info->SectorSize = bytes;
        }
        if (secsz & ATA_ID_SECSZ_MULTI_PHYSICAL)
            Info->LogicalPerPhysicalShift = (UCHAR)(secsz & ATA_ID_SECSZ_LOG2_PER_PHYS_MASK);
    }
    /* ACS-3 7.12.7.86 word 209: valid when bits 15:14 read 01b; bits 13:0
     * are the offset of LBA 0 within its physical sector (a 512e disk
     * jumpered for Windows XP's 63-sector partitions reports 1). */
    USHORT align = IdWord(id, ATA_ID_ALIGNMENT);
    if (Info->LogicalPerPhysicalShift && (align & ATA_ID_ALIGNMENT_VALID_MASK) == ATA_ID_ALIGNMENT_VALID &&
        (align & ATA_ID_ALIGNMENT_OFFSET_MASK) < (1u << Info->LogicalPerPhysicalShift))
        Info->AlignmentOffset = align & ATA_ID_ALIGNMENT_OFFSET_MASK;

    sata = IdWord(id, ATA_ID_SATA_CAPABILITY);
    if (sata != 0xFFFF && (sata & ATA_ID_SATA_NCQ))
        Info->NcqDepth = (UCHAR)((IdWord(id, ATA_ID_QUEUE_DEPTH) & 0x1F) + 1);

    if (Info->Lba48 && (IdWord(id, ATA_ID_DATA_SET_MANAGEMENT) & ATA_ID_DSM_TRIM)) {
        USHORT add = IdWord(id, ATA_ID_ADDITIONAL_SUPPORTED);
        Info->Trim = TRUE;
        Info->TrimDeterministic = (add & ATA_ID_ADD_DRAT) != 0;
        Info->TrimZeroes = Info->TrimDeterministic && (add & ATA_ID_ADD_RZAT);
        /* 0 means "not reported"; one block (64 ranges) is always allowed. */
        Info->DsmMaxBlocks = IdWord(id, ATA_ID_DSM_MAX_BLOCKS);
        if (Info->DsmMaxBlocks == 0 || Info->DsmMaxBlocks == 0xFFFF)
            Info->DsmMaxBlocks = 1;
    }

    Info->RotationRate = IdWord(id, ATA_ID_ROTATION_RATE);
    Info->FormFactor = (UCHAR)(IdWord(id, ATA_ID_FORM_FACTOR) & 0xF);
    Info->MaxTransferSectors = Info->Lba48 ? ATA_MAX_SECTORS_LBA48 : ATA_MAX_SECTORS_LBA28;
    return STATUS_SUCCESS;
}
