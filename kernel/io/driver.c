/* driver.c - driver objects (\Driver\<service>) and driver object
 * extensions.  The DriverEntry/unload flow built on top is load.c.
 *
 * A driver object is one object-manager body: the DRIVER_OBJECT, then the
 * I/O manager's IOP_DRIVER_EXTENSION (the public DRIVER_EXTENSION plus the
 * list of driver object extensions), then the two name buffers.  It lives
 * while referenced: the creation reference (dropped by
 * IopDeleteDriverObject) and one per device object of the driver.
 *
 * The image (DriverSection) goes with the driver object, from its delete
 * procedure, as NT's IopDeleteDriver does: a device object still referenced
 * after DriverUnload (a file open on it) keeps the code its IRP_MJ_CLOSE
 * will run. */
#include "iop.h"
#include <ldr.h>

/* DriverObject->HardwareDatabase, as NT. */
static UNICODE_STRING IopHardwareDatabase =
    RTL_CONSTANT_STRING(u"\\Registry\\Machine\\Hardware\\Description\\System");

static const WCHAR IopDriverPrefix[] = u"\\Driver\\";
#define IOP_DRIVER_PREFIX_BYTES (sizeof(IopDriverPrefix) - sizeof(WCHAR))

/* An IoAllocateDriverObjectExtension block, keyed by the caller's pointer. */
typedef struct _IOP_CLIENT_EXTENSION {
    LIST_ENTRY Link;
    PVOID ClientIdentificationAddress;
    ULONG Size;
    ULONG Reserved;
    /* the driver's bytes follow, 16-byte aligned */
} __attribute__((aligned(16))) IOP_CLIENT_EXTENSION, *PIOP_CLIENT_EXTENSION;

NTSTATUS IopCreateDriverObject(PCUNICODE_STRING ServiceName, PDRIVER_OBJECT *Driver)
{
    ULONG BodySize, NameOffset, ServiceOffset, FullBytes;
    UNICODE_STRING FullName;
    PDRIVER_OBJECT Object;
    PIOP_DRIVER_EXTENSION Ext;
    NTSTATUS Status;

    if (!ServiceName || !Driver || ServiceName->Length == 0 || (ServiceName->Length & 1))
        return STATUS_OBJECT_NAME_INVALID;
    for (USHORT i = 0; i < ServiceName->Length / sizeof(WCHAR); i++)
        if (ServiceName->Buffer[i] == u'\\' || ServiceName->Buffer[i] == 0)
            return STATUS_OBJECT_NAME_INVALID;
    FullBytes = IOP_DRIVER_PREFIX_BYTES + ServiceName->Length;
    if (FullBytes / sizeof(WCHAR) > OB_MAX_PATH_CHARS)
        return STATUS_NAME_TOO_LONG;

    NameOffset = (ULONG)ALIGN_UP_BY(sizeof(DRIVER_OBJECT) + sizeof(IOP_DRIVER_EXTENSION), 8);
    ServiceOffset = NameOffset + FullBytes + sizeof(WCHAR);
    BodySize = ServiceOffset + ServiceName->Length + sizeof(WCHAR);

    /* The object manager needs the full name before the body exists:
     * assemble it in a temporary, then keep a copy in the body. */
    FullName.Buffer = ExAllocatePoolWithTag(NonPagedPool, FullBytes + sizeof(WCHAR), IOP_TAG_DRIVER);
    if (!FullName.Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(FullName.Buffer, IopDriverPrefix, IOP_DRIVER_PREFIX_BYTES);
    RtlCopyMemory((PUCHAR)FullName.Buffer + IOP_DRIVER_PREFIX_BYTES, ServiceName->Buffer, ServiceName->Length);
    FullName.Length = (USHORT)FullBytes;
    FullName.MaximumLength = (USHORT)(FullBytes + sizeof(WCHAR));
    FullName.Buffer[FullBytes / sizeof(WCHAR)] = 0;

    Status = ObCreateObject(IoDriverObjectType, &FullName, 0, BodySize, (PVOID *)&Object);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(FullName.Buffer, IOP_TAG_DRIVER);
        return Status;
    }

    Object->Type = IO_TYPE_DRIVER;
    Object->Size = sizeof(DRIVER_OBJECT);
    Ext = (PIOP_DRIVER_EXTENSION)(Object + 1);
    Ext->Public.DriverObject = Object;
    InitializeListHead(&Ext->ClientExtensions);
    Object->DriverExtension = &Ext->Public;

    Object->DriverName.Buffer = (PWSTR)((PUCHAR)Object + NameOffset);
    Object->DriverName.Length = (USHORT)FullBytes;
    Object->DriverName.MaximumLength = (USHORT)(FullBytes + sizeof(WCHAR));
    RtlCopyMemory(Object->DriverName.Buffer, FullName.Buffer, FullBytes + sizeof(WCHAR));
    ExFreePoolWithTag(FullName.Buffer, IOP_TAG_DRIVER);

    Ext->Public.ServiceKeyName.Buffer = (PWSTR)((PUCHAR)Object + ServiceOffset);
    Ext->Public.ServiceKeyName.Length = ServiceName->Length;
    Ext->Public.ServiceKeyName.MaximumLength = ServiceName->Length + sizeof(WCHAR);
    RtlCopyMemory(Ext->Public.ServiceKeyName.Buffer, ServiceName->Buffer, ServiceName->Length);
    Ext->Public.ServiceKeyName.Buffer[ServiceName->Length / sizeof(WCHAR)] = 0;

    Object->HardwareDatabase = &IopHardwareDatabase;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        Object->MajorFunction[i] = IopInvalidDeviceRequest;

    *Driver = Object;
    return STATUS_SUCCESS;
}

