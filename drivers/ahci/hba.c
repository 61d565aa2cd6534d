/* hba.c - controller bring-up and shutdown: BIOS/OS handoff (AHCI 10.6.3),
 * AHCI enable and HBA reset (10.4.3), capabilities, per-port init, the
 * interrupt connections (both MSI and INTx when the PnP manager offered
 * both, so the mode can change at run time: mode.c), the watchdog. */
#include "ahcip.h"
#include <pci.h>

BOOLEAN AhciWaitRegister(volatile UCHAR *Base, ULONG Offset, ULONG Mask, ULONG Value, ULONG Ms)
{
    ULONG64 deadline = AhciNow() + AhciMs(Ms);

    for (;;) {
        if ((AhciRead(Base, Offset) & Mask) == Value)
            return TRUE;
        if (AhciNow() > deadline)
            return (AhciRead(Base, Offset) & Mask) == Value;
        KeStallExecutionProcessor(10);
    }
}

/* 10.6.3: ask the firmware to let go; it may take 25 ms to answer and, if
 * it sets BIOS Busy, up to 2 s more to finish what it was doing. */
static VOID AhciBiosHandoff(PAHCI_CONTROLLER Ctrl)
{
    volatile UCHAR *abar = Ctrl->Abar;

    if (!(Ctrl->Cap2 & AHCI_CAP2_BOH))
        return;
    AhciWrite(abar, AHCI_BOHC, AhciRead(abar, AHCI_BOHC) | AHCI_BOHC_OOS);
    if (!AhciWaitRegister(abar, AHCI_BOHC, AHCI_BOHC_BOS, 0, AHCI_BOHC_OWNERSHIP_MS)) {
        if (AhciRead(abar, AHCI_BOHC) & AHCI_BOHC_BB)
            AhciWaitRegister(abar, AHCI_BOHC, AHCI_BOHC_BOS, 0, AHCI_BOHC_BIOS_BUSY_MS);
    }
    if (AhciRead(abar, AHCI_BOHC) & AHCI_BOHC_BOS)
        DbgPrint("ahci%u: firmware did not release the HBA (BOHC=%08x); taking it anyway\n",
                 Ctrl->Number, AhciRead(abar, AHCI_BOHC));
}

/* 3.1.2 GHC.AE: some HBAs take the bit only after several writes (libahci
 * ahci_enable_ahci); read it back each time.  FALSE if it never stuck. */
static BOOLEAN AhciEnableAhci(PAHCI_CONTROLLER Ctrl)
{
    volatile UCHAR *abar = Ctrl->Abar;

    for (ULONG i = 0; i < AHCI_ENABLE_TRIES; i++) {
        ULONG ghc = AhciRead(abar, AHCI_GHC);
        if (ghc & AHCI_GHC_AE)
            return TRUE;
        AhciWrite(abar, AHCI_GHC, ghc | AHCI_GHC_AE);
        if (AhciRead(abar, AHCI_GHC) & AHCI_GHC_AE)
            return TRUE;
        KeStallExecutionProcessor(AHCI_ENABLE_RETRY_MS * 1000);
    }
    DbgPrint("ahci%u: GHC.AE did not stick after %u writes (GHC=%08x)\n", Ctrl->Number,
             AHCI_ENABLE_TRIES, AhciRead(abar, AHCI_GHC));
    return FALSE;
}

/* Intel ICH/PCH: the PCS register (config 92h) has a port-enable bit per
 * port that firmware may leave clear and an HBA reset may clear; a port
 * without it has its PHY off (Linux ahci.c ahci_pci_reset_controller). */
