/* srb.h - the SCSI request block: what a class driver hands a port driver in
 * an IRP_MJ_SCSI request (stack->Parameters.Scsi.Srb).  Field names, function
 * codes, status codes and flags follow the WDK's srb.h so class drivers read
 * as they would on NT.  Only what ntstor uses; values are NT's.
 *
 * Ownership: the SRB, its DataBuffer and SenseInfoBuffer belong to the class
 * driver; the port driver writes SrbStatus, ScsiStatus, DataTransferLength
 * (bytes actually moved), SenseInfoBufferLength (bytes of sense returned
 * when SRB_STATUS_AUTOSENSE_VALID is set) and nothing else. */
#ifndef NTSTOR_SRB_H
#define NTSTOR_SRB_H

#include <ntdef.h>

#define SCSI_MAXIMUM_LOGICAL_UNITS 8
#define SCSI_MAXIMUM_TARGETS_PER_BUS 128

typedef struct _SCSI_REQUEST_BLOCK {
    USHORT Length;                  /* sizeof(SCSI_REQUEST_BLOCK) */
    UCHAR Function;                 /* SRB_FUNCTION_* */
    UCHAR SrbStatus;                /* SRB_STATUS_* (| SRB_STATUS_AUTOSENSE_VALID) */
    UCHAR ScsiStatus;               /* SCSISTAT_* from scsi.h */
    UCHAR PathId;                   /* AHCI: 0 */
    UCHAR TargetId;                 /* AHCI: the port number */
    UCHAR Lun;                      /* AHCI: 0 (port multiplier port in NT's storahci) */
    UCHAR QueueTag;
    UCHAR QueueAction;              /* SRB_SIMPLE_TAG_REQUEST ... */
    UCHAR CdbLength;                /* 6, 10, 12 or 16 */
    UCHAR SenseInfoBufferLength;    /* in: buffer size; out: bytes of sense */
    ULONG SrbFlags;                 /* SRB_FLAGS_* */
    ULONG DataTransferLength;       /* in: bytes asked; out: bytes moved */
    ULONG TimeOutValue;             /* seconds; 0 = the port driver's default */
    PVOID DataBuffer;               /* virtual address inside the IRP's MDL */
    PVOID SenseInfoBuffer;
    struct _SCSI_REQUEST_BLOCK *NextSrb;
    PVOID OriginalRequest;          /* the IRP carrying this SRB */
    PVOID SrbExtension;             /* port driver's, unused by ntstor's AHCI */
    union {
        ULONG InternalStatus;
        ULONG QueueSortKey;
        ULONG LinkTimeoutValue;
    };
    ULONG Reserved;
    UCHAR Cdb[16];
} SCSI_REQUEST_BLOCK, *PSCSI_REQUEST_BLOCK;

#define SCSI_REQUEST_BLOCK_SIZE sizeof(SCSI_REQUEST_BLOCK)

/* Function */
#define SRB_FUNCTION_EXECUTE_SCSI        0x00
#define SRB_FUNCTION_CLAIM_DEVICE        0x01
#define SRB_FUNCTION_IO_CONTROL          0x02
#define SRB_FUNCTION_RECEIVE_EVENT       0x03
#define SRB_FUNCTION_RELEASE_QUEUE       0x04
#define SRB_FUNCTION_ATTACH_DEVICE       0x05
#define SRB_FUNCTION_RELEASE_DEVICE      0x06
#define SRB_FUNCTION_SHUTDOWN            0x07
#define SRB_FUNCTION_FLUSH               0x08
#define SRB_FUNCTION_ABORT_COMMAND       0x10
#define SRB_FUNCTION_RELEASE_RECOVERY    0x11
#define SRB_FUNCTION_RESET_BUS           0x12
#define SRB_FUNCTION_RESET_DEVICE        0x13
#define SRB_FUNCTION_TERMINATE_IO        0x14
#define SRB_FUNCTION_FLUSH_QUEUE         0x15
#define SRB_FUNCTION_REMOVE_DEVICE       0x16
#define SRB_FUNCTION_LOCK_QUEUE          0x18
#define SRB_FUNCTION_UNLOCK_QUEUE        0x19
#define SRB_FUNCTION_RESET_LOGICAL_UNIT  0x20

