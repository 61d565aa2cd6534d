/* resources.c - resource assignment for PCI functions: the BARs as
 * firmware programmed them (ntstor does not move BARs), plus interrupts:
 * an MSI message (vector allocated, capability programmed and enabled)
 * when offered, and the INTx line routed through the IOAPIC.  What exactly
 * a driver receives is described in pnp.h ("What a driver receives").
 *
 * INTx lines are shared: every function on one GSI gets the same vector
 * (the IOAPIC entry names one).  PnpIntxLines counts the users of each
 * routed GSI; the last one to go masks the entry and frees the vector.
 * Touched only under the PnP manager's serialization. */
#include "pnpp.h"
#include <regs/pci.h>

#define PNP_MAX_INTX_LINES 32
#define PNP_NO_GSI         0xFFFFFFFFu
#define PNP_MODE_CHARS     16

typedef struct _PNP_INTX_LINE {
    ULONG Gsi;
    ULONG Vector;
    ULONG Users;
} PNP_INTX_LINE;

static PNP_INTX_LINE PnpIntxLines[PNP_MAX_INTX_LINES];

/* MSI is offered unless the service's Parameters\InterruptMode says Intx
 * or Poll (DESIGN.md, system.cfg). */
static BOOLEAN PnpServiceWantsMsi(PCSTR Service)
{
    WCHAR path[sizeof(CM_SERVICES_PATH) / sizeof(WCHAR) + PNP_SERVICE_CHARS + 1];
    WCHAR mode[PNP_MODE_CHARS];
    UNICODE_STRING key = { 0, sizeof(path), path };
    static const UNICODE_STRING intx = RTL_CONSTANT_STRING(u"Intx"), poll = RTL_CONSTANT_STRING(u"Poll");
    HANDLE svc, par;
    BOOLEAN msi = TRUE;

    RtlCopyMemory(path, CM_SERVICES_PATH u"\\", sizeof(CM_SERVICES_PATH u"\\"));
    key.Length = sizeof(CM_SERVICES_PATH u"\\") - sizeof(WCHAR);
    for (ULONG i = 0; Service[i] && key.Length + 2 * sizeof(WCHAR) <= key.MaximumLength; i++) {
        path[key.Length / sizeof(WCHAR)] = (WCHAR)(UCHAR)Service[i];
        key.Length += sizeof(WCHAR);
    }
    path[key.Length / sizeof(WCHAR)] = 0;
    if (!NT_SUCCESS(CmOpenKey(&key, &svc)))
        return TRUE;
    if (NT_SUCCESS(CmOpenSubKey(svc, u"Parameters", &par))) {
        if (NT_SUCCESS(CmQueryValueString(par, u"InterruptMode", mode, sizeof(mode), u"Msi"))) {
            UNICODE_STRING value;
            RtlInitUnicodeString(&value, mode);
            msi = !RtlEqualUnicodeString(&value, &intx, TRUE) && !RtlEqualUnicodeString(&value, &poll, TRUE);
        }
        CmCloseKey(par);
    }
    CmCloseKey(svc);
    return msi;
}

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

static PCM_PARTIAL_RESOURCE_DESCRIPTOR PnpNextDescriptor(PCM_RESOURCE_LIST List)
{
    PCM_PARTIAL_RESOURCE_LIST partial = &List->List[0].PartialResourceList;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &partial->PartialDescriptors[partial->Count++];
    RtlZeroMemory(d, sizeof(*d));
    return d;
}

