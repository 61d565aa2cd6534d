/* file.c - file objects: an open of a device.
 *
 * A file object names the device that was opened (FileObject->DeviceObject,
 * holding a reference on it) and the rest of the path below it
 * (FileObject->FileName, e.g. "\Partition1" when the partition is not an
 * object of its own).  Requests go to the top of that device's stack.
 *
 * Life cycle, as NT's: IRP_MJ_CREATE when opened; IRP_MJ_CLEANUP when the
 * last handle closes (ntapi.c); IRP_MJ_CLOSE when the last reference goes
 * (the type's delete procedure, below). */
#include "iop.h"

/* Sends a parameterless request for FileObject to the top of its stack and
 * waits for it at PASSIVE_LEVEL.  Above PASSIVE_LEVEL (a last reference
 * dropped at DISPATCH_LEVEL) it cannot wait: the request is sent without a
 * status block or event and STATUS_PENDING returned if it did not finish. */
NTSTATUS IopSendFileRequest(PFILE_OBJECT FileObject, UCHAR MajorFunction,
                            PIO_STATUS_BLOCK IoStatusBlock)
{
    IO_STATUS_BLOCK LocalIosb;
    PIO_STATUS_BLOCK Iosb = IoStatusBlock ? IoStatusBlock : &LocalIosb;
    BOOLEAN CanWait = KeGetCurrentIrql() == PASSIVE_LEVEL;
    PDEVICE_OBJECT Top = IoGetAttachedDeviceReference(FileObject->DeviceObject);
    PIO_STACK_LOCATION Stack;
    KEVENT Event;
    NTSTATUS Status;
    PIRP Irp;

    Irp = IoAllocateIrp(Top->StackSize, FALSE);
    if (!Irp) {
        ObDereferenceObject(Top);
        Iosb->Status = STATUS_INSUFFICIENT_RESOURCES;
        Iosb->Information = 0;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp->Flags = IRP_IOMGR_OWNED | IRP_SYNCHRONOUS_API |
                 (MajorFunction == IRP_MJ_CLOSE ? IRP_CLOSE_OPERATION : 0);
    Irp->RequestorMode = KernelMode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->UserIosb = CanWait ? Iosb : NULL;
    Irp->UserEvent = CanWait ? &Event : NULL;
    Stack = IoGetNextIrpStackLocation(Irp);
    Stack->MajorFunction = MajorFunction;
    Stack->FileObject = FileObject;

    Status = IoCallDriver(Top, Irp);
    if (Status == STATUS_PENDING && CanWait) {
        KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
        Status = Iosb->Status;
    } else if (!CanWait) {
        Iosb->Status = Status;
        Iosb->Information = 0;
    }
    ObDereferenceObject(Top);
    return Status;
}

NTSTATUS IopOpenFile(PCUNICODE_STRING Path, ACCESS_MASK DesiredAccess, ULONG ShareAccess,
                     ULONG Options, PIO_STATUS_BLOCK IoStatusBlock, PFILE_OBJECT *FileObject)
{
    UNICODE_STRING Remaining;
    PDEVICE_OBJECT Device = NULL, Top;
    PFILE_OBJECT File = NULL;
    PIO_STACK_LOCATION Stack;
    PVOID Object = NULL;
    KEVENT Event;
    NTSTATUS Status;
    PIRP Irp;

    *FileObject = NULL;
    IoStatusBlock->Status = STATUS_UNSUCCESSFUL;
    IoStatusBlock->Information = 0;

    Remaining.Length = 0;
    Remaining.MaximumLength = (OB_MAX_PATH_CHARS + 1) * sizeof(WCHAR);
    Remaining.Buffer = ExAllocatePoolWithTag(NonPagedPool, Remaining.MaximumLength, IOP_TAG_FILE);
    if (!Remaining.Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;

    Status = ObLookupObjectForOpen(Path, &Object, &Remaining);
    if (!NT_SUCCESS(Status))
        goto out;

    if (ObGetObjectType(Object) != IoDeviceObjectType) {
        /* \Device\Nope stops at \Device with "\Nope" left: the last
         * component is missing.  More than one component left: a
         * directory on the way is missing. */
        Status = Remaining.Length ? ObNotFoundStatus(&Remaining) : STATUS_OBJECT_TYPE_MISMATCH;
        goto out;
    }
    Device = Object;
    Object = NULL;

    if (Device->Flags & DO_DEVICE_INITIALIZING) {
        Status = STATUS_NO_SUCH_DEVICE;
        goto out;
    }
    if ((Device->Flags & DO_EXCLUSIVE) && Device->ReferenceCount != 0) {
        Status = STATUS_ACCESS_DENIED;
        goto out;
    }

    Status = ObCreateObject(IoFileObjectType, NULL, 0, sizeof(FILE_OBJECT), (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        goto out;
    File->Type = IO_TYPE_FILE;
    File->Size = sizeof(FILE_OBJECT);
    File->ReadAccess = (DesiredAccess & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) != 0;
    File->WriteAccess = (DesiredAccess & (FILE_WRITE_DATA | GENERIC_WRITE | GENERIC_ALL)) != 0;
    File->SharedRead = (ShareAccess & FILE_SHARE_READ) != 0;
    File->SharedWrite = (ShareAccess & FILE_SHARE_WRITE) != 0;
    File->ShareAccess = ShareAccess;
    if (Options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
        File->Flags |= FO_SYNCHRONOUS_IO;
    if (Options & FILE_NO_INTERMEDIATE_BUFFERING)
        File->Flags |= FO_NO_INTERMEDIATE_BUFFERING;
    KeInitializeEvent(&File->Event, NotificationEvent, TRUE);   /* nothing pending */
    if (Remaining.Length) {
        File->FileName.Buffer = ExAllocatePoolWithTag(NonPagedPool, Remaining.Length + sizeof(WCHAR), IOP_TAG_FILE);
        if (!File->FileName.Buffer) {
            Status = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        RtlCopyMemory(File->FileName.Buffer, Remaining.Buffer, Remaining.Length);
        File->FileName.Buffer[Remaining.Length / sizeof(WCHAR)] = 0;
        File->FileName.Length = Remaining.Length;
        File->FileName.MaximumLength = Remaining.Length + sizeof(WCHAR);
    }
    /* Counted under the same lock IoDeleteDevice checks it under: a device
     * being deleted cannot be opened, and one that is open stays on its
     * driver's list until the file goes. */
    if (!IopIncrementDeviceReference(Device)) {
        Status = STATUS_NO_SUCH_DEVICE;
        goto out;
    }
    /* The file object takes over the lookup's reference on the device; the
     * delete procedure gives both back. */
    File->DeviceObject = Device;
    Device = NULL;

    Top = IoGetAttachedDeviceReference(File->DeviceObject);
    Irp = IoAllocateIrp(Top->StackSize, FALSE);
    if (!Irp) {
        ObDereferenceObject(Top);
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp->Flags = IRP_IOMGR_OWNED | IRP_SYNCHRONOUS_API | IRP_CREATE_OPERATION;
    Irp->RequestorMode = KernelMode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->UserIosb = IoStatusBlock;
    Irp->UserEvent = &Event;
    Stack = IoGetNextIrpStackLocation(Irp);
    Stack->MajorFunction = IRP_MJ_CREATE;
    Stack->Parameters.Create.Options = Options;
    Stack->Parameters.Create.ShareAccess = (USHORT)ShareAccess;
    Stack->FileObject = File;
    Status = IoCallDriver(Top, Irp);
    if (Status == STATUS_PENDING) {
        KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
        Status = IoStatusBlock->Status;
    }
    ObDereferenceObject(Top);
    if (!NT_SUCCESS(Status))
        goto out;

    File->Flags |= FO_IOP_CREATED;
    *FileObject = File;
    File = NULL;

out:
    if (File)
        ObDereferenceObject(File);      /* not created: no IRP_MJ_CLOSE */
    if (Device)
        ObDereferenceObject(Device);
    if (Object)
        ObDereferenceObject(Object);
    ExFreePoolWithTag(Remaining.Buffer, IOP_TAG_FILE);
    if (!NT_SUCCESS(Status)) {
        IoStatusBlock->Status = Status;
        IoStatusBlock->Information = 0;
    }
    return Status;
}

VOID IopDeleteFileProcedure(PVOID Object)
{
    PFILE_OBJECT File = Object;
    PDEVICE_OBJECT Device = File->DeviceObject;

    if (File->Flags & FO_IOP_CREATED) {
        NTSTATUS Status = IopSendFileRequest(File, IRP_MJ_CLOSE, NULL);
        if (Status == STATUS_PENDING)
            DbgPrint("io: close of a file on %p finished late (last reference dropped above PASSIVE_LEVEL)\n",
                     Device);
        else if (!NT_SUCCESS(Status))
            DbgPrint("io: IRP_MJ_CLOSE on %p: %s\n", Device, RtlNtStatusName(Status));
    }
    if (Device) {
        IopDecrementDeviceReference(Device);
        ObDereferenceObject(Device);
    }
    if (File->FileName.Buffer)
        ExFreePoolWithTag(File->FileName.Buffer, IOP_TAG_FILE);
}
