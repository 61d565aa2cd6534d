/* pcires.c - a PCI function's resources as its bus driver (pcibus.c)
 * reports them: the BARs firmware programmed as a CM_RESOURCE_LIST
 * (IRP_MN_QUERY_RESOURCES, and the start lists' first descriptors), and
 * the IO_RESOURCE_REQUIREMENTS_LIST for IRP_MN_QUERY_RESOURCE_REQUIREMENTS:
 * every BAR as a fixed range (ntstor never moves a BAR), then the
 * interrupt -- MSI preferred, the INTx line as its alternative.  Pure
 * (configuration space is read from the HAL's snapshot, nothing is
 * written), so the host tests build the same lists (tests/unit/pnp_resources.mk). */
#include "pnpp.h"

#define PCI_BAR_COUNT 6

/* A BAR the lists describe: present and with a Length that fits a ULONG. */
static BOOLEAN PnpPciBarUsable(const HAL_PCI_FUNCTION *F, ULONG Index, BOOLEAN Log)
{
    const HAL_PCI_BAR *bar = &F->Bars[Index];

    if (!bar->Base || !bar->Size)
        return FALSE;
    if (bar->Size > 0xFFFFFFFFull) {
        if (Log)
            DbgPrint("pci: %02x:%02x.%x BAR%u: %llu bytes does not fit a resource; skipped\n",
                     F->Bus, F->Device, F->Function, Index, (unsigned long long)bar->Size);
        return FALSE;
    }
    return TRUE;
}

PCM_RESOURCE_LIST PnpPciBuildBarList(const HAL_PCI_FUNCTION *F, ULONG Extra, ULONG Tag)
{
    ULONG count = 0, size;
    PCM_RESOURCE_LIST list;
    PCM_PARTIAL_RESOURCE_LIST partial;

    for (ULONG i = 0; i < PCI_BAR_COUNT; i++)
        if (F->Bars[i].Base && F->Bars[i].Size)
            count++;
    size = sizeof(CM_RESOURCE_LIST) + (count + Extra) * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
    list = ExAllocatePoolZero(NonPagedPool, size, Tag);
    if (list == NULL)
        return NULL;
    list->Count = 1;
    list->List[0].InterfaceType = PCIBus;
    list->List[0].BusNumber = F->Bus;
    partial = &list->List[0].PartialResourceList;
    partial->Version = 1;
    partial->Revision = 1;
    for (ULONG i = 0; i < PCI_BAR_COUNT; i++) {
        const HAL_PCI_BAR *bar = &F->Bars[i];
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d;
        if (!PnpPciBarUsable(F, i, TRUE))
            continue;
        d = NtstorCmDescriptor(partial, partial->Count++);
        d->ShareDisposition = CmResourceShareDeviceExclusive;
        if (bar->Io) {
            d->Type = CmResourceTypePort;
            d->Flags = CM_RESOURCE_PORT_IO;
            d->u.Port.Start.QuadPart = (LONGLONG)bar->Base;
            d->u.Port.Length = (ULONG)bar->Size;
        } else {
            d->Type = CmResourceTypeMemory;
            d->Flags = CM_RESOURCE_MEMORY_READ_WRITE |
                       (bar->Prefetchable ? CM_RESOURCE_MEMORY_PREFETCHABLE : 0);
            d->u.Memory.Start.QuadPart = (LONGLONG)bar->Base;
            d->u.Memory.Length = (ULONG)bar->Size;
        }
    }
    return list;
}

PIO_RESOURCE_REQUIREMENTS_LIST PnpPciBuildRequirements(const HAL_PCI_FUNCTION *F, ULONG Tag)
{
    PIO_RESOURCE_REQUIREMENTS_LIST req;
    PIO_RESOURCE_DESCRIPTOR d;
    ULONG count = 0, gsi = PNP_NO_GSI;

    for (ULONG i = 0; i < PCI_BAR_COUNT; i++)
        count += PnpPciBarUsable(F, i, FALSE);
    if (F->MsiCap)
        count++;
    /* The line is offered only when the GSI is known: a pin the firmware
     * left unrouted (interrupt line 0xFF) has nowhere to go. */
    if (F->InterruptPin) {
        gsi = HalPciInterruptGsi(F);
        if (gsi == PNP_NO_GSI)
            DbgPrint("pci: %02x:%02x.%x INT%c: GSI unknown (interrupt line %u); no line interrupt offered\n",
                     F->Bus, F->Device, F->Function, 'A' + F->InterruptPin - 1, F->InterruptLine);
        else
            count++;
    }
    req = PnpAllocateRequirements(PCIBus, F->Bus, ((ULONG)F->Device << 3) | F->Function, count, Tag);
    if (req == NULL)
        return NULL;

    for (ULONG i = 0; i < PCI_BAR_COUNT; i++) {
        const HAL_PCI_BAR *bar = &F->Bars[i];
        if (!PnpPciBarUsable(F, i, FALSE))
            continue;
        d = NtstorIoDescriptor(&req->List[0], req->List[0].Count++);
        d->ShareDisposition = CmResourceShareDeviceExclusive;
        d->Type = bar->Io ? CmResourceTypePort : CmResourceTypeMemory;
        d->Flags = bar->Io ? CM_RESOURCE_PORT_IO
                           : CM_RESOURCE_MEMORY_READ_WRITE |
                             (bar->Prefetchable ? CM_RESOURCE_MEMORY_PREFETCHABLE : 0);
        /* Fixed where firmware put it: the window is exactly the BAR. */
        d->u.Generic.Length = (ULONG)bar->Size;
        d->u.Generic.Alignment = 1;
        d->u.Generic.MinimumAddress.QuadPart = (LONGLONG)bar->Base;
        d->u.Generic.MaximumAddress.QuadPart = (LONGLONG)(bar->Base + bar->Size - 1);
    }
    if (F->MsiCap) {
        /* One message, edge (MSI is a write, PCI 3.0 6.8), exclusive. */
        d = NtstorIoDescriptor(&req->List[0], req->List[0].Count++);
        d->Option = IO_RESOURCE_PREFERRED;
        d->Type = CmResourceTypeInterrupt;
        d->ShareDisposition = CmResourceShareDeviceExclusive;
        d->Flags = CM_RESOURCE_INTERRUPT_MESSAGE | CM_RESOURCE_INTERRUPT_LATCHED;
        d->u.Interrupt.MinimumVector = CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN;
        d->u.Interrupt.MaximumVector = CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN;
        d->u.Interrupt.TargetedProcessors = 1;
    }
    if (gsi != PNP_NO_GSI) {
        /* INTx: level, active low, shared with the line's other functions
         * (PCI 3.0 2.2.6); the alternative to MSI when both exist. */
        d = NtstorIoDescriptor(&req->List[0], req->List[0].Count++);
        d->Option = F->MsiCap ? IO_RESOURCE_ALTERNATIVE : 0;
        d->Type = CmResourceTypeInterrupt;
        d->ShareDisposition = CmResourceShareShared;
        d->Flags = CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
        d->u.Interrupt.MinimumVector = gsi;
        d->u.Interrupt.MaximumVector = gsi;
        d->u.Interrupt.TargetedProcessors = 1;
    }
    return req;
}
