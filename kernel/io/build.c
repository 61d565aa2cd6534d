/* build.c - IRPs the I/O manager builds for kernel callers: reads, writes,
 * flushes (IoBuild*FsdRequest) and device I/O controls
 * (IoBuildDeviceIoControlRequest).
 *
 * The buffer is handed to the driver the way its device object asks
 * (DEVICE_OBJECT.Flags): DO_BUFFERED_IO -- a pool copy in
 * AssociatedIrp.SystemBuffer, copied back to the caller for reads when the
 * IRP completes; DO_DIRECT_IO -- an MDL of the caller's pages in
 * MdlAddress; neither -- the caller's pointer in UserBuffer.  Every IRP
 * built here is IRP_IOMGR_OWNED: IoCompleteRequest frees it and what it
 * owns (see complete.c). */
#include "iop.h"

static NTSTATUS IopAttachSystemBuffer(PIRP Irp, PVOID Source, ULONG CopyLength, ULONG Length)
{
    PVOID Buffer;

    if (Length == 0)
        return STATUS_SUCCESS;
    Buffer = ExAllocatePoolWithTag(NonPagedPool, Length, IOP_TAG_BUFFER);
    if (!Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (CopyLength)
        RtlCopyMemory(Buffer, Source, CopyLength);
    if (CopyLength < Length)
        RtlZeroMemory((PUCHAR)Buffer + CopyLength, Length - CopyLength);
    Irp->AssociatedIrp.SystemBuffer = Buffer;
    Irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
    return STATUS_SUCCESS;
}

static NTSTATUS IopAttachMdl(PIRP Irp, PVOID Buffer, ULONG Length, LOCK_OPERATION Operation)
{
    PMDL Mdl;

    if (Length == 0)
        return STATUS_SUCCESS;
    Mdl = IoAllocateMdl(Buffer, Length, FALSE, FALSE, Irp);
    if (!Mdl)
        return STATUS_INSUFFICIENT_RESOURCES;
    MmProbeAndLockPages(Mdl, KernelMode, Operation);
    return STATUS_SUCCESS;
}

static VOID IopDiscardIrp(PIRP Irp)
{
    IopFreeIrpBuffers(Irp);
    IoFreeIrp(Irp);
}

PIRP IopBuildReadWriteIrp(UCHAR MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
                          ULONG Length, PLARGE_INTEGER Offset)
{
    PIRP Irp = IoAllocateIrp(DeviceObject->StackSize, FALSE);
    PIO_STACK_LOCATION Stack;
    NTSTATUS Status = STATUS_SUCCESS;

    if (!Irp)
        return NULL;
    Irp->Flags = IRP_IOMGR_OWNED;
    Irp->RequestorMode = KernelMode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Stack = IoGetNextIrpStackLocation(Irp);
    Stack->MajorFunction = MajorFunction;

    if (MajorFunction == IRP_MJ_READ || MajorFunction == IRP_MJ_WRITE) {
        BOOLEAN Read = MajorFunction == IRP_MJ_READ;

        Irp->Flags |= Read ? IRP_READ_OPERATION : IRP_WRITE_OPERATION;
        if (DeviceObject->Flags & DO_BUFFERED_IO) {
            Status = IopAttachSystemBuffer(Irp, Buffer, Read ? 0 : Length, Length);
            if (Read)
                Irp->Flags |= IRP_INPUT_OPERATION;
            Irp->UserBuffer = Buffer;
            Irp->UserBufferLength = Length;
        } else if (DeviceObject->Flags & DO_DIRECT_IO) {
            /* A read writes into the caller's pages. */
            Status = IopAttachMdl(Irp, Buffer, Length, Read ? IoWriteAccess : IoReadAccess);
        } else {
            Irp->UserBuffer = Buffer;
            Irp->UserBufferLength = Length;
        }
        Stack->Parameters.Read.Length = Length;
        Stack->Parameters.Read.ByteOffset.QuadPart = Offset ? Offset->QuadPart : 0;
    }
    if (!NT_SUCCESS(Status)) {
        IopDiscardIrp(Irp);
        return NULL;
    }
    return Irp;
}

PIRP IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
                                   PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset,
                                   PIO_STATUS_BLOCK IoStatusBlock)
{
    PIRP Irp;

    if (MajorFunction > IRP_MJ_MAXIMUM_FUNCTION)
        return NULL;
    Irp = IopBuildReadWriteIrp((UCHAR)MajorFunction, DeviceObject, Buffer, Length, StartingOffset);
    if (Irp)
        Irp->UserIosb = IoStatusBlock;
    return Irp;
}

PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
                                  PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset,
                                  PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)
{
    PIRP Irp = IoBuildAsynchronousFsdRequest(MajorFunction, DeviceObject, Buffer, Length,
                                             StartingOffset, IoStatusBlock);
    if (Irp) {
        Irp->UserEvent = Event;
        Irp->Flags |= IRP_SYNCHRONOUS_API;
    }
    return Irp;
}

PIRP IopBuildIoctlIrp(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
                      ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                      BOOLEAN InternalDeviceIoControl)
{
    PIRP Irp = IoAllocateIrp(DeviceObject->StackSize, FALSE);
    PIO_STACK_LOCATION Stack;
    NTSTATUS Status = STATUS_SUCCESS;

    if (!Irp)
        return NULL;
    Irp->Flags = IRP_IOMGR_OWNED;
    Irp->RequestorMode = KernelMode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Stack = IoGetNextIrpStackLocation(Irp);
    Stack->MajorFunction = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
    Stack->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
    Stack->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
    Stack->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;

    switch (METHOD_FROM_CTL_CODE(IoControlCode)) {
    case METHOD_BUFFERED: {
        /* One buffer for both directions, sized for the larger (NT). */
        ULONG Length = InputBufferLength > OutputBufferLength ? InputBufferLength : OutputBufferLength;
        Status = IopAttachSystemBuffer(Irp, InputBuffer, InputBuffer ? InputBufferLength : 0, Length);
        if (OutputBufferLength) {
            Irp->Flags |= IRP_INPUT_OPERATION;
            Irp->UserBuffer = OutputBuffer;
            Irp->UserBufferLength = OutputBufferLength;
        }
        break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
        /* Input through a system buffer, the output buffer by MDL: IN_DIRECT
         * means the device reads it, OUT_DIRECT that it writes it. */
        if (InputBuffer && InputBufferLength)
            Status = IopAttachSystemBuffer(Irp, InputBuffer, InputBufferLength, InputBufferLength);
        if (NT_SUCCESS(Status) && OutputBuffer && OutputBufferLength)
            Status = IopAttachMdl(Irp, OutputBuffer, OutputBufferLength,
                                  METHOD_FROM_CTL_CODE(IoControlCode) == METHOD_IN_DIRECT
                                      ? IoReadAccess : IoWriteAccess);
        break;
    default: /* METHOD_NEITHER */
        Stack->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
        Irp->UserBuffer = OutputBuffer;
        Irp->UserBufferLength = OutputBufferLength;
        break;
    }
    if (!NT_SUCCESS(Status)) {
        IopDiscardIrp(Irp);
        return NULL;
    }
    return Irp;
}

PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject,
                                   PVOID InputBuffer, ULONG InputBufferLength,
                                   PVOID OutputBuffer, ULONG OutputBufferLength,
                                   BOOLEAN InternalDeviceIoControl, PKEVENT Event,
                                   PIO_STATUS_BLOCK IoStatusBlock)
{
    PIRP Irp = IopBuildIoctlIrp(IoControlCode, DeviceObject, InputBuffer, InputBufferLength,
                                OutputBuffer, OutputBufferLength, InternalDeviceIoControl);
    if (Irp) {
        Irp->UserEvent = Event;
        Irp->UserIosb = IoStatusBlock;
        Irp->Flags |= IRP_SYNCHRONOUS_API;
    }
    return Irp;
}
