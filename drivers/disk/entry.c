/* entry.c - the disk class driver's DriverEntry and Unload, following the
 * WDK's "Storage Class Driver's DriverEntry Routine": a driver object
 * extension for driver-wide data, a copy of the registry path, the
 * dispatch table.  Disks arrive through AddDevice (pnp.c) for each disk PDO
 * of a port driver (in QEMU: -device ahci + ide-hd). */
#include "disk.h"

PCSTR const DiskStateNames[DiskStateCount] = {
    [DiskStateAdded] = "Added",
    [DiskStateStarted] = "Started",
    [DiskStateFailed] = "Failed",
    [DiskStateRemoved] = "Removed",
};

PDISK_DRIVER_EXTENSION DiskGetDriverExtension(PDRIVER_OBJECT Driver)
{
    return IoGetDriverObjectExtension(Driver, (PVOID)DriverEntry);
}

NTSTATUS DiskCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

NTSTATUS DiskAcquire(PDISK_FDO Fdo, PIRP Irp, BOOLEAN AnyState)
{
    if (!NT_SUCCESS(IoAcquireRemoveLock(&Fdo->RemoveLock, Irp)))
        return STATUS_DEVICE_DOES_NOT_EXIST;
    if (AnyState || Fdo->State == DiskStateStarted)
        return STATUS_SUCCESS;
    IoReleaseRemoveLock(&Fdo->RemoveLock, Irp);
    return Fdo->State == DiskStateRemoved ? STATUS_DEVICE_DOES_NOT_EXIST : STATUS_DEVICE_NOT_READY;
}

VOID DiskRelease(PDISK_FDO Fdo, PIRP Irp)
{
    IoReleaseRemoveLock(&Fdo->RemoveLock, Irp);
}

NTSTATUS DiskCompleteAndRelease(PDISK_FDO Fdo, PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    DiskCompleteIrp(Irp, Status, Information);
    DiskRelease(Fdo, Irp);
    return Status;
}

/* RtlQueryRegistryValues routine for WritableSerials: EntryContext is the
 * driver extension.  Text longer than the room is cut (and said so). */
static NTSTATUS DiskWritableSerialsRoutine(PWSTR ValueName, ULONG ValueType, PVOID ValueData,
                                           ULONG ValueLength, PVOID Context, PVOID EntryContext)
{
    PDISK_DRIVER_EXTENSION Ext = EntryContext;
    PCWSTR text = ValueData;
    ULONG i, chars = ValueLength / sizeof(WCHAR);

    if (ValueType != REG_SZ) {
        DbgPrint("disk: Parameters\\WritableSerials is not text; no disk is writable\n");
        return STATUS_SUCCESS;
    }
    for (i = 0; i + 1 < sizeof(Ext->WritableSerials) && i < chars && text[i]; i++)
        Ext->WritableSerials[i] = text[i] < 0x80 ? (CHAR)text[i] : '?';
    Ext->WritableSerials[i] = 0;
    if (i < chars && text[i])
        DbgPrint("disk: Parameters\\WritableSerials longer than %u characters: truncated\n",
                 (unsigned)sizeof(Ext->WritableSerials) - 1);
    return STATUS_SUCCESS;
}

/* Parameters\WritableSerials = "QM00002, QM00003": the disks writes are
 * allowed to from boot (DESIGN.md "Safety").  Absent: none. */
static VOID DiskReadParameters(PDISK_DRIVER_EXTENSION Ext, PUNICODE_STRING RegistryPath)
{
    RTL_QUERY_REGISTRY_TABLE table[] = {
        { NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Parameters" },
        { DiskWritableSerialsRoutine, 0, L"WritableSerials", Ext },
        { 0 },
    };
    OBJECT_ATTRIBUTES oa;
    HANDLE svc;

    Ext->WritableSerials[0] = 0;
    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!NT_SUCCESS(ZwOpenKey(&svc, KEY_READ, &oa)))
        return;
    RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)svc, table, NULL, NULL);
    ZwClose(svc);
    if (Ext->WritableSerials[0])
        DbgPrint("disk: writable serials: %s\n", Ext->WritableSerials);
}

static VOID DiskUnload(PDRIVER_OBJECT DriverObject)
{
    PDISK_DRIVER_EXTENSION ext = DiskGetDriverExtension(DriverObject);

    /* Devices are gone by now (the PnP manager removed them). */
    if (ext && ext->RegistryPath.Buffer) {
        ExFreePoolWithTag(ext->RegistryPath.Buffer, DISK_TAG);
        ext->RegistryPath.Buffer = NULL;
    }
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDISK_DRIVER_EXTENSION ext;
    NTSTATUS status;

    status = IoAllocateDriverObjectExtension(DriverObject, (PVOID)DriverEntry, sizeof(*ext),
                                             (PVOID *)&ext);
    if (!NT_SUCCESS(status))
        return status;
    /* The I/O manager frees RegistryPath after we return. */
    ext->RegistryPath.Buffer = ExAllocatePoolWithTag(NonPagedPool, RegistryPath->Length + sizeof(WCHAR),
                                                     DISK_TAG);
    if (!ext->RegistryPath.Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    ext->RegistryPath.Length = 0;
    ext->RegistryPath.MaximumLength = RegistryPath->Length + sizeof(WCHAR);
    RtlCopyUnicodeString(&ext->RegistryPath, RegistryPath);
    ext->RegistryPath.Buffer[ext->RegistryPath.Length / sizeof(WCHAR)] = 0;
    DiskReadParameters(ext, &ext->RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = DiskDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DiskDispatchClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = DiskDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = DiskDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = DiskDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DiskDispatchDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_FLUSH_BUFFERS] = DiskDispatchFlush;
    DriverObject->MajorFunction[IRP_MJ_SHUTDOWN] = DiskDispatchFlush;
    DriverObject->MajorFunction[IRP_MJ_PNP] = DiskDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = DiskDispatchPower;
    DriverObject->DriverExtension->AddDevice = DiskAddDevice;
    DriverObject->DriverUnload = DiskUnload;
    return STATUS_SUCCESS;
}
