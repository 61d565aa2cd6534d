/* probe.c - the device's start-up answers as disk.sys reads them
 * (probe.h).  Pure code: the host unit tests run exactly this. */
#include "probe.h"
#include <ntstor_disk.h>
#include "request.h"
#include <scsi.h>

NTSTATUS DiskParseCapacity10(const UCHAR *Data, ULONG Got, ULONG64 *LastLba, ULONG *BlockSize)
{
    if (Got < 8)
        return STATUS_DEVICE_PROTOCOL_ERROR;
    *LastLba = ScsiGetBe32(Data);
    *BlockSize = ScsiGetBe32(Data + 4);
    return STATUS_SUCCESS;
}

NTSTATUS DiskParseCapacity16(const UCHAR *Data, ULONG Got, ULONG64 *LastLba, ULONG *BlockSize,
                             BOOLEAN *Lbpme)
{
    if (Got < 12)
        return STATUS_DEVICE_PROTOCOL_ERROR;
    *LastLba = ScsiGetBe64(Data);
    *BlockSize = ScsiGetBe32(Data + 8);
    *Lbpme = Got > 14 && (Data[14] & 0x80);     /* SBC-3 5.16.2 LBPME */
    return STATUS_SUCCESS;
}

BOOLEAN DiskWantCapacity16(UCHAR InquiryVersion, ULONG64 LastLba10)
{
    return LastLba10 == 0xFFFFFFFFull || InquiryVersion >= DISK_VERSION_SPC3;
}

BOOLEAN DiskBlockSizeOk(ULONG BlockSize)
{
    return BlockSize >= NTSTOR_MIN_SECTOR_SIZE && BlockSize <= NTSTOR_MAX_SECTOR_SIZE &&
           !(BlockSize & (BlockSize - 1));
}

NTSTATUS DiskModeSenseWriteProtect(const UCHAR *Data, ULONG Got, BOOLEAN Ten, BOOLEAN *WriteProtected)
{
    /* (6): MODE DATA LENGTH (1 byte), medium type, device-specific, block
     * descriptor length; (10): length (2), medium type, device-specific,
     * reserved 2, block descriptor length (2).  The length counts the
     * bytes after itself. */
    ULONG header = Ten ? 8 : 4;
    ULONG length = Ten ? ScsiGetBe16(Data) + 2u : Data[0] + 1u;

    *WriteProtected = FALSE;
    if (Got < header || length < header)
        return STATUS_DEVICE_PROTOCOL_ERROR;
    *WriteProtected = (Data[Ten ? 3 : 2] & MODE_DSP_WRITE_PROTECT) != 0;
    return STATUS_SUCCESS;
}

BOOLEAN DiskVpdListed(const UCHAR *Supported, ULONG Got, UCHAR Page)
{
    ULONG n;

    if (Got < 4 || Supported[1] != VPD_SUPPORTED_PAGES)
        return FALSE;
    n = ScsiGetBe16(Supported + 2);
    if (n > Got - 4)
        n = Got - 4;
    for (ULONG i = 0; i < n; i++)
        if (Supported[4 + i] == Page)
            return TRUE;
    return FALSE;
}

UCHAR DiskBuildReadWrite(PUCHAR Cdb, BOOLEAN Use16, BOOLEAN Write, ULONG64 Lba, ULONG Blocks)
{
    if (Use16 || Lba + Blocks > 0xFFFFFFFFull || Blocks > 0xFFFF) {
        DiskBuildReadWrite16(Cdb, Write, Lba, Blocks);
        return 16;
    }
    DiskZeroCdb(Cdb);
    Cdb[0] = Write ? SCSIOP_WRITE : SCSIOP_READ;
    ScsiPutBe32(Cdb + 2, (ULONG)Lba);
    ScsiPutBe16(Cdb + 7, Blocks);
    return 10;
}
