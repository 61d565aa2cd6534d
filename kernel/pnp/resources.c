/* resources.c - resource assignment before START, NT's way round: the bus
 * driver says what the device can use (IRP_MN_QUERY_RESOURCE_REQUIREMENTS;
 * for PCI, pcires.c: the BARs as firmware programmed them -- ntstor does not
 * move BARs -- and MSI preferred over the INTx line), the stack's drivers
 * may filter that (IRP_MN_FILTER_RESOURCE_REQUIREMENTS: ahci and usbxhci
 * drop MSI when their Parameters\InterruptMode says Intx or Poll), and this
 * file takes, per resource, the first alternative it can satisfy
 * (reqlist.c walks the list): MSI needs a free vector, and gets the
 * function's capability programmed and enabled; the line needs its GSI
 * routed.  What exactly a driver receives is described in pnp.h ("What a
 * driver receives").
 *
 * INTx lines are shared: every function on one GSI gets the same vector
 * (the IOAPIC entry names one).  PnpIntxLines counts the users of each
 * routed GSI; the last one to go masks the entry and frees the vector.
 * Touched only under the PnP manager's serialization. */
#include "pnpp.h"
#include <regs/pci.h>

#define PNP_MAX_INTX_LINES 32

typedef struct _PNP_INTX_LINE {
    ULONG Gsi;
    ULONG Vector;
    ULONG Users;
} PNP_INTX_LINE;

static PNP_INTX_LINE PnpIntxLines[PNP_MAX_INTX_LINES];

ULONG PnpAcquireLineVector(ULONG Gsi, BOOLEAN LevelTriggered, BOOLEAN ActiveLow)
{
    PNP_INTX_LINE *free = NULL;
    NTSTATUS status;

    for (ULONG i = 0; i < PNP_MAX_INTX_LINES; i++) {
        if (PnpIntxLines[i].Users && PnpIntxLines[i].Gsi == Gsi) {
            PnpIntxLines[i].Users++;
            return PnpIntxLines[i].Vector;
        }
        if (!PnpIntxLines[i].Users && free == NULL)
            free = &PnpIntxLines[i];
    }
    if (free == NULL) {
        DbgPrint("pnp: more than %u INTx lines in use; GSI %u not routed\n", PNP_MAX_INTX_LINES, Gsi);
        return 0;
    }
    free->Vector = KeAllocateVector(PNP_DEVICE_IRQL);
    if (free->Vector == 0) {
        DbgPrint("pnp: no vector left at IRQL %u for GSI %u\n", PNP_DEVICE_IRQL, Gsi);
        return 0;
    }
    /* A MADT override for the GSI wins inside HalRouteGsi. */
    status = HalRouteGsi(Gsi, free->Vector, LevelTriggered, ActiveLow);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: cannot route GSI %u: %s\n", Gsi, RtlNtStatusName(status));
        KeFreeVector(free->Vector);
        free->Vector = 0;
        return 0;
    }
    free->Gsi = Gsi;
    free->Users = 1;
    return free->Vector;
}

static VOID PnpReleaseIntxVector(ULONG Gsi)
{
    for (ULONG i = 0; i < PNP_MAX_INTX_LINES; i++) {
        PNP_INTX_LINE *line = &PnpIntxLines[i];
        if (!line->Users || line->Gsi != Gsi)
            continue;
        if (--line->Users == 0) {
            HalMaskGsi(Gsi, TRUE);
            KeFreeVector(line->Vector);
            line->Vector = 0;
        }
        return;
    }
}

/* ---- satisfying one alternative (PNP_ASSIGN_OPS) ---- */

typedef struct _PNP_ASSIGN_CONTEXT {
    PDEVICE_NODE Node;
    const HAL_PCI_FUNCTION *Function;   /* NULL for a node that is no PCI function */
} PNP_ASSIGN_CONTEXT;

/* A BAR's window: fixed, so the start is its minimum.  ntstor maps bus
 * addresses 1:1, so raw and translated agree. */
static BOOLEAN PnpSatisfyRange(const IO_RESOURCE_DESCRIPTOR *Io, PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw,
                               PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated)
{
    ULONG64 min = (ULONG64)Io->u.Generic.MinimumAddress.QuadPart;
    ULONG64 max = (ULONG64)Io->u.Generic.MaximumAddress.QuadPart;

    if (Io->u.Generic.Length == 0 || max < min || max - min < Io->u.Generic.Length - 1)
        return FALSE;
    Raw->Type = Io->Type;
    Raw->ShareDisposition = Io->ShareDisposition;
    Raw->Flags = Io->Flags;
    Raw->u.Generic.Start.QuadPart = (LONGLONG)min;
    Raw->u.Generic.Length = Io->u.Generic.Length;
    *Translated = *Raw;
    return TRUE;
}

