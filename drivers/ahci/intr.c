/* intr.c - the interrupt path: the ISR acknowledges (PxIS before IS, AHCI
 * 10.7.2.1) and hands the bits to a DPC that completes finished commands;
 * the start-up probe falls back to polling when interrupts do not arrive. */
#include "ahcip.h"

/* At device IRQL.  Shared INTx lines: FALSE when IS shows none of our ports. */
BOOLEAN AhciIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PAHCI_CONTROLLER ctrl = ServiceContext;
    ULONG is = AhciRead(ctrl->Abar, AHCI_IS) & ctrl->PortsImplemented;

    if (!is)
        return FALSE;
    for (ULONG b = is; b; b &= b - 1) {
        ULONG p = (ULONG)__builtin_ctz(b);
        PAHCI_PORT port = ctrl->Ports[p];
        volatile UCHAR *regs = ctrl->Abar + AHCI_PORT_OFFSET(p);
        ULONG pxis = AhciRead(regs, AHCI_PxIS);
        /* 3.3.5: PCS and PRCS mirror PxSERR.DIAG.X and DIAG.N and clear
         * only with them; left set, a level INTx stays asserted and the
         * ISR runs forever before its DPC can.  The DPC reads PxSSTS to
         * see whether the disk is still there. */
        if (pxis & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS))
            AhciWrite(regs, AHCI_PxSERR, AHCI_PxSERR_DIAG_X | AHCI_PxSERR_DIAG_N);
        AhciWrite(regs, AHCI_PxIS, pxis);
        if (port)
            InterlockedOr(&port->PendingIs, pxis | AHCI_PENDING_IS_SEEN);
    }
    AhciWrite(ctrl->Abar, AHCI_IS, is);
    ctrl->InterruptCount++;
    KeInsertQueueDpc(&ctrl->Dpc, NULL, NULL);
    return TRUE;
}

/* DISPATCH_LEVEL.  What the ISR (or a mode change, AhciAckQuiescedPort)
 * recorded for the port in PendingIs, handed to the port: the DPC's work
 * for one port.  Whoever exchanges PendingIs to 0 does it, so the DPC and a
 * poller that cannot wait for the DPC (AhciPollPort) never both do.  Bit 31
 * (CPDS, never enabled) marks "the ISR saw this port" so a completion with
 * no other bit still gets reaped. */
VOID AhciTakePendingIs(PAHCI_PORT Port)
{
    /* A port the worker recovers is left alone, its bits too: its
     * COMRESET raises PCS/PRCS, which are no departing disk, and the
     * recovery forgets them when it ends. */
    if (!Port->PendingIs || Port->InRecovery)
        return;
    ULONG pxis = InterlockedExchange(&Port->PendingIs, 0) & ~AHCI_PENDING_IS_SEEN;
    /* A link change on an empty port: a disk may have been plugged in
     * (10.9); the worker brings it up. */
    if ((pxis & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS)) && Port->State == AhciPortEmpty) {
        AhciRequestWork(Port, TRUE);
        return;
    }
    /* The link changed: if the disk went away, its requests fail here. */
    if ((pxis & (AHCI_PxIS_PCS | AHCI_PxIS_PRCS)) && Port->State == AhciPortReady &&
        !AhciPortCheckLink(Port))
        return;
    if (Port->State == AhciPortReady)
        AhciProcessPort(Port, pxis);
}

VOID AhciDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PAHCI_CONTROLLER ctrl = DeferredContext;

    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (ctrl->Ports[p])
            AhciTakePendingIs(ctrl->Ports[p]);
}

/* One IDENTIFY with the port's interrupt enabled: if the HBA finishes it
 * (PxCI clears) but no interrupt comes within AHCI_INTERRUPT_PROBE_MS, the
 * interrupt is not reaching us (routing, MSI, emulation): poll instead. */
VOID AhciProbeInterrupt(PAHCI_PORT Port)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;
    SATL_ATA_COMMAND id = { 0 };
    UCHAR sts, err;

    if (Port->Mode == NtstorAhciModePoll || ctrl->Source == NtstorAhciModePoll)
        return;
    ULONG64 before = ctrl->InterruptCount;
    id.Command = ATA_CMD_IDENTIFY_DEVICE;
    id.Protocol = SatlProtocolPioIn;
    id.TransferBytes = 512;
    if (!NT_SUCCESS(AhciExecuteInternal(Port, &id, &sts, &err)))
        return;
    /* The ISR runs only if IRQL allows; KeStallExecutionProcessor spins at
     * the caller's IRQL, which at start-up is PASSIVE_LEVEL. */
    ULONG64 deadline = AhciNow() + AhciMs(AHCI_INTERRUPT_PROBE_MS);
    while (ctrl->InterruptCount == before && AhciNow() < deadline)
        KeStallExecutionProcessor(50);
    if (ctrl->InterruptCount != before) {
        AhciDbg("ahci%u: port %u: %s interrupt works\n", ctrl->Number, Port->Index,
                AhciModeNames[Port->Mode]);
        return;
    }
    DbgPrint("ahci%u: port %u: command completed but no %s interrupt within %u ms; trying "
             "the next kind\n", ctrl->Number, Port->Index, AhciModeNames[Port->Mode],
             AHCI_INTERRUPT_PROBE_MS);
    AhciQuirkApply(ctrl, Port, NTSTOR_AHCI_QUIRK_FORCED_POLL,
                   "the start-up probe's interrupt never came");
    AhciInterruptFallback(ctrl);
    if (ctrl->Source != NtstorAhciModePoll)
        AhciProbeInterrupt(Port);   /* MSI failed: INTx gets its own probe */
}
