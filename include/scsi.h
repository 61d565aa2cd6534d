/* scsi.h - SCSI command descriptor blocks, sense data, inquiry and
 * capacity data: the subset of the WDK's scsi.h ntstor's class and port
 * drivers share.  Values and field names follow NT's scsi.h; layouts
 * follow SPC-4/SBC-3 (all multi-byte fields on the wire are big-endian,
 * so structures spell them as byte arrays and the helpers at the end
 * convert).  Only what ntstor uses. */
#ifndef NTSTOR_SCSI_H
#define NTSTOR_SCSI_H

#include <ntdef.h>

/* ---- operation codes (SPC-4 / SBC-3) ---- */
#define SCSIOP_TEST_UNIT_READY      0x00
#define SCSIOP_REQUEST_SENSE        0x03
#define SCSIOP_FORMAT_UNIT          0x04
#define SCSIOP_READ6                0x08
#define SCSIOP_WRITE6               0x0A
#define SCSIOP_INQUIRY              0x12
#define SCSIOP_MODE_SELECT          0x15
#define SCSIOP_MODE_SENSE           0x1A
#define SCSIOP_START_STOP_UNIT      0x1B
#define SCSIOP_SEND_DIAGNOSTIC      0x1D
#define SCSIOP_MEDIUM_REMOVAL       0x1E
#define SCSIOP_READ_CAPACITY        0x25
#define SCSIOP_READ                 0x28
#define SCSIOP_WRITE                0x2A
#define SCSIOP_VERIFY               0x2F
#define SCSIOP_SYNCHRONIZE_CACHE    0x35
#define SCSIOP_WRITE_BUFFER         0x3B
#define SCSIOP_READ_BUFFER          0x3C
#define SCSIOP_UNMAP                0x42
#define SCSIOP_LOG_SENSE            0x4D
#define SCSIOP_MODE_SELECT10        0x55
#define SCSIOP_MODE_SENSE10         0x5A
#define SCSIOP_ATA_PASSTHROUGH16    0x85
#define SCSIOP_READ16               0x88
#define SCSIOP_WRITE16              0x8A
#define SCSIOP_VERIFY16             0x8F
#define SCSIOP_SYNCHRONIZE_CACHE16  0x91
#define SCSIOP_SERVICE_ACTION_IN16  0x9E
#define SCSIOP_REPORT_LUNS          0xA0
#define SCSIOP_ATA_PASSTHROUGH12    0xA1
#define SCSIOP_READ12               0xA8
#define SCSIOP_WRITE12              0xAA

/* SERVICE ACTION IN(16) service actions */
#define SERVICE_ACTION_READ_CAPACITY16 0x10

/* ---- status byte (SAM-5) ---- */
#define SCSISTAT_GOOD               0x00
#define SCSISTAT_CHECK_CONDITION    0x02
#define SCSISTAT_CONDITION_MET      0x04
#define SCSISTAT_BUSY               0x08
#define SCSISTAT_RESERVATION_CONFLICT 0x18
#define SCSISTAT_QUEUE_FULL         0x28

