/* ioctl.c - IRP_MJ_DEVICE_CONTROL on a disk PDO: ntstor's GET_INFO,
 * SET_MODE and RAW_BENCH (include/ntstor_ahci.h) and IOCTL_SCSI_GET_ADDRESS;
 * on the controller FDO: SET_DEBUG and GET_REGS. */
#include "ahcip.h"
#include <stddef.h>

/* AhciGetRegs copies the register blocks dword by dword into these. */
_Static_assert(offsetof(NTSTOR_AHCI_REGS, Bohc) - offsetof(NTSTOR_AHCI_REGS, Cap) == AHCI_BOHC,
               "NTSTOR_AHCI_REGS CAP..BOHC follow AHCI 3.1");
_Static_assert(offsetof(NTSTOR_AHCI_PORT_REGS, Devslp) - offsetof(NTSTOR_AHCI_PORT_REGS, Clb) ==
               AHCI_PxDEVSLP, "NTSTOR_AHCI_PORT_REGS PxCLB..PxDEVSLP follow AHCI 3.3");

static NTSTATUS AhciGetInfo(PAHCI_PORT Port, PIRP Irp, ULONG OutLength)
{
    PNTSTOR_AHCI_INFO info = Irp->AssociatedIrp.SystemBuffer;

    if (OutLength < sizeof(*info) || !info)
        return STATUS_BUFFER_TOO_SMALL;
    RtlZeroMemory(info, sizeof(*info));
    info->Size = sizeof(*info);
    info->Controller = Port->Controller->Number;
    info->Port = Port->Index;
    info->Mode = Port->Mode;
    info->NcqDepth = Port->UseNcq ? Port->QueueDepth : 0;
    info->Quirks = Port->Quirks | Port->Controller->Quirks;
    info->SectorSize = Port->Device.SectorSize;
    info->MaxTransferBytes = Port->Device.MaxTransferSectors * Port->Device.SectorSize;
    info->Sectors = Port->Device.Sectors;
    info->Trim = Port->Device.Trim;
    info->WriteCacheEnabled = Port->Device.WriteCacheEnabled;
    RtlStringCbPrintfA(info->Model, sizeof(info->Model), "%s", Port->Device.Model);
    RtlStringCbPrintfA(info->Serial, sizeof(info->Serial), "%s", Port->Device.Serial);
    RtlStringCbPrintfA(info->Firmware, sizeof(info->Firmware), "%s", Port->Device.Firmware);
    info->Commands = Port->Commands;
    info->Interrupts = Port->Controller->InterruptCount;
    info->Errors = Port->Errors;
    info->LostInterrupts = Port->LostInterrupts;
    info->Doorbells = Port->Doorbells;
    info->PollLooks = Port->PollLooks;
    info->BouncedCommands = (ULONG)Port->Bounced;    /* sglist.c */
    info->Source = Port->Controller->Source;
    RtlStringCbPrintfA(info->State, sizeof(info->State), "%s", AhciPortStateNames[Port->State]);
    info->PhysicalSectorSize = Port->Device.SectorSize << Port->Device.LogicalPerPhysicalShift;
    info->AlignmentOffset = Port->Device.AlignmentOffset;
    info->Modes = 1u << NtstorAhciModePoll;
    if (Port->Controller->Msi.Object && Port->Controller->MsiCap)
        info->Modes |= 1u << NtstorAhciModeMsi;
    if (Port->Controller->Intx.Object)
        info->Modes |= 1u << NtstorAhciModeIntx;
    Irp->IoStatus.Information = sizeof(*info);
    return STATUS_SUCCESS;
}

/* PASSIVE_LEVEL (the port is drained while the mode changes). */
static NTSTATUS AhciSetMode(PAHCI_PORT Port, PIRP Irp, ULONG InLength)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    PNTSTOR_AHCI_SET_MODE req = Irp->AssociatedIrp.SystemBuffer;

    if (InLength < sizeof(*req) || !req || req->Mode > NtstorAhciModeIntx)
        return STATUS_INVALID_PARAMETER;
    return AhciSetPortMode(Port, (NTSTOR_AHCI_MODE)req->Mode);
}

