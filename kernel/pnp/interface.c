/* interface.c - device interfaces (IoRegisterDeviceInterface,
 * IoSetDeviceInterfaceState, IoGetDeviceInterfaces): a driver says "this
 * PDO's stack is a disk" (GUID_DEVINTERFACE_DISK) and whoever wants the
 * disks asks for the interface instead of guessing names.  As NT's: the
 * name is \??\<instance path with '\' as '#'>#{guid}[\<reference>], a
 * symbolic link that exists while the interface is enabled; it points at
 * the PDO (or, for a PDO without a name, the first named device above
 * it) and an open goes to the top of the stack as for any device.  An
 * interface goes with its PDO's node (PnpDropInterfaces).
 *
 * PASSIVE_LEVEL.  The list is under IopInterfaceLock, a synchronization
 * event (the holder creates and deletes symbolic links). */
#include "pnpp.h"
#include <ob.h>

#define PNP_TAG_INTERFACE  NTSTOR_TAG('P', 'n', 'p', 'I')
#define PNP_INTERFACE_CHARS (PNP_INSTANCE_CHARS + 80)

typedef struct _PNP_INTERFACE {
    LIST_ENTRY Link;
    GUID Guid;
    PDEVICE_OBJECT Pdo;             /* referenced */
    BOOLEAN Enabled;
    WCHAR Name[PNP_INTERFACE_CHARS];
    UNICODE_STRING LinkName;        /* Buffer = Name */
} PNP_INTERFACE, *PPNP_INTERFACE;

static LIST_ENTRY PnpInterfaces = { &PnpInterfaces, &PnpInterfaces };
static KEVENT PnpInterfaceLock;
static volatile LONG PnpInterfaceLockReady;

static VOID PnpInterfaceAcquire(VOID)
{
    if (__atomic_exchange_n(&PnpInterfaceLockReady, 1, __ATOMIC_ACQ_REL) == 0)
        KeInitializeEvent(&PnpInterfaceLock, SynchronizationEvent, TRUE);
    KeWaitForSingleObject(&PnpInterfaceLock, Executive, KernelMode, FALSE, NULL);
}

static VOID PnpInterfaceRelease(VOID)
{
    KeSetEvent(&PnpInterfaceLock, IO_NO_INCREMENT, FALSE);
}

static BOOLEAN PnpGuidEqual(const GUID *A, const GUID *B)
{
    return RtlCompareMemory(A, B, sizeof(GUID)) == sizeof(GUID);
}

/* \??\SCSI#Disk&Ven_ATA&Prod_QEMU_HARDDISK#0#{53f56307-b6bf-11d0-94f2-00a0c91efb8b} */
static NTSTATUS PnpInterfaceName(PDEVICE_NODE Node, const GUID *Guid, PCUNICODE_STRING Reference,
                                 PPNP_INTERFACE Entry)
{
    CHAR ascii[PNP_INTERFACE_CHARS];
    CHAR reference[64] = "";
    PCSTR instance = Node->InstancePath;    /* unique (enum.c: parent prefix) */
    SIZE_T n;

    if (Reference && Reference->Length) {
        reference[0] = '\\';
        RtlUnicodeToAscii(reference + 1, sizeof(reference) - 1, Reference);
    }
    RtlStringCbPrintfA(ascii, sizeof(ascii),
                       "\\??\\%s#{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}%s",
                       instance, Guid->Data1, Guid->Data2, Guid->Data3, Guid->Data4[0],
                       Guid->Data4[1], Guid->Data4[2], Guid->Data4[3], Guid->Data4[4],
                       Guid->Data4[5], Guid->Data4[6], Guid->Data4[7], reference);
    /* The instance path's separators become '#', so the name is one
     * component of \?? (NT's form). */
    for (n = 4; ascii[n]; n++)
        if (ascii[n] == '\\' && n < 4 + RtlAsciiLength(instance))
            ascii[n] = '#';
    Entry->LinkName.Buffer = Entry->Name;
    Entry->LinkName.Length = 0;
    Entry->LinkName.MaximumLength = sizeof(Entry->Name);
    return RtlAsciiToUnicodeString(&Entry->LinkName, ascii);
}

NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, const GUID *InterfaceClassGuid,
                                   PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName)
{
    PDEVICE_NODE node;
    PPNP_INTERFACE entry;
    NTSTATUS status;

    if (!PhysicalDeviceObject || !InterfaceClassGuid || !SymbolicLinkName)
        return STATUS_INVALID_PARAMETER;
    node = PhysicalDeviceObject->DeviceObjectExtension
           ? PhysicalDeviceObject->DeviceObjectExtension->DeviceNode : NULL;
    if (!node)
        return STATUS_INVALID_DEVICE_REQUEST;       /* NT: only a PDO the PnP manager knows */
    entry = ExAllocatePoolZero(NonPagedPool, sizeof(*entry), PNP_TAG_INTERFACE);
    if (!entry)
        return STATUS_INSUFFICIENT_RESOURCES;
    entry->Guid = *InterfaceClassGuid;
    status = PnpInterfaceName(node, InterfaceClassGuid, ReferenceString, entry);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(entry, PNP_TAG_INTERFACE);
        return status;
    }
    PnpInterfaceAcquire();
    for (PLIST_ENTRY e = PnpInterfaces.Flink; e != &PnpInterfaces; e = e->Flink) {
        PPNP_INTERFACE old = CONTAINING_RECORD(e, PNP_INTERFACE, Link);
        if (RtlEqualUnicodeString(&old->LinkName, &entry->LinkName, TRUE)) {
            /* Registered already (NT: the same name again). */
            ExFreePoolWithTag(entry, PNP_TAG_INTERFACE);
            entry = old;
            goto copy;
        }
    }
    ObReferenceObject(PhysicalDeviceObject);
    entry->Pdo = PhysicalDeviceObject;
    InsertTailList(&PnpInterfaces, &entry->Link);
