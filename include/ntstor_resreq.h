/* ntstor_resreq.h - for function drivers that filter their device's
 * resource requirements (IRP_MN_FILTER_RESOURCE_REQUIREMENTS, wdm/io.h):
 * taking the message-signalled (MSI) interrupt alternatives out, so the PnP
 * manager assigns the line.  ahci and usbxhci do it when their
 * Parameters\InterruptMode says Intx or Poll.  Not an NT interface: NT
 * drivers write this loop themselves; ntstor keeps one copy of it here. */
#ifndef NTSTOR_RESREQ_H
#define NTSTOR_RESREQ_H

#include <wdm.h>

/* Descriptor Index of a list.  The WDK declares the variable-length tails
 * as [1] arrays inside [1] arrays (List[1] of Descriptors[1]); GCC at -O2
 * takes an index through req->List[0].Descriptors[i] to be below 1 and
 * cuts the loop short.  An address computed as an integer carries no such
 * bound. */
static inline PIO_RESOURCE_DESCRIPTOR NtstorIoDescriptor(const IO_RESOURCE_LIST *List, ULONG Index)
{
    return (PIO_RESOURCE_DESCRIPTOR)((ULONG_PTR)List + FIELD_OFFSET(IO_RESOURCE_LIST, Descriptors)) + Index;
}

static inline PCM_PARTIAL_RESOURCE_DESCRIPTOR NtstorCmDescriptor(const CM_PARTIAL_RESOURCE_LIST *List, ULONG Index)
{
    return (PCM_PARTIAL_RESOURCE_DESCRIPTOR)((ULONG_PTR)List + FIELD_OFFSET(CM_PARTIAL_RESOURCE_LIST,
                                                                             PartialDescriptors)) + Index;
}

/* Call on the IRP's way back up (after the bus driver completed it), at
 * PASSIVE_LEVEL.  The list is in Irp->IoStatus.Information (NULL: nothing
 * to do).  Without message descriptors the list stays as it is; else a
 * new pool list (Tag) without them replaces it and the old one is freed,
 * as the WDK asks of a driver that changes the list's size.  The
 * alternative that followed a dropped head becomes the head of its
 * resource (IO_RESOURCE_ALTERNATIVE cleared), so the line is not taken for
 * an alternative of whatever came before.  Sets IoStatus.Status to
 * STATUS_SUCCESS, or STATUS_INSUFFICIENT_RESOURCES (the old list then
 * stays in Information) and returns it. */
static inline NTSTATUS NtstorDropMessageInterrupts(PIRP Irp, ULONG Tag)
{
    PIO_RESOURCE_REQUIREMENTS_LIST old = (PIO_RESOURCE_REQUIREMENTS_LIST)Irp->IoStatus.Information, req;
    ULONG keep = 0, size;
    BOOLEAN headDropped = FALSE;

    Irp->IoStatus.Status = STATUS_SUCCESS;
    if (old == NULL || old->AlternativeLists == 0)
        return STATUS_SUCCESS;
    for (ULONG i = 0; i < old->List[0].Count; i++) {
        const IO_RESOURCE_DESCRIPTOR *d = NtstorIoDescriptor(&old->List[0], i);
        keep += !(d->Type == CmResourceTypeInterrupt && (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE));
    }
    if (keep == old->List[0].Count)
        return STATUS_SUCCESS;
    /* The first alternative list only: ntstor's PnP manager assigns from it. */
    size = (ULONG)FIELD_OFFSET(IO_RESOURCE_REQUIREMENTS_LIST, List) +
           (ULONG)FIELD_OFFSET(IO_RESOURCE_LIST, Descriptors) + (keep ? keep : 1) * (ULONG)sizeof(IO_RESOURCE_DESCRIPTOR);
    req = ExAllocatePoolWithTag(NonPagedPool, size, Tag);
    if (req == NULL) {
        Irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(req, size);
    RtlCopyMemory(req, old, FIELD_OFFSET(IO_RESOURCE_REQUIREMENTS_LIST, List));
    req->ListSize = size;
    req->AlternativeLists = 1;
    req->List[0].Version = old->List[0].Version;
    req->List[0].Revision = old->List[0].Revision;
    for (ULONG i = 0; i < old->List[0].Count; i++) {
        const IO_RESOURCE_DESCRIPTOR *d = NtstorIoDescriptor(&old->List[0], i);
        PIO_RESOURCE_DESCRIPTOR n;
        if (d->Type == CmResourceTypeInterrupt && (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE)) {
            headDropped = headDropped || !(d->Option & IO_RESOURCE_ALTERNATIVE);
            continue;
        }
        n = NtstorIoDescriptor(&req->List[0], req->List[0].Count++);
        *n = *d;
        if (headDropped && (n->Option & IO_RESOURCE_ALTERNATIVE))
            n->Option &= (UCHAR)~IO_RESOURCE_ALTERNATIVE;
        headDropped = FALSE;
    }
    ExFreePool(old);
    Irp->IoStatus.Information = (ULONG_PTR)req;
    return STATUS_SUCCESS;
}

#endif /* NTSTOR_RESREQ_H */