/* ---- CDB layouts ---- */
#pragma pack(push, 1)
typedef union _CDB {
    struct _CDB6GENERIC {
        UCHAR OperationCode;
        UCHAR Immediate : 1;
        UCHAR CommandUniqueBits : 4;
        UCHAR LogicalUnitNumber : 3;
        UCHAR CommandUniqueBytes[3];
        UCHAR Control;
    } CDB6GENERIC;
    struct _CDB6INQUIRY3 {
        UCHAR OperationCode;
        UCHAR EnableVitalProductData : 1;   /* EVPD */
        UCHAR CommandSupportData : 1;
        UCHAR Reserved1 : 6;
        UCHAR PageCode;
        UCHAR AllocationLength[2];          /* big-endian (SPC-4) */
        UCHAR Control;
    } CDB6INQUIRY3;
    struct _CDB6READWRITE {
        UCHAR OperationCode;
        UCHAR LogicalBlockMsb1 : 5;
        UCHAR LogicalUnitNumber : 3;
        UCHAR LogicalBlockMsb0;
        UCHAR LogicalBlockLsb;
        UCHAR TransferBlocks;               /* 0 means 256 */
        UCHAR Control;
    } CDB6READWRITE;
    struct _MODE_SENSE {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR Dbd : 1;
        UCHAR Reserved2 : 4;
        UCHAR PageCode : 6;
        UCHAR Pc : 2;
        UCHAR SubPageCode;
        UCHAR AllocationLength;
        UCHAR Control;
    } MODE_SENSE;
    struct _MODE_SENSE10 {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR Dbd : 1;
        UCHAR LongLBAAccepted : 1;
        UCHAR Reserved2 : 3;
        UCHAR PageCode : 6;
        UCHAR Pc : 2;
        UCHAR SubPageCode;
        UCHAR Reserved3[3];
        UCHAR AllocationLength[2];
        UCHAR Control;
    } MODE_SENSE10;
    struct _CDB10 {
        UCHAR OperationCode;
        UCHAR RelativeAddress : 1;
        UCHAR Reserved1 : 2;
        UCHAR ForceUnitAccess : 1;
        UCHAR DisablePageOut : 1;
        UCHAR Protection : 3;
        UCHAR LogicalBlockByte0;            /* MSB */
        UCHAR LogicalBlockByte1;
        UCHAR LogicalBlockByte2;
        UCHAR LogicalBlockByte3;
        UCHAR Reserved2;
        UCHAR TransferBlocksMsb;
        UCHAR TransferBlocksLsb;
        UCHAR Control;
    } CDB10;
    struct _CDB16 {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR ForceUnitAccess : 1;
        UCHAR Reserved2 : 4;
        UCHAR LogicalBlock[8];              /* big-endian */
        UCHAR TransferLength[4];            /* big-endian */
        UCHAR Reserved3;
        UCHAR Control;
    } CDB16;
    struct _READ_CAPACITY16 {
        UCHAR OperationCode;                /* SCSIOP_SERVICE_ACTION_IN16 */
        UCHAR ServiceAction : 5;            /* SERVICE_ACTION_READ_CAPACITY16 */
        UCHAR Reserved1 : 3;
        UCHAR LogicalBlock[8];
        UCHAR AllocationLength[4];
        UCHAR PMI : 1;
        UCHAR Reserved2 : 7;
        UCHAR Control;
    } READ_CAPACITY16;
    struct _SYNCHRONIZE_CACHE10 {
        UCHAR OperationCode;
        UCHAR RelAddr : 1;
        UCHAR Immediate : 1;
        UCHAR Reserved : 3;
        UCHAR Lun : 3;
        UCHAR LogicalBlockAddress[4];
        UCHAR Reserved2;
        UCHAR BlockCount[2];
        UCHAR Control;
    } SYNCHRONIZE_CACHE10;
    struct _UNMAP {
        UCHAR OperationCode;
        UCHAR Anchor : 1;
        UCHAR Reserved1 : 7;
        UCHAR Reserved2[4];
        UCHAR GroupNumber : 5;
        UCHAR Reserved3 : 3;
        UCHAR AllocationLength[2];          /* parameter list length */
        UCHAR Control;
    } UNMAP;
    struct _ATA_PASSTHROUGH16 {
        UCHAR OperationCode;                /* SCSIOP_ATA_PASSTHROUGH16 */
        UCHAR Extend : 1;
        UCHAR Protocol : 4;
        UCHAR MultipleCount : 3;
        UCHAR LengthInfo : 2;               /* T_LENGTH */
        UCHAR ByteBlock : 1;
        UCHAR TDir : 1;
        UCHAR TType : 1;
        UCHAR CkCond : 1;
        UCHAR Offline : 2;
        UCHAR Features15_8;
        UCHAR Features7_0;
        UCHAR SectorCount15_8;
        UCHAR SectorCount7_0;
        UCHAR LbaLow15_8;
        UCHAR LbaLow7_0;
        UCHAR LbaMid15_8;
        UCHAR LbaMid7_0;
        UCHAR LbaHigh15_8;
        UCHAR LbaHigh7_0;
        UCHAR Device;
        UCHAR Command;
        UCHAR Control;
    } ATA_PASSTHROUGH16;
    ULONG AsUlong[4];
    UCHAR AsByte[16];
} CDB, *PCDB;
#pragma pack(pop)

_Static_assert(sizeof(CDB) == 16, "CDB is 16 bytes");

