/* holdpart.c - test driver for device lifetimes across an unload: opens a
 * partition device in DriverEntry and keeps the file object until its
 * DriverUnload, as a file system or a filter holding its target would.
 *
 * Target: the value Target in the service's Parameters key, default
 * \Device\Harddisk0\Partition1 (a partition device, in no PnP stack).
 * tests/qemu/test_unload.py: while it is loaded `unload ahci` must be
 * refused (the disk class driver vetoes the removal), nothing may be freed
 * under the open file, and after `unload holdpart` the unload goes through. */
#include <wdm.h>

#define HOLDPART_NAME_CHARS 128

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

static PFILE_OBJECT HoldFile;

static VOID HoldUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    if (HoldFile) {
        /* The last reference: IRP_MJ_CLOSE goes to the partition's driver. */
        ObDereferenceObject(HoldFile);
        HoldFile = NULL;
    }
    DbgPrint("holdpart: closed\n");
}

/* Parameters\Target, or the default (RtlQueryRegistryValues with a
 * DIRECT entry and a REG_SZ default, as WDM drivers read a string). */
static VOID HoldReadTarget(PUNICODE_STRING RegistryPath, PWCHAR Buffer, ULONG Bytes)
{
    static WCHAR fallback[] = L"\\Device\\Harddisk0\\Partition1";
    UNICODE_STRING target = { 0, (USHORT)Bytes, Buffer };
    RTL_QUERY_REGISTRY_TABLE table[] = {
        { NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Parameters" },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Target", &target, REG_SZ, fallback, 0 },
        { 0 },
    };
    OBJECT_ATTRIBUTES oa;
    HANDLE svc;
    NTSTATUS status = STATUS_UNSUCCESSFUL;

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (NT_SUCCESS(ZwOpenKey(&svc, KEY_READ, &oa))) {
        status = RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)svc, table, NULL, NULL);
        ZwClose(svc);
    }
    if (!NT_SUCCESS(status) || !Buffer[0])
        RtlCopyMemory(Buffer, fallback, sizeof(fallback));
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR target[HOLDPART_NAME_CHARS];
    UNICODE_STRING name;
    PDEVICE_OBJECT device;
    NTSTATUS status;
    CHAR ascii[HOLDPART_NAME_CHARS];

    HoldReadTarget(RegistryPath, target, sizeof(target));
    RtlInitUnicodeString(&name, target);
    RtlUnicodeToAscii(ascii, sizeof(ascii), &name);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &HoldFile, &device);
    if (!NT_SUCCESS(status)) {
        DbgPrint("holdpart: cannot open %s: 0x%08X\n", (PCSTR)ascii, (ULONG)status);
        HoldFile = NULL;
        return status;
    }
    DbgPrint("holdpart: holding %s open (device %p)\n", (PCSTR)ascii, device);
    DriverObject->DriverUnload = HoldUnload;
    return STATUS_SUCCESS;
}
