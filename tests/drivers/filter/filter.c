/* filter.c - test filter driver: attaches above a target device and changes
 * read IRPs on the way down and on the way up, to show the IRP stack works.
 *
 * Target: the value Target in the service's Parameters key, default
 * \Device\RegCopy0 (load regcopy first).  Reads passing through:
 *   down: ByteOffset += FILTER_OFFSET_SHIFT (the lower driver sees a
 *         different offset than the caller asked for);
 *   up:   each byte returned is XORed with FILTER_XOR in the completion
 *         routine.
 * Everything else passes through untouched (IoSkipCurrentIrpStackLocation).
 * DriverUnload detaches and deletes the filter device. */
#include <wdm.h>

#define FILTER_OFFSET_SHIFT 4096
#define FILTER_XOR          0x5A
#define FILTER_NAME_CHARS   128

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

typedef struct _FILTER_EXTENSION {
    PDEVICE_OBJECT Lower;       /* what IoAttachDeviceToDeviceStack returned */
} FILTER_EXTENSION, *PFILTER_EXTENSION;

static PDEVICE_OBJECT FilterDevice;

static NTSTATUS FilterPass(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION ext = DeviceObject->DeviceExtension;

    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Lower, Irp);
}

static NTSTATUS FilterReadDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PUCHAR buffer;

    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    if (!NT_SUCCESS(Irp->IoStatus.Status))
        return STATUS_SUCCESS;
    if (Irp->MdlAddress)
        buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0);
    else if (DeviceObject->Flags & DO_BUFFERED_IO)
        buffer = Irp->AssociatedIrp.SystemBuffer;
    else
        buffer = Irp->UserBuffer;
    if (buffer == NULL)
        return STATUS_SUCCESS;
    for (ULONG_PTR i = 0; i < Irp->IoStatus.Information; i++)
        buffer[i] ^= FILTER_XOR;
    return STATUS_SUCCESS;
}

static NTSTATUS FilterRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION ext = DeviceObject->DeviceExtension;

    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoGetNextIrpStackLocation(Irp)->Parameters.Read.ByteOffset.QuadPart += FILTER_OFFSET_SHIFT;
    IoSetCompletionRoutine(Irp, FilterReadDone, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(ext->Lower, Irp);
}

static VOID FilterUnload(PDRIVER_OBJECT DriverObject)
{
    if (FilterDevice) {
        PFILTER_EXTENSION ext = FilterDevice->DeviceExtension;
        IoDetachDevice(ext->Lower);
        IoDeleteDevice(FilterDevice);
        FilterDevice = NULL;
    }
    DbgPrint("filter: detached and unloaded\n");
}

/* The target's name from Parameters\Target, or the default (ZwOpenKey
 * and ZwQueryValueKey, as WDM drivers read one value). */
static VOID FilterReadTarget(PUNICODE_STRING RegistryPath, PWCHAR Buffer, ULONG BufferBytes)
{
    static const WCHAR defaultTarget[] = L"\\Device\\RegCopy0";
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING(L"Parameters");
    UNICODE_STRING valueName = RTL_CONSTANT_STRING(L"Target");
    UCHAR info[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + FILTER_NAME_CHARS * sizeof(WCHAR)];
    PKEY_VALUE_PARTIAL_INFORMATION value = (PKEY_VALUE_PARTIAL_INFORMATION)info;
    OBJECT_ATTRIBUTES oa;
    HANDLE service, parameters;
    ULONG length;

    RtlCopyMemory(Buffer, defaultTarget, sizeof(defaultTarget));
    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!NT_SUCCESS(ZwOpenKey(&service, KEY_READ, &oa)))
        return;
    InitializeObjectAttributes(&oa, &parametersName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, service, NULL);
    if (NT_SUCCESS(ZwOpenKey(&parameters, KEY_READ, &oa))) {
        if (NT_SUCCESS(ZwQueryValueKey(parameters, &valueName, KeyValuePartialInformation, value,
                                       sizeof(info), &length)) &&
            value->Type == REG_SZ && value->DataLength >= sizeof(WCHAR) &&
            value->DataLength <= BufferBytes) {
            RtlCopyMemory(Buffer, value->Data, value->DataLength);
            Buffer[value->DataLength / sizeof(WCHAR) - 1] = 0;
        }
        ZwClose(parameters);
    }
    ZwClose(service);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR targetBuffer[FILTER_NAME_CHARS];
    CHAR targetAscii[FILTER_NAME_CHARS];
    UNICODE_STRING target;
    PFILE_OBJECT file;
    PDEVICE_OBJECT targetDevice, device;
    PFILTER_EXTENSION ext;
    NTSTATUS status;

    /* Dispatch first: once attached, every IRP to the target's stack -- the
     * close of our own open below included -- comes through us. */
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = FilterPass;
    DriverObject->MajorFunction[IRP_MJ_READ] = FilterRead;
    DriverObject->DriverUnload = FilterUnload;

    FilterReadTarget(RegistryPath, targetBuffer, sizeof(targetBuffer));
    targetBuffer[FILTER_NAME_CHARS - 1] = 0;
    RtlInitUnicodeString(&target, targetBuffer);
    RtlUnicodeToAscii((PCHAR)targetAscii, sizeof(targetAscii), &target);
    status = IoGetDeviceObjectPointer(&target, FILE_READ_DATA, &file, &targetDevice);
    if (!NT_SUCCESS(status)) {
        DbgPrint("filter: cannot open target '%s': 0x%08x\n", (PCSTR)targetAscii, (unsigned)status);
        return status;
    }

    status = IoCreateDevice(DriverObject, sizeof(FILTER_EXTENSION), NULL,
                            targetDevice->DeviceType, 0, FALSE, &device);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(file);
        return status;
    }
    ext = device->DeviceExtension;
    ext->Lower = IoAttachDeviceToDeviceStack(device, targetDevice);
    /* The attachment holds the stack together; the open was only to find it. */
    ObDereferenceObject(file);
    if (ext->Lower == NULL) {
        IoDeleteDevice(device);
        DbgPrint("filter: target '%s' is going away\n", (PCSTR)targetAscii);
        return STATUS_NO_SUCH_DEVICE;
    }
    /* A filter presents the buffering method of what it sits on. */
    device->Flags |= ext->Lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    device->AlignmentRequirement = ext->Lower->AlignmentRequirement;
    FilterDevice = device;

    device->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("filter: attached above '%s' (offset +%u, xor 0x%02x)\n", (PCSTR)targetAscii,
             FILTER_OFFSET_SHIFT, FILTER_XOR);
    return STATUS_SUCCESS;
}
