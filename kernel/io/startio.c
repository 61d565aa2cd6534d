/* startio.c - the StartIo model: one request at a time per device.
 *
 * IoStartPacket hands an IRP to the driver's DriverStartIo if the device is
 * idle, or queues it in DeviceObject->DeviceQueue; the driver calls
 * IoStartNextPacket when DeviceObject->CurrentIrp is done.  Everything runs
 * at DISPATCH_LEVEL.
 *
 * A StartIo routine that finishes its IRP at once and calls
 * IoStartNextPacket would recurse once per queued IRP.  As NT does, a call
 * made while a StartIo call is active on the device only records that the
 * next packet is wanted (DOE_SIO_DEFERRED); the outermost caller loops. */
#include "iop.h"

#define DOE_SIO_DEFERRED   0x00000001
#define DOE_SIO_CANCELABLE 0x00000002
#define DOE_SIO_BY_KEY     0x00000004

static VOID IopCallStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    DeviceObject->DriverObject->DriverStartIo(DeviceObject, Irp);
}

/* Dequeues and starts one packet (or marks the device idle). */
static VOID IopStartOnePacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, BOOLEAN ByKey, ULONG Key)
{
    KIRQL CancelIrql = 0;
    PKDEVICE_QUEUE_ENTRY Entry;
    PIRP Irp = NULL;

    if (Cancelable)
        IoAcquireCancelSpinLock(&CancelIrql);
    DeviceObject->CurrentIrp = NULL;
    Entry = ByKey ? KeRemoveByKeyDeviceQueue(&DeviceObject->DeviceQueue, Key)
                  : KeRemoveDeviceQueue(&DeviceObject->DeviceQueue);
    if (Entry) {
        Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.DeviceQueueEntry);
        DeviceObject->CurrentIrp = Irp;
    }
    if (Cancelable)
        IoReleaseCancelSpinLock(CancelIrql);
    /* With a cancelable queue the StartIo routine clears the cancel routine
     * itself (and checks Irp->Cancel), under the cancel spin lock. */
    if (Irp)
        IopCallStartIo(DeviceObject, Irp);
}

/* Runs deferred IoStartNextPacket requests left by StartIo routines. */
static VOID IopDrainDeferredStarts(PDEVICE_OBJECT DeviceObject)
{
    PDEVOBJ_EXTENSION Doe = DeviceObject->DeviceObjectExtension;

    while (Doe->StartIoFlags & DOE_SIO_DEFERRED) {
        ULONG Flags = Doe->StartIoFlags;
        Doe->StartIoFlags = 0;
        Doe->StartIoCount++;
        IopStartOnePacket(DeviceObject, (Flags & DOE_SIO_CANCELABLE) != 0,
                          (Flags & DOE_SIO_BY_KEY) != 0, Doe->StartIoKey);
        Doe->StartIoCount--;
    }
}

static VOID IopStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, BOOLEAN ByKey, ULONG Key)
{
    PDEVOBJ_EXTENSION Doe = DeviceObject->DeviceObjectExtension;
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    if (Doe->StartIoCount > 0) {
        Doe->StartIoFlags = DOE_SIO_DEFERRED | (Cancelable ? DOE_SIO_CANCELABLE : 0) |
                            (ByKey ? DOE_SIO_BY_KEY : 0);
        Doe->StartIoKey = Key;
    } else {
        Doe->StartIoCount++;
        IopStartOnePacket(DeviceObject, Cancelable, ByKey, Key);
        Doe->StartIoCount--;
        IopDrainDeferredStarts(DeviceObject);
    }
    KeLowerIrql(Old);
}

VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)
{
    IopStartNextPacket(DeviceObject, Cancelable, FALSE, 0);
}

VOID IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key)
{
    IopStartNextPacket(DeviceObject, Cancelable, TRUE, Key);
}

VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction)
{
    PDEVOBJ_EXTENSION Doe = DeviceObject->DeviceObjectExtension;
    KIRQL Old, CancelIrql = 0;
    BOOLEAN Queued;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    if (CancelFunction) {
        IoAcquireCancelSpinLock(&CancelIrql);
        Irp->CancelRoutine = CancelFunction;
    }
    Queued = Key ? KeInsertByKeyDeviceQueue(&DeviceObject->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry, *Key)
                 : KeInsertDeviceQueue(&DeviceObject->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry);
    if (!Queued) {
        DeviceObject->CurrentIrp = Irp;
        if (CancelFunction)
            IoReleaseCancelSpinLock(CancelIrql);
        Doe->StartIoCount++;
        IopCallStartIo(DeviceObject, Irp);
        Doe->StartIoCount--;
        IopDrainDeferredStarts(DeviceObject);
    } else if (CancelFunction) {
        /* Cancelled before it was queued: cancel it now (NT does the same;
         * the routine finds it in the queue and releases the lock). */
        if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL)) {
            Irp->CancelIrql = CancelIrql;
            CancelFunction(DeviceObject, Irp);
        } else {
            IoReleaseCancelSpinLock(CancelIrql);
        }
    }
    KeLowerIrql(Old);
}
