/* intrex.c - IoConnectInterruptEx / IoDisconnectInterruptEx
 * (include/wdm/intrex.h): connect a PDO's interrupt by kind, the vectors
 * read from the PnP manager's node (kernel/include/pnp.h) rather than from
 * a descriptor the driver picked out of its start resources. */
#include "iop.h"
#include <pnp.h>
#include <hal.h>

#define IOP_TAG_MSGTABLE NTSTOR_TAG('I', 'o', 'M', 't')

/* The PDO's interrupt of one kind from its translated resources: message
 * (MSI) or line-based.  For a PCI function's line the node's routed INTx
 * vector counts too: behind a chosen MSI the PnP manager routes the line
 * as long as the filtered requirements still offer it, so a driver can
 * fall back to it (kernel/include/pnp.h). */
static BOOLEAN IopFindInterrupt(PDEVICE_NODE Node, BOOLEAN Message, PULONG Vector, PKIRQL Irql, PBOOLEAN Shared)
{
    PCM_RESOURCE_LIST List = Node->TranslatedResources;
    PCM_PARTIAL_RESOURCE_LIST P;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d;

    /* The PnP manager builds one full descriptor.  The descriptors are
     * walked by pointer: the WDK's [1] arrays would let the compiler
     * assume one element. */
    if (List && List->Count >= 1) {
        P = &List->List[0].PartialResourceList;
        d = P->PartialDescriptors;
        for (ULONG i = 0; i < P->Count; i++, d++) {
            if (d->Type != CmResourceTypeInterrupt ||
                !!(d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) != Message)
                continue;
            *Vector = d->u.Interrupt.Vector;
            *Irql = (KIRQL)d->u.Interrupt.Level;
            *Shared = d->ShareDisposition == CmResourceShareShared;
            return TRUE;
        }
    }
    if (!Message && Node->IntxVector) {
        *Vector = Node->IntxVector;
        *Irql = PNP_DEVICE_IRQL;
        *Shared = TRUE;         /* PCI INTx lines are shared */
        return TRUE;
    }
    return FALSE;
}

static NTSTATUS IopConnectLine(PDEVICE_OBJECT Pdo, PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE Routine,
                               PVOID Context, PKSPIN_LOCK SpinLock, KIRQL SynchronizeIrql)
{
    PDEVICE_NODE Node = IopDeviceNodeOfPdo(Pdo);
    ULONG Vector;
    KIRQL Irql;
    BOOLEAN Shared;

    if (!Node)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!IopFindInterrupt(Node, FALSE, &Vector, &Irql, &Shared))
        return STATUS_NOT_FOUND;
    return IopConnectInterrupt(InterruptObject, Routine, NULL, 0, Context, SpinLock, Vector, Irql,
                               SynchronizeIrql > Irql ? SynchronizeIrql : Irql, Shared);
}

static NTSTATUS IopConnectMessage(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)
{
    IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS *M = &Parameters->MessageBased;
    PDEVICE_NODE Node = IopDeviceNodeOfPdo(M->PhysicalDeviceObject);
    PIO_INTERRUPT_MESSAGE_INFO Table;
    ULONG Vector, Data;
    ULONG64 Address;
    KIRQL Irql;
    BOOLEAN Shared;
    NTSTATUS Status;

    if (!M->ConnectionContext.Generic || !M->MessageServiceRoutine)
        return STATUS_INVALID_PARAMETER;
    if (!Node)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!IopFindInterrupt(Node, TRUE, &Vector, &Irql, &Shared)) {
        /* No message interrupt: NT connects the fallback line-based and
         * says so in Version. */
        if (!M->FallBackServiceRoutine)
            return STATUS_NOT_FOUND;
        Status = IopConnectLine(M->PhysicalDeviceObject, M->ConnectionContext.InterruptObject,
                                M->FallBackServiceRoutine, M->ServiceContext, M->SpinLock, M->SynchronizeIrql);
        if (NT_SUCCESS(Status))
            Parameters->Version = CONNECT_LINE_BASED;
        return Status;
    }
    Table = ExAllocatePoolZero(NonPagedPool, sizeof(*Table), IOP_TAG_MSGTABLE);
    if (!Table)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = IopConnectInterrupt(&Table->MessageInfo[0].InterruptObject, NULL, M->MessageServiceRoutine, 0,
                                 M->ServiceContext, M->SpinLock, Vector, Irql,
                                 M->SynchronizeIrql > Irql ? M->SynchronizeIrql : Irql, FALSE);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Table, IOP_TAG_MSGTABLE);
        return Status;
    }
    HalComposeMsi(Vector, &Address, &Data);     /* what the PnP manager programmed */
    Table->UnifiedIrql = M->SynchronizeIrql > Irql ? M->SynchronizeIrql : Irql;
    Table->MessageCount = 1;
    Table->MessageInfo[0].MessageAddress.QuadPart = (LONGLONG)Address;
    Table->MessageInfo[0].TargetProcessorSet = 1;
    Table->MessageInfo[0].MessageData = Data;
    Table->MessageInfo[0].Vector = Vector;
    Table->MessageInfo[0].Irql = Irql;
    Table->MessageInfo[0].Mode = Latched;
    Table->MessageInfo[0].Polarity = InterruptActiveHigh;
    *M->ConnectionContext.InterruptMessageTable = Table;
    return STATUS_SUCCESS;
}

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!Parameters)
        return STATUS_INVALID_PARAMETER;
    switch (Parameters->Version) {
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP: {
        IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS *F = &Parameters->FullySpecified;
        if (F->Group != 0)
            return STATUS_INVALID_PARAMETER;        /* one processor group */
        return IoConnectInterrupt(F->InterruptObject, F->ServiceRoutine, F->ServiceContext, F->SpinLock,
                                  F->Vector, F->Irql, F->SynchronizeIrql, F->InterruptMode, F->ShareVector,
                                  F->ProcessorEnableMask, F->FloatingSave);
    }
    case CONNECT_LINE_BASED: {
        IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS *L = &Parameters->LineBased;
        if (!L->InterruptObject || !L->ServiceRoutine)
            return STATUS_INVALID_PARAMETER;
        return IopConnectLine(L->PhysicalDeviceObject, L->InterruptObject, L->ServiceRoutine, L->ServiceContext,
                              L->SpinLock, L->SynchronizeIrql);
    }
    case CONNECT_MESSAGE_BASED:
        return IopConnectMessage(Parameters);
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    if (!Parameters || !Parameters->ConnectionContext.Generic)
        return;
    if (Parameters->Version == CONNECT_MESSAGE_BASED) {
        PIO_INTERRUPT_MESSAGE_INFO Table = Parameters->ConnectionContext.InterruptMessageTable;
        for (ULONG i = 0; i < Table->MessageCount; i++)
            IoDisconnectInterrupt(Table->MessageInfo[i].InterruptObject);
        ExFreePoolWithTag(Table, IOP_TAG_MSGTABLE);
    } else {
        IoDisconnectInterrupt(Parameters->ConnectionContext.InterruptObject);
    }
}
