/* ntapi.c - the system-service layer over file objects: NtCreateFile,
 * NtReadFile, NtWriteFile, NtDeviceIoControlFile, NtFlushBuffersFile,
 * NtClose.  Simplified NT signatures for kernel callers; the rules
 * (synchronous vs asynchronous, what is signalled when) are in
 * kernel/include/io.h.
 *
 * Asynchronous requests: the IRP does not hold a reference on the file
 * object -- the caller's handle does -- and the file counts its outstanding
 * requests (FILE_OBJECT.PendingRequests).  NtClose of the last handle waits
 * for that count to reach zero, so completion (possibly at DISPATCH_LEVEL)
 * normally never drops the last reference of a file.  The exception is a
 * driver that sits on requests past the wait: NtClose then keeps a
 * reference (FO_IOP_KEPT) and the completion of the last request drops it
 * -- as NT's completion drops the IRP's file reference -- so IRP_MJ_CLOSE
 * may then be sent from DISPATCH_LEVEL (IopSendFileRequest does not wait
 * there). */
#include "iop.h"

NTSTATUS NtCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, PCUNICODE_STRING Path,
                      PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG Options)
{
    PFILE_OBJECT File;
    NTSTATUS Status;

    if (!FileHandle || !Path || !IoStatusBlock)
        return STATUS_INVALID_PARAMETER;
    *FileHandle = NULL;
    Status = IopOpenFile(Path, DesiredAccess, ShareAccess, Options, IoStatusBlock, &File);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObInsertHandle(File, FileHandle);
    /* On failure this is the last reference: the file closes again. */
    ObDereferenceObject(File);
    if (!NT_SUCCESS(Status)) {
        IoStatusBlock->Status = Status;
        IoStatusBlock->Information = 0;
    }
    return Status;
}

/* Waits for Event, set when an IRP sent to Top completes.  While some
 * driver in Top's stack finds completions by polling, the wait is that
 * polling (the IRP went down IRP_NTSTOR_POLLED); otherwise it blocks. */
static VOID IopWaitPolled(PKEVENT Event, PDEVICE_OBJECT Top)
{
    while (!KeReadStateEvent(Event)) {
        if (!IoPollDevice(Top)) {
            KeWaitForSingleObject(Event, Executive, KernelMode, FALSE, NULL);
            return;
        }
    }
}

/* Sends a built IRP for File and, for a synchronous call, waits for it. */
static NTSTATUS IopSubmitFileIrp(PFILE_OBJECT File, PDEVICE_OBJECT Top, PIRP Irp,
                                 PKEVENT Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                 PIO_STATUS_BLOCK IoStatusBlock)
{
    BOOLEAN Synchronous = !Event && !ApcRoutine;
    KEVENT LocalEvent;
    NTSTATUS Status;

    IoGetNextIrpStackLocation(Irp)->FileObject = File;
    Irp->Tail.Overlay.OriginalFileObject = File;
    Irp->UserIosb = IoStatusBlock;
    if (Synchronous) {
        KeInitializeEvent(&LocalEvent, NotificationEvent, FALSE);
        Irp->UserEvent = &LocalEvent;
        Irp->Flags |= IRP_SYNCHRONOUS_API;
        if (IoIsPollable(Top))
            Irp->Flags |= IRP_NTSTOR_POLLED;    /* IopWaitPolled below polls */
    } else {
        if (File->Flags & FO_NTSTOR_POLLED)
            Irp->Flags |= IRP_NTSTOR_POLLED;    /* the caller polls (NtPollFile) */
        if (Event)
            KeClearEvent(Event);
        Irp->UserEvent = Event;
        Irp->Overlay.AsynchronousParameters.UserApcRoutine = ApcRoutine;
        Irp->Overlay.AsynchronousParameters.UserApcContext = ApcContext;
    }
    if (__atomic_add_fetch(&File->PendingRequests, 1, __ATOMIC_SEQ_CST) == 1)
        KeClearEvent(&File->Event);

    IoProfileStamp(Irp, IO_PROFILE_IRP_SENT);
    Status = IoCallDriver(Top, Irp);
    if (!Synchronous)
        return STATUS_PENDING;
    if (Status == STATUS_PENDING) {
        IopWaitPolled(&LocalEvent, Top);
        Status = IoStatusBlock->Status;
    }
    return Status;
}

