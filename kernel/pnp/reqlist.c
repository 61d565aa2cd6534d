/* reqlist.c - IO_RESOURCE_REQUIREMENTS_LISTs as the PnP manager reads them
 * (include/wdm/io.h, "resource requirements"): allocation, the check of a
 * list a driver handed back, what the filter IRP's answer means, and the
 * assignment walk -- per resource, the first alternative that can be
 * satisfied, into the raw and translated CM_RESOURCE_LISTs START carries.
 * Satisfying one descriptor (a vector, a routed line) is the caller's
 * (resources.c); this file is pure and host-tested
 * (tests/unit/test_pnp_resources.c). */
#include "pnpp.h"

#define PNP_REQ_HEADER_BYTES  ((ULONG)FIELD_OFFSET(IO_RESOURCE_REQUIREMENTS_LIST, List))
#define PNP_REQ_LIST_BYTES(n) \
    ((ULONG)FIELD_OFFSET(IO_RESOURCE_LIST, Descriptors) + (ULONG)(n) * (ULONG)sizeof(IO_RESOURCE_DESCRIPTOR))
/* Far more than any function has (6 BARs + 2 interrupts); a larger Count
 * is a corrupt list, not a device. */
#define PNP_REQ_MAX_DESCRIPTORS 64

ULONG PnpRequirementsSize(ULONG Count)
{
    return (ULONG)(PNP_REQ_HEADER_BYTES + PNP_REQ_LIST_BYTES(Count ? Count : 1));
}

PIO_RESOURCE_REQUIREMENTS_LIST PnpAllocateRequirements(INTERFACE_TYPE Interface, ULONG Bus, ULONG Slot,
                                                       ULONG Count, ULONG Tag)
{
    ULONG size = PnpRequirementsSize(Count);
    PIO_RESOURCE_REQUIREMENTS_LIST req = ExAllocatePoolZero(NonPagedPool, size, Tag);

    if (req == NULL)
        return NULL;
    req->ListSize = size;
    req->InterfaceType = Interface;
    req->BusNumber = Bus;
    req->SlotNumber = Slot;
    req->AlternativeLists = 1;
    req->List[0].Version = 1;
    req->List[0].Revision = 1;
    return req;
}

BOOLEAN PnpRequirementsValid(const IO_RESOURCE_REQUIREMENTS_LIST *Req)
{
    if (Req->ListSize < PNP_REQ_HEADER_BYTES + PNP_REQ_LIST_BYTES(0) || Req->AlternativeLists == 0)
        return FALSE;
    if (Req->List[0].Count > PNP_REQ_MAX_DESCRIPTORS)
        return FALSE;
    return PNP_REQ_HEADER_BYTES + PNP_REQ_LIST_BYTES(Req->List[0].Count) <= Req->ListSize;
}

/* WDK: a function driver that filters puts the list to use in
 * IoStatus.Information -- the same one edited, or a new one after freeing
 * the old -- and succeeds; one that does not leaves both as they were
 * (STATUS_NOT_SUPPORTED from the bus driver).  So: a pointer in
 * Information is the list now, whatever the status (after a replacement
 * the original is gone); success with none means the driver wants the
 * device to have no resources; failure with none leaves the original. */
PIO_RESOURCE_REQUIREMENTS_LIST PnpFilteredRequirements(PIO_RESOURCE_REQUIREMENTS_LIST Original, NTSTATUS Status,
                                                       ULONG_PTR Information)
{
    if (Information)
        return (PIO_RESOURCE_REQUIREMENTS_LIST)Information;
    return NT_SUCCESS(Status) ? NULL : Original;
}

PCSTR PnpInterruptKindName(const IO_RESOURCE_DESCRIPTOR *D)
{
    return (D->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) ? "msi" : "line";
}

VOID PnpDescribeInterrupts(const IO_RESOURCE_REQUIREMENTS_LIST *Req, PCHAR Text, SIZE_T Size)
{
    SIZE_T n = 0;

    if (Size == 0)
        return;
    Text[0] = 0;
    for (ULONG i = 0; Req && i < Req->List[0].Count; i++) {
        const IO_RESOURCE_DESCRIPTOR *d = NtstorIoDescriptor(&Req->List[0], i);
        PCSTR kind = PnpInterruptKindName(d);
        if (d->Type != CmResourceTypeInterrupt)
            continue;
        if (n + RtlAsciiLength(kind) + 2 > Size)
            break;
        if (n)
            Text[n++] = ',';
        RtlAsciiCopy(Text + n, Size - n, kind);
        n += RtlAsciiLength(kind);
    }
    if (n == 0 && Size >= 2)
        RtlAsciiCopy(Text, Size, "-");
}

