/* mode.c - how completions are found, and changing it at run time: the
 * controller's interrupt source (MSI or INTx, chosen in the function's PCI
 * configuration space: MSI Enable, PCI 3.0 6.8.1.3; command register INTx
 * Disable, 6.2.2), each port's poll/interrupt choice (PxIE), quiescing a
 * port around a change, and the watchdog that finds lost interrupts
 * (fallback MSI -> INTx -> Poll), commands past their deadline and NCQ
 * errors QEMU reports without TFES. */
#include "ahcip.h"
#include <pci.h>

/* IRP_MN_READ/WRITE_CONFIG WhichSpace (NT wdm.h; kernel/include/pnp.h). */
#ifndef PCI_WHICHSPACE_CONFIG
#define PCI_WHICHSPACE_CONFIG 0
#endif

static NTSTATUS AhciConfigDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* The PCI bus driver completes config access at once (kernel/pnp/pcibus.c),
 * so this works from the watchdog's DPC too; at DISPATCH_LEVEL a pending
 * answer could never arrive, and is refused as a broken contract. */
NTSTATUS AhciPciConfig(PAHCI_CONTROLLER Ctrl, BOOLEAN Write, ULONG Offset, PVOID Buffer,
                       ULONG Length)
{
    KEVENT event;
    PIRP irp;
    PIO_STACK_LOCATION stack;
    NTSTATUS status;

    irp = IoAllocateIrp(Ctrl->LowerDevice->StackSize, FALSE);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;    /* NT: PnP IRPs start so */
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = IRP_MJ_PNP;
    stack->MinorFunction = Write ? IRP_MN_WRITE_CONFIG : IRP_MN_READ_CONFIG;
    stack->Parameters.ReadWriteConfig.WhichSpace = PCI_WHICHSPACE_CONFIG;
    stack->Parameters.ReadWriteConfig.Buffer = Buffer;
    stack->Parameters.ReadWriteConfig.Offset = Offset;
    stack->Parameters.ReadWriteConfig.Length = Length;
    IoSetCompletionRoutine(irp, AhciConfigDone, &event, TRUE, TRUE, TRUE);
    status = IoCallDriver(Ctrl->LowerDevice, irp);
    if (status == STATUS_PENDING) {
        ASSERT(KeGetCurrentIrql() < DISPATCH_LEVEL);
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
    }
    status = irp->IoStatus.Status;
    IoFreeIrp(irp);
    if (!NT_SUCCESS(status))
        DbgPrint("ahci%u: PCI config %s at 0x%x (%u bytes): status 0x%08X\n", Ctrl->Number,
                 Write ? "write" : "read", Offset, Length, (ULONG)status);
    return status;
}

static USHORT AhciConfigRead16(PAHCI_CONTROLLER Ctrl, ULONG Offset)
{
    USHORT v = 0;
    AhciPciConfig(Ctrl, FALSE, Offset, &v, sizeof(v));
    return v;
}

static VOID AhciConfigWrite16(PAHCI_CONTROLLER Ctrl, ULONG Offset, USHORT Value)
{
    AhciPciConfig(Ctrl, TRUE, Offset, &Value, sizeof(Value));
}

/* PCI 3.0 6.7: walk the capability list for MSI (ID 05h). */
VOID AhciFindMsiCapability(PAHCI_CONTROLLER Ctrl)
{
    UCHAR ptr = 0, hdr[2];

    Ctrl->MsiCap = 0;
    if (!(AhciConfigRead16(Ctrl, PCI_CFG_STATUS) & PCI_STATUS_CAP_LIST))
        return;
    AhciPciConfig(Ctrl, FALSE, PCI_CFG_CAP_PTR, &ptr, 1);
    for (ULONG n = 0; n < PCI_CAP_MAX_ENTRIES && ptr >= PCI_CAP_MIN_OFFSET; n++) {
        ptr &= 0xFC;
        if (!NT_SUCCESS(AhciPciConfig(Ctrl, FALSE, ptr, hdr, 2)))
            return;
        if (hdr[0] == PCI_CAP_ID_MSI) {
            Ctrl->MsiCap = ptr;
            return;
        }
        ptr = hdr[1];
    }
}

