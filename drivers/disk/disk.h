/* disk.h - private to the disk class driver (drivers/disk/): the driver
 * object extension, the disk FDO and partition device extensions, the
 * per-request state, and the functions the files share.
 *
 * Devices (DESIGN.md "Namespace"):
 *   \Device\Harddisk<n>\DR<n>         disk FDO, attached to the port's PDO
 *   \Device\Harddisk<n>\Partition<m>  one device per partition (m >= 1),
 *                                     not in any stack: its IRPs go down
 *                                     the FDO's stack with the offset moved
 *   \Device\Harddisk<n>\Partition0    symbolic link to DR<n> (as NT)
 *   \??\PhysicalDrive<n>, \??\Harddisk<n>Partition<m>   symbolic links
 *
 * Locking: DISK_FDO.Lock (a spin lock, DISPATCH_LEVEL) guards the request
 * free list and the counters; everything else in the FDO extension is
 * written at PASSIVE_LEVEL during START/REMOVE only, while no I/O can be
 * in flight (State says whether requests are accepted). */
#ifndef NTSTOR_DISK_H
#define NTSTOR_DISK_H

#include <wdm.h>
#include <srb.h>
#include <scsi.h>
#include <ntddscsi.h>
#include <ntdddisk.h>
#include <ntddstor.h>
#include <ntstor_disk.h>
#include <ntstor_ahci.h>
#include <ntstor_ioprofile.h>
#include "request.h"
#include "probe.h"

#define DISK_TAG        NTSTOR_TAG('D', 'i', 's', 'k')
#define DISK_TAG_BUFFER NTSTOR_TAG('D', 'k', 'B', 'f')
#define DISK_TAG_REQUEST NTSTOR_TAG('D', 'k', 'R', 'q')

/* Requests kept per disk so the I/O path allocates nothing (QD32 plus
 * headroom); beyond this a request is allocated from the pool. */
#define DISK_REQUEST_POOL 64
/* Used when neither the block limits VPD page nor the port say (64 KiB is
 * what every SATA disk takes). */
#define DISK_DEFAULT_MAX_TRANSFER (64 * 1024)
/* Seconds a start-up or pass-through command may take (NT's disk class: 10). */
#define DISK_SRB_TIMEOUT_SECONDS 10
#define DISK_WRITABLE_SERIALS_BYTES 512
/* Per UNMAP command when the device's block limits say nothing (SBC-3
 * 6.6.4: the LBA count field is 32 bits). */
#define DISK_UNMAP_MAX_BLOCKS 0xFFFFFFFFu
#define DISK_UNMAP_MAX_DESCRIPTORS 64

typedef struct _DISK_DRIVER_EXTENSION {
    UNICODE_STRING RegistryPath;        /* copy of DriverEntry's */
    CHAR WritableSerials[DISK_WRITABLE_SERIALS_BYTES];   /* Parameters\WritableSerials, ASCII */
} DISK_DRIVER_EXTENSION, *PDISK_DRIVER_EXTENSION;

typedef enum _DISK_STATE {
    DiskStateAdded = 0,         /* AddDevice done, not started */
    DiskStateStarted,           /* accepting requests */
    DiskStateFailed,            /* START failed: requests refused */
    DiskStateRemoved,           /* REMOVE seen: requests refused */
    DiskStateCount
} DISK_STATE;
extern PCSTR const DiskStateNames[DiskStateCount];

typedef enum _DISK_DEVICE_KIND { DiskKindFdo = 1, DiskKindPartition = 2 } DISK_DEVICE_KIND;

struct _DISK_FDO;

/* First in both extensions: what a dispatch routine needs to know. */
typedef struct _DISK_COMMON {
    DISK_DEVICE_KIND Kind;
    ULONG PartitionNumber;              /* 0 = the whole disk */
    struct _DISK_FDO *Fdo;
    ULONG64 StartLba;                   /* where this device starts on the disk */
    ULONG64 Sectors;                    /* its length */
    const PARTITION_INFORMATION_EX *Partition;  /* in the FDO's Layout; NULL for the whole disk */
} DISK_COMMON, *PDISK_COMMON;

