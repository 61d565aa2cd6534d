/* hc.c - controller bring-up (xHCI 1.2 4.2): registers mapped, firmware
 * handed off, halted and reset, DCBAA with scratchpad buffers, command
 * ring, event ring with one segment for interrupter 0, the interrupt
 * (MSI or INTx as the PnP manager offered it, or polling), run, port
 * power, then the enumeration thread and a bounded wait for the devices
 * present at boot.  XhciStop undoes it.  PASSIVE_LEVEL. */
#include "xhcip.h"
#include <pci.h>

#ifndef PCI_WHICHSPACE_CONFIG
#define PCI_WHICHSPACE_CONFIG 0
#endif

/* Controller-visible memory: zeroed, physically contiguous, within the
 * controller's reach, never across a 64 KiB boundary (6.1, 6.5). */
PVOID XhciAllocDma(PXHCI_HC Hc, SIZE_T Bytes, PULONG64 Pa)
{
    PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = (LONGLONG)Hc->DmaLimit };
    PHYSICAL_ADDRESS boundary = { .QuadPart = 0x10000 };
    PVOID va;

    if (Bytes > 0x10000)
        boundary.QuadPart = 0;
    va = MmAllocateContiguousMemorySpecifyCache(Bytes, low, high, boundary, MmCached);
    if (!va)
        return NULL;
    RtlZeroMemory(va, Bytes);
    *Pa = (ULONG64)MmGetPhysicalAddress(va).QuadPart;
    if (*Pa & 63) {     /* contexts need 64-byte alignment (6.2.1) */
        MmFreeContiguousMemory(va);
        return NULL;
    }
    return va;
}

VOID XhciFreeDma(PVOID Va)
{
    if (Va)
        MmFreeContiguousMemory(Va);
}

static NTSTATUS XhciConfigDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS XhciPciConfig(PXHCI_HC Hc, BOOLEAN Write, ULONG Offset, PVOID Buffer, ULONG Length)
{
    KEVENT event;
    PIRP irp;
    PIO_STACK_LOCATION stack;
    NTSTATUS status;

    irp = IoAllocateIrp(Hc->LowerDevice->StackSize, FALSE);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = IRP_MJ_PNP;
    stack->MinorFunction = Write ? IRP_MN_WRITE_CONFIG : IRP_MN_READ_CONFIG;
    stack->Parameters.ReadWriteConfig.WhichSpace = PCI_WHICHSPACE_CONFIG;
    stack->Parameters.ReadWriteConfig.Buffer = Buffer;
    stack->Parameters.ReadWriteConfig.Offset = Offset;
    stack->Parameters.ReadWriteConfig.Length = Length;
    IoSetCompletionRoutine(irp, XhciConfigDone, &event, TRUE, TRUE, TRUE);
    if (IoCallDriver(Hc->LowerDevice, irp) == STATUS_PENDING)
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
    status = irp->IoStatus.Status;
    IoFreeIrp(irp);
    return status;
}

static NTSTATUS XhciFindResources(PXHCI_HC Hc, PCM_RESOURCE_LIST Translated, BOOLEAN *HaveIrq)
{
    PCM_PARTIAL_RESOURCE_DESCRIPTOR mem = NULL;

    *HaveIrq = FALSE;
    if (!Translated || Translated->Count < 1)
        return STATUS_INSUFFICIENT_RESOURCES;
    PCM_PARTIAL_RESOURCE_LIST list = &Translated->List[0].PartialResourceList;
    Hc->PciBus = Translated->List[0].BusNumber;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        /* The registers are BAR0 (5.2.1), the first memory BAR. */
        if (d->Type == CmResourceTypeMemory && !mem)
            mem = d;
        else if (d->Type == CmResourceTypeInterrupt && !*HaveIrq) {
            /* kernel/include/pnp.h: MSI first when offered, then INTx. */
            *HaveIrq = TRUE;
            Hc->Vector = d->u.Interrupt.Vector;
            Hc->Irql = (KIRQL)d->u.Interrupt.Level;
            Hc->Mode = (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) ? NtstorUsbModeMsi
                                                                  : NtstorUsbModeIntx;
        }
    }
    if (!mem || mem->u.Memory.Length < 0x1000) {
        DbgPrint("usbxhci%u: no register BAR of at least 4 KiB in the start resources\n",
                 Hc->Number);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Hc->BasePa = mem->u.Memory.Start;
    Hc->BaseLength = mem->u.Memory.Length;
    return STATUS_SUCCESS;
}