/* SrbStatus */
#define SRB_STATUS_PENDING               0x00
#define SRB_STATUS_SUCCESS               0x01
#define SRB_STATUS_ABORTED               0x02
#define SRB_STATUS_ABORT_FAILED          0x03
#define SRB_STATUS_ERROR                 0x04
#define SRB_STATUS_BUSY                  0x05
#define SRB_STATUS_INVALID_REQUEST       0x06
#define SRB_STATUS_INVALID_PATH_ID       0x07
#define SRB_STATUS_NO_DEVICE             0x08
#define SRB_STATUS_TIMEOUT               0x09
#define SRB_STATUS_SELECTION_TIMEOUT     0x0A
#define SRB_STATUS_COMMAND_TIMEOUT       0x0B
#define SRB_STATUS_MESSAGE_REJECTED      0x0D
#define SRB_STATUS_BUS_RESET             0x0E
#define SRB_STATUS_PARITY_ERROR          0x0F
#define SRB_STATUS_REQUEST_SENSE_FAILED  0x10
#define SRB_STATUS_NO_HBA                0x11
#define SRB_STATUS_DATA_OVERRUN          0x12   /* also underrun: DataTransferLength says how much */
#define SRB_STATUS_UNEXPECTED_BUS_FREE   0x13
#define SRB_STATUS_PHASE_SEQUENCE_FAILURE 0x14
#define SRB_STATUS_BAD_SRB_BLOCK_LENGTH  0x15
#define SRB_STATUS_REQUEST_FLUSHED       0x16
#define SRB_STATUS_INVALID_LUN           0x20
#define SRB_STATUS_INVALID_TARGET_ID     0x21
#define SRB_STATUS_BAD_FUNCTION          0x22
#define SRB_STATUS_ERROR_RECOVERY        0x23
#define SRB_STATUS_NOT_POWERED           0x24
#define SRB_STATUS_LINK_DOWN             0x25
#define SRB_STATUS_INTERNAL_ERROR        0x30

#define SRB_STATUS_QUEUE_FROZEN          0x40
#define SRB_STATUS_AUTOSENSE_VALID       0x80
#define SRB_STATUS(Status) ((UCHAR)((Status) & ~(SRB_STATUS_AUTOSENSE_VALID | SRB_STATUS_QUEUE_FROZEN)))

/* QueueAction */
#define SRB_SIMPLE_TAG_REQUEST           0x20
#define SRB_HEAD_OF_QUEUE_TAG_REQUEST    0x21
#define SRB_ORDERED_QUEUE_TAG_REQUEST    0x22

/* SrbFlags */
#define SRB_FLAGS_QUEUE_ACTION_ENABLE    0x00000002
#define SRB_FLAGS_DISABLE_DISCONNECT     0x00000004
#define SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008
#define SRB_FLAGS_BYPASS_FROZEN_QUEUE    0x00000010
#define SRB_FLAGS_DISABLE_AUTOSENSE      0x00000020
#define SRB_FLAGS_DATA_IN                0x00000040
#define SRB_FLAGS_DATA_OUT               0x00000080
#define SRB_FLAGS_NO_DATA_TRANSFER       0x00000000
#define SRB_FLAGS_UNSPECIFIED_DIRECTION  (SRB_FLAGS_DATA_IN | SRB_FLAGS_DATA_OUT)
#define SRB_FLAGS_NO_QUEUE_FREEZE        0x00000100
#define SRB_FLAGS_ADAPTER_CACHE_ENABLE   0x00000200
#define SRB_FLAGS_FREE_SENSE_BUFFER      0x00000400
#define SRB_FLAGS_IS_ACTIVE              0x00010000
#define SRB_FLAGS_ALLOCATED_FROM_ZONE    0x00020000
#define SRB_FLAGS_SGLIST_FROM_POOL       0x00040000
#define SRB_FLAGS_BYPASS_LOCKED_QUEUE    0x00080000
#define SRB_FLAGS_NO_KEEP_AWAKE          0x00100000
#define SRB_FLAGS_PORT_DRIVER_ALLOCSENSE 0x00200000
#define SRB_FLAGS_PORT_DRIVER_SENSEHASPORT 0x00400000
#define SRB_FLAGS_DONT_START_NEXT_PACKET 0x00800000
/* ntstor: complete by polling even if the port runs interrupt-driven; the
 * class driver's benchmark and crash paths use it.  From NT's
 * "port driver reserved" range. */
#define SRB_FLAGS_PORT_DRIVER_RESERVED   0x0F000000
#define SRB_FLAGS_NTSTOR_POLL            0x01000000
#define SRB_FLAGS_CLASS_DRIVER_RESERVED  0xF0000000

/* Default when TimeOutValue is 0 (NT's disk class uses 10 s). */
#define SRB_DEFAULT_TIMEOUT_SECONDS      10

#endif /* NTSTOR_SRB_H */
