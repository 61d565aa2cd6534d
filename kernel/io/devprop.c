/* devprop.c - IoOpenDeviceRegistryKey and IoGetDeviceProperty
 * (include/wdm/ioreg.h): a PDO's registry keys and the properties the PnP
 * manager knows of it, read from its DEVICE_NODE (kernel/include/pnp.h).
 * Read-only use of the node: the PnP manager owns it. */
#include "iop.h"
#include <pnp.h>
#include <cfg.h>
#include <hal.h>

#define IOP_TAG_DEVPROP NTSTOR_TAG('I', 'o', 'D', 'p')

/* Appends ASCII Text to Path, each '\' as Escape (0: kept). */
static NTSTATUS IopAppendAscii(PUNICODE_STRING Path, PCSTR Text, WCHAR Escape)
{
    for (; *Text; Text++) {
        if (Path->Length + sizeof(WCHAR) > Path->MaximumLength)
            return STATUS_NAME_TOO_LONG;
        Path->Buffer[Path->Length / sizeof(WCHAR)] = (*Text == '\\' && Escape) ? Escape : (WCHAR)(UCHAR)*Text;
        Path->Length += sizeof(WCHAR);
    }
    return STATUS_SUCCESS;
}

/* "<service>\<instance#path>" (the driver key below Control\Class). */
static NTSTATUS IopDriverKeyName(PDEVICE_NODE Node, PUNICODE_STRING Path)
{
    NTSTATUS Status;

    if (!Node->Service[0])
        return STATUS_OBJECT_NAME_NOT_FOUND;    /* no driver, no driver key */
    Status = IopAppendAscii(Path, Node->Service, 0);
    if (NT_SUCCESS(Status))
        Status = IopAppendAscii(Path, "\\", 0);
    if (NT_SUCCESS(Status))
        Status = IopAppendAscii(Path, Node->InstancePath, L'#');
    return Status;
}

NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
                                 ACCESS_MASK DesiredAccess, PHANDLE DeviceRegKey)
{
    PDEVICE_NODE Node = IopDeviceNodeOfPdo(DeviceObject);
    ULONG Kind = DevInstKeyType & ~PLUGPLAY_REGKEY_CURRENT_HWPROFILE;
    UNICODE_STRING Path;
    PVOID Key;
    NTSTATUS Status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!DeviceRegKey)
        return STATUS_INVALID_PARAMETER;
    *DeviceRegKey = NULL;
    if (!Node)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (Kind != PLUGPLAY_REGKEY_DEVICE && Kind != PLUGPLAY_REGKEY_DRIVER)
        return STATUS_INVALID_PARAMETER;
    Path.Length = 0;
    Path.MaximumLength = OB_MAX_PATH_CHARS * sizeof(WCHAR);
    Path.Buffer = ExAllocatePoolWithTag(NonPagedPool, Path.MaximumLength, IOP_TAG_DEVPROP);
    if (!Path.Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (Kind == PLUGPLAY_REGKEY_DEVICE) {
        Status = RtlAppendUnicodeToString(&Path, CM_CONTROL_SET_PATH u"\\Enum\\");
        if (NT_SUCCESS(Status))
            Status = IopAppendAscii(&Path, Node->InstancePath, 0);
        if (NT_SUCCESS(Status))
            Status = RtlAppendUnicodeToString(&Path, u"\\Device Parameters");
    } else {
        Status = RtlAppendUnicodeToString(&Path, CM_CONTROL_SET_PATH u"\\Control\\Class\\");
        if (NT_SUCCESS(Status))
            Status = IopDriverKeyName(Node, &Path);
    }
    if (NT_SUCCESS(Status))
        Status = CmCreateKey(&Path, &Key);
    ExFreePoolWithTag(Path.Buffer, IOP_TAG_DEVPROP);
    if (!NT_SUCCESS(Status))
        return Status == STATUS_BUFFER_TOO_SMALL ? STATUS_NAME_TOO_LONG : Status;
    Status = ObInsertHandle(Key, DeviceRegKey);
    ObDereferenceObject(Key);
    return Status;
}

/* Bytes of a REG_MULTI_SZ list, both final NULs included. */
static ULONG IopMultiSzBytes(PCWSTR List)
{
    ULONG n = 0;
    if (!List)
        return 0;
    while (List[n] || List[n + 1])
        n++;
    return (n + 2) * sizeof(WCHAR);
}

