/* fstubtest.c - test driver for the kernel's partition-table exports
 * (IoReadPartitionTableEx, IoReadDiskSignature, IoWritePartitionTableEx)
 * on a real disk stack, as a driver other than disk.sys would call them.
 *
 * DriverEntry opens Parameters\Target (default \Device\Harddisk1\DR1),
 * prints the layout and the signature as key=value lines, and when
 * Parameters\Write is 1 writes a fixed three-partition GPT (1 MiB, 4 MiB,
 * the rest but 1 MiB) and reads it back.  tests/qemu/test_fstub.py checks
 * the lines against the host's image and, after poweroff, the written table
 * with sgdisk.  It stays loaded (nothing held) until `unload`. */
#include <wdm.h>
#include <ntdddisk.h>

#define FSTUBTEST_NAME_CHARS 128
#define FSTUBTEST_TAG NTSTOR_TAG('F', 's', 'T', 's')

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

static VOID FsUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
}

static VOID FsReadParameters(PUNICODE_STRING RegistryPath, PWCHAR Buffer, ULONG Bytes, PULONG Write)
{
    static WCHAR fallback[] = L"\\Device\\Harddisk1\\DR1";
    UNICODE_STRING target = { 0, (USHORT)Bytes, Buffer };
    ULONG zero = 0;
    RTL_QUERY_REGISTRY_TABLE table[] = {
        { NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Parameters" },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Target", &target, REG_SZ, fallback, 0 },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Write", Write, REG_DWORD, &zero, sizeof(zero) },
        { 0 },
    };
    OBJECT_ATTRIBUTES oa;
    HANDLE svc;
    NTSTATUS status = STATUS_UNSUCCESSFUL;

    *Write = 0;
    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (NT_SUCCESS(ZwOpenKey(&svc, KEY_READ, &oa))) {
        status = RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)svc, table, NULL, NULL);
        ZwClose(svc);
    }
    if (!NT_SUCCESS(status) || !Buffer[0])
        RtlCopyMemory(Buffer, fallback, sizeof(fallback));
}

static VOID FsPrintLayout(PCSTR What, PDEVICE_OBJECT Device)
{
    PDRIVE_LAYOUT_INFORMATION_EX layout = NULL;
    NTSTATUS status = IoReadPartitionTableEx(Device, &layout);

    if (!NT_SUCCESS(status)) {
        DbgPrint("fstubtest %s status=0x%08X\n", What, (ULONG)status);
        return;
    }
    DbgPrint("fstubtest %s status=0x%08X style=%u count=%u mbr_signature=0x%08X mbr_checksum=0x%08X "
             "disk_id=%08X max=%u\n", What, (ULONG)status, layout->PartitionStyle, layout->PartitionCount,
             layout->PartitionStyle == PARTITION_STYLE_MBR ? layout->Mbr.Signature : 0,
             layout->PartitionStyle == PARTITION_STYLE_MBR ? layout->Mbr.CheckSum : 0,
             layout->PartitionStyle == PARTITION_STYLE_GPT ? layout->Gpt.DiskId.Data1 : 0,
             layout->PartitionStyle == PARTITION_STYLE_GPT ? layout->Gpt.MaxPartitionCount : 0);
    for (ULONG i = 0; i < layout->PartitionCount; i++)
        DbgPrint("fstubtest_part n=%u offset=%lld length=%lld\n", layout->PartitionEntry[i].PartitionNumber,
                 layout->PartitionEntry[i].StartingOffset.QuadPart,
                 layout->PartitionEntry[i].PartitionLength.QuadPart);
    ExFreePool(layout);
}

