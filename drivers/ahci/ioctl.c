/* ioctl.c - IRP_MJ_DEVICE_CONTROL on a disk PDO: ntstor's GET_INFO,
 * SET_MODE and RAW_BENCH (include/ntstor_ahci.h) and IOCTL_SCSI_GET_ADDRESS. */
#include "ahcip.h"

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
    info->BouncedCommands = (ULONG)AhciBounceCount(Port);
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

/* The controller FDO (\Device\Ahci<n>) answers the controller-wide IOCTLs. */
static NTSTATUS AhciFdoDeviceControl(PAHCI_CONTROLLER Ctrl, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out = stack->Parameters.DeviceIoControl.OutputBufferLength;

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_NTSTOR_AHCI_SET_DEBUG:
        return AhciSetDebug(Irp, in, out);
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

NTSTATUS AhciDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PAHCI_PORT port = ext->IsFdo ? NULL : ext->Port;
    NTSTATUS status;

    Irp->IoStatus.Information = 0;
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
    return status;
}
