/* irpcount.c - test PnP filter driver that counts the IRPs passing through
 * it (tests/qemu/test_filters.py).  Named in system.cfg as an UpperFilters
 * or LowerFilters entry -- of a device key (Enum\<hardware ID>) or of the
 * function driver's service key -- its AddDevice attaches a filter device
 * to the node's stack: below the function driver when it is called first
 * (a lower filter: nothing above the PDO yet), above it otherwise.  Every
 * IRP is passed down untouched and counted by major function.  Reading
 * \Device\IrpCount returns six little-endian ULONG64s: reads, writes and
 * SCSI requests seen by the upper filters, then by the lower ones (from the
 * read's byte offset on, so `devread \Device\IrpCount 16 32` shows the
 * last two).  A
 * filter device goes at IRP_MN_REMOVE_DEVICE, as a PnP filter's must. */
#include <wdm.h>

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

typedef struct _IC_FILTER {
    BOOLEAN IsFilter;               /* TRUE; the control device has no extension */
    BOOLEAN Lower;
    PDEVICE_OBJECT Self, Next;
} IC_FILTER, *PIC_FILTER;

enum { IcReads, IcWrites, IcScsi, IcKinds };
static volatile LONG64 IcCounts[2][IcKinds];    /* [upper, lower][kind] */
static PDEVICE_OBJECT IcControl;

static NTSTATUS IcComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* The control device: a read returns the counts. */
static NTSTATUS IcControlRequest(PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG64 counts[2 * IcKinds];
    ULONG64 offset = (ULONG64)stack->Parameters.Read.ByteOffset.QuadPart;
    ULONG length = stack->Parameters.Read.Length;
    PUCHAR buffer;

    if (stack->MajorFunction == IRP_MJ_CREATE || stack->MajorFunction == IRP_MJ_CLOSE ||
        stack->MajorFunction == IRP_MJ_CLEANUP)
        return IcComplete(Irp, STATUS_SUCCESS, 0);
    if (stack->MajorFunction != IRP_MJ_READ)
        return IcComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (offset >= sizeof(counts))
        return IcComplete(Irp, STATUS_END_OF_FILE, 0);
    buffer = Irp->MdlAddress ? MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0) : Irp->UserBuffer;
    if (!buffer)
        return IcComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < IcKinds; k++)
            counts[p * IcKinds + k] = (ULONG64)__atomic_load_n(&IcCounts[p][k], __ATOMIC_RELAXED);
    if (length > sizeof(counts) - offset)
        length = (ULONG)(sizeof(counts) - offset);
    RtlCopyMemory(buffer, (PUCHAR)counts + offset, length);
    return IcComplete(Irp, STATUS_SUCCESS, length);
}

static NTSTATUS IcDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIC_FILTER f = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PDEVICE_OBJECT next;
    int kind = -1;

    if (DeviceObject == IcControl || !f)
        return IcControlRequest(Irp);
    switch (stack->MajorFunction) {
    case IRP_MJ_READ: kind = IcReads; break;
    case IRP_MJ_WRITE: kind = IcWrites; break;
    case IRP_MJ_SCSI: kind = IcScsi; break;
    default: break;
    }
    if (kind >= 0)
        __atomic_add_fetch(&IcCounts[f->Lower][kind], 1, __ATOMIC_RELAXED);
    next = f->Next;
    if (stack->MajorFunction == IRP_MJ_PNP && stack->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        NTSTATUS status;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(next, Irp);
        IoDetachDevice(next);
        IoDeleteDevice(f->Self);
        return status;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(next, Irp);
}

static NTSTATUS IcAddDevice(PDRIVER_OBJECT Driver, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT dev, below = IoGetAttachedDeviceReference(Pdo);
    BOOLEAN lower = below == Pdo;
    PIC_FILTER f;
    NTSTATUS status;

    ObDereferenceObject(below);
    status = IoCreateDevice(Driver, sizeof(IC_FILTER), NULL, below->DeviceType, 0, FALSE, &dev);
    if (!NT_SUCCESS(status))
        return status;
    f = dev->DeviceExtension;
    f->IsFilter = TRUE;
    f->Lower = lower;
    f->Self = dev;
    f->Next = IoAttachDeviceToDeviceStack(dev, Pdo);
    if (!f->Next) {
        IoDeleteDevice(dev);
        return STATUS_NO_SUCH_DEVICE;
    }
    /* A filter looks like what it sits on to the driver above it. */
    dev->Flags |= f->Next->Flags & (DO_DIRECT_IO | DO_BUFFERED_IO);
    dev->AlignmentRequirement = f->Next->AlignmentRequirement;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("irpcount: %s filter attached\n", lower ? "lower" : "upper");
    return STATUS_SUCCESS;
}

static VOID IcUnload(PDRIVER_OBJECT DriverObject)
{
    if (IcControl)
        IoDeleteDevice(IcControl);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    RtlInitUnicodeString(&name, u"\\Device\\IrpCount");
    status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &IcControl);
    if (!NT_SUCCESS(status))
        return status;
    IcControl->Flags &= ~DO_DEVICE_INITIALIZING;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = IcDispatch;
    DriverObject->DriverExtension->AddDevice = IcAddDevice;
    DriverObject->DriverUnload = IcUnload;
    return STATUS_SUCCESS;
}