static VOID AhciIntelPcs(PAHCI_CONTROLLER Ctrl)
{
    USHORT pcs = 0;

    if (!Ctrl->LowerDevice || !(Ctrl->Quirks & NTSTOR_AHCI_QUIRK_INTEL_PCS))
        return;
    if (!NT_SUCCESS(AhciPciConfig(Ctrl, FALSE, AHCI_PCI_INTEL_PCS, &pcs, sizeof(pcs))))
        return;
    if ((pcs & Ctrl->PortsImplemented & 0xFF) == (Ctrl->PortsImplemented & 0xFF))
        return;
    DbgPrint("ahci%u: intel-pcs: port enables %02x -> %02x (PCS, config 92h)\n",
             Ctrl->Number, pcs & 0xFF, (pcs | Ctrl->PortsImplemented) & 0xFF);
    pcs |= (USHORT)(Ctrl->PortsImplemented & 0xFF);
    AhciPciConfig(Ctrl, TRUE, AHCI_PCI_INTEL_PCS, &pcs, sizeof(pcs));
}

/* 10.4.3: GHC.HR resets the HBA; it clears the bit when done, within 1 s.
 * HR acts only in AHCI mode, and the reset may clear AE (without CAP.SAM)
 * and the firmware-written CAP and PI (HwInit, write-once): Linux's
 * ahci_save_initial_config / ahci_restore_initial_config keep them across
 * it.  PI == 0 (firmware that never set it) is rebuilt from CAP.NP. */
NTSTATUS AhciHbaReset(PAHCI_CONTROLLER Ctrl)
{
    volatile UCHAR *abar = Ctrl->Abar;
    ULONG cap, pi;

    if (!AhciEnableAhci(Ctrl))
        return STATUS_IO_DEVICE_ERROR;
    cap = AhciRead(abar, AHCI_CAP);
    pi = AhciRead(abar, AHCI_PI);
    AhciWrite(abar, AHCI_GHC, AhciRead(abar, AHCI_GHC) | AHCI_GHC_HR);
    (void)AhciRead(abar, AHCI_GHC);
    if (!AhciWaitRegister(abar, AHCI_GHC, AHCI_GHC_HR, 0, AHCI_HBA_RESET_TIMEOUT_MS)) {
        DbgPrint("ahci%u: HBA reset did not finish within %u ms\n", Ctrl->Number,
                 AHCI_HBA_RESET_TIMEOUT_MS);
        return STATUS_IO_TIMEOUT;
    }
    if (!AhciEnableAhci(Ctrl))
        return STATUS_IO_DEVICE_ERROR;
    if (AhciRead(abar, AHCI_CAP) != cap)
        AhciWrite(abar, AHCI_CAP, cap);
    if (AhciRead(abar, AHCI_PI) != pi && pi) {
        DbgPrint("ahci%u: PI %08x after HBA reset, restoring %08x\n", Ctrl->Number,
                 AhciRead(abar, AHCI_PI), pi);
        AhciWrite(abar, AHCI_PI, pi);
    }
    Ctrl->PortsImplemented = AhciRead(abar, AHCI_PI);
    if (!Ctrl->PortsImplemented)
        Ctrl->PortsImplemented = pi;
    if (!Ctrl->PortsImplemented) {
        ULONG np = (cap & AHCI_CAP_NP_MASK) + 1;
        Ctrl->PortsImplemented = np >= 32 ? 0xFFFFFFFFu : (1u << np) - 1;
        DbgPrint("ahci%u: PI is 0: using CAP.NP, ports %08x\n", Ctrl->Number,
                 Ctrl->PortsImplemented);
    }
    AhciQuirksPorts(Ctrl);
    AhciIntelPcs(Ctrl);
    return STATUS_SUCCESS;
}

