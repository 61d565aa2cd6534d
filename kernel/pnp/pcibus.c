/* pcibus.c - the PCI bus driver inside the kernel: \Driver\pci owns one
 * PDO (\Device\NTPNP_PCI<nnnn>) per function the HAL enumerated, and
 * answers IRP_MJ_PNP for it the way NT's pci.sys does for the subset
 * ntstor needs: IDs (PCI\VEN_vvvv&DEV_dddd&SUBSYS_ssssvvvv&REV_rr, ...),
 * capabilities, boot resources and resource requirements (pcires.c),
 * start (decode + bus master on), remove
 * (bus master, MSI off and INTx disabled: no DMA or interrupt outlives the
 * function driver), configuration space reads/writes.  Functions behind a
 * PCI-to-PCI bridge become children of the bridge's node.
 * QEMU: -M q35 has its ICH9 AHCI at 00:1f.2 (PCI\VEN_8086&DEV_2922). */
#include "pnpp.h"
#include <ntstor_busid.h>
#include <ntstor_targetrel.h>
#include <regs/pci.h>

#define PCI_PDO_MAGIC      0x50434950u   /* 'PCIP' */

typedef struct _PCI_PDO_EXTENSION {
    ULONG Magic;
    ULONG Index;                        /* HalPciGetFunction index */
    const HAL_PCI_FUNCTION *Function;
    BOOLEAN Started;
} PCI_PDO_EXTENSION, *PPCI_PDO_EXTENSION;

static PDRIVER_OBJECT PnpPciDriver;

#define CFG_ARGS(f) (f)->Segment, (f)->Bus, (f)->Device, (f)->Function

/* ---- configuration space helpers ---- */

static VOID PnpPciCommand(const HAL_PCI_FUNCTION *F, USHORT Set, USHORT Clear)
{
    USHORT cmd = HalPciRead16(CFG_ARGS(F), PCI_CFG_COMMAND);
    HalPciWrite16(CFG_ARGS(F), PCI_CFG_COMMAND, (USHORT)((cmd & ~Clear) | Set));
}

VOID PnpPciSetMsi(const HAL_PCI_FUNCTION *F, BOOLEAN Enable, ULONG64 Address, ULONG Data)
{
    USHORT cap = F->MsiCap, ctrl;
    BOOLEAN is64;

    if (cap == 0)
        return;
    ctrl = HalPciRead16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_CONTROL));
    is64 = (ctrl & PCI_MSI_CTRL_64BIT) != 0;
    if (!Enable) {
        HalPciWrite16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_CONTROL),
                      (USHORT)(ctrl & ~PCI_MSI_CTRL_ENABLE));
        return;
    }
    /* 6.8.1: program address and data while disabled, one message
     * (Multiple Message Enable, bits 6:4, = 0), unmask it, then enable. */
    ctrl &= (USHORT)~(PCI_MSI_CTRL_ENABLE | 0x0070);
    HalPciWrite16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_CONTROL), ctrl);
    HalPciWrite32(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_ADDRESS_LO), (ULONG)Address);
    if (is64) {
        HalPciWrite32(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_ADDRESS_HI), (ULONG)(Address >> 32));
        HalPciWrite16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_DATA_64), (USHORT)Data);
    } else {
        HalPciWrite16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_DATA_32), (USHORT)Data);
    }
    if (ctrl & PCI_MSI_CTRL_MASKABLE)   /* mask bits follow the data (+2 bytes reserved) */
        HalPciWrite32(CFG_ARGS(F), (USHORT)(cap + (is64 ? 0x10 : 0x0C)), 0);
    HalPciWrite16(CFG_ARGS(F), (USHORT)(cap + PCI_MSI_CONTROL),
                  (USHORT)(ctrl | PCI_MSI_CTRL_ENABLE));
    /* With MSI on, the function must not use INTx (6.8.1.3); say so in the
     * command register too, for functions that would. */
    PnpPciCommand(F, PCI_COMMAND_INTX_DISABLE, 0);
}

/* ---- IDs ---- */

