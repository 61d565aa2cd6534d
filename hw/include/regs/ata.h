/* ata.h - ATA/ATAPI Command Set (ACS-3) definitions the AHCI driver needs:
 * command opcodes, status and error register bits, IDENTIFY DEVICE word
 * offsets (ACS-3 7.12.7), NCQ field layout (ACS-3 7.21, 7.23) and the
 * NCQ Command Error log (ACS-3 A.14, log page 10h). */
#ifndef NTSTOR_REGS_ATA_H
#define NTSTOR_REGS_ATA_H

#include <stdint.h>

/* ---- commands ---- */
#define ATA_CMD_NOP                     0x00
#define ATA_CMD_DATA_SET_MANAGEMENT     0x06    /* feature 01h = TRIM */
#define ATA_CMD_DEVICE_RESET            0x08
#define ATA_CMD_READ_SECTORS            0x20
#define ATA_CMD_READ_SECTORS_EXT        0x24
#define ATA_CMD_READ_DMA_EXT            0x25
#define ATA_CMD_READ_MULTIPLE_EXT       0x29
#define ATA_CMD_READ_LOG_EXT            0x2F
#define ATA_CMD_WRITE_SECTORS           0x30
#define ATA_CMD_WRITE_SECTORS_EXT       0x34
#define ATA_CMD_WRITE_DMA_EXT           0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT      0x39
#define ATA_CMD_WRITE_DMA_FUA_EXT       0x3D
#define ATA_CMD_WRITE_LOG_EXT           0x3F
#define ATA_CMD_READ_VERIFY_SECTORS     0x40
#define ATA_CMD_READ_VERIFY_SECTORS_EXT 0x42
#define ATA_CMD_READ_LOG_DMA_EXT        0x47
#define ATA_CMD_WRITE_LOG_DMA_EXT       0x57
#define ATA_CMD_READ_FPDMA_QUEUED       0x60
#define ATA_CMD_WRITE_FPDMA_QUEUED      0x61
#define ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC 0x90
#define ATA_CMD_PACKET                  0xA0
#define ATA_CMD_IDENTIFY_PACKET_DEVICE  0xA1
#define ATA_CMD_SMART                   0xB0
#define ATA_CMD_READ_MULTIPLE           0xC4
#define ATA_CMD_WRITE_MULTIPLE          0xC5
#define ATA_CMD_READ_DMA                0xC8
#define ATA_CMD_WRITE_DMA               0xCA
#define ATA_CMD_WRITE_MULTIPLE_FUA_EXT  0xCE
#define ATA_CMD_STANDBY_IMMEDIATE       0xE0
#define ATA_CMD_IDLE_IMMEDIATE          0xE1
#define ATA_CMD_CHECK_POWER_MODE        0xE5
#define ATA_CMD_FLUSH_CACHE             0xE7
#define ATA_CMD_FLUSH_CACHE_EXT         0xEA
#define ATA_CMD_IDENTIFY_DEVICE         0xEC
#define ATA_CMD_SET_FEATURES            0xEF

/* DATA SET MANAGEMENT feature bits */
#define ATA_DSM_TRIM                    0x01
/* TRIM range entry (ACS-3 7.5.3.2): LBA 47:0, range length 63:48. */
#define ATA_DSM_RANGE_MAX_SECTORS       0xFFFFu
#define ATA_DSM_RANGES_PER_BLOCK        64      /* 512-byte block of 8-byte entries */

/* READ LOG EXT log addresses */
#define ATA_LOG_NCQ_COMMAND_ERROR       0x10
#define ATA_LOG_IDENTIFY_DEVICE_DATA    0x30

/* SET FEATURES subcommands */
#define ATA_SF_ENABLE_WRITE_CACHE       0x02
#define ATA_SF_DISABLE_WRITE_CACHE      0x82
#define ATA_SF_PUIS_SPIN_UP             0x07    /* ACS-3 7.45.10 */
#define ATA_SF_ENABLE_SATA_FEATURE      0x10    /* Count = the feature */
#define ATA_SF_DISABLE_SATA_FEATURE     0x90
#define ATA_SF_SATA_DIPM                0x03    /* device-initiated power management */

/* Device register: bit 6 selects LBA addressing; bit 7 of FPDMA = FUA. */
#define ATA_DEV_LBA                     0x40
#define ATA_DEV_FUA                     0x80

/* ---- status register ---- */
#define ATA_STS_ERR                     0x01
#define ATA_STS_SENSE                   0x02    /* ACS-3: sense data available */
#define ATA_STS_DRQ                     0x08
#define ATA_STS_DF                      0x20    /* device fault */
#define ATA_STS_DRDY                    0x40
#define ATA_STS_BSY                     0x80

/* ---- error register ---- */
#define ATA_ERR_AMNF                    0x01    /* obsolete: address mark not found */
#define ATA_ERR_NM                      0x02    /* no media / end of media */
#define ATA_ERR_ABRT                    0x04    /* command aborted */
#define ATA_ERR_MCR                     0x08
#define ATA_ERR_IDNF                    0x10    /* ID not found: LBA out of range */
#define ATA_ERR_MC                      0x20
#define ATA_ERR_UNC                     0x40    /* uncorrectable data */
#define ATA_ERR_ICRC                    0x80    /* interface CRC */

/* ---- NCQ (ACS-3 7.21 READ FPDMA QUEUED) ---- */
#define ATA_NCQ_MAX_TAGS                32
#define ATA_NCQ_TAG_SHIFT               3       /* tag is in Count 7:3 */
/* Sector count travels in Features 15:0 for FPDMA; 0 means 65536. */
#define ATA_NCQ_MAX_SECTORS             65536u