/* The PCI header: the IDs the quirk table is keyed on (and hwreport's). */
static VOID AhciReadPciIds(PAHCI_CONTROLLER Ctrl)
{
    UCHAR cfg[0x30];

    if (!Ctrl->LowerDevice ||
        !NT_SUCCESS(AhciPciConfig(Ctrl, FALSE, 0, cfg, sizeof(cfg))))
        return;
    Ctrl->VendorId = (USHORT)(cfg[PCI_CFG_VENDOR_ID] | (cfg[PCI_CFG_VENDOR_ID + 1] << 8));
    Ctrl->DeviceId = (USHORT)(cfg[PCI_CFG_DEVICE_ID] | (cfg[PCI_CFG_DEVICE_ID + 1] << 8));
    Ctrl->Revision = cfg[PCI_CFG_REVISION];
    Ctrl->ClassCode = ((ULONG)cfg[PCI_CFG_CLASS] << 16) | ((ULONG)cfg[PCI_CFG_SUBCLASS] << 8) |
                      cfg[PCI_CFG_PROG_IF];
    Ctrl->SubVendorId = (USHORT)(cfg[PCI_CFG_SUBSYS_VENDOR] | (cfg[PCI_CFG_SUBSYS_VENDOR + 1] << 8));
    Ctrl->SubSystemId = (USHORT)(cfg[PCI_CFG_SUBSYS_ID] | (cfg[PCI_CFG_SUBSYS_ID + 1] << 8));
}

static NTSTATUS AhciFindResources(PAHCI_CONTROLLER Ctrl, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_DESCRIPTOR mem = NULL;

    if (!Translated || Translated->Count < 1)
        return STATUS_INSUFFICIENT_RESOURCES;
    PCM_PARTIAL_RESOURCE_LIST list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        /* ABAR is BAR5, the last memory BAR of the function (AHCI 2.1.11);
         * other BARs (legacy I/O) are ignored. */
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= AHCI_PORT_OFFSET(1))
            mem = d;
        else if (d->Type == CmResourceTypeInterrupt) {
            /* kernel/include/pnp.h: MSI when assigned, else INTx; which
             * was offered decides what START left the function doing.  The
             * connections themselves come from the PDO (AhciConnectOne). */
            AHCI_IRQ *irq = (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) ? &Ctrl->Msi : &Ctrl->Intx;
            if (!irq->Present) {
                irq->Present = TRUE;
                irq->Vector = d->u.Interrupt.Vector;
                irq->Irql = (KIRQL)d->u.Interrupt.Level;
            }
        }
    }
    if (!mem) {
        DbgPrint("ahci%u: no memory BAR (ABAR) in the start resources\n", Ctrl->Number);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Ctrl->AbarPa = mem->u.Memory.Start;
    Ctrl->AbarLength = mem->u.Memory.Length;
    return STATUS_SUCCESS;
}

/* The MSI connection's routine: one message, the same ISR. */
static BOOLEAN AhciMessageIsr(PKINTERRUPT Interrupt, PVOID Context, ULONG MessageId)
{
    return AhciIsr(Interrupt, Context);
}

/* MSI by message (the table's one entry holds the interrupt object), INTx
 * by line: IoConnectInterruptEx finds both from the PDO, INTx routed even
 * when MSI was assigned (kernel/include/pnp.h), so a run-time switch or a
 * fallback has its interrupt ready. */
static VOID AhciConnectOne(PAHCI_CONTROLLER Ctrl, AHCI_IRQ *Irq, BOOLEAN Msi)
{
    IO_CONNECT_INTERRUPT_PARAMETERS params;
    NTSTATUS status;

    if (Irq->Object || (Msi && !Irq->Present))
        return;
    RtlZeroMemory(&params, sizeof(params));
    if (Msi) {
        params.Version = CONNECT_MESSAGE_BASED;
        params.MessageBased.PhysicalDeviceObject = Ctrl->PciPdo;
        params.MessageBased.ConnectionContext.InterruptMessageTable = &Irq->MessageTable;
        params.MessageBased.MessageServiceRoutine = AhciMessageIsr;
        params.MessageBased.ServiceContext = Ctrl;
    } else {
        params.Version = CONNECT_LINE_BASED;
        params.LineBased.PhysicalDeviceObject = Ctrl->PciPdo;
        params.LineBased.InterruptObject = &Irq->Object;
        params.LineBased.ServiceRoutine = AhciIsr;
        params.LineBased.ServiceContext = Ctrl;
    }
    status = IoConnectInterruptEx(&params);
    if (!NT_SUCCESS(status)) {
        if (Msi || status != STATUS_NOT_FOUND)
            DbgPrint("ahci%u: IoConnectInterruptEx %s: status 0x%08X\n", Ctrl->Number,
                     Msi ? "message-based" : "line-based", (ULONG)status);
        Irq->Object = NULL;
        Irq->MessageTable = NULL;
        return;
    }
    Irq->Present = TRUE;
    if (Msi) {
        Irq->Object = Irq->MessageTable->MessageInfo[0].InterruptObject;
        Irq->Vector = Irq->MessageTable->MessageInfo[0].Vector;
    }
}

