/* power.c - the power manager's driver calls (PoCallDriver,
 * PoStartNextPowerIrp, PoSetPowerState, PoRequestPowerIrp), as NT 6 has
 * them: power IRPs travel like any IRP (no per-device serialization, so
 * PoStartNextPowerIrp has nothing to do), a device's power state is what
 * its driver last said.  The system power IRPs at shutdown are the PnP
 * manager's (kernel/pnp/power.c). */
#include "iop.h"

#define IOP_TAG_POWER NTSTOR_TAG('I', 'o', 'P', 'o')

NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return IoCallDriver(DeviceObject, Irp);
}

VOID PoStartNextPowerIrp(PIRP Irp)
{
    (VOID)Irp;      /* NT 6: power IRPs are not held back per device */
}

POWER_STATE PoSetPowerState(PDEVICE_OBJECT DeviceObject, POWER_STATE_TYPE Type, POWER_STATE State)
{
    POWER_STATE old = State;

    if (Type == DevicePowerState && DeviceObject && DeviceObject->DeviceObjectExtension) {
        old.DeviceState = (DEVICE_POWER_STATE)__atomic_exchange_n(
            &DeviceObject->DeviceObjectExtension->PowerState, (ULONG)State.DeviceState,
            __ATOMIC_ACQ_REL);
    }
    return old;
}

/* One requested power IRP: what its completion needs, in pool. */
typedef struct _IOP_POWER_REQUEST {
    PDEVICE_OBJECT Target;              /* as the caller named it */
    PDEVICE_OBJECT Top;                 /* referenced until the IRP is back */
    UCHAR Minor;
    POWER_STATE State;
    PREQUEST_POWER_COMPLETE Completion;
    PVOID Context;
} IOP_POWER_REQUEST;

static NTSTATUS IopPowerRequestDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IOP_POWER_REQUEST *request = Context;
    IO_STATUS_BLOCK status = Irp->IoStatus;

    (VOID)DeviceObject;
    IoFreeIrp(Irp);
    if (request->Completion)
        request->Completion(request->Target, request->Minor, request->State, request->Context,
                            &status);
    ObDereferenceObject(request->Top);
    ExFreePoolWithTag(request, IOP_TAG_POWER);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS PoRequestPowerIrp(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction, POWER_STATE PowerState,
                           PREQUEST_POWER_COMPLETE CompletionFunction, PVOID Context, PIRP *Irp)
{
    IOP_POWER_REQUEST *request;
    PIO_STACK_LOCATION next;
    PIRP irp;

    if (Irp)
        *Irp = NULL;
    if (MinorFunction != IRP_MN_SET_POWER && MinorFunction != IRP_MN_QUERY_POWER)
        return STATUS_INVALID_PARAMETER_2;
    request = ExAllocatePoolWithTag(NonPagedPool, sizeof(*request), IOP_TAG_POWER);
    if (!request)
        return STATUS_INSUFFICIENT_RESOURCES;
    request->Target = DeviceObject;
    request->Top = IoGetAttachedDeviceReference(DeviceObject);
    request->Minor = MinorFunction;
    request->State = PowerState;
    request->Completion = CompletionFunction;
    request->Context = Context;
    irp = IoAllocateIrp(request->Top->StackSize, FALSE);
    if (!irp) {
        ObDereferenceObject(request->Top);
        ExFreePoolWithTag(request, IOP_TAG_POWER);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    irp->IoStatus.Information = 0;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_POWER;
    next->MinorFunction = MinorFunction;
    next->Parameters.Power.SystemContext = 0;
    next->Parameters.Power.Type = DevicePowerState;
    next->Parameters.Power.State = PowerState;
    next->Parameters.Power.ShutdownType = PowerActionNone;
    IoSetCompletionRoutine(irp, IopPowerRequestDone, request, TRUE, TRUE, TRUE);
    if (Irp)
        *Irp = irp;
    PoCallDriver(request->Top, irp);
    return STATUS_PENDING;
}