/* One read or write in flight: its SRB, sense and where it stands. */
typedef struct _DISK_REQUEST {
    SLIST_ENTRY Link;                   /* on the free list (FreeRequests) */
    struct _DISK_FDO *Fdo;
    PIRP Irp;
    PUCHAR Buffer;                      /* MDL's virtual address */
    ULONG64 Lba;                        /* of the next piece */
    ULONG Remaining, Done, Piece;       /* bytes */
    ULONG Retries;
    volatile LONG Sync;                 /* issuer/completion hand-off (rw.c) */
    BOOLEAN Write;
    BOOLEAN FromPool;
    NTSTATUS Status;
    SCSI_REQUEST_BLOCK Srb;
    UCHAR Sense[32];
} DISK_REQUEST, *PDISK_REQUEST;

typedef struct _DISK_FDO {
    DISK_COMMON Common;
    PDEVICE_OBJECT Self, Pdo, Lower;
    PDRIVER_OBJECT Driver;
    ULONG Number;                       /* n of Harddisk<n>: the lowest free (pnp.c) */
    PVOID Directory;                    /* \Device\Harddisk<n>, referenced */
    DISK_STATE State;
    /* Every dispatch routine holds it while it works on an IRP (for a
     * read or write until the IRP completes): REMOVE_DEVICE waits for
     * them all (IoReleaseRemoveLockAndWait) before the FDO goes, and an
     * IRP arriving after that is refused (DiskAcquire). */
    IO_REMOVE_LOCK RemoveLock;
    KEVENT PowerRequestDone;            /* the D3 it asked for (power.c) */
    NTSTATUS PowerRequestStatus;
    /* IRP_MJ_SHUTDOWN's flush (flush.c): its status and Writes then.  The
     * power-down right after it does not flush again unless something was
     * written since (a failed flush is reported once, by the first). */
    BOOLEAN ShutdownFlushed;
    NTSTATUS ShutdownFlushStatus;
    ULONG64 ShutdownFlushWrites;
    ULONG SectorSize;
    ULONG SectorShift;                  /* log2(SectorSize): no division per I/O */
    ULONG64 Sectors;
    ULONG MaxTransferBytes;
    ULONG MaxUnmapBlocks, MaxUnmapDescriptors;     /* per UNMAP command (VPD 0xB0) */
    BOOLEAN Writable, WritableBySerial, Trim, HaveAhciInfo;
    /* The medium says it is write-protected (MODE SENSE WP bit): writes
     * are refused whatever Writable says. */
    BOOLEAN WriteProtected;
    BOOLEAN Use16;                      /* READ/WRITE(16): capacity came from READ CAPACITY(16) */
    BOOLEAN Removable;                  /* the port says the medium or device is removable */
    UCHAR InquiryVersion;               /* INQUIRY VERSION (SPC-4 6.4.2) */
    STORAGE_BUS_TYPE BusType;           /* the port's StorageDeviceProperty, else SATA/SCSI */
    BOOLEAN LinksCreated;
    UNICODE_STRING Interface;           /* GUID_DEVINTERFACE_DISK link, enabled while started */
    UCHAR DeviceType;                   /* INQUIRY peripheral type */
    CHAR Vendor[9], Product[17], Revision[5], Serial[41];
    NTSTOR_AHCI_INFO AhciInfo;          /* from the port at START, if it is AHCI */
    /* The kernel's answer (NtstorReadPartitionTableEx) at START: NULL if
     * it failed; LayoutReport says what was wrong either way. */
    PDRIVE_LAYOUT_INFORMATION_EX Layout;
    NTSTOR_PARTITION_REPORT LayoutReport;
    PDEVICE_OBJECT Partitions[NTSTOR_MAX_PARTITIONS];
    ULONG PartitionDevices;
    KSPIN_LOCK Lock;
    SLIST_HEADER FreeRequests;          /* lock-free: taken and given back per I/O */
    ULONG64 Reads, Writes, Splits, Retries, Errors;     /* atomic adds */
    DISK_REQUEST Requests[DISK_REQUEST_POOL];
} DISK_FDO, *PDISK_FDO;

