/* srb.c - synchronous requests to the port driver at PASSIVE_LEVEL: SRBs
 * for start-up (INQUIRY, READ CAPACITY, VPD pages, the partition table),
 * pass-through and flush; IOCTLs to the PDO.  Each builds its own IRP,
 * reclaims it in the completion routine and waits. */
#include "disk.h"

static NTSTATUS DiskSyncDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent(Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;     /* the IRP is ours to free */
}

/* Waits for Done.  A port in poll mode finds completions only when
 * someone looks (IoPollDevice, include/wdm/io.h): poll while it does,
 * block once completions come by interrupt. */
static VOID DiskWaitPolled(PKEVENT Done, PDEVICE_OBJECT Lower)
{
    while (!KeReadStateEvent(Done)) {
        if (!IoPollDevice(Lower)) {
            KeWaitForSingleObject(Done, Executive, KernelMode, FALSE, NULL);
            return;
        }
    }
}

/* Flags: SRB_FLAGS_DATA_IN / DATA_OUT / NO_DATA_TRANSFER.  Transient errors
 * are retried, except on a SYNCHRONIZE CACHE (DiskInterpretSrb).  Sense (optional, SenseLength in/out) gets the sense bytes
 * of the last try. */
NTSTATUS DiskSendSrbSync(PDISK_FDO Fdo, const UCHAR *Cdb, UCHAR CdbLength, PVOID Buffer,
                         ULONG Length, ULONG Flags, PULONG Transferred,
                         PUCHAR Sense, PULONG SenseLength)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* it waits */
    UCHAR sense[32];
    DISK_SRB_RESULT r = { STATUS_IO_DEVICE_ERROR, FALSE, 0, 0, 0 };

    if (Transferred)
        *Transferred = 0;
    for (ULONG attempt = 0; attempt <= DISK_MAX_RETRIES; attempt++) {
        SCSI_REQUEST_BLOCK srb;
        KEVENT done;
        PIRP irp = IoAllocateIrp(Fdo->Lower->StackSize, FALSE);
        PIO_STACK_LOCATION next;

        if (!irp)
            return STATUS_INSUFFICIENT_RESOURCES;
        RtlZeroMemory(&srb, sizeof(srb));
        srb.Length = sizeof(srb);
        srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
        srb.CdbLength = CdbLength;
        RtlCopyMemory(srb.Cdb, Cdb, CdbLength);
        srb.DataBuffer = Length ? Buffer : NULL;
        srb.DataTransferLength = Length;
        srb.SrbFlags = Flags;
        srb.SenseInfoBuffer = sense;
        srb.SenseInfoBufferLength = sizeof(sense);
        srb.TimeOutValue = DISK_SRB_TIMEOUT_SECONDS;
        srb.OriginalRequest = irp;
        srb.TargetId = (UCHAR)(Fdo->HaveAhciInfo ? Fdo->AhciInfo.Port : 0);

        KeInitializeEvent(&done, NotificationEvent, FALSE);
        next = IoGetNextIrpStackLocation(irp);
        next->MajorFunction = IRP_MJ_SCSI;
        next->MinorFunction = 0;
        next->Parameters.Scsi.Srb = &srb;
        irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
        if (IoIsPollable(Fdo->Lower))
            irp->Flags |= IRP_NTSTOR_POLLED;    /* DiskWaitPolled polls */
        IoSetCompletionRoutine(irp, DiskSyncDone, &done, TRUE, TRUE, TRUE);
        IoCallDriver(Fdo->Lower, irp);
        DiskWaitPolled(&done, Fdo->Lower);
        DiskInterpretSrb(&srb, irp->IoStatus.Status, &r);
        IoFreeIrp(irp);
        if (Sense && SenseLength) {
            ULONG n = (srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID) ? srb.SenseInfoBufferLength : 0;
            if (n > *SenseLength)
                n = *SenseLength;
            RtlCopyMemory(Sense, sense, n);
            *SenseLength = n;
        }
        if (NT_SUCCESS(r.Status)) {
            if (Transferred)
                *Transferred = srb.DataTransferLength;
            return STATUS_SUCCESS;
        }
        if (!r.Retry)
            break;
    }
    return r.Status;
}

NTSTATUS DiskSendIoctlSync(PDEVICE_OBJECT Device, ULONG Code, PVOID In, ULONG InLength,
                           PVOID Out, ULONG OutLength, PULONG_PTR Information)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* it waits */
    KEVENT done;
    IO_STATUS_BLOCK iosb;
    PIRP irp;
    NTSTATUS status;

    KeInitializeEvent(&done, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(Code, Device, In, InLength, Out, OutLength, FALSE, &done, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = IoCallDriver(Device, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    } else {
        status = iosb.Status;
    }
    if (Information)
        *Information = NT_SUCCESS(status) ? iosb.Information : 0;
    return status;
}

/* SYNCHRONIZE CACHE(10) over the whole disk (SBC-3 5.22). */
NTSTATUS DiskSynchronizeCache(PDISK_FDO Fdo)
{
    UCHAR cdb[10] = { SCSIOP_SYNCHRONIZE_CACHE };

    return DiskSendSrbSync(Fdo, cdb, sizeof(cdb), NULL, 0, SRB_FLAGS_NO_DATA_TRANSFER, NULL,
                           NULL, NULL);
}