static NTSTATUS PnpPciQueryId(PPCI_PDO_EXTENSION Ext, BUS_QUERY_ID_TYPE Type, PULONG_PTR Information)
{
    const HAL_PCI_FUNCTION *f = Ext->Function;
    NTSTOR_ID_LIST ids;
    CHAR venDev[32];

    NtstorIdListInit(&ids);
    RtlStringCbPrintfA(venDev, sizeof(venDev), "PCI\\VEN_%04X&DEV_%04X", f->VendorId, f->DeviceId);
    switch (Type) {
    case BusQueryDeviceID:
        NtstorIdListAdd(&ids, "%s&SUBSYS_%04X%04X&REV_%02X", venDev, f->SubSystemId, f->SubVendorId,
                        f->Revision);
        break;
    case BusQueryHardwareIDs:
        /* Most specific first (WDK "Identifiers for PCI Devices"). */
        NtstorIdListAdd(&ids, "%s&SUBSYS_%04X%04X&REV_%02X", venDev, f->SubSystemId, f->SubVendorId,
                        f->Revision);
        NtstorIdListAdd(&ids, "%s&SUBSYS_%04X%04X", venDev, f->SubSystemId, f->SubVendorId);
        NtstorIdListAdd(&ids, "%s", venDev);
        break;
    case BusQueryCompatibleIDs:
        NtstorIdListAdd(&ids, "%s&REV_%02X", venDev, f->Revision);
        NtstorIdListAdd(&ids, "PCI\\CC_%02X%02X%02X", f->ClassCode, f->SubClass, f->ProgIf);
        NtstorIdListAdd(&ids, "PCI\\CC_%02X%02X", f->ClassCode, f->SubClass);
        break;
    case BusQueryInstanceID:
        /* Unique on the bus: segment, bus, device/function as NT's "FA". */
        NtstorIdListAdd(&ids, "%X&%X&%02X", f->Segment, f->Bus, (f->Device << 3) | f->Function);
        break;
    default:
        return STATUS_NOT_SUPPORTED;
    }
    return NtstorIdListFinish(&ids, PNP_TAG_PCI, Information);
}

/* ---- the PDO's IRP_MJ_PNP ---- */

static NTSTATUS PnpPciConfigAccess(PPCI_PDO_EXTENSION Ext, PIO_STACK_LOCATION Stack,
                                   BOOLEAN Write, PULONG_PTR Information)
{
    const HAL_PCI_FUNCTION *f = Ext->Function;
    ULONG offset = Stack->Parameters.ReadWriteConfig.Offset;
    ULONG length = Stack->Parameters.ReadWriteConfig.Length;
    PUCHAR buffer = Stack->Parameters.ReadWriteConfig.Buffer;

    if (Stack->Parameters.ReadWriteConfig.WhichSpace != PCI_WHICHSPACE_CONFIG || buffer == NULL ||
        offset >= PCI_CONFIG_SPACE_LEGACY || length > PCI_CONFIG_SPACE_LEGACY - offset)
        return STATUS_INVALID_PARAMETER;
    for (ULONG i = 0; i < length; i++) {
        if (Write)
            HalPciWrite8(CFG_ARGS(f), (USHORT)(offset + i), buffer[i]);
        else
            buffer[i] = HalPciRead8(CFG_ARGS(f), (USHORT)(offset + i));
    }
    *Information = length;
    return STATUS_SUCCESS;
}

static NTSTATUS PnpPciDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PPCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    const HAL_PCI_FUNCTION *f = ext->Function;
    NTSTATUS status = Irp->IoStatus.Status;
    ULONG_PTR info = Irp->IoStatus.Information;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE: {
        USHORT set = PCI_COMMAND_MASTER;
        for (ULONG i = 0; i < 6; i++)
            if (f->Bars[i].Base && f->Bars[i].Size)
                set |= f->Bars[i].Io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
        PnpPciCommand(f, set, 0);
        ext->Started = TRUE;
        status = STATUS_SUCCESS;
        break;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_STOP_DEVICE:
        PnpPciCommand(f, 0, PCI_COMMAND_MASTER);
        ext->Started = FALSE;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE:
        /* The function stays on the bus (and so does its PDO), but nothing
         * it was told to do may continue: no DMA, no interrupts. */
        PnpPciSetMsi(f, FALSE, 0, 0);
        PnpPciCommand(f, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MASTER);
        ext->Started = FALSE;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_ID:
        status = PnpPciQueryId(ext, stack->Parameters.QueryId.IdType, &info);
        if (status == STATUS_NOT_SUPPORTED)
            status = Irp->IoStatus.Status;
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;
        if (caps) {
            caps->Address = ((ULONG)f->Device << 16) | f->Function;
            caps->UINumber = f->Device;
            caps->Removable = 0;
            caps->UniqueID = 0;
            caps->SilentInstall = 1;
            status = STATUS_SUCCESS;
        }
        break;
    }
    case IRP_MN_QUERY_RESOURCES: {
        PCM_RESOURCE_LIST list = PnpPciBuildBarList(f, 0, PNP_TAG_PCI);
        status = list ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        info = (ULONG_PTR)list;
        break;
    }
    case IRP_MN_QUERY_RESOURCE_REQUIREMENTS: {
        /* What the function can use, interrupt alternatives included
         * (pcires.c); the PnP manager frees the list. */
        PIO_RESOURCE_REQUIREMENTS_LIST list = PnpPciBuildRequirements(f, PNP_TAG_PCI);
        status = list ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        info = (ULONG_PTR)list;
        break;
    }
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation)
            status = NtstorTargetDeviceRelation(DeviceObject, PNP_TAG_PCI, &info);
        /* BusRelations: a PCI function has no children of its own; what
         * the function driver above put in the IRP stays. */
        break;
    case IRP_MN_QUERY_PNP_DEVICE_STATE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_READ_CONFIG:
    case IRP_MN_WRITE_CONFIG:
        status = PnpPciConfigAccess(ext, stack, stack->MinorFunction == IRP_MN_WRITE_CONFIG, &info);
        break;
    default:
        /* NT: a bus driver completes a PnP IRP it does not handle without
         * touching its status. */
        break;
    }
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = info;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

