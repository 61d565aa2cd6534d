/* pnpirp.c - the PnP manager's synchronous IRP_MJ_PNP requests: an IRP
 * from IoAllocateIrp sent to the top of a device stack, a completion
 * routine that signals an event and keeps the IRP
 * (STATUS_MORE_PROCESSING_REQUIRED), then the IRP is freed here.  WDK:
 * "Sending IRPs Synchronously"; a new PnP IRP starts with
 * STATUS_NOT_SUPPORTED so an unhandled one is recognisable. */
#include "pnpp.h"

static NTSTATUS PnpIrpCompleted(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS PnpSendIrp(PDEVICE_OBJECT Pdo, UCHAR Minor, const VOID *Parameters,
                    SIZE_T ParametersSize, PULONG_PTR Information)
{
    PDEVICE_OBJECT top;
    PIO_STACK_LOCATION next;
    KEVENT event;
    PIRP irp;
    NTSTATUS status;

    top = IoGetAttachedDeviceReference(Pdo);
    irp = IoAllocateIrp(top->StackSize, FALSE);
    if (irp == NULL) {
        ObDereferenceObject(top);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    /* FILTER_RESOURCE_REQUIREMENTS starts with the list in Information. */
    irp->IoStatus.Information = Information ? *Information : 0;
    next = IoGetNextIrpStackLocation(irp);
    RtlZeroMemory(&next->Parameters, sizeof(next->Parameters));
    next->MajorFunction = IRP_MJ_PNP;
    next->MinorFunction = Minor;
    if (Parameters && ParametersSize <= sizeof(next->Parameters))
        RtlCopyMemory(&next->Parameters, Parameters, ParametersSize);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    IoSetCompletionRoutine(irp, PnpIrpCompleted, &event, TRUE, TRUE, TRUE);

    status = IoCallDriver(top, irp);
    if (status == STATUS_PENDING)
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
    status = irp->IoStatus.Status;
    if (Information)
        *Information = irp->IoStatus.Information;
    IoFreeIrp(irp);
    ObDereferenceObject(top);
    return status;
}

PWCHAR PnpQueryId(PDEVICE_OBJECT Pdo, BUS_QUERY_ID_TYPE Type)
{
    ULONG_PTR info = 0;
    NTSTATUS status;
    PWCHAR copy;

    status = PnpSendIrp(Pdo, IRP_MN_QUERY_ID, &Type, sizeof(Type), &info);
    if (!NT_SUCCESS(status) || info == 0)
        return NULL;
    /* The answer is the bus driver's pool; keep a bounded copy in ours. */
    copy = PnpCopyMultiSz((PCWSTR)info);
    ExFreePool((PVOID)info);
    return copy;
}