/* NCQ Command Error log page 10h (ACS-3 A.14): byte 0 bit 7 NQ, 4:0 tag. */
#define ATA_NCQ_LOG_NQ                  0x80
#define ATA_NCQ_LOG_TAG_MASK            0x1F
#define ATA_NCQ_LOG_STATUS              2
#define ATA_NCQ_LOG_ERROR               3

/* ---- transfer limits ---- */
#define ATA_MAX_SECTORS_LBA48           65536u  /* count 0 means 65536 */
#define ATA_MAX_SECTORS_LBA28           256u
#define ATA_LBA28_LIMIT                 0x0FFFFFFFull
#define ATA_LBA48_LIMIT                 0x0000FFFFFFFFFFFFull

/* ---- IDENTIFY DEVICE data, word offsets (ACS-3 7.12.7) ---- */
#define ATA_ID_WORDS                    256
#define ATA_ID_CONFIG                   0       /* bit 15: 0 = ATA device */
#define ATA_ID_SERIAL                   10      /* 20 ASCII bytes, byte-swapped words */
#define ATA_ID_SERIAL_LEN               20
#define ATA_ID_FW_REV                   23      /* 8 bytes */
#define ATA_ID_FW_REV_LEN               8
#define ATA_ID_MODEL                    27      /* 40 bytes */
#define ATA_ID_MODEL_LEN                40
#define ATA_ID_MAX_MULTIPLE             47
#define ATA_ID_CAPABILITIES             49      /* bit 9 LBA, bit 8 DMA */
#define ATA_ID_FIELD_VALID              53
#define ATA_ID_LBA28_CAPACITY           60      /* words 60-61 */
#define ATA_ID_QUEUE_DEPTH              75      /* 4:0 = max depth - 1 */
#define ATA_ID_SATA_CAPABILITY          76      /* bit 8 = NCQ supported */
#define ATA_ID_SATA_CAPABILITY2         77
#define ATA_ID_SATA_FEATURES            78
#define ATA_ID_MAJOR_VERSION            80
#define ATA_ID_COMMAND_SET_1            82      /* bit 0 SMART, bit 5 write cache */
#define ATA_ID_COMMAND_SET_2            83      /* bit 10 LBA48, bit 12 FLUSH CACHE, bit 13 FLUSH EXT */
#define ATA_ID_CFSSE                    84      /* bit 5 GPL (READ LOG EXT) */
#define ATA_ID_CFS_ENABLE_1             85      /* bit 0 SMART enabled, bit 5 write cache enabled */
#define ATA_ID_CFS_ENABLE_2             86
#define ATA_ID_CSF_DEFAULT              87
#define ATA_ID_UDMA_MODES               88
#define ATA_ID_LBA48_CAPACITY           100     /* words 100-103 */
#define ATA_ID_SECTOR_SIZE              106     /* logical/physical sector size */
#define ATA_ID_WWN                      108     /* words 108-111 */
#define ATA_ID_DSM_MAX_BLOCKS           105     /* max 512-byte blocks of DSM ranges */
#define ATA_ID_LOGICAL_SECTOR_SIZE      117     /* words 117-118, in words */
#define ATA_ID_ROTATION_RATE            217     /* 1 = non-rotating */
#define ATA_ID_ALIGNMENT                209     /* logical sector offset (ACS-3 7.12.7.86) */
#define ATA_ID_ALIGNMENT_VALID_MASK     0xC000
#define ATA_ID_ALIGNMENT_VALID          0x4000
#define ATA_ID_ALIGNMENT_OFFSET_MASK    0x3FFF
#define ATA_ID_FORM_FACTOR              168     /* 3:0 nominal form factor */
#define ATA_ID_DATA_SET_MANAGEMENT      169     /* bit 0 TRIM */
#define ATA_ID_ADDITIONAL_SUPPORTED     69      /* bit 14 deterministic read after TRIM, bit 5 zeroes */
#define ATA_ID_INTEGRITY                255

#define ATA_ID_CAP_LBA                  (1u << 9)
#define ATA_ID_CAP_DMA                  (1u << 8)
#define ATA_ID_SATA_NCQ                 (1u << 8)
#define ATA_ID_SATA_DIPM                (1u << 3)   /* words 78 (supported) / 79 (enabled) */
#define ATA_ID_CS1_SMART                (1u << 0)
#define ATA_ID_CS1_WRITE_CACHE          (1u << 5)
#define ATA_ID_CS2_LBA48                (1u << 10)
#define ATA_ID_CS2_FLUSH_CACHE          (1u << 12)
#define ATA_ID_CS2_FLUSH_CACHE_EXT      (1u << 13)
#define ATA_ID_CS2_VALID_MASK           0xC000u /* bits 15:14 must read 01b */
#define ATA_ID_CS2_VALID                0x4000u
#define ATA_ID_CFSSE_GPL                (1u << 5)
#define ATA_ID_CFSSE_WWN                (1u << 8)
#define ATA_ID_SECSZ_VALID_MASK         0xC000u /* word 106 bits 15:14 = 01b */
#define ATA_ID_SECSZ_VALID              0x4000u
#define ATA_ID_SECSZ_LARGE_LOGICAL      (1u << 12) /* words 117-118 valid */
#define ATA_ID_SECSZ_MULTI_PHYSICAL     (1u << 13)
#define ATA_ID_SECSZ_LOG2_PER_PHYS_MASK 0x000Fu
#define ATA_ID_DSM_TRIM                 (1u << 0)
#define ATA_ID_ADD_DRAT                 (1u << 14)
#define ATA_ID_ADD_RZAT                 (1u << 5)

#endif /* NTSTOR_REGS_ATA_H */