/* Capability registers, each checked against the mapped window. */
static NTSTATUS XhciReadCapabilities(PXHCI_HC Hc)
{
    ULONG caplen = XhciRead(Hc, XHCI_CAPLENGTH);

    Hc->HciVersion = caplen >> 16;
    Hc->OpOffset = caplen & 0xFF;
    Hc->HcsParams1 = XhciRead(Hc, XHCI_HCSPARAMS1);
    Hc->HcsParams2 = XhciRead(Hc, XHCI_HCSPARAMS2);
    Hc->HccParams1 = XhciRead(Hc, XHCI_HCCPARAMS1);
    Hc->DbOffset = XhciRead(Hc, XHCI_DBOFF) & ~3u;
    Hc->RtOffset = XhciRead(Hc, XHCI_RTSOFF) & ~0x1Fu;
    Hc->MaxSlots = XHCI_HCS1_MAXSLOTS(Hc->HcsParams1);
    Hc->MaxPorts = XHCI_HCS1_MAXPORTS(Hc->HcsParams1);
    Hc->MaxScratch = XHCI_HCS2_MAX_SCRATCH(Hc->HcsParams2);
    Hc->ContextSize = (Hc->HccParams1 & XHCI_HCC1_CSZ) ? 64 : 32;
    Hc->Ac64 = (Hc->HccParams1 & XHCI_HCC1_AC64) != 0;
    Hc->DmaLimit = Hc->Ac64 ? ~0ull : 0xFFFFFFFFull;
    if (caplen == 0xFFFFFFFF || Hc->OpOffset < 0x20 ||
        Hc->OpOffset + XHCI_PORTSC(Hc->MaxPorts) > Hc->BaseLength ||
        Hc->RtOffset + XHCI_IR(1) > Hc->BaseLength || Hc->DbOffset + 4 * 256 > Hc->BaseLength ||
        Hc->MaxSlots == 0 || Hc->MaxPorts == 0) {
        DbgPrint("usbxhci%u: capability registers make no sense (CAPLENGTH=%08x HCSPARAMS1=%08x "
                 "DBOFF=%x RTSOFF=%x, BAR %u bytes)\n", Hc->Number, caplen, Hc->HcsParams1,
                 Hc->DbOffset, Hc->RtOffset, Hc->BaseLength);
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }
    if (Hc->MaxPorts > XHCI_MAX_PORTS)
        DbgPrint("usbxhci%u: %u root ports; the first %u are served\n", Hc->Number, Hc->MaxPorts,
                 XHCI_MAX_PORTS);
    return STATUS_SUCCESS;
}

/* DCBAA (6.1) with the scratchpad array in entry 0 (4.20). */
static NTSTATUS XhciAllocStructures(PXHCI_HC Hc)
{
    ULONG64 pa;

    Hc->Dcbaa = XhciAllocDma(Hc, 256 * sizeof(ULONG64), &pa);
    if (!Hc->Dcbaa)
        return STATUS_INSUFFICIENT_RESOURCES;
    Hc->DcbaaPa = pa;
    if (Hc->MaxScratch) {
        Hc->ScratchArray = XhciAllocDma(Hc, Hc->MaxScratch * sizeof(ULONG64), &pa);
        Hc->ScratchPages = ExAllocatePoolZero(NonPagedPool, Hc->MaxScratch * sizeof(PVOID), XHCI_TAG);
        if (!Hc->ScratchArray || !Hc->ScratchPages)
            return STATUS_INSUFFICIENT_RESOURCES;
        Hc->Dcbaa[0] = pa;
        for (ULONG i = 0; i < Hc->MaxScratch; i++) {
            ULONG64 p;
            Hc->ScratchPages[i] = XhciAllocDma(Hc, PAGE_SIZE, &p);
            if (!Hc->ScratchPages[i])
                return STATUS_INSUFFICIENT_RESOURCES;
            Hc->ScratchArray[i] = p;
        }
    }
    if (!NT_SUCCESS(XhciRingInit(Hc, &Hc->CmdRing, XHCI_RING_TRBS)) ||
        !NT_SUCCESS(XhciRingInit(Hc, &Hc->EventRing, XHCI_EVENT_TRBS)))
        return STATUS_INSUFFICIENT_RESOURCES;
    /* The event ring has no link TRB: the ERST says where it ends. */
    RtlZeroMemory((PVOID)Hc->EventRing.Trbs, XHCI_EVENT_TRBS * XHCI_TRB_SIZE);
    Hc->Erst = XhciAllocDma(Hc, 64, &pa);
    if (!Hc->Erst)
        return STATUS_INSUFFICIENT_RESOURCES;
    Hc->ErstPa = pa;
    Hc->Erst[0] = (ULONG)Hc->EventRing.Pa;
    Hc->Erst[1] = (ULONG)(Hc->EventRing.Pa >> 32);
    Hc->Erst[2] = XHCI_EVENT_TRBS;
    Hc->Erst[3] = 0;
    return STATUS_SUCCESS;
}

