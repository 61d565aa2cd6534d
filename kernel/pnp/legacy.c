/* legacy.c - devices that are on no enumerable bus: NT finds them in the
 * ACPI namespace (the keyboard controller is PNP0303 there, with _CRS
 * ports 0x60/0x64 and IRQ 1); ntstor has no AML interpreter, so \Driver\
 * legacy reports them from the FADT as root-enumerated PDOs with the
 * resources every PC gives them.  Today: the 8042 keyboard controller,
 * reported unless the FADT's IAPC_BOOT_ARCH says there is none (ACPI 6.5
 * 5.2.9.3); without the flag (no FADT, revision < 3) it is reported, as
 * Linux does on x86 when in doubt -- the port driver probes with bounded
 * waits and gives up cleanly when nothing answers.
 *
 * Resources at START (pnp.h "What a driver receives"): one descriptor list
 * (InterfaceType Isa) with a CmResourceTypePort per port (Length 1,
 * CM_RESOURCE_PORT_IO) and the interrupt: raw u.Interrupt.Level = Vector
 * = the ISA IRQ, translated Vector = an IDT vector at PNP_DEVICE_IRQL,
 * Flags LATCHED (ISA: edge, active high, unless a MADT interrupt source
 * override says otherwise -- HalRouteGsi applies it), DeviceExclusive. */
#include "pnpp.h"
#include <ntstor_busid.h>
#include <ntstor_targetrel.h>
#include <regs/acpi.h>

#define LEGACY_PDO_MAGIC 0x4C454750u     /* 'LEGP' */
#define LEGACY_MAX_PORTS 2

typedef struct _PNP_LEGACY_DEVICE {
    PCSTR DeviceId;                     /* "ACPI\PNP0303" */
    PCSTR HardwareIds;                  /* multi-sz, "\0"-separated, ending "\0\0" */
    SIZE_T HardwareIdsBytes;
    USHORT Ports[LEGACY_MAX_PORTS];
    UCHAR IsaIrq;
} PNP_LEGACY_DEVICE;

#define LEGACY_IDS(s) s, sizeof(s)
static const PNP_LEGACY_DEVICE PnpLegacy8042 = {
    "ACPI\\PNP0303", LEGACY_IDS("ACPI\\PNP0303\0*PNP0303\0"), { 0x60, 0x64 }, 1,
};

typedef struct _LEGACY_PDO_EXTENSION {
    ULONG Magic;
    const PNP_LEGACY_DEVICE *Device;
} LEGACY_PDO_EXTENSION, *PLEGACY_PDO_EXTENSION;

static PDRIVER_OBJECT PnpLegacyDriver;
static ULONG PnpLegacyCount;

static NTSTATUS PnpLegacyDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLEGACY_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;
    ULONG_PTR info = Irp->IoStatus.Information;
    PWCHAR id;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE:          /* the device stays on the board; so does its PDO */
    case IRP_MN_QUERY_PNP_DEVICE_STATE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_ID:
        id = NULL;
        switch (stack->Parameters.QueryId.IdType) {
        case BusQueryDeviceID:
            id = NtstorMultiSzFromAscii(ext->Device->DeviceId, RtlAsciiLength(ext->Device->DeviceId) + 1,
                                        PNP_TAG_PCI);
            break;
        case BusQueryHardwareIDs:
            id = NtstorMultiSzFromAscii(ext->Device->HardwareIds, ext->Device->HardwareIdsBytes, PNP_TAG_PCI);
            break;
        case BusQueryInstanceID:
            id = NtstorMultiSzFromAscii("0", 2, PNP_TAG_PCI);
            break;
        default:
            goto done;                  /* no compatible IDs: the status stays */
        }
        status = id ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        info = (ULONG_PTR)id;
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;
        if (caps) {
            caps->Removable = 0;
            caps->UniqueID = 1;
            caps->SilentInstall = 1;
            status = STATUS_SUCCESS;
        }
        break;
    }
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation)
            status = NtstorTargetDeviceRelation(DeviceObject, PNP_TAG_PCI, &info);
        break;
    default:
        break;
    }
done:
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = info;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS PnpLegacyDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID PnpLegacyCreate(PDEVICE_NODE Root, const PNP_LEGACY_DEVICE *Device)
{
    CHAR ascii[40];
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PDEVICE_OBJECT pdo;
    PDEVICE_NODE node;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\NTPNP_LEGACY%04u", PnpLegacyCount);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(PnpLegacyDriver, sizeof(LEGACY_PDO_EXTENSION), &name,
                                FILE_DEVICE_BUS_EXTENDER, FILE_DEVICE_SECURE_OPEN, FALSE, &pdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: cannot create %s for %s: %s\n", ascii, Device->DeviceId, RtlNtStatusName(status));
        return;
    }
    PnpLegacyCount++;
    ((PLEGACY_PDO_EXTENSION)pdo->DeviceExtension)->Magic = LEGACY_PDO_MAGIC;
    ((PLEGACY_PDO_EXTENSION)pdo->DeviceExtension)->Device = Device;
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    ObReferenceObject(pdo);             /* the node's; the creation reference is ours */
    node = PnpCreateNode(Root, pdo);
    if (node == NULL) {
        ObDereferenceObject(pdo);
        IoDeleteDevice(pdo);
        return;
    }
    node->LegacyDevice = Device;
}