static NTSTATUS IopReturn(const VOID *Data, ULONG Bytes, ULONG BufferLength, PVOID Buffer, PULONG ResultLength)
{
    *ResultLength = Bytes;
    if (BufferLength < Bytes || (!Buffer && Bytes))
        return STATUS_BUFFER_TOO_SMALL;
    RtlCopyMemory(Buffer, Data, Bytes);
    return STATUS_SUCCESS;
}

NTSTATUS IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty,
                             ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength)
{
    PDEVICE_NODE Node = IopDeviceNodeOfPdo(DeviceObject);
    const HAL_PCI_FUNCTION *Pci;
    WCHAR Text[PNP_INSTANCE_CHARS + PNP_SERVICE_CHARS + 8];
    UNICODE_STRING S = { 0, sizeof(Text) - sizeof(WCHAR), Text };
    ULONG Number;
    NTSTATUS Status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!ResultLength)
        return STATUS_INVALID_PARAMETER;
    *ResultLength = 0;
    if (!Node)
        return STATUS_INVALID_DEVICE_REQUEST;
    Pci = Node->PciFunction;
    switch (DeviceProperty) {
    case DevicePropertyHardwareID:
    case DevicePropertyCompatibleIDs: {
        PCWSTR List = DeviceProperty == DevicePropertyHardwareID ? Node->HardwareIds : Node->CompatibleIds;
        if (!List)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        return IopReturn(List, IopMultiSzBytes(List), BufferLength, PropertyBuffer, ResultLength);
    }
    case DevicePropertyDeviceDescription:
        Status = IopAppendAscii(&S, Node->InstancePath, 0);
        break;
    case DevicePropertyEnumeratorName: {
        CHAR Enumerator[PNP_INSTANCE_CHARS];
        ULONG i;
        for (i = 0; Node->InstancePath[i] && Node->InstancePath[i] != '\\' && i + 1 < sizeof(Enumerator); i++)
            Enumerator[i] = Node->InstancePath[i];
        Enumerator[i] = 0;
        Status = IopAppendAscii(&S, Enumerator, 0);
        break;
    }
    case DevicePropertyPhysicalDeviceObjectName:
        S.MaximumLength = sizeof(Text);
        Status = ObQueryNameString(DeviceObject, &S);
        if (NT_SUCCESS(Status) && S.Length == 0)
            return STATUS_OBJECT_NAME_NOT_FOUND;    /* an unnamed PDO */
        break;
    case DevicePropertyDriverKeyName:
        Status = IopDriverKeyName(Node, &S);
        break;
    case DevicePropertyLocationInformation: {
        CHAR Where[64];
        if (!Pci)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        RtlStringCbPrintfA(Where, sizeof(Where), "PCI bus %u, device %u, function %u", Pci->Bus, Pci->Device,
                           Pci->Function);
        Status = IopAppendAscii(&S, Where, 0);
        break;
    }
    case DevicePropertyLegacyBusType:
        Number = Pci ? PCIBus : Node->LegacyDevice ? Isa : Internal;
        return IopReturn(&Number, sizeof(Number), BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyBusNumber:
        if (!Pci)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        Number = Pci->Bus;
        return IopReturn(&Number, sizeof(Number), BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyAddress:
        if (!Pci)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        Number = (ULONG)Pci->Device << 16 | Pci->Function;      /* PCI's Address, as NT */
        return IopReturn(&Number, sizeof(Number), BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyInstallState:
        Number = Node->Service[0] ? InstallStateInstalled : InstallStateFailedInstall;
        return IopReturn(&Number, sizeof(Number), BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyBootConfiguration:
    case DevicePropertyBootConfigurationTranslated:
    case DevicePropertyClassName:
    case DevicePropertyClassGuid:
    case DevicePropertyManufacturer:
    case DevicePropertyFriendlyName:
    case DevicePropertyBusTypeGuid:
    case DevicePropertyUINumber:
    case DevicePropertyRemovalPolicy:
    case DevicePropertyResourceRequirements:
    case DevicePropertyAllocatedResources:
    case DevicePropertyContainerID:
        return STATUS_OBJECT_NAME_NOT_FOUND;    /* nothing ntstor records */
    default:
        return STATUS_INVALID_PARAMETER_2;
    }
    if (!NT_SUCCESS(Status))
        return Status;
    Text[S.Length / sizeof(WCHAR)] = 0;
    return IopReturn(Text, S.Length + sizeof(WCHAR), BufferLength, PropertyBuffer, ResultLength);
}