/* Adds the MSI descriptors and programs the capability. */
static VOID PnpAssignMsi(PDEVICE_NODE Node, const HAL_PCI_FUNCTION *F)
{
    PCM_PARTIAL_RESOURCE_DESCRIPTOR raw, xlat;
    ULONG64 address;
    ULONG data, vector;

    vector = KeAllocateVector(PNP_DEVICE_IRQL);
    if (vector == 0) {
        DbgPrint("pnp: %s: no vector left for MSI\n", Node->InstancePath);
        return;
    }
    HalComposeMsi(vector, &address, &data);
    PnpPciSetMsi(F, TRUE, address, data);
    Node->MsiVector = vector;

    raw = PnpNextDescriptor(Node->RawResources);
    xlat = PnpNextDescriptor(Node->TranslatedResources);
    raw->Type = xlat->Type = CmResourceTypeInterrupt;
    raw->ShareDisposition = xlat->ShareDisposition = CmResourceShareDeviceExclusive;
    raw->Flags = xlat->Flags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
    raw->u.MessageInterrupt.Raw.MessageCount = 1;
    raw->u.MessageInterrupt.Raw.Vector = data;
    raw->u.MessageInterrupt.Raw.Affinity = 1;
    xlat->u.MessageInterrupt.Translated.Level = PNP_DEVICE_IRQL;
    xlat->u.MessageInterrupt.Translated.Vector = vector;
    xlat->u.MessageInterrupt.Translated.Affinity = 1;
    DbgPrint("pnp: %s: MSI vector 0x%x irql %u (address 0x%llx data 0x%x)\n", Node->InstancePath,
             vector, PNP_DEVICE_IRQL, (unsigned long long)address, data);
}

static VOID PnpAssignIntx(PDEVICE_NODE Node, const HAL_PCI_FUNCTION *F)
{
    PCM_PARTIAL_RESOURCE_DESCRIPTOR raw, xlat;
    ULONG gsi, vector;

    if (F->InterruptPin == 0)
        return;
    gsi = HalPciInterruptGsi(F);
    if (gsi == PNP_NO_GSI) {
        DbgPrint("pnp: %s: INTx%c: GSI unknown (interrupt line %u); no line interrupt\n",
                 Node->InstancePath, 'A' + F->InterruptPin - 1, F->InterruptLine);
        return;
    }
    /* PCI INTx: level-triggered, active low (PCI 3.0 2.2.6). */
    vector = PnpAcquireLineVector(gsi, TRUE, TRUE);
    if (vector == 0)
        return;
    Node->IntxGsi = gsi;
    Node->IntxVector = vector;

    raw = PnpNextDescriptor(Node->RawResources);
    xlat = PnpNextDescriptor(Node->TranslatedResources);
    raw->Type = xlat->Type = CmResourceTypeInterrupt;
    raw->ShareDisposition = xlat->ShareDisposition = CmResourceShareShared;
    raw->Flags = xlat->Flags = CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
    raw->u.Interrupt.Level = (USHORT)gsi;
    raw->u.Interrupt.Vector = gsi;
    raw->u.Interrupt.Affinity = 1;
    xlat->u.Interrupt.Level = PNP_DEVICE_IRQL;
    xlat->u.Interrupt.Vector = vector;
    xlat->u.Interrupt.Affinity = 1;
    DbgPrint("pnp: %s: INTx%c GSI %u vector 0x%x irql %u\n", Node->InstancePath,
             'A' + F->InterruptPin - 1, gsi, vector, PNP_DEVICE_IRQL);
}

NTSTATUS PnpAssignResources(PDEVICE_NODE Node)
{
    const HAL_PCI_FUNCTION *f = Node->PciFunction;
    BOOLEAN msi;

    if (Node->LegacyDevice)
        return PnpLegacyAssignResources(Node);
    if (f == NULL)
        return STATUS_SUCCESS;      /* bus-enumerated children: no resources */
    msi = f->MsiCap != 0 && PnpServiceWantsMsi(Node->Service);
    Node->RawResources = PnpPciBuildBarList(f, 2, PNP_TAG_RESOURCE);
    Node->TranslatedResources = PnpPciBuildBarList(f, 2, PNP_TAG_RESOURCE);
    if (Node->RawResources == NULL || Node->TranslatedResources == NULL) {
        PnpReleaseResources(Node);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* MSI first: drivers take the first interrupt descriptor they can use. */
    if (msi)
        PnpAssignMsi(Node, f);
    else if (f->MsiCap)
        PnpPciSetMsi(f, FALSE, 0, 0);
    if (Node->MsiVector == 0)
        HalPciWrite16(f->Segment, f->Bus, f->Device, f->Function, PCI_CFG_COMMAND,
                      (USHORT)(HalPciRead16(f->Segment, f->Bus, f->Device, f->Function,
                                            PCI_CFG_COMMAND) & ~PCI_COMMAND_INTX_DISABLE));
    PnpAssignIntx(Node, f);
    return STATUS_SUCCESS;
}

VOID PnpReleaseResources(PDEVICE_NODE Node)
{
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
