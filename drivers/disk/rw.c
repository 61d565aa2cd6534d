/* rw.c - IRP_MJ_READ/IRP_MJ_WRITE on a disk or a partition: check the
 * request (request.c), refuse writes to a disk not enabled for writing,
 * and send it down as READ(16)/WRITE(16) SRBs on the same IRP and its MDL,
 * one piece of at most MaxTransferBytes at a time, retrying transient
 * errors.  No allocation on this path: the SRB lives in a DISK_REQUEST
 * from the disk's free list.
 *
 * Issuer/completion hand-off: each piece is sent with Sync = 2; the
 * issuer (after IoCallDriver returns) and the completion routine each
 * decrement it, and whoever reaches 0 evaluates the piece and carries on.
 * So a port that completes inline (polled mode) makes the issuer loop --
 * no recursion per piece -- and an interrupt-driven port continues from
 * its DPC.  Runs at <= DISPATCH_LEVEL. */
#include "disk.h"

VOID DiskInitRequestPool(PDISK_FDO Fdo)
{
    InitializeSListHead(&Fdo->FreeRequests);
    for (ULONG i = DISK_REQUEST_POOL; i--;) {
        Fdo->Requests[i].Fdo = Fdo;
        InterlockedPushEntrySList(&Fdo->FreeRequests, &Fdo->Requests[i].Link);
    }
}

/* The free list is an interlocked list (no spin lock on the I/O path). */
static PDISK_REQUEST DiskAllocateRequest(PDISK_FDO Fdo)
{
    PSLIST_ENTRY e = InterlockedPopEntrySList(&Fdo->FreeRequests);
    PDISK_REQUEST req = e ? CONTAINING_RECORD(e, DISK_REQUEST, Link) : NULL;

    if (req) {
        req->FromPool = FALSE;
        return req;
    }
    /* Deeper than the pool: still served, from the pool allocator. */
    req = ExAllocatePoolWithTag(NonPagedPool, sizeof(*req), DISK_TAG_REQUEST);
    if (req) {
        req->Fdo = Fdo;
        req->FromPool = TRUE;
    }
    return req;
}

static VOID DiskFinishRequest(PDISK_REQUEST Req)
{
    PDISK_FDO fdo = Req->Fdo;
    PIRP irp = Req->Irp;
    NTSTATUS status = Req->Status;
    ULONG done = Req->Done;

    __atomic_add_fetch(!NT_SUCCESS(status) ? &fdo->Errors : Req->Write ? &fdo->Writes : &fdo->Reads,
                       1, __ATOMIC_RELAXED);
    if (Req->FromPool)
        ExFreePoolWithTag(Req, DISK_TAG_REQUEST);
    else
        InterlockedPushEntrySList(&fdo->FreeRequests, &Req->Link);
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = NT_SUCCESS(status) ? done : 0;
    IoCompleteRequest(irp, IO_DISK_INCREMENT);
    DiskRelease(fdo, irp);      /* taken in DiskDispatchReadWrite */
}

/* Looks at the piece just completed.  TRUE: the request is finished
 * (Status set); FALSE: send the next (or the same, to retry) piece. */
static BOOLEAN DiskPieceCompleted(PDISK_REQUEST Req)
{
    DISK_SRB_RESULT r;
    ULONG moved;

    DiskInterpretSrb(&Req->Srb, Req->Irp->IoStatus.Status, &r);
    if (!NT_SUCCESS(r.Status)) {
        if (r.Retry && Req->Retries < DISK_MAX_RETRIES) {
            Req->Retries++;
            InterlockedIncrement(&Req->Fdo->Retries);
            return FALSE;
        }
        DbgPrint("disk%u: %s LBA %llu+%u: 0x%08X (sense %x/%02x/%02x)\n", Req->Fdo->Number,
                 Req->Write ? "write" : "read", Req->Lba, Req->Piece / Req->Fdo->SectorSize,
                 (ULONG)r.Status, r.SenseKey, r.Asc, r.Ascq);
        Req->Status = r.Status;
        return TRUE;
    }
    moved = Req->Srb.DataTransferLength;
    if (moved != Req->Piece) {
        /* A short read or write of a block command is a port failure. */
        Req->Status = STATUS_DEVICE_PROTOCOL_ERROR;
        return TRUE;
    }
    Req->Done += moved;
    Req->Remaining -= moved;
    Req->Lba += moved >> Req->Fdo->SectorShift;
    Req->Retries = 0;
    if (Req->Remaining == 0) {
        Req->Status = STATUS_SUCCESS;
        return TRUE;
    }
    InterlockedIncrement(&Req->Fdo->Splits);
    return FALSE;
}

static VOID DiskSendPieces(PDISK_REQUEST Req);

