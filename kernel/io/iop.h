/* iop.h - declarations shared between the files of kernel/io/ and nothing
 * else (the kernel-wide half is kernel/include/io.h). */
#ifndef NTSTOR_IOP_H
#define NTSTOR_IOP_H

#include <ntos.h>
#include <ob.h>
#include <io.h>

/* Object type delete procedures (driver.c, device.c, file.c). */
VOID IopDeleteDriverProcedure(PVOID Object);
VOID IopDeleteDeviceProcedure(PVOID Object);
VOID IopDeleteFileProcedure(PVOID Object);

/* Open-file counting on a device (device.c), under IopDatabaseLock.
 * Increment fails (FALSE) for a device being deleted or unloaded; the
 * decrement that ends the last open of a deleted device completes its
 * IoDeleteDevice (off the driver's list, creation reference dropped). */
BOOLEAN IopIncrementDeviceReference(PDEVICE_OBJECT Device);
VOID IopDecrementDeviceReference(PDEVICE_OBJECT Device);

/* The running profile or NULL (profile.c): Attach hangs a record with
 * START = Start on an Nt{Read,Write}File IRP (none when all are out);
 * Finish accounts a record whose IRP is finished and DONE stamped. */
extern PIO_PROFILE IopProfile;
VOID IopProfileAttach(PIO_PROFILE Profile, PIRP Irp, ULONG64 Start);
VOID IopProfileFinish(PIO_PROFILE_RECORD Record);

/* Cache set-up and flushing (irp.c, mdl.c). */
VOID IopInitIrpCache(VOID);
VOID IopFlushIrpCache(VOID);
VOID IopInitMdlCache(VOID);
VOID IopFlushMdlCache(VOID);
VOID IopInitCancel(VOID);
VOID IopInitInterrupts(VOID);

/* verifier.c: the checks on verified drivers (rules in verifier.c). */
extern volatile LONG IopVerifierActive;         /* dispatch frames registered */
extern volatile LONG IopVerifiedDriverCount;    /* drivers with the verifier on */
VOID IopInitVerifier(VOID);
NTSTATUS IopVerifiedCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION Stack,
                               PDRIVER_DISPATCH Dispatch);
VOID IopVerifierNoteCompletion(PIRP Irp, PIO_STACK_LOCATION Stack);
/* Caller: IoCompleteRequest's return address (the driver's code). */
VOID IopVerifierCheckCompletion(PIRP Irp, PDEVICE_OBJECT Device, PVOID Caller);
/* The verified driver whose image holds Address, or NULL (cheap when no
 * driver is verified).  <= DISPATCH_LEVEL. */
PDRIVER_OBJECT IopVerifiedDriverOfAddress(PVOID Address);
/* Driver is (still) in the verified drivers' table: compares pointers
 * only, so a driver object that is gone is safe to ask about. */
BOOLEAN IopIsVerifiedDriverObject(PDRIVER_OBJECT Driver);
/* VF_REMOVE_LOCK_RELEASE, naming Driver and the routine at Caller. */
__attribute__((noreturn))
VOID IopVerifierStopRemoveLock(PDRIVER_OBJECT Driver, PVOID Caller, PVOID Lock, PVOID Tag);

/* vfremlock.c: the verifier's remove-lock rule.  A lock a verified driver
 * initializes is tracked (Common.Reserved[IOP_REMLOCK_TRACKED_BYTE] set):
 * every acquire's tag is counted, and a release with a tag whose count is 0
 * stops the machine.  All at <= DISPATCH_LEVEL, as remove locks are. */
#define IOP_REMLOCK_TRACKED_BYTE 0
/* At IoInitializeRemoveLockEx (Caller: its return address).  TRUE if the
 * lock is tracked from now on. */
BOOLEAN IopVerifierTrackRemoveLock(PIO_REMOVE_LOCK Lock, PVOID Caller);
VOID IopVerifierRemoveLockAcquired(PIO_REMOVE_LOCK Lock, PVOID Tag);
/* Before the count drops; does not return when Tag holds none. */
VOID IopVerifierRemoveLockReleased(PIO_REMOVE_LOCK Lock, PVOID Tag, PVOID Caller);
/* The lock is dead (IoReleaseRemoveLockAndWait returned). */
VOID IopVerifierForgetRemoveLock(PIO_REMOVE_LOCK Lock);

/* The PnP manager's node of a PDO (devprop.c), NULL for any other device. */
struct _DEVICE_NODE *IopDeviceNodeOfPdo(PDEVICE_OBJECT DeviceObject);

/* interrupt.c: IoConnectInterrupt's body; with MessageRoutine set the ISR
 * is called MessageRoutine(Interrupt, Context, MessageId) (IoConnectInterruptEx). */
NTSTATUS IopConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                             PKMESSAGE_SERVICE_ROUTINE MessageRoutine, ULONG MessageId,
                             PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql,
                             KIRQL SynchronizeIrql, BOOLEAN ShareVector);

/* The private part of a driver object, laid out right after it. */
typedef struct _IOP_DRIVER_EXTENSION {
    DRIVER_EXTENSION Public;
    LIST_ENTRY ClientExtensions;    /* IOP_CLIENT_EXTENSION.Link, under IopDatabaseLock */
    /* IoQueueWorkItem items queued or running for the driver's devices
     * (atomic).  The unload waits for zero before the image goes. */
    volatile LONG QueuedWorkItems;
    BOOLEAN Verified;               /* the verifier checks it (verifier.c) */
} IOP_DRIVER_EXTENSION, *PIOP_DRIVER_EXTENSION;

static inline PIOP_DRIVER_EXTENSION IopDriverExtension(PDRIVER_OBJECT Driver)
{
    return CONTAINING_RECORD(Driver->DriverExtension, IOP_DRIVER_EXTENSION, Public);
}

#endif
