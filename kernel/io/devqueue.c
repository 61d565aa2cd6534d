/* devqueue.c - KDEVICE_QUEUE, the StartIo queue of a device object.
 *
 * Busy means the device is working on a request; IRPs that arrive while it
 * is busy wait in DeviceListHead (in arrival order, or sorted by SortKey for
 * the ByKey variants, e.g. by sector for an elevator).  Each queue's Lock
 * guards its list and Busy; callers are at DISPATCH_LEVEL (NT's rule). */
#include "iop.h"

VOID KeInitializeDeviceQueue(PKDEVICE_QUEUE Queue)
{
    Queue->Type = 0x14;     /* NT's DeviceQueueObject */
    Queue->Size = sizeof(*Queue);
    InitializeListHead(&Queue->DeviceListHead);
    KeInitializeSpinLock(&Queue->Lock);
    Queue->Busy = FALSE;
}

BOOLEAN KeInsertDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry)
{
    BOOLEAN Inserted;

    KeAcquireSpinLockAtDpcLevel(&Queue->Lock);
    Inserted = Queue->Busy;
    if (Inserted)
        InsertTailList(&Queue->DeviceListHead, &Entry->DeviceListEntry);
    else
        Queue->Busy = TRUE;
    Entry->Inserted = Inserted;
    KeReleaseSpinLockFromDpcLevel(&Queue->Lock);
    return Inserted;
}

BOOLEAN KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry, ULONG SortKey)
{
    BOOLEAN Inserted;

    KeAcquireSpinLockAtDpcLevel(&Queue->Lock);
    Entry->SortKey = SortKey;
    Inserted = Queue->Busy;
    if (Inserted) {
        /* After every entry with a key <= ours: equal keys stay FIFO. */
        PLIST_ENTRY Next = Queue->DeviceListHead.Flink;
        while (Next != &Queue->DeviceListHead &&
               CONTAINING_RECORD(Next, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey <= SortKey)
            Next = Next->Flink;
        InsertTailList(Next, &Entry->DeviceListEntry);   /* i.e. before Next */
    } else {
        Queue->Busy = TRUE;
    }
    Entry->Inserted = Inserted;
    KeReleaseSpinLockFromDpcLevel(&Queue->Lock);
    return Inserted;
}

PKDEVICE_QUEUE_ENTRY KeRemoveDeviceQueue(PKDEVICE_QUEUE Queue)
{
    PKDEVICE_QUEUE_ENTRY Entry = NULL;

    KeAcquireSpinLockAtDpcLevel(&Queue->Lock);
    if (IsListEmpty(&Queue->DeviceListHead)) {
        Queue->Busy = FALSE;
    } else {
        Entry = CONTAINING_RECORD(RemoveHeadList(&Queue->DeviceListHead), KDEVICE_QUEUE_ENTRY, DeviceListEntry);
        Entry->Inserted = FALSE;
    }
    KeReleaseSpinLockFromDpcLevel(&Queue->Lock);
    return Entry;
}

PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE Queue, ULONG SortKey)
{
    PKDEVICE_QUEUE_ENTRY Entry = NULL;

    KeAcquireSpinLockAtDpcLevel(&Queue->Lock);
    if (IsListEmpty(&Queue->DeviceListHead)) {
        Queue->Busy = FALSE;
    } else {
        PLIST_ENTRY Next = Queue->DeviceListHead.Flink;
        while (Next != &Queue->DeviceListHead &&
               CONTAINING_RECORD(Next, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey < SortKey)
            Next = Next->Flink;
        if (Next == &Queue->DeviceListHead)
            Next = Queue->DeviceListHead.Flink;     /* wrap: the elevator turns */
        RemoveEntryList(Next);
        Entry = CONTAINING_RECORD(Next, KDEVICE_QUEUE_ENTRY, DeviceListEntry);
        Entry->Inserted = FALSE;
    }
    KeReleaseSpinLockFromDpcLevel(&Queue->Lock);
    return Entry;
}

BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE Queue, PKDEVICE_QUEUE_ENTRY Entry)
{
    BOOLEAN WasInserted;
    KIRQL Old;

    KeAcquireSpinLock(&Queue->Lock, &Old);
    WasInserted = Entry->Inserted;
    if (WasInserted) {
        RemoveEntryList(&Entry->DeviceListEntry);
        Entry->Inserted = FALSE;
    }
    KeReleaseSpinLock(&Queue->Lock, Old);
    return WasInserted;
}
