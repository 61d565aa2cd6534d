/* ntdddisk.h - disk IOCTLs (the WDK's ntdddisk.h subset ntstor uses):
 * geometry, length, partition information and drive layout, MBR and GPT.
 * Names, codes and structure shapes are NT's.  ntstor's own disk IOCTLs
 * (write enable, driver facts) are in ntstor_disk.h. */
#ifndef NTSTOR_NTDDDISK_H
#define NTSTOR_NTDDDISK_H

#include <ntdef.h>
#include <ntddstor.h>

#define IOCTL_DISK_BASE 0x00000007      /* FILE_DEVICE_DISK */

#define IOCTL_DISK_GET_DRIVE_GEOMETRY    CTL_CODE(IOCTL_DISK_BASE, 0x0000, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_GET_PARTITION_INFO    CTL_CODE(IOCTL_DISK_BASE, 0x0001, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_DISK_GET_DRIVE_LAYOUT      CTL_CODE(IOCTL_DISK_BASE, 0x0003, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_DISK_VERIFY                CTL_CODE(IOCTL_DISK_BASE, 0x0005, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_IS_WRITABLE           CTL_CODE(IOCTL_DISK_BASE, 0x0009, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_GET_PARTITION_INFO_EX CTL_CODE(IOCTL_DISK_BASE, 0x0012, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_GET_DRIVE_LAYOUT_EX   CTL_CODE(IOCTL_DISK_BASE, 0x0014, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_GET_LENGTH_INFO       CTL_CODE(IOCTL_DISK_BASE, 0x0017, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_DISK_GET_DRIVE_GEOMETRY_EX CTL_CODE(IOCTL_DISK_BASE, 0x0028, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_UPDATE_PROPERTIES     CTL_CODE(IOCTL_DISK_BASE, 0x0050, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef enum _MEDIA_TYPE {
    Unknown = 0,
    RemovableMedia = 11,
    FixedMedia = 12,
} MEDIA_TYPE;

typedef struct _DISK_GEOMETRY {
    LARGE_INTEGER Cylinders;
    MEDIA_TYPE MediaType;
    ULONG TracksPerCylinder;
    ULONG SectorsPerTrack;
    ULONG BytesPerSector;
} DISK_GEOMETRY, *PDISK_GEOMETRY;

/* Data[] is where NT appends DISK_PARTITION_INFO and DISK_DETECTION_INFO;
 * ntstor returns the fixed part only. */
typedef struct _DISK_GEOMETRY_EX {
    DISK_GEOMETRY Geometry;
    LARGE_INTEGER DiskSize;         /* bytes */
    UCHAR Data[1];
} DISK_GEOMETRY_EX, *PDISK_GEOMETRY_EX;

typedef struct _GET_LENGTH_INFORMATION {
    LARGE_INTEGER Length;           /* bytes of the opened disk or partition */
} GET_LENGTH_INFORMATION, *PGET_LENGTH_INFORMATION;

typedef enum _PARTITION_STYLE {
    PARTITION_STYLE_MBR = 0,
    PARTITION_STYLE_GPT = 1,
    PARTITION_STYLE_RAW = 2,
} PARTITION_STYLE;

/* MBR partition type bytes ntstor names. */
#define PARTITION_ENTRY_UNUSED    0x00
#define PARTITION_FAT_12          0x01
#define PARTITION_EXTENDED        0x05
#define PARTITION_FAT_16          0x06
#define PARTITION_IFS             0x07
#define PARTITION_FAT32           0x0B
#define PARTITION_FAT32_XINT13    0x0C
#define PARTITION_XINT13          0x0E
#define PARTITION_XINT13_EXTENDED 0x0F
#define PARTITION_LINUX_EXTENDED  0x85   /* Linux's, followed like 0x05 */
#define PARTITION_LINUX           0x83
#define PARTITION_GPT             0xEE   /* protective MBR entry */
#define PARTITION_EFI_SYSTEM      0xEF
#define IsContainerPartition(t) \
    ((t) == PARTITION_EXTENDED || (t) == PARTITION_XINT13_EXTENDED || (t) == PARTITION_LINUX_EXTENDED)

typedef struct _PARTITION_INFORMATION_MBR {
    UCHAR PartitionType;
    BOOLEAN BootIndicator;
    BOOLEAN RecognizedPartition;
    ULONG HiddenSectors;            /* sectors before the partition */
    GUID PartitionId;
} PARTITION_INFORMATION_MBR, *PPARTITION_INFORMATION_MBR;

typedef struct _PARTITION_INFORMATION_GPT {
    GUID PartitionType;
    GUID PartitionId;
    ULONG64 Attributes;
    WCHAR Name[36];
} PARTITION_INFORMATION_GPT, *PPARTITION_INFORMATION_GPT;

typedef struct _PARTITION_INFORMATION_EX {
    PARTITION_STYLE PartitionStyle;
    LARGE_INTEGER StartingOffset;   /* bytes from the start of the disk */
    LARGE_INTEGER PartitionLength;  /* bytes */
    ULONG PartitionNumber;          /* n of \Device\Harddisk<d>\Partition<n>; 0 = whole disk */
    BOOLEAN RewritePartition;
    BOOLEAN IsServicePartition;
    union {
        PARTITION_INFORMATION_MBR Mbr;
        PARTITION_INFORMATION_GPT Gpt;
    };
} PARTITION_INFORMATION_EX, *PPARTITION_INFORMATION_EX;

typedef struct _DRIVE_LAYOUT_INFORMATION_MBR {
    ULONG Signature;                /* MBR bytes 440..443 */
    ULONG CheckSum;
} DRIVE_LAYOUT_INFORMATION_MBR, *PDRIVE_LAYOUT_INFORMATION_MBR;

typedef struct _DRIVE_LAYOUT_INFORMATION_GPT {
    GUID DiskId;
    LARGE_INTEGER StartingUsableOffset;
    LARGE_INTEGER UsableLength;
    ULONG MaxPartitionCount;
} DRIVE_LAYOUT_INFORMATION_GPT, *PDRIVE_LAYOUT_INFORMATION_GPT;

/* PartitionCount entries follow; size the buffer with
 * DRIVE_LAYOUT_INFORMATION_EX_SIZE(n).  STATUS_BUFFER_TOO_SMALL when the
 * header does not fit; STATUS_BUFFER_OVERFLOW (PartitionCount set, as many
 * entries as fit) when the entries do not. */
typedef struct _DRIVE_LAYOUT_INFORMATION_EX {
    ULONG PartitionStyle;
    ULONG PartitionCount;
    union {
        DRIVE_LAYOUT_INFORMATION_MBR Mbr;
        DRIVE_LAYOUT_INFORMATION_GPT Gpt;
    };
    PARTITION_INFORMATION_EX PartitionEntry[1];
} DRIVE_LAYOUT_INFORMATION_EX, *PDRIVE_LAYOUT_INFORMATION_EX;

#define DRIVE_LAYOUT_INFORMATION_EX_SIZE(n) \
    (offsetof(DRIVE_LAYOUT_INFORMATION_EX, PartitionEntry) + (n) * sizeof(PARTITION_INFORMATION_EX))

#endif /* NTSTOR_NTDDDISK_H */