/* ATA PASS-THROUGH protocol field (SAT-4 table 140) */
#define ATA_PT_PROTOCOL_HARD_RESET      0x0
#define ATA_PT_PROTOCOL_SRST            0x1
#define ATA_PT_PROTOCOL_NON_DATA        0x3
#define ATA_PT_PROTOCOL_PIO_DATA_IN     0x4
#define ATA_PT_PROTOCOL_PIO_DATA_OUT    0x5
#define ATA_PT_PROTOCOL_DMA             0x6
#define ATA_PT_PROTOCOL_DEVICE_DIAG     0x8
#define ATA_PT_PROTOCOL_DEVICE_RESET    0x9
#define ATA_PT_PROTOCOL_UDMA_DATA_IN    0xA
#define ATA_PT_PROTOCOL_UDMA_DATA_OUT   0xB
#define ATA_PT_PROTOCOL_NCQ             0xC
#define ATA_PT_PROTOCOL_RETURN_RESPONSE 0xF
/* T_LENGTH */
#define ATA_PT_TLENGTH_NONE             0
#define ATA_PT_TLENGTH_FEATURES         1
#define ATA_PT_TLENGTH_SECTOR_COUNT     2
#define ATA_PT_TLENGTH_STPSIU           3

/* ---- sense data (SPC-4 4.5.3, fixed format) ---- */
#define SCSI_SENSE_NO_SENSE         0x00
#define SCSI_SENSE_RECOVERED_ERROR  0x01
#define SCSI_SENSE_NOT_READY        0x02
#define SCSI_SENSE_MEDIUM_ERROR     0x03
#define SCSI_SENSE_HARDWARE_ERROR   0x04
#define SCSI_SENSE_ILLEGAL_REQUEST  0x05
#define SCSI_SENSE_UNIT_ATTENTION   0x06
#define SCSI_SENSE_DATA_PROTECT     0x07
#define SCSI_SENSE_BLANK_CHECK      0x08
#define SCSI_SENSE_UNIQUE           0x09
#define SCSI_SENSE_COPY_ABORTED     0x0A
#define SCSI_SENSE_ABORTED_COMMAND  0x0B
#define SCSI_SENSE_EQUAL            0x0C
#define SCSI_SENSE_VOL_OVERFLOW     0x0D
#define SCSI_SENSE_MISCOMPARE       0x0E

/* Additional sense codes (ASC) */
#define SCSI_ADSENSE_NO_SENSE               0x00
#define SCSI_ADSENSE_LUN_NOT_READY          0x04
#define SCSI_ADSENSE_WRITE_ERROR            0x0C
#define SCSI_ADSENSE_UNRECOVERED_ERROR      0x11
#define SCSI_ADSENSE_REC_DATA_NOECC         0x17
#define SCSI_ADSENSE_TRACK_ERROR            0x14
#define SCSI_ADSENSE_PARAMETER_LIST_LENGTH  0x1A
#define SCSI_ADSENSE_ILLEGAL_COMMAND        0x20
#define SCSI_ADSENSE_ILLEGAL_BLOCK          0x21
#define SCSI_ADSENSE_INVALID_CDB            0x24
#define SCSI_ADSENSE_INVALID_LUN            0x25
#define SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST 0x26
#define SCSI_ADSENSE_WRITE_PROTECT          0x27
#define SCSI_ADSENSE_BUS_RESET              0x29
#define SCSI_ADSENSE_LOGICAL_UNIT_ERROR     0x3E
#define SCSI_ADSENSE_INTERNAL_TARGET_FAILURE 0x44
#define SCSI_ADSENSE_DATA_TRANSFER_ERROR    0x4B   /* DATA PHASE ERROR */
#define SCSI_ADSENSE_PARITY_ERROR           0x47
#define SCSI_ADSENSE_NO_MEDIA_IN_DEVICE     0x3A

/* Qualifiers (ASCQ) used with the codes above */
#define SCSI_SENSEQ_CAUSE_NOT_REPORTABLE    0x00
#define SCSI_SENSEQ_BECOMING_READY          0x01
#define SCSI_SENSEQ_AUTO_REALLOCATION_FAILED 0x04   /* 11h/04h UNRECOVERED READ ERROR - AUTO REALLOCATE FAILED */
#define SCSI_SENSEQ_RECORD_NOT_FOUND        0x01   /* 14h/01h */
#define SCSI_SENSEQ_IUCRC_ERROR             0x03   /* 47h/03h */
#define SCSI_SENSEQ_ATA_PASSTHROUGH_INFO    0x1D   /* 00h/1Dh ATA PASS THROUGH INFORMATION AVAILABLE */

