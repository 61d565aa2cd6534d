/* ntstor_targetrel.h - a bus driver's answer to IRP_MN_QUERY_DEVICE_RELATIONS
 * with Type TargetDeviceRelation on one of its PDOs.  ahci, usbstor and
 * usbxhci PDOs and the kernel's PCI and legacy bus PDOs answer with it.  Not
 * an NT interface: NT bus drivers each write these lines; ntstor keeps one
 * copy here. */
#ifndef NTSTOR_TARGETREL_H
#define NTSTOR_TARGETREL_H

#include <wdm.h>

/* The WDK's answer: a DEVICE_RELATIONS of one holding Pdo, with a reference
 * taken for whoever sent the IRP (it frees the list and drops the
 * reference).  On success the list goes into *Information (the IRP's
 * IoStatus.Information); without memory STATUS_INSUFFICIENT_RESOURCES and
 * *Information is untouched.  Paged pool, as the WDK asks (ntstor's pool is
 * nonpaged anyway); Tag is the driver's.  PASSIVE_LEVEL, as every PnP IRP;
 * no lock: the PDO is the IRP's target, so it exists while this runs. */
static inline NTSTATUS NtstorTargetDeviceRelation(PDEVICE_OBJECT Pdo, ULONG Tag, PULONG_PTR Information)
{
    PDEVICE_RELATIONS rel = ExAllocatePoolWithTag(PagedPool, sizeof(*rel), Tag);

    if (rel == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ObReferenceObject(Pdo);
    rel->Count = 1;
    rel->Objects[0] = Pdo;
    *Information = (ULONG_PTR)rel;
    return STATUS_SUCCESS;
}

#endif /* NTSTOR_TARGETREL_H */