static VOID XhciFreeStructures(PXHCI_HC Hc)
{
    if (Hc->ScratchPages) {
        for (ULONG i = 0; i < Hc->MaxScratch; i++)
            XhciFreeDma(Hc->ScratchPages[i]);
        ExFreePoolWithTag(Hc->ScratchPages, XHCI_TAG);
        Hc->ScratchPages = NULL;
    }
    XhciFreeDma((PVOID)Hc->ScratchArray);
    Hc->ScratchArray = NULL;
    XhciRingFree(&Hc->CmdRing);
    XhciRingFree(&Hc->EventRing);
    XhciFreeDma((PVOID)Hc->Erst);
    Hc->Erst = NULL;
    XhciFreeDma((PVOID)Hc->Dcbaa);
    Hc->Dcbaa = NULL;
}

/* 4.2 steps 4-9: slots, DCBAA, command ring, interrupter 0, run. */
static NTSTATUS XhciRun(PXHCI_HC Hc)
{
    ULONG ir = Hc->RtOffset + XHCI_IR(0);

    if (!(XhciOpRead(Hc, XHCI_PAGESIZE) & 1)) {
        DbgPrint("usbxhci%u: controller does not do 4 KiB pages (PAGESIZE=%08x)\n", Hc->Number,
                 XhciOpRead(Hc, XHCI_PAGESIZE));
        return STATUS_NOT_SUPPORTED;
    }
    XhciOpWrite(Hc, XHCI_CONFIG, Hc->MaxSlots);
    XhciWrite64(Hc, Hc->OpOffset + XHCI_DCBAAP, Hc->DcbaaPa);
    XhciWrite64(Hc, Hc->OpOffset + XHCI_CRCR, Hc->CmdRing.Pa | XHCI_CRCR_RCS);
    XhciWrite(Hc, ir + XHCI_IR_ERSTSZ, 1);
    XhciWrite64(Hc, ir + XHCI_IR_ERDP, Hc->EventRing.Pa);
    XhciWrite64(Hc, ir + XHCI_IR_ERSTBA, Hc->ErstPa);     /* last: enables the ring (5.5.2.3.2) */
    XhciWrite(Hc, ir + XHCI_IR_IMOD, 200);              /* 50 us moderation */
    XhciWrite(Hc, ir + XHCI_IR_IMAN, XHCI_IMAN_IP |
              (Hc->Mode != NtstorUsbModePoll ? XHCI_IMAN_IE : 0));
    XhciOpWrite(Hc, XHCI_USBSTS, XHCI_STS_EINT | XHCI_STS_PCD | XHCI_STS_HSE);
    XhciOpWrite(Hc, XHCI_USBCMD, XHCI_CMD_RS | XHCI_CMD_HSEE |
                (Hc->Mode != NtstorUsbModePoll ? XHCI_CMD_INTE : 0));
    if (!XhciWaitOp(Hc, XHCI_USBSTS, XHCI_STS_HCH, 0, XHCI_HALT_MS)) {
        DbgPrint("usbxhci%u: still halted after R/S=1 (USBSTS=%08x)\n", Hc->Number,
                 XhciOpRead(Hc, XHCI_USBSTS));
        return STATUS_IO_DEVICE_ERROR;
    }
    return STATUS_SUCCESS;
}