/* The descriptors [First, *End) that are one resource: the head and the
 * IO_RESOURCE_ALTERNATIVE descriptors of the same type right after it.  A
 * different type ends the group even when marked alternative (a filter
 * that dropped the head without promoting the next one must not make an
 * interrupt an alternative of a BAR). */
static ULONG PnpGroupEnd(const IO_RESOURCE_LIST *List, ULONG First)
{
    ULONG end = First + 1;

    while (end < List->Count && (NtstorIoDescriptor(List, end)->Option & IO_RESOURCE_ALTERNATIVE) &&
           NtstorIoDescriptor(List, end)->Type == NtstorIoDescriptor(List, First)->Type)
        end++;
    return end;
}

static PCM_RESOURCE_LIST PnpAllocateCmList(const IO_RESOURCE_REQUIREMENTS_LIST *Req, ULONG Count, ULONG Tag)
{
    PCM_RESOURCE_LIST list = ExAllocatePoolZero(
        NonPagedPool, sizeof(CM_RESOURCE_LIST) + Count * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR), Tag);

    if (list == NULL)
        return NULL;
    list->Count = 1;
    list->List[0].InterfaceType = Req->InterfaceType;
    list->List[0].BusNumber = Req->BusNumber;
    list->List[0].PartialResourceList.Version = 1;
    list->List[0].PartialResourceList.Revision = 1;
    return list;
}

NTSTATUS PnpAssignRequirements(const IO_RESOURCE_REQUIREMENTS_LIST *Req, const PNP_ASSIGN_OPS *Ops, PVOID Context,
                               ULONG Tag, PCM_RESOURCE_LIST *Raw, PCM_RESOURCE_LIST *Translated,
                               PULONG Unsatisfied)
{
    const IO_RESOURCE_LIST *list = &Req->List[0];
    PCM_PARTIAL_RESOURCE_LIST raw, xlat;

    *Raw = *Translated = NULL;
    *Unsatisfied = 0;
    if (!PnpRequirementsValid(Req))
        return STATUS_INVALID_PARAMETER;
    /* One descriptor per resource at most: Count is enough room. */
    *Raw = PnpAllocateCmList(Req, list->Count, Tag);
    *Translated = PnpAllocateCmList(Req, list->Count, Tag);
    if (*Raw == NULL || *Translated == NULL) {
        if (*Raw)
            ExFreePoolWithTag(*Raw, Tag);
        if (*Translated)
            ExFreePoolWithTag(*Translated, Tag);
        *Raw = *Translated = NULL;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    raw = &(*Raw)->List[0].PartialResourceList;
    xlat = &(*Translated)->List[0].PartialResourceList;

    for (ULONG first = 0, end; first < list->Count; first = end) {
        ULONG chosen = ~0u;
        end = PnpGroupEnd(list, first);
        for (ULONG i = first; i < end; i++) {
            PCM_PARTIAL_RESOURCE_DESCRIPTOR r = NtstorCmDescriptor(raw, raw->Count);
            PCM_PARTIAL_RESOURCE_DESCRIPTOR t = NtstorCmDescriptor(xlat, xlat->Count);
            RtlZeroMemory(r, sizeof(*r));
            RtlZeroMemory(t, sizeof(*t));
            if (Ops->Satisfy(Context, NtstorIoDescriptor(list, i), r, t)) {
                raw->Count++;
                xlat->Count++;
                chosen = i;
                break;
            }
        }
        if (chosen == ~0u) {
            (*Unsatisfied)++;
            continue;
        }
        /* The alternatives passed over: the caller may keep one ready
         * (resources.c routes the INTx line behind a chosen MSI). */
        for (ULONG i = chosen + 1; i < end && Ops->PassedOver; i++)
            Ops->PassedOver(Context, NtstorIoDescriptor(list, i), NtstorIoDescriptor(list, chosen));
    }
    return STATUS_SUCCESS;
}