static NTSTATUS IopReadWrite(UCHAR MajorFunction, HANDLE FileHandle, PKEVENT Event,
                             PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                             PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                             PLARGE_INTEGER ByteOffset, PULONG Key)
{
    PFILE_OBJECT File;
    PDEVICE_OBJECT Top;
    LARGE_INTEGER Offset;
    NTSTATUS Status;
    PIRP Irp;
    /* bench profile=1 (profile.c): off, this is the one test it costs. */
    PIO_PROFILE Profile = __atomic_load_n(&IopProfile, __ATOMIC_ACQUIRE);
    ULONG64 Start = __builtin_expect(Profile != NULL, 0) ? IoProfileNow() : 0;

    if (!IoStatusBlock || (Length && !Buffer))
        return STATUS_INVALID_PARAMETER;
    Status = ObpReferenceObjectByHandle(FileHandle, IoFileObjectType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (MajorFunction == IRP_MJ_READ ? !File->ReadAccess : !File->WriteAccess) {
        Status = STATUS_ACCESS_DENIED;
        goto out;
    }
    Top = IoGetRelatedDeviceObject(File);
    if ((ULONG_PTR)Buffer & Top->AlignmentRequirement) {
        Status = STATUS_DATATYPE_MISALIGNMENT;
        goto out;
    }
    Offset = ByteOffset ? *ByteOffset : File->CurrentByteOffset;
    /* No device has negative bytes (NT's special values -1/-2 for the
     * file pointer mean nothing here); drivers need not each check. */
    if (Offset.QuadPart < 0) {
        Status = STATUS_INVALID_PARAMETER;
        goto out;
    }
    Irp = IopBuildReadWriteIrp(MajorFunction, Top, Buffer, Length, &Offset);
    if (!Irp) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    IoGetNextIrpStackLocation(Irp)->Parameters.Read.Key = Key ? *Key : 0;
    if (__builtin_expect(Profile != NULL, 0))
        IopProfileAttach(Profile, Irp, Start);
    Status = IopSubmitFileIrp(File, Top, Irp, Event, ApcRoutine, ApcContext, IoStatusBlock);
    if (!Event && !ApcRoutine && !ByteOffset && NT_SUCCESS(Status))
        File->CurrentByteOffset.QuadPart = Offset.QuadPart + (LONGLONG)IoStatusBlock->Information;
out:
    ObDereferenceObject(File);
    return Status;
}

NTSTATUS NtReadFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                    PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                    ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)
{
    return IopReadWrite(IRP_MJ_READ, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
                        Buffer, Length, ByteOffset, Key);
}

NTSTATUS NtWriteFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                     PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                     ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)
{
    return IopReadWrite(IRP_MJ_WRITE, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
                        Buffer, Length, ByteOffset, Key);
}

NTSTATUS NtDeviceIoControlFile(HANDLE FileHandle, PKEVENT Event, PIO_APC_ROUTINE ApcRoutine,
                               PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                               ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength,
                               PVOID OutputBuffer, ULONG OutputBufferLength)
{
    ULONG Access = (IoControlCode >> 14) & 3;
    PFILE_OBJECT File;
    PDEVICE_OBJECT Top;
    NTSTATUS Status;
    PIRP Irp;

    if (!IoStatusBlock || (InputBufferLength && !InputBuffer) || (OutputBufferLength && !OutputBuffer))
        return STATUS_INVALID_PARAMETER;
    Status = ObpReferenceObjectByHandle(FileHandle, IoFileObjectType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    /* The access bits of the control code are checked against the open,
     * as on NT: a read-only open cannot send a FILE_WRITE_ACCESS code. */
    if (((Access & FILE_READ_ACCESS) && !File->ReadAccess) ||
        ((Access & FILE_WRITE_ACCESS) && !File->WriteAccess)) {
        Status = STATUS_ACCESS_DENIED;
        goto out;
    }
    Top = IoGetRelatedDeviceObject(File);
    Irp = IopBuildIoctlIrp(IoControlCode, Top, InputBuffer, InputBufferLength, OutputBuffer,
                           OutputBufferLength, FALSE);
    if (!Irp) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    Status = IopSubmitFileIrp(File, Top, Irp, Event, ApcRoutine, ApcContext, IoStatusBlock);
out:
    ObDereferenceObject(File);
    return Status;
}

NTSTATUS NtFlushBuffersFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock)
{
    PFILE_OBJECT File;
    NTSTATUS Status;

    if (!IoStatusBlock)
        return STATUS_INVALID_PARAMETER;
    Status = ObpReferenceObjectByHandle(FileHandle, IoFileObjectType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!File->WriteAccess)
        Status = STATUS_ACCESS_DENIED;
    else
        Status = IopSendFileRequest(File, IRP_MJ_FLUSH_BUFFERS, IoStatusBlock);
    ObDereferenceObject(File);
    return Status;
}

