/* regcopy.c - test driver for the DriverEntry contract (DESIGN.md "The driver
 * model"): checks that RegistryPath is its service key, keeps its own copy
 * (the I/O manager poisons and frees the original when DriverEntry returns),
 * creates \Device\RegCopy0 whose reads return a fixed pattern, and frees
 * everything in DriverUnload.
 *
 * Pattern: the byte at device offset o is (o ^ (o >> 8)) & 0xff, so a reader
 * (tests/qemu/test_drivers.py) can compute the expected CRC32 of any range
 * and see the filter driver's offset shift. */
#include <wdm.h>

#define RC_TAG NTSTOR_TAG('R', 'g', 'C', 'p')

/* Exported: the loader binds only to an exported DriverEntry. */
__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

static UNICODE_STRING RcRegistryPath;   /* our copy */
static PDEVICE_OBJECT RcDevice;

static NTSTATUS RcComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS RcCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return RcComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS RcRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG64 offset = (ULONG64)stack->Parameters.Read.ByteOffset.QuadPart;
    ULONG length = stack->Parameters.Read.Length;
    PUCHAR buffer;

    if (Irp->MdlAddress)
        buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0);
    else if (DeviceObject->Flags & DO_BUFFERED_IO)
        buffer = Irp->AssociatedIrp.SystemBuffer;
    else
        buffer = Irp->UserBuffer;
    if (buffer == NULL && length != 0)
        return RcComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    for (ULONG i = 0; i < length; i++) {
        ULONG64 o = offset + i;
        buffer[i] = (UCHAR)(o ^ (o >> 8));
    }
    return RcComplete(Irp, STATUS_SUCCESS, length);
}

static VOID RcUnload(PDRIVER_OBJECT DriverObject)
{
    if (RcDevice) {
        IoDeleteDevice(RcDevice);
        RcDevice = NULL;
    }
    if (RcRegistryPath.Buffer) {
        ExFreePoolWithTag(RcRegistryPath.Buffer, RC_TAG);
        RcRegistryPath.Buffer = NULL;
    }
    DbgPrint("regcopy: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING expected =
        RTL_CONSTANT_STRING(u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\regcopy");
    UNICODE_STRING deviceName = RTL_CONSTANT_STRING(u"\\Device\\RegCopy0");
    NTSTATUS status;

    if (RegistryPath == NULL || RegistryPath->Buffer == NULL ||
        !RtlEqualUnicodeString(RegistryPath, &expected, TRUE)) {
        CHAR got[160] = "(null)";
        if (RegistryPath && RegistryPath->Buffer)
            RtlUnicodeToAscii((PCHAR)got, sizeof(got), RegistryPath);
        DbgPrint("regcopy: RegistryPath is '%s', expected the regcopy service key\n", (PCSTR)got);
        return STATUS_INVALID_PARAMETER;
    }

    RcRegistryPath.Buffer = ExAllocatePoolWithTag(NonPagedPool, RegistryPath->Length, RC_TAG);
    if (RcRegistryPath.Buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RcRegistryPath.Length = 0;
    RcRegistryPath.MaximumLength = RegistryPath->Length;
    RtlCopyUnicodeString(&RcRegistryPath, RegistryPath);
    {
        CHAR copy[160];
        RtlUnicodeToAscii((PCHAR)copy, sizeof(copy), &RcRegistryPath);
        DbgPrint("regcopy: registry path copy '%s'\n", (PCSTR)copy);
    }

    status = IoCreateDevice(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &RcDevice);
    if (!NT_SUCCESS(status)) {
        DbgPrint("regcopy: IoCreateDevice failed 0x%08x\n", (unsigned)status);
        ExFreePoolWithTag(RcRegistryPath.Buffer, RC_TAG);
        RcRegistryPath.Buffer = NULL;
        return status;
    }
    RcDevice->Flags |= DO_BUFFERED_IO;

    DriverObject->MajorFunction[IRP_MJ_CREATE] = RcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = RcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = RcRead;
    DriverObject->DriverUnload = RcUnload;

    RcDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