static NTSTATUS AhciBenchIoctl(PAHCI_PORT Port, PIRP Irp, ULONG InLength, ULONG OutLength)
{
    PNTSTOR_AHCI_RAW_BENCH b = Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status;

    if (!b || InLength < sizeof(*b) || OutLength < sizeof(*b) || b->Size != sizeof(*b))
        return STATUS_INVALID_PARAMETER;
    status = AhciRawBench(Port, b);
    if (NT_SUCCESS(status))
        Irp->IoStatus.Information = sizeof(*b);
    return status;
}

/* Driver-wide, any IRQL up to DISPATCH_LEVEL: one BOOLEAN. */
static NTSTATUS AhciSetDebug(PIRP Irp, ULONG InLength, ULONG OutLength)
{
    PNTSTOR_AHCI_SET_DEBUG d = Irp->AssociatedIrp.SystemBuffer;
    BOOLEAN was = AhciParameters.Debug;

    if (!d || InLength < sizeof(*d) || d->Debug > 1)
        return STATUS_INVALID_PARAMETER;
    AhciParameters.Debug = d->Debug != 0;
    DbgPrint("ahci: debug output %s (was %s)\n", d->Debug ? "on" : "off", was ? "on" : "off");
    if (OutLength >= sizeof(*d)) {
        d->Debug = was;
        Irp->IoStatus.Information = sizeof(*d);
    }
    return STATUS_SUCCESS;
}

/* Reads only; any IRQL up to DISPATCH_LEVEL.  A port in the middle of a
 * recovery is read as it is: that is what a bug report wants. */
static NTSTATUS AhciGetRegs(PAHCI_CONTROLLER Ctrl, PIRP Irp, ULONG OutLength)
{
    PNTSTOR_AHCI_REGS r = Irp->AssociatedIrp.SystemBuffer;

    if (!r || OutLength < sizeof(*r))
        return STATUS_BUFFER_TOO_SMALL;
    if (!Ctrl->Abar)
        return STATUS_DEVICE_NOT_READY;
    RtlZeroMemory(r, sizeof(*r));
    r->Size = sizeof(*r);
    r->Controller = Ctrl->Number;
    r->VendorId = Ctrl->VendorId;
    r->DeviceId = Ctrl->DeviceId;
    r->SubVendorId = Ctrl->SubVendorId;
    r->SubSystemId = Ctrl->SubSystemId;
    r->Revision = Ctrl->Revision;
    r->ClassCode = Ctrl->ClassCode;
    /* CAP .. BOHC are consecutive dwords (3.1), as are the struct's. */
    for (ULONG off = AHCI_CAP; off <= AHCI_BOHC; off += 4)
        (&r->Cap)[off / 4] = AhciRead(Ctrl->Abar, off);
    r->Quirks = Ctrl->Quirks;
    r->Source = Ctrl->Source;
    r->Interrupts = Ctrl->InterruptCount;
    r->HotPlugs = Ctrl->HotPlugs;
    for (ULONG p = 0; p < AHCI_MAX_PORTS; p++) {
        PAHCI_PORT port = Ctrl->Ports[p];
        PNTSTOR_AHCI_PORT_REGS pr = &r->Ports[p];
        if (!port)
            continue;
        pr->Present = 1;
        for (ULONG off = AHCI_PxCLB; off <= AHCI_PxDEVSLP; off += 4)
            (&pr->Clb)[off / 4] = AhciRead(port->Regs, off);
        RtlStringCbPrintfA(pr->State, sizeof(pr->State), "%s", AhciPortStateNames[port->State]);
        pr->InRecovery = port->InRecovery;
        pr->Quirks = port->Quirks;
        pr->Commands = port->Commands;
        pr->Errors = port->Errors;
        pr->LostInterrupts = port->LostInterrupts;
        pr->HbaResets = port->HbaResets;
        pr->HistoryCount = port->HistoryCount;
        ULONG n = port->HistoryCount < AHCI_STATE_HISTORY ? port->HistoryCount : AHCI_STATE_HISTORY;
        for (ULONG i = 0; i < n; i++) {
            PAHCI_STATE_CHANGE h = &port->History[(port->HistoryCount - n + i) % AHCI_STATE_HISTORY];
            RtlStringCbPrintfA(pr->History[i].From, sizeof(pr->History[i].From), "%s",
                               AhciPortStateNames[h->From]);
            RtlStringCbPrintfA(pr->History[i].To, sizeof(pr->History[i].To), "%s",
                               AhciPortStateNames[h->To]);
            pr->History[i].Ms = h->Ms;
        }
    }
    Irp->IoStatus.Information = sizeof(*r);
    return STATUS_SUCCESS;
}

