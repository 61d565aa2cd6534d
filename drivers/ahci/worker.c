/* worker.c - the controller's PASSIVE_LEVEL worker (one IoQueueWorkItem):
 * where every long wait of the driver runs -- the rest of a port's error
 * recovery (error.c: reset ladder of 10/10/35 s, HBA reset, NCQ log page)
 * and the bring-up of a disk plugged into an empty port (AHCI 10.9), which
 * ends in IoInvalidateDeviceRelations(BusRelations) so the PnP manager
 * creates its PDO.  DESIGN.md: long work runs in a worker, never spinning
 * at DISPATCH_LEVEL with a lock held.
 *
 * One item serves the whole controller, as libata's one error handler per
 * host: ports ask (AhciRequestWork) by setting their bit, the item is
 * queued unless it already is, and it serves every bit set before it
 * returns.  It owns a port it recovers (InRecovery, Rec.Frozen); a port
 * it brings up is Empty until the bring-up ends, and nothing but the
 * worker touches an Empty port's engine. */
#include "ahcip.h"

/* Raised to DISPATCH_LEVEL around IoInvalidateDeviceRelations: the PnP
 * manager only records the request there (kernel/include/pnp.h) and the
 * shell's PASSIVE_LEVEL loop carries it out.  Called at PASSIVE_LEVEL it
 * would start the new disk in this thread -- and disk.sys's start sends
 * SRBs whose recovery, if one is needed, is this thread's job. */
static VOID AhciReportBusChange(PAHCI_CONTROLLER Ctrl)
{
    KIRQL irql;

    if (!Ctrl->PciPdo)
        return;
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    IoInvalidateDeviceRelations(Ctrl->PciPdo, BusRelations);
    KeLowerIrql(irql);
}

/* A link change on an empty port: a disk may have arrived.  PASSIVE_LEVEL. */
static VOID AhciHotPlug(PAHCI_PORT Port)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    ULONG ssts = AhciRead(Port->Regs, AHCI_PxSSTS);

    if (Port->State != AhciPortEmpty)
        return;
    /* PCS/PRCS follow DIAG.X/N (3.3.5): acknowledged here, so the next
     * change raises them again. */
    AhciWrite(Port->Regs, AHCI_PxSERR, AHCI_PxSERR_DIAG_X | AHCI_PxSERR_DIAG_N);
    AhciWrite(Port->Regs, AHCI_PxIS, AHCI_PxIS_PCS | AHCI_PxIS_PRCS);
    if ((ssts & AHCI_PxSSTS_DET_MASK) == AHCI_PxSSTS_DET_NONE)
        return;     /* a glitch, or a disk that went again */
    DbgPrint("ahci%u: port %u: device arrived (PxSSTS=%08x): bringing it up\n", ctrl->Number,
             Port->Index, ssts);
    AhciWrite(Port->Regs, AHCI_PxIE, 0);
    AhciPortBringUp(Port);
    if (Port->State == AhciPortEmpty)
        return;     /* AhciPortBringUp put the PCS/PRCS enables back */
    ctrl->HotPlugs++;
    if (Port->State == AhciPortReady || Port->State == AhciPortUnsupported)
        AhciReportBusChange(ctrl);
}

static VOID AhciWorkerRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PAHCI_CONTROLLER ctrl = Context;
    KIRQL irql;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* its steps wait for seconds */
    for (;;) {
        KeAcquireSpinLock(&ctrl->WorkLock, &irql);
        ULONG recover = ctrl->WorkRecover, plug = ctrl->WorkPlug;
        ctrl->WorkRecover = ctrl->WorkPlug = 0;
        if (!recover && !plug) {
            ctrl->WorkQueued = FALSE;
            KeSetEvent(&ctrl->WorkIdle, IO_NO_INCREMENT, FALSE);
            KeReleaseSpinLock(&ctrl->WorkLock, irql);
            return;
        }
        KeReleaseSpinLock(&ctrl->WorkLock, irql);
        for (ULONG b = recover; b; b &= b - 1)
            AhciRecoverWorker(ctrl->Ports[__builtin_ctz(b)]);
        for (ULONG b = plug; b; b &= b - 1)
            AhciHotPlug(ctrl->Ports[__builtin_ctz(b)]);
        ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    }
}

VOID AhciWorkerInit(PAHCI_CONTROLLER Ctrl)
{
    KeInitializeSpinLock(&Ctrl->WorkLock);
    KeInitializeEvent(&Ctrl->WorkIdle, NotificationEvent, TRUE);
    Ctrl->WorkRecover = Ctrl->WorkPlug = 0;
    Ctrl->WorkQueued = Ctrl->Stopping = FALSE;
    Ctrl->WorkItem = IoAllocateWorkItem(Ctrl->Fdo);
    if (!Ctrl->WorkItem)
        DbgPrint("ahci%u: no work item: recovery waits where it is started (at DISPATCH_LEVEL)\n",
                 Ctrl->Number);
}

VOID AhciWorkerStop(PAHCI_CONTROLLER Ctrl)
{
    KIRQL irql;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);     /* it waits for the worker */
    if (!Ctrl->WorkItem)
        return;
    KeAcquireSpinLock(&Ctrl->WorkLock, &irql);
    Ctrl->Stopping = TRUE;
    KeReleaseSpinLock(&Ctrl->WorkLock, irql);
    /* What was asked before is served: a recovery owns its port's
     * commands and must hand them back before the port is freed. */
    KeWaitForSingleObject(&Ctrl->WorkIdle, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(Ctrl->WorkItem);
    Ctrl->WorkItem = NULL;
}

BOOLEAN AhciRequestWork(PAHCI_PORT Port, BOOLEAN Plug)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    BOOLEAN queue = FALSE;
    KIRQL irql;

    if (!ctrl->WorkItem)
        return FALSE;
    KeAcquireSpinLock(&ctrl->WorkLock, &irql);
    if (ctrl->Stopping) {
        KeReleaseSpinLock(&ctrl->WorkLock, irql);
        return FALSE;
    }
    if (Plug)
        ctrl->WorkPlug |= 1u << Port->Index;
    else
        ctrl->WorkRecover |= 1u << Port->Index;
    if (!ctrl->WorkQueued) {
        ctrl->WorkQueued = TRUE;
        KeClearEvent(&ctrl->WorkIdle);
        queue = TRUE;
    }
    KeReleaseSpinLock(&ctrl->WorkLock, irql);
    /* Outside WorkLock: the item is ours to queue (WorkQueued), and the
     * worker takes WorkLock first thing. */
    if (queue)
        IoQueueWorkItem(ctrl->WorkItem, AhciWorkerRoutine, DelayedWorkQueue, ctrl);
    return TRUE;
}

BOOLEAN AhciControllerInRecovery(PAHCI_CONTROLLER Ctrl)
{
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (Ctrl->Ports[p] && Ctrl->Ports[p]->InRecovery)
            return TRUE;
    return FALSE;
}