static NTSTATUS DiskPieceDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PDISK_REQUEST req = Context;

    if (InterlockedDecrement(&req->Sync) == 0) {
        /* The issuer has left: carry on from here. */
        if (DiskPieceCompleted(req))
            DiskFinishRequest(req);
        else
            DiskSendPieces(req);
    }
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static VOID DiskSendPieces(PDISK_REQUEST Req)
{
    PDISK_FDO fdo = Req->Fdo;

    for (;;) {
        PSCSI_REQUEST_BLOCK srb = &Req->Srb;
        /* Surprise-removed between pieces: the rest is not sent. */
        if (fdo->State == DiskStateRemoved) {
            Req->Status = STATUS_DEVICE_DOES_NOT_EXIST;
            DiskFinishRequest(Req);
            return;
        }
        PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Req->Irp);
        ULONG piece = DiskPieceBytes(Req->Remaining, fdo->MaxTransferBytes, fdo->SectorSize);

        Req->Piece = piece;
        RtlZeroMemory(srb, sizeof(*srb));
        srb->Length = sizeof(*srb);
        srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
        srb->TargetId = (UCHAR)(fdo->HaveAhciInfo ? fdo->AhciInfo.Port : 0);
        srb->CdbLength = DiskBuildReadWrite(srb->Cdb, fdo->Use16, Req->Write, Req->Lba,
                                            piece >> fdo->SectorShift);
        srb->DataBuffer = Req->Buffer + Req->Done;
        srb->DataTransferLength = piece;
        srb->SrbFlags = Req->Write ? SRB_FLAGS_DATA_OUT : SRB_FLAGS_DATA_IN;
        srb->QueueAction = SRB_SIMPLE_TAG_REQUEST;
        srb->SenseInfoBuffer = Req->Sense;
        srb->SenseInfoBufferLength = sizeof(Req->Sense);
        srb->OriginalRequest = Req->Irp;

        next->MajorFunction = IRP_MJ_SCSI;
        next->MinorFunction = 0;
        next->Flags = 0;
        next->Parameters.Scsi.Srb = srb;
        IoSetCompletionRoutine(Req->Irp, DiskPieceDone, Req, TRUE, TRUE, TRUE);
        Req->Sync = 2;
        IoProfileStamp(Req->Irp, IO_PROFILE_SRB_SENT);
        IoCallDriver(fdo->Lower, Req->Irp);
        if (InterlockedDecrement(&Req->Sync) != 0)
            return;     /* still running: DiskPieceDone continues */
        if (DiskPieceCompleted(Req)) {
            DiskFinishRequest(Req);
            return;
        }
    }
}

NTSTATUS DiskDispatchReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDISK_COMMON common = DeviceObject->DeviceExtension;
    PDISK_FDO fdo = common->Fdo;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    BOOLEAN write = stack->MajorFunction == IRP_MJ_WRITE;
    LONGLONG offset = stack->Parameters.Read.ByteOffset.QuadPart;
    ULONG length = stack->Parameters.Read.Length;
    PDISK_REQUEST req;
    PCSTR why;
    NTSTATUS status;

    status = DiskAcquire(fdo, Irp, FALSE);
    if (!NT_SUCCESS(status))
        return DiskCompleteIrp(Irp, status, 0);
    status = DiskCheckTransfer(offset, length, fdo->SectorSize, common->Sectors, &why);
    if (!NT_SUCCESS(status)) {
        DbgPrint("disk%u: %s at byte %lld, %u bytes refused: %s\n", fdo->Number,
                 write ? "write" : "read", offset, length, why);
        return DiskCompleteAndRelease(fdo, Irp, status, 0);
    }
    if (write && !DiskWritesAllowed(fdo))
        return DiskCompleteAndRelease(fdo, Irp, STATUS_MEDIA_WRITE_PROTECTED, 0);
    if (length == 0)
        return DiskCompleteAndRelease(fdo, Irp, STATUS_SUCCESS, 0);
    if (!Irp->MdlAddress || MmGetMdlByteCount(Irp->MdlAddress) < length)
        return DiskCompleteAndRelease(fdo, Irp, STATUS_INVALID_PARAMETER, 0);

    req = DiskAllocateRequest(fdo);
    if (!req)
        return DiskCompleteAndRelease(fdo, Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    req->Irp = Irp;
    req->Buffer = MmGetMdlVirtualAddress(Irp->MdlAddress);
    req->Lba = common->StartLba + ((ULONG64)offset >> fdo->SectorShift);
    req->Remaining = length;
    req->Done = 0;
    req->Retries = 0;
    req->Write = write;
    req->Status = STATUS_PENDING;
    IoMarkIrpPending(Irp);
    DiskSendPieces(req);
    return STATUS_PENDING;
}