/* The controller FDO (\Device\Ahci<n>) answers the controller-wide IOCTLs. */
static NTSTATUS AhciFdoDeviceControl(PAHCI_CONTROLLER Ctrl, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out = stack->Parameters.DeviceIoControl.OutputBufferLength;

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_NTSTOR_AHCI_SET_DEBUG:
        return AhciSetDebug(Irp, in, out);
    case IOCTL_NTSTOR_AHCI_GET_REGS:
        return AhciGetRegs(Ctrl, Irp, out);
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

NTSTATUS AhciDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PAHCI_PORT port = ext->IsFdo ? NULL : ext->Port;
    PIO_REMOVE_LOCK lock = &((PAHCI_EXTENSION_HEADER)ext)->RemoveLock;
    NTSTATUS status;

    Irp->IoStatus.Information = 0;
    if (!NT_SUCCESS(IoAcquireRemoveLock(lock, Irp))) {
        Irp->IoStatus.Status = STATUS_DEVICE_DOES_NOT_EXIST;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_DEVICE_DOES_NOT_EXIST;
    }
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    if (ext->IsFdo) {
        status = AhciFdoDeviceControl((PAHCI_CONTROLLER)ext, Irp);
    } else if (port && code == IOCTL_NTSTOR_AHCI_SET_DEBUG) {
        status = AhciSetDebug(Irp, stack->Parameters.DeviceIoControl.InputBufferLength,
                              stack->Parameters.DeviceIoControl.OutputBufferLength);
    } else if (port && code == IOCTL_NTSTOR_AHCI_GET_INFO) {
        /* Facts of a port in any state: `disks` shows a gone disk's state. */
        status = AhciGetInfo(port, Irp, stack->Parameters.DeviceIoControl.OutputBufferLength);
    } else if (!port || port->State != AhciPortReady) {
        status = STATUS_DEVICE_DOES_NOT_EXIST;
    } else {
        switch (stack->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_NTSTOR_AHCI_GET_INFO:
            status = AhciGetInfo(port, Irp, stack->Parameters.DeviceIoControl.OutputBufferLength);
            break;
        case IOCTL_NTSTOR_AHCI_SET_MODE:
            status = AhciSetMode(port, Irp, stack->Parameters.DeviceIoControl.InputBufferLength);
            break;
        case IOCTL_NTSTOR_AHCI_RAW_BENCH:
            status = AhciBenchIoctl(port, Irp, stack->Parameters.DeviceIoControl.InputBufferLength,
                                    stack->Parameters.DeviceIoControl.OutputBufferLength);
            break;
        case IOCTL_SCSI_GET_ADDRESS: {
            PSCSI_ADDRESS a = Irp->AssociatedIrp.SystemBuffer;
            if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*a) || !a) {
                status = STATUS_BUFFER_TOO_SMALL;
                break;
            }
            a->Length = sizeof(*a);
            a->PortNumber = (UCHAR)port->Controller->Number;
            a->PathId = 0;
            a->TargetId = (UCHAR)port->Index;
            a->Lun = 0;
            Irp->IoStatus.Information = sizeof(*a);
            status = STATUS_SUCCESS;
            break;
        }
        default:
            status = STATUS_INVALID_DEVICE_REQUEST;
            break;
        }
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoReleaseRemoveLock(lock, Irp);
    return status;
}