/* A partition device holds a reference on the FDO's device object, so a
 * partition still open when its disk is removed points at live memory (the
 * FDO then says DiskStateRemoved and its requests fail).  The reference goes
 * when the partition is deleted, or at its last IRP_MJ_CLOSE if it was open
 * then; whoever clears FdoReferenced drops it. */
typedef struct _DISK_PARTITION_EXTENSION {
    DISK_COMMON Common;
    PDEVICE_OBJECT Self;
    volatile LONG FdoReferenced;
    BOOLEAN Deleted;
} DISK_PARTITION_EXTENSION, *PDISK_PARTITION_EXTENSION;

/* Writes go to the medium only when enabled for this disk (DESIGN.md
 * "Safety") and the medium is not write-protected. */
static inline BOOLEAN DiskWritesAllowed(const DISK_FDO *Fdo)
{
    return Fdo->Writable && !Fdo->WriteProtected;
}

/* entry.c */
PDISK_DRIVER_EXTENSION DiskGetDriverExtension(PDRIVER_OBJECT Driver);
NTSTATUS DiskCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information);
/* The door of every dispatch routine: the FDO's remove lock for Irp, then
 * the state.  STATUS_SUCCESS: the caller holds the lock and releases it
 * (DiskRelease) when it is done with the IRP.  Otherwise the lock is not
 * held and the caller completes the IRP with the status:
 * STATUS_DEVICE_DOES_NOT_EXIST once the disk was removed or surprise-
 * removed (as classpnp), STATUS_DEVICE_NOT_READY before it started.
 * AnyState: only the lock (PnP, power, close). */
NTSTATUS DiskAcquire(PDISK_FDO Fdo, PIRP Irp, BOOLEAN AnyState);
VOID DiskRelease(PDISK_FDO Fdo, PIRP Irp);
/* DiskCompleteIrp, then DiskRelease. */
NTSTATUS DiskCompleteAndRelease(PDISK_FDO Fdo, PIRP Irp, NTSTATUS Status, ULONG_PTR Information);
/* pnp.c */
DRIVER_ADD_DEVICE DiskAddDevice;
DRIVER_DISPATCH DiskDispatchPnp;
/* power.c */
DRIVER_DISPATCH DiskDispatchPower;
DRIVER_DISPATCH DiskDispatchClose;
VOID DiskReleaseFdoReference(PDISK_PARTITION_EXTENSION Partition);
/* start.c */
NTSTATUS DiskStartDevice(PDISK_FDO Fdo);
VOID DiskRemoveNames(PDISK_FDO Fdo);
/* srb.c: synchronous SRBs at PASSIVE_LEVEL for start-up, IOCTLs, flush. */
NTSTATUS DiskSendSrbSync(PDISK_FDO Fdo, const UCHAR *Cdb, UCHAR CdbLength, PVOID Buffer,
                         ULONG Length, ULONG Flags, PULONG Transferred,
                         PUCHAR Sense, PULONG SenseLength);
NTSTATUS DiskSendIoctlSync(PDEVICE_OBJECT Device, ULONG Code, PVOID In, ULONG InLength,
                           PVOID Out, ULONG OutLength, PULONG_PTR Information);
NTSTATUS DiskSynchronizeCache(PDISK_FDO Fdo);
/* rw.c */
DRIVER_DISPATCH DiskDispatchReadWrite;
VOID DiskInitRequestPool(PDISK_FDO Fdo);
/* ioctl.c */
DRIVER_DISPATCH DiskDispatchDeviceControl;
/* flush.c */
DRIVER_DISPATCH DiskDispatchFlush;
NTSTATUS DiskFlushAndReport(PDISK_FDO Fdo, PCSTR When);
DRIVER_DISPATCH DiskDispatchCreateClose;

#endif /* NTSTOR_DISK_H */