/* The function is always powered (D0). */
static NTSTATUS PnpPciDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

/* ---- enumeration ---- */

static NTSTATUS PnpPciCreatePdo(ULONG Index, const HAL_PCI_FUNCTION *F, PDEVICE_OBJECT *Pdo)
{
    CHAR ascii[40];
    WCHAR wide[40];
    UNICODE_STRING name = { 0, sizeof(wide), wide };
    PPCI_PDO_EXTENSION ext;
    NTSTATUS status;

    RtlStringCbPrintfA(ascii, sizeof(ascii), "\\Device\\NTPNP_PCI%04u", Index);
    status = RtlAsciiToUnicodeString(&name, ascii);
    if (NT_SUCCESS(status))
        status = IoCreateDevice(PnpPciDriver, sizeof(PCI_PDO_EXTENSION), &name,
                                FILE_DEVICE_BUS_EXTENDER, FILE_DEVICE_SECURE_OPEN, FALSE, Pdo);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pci: cannot create %s for %02x:%02x.%x: %s\n", ascii, F->Bus, F->Device,
                 F->Function, RtlNtStatusName(status));
        return status;
    }
    ext = (*Pdo)->DeviceExtension;
    ext->Magic = PCI_PDO_MAGIC;
    ext->Index = Index;
    ext->Function = F;
    (*Pdo)->Flags |= DO_BUS_ENUMERATED_DEVICE;
    (*Pdo)->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* The node of the bridge whose secondary bus is Bus, or Root. */
static PDEVICE_NODE PnpPciParentFor(PDEVICE_NODE Root, const HAL_PCI_FUNCTION *F)
{
    if (F->Bus == 0)
        return Root;
    for (PDEVICE_NODE n = Root->Child; n; n = n->Sibling) {
        const HAL_PCI_FUNCTION *b = n->PciFunction;
        if (b && b->Segment == F->Segment &&
            (b->HeaderType & PCI_HEADER_TYPE_MASK) == PCI_HEADER_BRIDGE &&
            HalPciRead8(CFG_ARGS(b), PCI_CFG_SECONDARY_BUS) == F->Bus)
            return n;
    }
    return Root;
}

NTSTATUS PnpPciEnumerate(PDEVICE_NODE Root)
{
    static const WCHAR pci[] = u"pci";
    UNICODE_STRING name = { sizeof(pci) - sizeof(WCHAR), sizeof(pci), (PWCHAR)pci };
    ULONG count = HalPciFunctionCount();
    NTSTATUS status;

    status = IopCreateDriverObject(&name, &PnpPciDriver);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: cannot create \\Driver\\pci: %s\n", RtlNtStatusName(status));
        return status;
    }
    PnpPciDriver->Flags |= DRVO_BUILTIN_DRIVER | DRVO_INITIALIZED;
    PnpPciDriver->MajorFunction[IRP_MJ_PNP] = PnpPciDispatchPnp;
    PnpPciDriver->MajorFunction[IRP_MJ_POWER] = PnpPciDispatchPower;

    for (ULONG i = 0; i < count; i++) {
        const HAL_PCI_FUNCTION *f = HalPciGetFunction(i);
        PDEVICE_OBJECT pdo;
        PDEVICE_NODE node;
        if (f == NULL)
            continue;
        if (!NT_SUCCESS(PnpPciCreatePdo(i, f, &pdo)))
            continue;
        /* Bridges come before the functions behind them (the HAL walks
         * depth-first), so the parent already has its node. */
        /* The node holds its own reference; the creation reference is the
         * bus driver's (IoDeleteDevice would drop it). */
        ObReferenceObject(pdo);
        node = PnpCreateNode(PnpPciParentFor(Root, f), pdo);
        if (node == NULL) {
            DbgPrint("pnp: no memory for the node of %02x:%02x.%x\n", f->Bus, f->Device, f->Function);
            ObDereferenceObject(pdo);
            IoDeleteDevice(pdo);
            continue;
        }
        node->PciFunction = f;
    }
    return STATUS_SUCCESS;
}
