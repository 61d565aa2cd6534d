/* workitem.c - I/O work items (IoAllocateWorkItem, IoQueueWorkItem,
 * IoFreeWorkItem): ExQueueWorkItem with the driver kept alive.
 *
 * While an item is queued or its routine runs, it holds a reference on
 * its device object and counts in the driver's QueuedWorkItems; the unload
 * (load.c) waits for that count after DriverUnload, so the routine's code
 * is never freed under it (NT keeps the image until the device object's
 * references are gone, which this mirrors). */
#include "iop.h"
#include <ob.h>

#define IOP_TAG_WORKITEM NTSTOR_TAG('I', 'o', 'W', 'k')

struct _IO_WORKITEM {
    WORK_QUEUE_ITEM Item;
    PDEVICE_OBJECT DeviceObject;
    PIO_WORKITEM_ROUTINE Routine;
    PVOID Context;
    volatile LONG Queued;       /* from IoQueueWorkItem until the routine starts */
};

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    PIO_WORKITEM WorkItem;

    if (!DeviceObject)
        return NULL;
    WorkItem = ExAllocatePoolZero(NonPagedPool, sizeof(*WorkItem), IOP_TAG_WORKITEM);
    if (WorkItem)
        WorkItem->DeviceObject = DeviceObject;
    return WorkItem;
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
    if (IoWorkItem->Queued)
        KeBugCheckEx(INVALID_WORK_QUEUE_ITEM, 0, (ULONG_PTR)IoWorkItem, 0,
                     (ULONG_PTR)IoWorkItem->Routine);
    ExFreePoolWithTag(IoWorkItem, IOP_TAG_WORKITEM);
}

static VOID IopRunWorkItem(PVOID Parameter)
{
    PIO_WORKITEM WorkItem = Parameter;
    PDEVICE_OBJECT Device = WorkItem->DeviceObject;
    PDRIVER_OBJECT Driver = Device->DriverObject;
    PIO_WORKITEM_ROUTINE Routine = WorkItem->Routine;
    PVOID Context = WorkItem->Context;

    /* Before the call: the routine may free the item or queue it again. */
    __atomic_store_n(&WorkItem->Queued, 0, __ATOMIC_SEQ_CST);
    Routine(Device, Context);
    ObDereferenceObject(Device);
    /* Last: from here the unload may free the image and the driver object. */
    __atomic_sub_fetch(&IopDriverExtension(Driver)->QueuedWorkItems, 1, __ATOMIC_SEQ_CST);
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                     WORK_QUEUE_TYPE QueueType, PVOID Context)
{
    LONG NotQueued = 0;

    if (!__atomic_compare_exchange_n(&IoWorkItem->Queued, &NotQueued, 1, FALSE,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        KeBugCheckEx(INVALID_WORK_QUEUE_ITEM, 1, (ULONG_PTR)IoWorkItem, QueueType,
                     (ULONG_PTR)WorkerRoutine);
    IoWorkItem->Routine = WorkerRoutine;
    IoWorkItem->Context = Context;
    ObReferenceObject(IoWorkItem->DeviceObject);
    __atomic_add_fetch(&IopDriverExtension(IoWorkItem->DeviceObject->DriverObject)->QueuedWorkItems,
                       1, __ATOMIC_SEQ_CST);
    ExInitializeWorkItem(&IoWorkItem->Item, IopRunWorkItem, IoWorkItem);
    ExQueueWorkItem(&IoWorkItem->Item, QueueType);
}

LONG IopQueuedWorkItems(PDRIVER_OBJECT Driver)
{
    return __atomic_load_n(&IopDriverExtension(Driver)->QueuedWorkItems, __ATOMIC_SEQ_CST);
}