NTSTATUS PnpLegacyEnumerate(PDEVICE_NODE Root)
{
    static const WCHAR legacy[] = u"legacy";
    UNICODE_STRING name = { sizeof(legacy) - sizeof(WCHAR), sizeof(legacy), (PWCHAR)legacy };
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();
    NTSTATUS status;

    status = IopCreateDriverObject(&name, &PnpLegacyDriver);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: cannot create \\Driver\\legacy: %s\n", RtlNtStatusName(status));
        return status;
    }
    PnpLegacyDriver->Flags |= DRVO_BUILTIN_DRIVER | DRVO_INITIALIZED;
    PnpLegacyDriver->MajorFunction[IRP_MJ_PNP] = PnpLegacyDispatchPnp;
    PnpLegacyDriver->MajorFunction[IRP_MJ_POWER] = PnpLegacyDispatchPower;

    if (acpi->HaveBootArch && !(acpi->BootArch & ACPI_BOOT_ARCH_8042))
        DbgPrint("pnp: FADT IAPC_BOOT_ARCH 0x%x: no 8042, no PS/2 keyboard controller\n",
                 acpi->BootArch);
    else
        PnpLegacyCreate(Root, &PnpLegacy8042);
    return STATUS_SUCCESS;
}

static VOID PnpLegacyPort(PCM_PARTIAL_RESOURCE_DESCRIPTOR D, USHORT Port)
{
    D->Type = CmResourceTypePort;
    D->ShareDisposition = CmResourceShareDeviceExclusive;
    D->Flags = CM_RESOURCE_PORT_IO;
    D->u.Port.Start.QuadPart = Port;
    D->u.Port.Length = 1;
}

NTSTATUS PnpLegacyAssignResources(PDEVICE_NODE Node)
{
    const PNP_LEGACY_DEVICE *dev = Node->LegacyDevice;
    ULONG size = sizeof(CM_RESOURCE_LIST) + LEGACY_MAX_PORTS * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
    PCM_RESOURCE_LIST lists[2];
    ULONG gsi, vector;

    gsi = HalIsaIrqToGsi(dev->IsaIrq);
    /* ISA interrupts are edge-triggered, active high; an override for the
     * GSI wins inside HalRouteGsi. */
    vector = PnpAcquireLineVector(gsi, FALSE, FALSE);
    if (vector == 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    Node->IntxGsi = gsi;
    Node->IntxVector = vector;
    for (ULONG l = 0; l < 2; l++) {
        PCM_PARTIAL_RESOURCE_LIST partial;
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d;
        lists[l] = ExAllocatePoolZero(NonPagedPool, size, PNP_TAG_RESOURCE);
        if (lists[l] == NULL) {
            if (l == 1)
                ExFreePoolWithTag(lists[0], PNP_TAG_RESOURCE);
            PnpReleaseResources(Node);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        lists[l]->Count = 1;
        lists[l]->List[0].InterfaceType = Isa;
        partial = &lists[l]->List[0].PartialResourceList;
        partial->Version = 1;
        partial->Revision = 1;
        for (ULONG p = 0; p < LEGACY_MAX_PORTS && dev->Ports[p]; p++)
            PnpLegacyPort(&partial->PartialDescriptors[partial->Count++], dev->Ports[p]);
        d = &partial->PartialDescriptors[partial->Count++];
        d->Type = CmResourceTypeInterrupt;
        d->ShareDisposition = CmResourceShareDeviceExclusive;
        d->Flags = CM_RESOURCE_INTERRUPT_LATCHED;
        d->u.Interrupt.Affinity = 1;
        if (l == 0) {
            d->u.Interrupt.Level = dev->IsaIrq;
            d->u.Interrupt.Vector = dev->IsaIrq;
        } else {
            d->u.Interrupt.Level = PNP_DEVICE_IRQL;
            d->u.Interrupt.Vector = vector;
        }
    }
    Node->RawResources = lists[0];
    Node->TranslatedResources = lists[1];
    DbgPrint("pnp: %s: ports 0x%x 0x%x, IRQ %u = GSI %u, vector 0x%x irql %u\n", Node->InstancePath,
             dev->Ports[0], dev->Ports[1], dev->IsaIrq, gsi, vector, PNP_DEVICE_IRQL);
    return STATUS_SUCCESS;
}