/* MSI: a vector, the capability programmed (one message) and enabled. */
static BOOLEAN PnpSatisfyMessage(PNP_ASSIGN_CONTEXT *C, const IO_RESOURCE_DESCRIPTOR *Io,
                                 PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw, PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated)
{
    PDEVICE_NODE node = C->Node;
    ULONG64 address;
    ULONG data, vector;

    /* Only a PCI function has an MSI capability to program; one message. */
    if (C->Function == NULL || C->Function->MsiCap == 0 || node->MsiVector)
        return FALSE;
    vector = KeAllocateVector(PNP_DEVICE_IRQL);
    if (vector == 0) {
        DbgPrint("pnp: %s: no vector left for MSI; trying the next alternative\n", node->InstancePath);
        return FALSE;
    }
    HalComposeMsi(vector, &address, &data);
    PnpPciSetMsi(C->Function, TRUE, address, data);
    node->MsiVector = vector;

    Raw->Type = Translated->Type = CmResourceTypeInterrupt;
    Raw->ShareDisposition = Translated->ShareDisposition = CmResourceShareDeviceExclusive;
    Raw->Flags = Translated->Flags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
    Raw->u.MessageInterrupt.Raw.MessageCount = 1;
    Raw->u.MessageInterrupt.Raw.Vector = data;
    Raw->u.MessageInterrupt.Raw.Affinity = 1;
    Translated->u.MessageInterrupt.Translated.Level = PNP_DEVICE_IRQL;
    Translated->u.MessageInterrupt.Translated.Vector = vector;
    Translated->u.MessageInterrupt.Translated.Affinity = 1;
    DbgPrint("pnp: %s: MSI vector 0x%x irql %u (address 0x%llx data 0x%x)\n", node->InstancePath,
             vector, PNP_DEVICE_IRQL, (unsigned long long)address, data);
    return TRUE;
}

/* A line: its GSI routed (shared vector).  Level-triggered lines are
 * active low (PCI INTx, PCI 3.0 2.2.6), edge ones active high (ISA); a
 * MADT override wins inside HalRouteGsi.  Describe FALSE: routed for a
 * driver's fallback only (PnpPassedOver), not in the start lists. */
static BOOLEAN PnpRouteLine(PNP_ASSIGN_CONTEXT *C, const IO_RESOURCE_DESCRIPTOR *Io, BOOLEAN Describe)
{
    PDEVICE_NODE node = C->Node;
    BOOLEAN level = !(Io->Flags & CM_RESOURCE_INTERRUPT_LATCHED);
    ULONG gsi = Io->u.Interrupt.MinimumVector, vector;
    CHAR name[8] = "line";

    if (C->Function && C->Function->InterruptPin)
        RtlStringCbPrintfA(name, sizeof(name), "INTx%c", 'A' + C->Function->InterruptPin - 1);
    if (node->IntxVector) {
        /* The node keeps one line; a second one (another resource) has
         * nowhere to be recorded. */
        if (node->IntxGsi != gsi)
            DbgPrint("pnp: %s: a second line (GSI %u) is not supported\n", node->InstancePath, gsi);
        return FALSE;
    }
    vector = PnpAcquireLineVector(gsi, level, level);
    if (vector == 0)
        return FALSE;
    node->IntxGsi = gsi;
    node->IntxVector = vector;
    if (Describe)
        DbgPrint("pnp: %s: %s GSI %u vector 0x%x irql %u\n", node->InstancePath, name, gsi, vector,
                 PNP_DEVICE_IRQL);
    else
        DbgPrint("pnp: %s: %s GSI %u vector 0x%x irql %u routed for a fallback (MSI assigned)\n",
                 node->InstancePath, name, gsi, vector, PNP_DEVICE_IRQL);
    return TRUE;
}

