/* usbio.c - usbstor's side of the USB client interface (include/usb.h):
 * URBs sent down the device's stack in IRP_MJ_INTERNAL_DEVICE_CONTROL /
 * IOCTL_INTERNAL_USB_SUBMIT_URB and waited for with a timeout, and the
 * BOT engine's bus operations (bot.h BOT_OPS) built on them.  All at
 * PASSIVE_LEVEL: each call waits. */
#include "usbstor.h"

static NTSTATUS UsbstorSyncDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent(Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;     /* the IRP is ours to free */
}

static PIRP UsbstorInternalIrp(PUSBSTOR_FDO Fdo, ULONG Code, PVOID Argument1, PKEVENT Done)
{
    PIRP irp = IoAllocateIrp(Fdo->Lower->StackSize, FALSE);
    PIO_STACK_LOCATION next;

    if (!irp)
        return NULL;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    next->Parameters.DeviceIoControl.IoControlCode = Code;
    next->Parameters.Others.Argument1 = Argument1;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    KeInitializeEvent(Done, NotificationEvent, FALSE);
    IoSetCompletionRoutine(irp, UsbstorSyncDone, Done, TRUE, TRUE, TRUE);
    return irp;
}

/* Waits for an IRP we sent; past TimeoutMs it is cancelled (and its pipe
 * aborted, which is how the host controller driver gives a bulk transfer
 * back), then waited for until it is back -- its buffer is in the
 * controller's hands until then.  TRUE if it timed out. */
static BOOLEAN UsbstorWait(PUSBSTOR_FDO Fdo, PIRP Irp, PKEVENT Done, ULONG TimeoutMs,
                           USBD_PIPE_HANDLE AbortPipe)
{
    LARGE_INTEGER t;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    t.QuadPart = -(LONGLONG)TimeoutMs * 10000;
    if (KeWaitForSingleObject(Done, Executive, KernelMode, FALSE, &t) != STATUS_TIMEOUT)
        return FALSE;
    IoCancelIrp(Irp);
    if (AbortPipe) {
        URB abort;
        RtlZeroMemory(&abort, sizeof(abort));
        abort.UrbHeader.Length = sizeof(struct _URB_PIPE_REQUEST);
        abort.UrbHeader.Function = URB_FUNCTION_ABORT_PIPE;
        abort.UrbPipeRequest.PipeHandle = AbortPipe;
        UsbstorSubmitUrb(Fdo, &abort, USBSTOR_CONTROL_TIMEOUT_MS, NULL);
    }
    t.QuadPart = -(LONGLONG)USBSTOR_CANCEL_GRACE_MS * 10000;
    if (KeWaitForSingleObject(Done, Executive, KernelMode, FALSE, &t) == STATUS_TIMEOUT) {
        DbgPrint("usbstor%u: a timed-out transfer is still not back from the host controller "
                 "after cancel and abort; waiting\n", Fdo->Number);
        KeWaitForSingleObject(Done, Executive, KernelMode, FALSE, NULL);
    }
    return TRUE;
}

/* Sends Urb and waits up to TimeoutMs.  STATUS_IO_TIMEOUT when it did not
 * finish in time (Urb->UrbHeader.Status USBD_STATUS_TIMEOUT then); otherwise
 * the IRP's status, with the URB's own in its header. */
NTSTATUS UsbstorSubmitUrb(PUSBSTOR_FDO Fdo, PURB Urb, ULONG TimeoutMs, USBD_PIPE_HANDLE AbortPipe)
{
    KEVENT done;
    PIRP irp;
    NTSTATUS status;

    if (Fdo->Gone) {
        Urb->UrbHeader.Status = USBD_STATUS_DEVICE_GONE;
        return STATUS_DEVICE_DOES_NOT_EXIST;
    }
    irp = UsbstorInternalIrp(Fdo, IOCTL_INTERNAL_USB_SUBMIT_URB, Urb, &done);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoCallDriver(Fdo->Lower, irp);
    if (UsbstorWait(Fdo, irp, &done, TimeoutMs, AbortPipe)) {
        IoFreeIrp(irp);
        Urb->UrbHeader.Status = USBD_STATUS_TIMEOUT;
        return STATUS_IO_TIMEOUT;
    }
    status = irp->IoStatus.Status;
    IoFreeIrp(irp);
    return status;
}

NTSTATUS UsbstorGetDescriptor(PUSBSTOR_FDO Fdo, UCHAR Type, UCHAR Index, USHORT LanguageId,
                              PVOID Buffer, ULONG Length, PULONG Got)
{
    URB urb;
    NTSTATUS status;

    RtlZeroMemory(&urb, sizeof(urb));
    UsbBuildGetDescriptorRequest(&urb, sizeof(struct _URB_CONTROL_DESCRIPTOR_REQUEST), Type, Index,
                                 LanguageId, Buffer, NULL, Length, NULL);
    status = UsbstorSubmitUrb(Fdo, &urb, USBSTOR_CONTROL_TIMEOUT_MS, NULL);
    *Got = NT_SUCCESS(status) ? urb.UrbControlDescriptorRequest.TransferBufferLength : 0;
    if (*Got > Length)
        *Got = Length;
    return status;
}

