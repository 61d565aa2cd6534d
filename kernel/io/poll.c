/* poll.c - polled completion: IoRegisterPollRoutine, IoPollDevice.
 *
 * A driver that finds completions by reading its hardware (an AHCI port in
 * poll mode) keeps several commands in flight only if something looks at
 * the hardware while they run.  Instead of each submitter spinning for its
 * own command (queue depth 1 in effect), whoever waits calls IoPollDevice
 * on the stack it sent its IRP to, and the driver at the bottom reaps
 * whatever has finished.  The contract is in include/wdm/io.h; the design
 * and figures in docs/performance.md.
 *
 * The routine lives in the device's DEVOBJ_EXTENSION, so it goes away with
 * the device.  The walk follows AttachedTo (top to bottom); the caller
 * holds a reference on the top device (its file object or IRP target), and
 * attachment changes only at PASSIVE_LEVEL in PnP, never while a caller on
 * this one CPU is inside the walk. */
#include "iop.h"

VOID IoRegisterPollRoutine(PDEVICE_OBJECT DeviceObject, PDRIVER_POLL_ROUTINE Routine, PVOID Context)
{
    PDEVOBJ_EXTENSION Doe = DeviceObject->DeviceObjectExtension;

    /* Context first: a poller never sees the new routine with the old context. */
    Doe->PollContext = Context;
    __atomic_store_n(&Doe->PollRoutine, Routine, __ATOMIC_RELEASE);
}

BOOLEAN IoPollDevice(PDEVICE_OBJECT DeviceObject)
{
    BOOLEAN Polled = FALSE;

    for (PDEVICE_OBJECT Device = DeviceObject; Device;
         Device = Device->DeviceObjectExtension->AttachedTo) {
        PDEVOBJ_EXTENSION Doe = Device->DeviceObjectExtension;
        PDRIVER_POLL_ROUTINE Routine = __atomic_load_n(&Doe->PollRoutine, __ATOMIC_ACQUIRE);
        if (Routine && Routine(Device, Doe->PollContext))
            Polled = TRUE;
    }
    return Polled;
}

BOOLEAN IoIsPollable(PDEVICE_OBJECT DeviceObject)
{
    for (PDEVICE_OBJECT Device = DeviceObject; Device;
         Device = Device->DeviceObjectExtension->AttachedTo)
        if (Device->DeviceObjectExtension->PollRoutine)
            return TRUE;
    return FALSE;
}