static BOOLEAN PnpSatisfyLine(PNP_ASSIGN_CONTEXT *C, const IO_RESOURCE_DESCRIPTOR *Io,
                              PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw, PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated)
{
    if (!PnpRouteLine(C, Io, TRUE))
        return FALSE;
    Raw->Type = Translated->Type = CmResourceTypeInterrupt;
    Raw->ShareDisposition = Translated->ShareDisposition = Io->ShareDisposition;
    Raw->Flags = Translated->Flags = Io->Flags & CM_RESOURCE_INTERRUPT_LATCHED;
    Raw->u.Interrupt.Level = (USHORT)C->Node->IntxGsi;
    Raw->u.Interrupt.Vector = C->Node->IntxGsi;
    Raw->u.Interrupt.Affinity = 1;
    Translated->u.Interrupt.Level = PNP_DEVICE_IRQL;
    Translated->u.Interrupt.Vector = C->Node->IntxVector;
    Translated->u.Interrupt.Affinity = 1;
    return TRUE;
}

static BOOLEAN PnpSatisfy(PVOID Context, const IO_RESOURCE_DESCRIPTOR *Io, PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw,
                          PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated)
{
    PNP_ASSIGN_CONTEXT *c = Context;

    switch (Io->Type) {
    case CmResourceTypeMemory:
    case CmResourceTypePort:
        return PnpSatisfyRange(Io, Raw, Translated);
    case CmResourceTypeInterrupt:
        if (Io->Flags & CM_RESOURCE_INTERRUPT_MESSAGE)
            return PnpSatisfyMessage(c, Io, Raw, Translated);
        return PnpSatisfyLine(c, Io, Raw, Translated);
    default:
        DbgPrint("pnp: %s: resource type %u is not assigned\n", c->Node->InstancePath, Io->Type);
        return FALSE;
    }
}

/* MSI chosen, the line passed over: route it anyway, undescribed.
 * Drivers rely on it -- IoConnectInterruptEx(CONNECT_LINE_BASED) finds it
 * through the node (kernel/io/intrex.c), and ahci falls back from a
 * silent MSI to INTx at run time (drivers/ahci/mode.c).  Only while the
 * filtered list still offers the line: a driver that dropped it gets none. */
static VOID PnpPassedOver(PVOID Context, const IO_RESOURCE_DESCRIPTOR *Io, const IO_RESOURCE_DESCRIPTOR *Chosen)
{
    if (Io->Type == CmResourceTypeInterrupt && !(Io->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) &&
        (Chosen->Flags & CM_RESOURCE_INTERRUPT_MESSAGE))
        (VOID)PnpRouteLine(Context, Io, FALSE);
}

static const PNP_ASSIGN_OPS PnpAssignOps = { PnpSatisfy, PnpPassedOver };

/* ---- the two IRPs ---- */

/* The bus driver's answer, validated; NULL when the device needs nothing
 * (nobody answered: STATUS_NOT_SUPPORTED).  The list is ours to free. */
static NTSTATUS PnpQueryRequirements(PDEVICE_NODE Node, PIO_RESOURCE_REQUIREMENTS_LIST *Requirements)
{
    ULONG_PTR info = 0;
    NTSTATUS status = PnpSendIrp(Node->Pdo, IRP_MN_QUERY_RESOURCE_REQUIREMENTS, NULL, 0, &info);
    PIO_RESOURCE_REQUIREMENTS_LIST req = (PIO_RESOURCE_REQUIREMENTS_LIST)info;

    *Requirements = NULL;
    if (!NT_SUCCESS(status)) {
        if (req)
            ExFreePool(req);
        if (status == STATUS_NOT_SUPPORTED)
            return STATUS_SUCCESS;
        DbgPrint("pnp: %s: QUERY_RESOURCE_REQUIREMENTS: %s\n", Node->InstancePath, RtlNtStatusName(status));
        return status;
    }
    if (req && !PnpRequirementsValid(req)) {
        DbgPrint("pnp: %s: the bus driver's requirements list is malformed (ListSize %u, count %u)\n",
                 Node->InstancePath, req->ListSize, req->List[0].Count);
        ExFreePool(req);
        return STATUS_INVALID_PARAMETER;
    }
    *Requirements = req;
    return STATUS_SUCCESS;
}

/* IRP_MN_FILTER_RESOURCE_REQUIREMENTS to the top of the stack (upper
 * filters pass it through to the function driver, which handles it on the
 * way back up).  *Requirements becomes the list to assign from; a driver
 * that replaced the list freed the old one (WDK), so it is not freed here. */
