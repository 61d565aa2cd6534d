/* ntstor_disk.h - ntstor's private IOCTLs of the disk class driver
 * (drivers/disk/), sent to \??\PhysicalDrive<n> or a partition:
 * switching a disk's write permission at run time (DESIGN.md "Safety") and
 * reading the driver's facts about a disk (number, limits, counters, what
 * was wrong with its partition table).  METHOD_BUFFERED,
 * IRP_MJ_DEVICE_CONTROL. */
#ifndef NTSTOR_DISK_IOCTL_H
#define NTSTOR_DISK_IOCTL_H

#include <ntdef.h>

#include <devioctl.h>

/* FILE_DEVICE_DISK, functions from the vendor range (0x800+). */
#define IOCTL_NTSTOR_DISK_SET_WRITABLE CTL_CODE(FILE_DEVICE_DISK, 0x0A00, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_NTSTOR_DISK_GET_INFO     CTL_CODE(FILE_DEVICE_DISK, 0x0A01, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* IOCTL_NTSTOR_DISK_SET_WRITABLE input: applies to the whole disk (every
 * partition), until changed again or the next boot. */
typedef struct _NTSTOR_DISK_SET_WRITABLE {
    ULONG Writable;                 /* 0 = refuse writes, 1 = allow */
} NTSTOR_DISK_SET_WRITABLE, *PNTSTOR_DISK_SET_WRITABLE;

#define NTSTOR_DISK_LOG_BYTES 1024
/* Partitions the kernel's reader reports at most (NT's GPT default); more
 * are logged and skipped. */
#define NTSTOR_MAX_PARTITIONS 128
/* Sector sizes the kernel's partition reader handles, and so the ones the
 * disk class driver accepts (powers of two). */
#define NTSTOR_MIN_SECTOR_SIZE 512
#define NTSTOR_MAX_SECTOR_SIZE 4096

/* What the kernel's partition-table reader found wrong, beside NT's layout
 * (NtstorReadPartitionTableEx). */
typedef struct _NTSTOR_PARTITION_REPORT {
    ULONG Problems;                 /* every problem found, logged or not */
    ULONG LogLines;                 /* problems in Log: the first ones found, one whole line each */
    BOOLEAN LogTruncated;           /* Log was full: Problems - LogLines lines are missing */
    BOOLEAN UsedBackupGpt;          /* the primary GPT was bad; the backup was used */
    UCHAR Reserved[2];
    CHAR Log[NTSTOR_DISK_LOG_BYTES];/* "gpt: primary header at LBA 1: ...\n" ... */
} NTSTOR_PARTITION_REPORT, *PNTSTOR_PARTITION_REPORT;

/* IoReadPartitionTableEx (wdm/io.h) that also fills Report -- even when it
 * fails, so the caller can show why.  Report may be NULL.  (A kernel
 * export: the disk class driver keeps it for IOCTL_NTSTOR_DISK_GET_INFO.) */
struct _DEVICE_OBJECT;
struct _DRIVE_LAYOUT_INFORMATION_EX;
NTSTATUS NtstorReadPartitionTableEx(struct _DEVICE_OBJECT *DeviceObject,
                                    struct _DRIVE_LAYOUT_INFORMATION_EX **DriveLayout,
                                    PNTSTOR_PARTITION_REPORT Report);

/* IOCTL_NTSTOR_DISK_GET_INFO output. */
typedef struct _NTSTOR_DISK_INFO {
    ULONG Size;                     /* sizeof(NTSTOR_DISK_INFO) */
    ULONG DiskNumber;               /* n of \Device\Harddisk<n> */
    ULONG PartitionNumber;          /* of the opened device; 0 = whole disk */
    ULONG Writable;                 /* writes allowed now (enabled and not write-protected) */
    ULONG WritableBySerial;         /* enabled by Parameters\WritableSerials */
    ULONG SectorSize;
    ULONG64 Sectors;
    ULONG MaxTransferBytes;         /* larger requests are split */
    ULONG PartitionStyle;           /* PARTITION_STYLE */
    ULONG PartitionCount;
    ULONG LayoutProblems;           /* things the partition parser refused or repaired */
    ULONG LayoutLogTruncated;       /* 1: Log was full; it holds the first problems only */
    ULONG UsedBackupGpt;            /* the primary GPT was bad */
    ULONG Trim;                     /* the device supports UNMAP */
    CHAR Vendor[9];                 /* INQUIRY, trailing blanks removed */
    CHAR Product[17];
    CHAR Revision[5];
    CHAR Serial[41];                /* VPD 0x80 */
    UCHAR Reserved[2];
    ULONG64 Reads, Writes;          /* requests completed */
    ULONG64 Splits;                 /* extra pieces sent for large requests */
    ULONG64 Retries;                /* transient errors retried */
    ULONG64 Errors;                 /* requests failed */
    CHAR Log[NTSTOR_DISK_LOG_BYTES];/* the partition parser's report, one problem per line,
                                       whole lines only */
    ULONG BusType;                  /* STORAGE_BUS_TYPE: the port's, BusTypeSata for AHCI */
    ULONG WriteProtected;           /* the medium reports write protection (MODE SENSE WP) */
    ULONG Removable;                /* the port reports a removable device or medium */
} NTSTOR_DISK_INFO, *PNTSTOR_DISK_INFO;

#endif /* NTSTOR_DISK_IOCTL_H */