copy:
    /* The caller's copy, freed with RtlFreeUnicodeString/ExFreePool. */
    SymbolicLinkName->Buffer = ExAllocatePoolWithTag(NonPagedPool, entry->LinkName.Length + sizeof(WCHAR),
                                                     PNP_TAG_INTERFACE);
    if (!SymbolicLinkName->Buffer) {
        PnpInterfaceRelease();
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(SymbolicLinkName->Buffer, entry->LinkName.Buffer, entry->LinkName.Length);
    SymbolicLinkName->Buffer[entry->LinkName.Length / sizeof(WCHAR)] = 0;
    SymbolicLinkName->Length = entry->LinkName.Length;
    SymbolicLinkName->MaximumLength = entry->LinkName.Length + sizeof(WCHAR);
    PnpInterfaceRelease();
    return STATUS_SUCCESS;
}

static PPNP_INTERFACE PnpFindInterface(PCUNICODE_STRING Name)
{
    for (PLIST_ENTRY e = PnpInterfaces.Flink; e != &PnpInterfaces; e = e->Flink) {
        PPNP_INTERFACE entry = CONTAINING_RECORD(e, PNP_INTERFACE, Link);
        if (RtlEqualUnicodeString(&entry->LinkName, Name, TRUE))
            return entry;
    }
    return NULL;
}

/* The link's target: the PDO's name, or the first named device above. */
static NTSTATUS PnpInterfaceTarget(PDEVICE_OBJECT Pdo, PUNICODE_STRING Target)
{
    for (PDEVICE_OBJECT d = Pdo; d; d = d->AttachedDevice) {
        Target->Length = 0;
        if (NT_SUCCESS(ObQueryNameString(d, Target)) && Target->Length)
            return STATUS_SUCCESS;
    }
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

/* Deletes the link and forgets the interface: NT keeps a disabled one
 * registered (in its registry); ntstor has no persistent registry, and a
 * driver that unloads must leave nothing behind -- registering again
 * gives the same name. */
static VOID PnpForgetInterface(PPNP_INTERFACE Entry)
{
    if (Entry->Enabled)
        IoDeleteSymbolicLink(&Entry->LinkName);
    RemoveEntryList(&Entry->Link);
    ObDereferenceObject(Entry->Pdo);
    ExFreePoolWithTag(Entry, PNP_TAG_INTERFACE);
}

NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)
{
    WCHAR wide[OB_MAX_PATH_CHARS + 1];
    UNICODE_STRING target = { 0, sizeof(wide), wide };
    PPNP_INTERFACE entry;
    NTSTATUS status = STATUS_SUCCESS;

    if (!SymbolicLinkName)
        return STATUS_INVALID_PARAMETER;
    PnpInterfaceAcquire();
    entry = PnpFindInterface(SymbolicLinkName);
    if (!entry) {
        status = STATUS_OBJECT_NAME_NOT_FOUND;
    } else if (Enable && !entry->Enabled) {
        status = PnpInterfaceTarget(entry->Pdo, &target);
        if (NT_SUCCESS(status))
            status = IoCreateSymbolicLink(&entry->LinkName, &target);
        entry->Enabled = NT_SUCCESS(status);
    } else if (!Enable) {
        PnpForgetInterface(entry);
    }
    PnpInterfaceRelease();
    return status;
}

NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid, PDEVICE_OBJECT PhysicalDeviceObject,
                               ULONG Flags, PWSTR *SymbolicLinkList)
{
    SIZE_T chars = 1;
    PWSTR list = NULL, p = NULL;

    if (!InterfaceClassGuid || !SymbolicLinkList)
        return STATUS_INVALID_PARAMETER;
    *SymbolicLinkList = NULL;
    PnpInterfaceAcquire();
    for (int pass = 0; pass < 2; pass++) {
        for (PLIST_ENTRY e = PnpInterfaces.Flink; e != &PnpInterfaces; e = e->Flink) {
            PPNP_INTERFACE entry = CONTAINING_RECORD(e, PNP_INTERFACE, Link);
            if (!PnpGuidEqual(&entry->Guid, InterfaceClassGuid) ||
                (PhysicalDeviceObject && entry->Pdo != PhysicalDeviceObject) ||
                (!entry->Enabled && !(Flags & DEVICE_INTERFACE_INCLUDE_NONACTIVE)))
                continue;
            if (pass == 0) {
                chars += entry->LinkName.Length / sizeof(WCHAR) + 1;
            } else {
                RtlCopyMemory(p, entry->LinkName.Buffer, entry->LinkName.Length);
                p += entry->LinkName.Length / sizeof(WCHAR);
                *p++ = 0;
            }
        }
        if (pass == 0) {
            list = ExAllocatePoolWithTag(NonPagedPool, chars * sizeof(WCHAR), PNP_TAG_INTERFACE);
            if (!list) {
                PnpInterfaceRelease();
                return STATUS_INSUFFICIENT_RESOURCES;
            }
            p = list;
        }
    }
    *p = 0;     /* the empty string that ends the list */
    PnpInterfaceRelease();
    *SymbolicLinkList = list;
    return STATUS_SUCCESS;
}

VOID PnpDropInterfaces(PDEVICE_OBJECT Pdo)
{
    PnpInterfaceAcquire();
    for (PLIST_ENTRY e = PnpInterfaces.Flink, next; e != &PnpInterfaces; e = next) {
        PPNP_INTERFACE entry = CONTAINING_RECORD(e, PNP_INTERFACE, Link);
        next = e->Flink;
        if (entry->Pdo == Pdo)
            PnpForgetInterface(entry);
    }
    PnpInterfaceRelease();
}