#pragma pack(push, 1)
typedef struct _SENSE_DATA {
    UCHAR ErrorCode : 7;                /* SCSI_SENSE_ERRORCODE_FIXED_CURRENT */
    UCHAR Valid : 1;                    /* Information field valid */
    UCHAR SegmentNumber;
    UCHAR SenseKey : 4;
    UCHAR Reserved : 1;
    UCHAR IncorrectLength : 1;
    UCHAR EndOfMedia : 1;
    UCHAR FileMark : 1;
    UCHAR Information[4];               /* big-endian */
    UCHAR AdditionalSenseLength;        /* bytes after this one: 10 */
    UCHAR CommandSpecificInformation[4];
    UCHAR AdditionalSenseCode;
    UCHAR AdditionalSenseCodeQualifier;
    UCHAR FieldReplaceableUnitCode;
    UCHAR SenseKeySpecific[3];
} SENSE_DATA, *PSENSE_DATA;
#pragma pack(pop)
_Static_assert(sizeof(SENSE_DATA) == 18, "fixed-format sense is 18 bytes");

#define SENSE_BUFFER_SIZE sizeof(SENSE_DATA)
#define SCSI_SENSE_ERRORCODE_FIXED_CURRENT      0x70
#define SCSI_SENSE_ERRORCODE_FIXED_DEFERRED     0x71
#define SCSI_SENSE_ERRORCODE_DESCRIPTOR_CURRENT 0x72

/* ---- INQUIRY (SPC-4 6.6.2) ---- */
#define DIRECT_ACCESS_DEVICE        0x00
#define READ_ONLY_DIRECT_ACCESS_DEVICE 0x05
#define OPTICAL_DEVICE              0x07
#define DEVICE_QUALIFIER_ACTIVE     0x00
#define DEVICE_QUALIFIER_NOT_SUPPORTED 0x03

#pragma pack(push, 1)
typedef struct _INQUIRYDATA {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR DeviceTypeModifier : 7;
    UCHAR RemovableMedia : 1;
    UCHAR Versions;                     /* 0x06 = SPC-4 */
    UCHAR ResponseDataFormat : 4;       /* 2 */
    UCHAR HiSupport : 1;
    UCHAR NormACA : 1;
    UCHAR TerminateTask : 1;
    UCHAR AERC : 1;
    UCHAR AdditionalLength;             /* bytes after byte 4 */
    UCHAR Reserved[2];
    UCHAR SoftReset : 1;
    UCHAR CommandQueue : 1;
    UCHAR Reserved2 : 1;
    UCHAR LinkedCommands : 1;
    UCHAR Synchronous : 1;
    UCHAR Wide16Bit : 1;
    UCHAR Wide32Bit : 1;
    UCHAR RelativeAddressing : 1;
    UCHAR VendorId[8];                  /* "ATA     " for SATL devices (SAT-4 12.2.2) */
    UCHAR ProductId[16];
    UCHAR ProductRevisionLevel[4];
    UCHAR VendorSpecific[20];
    UCHAR Reserved3[40];
} INQUIRYDATA, *PINQUIRYDATA;
#pragma pack(pop)
_Static_assert(sizeof(INQUIRYDATA) == 96, "INQUIRYDATA is 96 bytes");
#define INQUIRYDATABUFFERSIZE 36

/* Vital product data pages (SPC-4 7.8, SBC-3 6.6) */
#define VPD_SUPPORTED_PAGES         0x00
#define VPD_SERIAL_NUMBER           0x80
#define VPD_DEVICE_IDENTIFIERS      0x83
#define VPD_ATA_INFORMATION         0x89
#define VPD_BLOCK_LIMITS            0xB0
#define VPD_BLOCK_DEVICE_CHARACTERISTICS 0xB1
#define VPD_LOGICAL_BLOCK_PROVISIONING 0xB2

#pragma pack(push, 1)
typedef struct _VPD_PAGE_HEADER {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR PageLength[2];                /* big-endian, bytes after the header */
} VPD_PAGE_HEADER, *PVPD_PAGE_HEADER;

/* Device identification descriptor (SPC-4 7.8.6.1) */
typedef struct _VPD_IDENTIFICATION_DESCRIPTOR {
    UCHAR CodeSet : 4;                  /* VpdCodeSetAscii = 2 */
    UCHAR Reserved : 4;
    UCHAR IdentifierType : 4;           /* VpdIdentifierTypeVendorId = 1 */
    UCHAR Association : 2;
    UCHAR Reserved2 : 2;
    UCHAR Reserved3;
    UCHAR IdentifierLength;
    UCHAR Identifier[];
} VPD_IDENTIFICATION_DESCRIPTOR, *PVPD_IDENTIFICATION_DESCRIPTOR;

