/* power.c - the system power IRP at shutdown: `poweroff` and `reboot` run
 * the kernel's shutdown callbacks; this one (registered first, so it runs
 * after the I/O manager's IRP_MJ_SHUTDOWN notifications) sends
 * IRP_MN_SET_POWER (SystemPowerState PowerSystemShutdown = S5,
 * ShutdownType PowerActionShutdown) to the top of every started stack,
 * children before parents -- a bus must stay up while the devices on it
 * go down (WDK: "Handling System Power State Requests"; NT's power-down
 * order).  A function driver that wants its device off requests its D3
 * from there (disk.sys: flush, then stop the disk).
 *
 * Every stack has PNP_POWER_TIMEOUT_MS to answer: a gone or hung device
 * is reported (IoReportHardError: the shell prints it) and skipped, never
 * holds the power-off.  The IRP and what its completion touches live in
 * pool for that reason (as kernel/io/shutdown.c's). */
#include "pnpp.h"

#define PNP_POWER_TIMEOUT_MS  10000
#define PNP_TAG_POWER         NTSTOR_TAG('P', 'n', 'p', 'W')
#define PNP_MAX_POWER_NODES   128

typedef struct _PNP_POWER_REQUEST {
    KEVENT Done;
    NTSTATUS Status;
    PDEVICE_OBJECT Top;             /* referenced until the IRP is back */
    volatile LONG References;       /* the sender's and the completion's */
} PNP_POWER_REQUEST;

static VOID PnpReleasePowerRequest(PNP_POWER_REQUEST *Request)
{
    if (__atomic_sub_fetch(&Request->References, 1, __ATOMIC_ACQ_REL) == 0) {
        ObDereferenceObject(Request->Top);
        ExFreePoolWithTag(Request, PNP_TAG_POWER);
    }
}

static NTSTATUS PnpPowerIrpDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PNP_POWER_REQUEST *request = Context;

    (VOID)DeviceObject;
    request->Status = Irp->IoStatus.Status;
    IoFreeIrp(Irp);
    KeSetEvent(&request->Done, IO_NO_INCREMENT, FALSE);
    PnpReleasePowerRequest(request);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static VOID PnpReportPower(PDEVICE_NODE Node, NTSTATUS Status, PCSTR Why)
{
    CHAR what[PNP_INSTANCE_CHARS + 16];

    RtlStringCbPrintfA(what, sizeof(what), "device=\"%s\"", Node->InstancePath);
    DbgPrint("pnp: power: %s: %s: %s\n", Node->InstancePath, Why, RtlNtStatusName(Status));
    IoReportHardError(Status, what, Why);
}

/* SET_POWER S5 to Node's stack; waits at most PNP_POWER_TIMEOUT_MS. */
static VOID PnpPowerDownNode(PDEVICE_NODE Node)
{
    LARGE_INTEGER timeout = { .QuadPart = -(LONGLONG)PNP_POWER_TIMEOUT_MS * 10000 };
    PNP_POWER_REQUEST *request;
    PIO_STACK_LOCATION next;
    ULONG64 started = KeQueryTimeUs();
    PIRP irp;

    request = ExAllocatePoolWithTag(NonPagedPool, sizeof(*request), PNP_TAG_POWER);
    if (!request) {
        PnpReportPower(Node, STATUS_INSUFFICIENT_RESOURCES, "no system power IRP sent");
        return;
    }
    request->Top = IoGetAttachedDeviceReference(Node->Pdo);
    irp = IoAllocateIrp(request->Top->StackSize, FALSE);
    if (!irp) {
        ObDereferenceObject(request->Top);
        ExFreePoolWithTag(request, PNP_TAG_POWER);
        PnpReportPower(Node, STATUS_INSUFFICIENT_RESOURCES, "no system power IRP sent");
        return;
    }
    KeInitializeEvent(&request->Done, NotificationEvent, FALSE);
    request->Status = STATUS_PENDING;
    request->References = 2;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_POWER;
    next->MinorFunction = IRP_MN_SET_POWER;
    next->Parameters.Power.SystemContext = 0;
    next->Parameters.Power.Type = SystemPowerState;
    next->Parameters.Power.State.SystemState = PowerSystemShutdown;
    next->Parameters.Power.ShutdownType = PowerActionShutdown;
    IoSetCompletionRoutine(irp, PnpPowerIrpDone, request, TRUE, TRUE, TRUE);
    PoCallDriver(request->Top, irp);
    /* From here the IRP may be gone: only the request is ours. */
    if (KeWaitForSingleObject(&request->Done, Executive, KernelMode, FALSE, &timeout) == STATUS_TIMEOUT)
        PnpReportPower(Node, STATUS_IO_TIMEOUT, "system power IRP (S5) not completed in 10 s");
    else if (!NT_SUCCESS(request->Status) && request->Status != STATUS_NOT_SUPPORTED)
        PnpReportPower(Node, request->Status, "system power IRP (S5) failed");
    else
        DbgPrint("pnp: power: %s: S5 in %llu us\n", Node->InstancePath,
                 (unsigned long long)(KeQueryTimeUs() - started));
    PnpReleasePowerRequest(request);
}

/* Started nodes, children before parents. */
static VOID PnpCollectPowerOrder(PDEVICE_NODE Node, PDEVICE_NODE *List, PULONG Count)
{
    for (PDEVICE_NODE c = Node->Child; c; c = c->Sibling)
        PnpCollectPowerOrder(c, List, Count);
    if (Node->Pdo && Node->State == DeviceNodeStarted && *Count < PNP_MAX_POWER_NODES)
        List[(*Count)++] = Node;
}

VOID PnpPowerDownSystem(PVOID Context)
{
    PDEVICE_NODE *list;
    ULONG count = 0;

    (VOID)Context;
    if (PnpRootNode == NULL)
        return;
    if (!PnpTryEnter(PNP_POWER_TIMEOUT_MS)) {
        DbgPrint("pnp: power: a PnP operation did not end in %u ms: no system power IRPs\n",
                 PNP_POWER_TIMEOUT_MS);
        IoReportHardError(STATUS_IO_TIMEOUT, "device tree", "no system power IRPs sent (PnP busy)");
        return;
    }
    list = ExAllocatePoolWithTag(NonPagedPool, PNP_MAX_POWER_NODES * sizeof(*list), PNP_TAG_POWER);
    if (list) {
        PnpCollectPowerOrder(PnpRootNode, list, &count);
        DbgPrint("pnp: power: S5 (shutdown) to %u device stacks, children first\n", count);
        for (ULONG i = 0; i < count; i++)
            PnpPowerDownNode(list[i]);
        ExFreePoolWithTag(list, PNP_TAG_POWER);
    }
    PnpLeave();
}
