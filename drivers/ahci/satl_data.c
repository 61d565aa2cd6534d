/* satl_data.c - SCSI commands a SATL answers without the device, from the
 * IDENTIFY facts: INQUIRY and its VPD pages (SAT-4 12.4), READ CAPACITY
 * (SAT-4 8.x, SBC-3 5.15/5.16), MODE SENSE (SAT-4 10.4), REPORT LUNS,
 * REQUEST SENSE, TEST UNIT READY, START STOP UNIT. */
#include "satl.h"

#define SATL_DATA_MAX 256   /* the largest page built here (VPD 83h is ~90 bytes) */

/* Copies the built data, truncated to the CDB's allocation length and the
 * caller's buffer (SPC-4 4.2.5.6: truncation is not an error). */
static VOID Reply(PSATL_RESULT Result, const UCHAR *Data, ULONG Built, ULONG Allocation,
                  PVOID Buffer, ULONG BufferLength)
{
    ULONG n = Built;

    if (n > Allocation)
        n = Allocation;
    if (n > BufferLength)
        n = BufferLength;
    if (n)
        RtlCopyMemory(Buffer, Data, n);
    Result->Action = SatlActionComplete;
    Result->DataLength = n;
}

static VOID PadCopy(UCHAR *Dest, PCSTR Source, ULONG Width)
{
    ULONG i = 0;

    for (; i < Width && Source[i]; i++)
        Dest[i] = (UCHAR)Source[i];
    for (; i < Width; i++)
        Dest[i] = ' ';
}

static ULONG StrLen(PCSTR s)
{
    ULONG n = 0;
    while (s[n])
        n++;
    return n;
}

/* Standard INQUIRY data for an ATA disk (SAT-4 12.4.2). */
static ULONG BuildStandardInquiry(const ATA_DEVICE_INFO *Dev, UCHAR *d)
{
    ULONG fwlen = StrLen(Dev->Firmware);

    d[0] = DIRECT_ACCESS_DEVICE;
    d[2] = 0x06;                /* SPC-4 */
    d[3] = 0x02;                /* response data format 2 */
    d[4] = 96 - 5;
    d[7] = 0x02;                /* CMDQUE: the port queues commands */
    PadCopy(d + 8, "ATA", 8);
    PadCopy(d + 16, Dev->Model, 16);
    /* Revision: the last four characters of the firmware revision. */
    PadCopy(d + 32, Dev->Firmware + (fwlen > 4 ? fwlen - 4 : 0), 4);
    return 96;
}

static ULONG BuildVpd(const ATA_DEVICE_INFO *Dev, const SATL_OPTIONS *Opt, UCHAR Page, UCHAR *d)
{
    ULONG len = 0;

    d[0] = DIRECT_ACCESS_DEVICE;
    d[1] = Page;
    switch (Page) {
    case VPD_SUPPORTED_PAGES:
        d[4 + len++] = VPD_SUPPORTED_PAGES;
        d[4 + len++] = VPD_SERIAL_NUMBER;
        d[4 + len++] = VPD_DEVICE_IDENTIFIERS;
        d[4 + len++] = VPD_BLOCK_LIMITS;
        d[4 + len++] = VPD_BLOCK_DEVICE_CHARACTERISTICS;
        if (Dev->Trim)
            d[4 + len++] = VPD_LOGICAL_BLOCK_PROVISIONING;
        break;
    case VPD_SERIAL_NUMBER:
        len = StrLen(Dev->Serial);
        RtlCopyMemory(d + 4, Dev->Serial, len);
        break;
    case VPD_DEVICE_IDENTIFIERS: {
        /* T10 vendor ID designator: "ATA" + model + serial (SAT-4 12.4.4.2). */
        UCHAR *t = d + 4;
        t[0] = VpdCodeSetAscii;
        t[1] = VpdIdentifierTypeVendorId;
        t[3] = 8 + 40 + 20;
        PadCopy(t + 4, "ATA", 8);
        PadCopy(t + 12, Dev->Model, 40);
        PadCopy(t + 52, Dev->Serial, 20);
        len = 4 + t[3];
        if (Dev->Wwn) {
            /* The ATA world wide name is already an NAA 5 identifier. */
            UCHAR *n = d + 4 + len;
            n[0] = VpdCodeSetBinary;
            n[1] = VpdIdentifierTypeFCPHName;
            n[3] = 8;
            ScsiPutBe64(n + 4, Dev->Wwn);
            len += 12;
        }
        break;
    }
    case VPD_BLOCK_LIMITS: {
        PVPD_BLOCK_LIMITS_PAGE b = (PVPD_BLOCK_LIMITS_PAGE)d;
        len = sizeof(*b) - 4;
        ScsiPutBe16(b->OptimalTransferLengthGranularity, 1u << Dev->LogicalPerPhysicalShift);
        ScsiPutBe32(b->MaximumTransferLength, Dev->MaxTransferSectors);
        if (Dev->Trim) {
            ULONG lbas, descs;
            SatlUnmapLimits(Dev, Opt->ScratchSize, &lbas, &descs);
            ScsiPutBe32(b->MaximumUnmapLBACount, lbas);
            ScsiPutBe32(b->MaximumUnmapBlockDescriptorCount, descs);
            ScsiPutBe32(b->OptimalUnmapGranularity, 1u << Dev->LogicalPerPhysicalShift);
        }
        break;
    }
    case VPD_BLOCK_DEVICE_CHARACTERISTICS:
        len = 0x3C;
        ScsiPutBe16(d + 4, Dev->RotationRate);
        d[7] = Dev->FormFactor;
        break;
    case VPD_LOGICAL_BLOCK_PROVISIONING:
        if (!Dev->Trim)
            return 0;
        len = 4;
        d[5] = 0x80 | (Dev->TrimZeroes ? 0x04 : 0);   /* LBPU, LBPRZ */
        d[6] = 0x02;                                   /* thin provisioned */
        break;
    default:
        return 0;
    }
    ScsiPutBe16(d + 2, len);
    return 4 + len;
}