/* Block limits page 0xB0 body after the header (SBC-3 6.6.4) */
typedef struct _VPD_BLOCK_LIMITS_PAGE {
    VPD_PAGE_HEADER Header;             /* PageLength = 0x3C */
    UCHAR Reserved0;
    UCHAR MaximumCompareAndWriteLength;
    UCHAR OptimalTransferLengthGranularity[2];
    UCHAR MaximumTransferLength[4];
    UCHAR OptimalTransferLength[4];
    UCHAR MaxPrefetchXDReadXDWriteTransferLength[4];
    UCHAR MaximumUnmapLBACount[4];
    UCHAR MaximumUnmapBlockDescriptorCount[4];
    UCHAR OptimalUnmapGranularity[4];
    UCHAR UnmapGranularityAlignment[4]; /* bit 31: UGAVALID */
    UCHAR MaximumWriteSameLength[8];
    UCHAR Reserved1[20];
} VPD_BLOCK_LIMITS_PAGE, *PVPD_BLOCK_LIMITS_PAGE;
#pragma pack(pop)
_Static_assert(sizeof(VPD_BLOCK_LIMITS_PAGE) == 64, "block limits page is 64 bytes");

#define VpdCodeSetBinary            1
#define VpdCodeSetAscii             2
#define VpdIdentifierTypeVendorSpecific 0
#define VpdIdentifierTypeVendorId   1
#define VpdIdentifierTypeEUI64      2
#define VpdIdentifierTypeFCPHName   3   /* NAA */
#define VpdAssocDevice              0

/* ---- READ CAPACITY (SBC-3 5.15, 5.16) ---- */
typedef struct _READ_CAPACITY_DATA {
    ULONG LogicalBlockAddress;          /* big-endian: last LBA, 0xFFFFFFFF if larger */
    ULONG BytesPerBlock;                /* big-endian */
} READ_CAPACITY_DATA, *PREAD_CAPACITY_DATA;

#pragma pack(push, 1)
typedef struct _READ_CAPACITY_DATA_EX {
    LARGE_INTEGER LogicalBlockAddress;  /* big-endian: last LBA */
    ULONG BytesPerBlock;                /* big-endian */
} READ_CAPACITY_DATA_EX, *PREAD_CAPACITY_DATA_EX;

/* The full 32-byte READ CAPACITY(16) parameter data (SBC-3 table 67). */
typedef struct _READ_CAPACITY16_DATA {
    UCHAR LogicalBlockAddress[8];
    UCHAR BytesPerBlock[4];
    UCHAR ProtectionEnable : 1;
    UCHAR ProtectionType : 3;
    UCHAR Reserved : 4;
    UCHAR LogicalPerPhysicalExponent : 4;
    UCHAR SecurityCountExponent : 4;
    UCHAR LowestAlignedBlock_MSB : 6;
    UCHAR LBPRZ : 1;
    UCHAR LBPME : 1;                    /* thin provisioning (UNMAP) enabled */
    UCHAR LowestAlignedBlock_LSB;
    UCHAR Reserved3[16];
} READ_CAPACITY16_DATA, *PREAD_CAPACITY16_DATA;
#pragma pack(pop)
_Static_assert(sizeof(READ_CAPACITY16_DATA) == 32, "READ CAPACITY(16) data is 32 bytes");

/* ---- MODE SENSE (SPC-4 7.5) ---- */
#define MODE_PAGE_CACHING           0x08
#define MODE_PAGE_CONTROL           0x0A
#define MODE_SENSE_RETURN_ALL       0x3F
#define MODE_SENSE_CURRENT_VALUES   0x00
#define MODE_SENSE_CHANGEABLE_VALUES 0x40   /* PC in bits 7:6 of byte 2 */
#define MODE_SENSE_DEFAULT_VAULES   0x80
#define MODE_SENSE_SAVED_VALUES     0xC0
#define MODE_DSP_WRITE_PROTECT      0x80
#define MODE_DSP_FUA_SUPPORTED      0x10