BOOLEAN AhciQuiescePort(PAHCI_PORT Port)
{
    ULONG64 deadline = AhciNow() + AhciMs(AHCI_QUIESCE_TIMEOUT_MS);
    KIRQL irql;

    KeAcquireSpinLock(&Port->Lock, &irql);
    Port->Quiesced++;
    KeReleaseSpinLock(&Port->Lock, irql);
    /* Held slots (error.c) are requests already taken: they drain too,
     * and so do those a recovery in the worker holds. */
    while (Port->Issued || Port->Held || Port->InRecovery) {
        if (Port->InRecovery && !Port->Issued) {
            if (!AhciWaitRecovery(Port)) {
                DbgPrint("ahci%u: port %u: not drained: in recovery (DISPATCH_LEVEL cannot "
                         "wait for it)\n", Port->Controller->Number, Port->Index);
                return FALSE;
            }
        } else {
            AhciPollOnce(Port);
        }
        if (AhciNow() > deadline) {
            DbgPrint("ahci%u: port %u: still %08x issued after %u ms of draining\n",
                     Port->Controller->Number, Port->Index, Port->Issued,
                     AHCI_QUIESCE_TIMEOUT_MS);
            return FALSE;
        }
    }
    return TRUE;
}

VOID AhciResumePort(PAHCI_PORT Port)
{
    KIRQL irql;

    KeAcquireSpinLock(&Port->Lock, &irql);
    if (--Port->Quiesced) {
        KeReleaseSpinLock(&Port->Lock, irql);
        return;     /* another owner still holds it */
    }
    Port->WatchDone = 0;
    KeReleaseSpinLock(&Port->Lock, irql);
    AhciProcessPort(Port, 0);       /* issues what queued up meanwhile */
    if (Port->Mode == NtstorAhciModePoll)
        AhciPollPort(Port);
}

/* A drained port whose interrupt source or mode changes starts with a
 * clean PxIS -- but an error among the bits is not dropped with them (an
 * HBA that halted on it would then be handed new commands when the port
 * resumes): it goes to the DPC as if the ISR had seen it, and
 * AhciStartPending holds back until recovery has run. */
static VOID AhciAckQuiescedPort(PAHCI_PORT Port)
{
    ULONG is = AhciRead(Port->Regs, AHCI_PxIS);

    AhciWrite(Port->Regs, AHCI_PxIS, is);
    if (is & Port->FatalIs) {
        InterlockedOr(&Port->PendingIs, (is & Port->FatalIs) | AHCI_PENDING_IS_SEEN);
        KeInsertQueueDpc(&Port->Controller->Dpc, NULL, NULL);
    }
}

ULONG64 AhciControllerCommands(PAHCI_CONTROLLER Ctrl)
{
    ULONG64 n = 0;

    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (Ctrl->Ports[p])
            n += Ctrl->Ports[p]->Commands;
    return n;
}

static BOOLEAN AhciPortDriven(PAHCI_PORT Port)
{
    return Port && Port->State == AhciPortReady;
}

