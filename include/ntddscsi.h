/* ntddscsi.h - SCSI and ATA pass-through IOCTLs (the WDK's ntddscsi.h
 * subset ntstor uses).  The disk class driver forwards these to the port
 * driver's PDO; the AHCI port driver executes them. */
#ifndef NTSTOR_NTDDSCSI_H
#define NTSTOR_NTDDSCSI_H

#include <ntdef.h>

#include <devioctl.h>

#define IOCTL_SCSI_BASE     0x00000004   /* FILE_DEVICE_CONTROLLER */

#define IOCTL_SCSI_PASS_THROUGH        CTL_CODE(IOCTL_SCSI_BASE, 0x0401, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_SCSI_MINIPORT            CTL_CODE(IOCTL_SCSI_BASE, 0x0402, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_SCSI_GET_INQUIRY_DATA    CTL_CODE(IOCTL_SCSI_BASE, 0x0403, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SCSI_GET_CAPABILITIES    CTL_CODE(IOCTL_SCSI_BASE, 0x0404, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SCSI_PASS_THROUGH_DIRECT CTL_CODE(IOCTL_SCSI_BASE, 0x0405, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_SCSI_GET_ADDRESS         CTL_CODE(IOCTL_SCSI_BASE, 0x0406, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_ATA_PASS_THROUGH         CTL_CODE(IOCTL_SCSI_BASE, 0x040b, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_ATA_PASS_THROUGH_DIRECT  CTL_CODE(IOCTL_SCSI_BASE, 0x040c, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)

/* SCSI_PASS_THROUGH: the CDB travels in the structure; data and sense are
 * at the given offsets from the start of the system buffer. */
typedef struct _SCSI_PASS_THROUGH {
    USHORT Length;                  /* sizeof(SCSI_PASS_THROUGH) */
    UCHAR ScsiStatus;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR CdbLength;
    UCHAR SenseInfoLength;
    UCHAR DataIn;                   /* SCSI_IOCTL_DATA_* */
    ULONG DataTransferLength;
    ULONG TimeOutValue;             /* seconds */
    ULONG_PTR DataBufferOffset;
    ULONG SenseInfoOffset;
    UCHAR Cdb[16];
} SCSI_PASS_THROUGH, *PSCSI_PASS_THROUGH;

typedef struct _SCSI_PASS_THROUGH_DIRECT {
    USHORT Length;
    UCHAR ScsiStatus;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR CdbLength;
    UCHAR SenseInfoLength;
    UCHAR DataIn;
    ULONG DataTransferLength;
    ULONG TimeOutValue;
    PVOID DataBuffer;
    ULONG SenseInfoOffset;
    UCHAR Cdb[16];
} SCSI_PASS_THROUGH_DIRECT, *PSCSI_PASS_THROUGH_DIRECT;

#define SCSI_IOCTL_DATA_OUT          0
#define SCSI_IOCTL_DATA_IN           1
#define SCSI_IOCTL_DATA_UNSPECIFIED  2

/* ATA_PASS_THROUGH_EX: task files are the ATA registers in this order:
 * Features, Sector Count, LBA Low, LBA Mid, LBA High, Device, Command
 * (Status on return), Reserved.  PreviousTaskFile carries the upper bytes
 * of 48-bit commands (ATA_FLAGS_48BIT_COMMAND). */
typedef struct _ATA_PASS_THROUGH_EX {
    USHORT Length;                  /* sizeof(ATA_PASS_THROUGH_EX) */
    USHORT AtaFlags;                /* ATA_FLAGS_* */
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR ReservedAsUchar;
    ULONG DataTransferLength;
    ULONG TimeOutValue;             /* seconds */
    ULONG ReservedAsUlong;
    ULONG_PTR DataBufferOffset;     /* from the start of this structure */
    UCHAR PreviousTaskFile[8];
    UCHAR CurrentTaskFile[8];
} ATA_PASS_THROUGH_EX, *PATA_PASS_THROUGH_EX;

typedef struct _ATA_PASS_THROUGH_DIRECT {
    USHORT Length;
    USHORT AtaFlags;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR ReservedAsUchar;
    ULONG DataTransferLength;
    ULONG TimeOutValue;
    ULONG ReservedAsUlong;
    PVOID DataBuffer;
    UCHAR PreviousTaskFile[8];
    UCHAR CurrentTaskFile[8];
} ATA_PASS_THROUGH_DIRECT, *PATA_PASS_THROUGH_DIRECT;

#define ATA_FLAGS_DRDY_REQUIRED   (1 << 0)
#define ATA_FLAGS_DATA_IN         (1 << 1)
#define ATA_FLAGS_DATA_OUT        (1 << 2)
#define ATA_FLAGS_48BIT_COMMAND   (1 << 3)
#define ATA_FLAGS_USE_DMA         (1 << 4)
#define ATA_FLAGS_NO_MULTIPLE     (1 << 5)

/* IOCTL_SCSI_GET_ADDRESS */
typedef struct _SCSI_ADDRESS {
    ULONG Length;
    UCHAR PortNumber;               /* controller index */
    UCHAR PathId;
    UCHAR TargetId;                 /* AHCI port */
    UCHAR Lun;
} SCSI_ADDRESS, *PSCSI_ADDRESS;

#endif /* NTSTOR_NTDDSCSI_H */