NTSTATUS XhciStart(PXHCI_HC Hc, PCM_RESOURCE_LIST Translated)
{
    static const char *const modes[] = { "poll", "msi", "intx" };
    BOOLEAN haveIrq;
    NTSTATUS status;
    UCHAR cfg[0x10];
    ULONG64 t0 = XhciNow();

    status = XhciFindResources(Hc, Translated, &haveIrq);
    if (!NT_SUCCESS(status))
        return status;
    if (NT_SUCCESS(XhciPciConfig(Hc, FALSE, 0, cfg, sizeof(cfg)))) {
        Hc->VendorId = (USHORT)(cfg[PCI_CFG_VENDOR_ID] | (cfg[PCI_CFG_VENDOR_ID + 1] << 8));
        Hc->DeviceId = (USHORT)(cfg[PCI_CFG_DEVICE_ID] | (cfg[PCI_CFG_DEVICE_ID + 1] << 8));
    }
    Hc->Base = MmMapIoSpace(Hc->BasePa, Hc->BaseLength, MmNonCached);
    if (!Hc->Base) {
        DbgPrint("usbxhci%u: cannot map the registers at %llx\n", Hc->Number,
                 (unsigned long long)Hc->BasePa.QuadPart);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = XhciReadCapabilities(Hc);
    if (!NT_SUCCESS(status))
        goto fail;
    XhciBiosHandoff(Hc);
    status = XhciHaltAndReset(Hc);
    if (!NT_SUCCESS(status))
        goto fail;
    XhciReadProtocols(Hc);
    status = XhciAllocStructures(Hc);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbxhci%u: no memory for the controller's structures\n", Hc->Number);
        goto fail;
    }
    if (!haveIrq || XhciParameters.InterruptMode == NtstorUsbModePoll)
        Hc->Mode = NtstorUsbModePoll;
    if (Hc->Mode != NtstorUsbModePoll) {
        status = IoConnectInterrupt(&Hc->Interrupt, XhciIsr, Hc, NULL, Hc->Vector, Hc->Irql,
                                    Hc->Irql, Hc->Mode == NtstorUsbModeMsi ? Latched : LevelSensitive,
                                    Hc->Mode == NtstorUsbModeIntx, 1, FALSE);
        if (!NT_SUCCESS(status)) {
            DbgPrint("usbxhci%u: IoConnectInterrupt vector %u: 0x%08x; polling\n", Hc->Number,
                     Hc->Vector, (ULONG)status);
            Hc->Interrupt = NULL;
            Hc->Mode = NtstorUsbModePoll;
        }
    }
    status = XhciRun(Hc);
    if (!NT_SUCCESS(status))
        goto fail;
    {
        ULONG period = Hc->Mode == NtstorUsbModePoll ? XHCI_POLL_MS : XHCI_WATCHDOG_MS;
        LARGE_INTEGER due = { .QuadPart = -(LONGLONG)period * 10000 };
        KeSetTimerEx(&Hc->PollTimer, due, period, &Hc->PollDpc);
    }
    /* 4.19.4: ports of a controller with PPC start unpowered. */
    if (Hc->HccParams1 & XHCI_HCC1_PPC) {
        for (ULONG p = 1; p <= Hc->MaxPorts && p <= XHCI_MAX_PORTS; p++) {
            ULONG v = XhciPortRead(Hc, p);
            if (!(v & XHCI_PORTSC_PP))
                XhciPortWrite(Hc, p, (v & XHCI_PORTSC_PRESERVE) | XHCI_PORTSC_PP);
        }
        XhciSleepMs(20);
    }
    Hc->Started = TRUE;
    DbgPrint("usbxhci%u: xHCI %x.%02x %04x:%04x slots=%u ports=%u context=%u scratchpads=%u "
             "ac64=%u handoff=%s interrupt=%s, running after %u ms\n", Hc->Number,
             Hc->HciVersion >> 8, Hc->HciVersion & 0xFF, Hc->VendorId, Hc->DeviceId, Hc->MaxSlots,
             Hc->MaxPorts, Hc->ContextSize, Hc->MaxScratch, Hc->Ac64, Hc->HandoffResult,
             modes[Hc->Mode], (ULONG)((XhciNow() - t0) / 10000));
    status = XhciEnumStart(Hc);
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbxhci%u: no enumeration thread: 0x%08x\n", Hc->Number, (ULONG)status);
        goto fail;
    }
    /* Devices present at boot are there before the shell starts. */
    {
        LARGE_INTEGER limit = { .QuadPart = -(LONGLONG)XHCI_BOOT_ENUM_MS * 10000 };
        if (KeWaitForSingleObject(&Hc->BootEnumDone, Executive, KernelMode, FALSE, &limit) ==
            STATUS_TIMEOUT)
            DbgPrint("usbxhci%u: boot enumeration still running after %u ms; going on\n",
                     Hc->Number, XHCI_BOOT_ENUM_MS);
    }
    return STATUS_SUCCESS;

fail:
    XhciStop(Hc);
    return status;
}

/* Enumeration stopped, every device gone (requests end DEVICE_GONE),
 * controller halted, interrupt disconnected, memory freed. */
VOID XhciStop(PXHCI_HC Hc)
{
    if (!Hc->Base)
        return;
    XhciEnumStop(Hc);
    for (ULONG p = 1; p <= XHCI_MAX_PORTS; p++) {
        if (Hc->Ports[p].Dev && Hc->Started) {
            XhciDeviceDetach(Hc->Ports[p].Dev);
            Hc->Ports[p].Dev = NULL;
        }
    }
    XhciOpWrite(Hc, XHCI_USBCMD, XhciOpRead(Hc, XHCI_USBCMD) & ~(XHCI_CMD_RS | XHCI_CMD_INTE));
    XhciWaitOp(Hc, XHCI_USBSTS, XHCI_STS_HCH, XHCI_STS_HCH, XHCI_HALT_MS);
    KeCancelTimer(&Hc->PollTimer);
    KeRemoveQueueDpc(&Hc->PollDpc);
    if (Hc->Interrupt) {
        IoDisconnectInterrupt(Hc->Interrupt);
        Hc->Interrupt = NULL;
    }
    KeRemoveQueueDpc(&Hc->Dpc);
    XhciFreeStructures(Hc);
    MmUnmapIoSpace((PVOID)Hc->Base, Hc->BaseLength);
    Hc->Base = NULL;
    Hc->Started = FALSE;
}