/* 1 MiB at 1 MiB, 4 MiB at 2 MiB, then up to 1 MiB before the end. */
static NTSTATUS FsWrite(PDEVICE_OBJECT Device)
{
    static const GUID LinuxData = { 0x0FC63DAF, 0x8483, 0x4772, { 0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4 } };
    DISK_GEOMETRY_EX geometry;
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    PIRP irp;
    PDRIVE_LAYOUT_INFORMATION_EX layout;
    NTSTATUS status;
    LONGLONG mib = 1048576;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, Device, NULL, 0, &geometry,
                                        sizeof(geometry), FALSE, &event, &iosb);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = IoCallDriver(Device, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    if (!NT_SUCCESS(status))
        return status;
    layout = ExAllocatePoolZero(NonPagedPool, DRIVE_LAYOUT_INFORMATION_EX_SIZE(3), FSTUBTEST_TAG);
    if (!layout)
        return STATUS_INSUFFICIENT_RESOURCES;
    layout->PartitionStyle = PARTITION_STYLE_GPT;
    layout->PartitionCount = 3;
    layout->Gpt.DiskId = LinuxData;
    layout->Gpt.DiskId.Data1 = 0xF5702B00;
    for (ULONG i = 0; i < 3; i++) {
        layout->PartitionEntry[i].PartitionStyle = PARTITION_STYLE_GPT;
        layout->PartitionEntry[i].Gpt.PartitionType = LinuxData;
        layout->PartitionEntry[i].Gpt.PartitionId = LinuxData;
        layout->PartitionEntry[i].Gpt.PartitionId.Data1 = 0xF5700001 + i;
        layout->PartitionEntry[i].Gpt.Name[0] = 'f';
        layout->PartitionEntry[i].Gpt.Name[1] = (WCHAR)('1' + i);
    }
    layout->PartitionEntry[0].StartingOffset.QuadPart = mib;
    layout->PartitionEntry[0].PartitionLength.QuadPart = mib;
    layout->PartitionEntry[1].StartingOffset.QuadPart = 2 * mib;
    layout->PartitionEntry[1].PartitionLength.QuadPart = 4 * mib;
    layout->PartitionEntry[2].StartingOffset.QuadPart = 6 * mib;
    layout->PartitionEntry[2].PartitionLength.QuadPart = geometry.DiskSize.QuadPart - 7 * mib;
    status = IoWritePartitionTableEx(Device, layout);
    ExFreePool(layout);
    return status;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR target[FSTUBTEST_NAME_CHARS];
    CHAR ascii[FSTUBTEST_NAME_CHARS];
    UNICODE_STRING name;
    PFILE_OBJECT file;
    PDEVICE_OBJECT device;
    DISK_SIGNATURE sig;
    ULONG write = 0;
    NTSTATUS status;

    FsReadParameters(RegistryPath, target, sizeof(target), &write);
    RtlInitUnicodeString(&name, target);
    RtlUnicodeToAscii(ascii, sizeof(ascii), &name);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &file, &device);
    if (!NT_SUCCESS(status)) {
        DbgPrint("fstubtest: cannot open %s: 0x%08X\n", (PCSTR)ascii, (ULONG)status);
        return status;
    }
    FsPrintLayout("read", device);
    status = IoReadDiskSignature(device, 512, &sig);
    DbgPrint("fstubtest signature status=0x%08X style=%u mbr_signature=0x%08X mbr_checksum=0x%08X "
             "disk_id=%08X\n", (ULONG)status, sig.PartitionStyle,
             sig.PartitionStyle == PARTITION_STYLE_MBR ? sig.Mbr.Signature : 0,
             sig.PartitionStyle == PARTITION_STYLE_MBR ? sig.Mbr.CheckSum : 0,
             sig.PartitionStyle == PARTITION_STYLE_GPT ? sig.Gpt.DiskId.Data1 : 0);
    if (write) {
        status = FsWrite(device);
        DbgPrint("fstubtest write status=0x%08X\n", (ULONG)status);
        FsPrintLayout("reread", device);
    }
    ObDereferenceObject(file);
    DriverObject->DriverUnload = FsUnload;
    return STATUS_SUCCESS;
}