static VOID Inquiry(const ATA_DEVICE_INFO *Dev, const SATL_OPTIONS *Opt, const UCHAR *Cdb,
                    PVOID Buffer, ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR d[SATL_DATA_MAX] = { 0 };
    ULONG alloc = ScsiGetBe16(Cdb + 3), n;

    if (Cdb[1] & 0x02) {            /* CMDDT is obsolete: SPC-4 6.6.1 */
        SatlpInvalidField(Result);
        return;
    }
    if (!(Cdb[1] & 0x01)) {
        if (Cdb[2] != 0) {          /* page code without EVPD */
            SatlpInvalidField(Result);
            return;
        }
        n = BuildStandardInquiry(Dev, d);
    } else {
        n = BuildVpd(Dev, Opt, Cdb[2], d);
        if (n == 0) {
            SatlpInvalidField(Result);
            return;
        }
    }
    Reply(Result, d, n, alloc, Buffer, BufferLength);
}

static VOID ReadCapacity10(const ATA_DEVICE_INFO *Dev, const UCHAR *Cdb, PVOID Buffer,
                           ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR d[8];
    ULONG64 last = Dev->Sectors - 1;

    /* SBC-3 5.15: with PMI clear the LBA field must be zero. */
    if (!(Cdb[8] & 0x01) && ScsiGetBe32(Cdb + 2) != 0) {
        SatlpInvalidField(Result);
        return;
    }
    /* Past 32 bits the answer is FFFFFFFFh: "use READ CAPACITY(16)". */
    ScsiPutBe32(d, last > 0xFFFFFFFFull ? 0xFFFFFFFFu : (ULONG)last);
    ScsiPutBe32(d + 4, Dev->SectorSize);
    Reply(Result, d, sizeof(d), sizeof(d), Buffer, BufferLength);
}

static VOID ReadCapacity16(const ATA_DEVICE_INFO *Dev, const UCHAR *Cdb, PVOID Buffer,
                           ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR d[32] = { 0 };

    if (!(Cdb[14] & 0x01) && ScsiGetBe64(Cdb + 2) != 0) {
        SatlpInvalidField(Result);
        return;
    }
    ScsiPutBe64(d, Dev->Sectors - 1);
    ScsiPutBe32(d + 8, Dev->SectorSize);
    d[13] = Dev->LogicalPerPhysicalShift & 0x0F;
    /* SBC-3 5.16.2 LOWEST ALIGNED LOGICAL BLOCK ADDRESS (bytes 14 5:0 and
     * 15); SAT-4 derives it from IDENTIFY word 209's offset. */
    if (Dev->AlignmentOffset) {
        ULONG lowest = ((1u << Dev->LogicalPerPhysicalShift) - Dev->AlignmentOffset) &
                       ((1u << Dev->LogicalPerPhysicalShift) - 1);
        d[14] = (UCHAR)((lowest >> 8) & 0x3F);
        d[15] = (UCHAR)lowest;
    }
    if (Dev->Trim)
        d[14] |= 0x80 | (Dev->TrimZeroes ? 0x40 : 0);  /* LBPME, LBPRZ */
    Reply(Result, d, sizeof(d), ScsiGetBe32(Cdb + 10), Buffer, BufferLength);
}

/* Mode pages; Changeable asks for the mask of changeable bits (none: no
 * MODE SELECT support). */
static ULONG BuildCachingPage(const ATA_DEVICE_INFO *Dev, BOOLEAN Changeable, UCHAR *p)
{
    p[0] = MODE_PAGE_CACHING;
    p[1] = sizeof(MODE_CACHING_PAGE) - 2;
    if (!Changeable && Dev->WriteCacheEnabled)
        p[2] = 0x04;    /* WCE */
    return sizeof(MODE_CACHING_PAGE);
}