static NTSTATUS PnpFilterRequirements(PDEVICE_NODE Node, PIO_RESOURCE_REQUIREMENTS_LIST *Requirements)
{
    PIO_RESOURCE_REQUIREMENTS_LIST original = *Requirements, filtered;
    ULONG_PTR info = (ULONG_PTR)original;
    NTSTATUS status;

    status = PnpSendIrp(Node->Pdo, IRP_MN_FILTER_RESOURCE_REQUIREMENTS, &original, sizeof(original), &info);
    filtered = PnpFilteredRequirements(original, status, info);
    *Requirements = NULL;
    if (filtered && !PnpRequirementsValid(filtered)) {
        DbgPrint("pnp: %s: the filtered requirements list is malformed (ListSize %u, count %u)\n",
                 Node->InstancePath, filtered->ListSize, filtered->List[0].Count);
        ExFreePool(filtered);
        return STATUS_INVALID_PARAMETER;
    }
    if (filtered != original)
        DbgPrint("pnp: %s: requirements replaced by a driver of the stack (%s)\n", Node->InstancePath,
                 RtlNtStatusName(status));
    *Requirements = filtered;
    return STATUS_SUCCESS;
}

NTSTATUS PnpAssignResources(PDEVICE_NODE Node)
{
    PNP_ASSIGN_CONTEXT ctx = { Node, Node->PciFunction };
    const HAL_PCI_FUNCTION *f = Node->PciFunction;
    PIO_RESOURCE_REQUIREMENTS_LIST req;
    ULONG unsatisfied = 0;
    NTSTATUS status;

    if (Node->LegacyDevice)
        return PnpLegacyAssignResources(Node);
    status = PnpQueryRequirements(Node, &req);
    if (!NT_SUCCESS(status))
        return status;
    PnpDescribeInterrupts(req, Node->IrqOffered, sizeof(Node->IrqOffered));
    /* NT sends the filter IRP even for a device that needs nothing (the
     * list is then NULL): a driver may add what its device uses. */
    status = PnpFilterRequirements(Node, &req);
    if (!NT_SUCCESS(status))
        return status;
    PnpDescribeInterrupts(req, Node->IrqFiltered, sizeof(Node->IrqFiltered));
    if (req == NULL)
        return STATUS_SUCCESS;      /* bus-enumerated children: no resources */

    status = PnpAssignRequirements(req, &PnpAssignOps, &ctx, PNP_TAG_RESOURCE, &Node->RawResources,
                                   &Node->TranslatedResources, &unsatisfied);
    if (unsatisfied)
        /* ntstor starts the device anyway (NT would not): a storage
         * controller without an interrupt still works polled. */
        DbgPrint("pnp: %s: %u resource(s) could not be assigned; starting without\n", Node->InstancePath,
                 unsatisfied);
    if (NT_SUCCESS(status) && f) {
        /* Without MSI the function signals by INTx: MSI off (while it is
         * on the function may not assert INTx, PCI 3.0 6.8.1.3), INTx
         * Disable cleared. */
        if (Node->MsiVector == 0) {
            if (f->MsiCap)
                PnpPciSetMsi(f, FALSE, 0, 0);
            HalPciWrite16(f->Segment, f->Bus, f->Device, f->Function, PCI_CFG_COMMAND,
                          (USHORT)(HalPciRead16(f->Segment, f->Bus, f->Device, f->Function,
                                                PCI_CFG_COMMAND) & ~PCI_COMMAND_INTX_DISABLE));
        }
    }
    ExFreePool(req);
    if (!NT_SUCCESS(status))
        PnpReleaseResources(Node);
    return status;
}

VOID PnpReleaseResources(PDEVICE_NODE Node)
{
    Node->IrqOffered[0] = Node->IrqFiltered[0] = 0;
    if (Node->MsiVector) {
        /* The PDO's REMOVE disabled MSI already; make sure before the
         * vector can be handed to someone else. */
        if (Node->PciFunction)
            PnpPciSetMsi(Node->PciFunction, FALSE, 0, 0);
        KeFreeVector(Node->MsiVector);
        Node->MsiVector = 0;
    }
    if (Node->IntxVector) {
        PnpReleaseIntxVector(Node->IntxGsi);
        Node->IntxVector = 0;
    }
    if (Node->RawResources) {
        ExFreePoolWithTag(Node->RawResources, PNP_TAG_RESOURCE);
        Node->RawResources = NULL;
    }
    if (Node->TranslatedResources) {
        ExFreePoolWithTag(Node->TranslatedResources, PNP_TAG_RESOURCE);
        Node->TranslatedResources = NULL;
    }
}