NTSTATUS NtSetPolledCompletion(HANDLE FileHandle, BOOLEAN CallerPolls)
{
    PFILE_OBJECT File;
    NTSTATUS Status;

    Status = ObpReferenceObjectByHandle(FileHandle, IoFileObjectType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!CallerPolls)
        __atomic_and_fetch(&File->Flags, ~(ULONG)FO_NTSTOR_POLLED, __ATOMIC_SEQ_CST);
    else if (IoIsPollable(IoGetRelatedDeviceObject(File)))
        __atomic_or_fetch(&File->Flags, FO_NTSTOR_POLLED, __ATOMIC_SEQ_CST);
    else
        Status = STATUS_NOT_SUPPORTED;
    ObDereferenceObject(File);
    return Status;
}

NTSTATUS NtPollFile(HANDLE FileHandle)
{
    PFILE_OBJECT File;
    NTSTATUS Status;

    Status = ObpReferenceObjectByHandle(FileHandle, IoFileObjectType, (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!IoPollDevice(IoGetRelatedDeviceObject(File)))
        Status = STATUS_NOT_SUPPORTED;
    ObDereferenceObject(File);
    return Status;
}

/* NtClose of the last handle: outstanding asynchronous requests must end
 * before the file object may go.  A polled file's requests end only if
 * someone polls -- the closer does, up to the same deadline. */
static VOID IopDrainFile(PFILE_OBJECT File)
{
    ULONG64 Deadline = KeQueryTimeUs() + (ULONG64)IOP_CLOSE_DRAIN_TIMEOUT_MS * 1000;
    PDEVICE_OBJECT Top = IoGetRelatedDeviceObject(File);
    LARGE_INTEGER Timeout;

    while ((File->Flags & FO_NTSTOR_POLLED) && File->PendingRequests &&
           KeQueryTimeUs() < Deadline)
        if (!IoPollDevice(Top))
            break;
    if (File->PendingRequests) {
        ULONG64 Now = KeQueryTimeUs();
        Timeout.QuadPart = Now < Deadline ? -(LONGLONG)((Deadline - Now) * 10) : -1;
        KeWaitForSingleObject(&File->Event, Executive, KernelMode, FALSE, &Timeout);
    }
}

VOID IopReleaseKeptFile(PFILE_OBJECT File)
{
    if (__atomic_fetch_and(&File->Flags, ~(ULONG)FO_IOP_KEPT, __ATOMIC_SEQ_CST) & FO_IOP_KEPT)
        ObDereferenceObject(File);
}

NTSTATUS NtClose(HANDLE Handle)
{
    IO_STATUS_BLOCK Iosb;
    PVOID Object;
    NTSTATUS Status;

    Status = ObpReferenceObjectByHandle(Handle, NULL, &Object);
    if (!NT_SUCCESS(Status))
        return Status;

    if (ObGetObjectType(Object) == IoFileObjectType && ObGetHandleCount(Object) == 1) {
        PFILE_OBJECT File = Object;

        Status = IopSendFileRequest(File, IRP_MJ_CLEANUP, &Iosb);
        if (!NT_SUCCESS(Status) && Status != STATUS_INVALID_DEVICE_REQUEST)
            DbgPrint("io: IRP_MJ_CLEANUP: %s\n", RtlNtStatusName(Status));
        File->Flags |= FO_CLEANUP_COMPLETE;
        if (File->PendingRequests)
            IopDrainFile(File);
        if (File->PendingRequests) {
            /* Completion would touch a freed file object: keep it until the
             * last request completes (IopFinishIomgrIrp drops the reference),
             * and say so -- a driver is sitting on requests. */
            DbgPrint("io: close: %d request(s) still outstanding after %u ms; file object %p kept until they complete\n",
                     (INT)File->PendingRequests, IOP_CLOSE_DRAIN_TIMEOUT_MS, File);
            ObReferenceObject(File);
            __atomic_or_fetch(&File->Flags, FO_IOP_KEPT, __ATOMIC_SEQ_CST);
            /* The last one may have completed before the flag was set; it
             * then left the reference to us. */
            if (__atomic_load_n(&File->PendingRequests, __ATOMIC_SEQ_CST) == 0)
                IopReleaseKeptFile(File);
        }
    }
    Status = ObpCloseHandle(Handle);
    ObDereferenceObject(Object);
    return Status;
}