static ULONG BuildControlPage(BOOLEAN Changeable, UCHAR *p)
{
    p[0] = MODE_PAGE_CONTROL;
    p[1] = 0x0A;
    if (!Changeable)
        ScsiPutBe16(p + 10, 0xFFFF);   /* busy timeout period: unlimited */
    return 12;
}

static VOID ModeSense(const ATA_DEVICE_INFO *Dev, const UCHAR *Cdb, BOOLEAN Ten, PVOID Buffer,
                      ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR d[SATL_DATA_MAX] = { 0 };
    UCHAR pc = Cdb[2] >> 6, page = Cdb[2] & 0x3F, subpage = Cdb[3];
    BOOLEAN dbd = (Cdb[1] & 0x08) != 0, changeable = pc == 1;
    ULONG hdr = Ten ? 8 : 4, n, alloc = Ten ? ScsiGetBe16(Cdb + 7) : Cdb[4];

    if (pc == 3) {      /* saved values: SPC-4 6.13, 39h/00h */
        SatlSetSense(&Result->Sense, SCSI_SENSE_ILLEGAL_REQUEST, 0x39, 0x00);
        Result->Action = SatlActionCheckCondition;
        return;
    }
    if (subpage != 0 ||
        (page != MODE_PAGE_CACHING && page != MODE_PAGE_CONTROL && page != MODE_SENSE_RETURN_ALL)) {
        SatlpInvalidField(Result);
        return;
    }
    n = hdr;
    if (!dbd) {
        /* Short block descriptor (SPC-4 7.5.5.1): blocks, then block length. */
        ScsiPutBe32(d + n, Dev->Sectors > 0xFFFFFFFFull ? 0xFFFFFFFFu : (ULONG)Dev->Sectors);
        ScsiPutBe32(d + n + 4, Dev->SectorSize & 0x00FFFFFF);
        n += 8;
    }
    if (page == MODE_PAGE_CACHING || page == MODE_SENSE_RETURN_ALL)
        n += BuildCachingPage(Dev, changeable, d + n);
    if (page == MODE_PAGE_CONTROL || page == MODE_SENSE_RETURN_ALL)
        n += BuildControlPage(changeable, d + n);
    if (Ten) {
        ScsiPutBe16(d, n - 2);
        d[3] = MODE_DSP_FUA_SUPPORTED;
        ScsiPutBe16(d + 6, dbd ? 0 : 8);
    } else {
        d[0] = (UCHAR)(n - 1);
        d[2] = MODE_DSP_FUA_SUPPORTED;
        d[3] = dbd ? 0 : 8;
    }
    Reply(Result, d, n, alloc, Buffer, BufferLength);
}

BOOLEAN SatlpSynthesize(const ATA_DEVICE_INFO *Device, const SATL_OPTIONS *Options,
                        const UCHAR *Cdb, PVOID Buffer, ULONG BufferLength, PSATL_RESULT Result)
{
    UCHAR d[18] = { 0 };

    switch (Cdb[0]) {
    case SCSIOP_TEST_UNIT_READY:
    case SCSIOP_START_STOP_UNIT:    /* ATA disks spin on their own; nothing to do */
        Result->Action = SatlActionComplete;
        Result->DataLength = 0;
        return TRUE;
    case SCSIOP_INQUIRY:
        Inquiry(Device, Options, Cdb, Buffer, BufferLength, Result);
        return TRUE;
    case SCSIOP_READ_CAPACITY:
        ReadCapacity10(Device, Cdb, Buffer, BufferLength, Result);
        return TRUE;
    case SCSIOP_SERVICE_ACTION_IN16:
        if ((Cdb[1] & 0x1F) != SERVICE_ACTION_READ_CAPACITY16)
            SatlpInvalidField(Result);
        else
            ReadCapacity16(Device, Cdb, Buffer, BufferLength, Result);
        return TRUE;
    case SCSIOP_MODE_SENSE:
        ModeSense(Device, Cdb, FALSE, Buffer, BufferLength, Result);
        return TRUE;
    case SCSIOP_MODE_SENSE10:
        ModeSense(Device, Cdb, TRUE, Buffer, BufferLength, Result);
        return TRUE;
    case SCSIOP_REPORT_LUNS: {
        ULONG alloc = ScsiGetBe32(Cdb + 6);
        if (alloc < 16) {           /* SPC-4 6.33 */
            SatlpInvalidField(Result);
            return TRUE;
        }
        UCHAR l[16] = { 0 };
        ScsiPutBe32(l, 8);          /* one LUN: 0 */
        Reply(Result, l, sizeof(l), alloc, Buffer, BufferLength);
        return TRUE;
    }
    case SCSIOP_REQUEST_SENSE: {
        /* Autosense is always on, so nothing is pending: NO SENSE. */
        SATL_SENSE none = { 0 };
        SatlBuildSense(&none, d, sizeof(d));
        Reply(Result, d, sizeof(d), Cdb[4], Buffer, BufferLength);
        return TRUE;
    }
    default:
        return FALSE;
    }
}