#pragma pack(push, 1)
typedef struct _MODE_PARAMETER_HEADER {
    UCHAR ModeDataLength;               /* bytes after this one */
    UCHAR MediumType;
    UCHAR DeviceSpecificParameter;      /* MODE_DSP_* */
    UCHAR BlockDescriptorLength;
} MODE_PARAMETER_HEADER, *PMODE_PARAMETER_HEADER;

typedef struct _MODE_PARAMETER_HEADER10 {
    UCHAR ModeDataLength[2];            /* big-endian, bytes after these two */
    UCHAR MediumType;
    UCHAR DeviceSpecificParameter;
    UCHAR Reserved[2];
    UCHAR BlockDescriptorLength[2];
} MODE_PARAMETER_HEADER10, *PMODE_PARAMETER_HEADER10;

typedef struct _MODE_CACHING_PAGE {
    UCHAR PageCode : 6;                 /* MODE_PAGE_CACHING */
    UCHAR Reserved : 1;
    UCHAR PageSavable : 1;
    UCHAR PageLength;                   /* 0x12 */
    UCHAR ReadDisableCache : 1;         /* RCD */
    UCHAR MultiplicationFactor : 1;
    UCHAR WriteCacheEnable : 1;         /* WCE */
    UCHAR Reserved2 : 5;
    UCHAR WriteRetensionPriority : 4;
    UCHAR ReadRetensionPriority : 4;
    UCHAR DisablePrefetchTransfer[2];
    UCHAR MinimumPrefetch[2];
    UCHAR MaximumPrefetch[2];
    UCHAR MaximumPrefetchCeiling[2];
    UCHAR Flags;                        /* bit 5: DRA (disable read-ahead) */
    UCHAR NumberOfCacheSegments;
    UCHAR CacheSegmentSize[2];
    UCHAR Reserved3;
    UCHAR NonCacheSegmentSize[3];
} MODE_CACHING_PAGE, *PMODE_CACHING_PAGE;
#pragma pack(pop)
_Static_assert(sizeof(MODE_CACHING_PAGE) == 20, "caching page is 20 bytes");

/* ---- UNMAP parameter list (SBC-3 5.28.2) ---- */
#pragma pack(push, 1)
typedef struct _UNMAP_BLOCK_DESCRIPTOR {
    UCHAR StartingLba[8];               /* big-endian */
    UCHAR LbaCount[4];                  /* big-endian */
    UCHAR Reserved[4];
} UNMAP_BLOCK_DESCRIPTOR, *PUNMAP_BLOCK_DESCRIPTOR;

typedef struct _UNMAP_LIST_HEADER {
    UCHAR DataLength[2];                /* bytes after these two */
    UCHAR BlockDescrDataLength[2];      /* bytes of descriptors */
    UCHAR Reserved[4];
    UNMAP_BLOCK_DESCRIPTOR Descriptors[];
} UNMAP_LIST_HEADER, *PUNMAP_LIST_HEADER;
#pragma pack(pop)

/* ---- big-endian helpers (SCSI fields are big-endian on the wire) ---- */
static inline ULONG ScsiGetBe16(const UCHAR *p) { return ((ULONG)p[0] << 8) | p[1]; }
static inline ULONG ScsiGetBe24(const UCHAR *p) { return ((ULONG)p[0] << 16) | ((ULONG)p[1] << 8) | p[2]; }
static inline ULONG ScsiGetBe32(const UCHAR *p)
{
    return ((ULONG)p[0] << 24) | ((ULONG)p[1] << 16) | ((ULONG)p[2] << 8) | p[3];
}
static inline ULONG64 ScsiGetBe64(const UCHAR *p)
{
    return ((ULONG64)ScsiGetBe32(p) << 32) | ScsiGetBe32(p + 4);
}
static inline void ScsiPutBe16(UCHAR *p, ULONG v) { p[0] = (UCHAR)(v >> 8); p[1] = (UCHAR)v; }
static inline void ScsiPutBe32(UCHAR *p, ULONG v)
{
    p[0] = (UCHAR)(v >> 24); p[1] = (UCHAR)(v >> 16); p[2] = (UCHAR)(v >> 8); p[3] = (UCHAR)v;
}
static inline void ScsiPutBe64(UCHAR *p, ULONG64 v)
{
    ScsiPutBe32(p, (ULONG)(v >> 32));
    ScsiPutBe32(p + 4, (ULONG)v);
}

#endif /* NTSTOR_SCSI_H */