/* Both interrupts, whichever the function signals now: the other one is
 * there for a run-time switch or a fallback. */
VOID AhciConnectInterrupts(PAHCI_CONTROLLER Ctrl)
{
    AhciConnectOne(Ctrl, &Ctrl->Msi, TRUE);
    AhciConnectOne(Ctrl, &Ctrl->Intx, FALSE);
}

VOID AhciDisconnectInterrupts(PAHCI_CONTROLLER Ctrl)
{
    IO_DISCONNECT_INTERRUPT_PARAMETERS params;

    AhciWrite(Ctrl->Abar, AHCI_GHC, AhciRead(Ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);
    if (Ctrl->Msi.Object) {
        params.Version = CONNECT_MESSAGE_BASED;
        params.ConnectionContext.InterruptMessageTable = Ctrl->Msi.MessageTable;
        IoDisconnectInterruptEx(&params);
        Ctrl->Msi.Object = NULL;
        Ctrl->Msi.MessageTable = NULL;
    }
    if (Ctrl->Intx.Object) {
        params.Version = CONNECT_LINE_BASED;
        params.ConnectionContext.InterruptObject = Ctrl->Intx.Object;
        IoDisconnectInterruptEx(&params);
        Ctrl->Intx.Object = NULL;
    }
    KeRemoveQueueDpc(&Ctrl->Dpc);
}

/* The controller's DMA adapter, for the ports' command memory: what the
 * HBA reaches (CAP.S64A as the driver now believes it, 3.1.1; 43 bits on
 * ASM106x).  Data buffers go through each port's own adapter (sglist.c). */
static NTSTATUS AhciGetDmaAdapter(PAHCI_CONTROLLER Ctrl)
{
    DEVICE_DESCRIPTION desc;
    ULONG mapRegisters;

    RtlZeroMemory(&desc, sizeof(desc));
    desc.Version = DEVICE_DESCRIPTION_VERSION3;
    desc.Master = TRUE;
    desc.ScatterGather = TRUE;
    desc.Dma32BitAddresses = TRUE;
    desc.Dma64BitAddresses = (Ctrl->Cap & AHCI_CAP_S64A) != 0;
    if (desc.Dma64BitAddresses && Ctrl->DmaLimit != ~0ull)
        desc.DmaAddressWidth = 64 - (ULONG)__builtin_clzll(Ctrl->DmaLimit - 1);
    desc.InterfaceType = PCIBus;
    desc.MaximumLength = PAGE_SIZE;     /* no transfers through it yet: one map register */
    Ctrl->Dma = IoGetDmaAdapter(Ctrl->PciPdo, &desc, &mapRegisters);
    if (!Ctrl->Dma) {
        DbgPrint("ahci%u: IoGetDmaAdapter failed\n", Ctrl->Number);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}

static VOID AhciPutDmaAdapter(PAHCI_CONTROLLER Ctrl)
{
    if (Ctrl->Dma) {
        Ctrl->Dma->DmaOperations->PutDmaAdapter(Ctrl->Dma);
        Ctrl->Dma = NULL;
    }
}

NTSTATUS AhciHbaStart(PAHCI_CONTROLLER Ctrl, PCM_RESOURCE_LIST Translated)
{
    NTSTATUS status;
    ULONG ports = 0;

    status = AhciFindResources(Ctrl, Translated);
    if (!NT_SUCCESS(status))
        return status;
    Ctrl->Abar = MmMapIoSpace(Ctrl->AbarPa, Ctrl->AbarLength, MmNonCached);
    if (!Ctrl->Abar) {
        DbgPrint("ahci%u: cannot map ABAR at %llx\n", Ctrl->Number,
                 (unsigned long long)Ctrl->AbarPa.QuadPart);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    Ctrl->DmaLimit = ~0ull;
    AhciWorkerInit(Ctrl);
    AhciReadPciIds(Ctrl);
    AhciQuirksController(Ctrl);
    Ctrl->Cap2 = AhciRead(Ctrl->Abar, AHCI_CAP2);
    AhciBiosHandoff(Ctrl);
    status = AhciHbaReset(Ctrl);
    if (!NT_SUCCESS(status))
        goto fail;

    Ctrl->Cap = AhciRead(Ctrl->Abar, AHCI_CAP);
    Ctrl->Cap2 = AhciRead(Ctrl->Abar, AHCI_CAP2);
    Ctrl->Version = AhciRead(Ctrl->Abar, AHCI_VS);
    Ctrl->NumSlots = ((Ctrl->Cap & AHCI_CAP_NCS_MASK) >> AHCI_CAP_NCS_SHIFT) + 1;
    /* Cap is what the driver relies on: without S64A every DMA structure
     * stays below 4 GiB and data above it goes through the ports' DMA
     * adapters' map registers (sglist.c). */
    if (Ctrl->Quirks & NTSTOR_AHCI_QUIRK_NO_64BIT) {
        Ctrl->Cap &= ~AHCI_CAP_S64A;    /* the table said so (quirks.c), whatever CAP says */
    } else if (AhciParameters.Force32BitDma && (Ctrl->Cap & AHCI_CAP_S64A)) {
        Ctrl->Cap &= ~AHCI_CAP_S64A;
        AhciQuirkApply(Ctrl, NULL, NTSTOR_AHCI_QUIRK_NO_64BIT,
                       "Parameters\\Force32BitDma, the HBA's S64A is ignored");
    } else if (!(Ctrl->Cap & AHCI_CAP_S64A)) {
        AhciQuirkApply(Ctrl, NULL, NTSTOR_AHCI_QUIRK_NO_64BIT,
                       "HBA without CAP.S64A, data above 4 GiB is bounced");
    }
    /* Ports past the mapped ABAR cannot be reached, whatever PI says. */
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++)
        if (AHCI_PORT_OFFSET(p + 1) > Ctrl->AbarLength)
            Ctrl->PortsImplemented &= ~(1u << p);
    DbgPrint("ahci%u: AHCI %x.%x cap=%08x cap2=%08x pi=%08x slots=%u ncq=%u s64a=%u sss=%u\n",
             Ctrl->Number, Ctrl->Version >> 16, Ctrl->Version & 0xFFFF, Ctrl->Cap, Ctrl->Cap2,
             Ctrl->PortsImplemented, Ctrl->NumSlots, !!(Ctrl->Cap & AHCI_CAP_SNCQ),
             !!(Ctrl->Cap & AHCI_CAP_S64A), !!(Ctrl->Cap & AHCI_CAP_SSS));

    /* Interrupts off at the HBA until the ports are set up; clear stale status. */
    AhciWrite(Ctrl->Abar, AHCI_GHC, AhciRead(Ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);
    AhciWrite(Ctrl->Abar, AHCI_IS, 0xFFFFFFFF);

    /* What START left the function doing: MSI if it was offered (already
     * enabled), else INTx.  Poll (parameter) keeps both quiet. */
    AhciFindMsiCapability(Ctrl);
    AhciConnectInterrupts(Ctrl);
    if (AhciParameters.InterruptMode != NtstorAhciModePoll && Ctrl->Msi.Object)
        Ctrl->Source = NtstorAhciModeMsi;
    else if (AhciParameters.InterruptMode != NtstorAhciModePoll && Ctrl->Intx.Object)
        Ctrl->Source = NtstorAhciModeIntx;
    else
        Ctrl->Source = NtstorAhciModePoll;
    if (Ctrl->Source == NtstorAhciModeIntx && Ctrl->Msi.Present)
        AhciSetInterruptSource(Ctrl, NtstorAhciModeIntx);  /* MSI off, INTx on */

    status = AhciGetDmaAdapter(Ctrl);
    if (!NT_SUCCESS(status))
        goto fail;
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        if (!(Ctrl->PortsImplemented & (1u << p)))
            continue;
        if (NT_SUCCESS(AhciPortInit(Ctrl, p)))
            ports++;
    }
    if (Ctrl->Source != NtstorAhciModePoll)
        AhciWrite(Ctrl->Abar, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);

    /* The first command with interrupts on tells whether they arrive. */
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (port && port->State == AhciPortReady)
            AhciProbeInterrupt(port);
    }
    Ctrl->Started = TRUE;
    DbgPrint("ahci%u: started, %u port(s) set up, interrupt %s (msi %s, intx %s)\n", Ctrl->Number,
             ports, AhciModeNames[Ctrl->Source],
             Ctrl->Msi.Object ? "connected" : Ctrl->Msi.Present ? "failed" : "not offered",
             Ctrl->Intx.Object ? "connected" : Ctrl->Intx.Present ? "failed" : "not offered");

    /* Test hook: silence the source, as a broken route would -- now, or
     * (TestLoseInterruptsAfter) from the watchdog once that many commands
     * have completed. */
    if (AhciParameters.TestLoseInterrupts && Ctrl->Source != NtstorAhciModePoll) {
        Ctrl->InjectLoss = AhciParameters.TestLoseInterrupts;
        if (AhciParameters.TestLoseInterruptsAfter)
            Ctrl->InjectAt = AhciControllerCommands(Ctrl) + AhciParameters.TestLoseInterruptsAfter;
        else
            AhciSetInterruptSource(Ctrl, Ctrl->Source);
    }
    if (AhciParameters.TestHoldLowMemory)
        AhciTestHoldLowMemory(Ctrl);
    {
        LARGE_INTEGER due = { .QuadPart = -(LONGLONG)AhciMs(AHCI_WATCHDOG_PERIOD_MS) };
        KeSetTimerEx(&Ctrl->Watchdog, due, AHCI_WATCHDOG_PERIOD_MS, &Ctrl->WatchdogDpc);
    }
    return STATUS_SUCCESS;

fail:
    AhciWorkerStop(Ctrl);
    AhciPutDmaAdapter(Ctrl);
    MmUnmapIoSpace((PVOID)Ctrl->Abar, Ctrl->AbarLength);
    Ctrl->Abar = NULL;
    return status;
}

/* Ports stopped (ST and FRE off), interrupts disconnected, GHC.IE
 * cleared, memory freed. */
VOID AhciHbaStop(PAHCI_CONTROLLER Ctrl)
{
    if (!Ctrl->Abar)
        return;
    KeCancelTimer(&Ctrl->Watchdog);
    KeRemoveQueueDpc(&Ctrl->WatchdogDpc);
    /* A recovery in the worker owns its port's commands: it ends first. */
    AhciWorkerStop(Ctrl);
    AhciWrite(Ctrl->Abar, AHCI_GHC, AhciRead(Ctrl->Abar, AHCI_GHC) & ~AHCI_GHC_IE);
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        if (!port)
            continue;
        AhciFailAll(port, SRB_STATUS_NO_DEVICE);
        /* Unlinked before it is freed: the ISR (a shared INTx line still
         * calls it, and IS may hold a stale bit) and a queued DPC look the
         * port up here until the interrupts are disconnected below. */
        Ctrl->Ports[p] = NULL;
        AhciPortFree(port);
    }
    AhciDisconnectInterrupts(Ctrl);
    AhciPutDmaAdapter(Ctrl);
    RtlZeroMemory(&Ctrl->Msi, sizeof(Ctrl->Msi));
    RtlZeroMemory(&Ctrl->Intx, sizeof(Ctrl->Intx));
    MmUnmapIoSpace((PVOID)Ctrl->Abar, Ctrl->AbarLength);
    Ctrl->Abar = NULL;
    Ctrl->Started = FALSE;
    AhciTestReleaseLowMemory();
}