VOID IopDeleteDriverObject(PDRIVER_OBJECT Driver)
{
    ObDereferenceObject(Driver);
}

VOID IopDeleteDriverProcedure(PVOID Object)
{
    PDRIVER_OBJECT Driver = Object;
    PIOP_DRIVER_EXTENSION Ext = IopDriverExtension(Driver);

    while (!IsListEmpty(&Ext->ClientExtensions)) {
        PIOP_CLIENT_EXTENSION Client =
            CONTAINING_RECORD(RemoveHeadList(&Ext->ClientExtensions), IOP_CLIENT_EXTENSION, Link);
        ExFreePoolWithTag(Client, IOP_TAG_DRIVER);
    }
    if (Driver->DriverSection) {
        LdrUnloadImage(Driver->DriverSection);
        Driver->DriverSection = NULL;
    }
}

NTSTATUS IoAllocateDriverObjectExtension(PDRIVER_OBJECT DriverObject,
                                         PVOID ClientIdentificationAddress,
                                         ULONG DriverObjectExtensionSize,
                                         PVOID *DriverObjectExtension)
{
    PIOP_DRIVER_EXTENSION Ext = IopDriverExtension(DriverObject);
    PIOP_CLIENT_EXTENSION Client;
    PLIST_ENTRY Entry;
    KIRQL Old;

    *DriverObjectExtension = NULL;
    Client = ExAllocatePoolZero(NonPagedPool, sizeof(*Client) + DriverObjectExtensionSize, IOP_TAG_DRIVER);
    if (!Client)
        return STATUS_INSUFFICIENT_RESOURCES;
    Client->ClientIdentificationAddress = ClientIdentificationAddress;
    Client->Size = DriverObjectExtensionSize;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    for (Entry = Ext->ClientExtensions.Flink; Entry != &Ext->ClientExtensions; Entry = Entry->Flink) {
        if (CONTAINING_RECORD(Entry, IOP_CLIENT_EXTENSION, Link)->ClientIdentificationAddress ==
            ClientIdentificationAddress) {
            KeReleaseSpinLock(&IopDatabaseLock, Old);
            ExFreePoolWithTag(Client, IOP_TAG_DRIVER);
            return STATUS_OBJECT_NAME_COLLISION;
        }
    }
    InsertTailList(&Ext->ClientExtensions, &Client->Link);
    KeReleaseSpinLock(&IopDatabaseLock, Old);

    *DriverObjectExtension = Client + 1;
    return STATUS_SUCCESS;
}

PVOID IoGetDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress)
{
    PIOP_DRIVER_EXTENSION Ext = IopDriverExtension(DriverObject);
    PLIST_ENTRY Entry;
    PVOID Result = NULL;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    for (Entry = Ext->ClientExtensions.Flink; Entry != &Ext->ClientExtensions; Entry = Entry->Flink) {
        PIOP_CLIENT_EXTENSION Client = CONTAINING_RECORD(Entry, IOP_CLIENT_EXTENSION, Link);
        if (Client->ClientIdentificationAddress == ClientIdentificationAddress) {
            Result = Client + 1;
            break;
        }
    }
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    return Result;
}