/* A class request to our interface (BOT 3.1, 3.2). */
NTSTATUS UsbstorClassRequest(PUSBSTOR_FDO Fdo, BOOLEAN In, UCHAR Request, USHORT Value,
                             PVOID Buffer, ULONG Length, PULONG Got)
{
    URB urb;
    NTSTATUS status;

    RtlZeroMemory(&urb, sizeof(urb));
    UsbBuildVendorRequest(&urb, URB_FUNCTION_CLASS_INTERFACE,
                          sizeof(struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST),
                          (In ? USBD_TRANSFER_DIRECTION_IN : USBD_TRANSFER_DIRECTION_OUT) |
                              USBD_SHORT_TRANSFER_OK,
                          0, Request, Value, Fdo->Interface.InterfaceNumber, Buffer, NULL, Length, NULL);
    status = UsbstorSubmitUrb(Fdo, &urb, USBSTOR_CONTROL_TIMEOUT_MS, NULL);
    if (Got)
        *Got = NT_SUCCESS(status) ? urb.UrbControlVendorClassRequest.TransferBufferLength : 0;
    return status;
}

/* ---- BOT_OPS ---- */

static BOT_IO UsbstorBotIo(NTSTATUS Status, USBD_STATUS Usbd)
{
    if (NT_SUCCESS(Status))
        return BotIoOk;
    if (Status == STATUS_DEVICE_DOES_NOT_EXIST || Status == STATUS_NO_SUCH_DEVICE ||
        Usbd == USBD_STATUS_DEVICE_GONE)
        return BotIoGone;
    if (Status == STATUS_IO_TIMEOUT || Usbd == USBD_STATUS_TIMEOUT)
        return BotIoTimeout;
    if (Usbd == USBD_STATUS_STALL_PID || Usbd == USBD_STATUS_ENDPOINT_HALTED)
        return BotIoStall;
    return BotIoError;
}

static BOT_IO UsbstorBulk(PVOID Context, BOT_PIPE Pipe, PVOID Buffer, ULONG Length, PULONG Done,
                          ULONG TimeoutMs)
{
    PUSBSTOR_FDO fdo = Context;
    USBD_PIPE_HANDLE pipe = Pipe == BotPipeIn ? fdo->PipeIn : fdo->PipeOut;
    URB urb;
    NTSTATUS status;

    RtlZeroMemory(&urb, sizeof(urb));
    UsbBuildInterruptOrBulkTransferRequest(&urb, sizeof(struct _URB_BULK_OR_INTERRUPT_TRANSFER), pipe,
                                           Buffer, NULL, Length,
                                           Pipe == BotPipeIn ? USBD_TRANSFER_DIRECTION_IN |
                                                               USBD_SHORT_TRANSFER_OK
                                                             : USBD_TRANSFER_DIRECTION_OUT,
                                           NULL);
    status = UsbstorSubmitUrb(fdo, &urb, TimeoutMs, pipe);
    *Done = urb.UrbBulkOrInterruptTransfer.TransferBufferLength;
    if (*Done > Length)
        *Done = Length;
    if (!NT_SUCCESS(status) && urb.UrbHeader.Status != USBD_STATUS_STALL_PID)
        *Done = status == STATUS_IO_TIMEOUT ? 0 : *Done;
    /* A gone device ends in BotGone: queue.c marks the FDO and says so. */
    return UsbstorBotIo(status, urb.UrbHeader.Status);
}

/* SYNC_RESET_PIPE_AND_CLEAR_STALL: CLEAR_FEATURE(ENDPOINT_HALT) to the
 * device and the host side's sequence reset (USB 2.0 9.4.5). */
static BOT_IO UsbstorClearHalt(PVOID Context, BOT_PIPE Pipe)
{
    PUSBSTOR_FDO fdo = Context;
    URB urb;
    NTSTATUS status;

    RtlZeroMemory(&urb, sizeof(urb));
    urb.UrbHeader.Length = sizeof(struct _URB_PIPE_REQUEST);
    urb.UrbHeader.Function = URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL;
    urb.UrbPipeRequest.PipeHandle = Pipe == BotPipeIn ? fdo->PipeIn : fdo->PipeOut;
    status = UsbstorSubmitUrb(fdo, &urb, USBSTOR_CONTROL_TIMEOUT_MS, NULL);
    return UsbstorBotIo(status, urb.UrbHeader.Status);
}

static BOT_IO UsbstorReset(PVOID Context)
{
    PUSBSTOR_FDO fdo = Context;
    NTSTATUS status = UsbstorClassRequest(fdo, FALSE, BOT_REQUEST_RESET, 0, NULL, 0, NULL);

    DbgPrint("usbstor%u: bulk-only reset recovery (%s): 0x%08X\n", fdo->Number,
             fdo->Bot.LastProblem, (ULONG)status);
    return UsbstorBotIo(status, NT_SUCCESS(status) ? USBD_STATUS_SUCCESS : USBD_STATUS_STALL_PID);
}

/* The hub resets the port and restores the device's address and
 * configuration (usbioctl.h), so the pipe handles stay valid. */
static BOT_IO UsbstorPortReset(PVOID Context)
{
    PUSBSTOR_FDO fdo = Context;
    KEVENT done;
    PIRP irp;
    NTSTATUS status;

    if (fdo->Gone)
        return BotIoGone;
    irp = UsbstorInternalIrp(fdo, IOCTL_INTERNAL_USB_RESET_PORT, NULL, &done);
    if (!irp)
        return BotIoError;
    IoCallDriver(fdo->Lower, irp);
    if (UsbstorWait(fdo, irp, &done, 4 * USBSTOR_CONTROL_TIMEOUT_MS, NULL)) {
        IoFreeIrp(irp);
        status = STATUS_IO_TIMEOUT;
    } else {
        status = irp->IoStatus.Status;
        IoFreeIrp(irp);
    }
    DbgPrint("usbstor%u: port reset: 0x%08X\n", fdo->Number, (ULONG)status);
    return UsbstorBotIo(status, USBD_STATUS_SUCCESS);
}

const BOT_OPS UsbstorBotOps = { UsbstorBulk, UsbstorClearHalt, UsbstorReset, UsbstorPortReset };
