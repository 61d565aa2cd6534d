/* ioctl.c - IRP_MJ_DEVICE_CONTROL on a disk PDO: ntstor's GET_INFO and
 * SET_MODE (include/ntstor_ahci.h) and IOCTL_SCSI_GET_ADDRESS. */
#include "ahcip.h"

static VOID AhciCopyString(PCHAR Dest, PCSTR Src, ULONG Size)
{
    ULONG i = 0;
    for (; i + 1 < Size && Src[i]; i++)
        Dest[i] = Src[i];
    Dest[i] = 0;
}

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
    info->Quirks = Port->Quirks;
    info->SectorSize = Port->Device.SectorSize;
    info->MaxTransferBytes = Port->Device.MaxTransferSectors * Port->Device.SectorSize;
    info->Sectors = Port->Device.Sectors;
    info->Trim = Port->Device.Trim;
    info->WriteCacheEnabled = Port->Device.WriteCacheEnabled;
    AhciCopyString(info->Model, Port->Device.Model, sizeof(info->Model));
    AhciCopyString(info->Serial, Port->Device.Serial, sizeof(info->Serial));
    AhciCopyString(info->Firmware, Port->Device.Firmware, sizeof(info->Firmware));
    info->Commands = Port->Commands;
    info->Interrupts = Port->Controller->InterruptCount;
    info->Errors = Port->Errors;
    Irp->IoStatus.Information = sizeof(*info);
    return STATUS_SUCCESS;
}

static NTSTATUS AhciSetMode(PAHCI_PORT Port, PIRP Irp, ULONG InLength)
{
    PNTSTOR_AHCI_SET_MODE req = Irp->AssociatedIrp.SystemBuffer;
    PAHCI_CONTROLLER ctrl = Port->Controller;
    KIRQL irql;

    if (InLength < sizeof(*req) || !req)
        return STATUS_INVALID_PARAMETER;
    switch (req->Mode) {
    case NtstorAhciModePoll:
        KeAcquireSpinLock(&Port->Lock, &irql);
        AhciPortSetMode(Port, NtstorAhciModePoll);
        KeReleaseSpinLock(&Port->Lock, irql);
        AhciPollPort(Port);     /* what was issued under interrupts ends here now */
        return STATUS_SUCCESS;
    case NtstorAhciModeMsi:
    case NtstorAhciModeIntx:
        /* The PnP manager routed one kind of interrupt; that is the one we have. */
        if (!ctrl->Interrupt || ctrl->InterruptIsMsi != (req->Mode == NtstorAhciModeMsi))
            return STATUS_NOT_SUPPORTED;
        KeAcquireSpinLock(&Port->Lock, &irql);
        AhciWrite(Port->Regs, AHCI_PxIS, 0xFFFFFFFF);
        AhciPortSetMode(Port, (NTSTOR_AHCI_MODE)req->Mode);
        KeReleaseSpinLock(&Port->Lock, irql);
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

NTSTATUS AhciDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAHCI_PDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PAHCI_PORT port = ext->IsFdo ? NULL : ext->Port;
    NTSTATUS status;

    Irp->IoStatus.Information = 0;
    if (!port || port->State != AhciPortReady) {
        status = ext->IsFdo ? STATUS_INVALID_DEVICE_REQUEST : STATUS_DEVICE_DOES_NOT_EXIST;
    } else {
        switch (stack->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_NTSTOR_AHCI_GET_INFO:
            status = AhciGetInfo(port, Irp, stack->Parameters.DeviceIoControl.OutputBufferLength);
            break;
        case IOCTL_NTSTOR_AHCI_SET_MODE:
            status = AhciSetMode(port, Irp, stack->Parameters.DeviceIoControl.InputBufferLength);
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
