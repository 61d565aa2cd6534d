/* request.h - the disk class driver's request rules as pure functions
 * (drivers/disk/request.c), shared by the driver and its host unit tests:
 * is a read/write acceptable, how a large one is cut into pieces the port
 * driver takes, and what a completed SRB means (NTSTATUS, retry or not). */
#ifndef NTSTOR_DISK_REQUEST_H
#define NTSTOR_DISK_REQUEST_H

#include <ntdef.h>
#include <ntstatus.h>
#include <srb.h>

/* Transient errors (unit attention, aborted command, busy, timeout) are
 * retried this many times before the request fails (NT's disk class uses
 * up to 8; a SATA disk that fails 4 times in a row is not recovering). */
#define DISK_MAX_RETRIES 4

/* Checks a transfer of Length bytes at ByteOffset on a device (disk or
 * partition) of Sectors sectors.  Returns STATUS_SUCCESS or
 * STATUS_INVALID_PARAMETER with *Why naming the rule broken ("not a
 * multiple of the sector size", "beyond end of disk", ...). */
NTSTATUS DiskCheckTransfer(LONGLONG ByteOffset, ULONG Length, ULONG SectorSize,
                           ULONG64 Sectors, PCSTR *Why);

/* Bytes of the next piece: min(Remaining, MaxTransferBytes rounded down to
 * whole sectors), never less than one sector. */
ULONG DiskPieceBytes(ULONG Remaining, ULONG MaxTransferBytes, ULONG SectorSize);

/* The result of one SRB. */
typedef struct _DISK_SRB_RESULT {
    NTSTATUS Status;
    BOOLEAN Retry;          /* transient: send the same piece again */
    UCHAR SenseKey, Asc, Ascq;
} DISK_SRB_RESULT;

/* Reads SrbStatus, ScsiStatus and the returned sense (fixed or descriptor
 * format) of a completed SRB; IrpStatus is the port's IRP status, used
 * when the SRB says nothing.  SRB_STATUS_DATA_OVERRUN is success (the
 * port moved DataTransferLength bytes).  A failed SYNCHRONIZE CACHE is
 * never Retry: the caller must see the failure (DESIGN.md "Faults"). */
VOID DiskInterpretSrb(const SCSI_REQUEST_BLOCK *Srb, NTSTATUS IrpStatus, DISK_SRB_RESULT *Result);

/* TRUE for SYNCHRONIZE CACHE(10) and (16). */
BOOLEAN DiskIsCacheFlush(const UCHAR *Cdb);

/* Zeroes a 16-byte CDB. */
VOID DiskZeroCdb(PUCHAR Cdb);

/* Builds a READ(16)/WRITE(16) CDB (SBC-3 5.8/5.40). */
VOID DiskBuildReadWrite16(PUCHAR Cdb, BOOLEAN Write, ULONG64 Lba, ULONG Blocks);

#endif /* NTSTOR_DISK_REQUEST_H */