NTSTATUS AhciSetInterruptSource(PAHCI_CONTROLLER Ctrl, NTSTOR_AHCI_MODE Source)
{
    BOOLEAN msiOn = Source == NtstorAhciModeMsi, intxOn = Source == NtstorAhciModeIntx;
    PCSTR silenced = NULL;
    USHORT v;

    if (msiOn && (!Ctrl->Msi.Object || !Ctrl->MsiCap))
        return STATUS_NOT_SUPPORTED;
    if (intxOn && !Ctrl->Intx.Object)
        return STATUS_NOT_SUPPORTED;

    /* No command in flight while the function changes how it signals:
     * a completion in between would raise neither interrupt. */
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (AhciPortDriven(Ctrl->Ports[p]))
            AhciQuiescePort(Ctrl->Ports[p]);
    AhciWrite(Ctrl->Abar, AHCI_GHC, AhciRead(Ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);

    if (Ctrl->InjectLoss && Source != NtstorAhciModePoll &&
        (!AhciParameters.TestLoseInterruptsAfter || Ctrl->InjectNow)) {
        Ctrl->InjectLoss--;
        Ctrl->InjectNow = FALSE;
        silenced = AhciModeNames[Source];
        msiOn = intxOn = FALSE;
    }
    /* MSI off before INTx on, and INTx off before MSI on: never both
     * (PCI 3.0 6.8.1.3). */
    if (!intxOn) {
        v = AhciConfigRead16(Ctrl, PCI_CFG_COMMAND);
        AhciConfigWrite16(Ctrl, PCI_CFG_COMMAND, (USHORT)(v | PCI_COMMAND_INTX_DISABLE));
    }
    if (Ctrl->MsiCap) {
        v = AhciConfigRead16(Ctrl, Ctrl->MsiCap + PCI_MSI_CONTROL);
        v = msiOn ? (USHORT)(v | PCI_MSI_CTRL_ENABLE) : (USHORT)(v & ~PCI_MSI_CTRL_ENABLE);
        AhciConfigWrite16(Ctrl, Ctrl->MsiCap + PCI_MSI_CONTROL, v);
    }
    if (intxOn) {
        v = AhciConfigRead16(Ctrl, PCI_CFG_COMMAND);
        AhciConfigWrite16(Ctrl, PCI_CFG_COMMAND, (USHORT)(v & ~PCI_COMMAND_INTX_DISABLE));
    }
    if (Ctrl->Source != Source)
        DbgPrint("ahci%u: interrupt source %s -> %s\n", Ctrl->Number, AhciModeNames[Ctrl->Source],
                 AhciModeNames[Source]);
    if (silenced)
        DbgPrint("ahci%u: test: %s silenced (Parameters\\TestLoseInterrupts)\n", Ctrl->Number,
                 silenced);
    Ctrl->Source = Source;
    Ctrl->InjectAt = AhciControllerCommands(Ctrl) + AhciParameters.TestLoseInterruptsAfter;

    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (!AhciPortDriven(port))
            continue;
        if (port->Quiesced > 1) {
            /* Another owner (the raw bench polling PxIS with PxIE off, a
             * mode change) holds the port: it sets PxIE from Mode when it
             * resumes, and its PxIS bits are its own. */
            if (port->Mode != NtstorAhciModePoll)
                port->Mode = Source;
            continue;
        }
        AhciAckQuiescedPort(port);
        if (port->Mode != NtstorAhciModePoll)
            AhciPortSetMode(port, Source);
    }
    AhciWrite(Ctrl->Abar, AHCI_IS, 0xFFFFFFFF);
    if (Source != NtstorAhciModePoll)
        AhciWrite(Ctrl->Abar, AHCI_GHC, AhciRead(Ctrl->Abar, AHCI_GHC) | AHCI_GHC_IE);
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (AhciPortDriven(Ctrl->Ports[p]))
            AhciResumePort(Ctrl->Ports[p]);
    return STATUS_SUCCESS;
}

NTSTATUS AhciSetPortMode(PAHCI_PORT Port, NTSTOR_AHCI_MODE Mode)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    NTSTATUS status = STATUS_SUCCESS;

    switch (Mode) {
    case NtstorAhciModePoll:
        if (!AhciQuiescePort(Port))
            status = STATUS_IO_TIMEOUT;
        else
            AhciPortSetMode(Port, NtstorAhciModePoll);
        AhciResumePort(Port);
        return status;
    case NtstorAhciModeMsi:
    case NtstorAhciModeIntx:
        if (ctrl->Source != Mode) {
            status = AhciSetInterruptSource(ctrl, Mode);
            if (!NT_SUCCESS(status))
                return status;
        }
        if (!AhciQuiescePort(Port))
            status = STATUS_IO_TIMEOUT;
        else {
            AhciAckQuiescedPort(Port);
            AhciPortSetMode(Port, Mode);
            AhciWrite(ctrl->Abar, AHCI_GHC, AhciRead(ctrl->Abar, AHCI_GHC) | AHCI_GHC_IE);
        }
        AhciResumePort(Port);
        return status;
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

VOID AhciInterruptFallback(PAHCI_CONTROLLER Ctrl)
{
    NTSTOR_AHCI_MODE next = Ctrl->Source == NtstorAhciModeMsi && Ctrl->Intx.Object
                            ? NtstorAhciModeIntx : NtstorAhciModePoll;

    DbgPrint("ahci%u: interrupt fallback %s -> %s\n", Ctrl->Number, AhciModeNames[Ctrl->Source],
             AhciModeNames[next]);
    if (!NT_SUCCESS(AhciSetInterruptSource(Ctrl, next)))
        AhciSetInterruptSource(Ctrl, NtstorAhciModePoll);
}

/* Lock held.  TRUE when a command of the port needs AhciProcessPort now
 * (past its deadline, or a silent NCQ error), and notes a lost interrupt
 * in *Lost. */
static BOOLEAN AhciWatchPort(PAHCI_PORT Port, PBOOLEAN Lost)
{
    ULONG issued = Port->Issued, active, done;
    BOOLEAN act = FALSE;
    ULONG64 now;

    AHCI_ASSERT_LOCKED(Port);

    if (!issued) {
        Port->WatchDone = 0;
        Port->WatchCommands = Port->Commands;
        return FALSE;
    }
    active = AhciRead(Port->Regs, AHCI_PxCI);
    if (Port->NcqIssued)
        active |= AhciRead(Port->Regs, AHCI_PxSACT);
    done = issued & ~active;
    /* Finished at the last tick too, and nothing was reaped since: the
     * interrupt that should have reported it never came. */
    /* A polled port nobody polls (its submitter could not wait out a
     * recovery at DISPATCH_LEVEL): reaped here, no fault of anyone's. */
    if (Port->Mode == NtstorAhciModePoll && (done & Port->WatchDone) &&
        Port->Commands == Port->WatchCommands)
        act = TRUE;
    if (Port->Mode != NtstorAhciModePoll && (done & Port->WatchDone) &&
        Port->Commands == Port->WatchCommands) {
        Port->LostInterrupts++;
        AhciQuirkApply(Port->Controller, Port, NTSTOR_AHCI_QUIRK_LOST_INTERRUPT,
                       "a completion went without its interrupt");
        DbgPrint("ahci%u: port %u: lost interrupt: slots %08x finished (PxCI=%08x PxSACT=%08x) "
                 "but no %s interrupt within %u ms\n", Port->Controller->Number, Port->Index,
                 done, AhciRead(Port->Regs, AHCI_PxCI), AhciRead(Port->Regs, AHCI_PxSACT),
                 AhciModeNames[Port->Mode], AHCI_WATCHDOG_PERIOD_MS);
        *Lost = TRUE;
        act = TRUE;
    }
    Port->WatchDone = done;
    Port->WatchCommands = Port->Commands;
    now = AhciNow();
    for (ULONG b = issued; b; b &= b - 1)
        if (now > Port->Slots[__builtin_ctz(b)].Deadline)
            act = TRUE;
    if ((Port->Quirks & NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR) && Port->NcqIssued &&
        AhciRead(Port->Regs, AHCI_PxSERR))
        act = TRUE;
    return act;
}

/* DISPATCH_LEVEL, every AHCI_WATCHDOG_PERIOD_MS. */
VOID AhciWatchdogDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                     PVOID SystemArgument2)
{
    PAHCI_CONTROLLER ctrl = DeferredContext;
    BOOLEAN lost = FALSE;

    if (!ctrl->Started)
        return;
    /* Parameters\TestLoseInterruptsAfter: the loss meets the I/O running now. */
    if (ctrl->InjectLoss && AhciParameters.TestLoseInterruptsAfter &&
        ctrl->Source != NtstorAhciModePoll && AhciControllerCommands(ctrl) >= ctrl->InjectAt &&
        !AhciControllerInRecovery(ctrl)) {
        ctrl->InjectNow = TRUE;
        AhciSetInterruptSource(ctrl, ctrl->Source);
    }
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = ctrl->Ports[p];
        BOOLEAN act;
        /* A disk that left without an interrupt saying so (polled ports,
         * lost interrupts), and requests queued to one that is gone. */
        if (port && ((port->State == AhciPortGone && !IsListEmpty(&port->Pending)) ||
                     (port->State == AhciPortReady && !port->Quiesced && !port->InRecovery &&
                      (AhciRead(port->Regs, AHCI_PxSSTS) & AHCI_PxSSTS_DET_MASK) !=
                      AHCI_PxSSTS_DET_PHY))) {
            AhciPortCheckLink(port);
            continue;
        }
        /* An empty port whose link changed (polled mode raises no
         * interrupt for it): a disk may have arrived (10.9). */
        if (port && port->State == AhciPortEmpty &&
            (AhciRead(port->Regs, AHCI_PxIS) & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS))) {
            AhciRequestWork(port, TRUE);
            continue;
        }
        if (!AhciPortDriven(port) || port->Quiesced || port->InRecovery)
            continue;
        KeAcquireSpinLockAtDpcLevel(&port->Lock);
        act = AhciWatchPort(port, &lost);
        KeReleaseSpinLockFromDpcLevel(&port->Lock);
        if (act)
            AhciPollOnce(port);
    }
    /* The switch drains every port, which a port in the worker's recovery
     * cannot do at DISPATCH_LEVEL: a later tick sees the loss again. */
    if (lost && ctrl->Source != NtstorAhciModePoll && !AhciControllerInRecovery(ctrl))
        AhciInterruptFallback(ctrl);
}
