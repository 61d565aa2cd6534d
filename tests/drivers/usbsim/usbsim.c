/* usbsim.c - test driver: a simulated USB mass-storage stick behind NT's
 * USB client interface (include/usb.h), so usbstor.sys and disk.sys run
 * end to end in QEMU before a USB host controller driver exists
 * (tests/qemu/test_usbstor.py).  It is a bus driver on QEMU's PCI test
 * device (-device pci-testdev, 1b36:0005, Match in the test's system.cfg)
 * that reports one child PDO as the USB hub driver will: hardware IDs
 * USB\VID_46F4&PID_5553..., compatible IDs USB\Class_08&SubClass_06&
 * Prot_50 ...  The child answers the URBs usbstor sends (descriptors,
 * SELECT_CONFIGURATION, class requests, bulk transfers, clear halt, abort,
 * port reset) synchronously, with a device-side bulk-only transport over a
 * RAM disk that answers like a cheap stick: SCSI-2 INQUIRY, no VPD pages,
 * READ CAPACITY(16) refused, READ/WRITE(10) and (16), MODE SENSE(6) with
 * the WP bit as configured, no UNMAP, no ATA PASS-THROUGH.
 *
 * Parameters (Services\usbsim\Parameters): Sectors (default 16384),
 * Luns (1..2, GET MAX LUN stalls with 1), WriteProtect (0|1),
 * StallCswEvery N / PhaseErrorEvery N (fault injection on every Nth
 * command: the engine's stall retry and reset recovery), HangCswEvery N
 * (the Nth CSW never comes: usbstor's timeout, cancel and abort),
 * MediumErrorLba (reads of it fail with sense 03h/11h).
 *
 * Plugging, through reads of \Device\UsbSim0 at these byte offsets
 * (`devread \Device\UsbSim0 <n> <offset>` in the shell): 1 unplugs the
 * stick (its URBs fail with USBD_STATUS_DEVICE_GONE and the bus reports
 * it gone), 2 plugs it back (same medium), 3 makes it die after <n> more
 * commands while still reported (as a stick pulled mid-transfer before the
 * hub notices).  Not a model of real hardware: a fixture for the drivers
 * above it. */
#include <wdm.h>
#include <usbdi.h>
#include <scsi.h>

#define SIM_TAG NTSTOR_TAG('U', 's', 'S', 'm')
#define SIM_BLOCK 512
#define SIM_MAX_LUNS 2
#define SIM_CBW_SIG 0x43425355u
#define SIM_CSW_SIG 0x53425355u
#define SIM_PIPE_IN ((USBD_PIPE_HANDLE)(ULONG_PTR)0x5181)
#define SIM_PIPE_OUT ((USBD_PIPE_HANDLE)(ULONG_PTR)0x5102)

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

typedef enum { SimCbw, SimDataIn, SimDataOut, SimCsw, SimNeedReset } SIM_PHASE;

typedef struct _SIM_EXT {
    BOOLEAN IsFdo;
    BOOLEAN Gone;                       /* child: unplugged or dead: URBs fail */
    BOOLEAN Unplugged;                  /* child: no longer reported; deleted at its REMOVE */
    BOOLEAN Enumerated;                 /* FDO: the first child was made (plugged at boot) */
    ULONG DieAfter;                     /* child: commands left before Gone (0: never) */
    PIRP Hung;                          /* child: a CSW transfer held back (HangCswEvery) */
    PDEVICE_OBJECT Self, Lower, Child;
    /* the stick (child PDO only) */
    KSPIN_LOCK Lock;                    /* one URB at a time, whoever sends it */
    SIM_PHASE Phase;
    BOOLEAN HaltIn, HaltOut;
    ULONG Tag, DataLength, Residue, Commands;
    UCHAR Lun, CswStatus;
    PUCHAR Response;                    /* data for the IN phase */
    ULONG ResponseLength;
    ULONG64 WriteLba;
    ULONG WriteBytes;
    UCHAR Sense[SIM_MAX_LUNS][18];
    PUCHAR Disk[SIM_MAX_LUNS];
    UCHAR Buffer[4096];
} SIM_EXT, *PSIM_EXT;

static ULONG SimSectors = 16384, SimLuns = 1, SimWriteProtect, SimStallCswEvery, SimPhaseErrorEvery;
static ULONG SimMediumErrorLba = 0xFFFFFFFF, SimHangCswEvery;
/* The media, owned by the driver so a stick plugged back has its data. */
static PUCHAR SimMedia[SIM_MAX_LUNS];
/* An unplugged child after its REMOVE: deleted at the next plug (or the
 * FDO's removal), when the function driver has surely detached from it. */
static PDEVICE_OBJECT SimDead;

static VOID SimBuryDead(VOID)
{
    if (SimDead) {
        IoDeleteDevice(SimDead);
        SimDead = NULL;
    }
}

static const UCHAR SimDeviceDesc[18] = {
    18, 1, 0x00, 0x02, 0, 0, 0, 64, 0xF4, 0x46, 0x53, 0x55, 0x00, 0x01, 1, 2, 3, 1 };
static const UCHAR SimConfigDesc[32] = {
    9, 2, 32, 0, 1, 1, 0, 0x80, 50,
    9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0,
    7, 5, 0x81, 2, 0x00, 0x02, 0,
    7, 5, 0x02, 2, 0x00, 0x02, 0 };
static const char SimSerial[] = "USBSIM0001";

static NTSTATUS SimComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* ---- the SCSI device ---- */

static VOID SimSense(PSIM_EXT s, UCHAR Key, UCHAR Asc)
{
    PUCHAR d = s->Sense[s->Lun];
    RtlZeroMemory(d, 18);
    d[0] = 0x70;
    d[2] = Key;
    d[7] = 10;
    d[12] = Asc;
    s->CswStatus = 1;
}

static VOID SimReply(PSIM_EXT s, const VOID *Data, ULONG Length, ULONG Alloc)
{
    ULONG n = Length < Alloc ? Length : Alloc;
    RtlCopyMemory(s->Buffer, Data, n);
    s->Response = s->Buffer;
    s->ResponseLength = n;
}

/* Decodes the CDB of a CBW; sets what the data phase moves. */
static VOID SimCommand(PSIM_EXT s, const UCHAR *Cdb)
{
    UCHAR d[36];
    ULONG64 lba = 0;
    ULONG blocks = 0;
    BOOLEAN rw = FALSE, write = FALSE;

    s->CswStatus = 0;
    s->Response = NULL;
    s->ResponseLength = 0;
    s->WriteBytes = 0;
    switch (Cdb[0]) {
    case SCSIOP_TEST_UNIT_READY:
    case SCSIOP_SYNCHRONIZE_CACHE:
        break;
    case SCSIOP_REQUEST_SENSE:
        SimReply(s, s->Sense[s->Lun], 18, Cdb[4]);
        RtlZeroMemory(s->Sense[s->Lun], 18);
        s->Sense[s->Lun][0] = 0x70;
        break;
    case SCSIOP_INQUIRY:
        if (Cdb[1] & 1) {               /* no VPD pages, as many sticks */
            SimSense(s, SCSI_SENSE_ILLEGAL_REQUEST, 0x24);
            break;
        }
        RtlZeroMemory(d, sizeof(d));
        d[1] = 0x80;                    /* removable medium */
        d[2] = 0x02;                    /* SCSI-2 */
        d[3] = 0x02;
        d[4] = 31;
        RtlCopyMemory(d + 8, "ntstor  ", 8);
        RtlCopyMemory(d + 16, s->Lun ? "USB sim LUN 1   " : "USB sim stick   ", 16);
        RtlCopyMemory(d + 32, "1.00", 4);
        SimReply(s, d, 36, Cdb[4]);
        break;
    case SCSIOP_READ_CAPACITY:
        ScsiPutBe32(d, SimSectors - 1);
        ScsiPutBe32(d + 4, SIM_BLOCK);
        SimReply(s, d, 8, 8);
        break;
    case SCSIOP_MODE_SENSE:
        RtlZeroMemory(d, 4);
        d[0] = 3;
        d[2] = SimWriteProtect ? MODE_DSP_WRITE_PROTECT : 0;
        SimReply(s, d, 4, Cdb[4]);
        break;
    case SCSIOP_READ:
    case SCSIOP_WRITE:
        lba = ScsiGetBe32(Cdb + 2);
        blocks = ScsiGetBe16(Cdb + 7);
        rw = TRUE;
        write = Cdb[0] == SCSIOP_WRITE;
        break;
    case SCSIOP_READ16:
    case SCSIOP_WRITE16:
        lba = ScsiGetBe64(Cdb + 2);
        blocks = ScsiGetBe32(Cdb + 10);
        rw = TRUE;
        write = Cdb[0] == SCSIOP_WRITE16;
        break;
    default:                            /* READ CAPACITY(16), UNMAP, ATA PASS-THROUGH ... */
        SimSense(s, SCSI_SENSE_ILLEGAL_REQUEST, 0x20);
        break;
    }
    if (!rw)
        return;
    if (lba >= SimSectors || blocks > SimSectors - lba) {
        SimSense(s, SCSI_SENSE_ILLEGAL_REQUEST, 0x21);
        return;
    }
    if (write && SimWriteProtect) {
        SimSense(s, SCSI_SENSE_DATA_PROTECT, 0x27);
        return;
    }
    if (!write && SimMediumErrorLba >= lba && SimMediumErrorLba < lba + blocks) {
        SimSense(s, SCSI_SENSE_MEDIUM_ERROR, 0x11);
        return;
    }
    if (write) {
        s->WriteLba = lba;
        s->WriteBytes = blocks * SIM_BLOCK;
    } else {
        s->Response = s->Disk[s->Lun] + lba * SIM_BLOCK;
        s->ResponseLength = blocks * SIM_BLOCK;
    }
}

/* ---- the bulk-only transport, device side (BOT 1.0 5, 6.6, 6.7) ---- */

static USBD_STATUS SimBulkOut(PSIM_EXT s, PUCHAR Buf, ULONG Length, PULONG Done)
{
    *Done = 0;
    if (s->HaltOut)
        return USBD_STATUS_STALL_PID;
    if (s->Phase == SimDataOut) {
        ULONG n = Length < s->DataLength ? Length : s->DataLength;
        ULONG use = n < s->WriteBytes ? n : s->WriteBytes;
        RtlCopyMemory(s->Disk[s->Lun] + s->WriteLba * SIM_BLOCK, Buf, use);
        s->Residue = s->DataLength - use;
        *Done = n;
        s->Phase = SimCsw;
        return USBD_STATUS_SUCCESS;
    }
    if (s->Phase != SimCbw || Length != 31 || ScsiGetBe32(Buf) != 0x55534243 /* "USBC" */ ||
        Buf[13] >= SimLuns || Buf[14] < 1 || Buf[14] > 16) {
        s->Phase = SimNeedReset;        /* 6.6.1: invalid CBW */
        s->HaltIn = s->HaltOut = TRUE;
        return USBD_STATUS_STALL_PID;
    }
    *Done = 31;
    s->Commands++;
    if (s->DieAfter && --s->DieAfter == 0) {
        s->Gone = TRUE;
        DbgPrint("usbsim: the stick dies now (after its last command)\n");
    }
    s->Tag = Buf[4] | (Buf[5] << 8) | (Buf[6] << 16) | ((ULONG)Buf[7] << 24);
    s->DataLength = Buf[8] | (Buf[9] << 8) | (Buf[10] << 16) | ((ULONG)Buf[11] << 24);
    s->Lun = Buf[13];
    SimCommand(s, Buf + 15);
    s->Residue = s->DataLength;
    if (!s->DataLength)
        s->Phase = SimCsw;
    else
        s->Phase = (Buf[12] & 0x80) ? SimDataIn : SimDataOut;
    /* The host's direction against the command's (cases 8, 10): the
     * device stalls the data pipe and reports a phase error. */
    if (s->Phase == SimDataIn && s->WriteBytes) {
        s->CswStatus = 2;
        s->HaltIn = TRUE;
        s->Phase = SimCsw;
    } else if (s->Phase == SimDataOut && s->ResponseLength) {
        s->CswStatus = 2;
        s->HaltOut = TRUE;
        s->Phase = SimCsw;
    } else if (s->Phase == SimDataIn && s->CswStatus == 1) {
        s->HaltIn = TRUE;               /* failed: no data, stall (6.7.2) */
        s->Phase = SimCsw;
    } else if (s->Phase == SimDataOut && s->CswStatus == 1) {
        s->HaltOut = TRUE;
        s->Phase = SimCsw;
    }
    return USBD_STATUS_SUCCESS;
}

static USBD_STATUS SimBulkIn(PSIM_EXT s, PUCHAR Buf, ULONG Length, PULONG Done)
{
    *Done = 0;
    if (s->HaltIn)
        return USBD_STATUS_STALL_PID;
    if (s->Phase == SimDataIn) {
        ULONG n = s->ResponseLength < Length ? s->ResponseLength : Length;
        if (n > s->DataLength)
            n = s->DataLength;
        RtlCopyMemory(Buf, s->Response, n);
        *Done = n;
        s->Residue = s->DataLength - n;
        s->Phase = SimCsw;
        return USBD_STATUS_SUCCESS;
    }
    if (s->Phase != SimCsw) {
        s->HaltIn = TRUE;
        return USBD_STATUS_STALL_PID;
    }
    if (SimStallCswEvery && s->Commands % SimStallCswEvery == 0 && !(s->Tag & 0x80000000u)) {
        s->Tag |= 0x80000000u;          /* once per command: the host retries after clearing */
        s->HaltIn = TRUE;
        return USBD_STATUS_STALL_PID;
    }
    s->Tag &= ~0x80000000u;
    if (SimHangCswEvery && s->Commands % SimHangCswEvery == 0 && !s->Hung)
        return USBD_STATUS_PENDING;     /* SimUrb holds the IRP */
    if (Length < 13)
        return USBD_STATUS_BABBLE_DETECTED;
    if (SimPhaseErrorEvery && s->Commands % SimPhaseErrorEvery == 0)
        s->CswStatus = 2;
    Buf[0] = 'U'; Buf[1] = 'S'; Buf[2] = 'B'; Buf[3] = 'S';
    for (ULONG i = 0; i < 4; i++) {
        Buf[4 + i] = (UCHAR)(s->Tag >> (8 * i));
        Buf[8 + i] = (UCHAR)(s->Residue >> (8 * i));
    }
    Buf[12] = s->CswStatus;
    *Done = 13;
    s->Phase = s->CswStatus == 2 ? SimNeedReset : SimCbw;
    if (s->CswStatus == 2)
        s->HaltIn = s->HaltOut = FALSE;
    return USBD_STATUS_SUCCESS;
}

/* ---- URBs ---- */

static PVOID SimUrbBuffer(PVOID Buffer, PMDL Mdl)
{
    return Buffer ? Buffer : Mdl ? MmGetSystemAddressForMdlSafe(Mdl, 0) : NULL;
}

static USBD_STATUS SimDescriptor(PSIM_EXT s, struct _URB_CONTROL_DESCRIPTOR_REQUEST *r)
{
    PUCHAR out = SimUrbBuffer(r->TransferBuffer, r->TransferBufferMDL);
    UCHAR str[2 + 2 * sizeof(SimSerial)];
    const UCHAR *src = NULL;
    ULONG n = 0;

    if (r->DescriptorType == USB_DEVICE_DESCRIPTOR_TYPE) {
        src = SimDeviceDesc;
        n = sizeof(SimDeviceDesc);
    } else if (r->DescriptorType == USB_CONFIGURATION_DESCRIPTOR_TYPE) {
        src = SimConfigDesc;
        n = sizeof(SimConfigDesc);
    } else if (r->DescriptorType == USB_STRING_DESCRIPTOR_TYPE && r->Index == 0) {
        static const UCHAR langs[4] = { 4, 3, 0x09, 0x04 };
        src = langs;
        n = 4;
    } else if (r->DescriptorType == USB_STRING_DESCRIPTOR_TYPE && r->Index == 3) {
        n = 2;
        for (ULONG i = 0; SimSerial[i]; i++) {
            str[n++] = (UCHAR)SimSerial[i];
            str[n++] = 0;
        }
        str[0] = (UCHAR)n;
        str[1] = USB_STRING_DESCRIPTOR_TYPE;
        src = str;
    } else {
        return USBD_STATUS_STALL_PID;
    }
    if (!out)
        return USBD_STATUS_INVALID_PARAMETER;
    if (n > r->TransferBufferLength)
        n = r->TransferBufferLength;
    RtlCopyMemory(out, src, n);
    r->TransferBufferLength = n;
    return USBD_STATUS_SUCCESS;
}

static USBD_STATUS SimSelectConfiguration(struct _URB_SELECT_CONFIGURATION *r)
{
    PUSBD_INTERFACE_INFORMATION i = &r->Interface;

    if (!r->ConfigurationDescriptor)
        return USBD_STATUS_SUCCESS;
    if (r->Hdr.Length < sizeof(*r) || i->InterfaceNumber != 0 || i->NumberOfPipes != 2 ||
        i->Length < GET_USBD_INTERFACE_SIZE(2))
        return USBD_STATUS_INVALID_PARAMETER;
    r->ConfigurationHandle = (USBD_CONFIGURATION_HANDLE)(ULONG_PTR)0x5C0F;
    i->Class = 8;
    i->SubClass = 6;
    i->Protocol = 0x50;
    i->InterfaceHandle = (USBD_INTERFACE_HANDLE)(ULONG_PTR)0x5170;
    i->Pipes[0].EndpointAddress = 0x81;
    i->Pipes[0].MaximumPacketSize = 512;
    i->Pipes[0].PipeType = UsbdPipeTypeBulk;
    i->Pipes[0].PipeHandle = SIM_PIPE_IN;
    i->Pipes[1].EndpointAddress = 0x02;
    i->Pipes[1].MaximumPacketSize = 512;
    i->Pipes[1].PipeType = UsbdPipeTypeBulk;
    i->Pipes[1].PipeHandle = SIM_PIPE_OUT;
    return USBD_STATUS_SUCCESS;
}

static USBD_STATUS SimClass(PSIM_EXT s, struct _URB_CONTROL_VENDOR_OR_CLASS_REQUEST *r)
{
    PUCHAR out = SimUrbBuffer(r->TransferBuffer, r->TransferBufferMDL);

    if (r->Request == 0xFE) {           /* GET MAX LUN: a one-LUN stick stalls it */
        if (SimLuns == 1 || !out || r->TransferBufferLength < 1)
            return USBD_STATUS_STALL_PID;
        out[0] = (UCHAR)(SimLuns - 1);
        r->TransferBufferLength = 1;
        return USBD_STATUS_SUCCESS;
    }
    if (r->Request == 0xFF) {           /* Bulk-Only Mass Storage Reset */
        s->Phase = SimCbw;
        r->TransferBufferLength = 0;
        DbgPrint("usbsim: bulk-only reset\n");
        return USBD_STATUS_SUCCESS;
    }
    return USBD_STATUS_STALL_PID;
}

static NTSTATUS SimUrb(PSIM_EXT s, PURB Urb)
{
    USBD_STATUS st = USBD_STATUS_INVALID_URB_FUNCTION;
    KIRQL irql;

    KeAcquireSpinLock(&s->Lock, &irql);
    if (s->Gone) {
        KeReleaseSpinLock(&s->Lock, irql);
        Urb->UrbHeader.Status = USBD_STATUS_DEVICE_GONE;
        return STATUS_DEVICE_DOES_NOT_EXIST;
    }
    switch (Urb->UrbHeader.Function) {
    case URB_FUNCTION_GET_DESCRIPTOR_FROM_DEVICE:
        st = SimDescriptor(s, &Urb->UrbControlDescriptorRequest);
        break;
    case URB_FUNCTION_SELECT_CONFIGURATION:
        st = SimSelectConfiguration(&Urb->UrbSelectConfiguration);
        break;
    case URB_FUNCTION_CLASS_INTERFACE:
        st = SimClass(s, &Urb->UrbControlVendorClassRequest);
        break;
    case URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL:
        /* 6.6.1: after a phase error only reset recovery clears halts;
         * the class reset has put Phase back to SimCbw by then. */
        if (s->Phase != SimNeedReset) {
            if (Urb->UrbPipeRequest.PipeHandle == SIM_PIPE_IN)
                s->HaltIn = FALSE;
            else
                s->HaltOut = FALSE;
        }
        st = USBD_STATUS_SUCCESS;
        break;
    case URB_FUNCTION_ABORT_PIPE:
        /* Ends a held-back transfer on that pipe (usbstor aborts after a
         * timeout), after the lock: completion may call back in. */
        st = USBD_STATUS_SUCCESS;
        break;
    case URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER: {
        struct _URB_BULK_OR_INTERRUPT_TRANSFER *b = &Urb->UrbBulkOrInterruptTransfer;
        PUCHAR buf = SimUrbBuffer(b->TransferBuffer, b->TransferBufferMDL);
        ULONG done = 0;
        if (!buf && b->TransferBufferLength)
            st = USBD_STATUS_INVALID_PARAMETER;
        else if (b->PipeHandle == SIM_PIPE_IN && USBD_TRANSFER_DIRECTION(b->TransferFlags))
            st = SimBulkIn(s, buf, b->TransferBufferLength, &done);
        else if (b->PipeHandle == SIM_PIPE_OUT && !USBD_TRANSFER_DIRECTION(b->TransferFlags))
            st = SimBulkOut(s, buf, b->TransferBufferLength, &done);
        else
            st = USBD_STATUS_INVALID_PIPE_HANDLE;
        b->TransferBufferLength = done;
        break;
    }
    default:
        break;
    }
    KeReleaseSpinLock(&s->Lock, irql);
    Urb->UrbHeader.Status = st;
    if (st == USBD_STATUS_PENDING)
        return STATUS_PENDING;
    if (USBD_SUCCESS(st))
        return STATUS_SUCCESS;
    return st == USBD_STATUS_INVALID_PARAMETER || st == USBD_STATUS_INVALID_PIPE_HANDLE
               ? STATUS_INVALID_PARAMETER : STATUS_UNSUCCESSFUL;
}

static NTSTATUS SimChildInternal(PSIM_EXT s, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_INTERNAL_USB_SUBMIT_URB: {
        PURB urb = stack->Parameters.Others.Argument1;
        NTSTATUS status;
        PIRP hung;
        if (!urb)
            return SimComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        status = SimUrb(s, urb);
        if (status == STATUS_PENDING) {
            DbgPrint("usbsim: holding back the CSW of command %u\n", s->Commands);
            IoMarkIrpPending(Irp);
            s->Hung = Irp;
            return STATUS_PENDING;
        }
        if (urb->UrbHeader.Function == URB_FUNCTION_ABORT_PIPE && s->Hung) {
            hung = s->Hung;
            s->Hung = NULL;
            ((PURB)IoGetCurrentIrpStackLocation(hung)->Parameters.Others.Argument1)->UrbHeader.Status =
                USBD_STATUS_CANCELED;
            ((PURB)IoGetCurrentIrpStackLocation(hung)->Parameters.Others.Argument1)
                ->UrbBulkOrInterruptTransfer.TransferBufferLength = 0;
            DbgPrint("usbsim: held-back transfer aborted\n");
            SimComplete(hung, STATUS_CANCELLED, 0);
        }
        return SimComplete(Irp, status, 0);
    }
    case IOCTL_INTERNAL_USB_RESET_PORT:
        if (s->Gone)
            return SimComplete(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
        s->Phase = SimCbw;
        s->HaltIn = s->HaltOut = FALSE;
        DbgPrint("usbsim: port reset\n");
        return SimComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return SimComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

/* ---- PnP ---- */

static PWCHAR SimMultiSz(PCSTR Ascii, ULONG Bytes)
{
    PWCHAR w = ExAllocatePoolWithTag(NonPagedPool, Bytes * sizeof(WCHAR), SIM_TAG);
    if (w)
        for (ULONG i = 0; i < Bytes; i++)
            w[i] = (WCHAR)(UCHAR)Ascii[i];
    return w;
}

#define SIM_IDS(s) s, sizeof(s)
static NTSTATUS SimChildPnp(PSIM_EXT s, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;
    PWCHAR id = NULL;

    switch (stack->MinorFunction) {
    case IRP_MN_REMOVE_DEVICE:
        /* A bus driver deletes the PDO of a device that is gone. */
        if (s->Unplugged) {
            SimBuryDead();
            SimDead = s->Self;
        }
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_ID:
        switch (stack->Parameters.QueryId.IdType) {
        case BusQueryDeviceID:
            id = SimMultiSz(SIM_IDS("USB\\VID_46F4&PID_5553\0"));
            break;
        case BusQueryHardwareIDs:
            id = SimMultiSz(SIM_IDS("USB\\VID_46F4&PID_5553&REV_0100\0USB\\VID_46F4&PID_5553\0"));
            break;
        case BusQueryCompatibleIDs:
            id = SimMultiSz(SIM_IDS("USB\\Class_08&SubClass_06&Prot_50\0USB\\Class_08&SubClass_06\0"
                                    "USB\\Class_08\0"));
            break;
        case BusQueryInstanceID:
            id = SimMultiSz(SIM_IDS("USBSIM0001\0"));
            break;
        default:
            status = STATUS_NOT_SUPPORTED;
            break;
        }
        if (id) {
            Irp->IoStatus.Information = (ULONG_PTR)id;
            status = STATUS_SUCCESS;
        } else if (status != STATUS_NOT_SUPPORTED) {
            status = STATUS_INSUFFICIENT_RESOURCES;
        }
        break;
    case IRP_MN_QUERY_CAPABILITIES:
        stack->Parameters.DeviceCapabilities.Capabilities->Removable = 1;
        stack->Parameters.DeviceCapabilities.Capabilities->SurpriseRemovalOK = 1;
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation) {
            PDEVICE_RELATIONS rel = ExAllocatePoolWithTag(NonPagedPool, sizeof(*rel), SIM_TAG);
            if (!rel) {
                status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            ObReferenceObject(s->Self);
            rel->Count = 1;
            rel->Objects[0] = s->Self;
            Irp->IoStatus.Information = (ULONG_PTR)rel;
            status = STATUS_SUCCESS;
        }
        break;
    default:
        break;
    }
    return SimComplete(Irp, status, Irp->IoStatus.Information);
}

static NTSTATUS SimCreateChild(PSIM_EXT Fdo)
{
    PDEVICE_OBJECT pdo;
    PSIM_EXT s;
    NTSTATUS status = IoCreateDevice(Fdo->Self->DriverObject, sizeof(SIM_EXT), NULL, FILE_DEVICE_UNKNOWN,
                                     0, FALSE, &pdo);

    if (!NT_SUCCESS(status))
        return status;
    s = pdo->DeviceExtension;
    RtlZeroMemory(s, sizeof(*s));
    s->Self = pdo;
    KeInitializeSpinLock(&s->Lock);
    for (ULONG i = 0; i < SimLuns; i++) {
        if (!SimMedia[i])
            SimMedia[i] = ExAllocatePoolZero(NonPagedPool, (SIZE_T)SimSectors * SIM_BLOCK, SIM_TAG);
        if (!SimMedia[i]) {
            IoDeleteDevice(pdo);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        s->Disk[i] = SimMedia[i];
        s->Sense[i][0] = 0x70;
    }
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    Fdo->Child = pdo;
    DbgPrint("usbsim: stick with %u LUN(s) of %u sectors, write-protect %u\n", SimLuns, SimSectors,
             SimWriteProtect);
    return STATUS_SUCCESS;
}

static VOID SimDeleteChild(PSIM_EXT Fdo)
{
    if (!Fdo->Child)
        return;
    IoDeleteDevice(Fdo->Child);
    Fdo->Child = NULL;
}

/* Unplug (1), plug (2), die after Length commands (3): see the top. */
static NTSTATUS SimDispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSIM_EXT fdo = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    LONGLONG what = stack->Parameters.Read.ByteOffset.QuadPart;
    BOOLEAN invalidate = FALSE;
    KIRQL irql;

    if (!fdo->IsFdo)
        return SimComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (what == 1 && fdo->Child) {
        PSIM_EXT s = fdo->Child->DeviceExtension;
        KeAcquireSpinLock(&s->Lock, &irql);
        s->Gone = TRUE;
        s->Unplugged = TRUE;
        KeReleaseSpinLock(&s->Lock, irql);
        fdo->Child = NULL;
        invalidate = TRUE;
        DbgPrint("usbsim: unplugged\n");
    } else if (what == 2 && !fdo->Child) {
        SimBuryDead();
        if (!NT_SUCCESS(SimCreateChild(fdo)))
            return SimComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        invalidate = TRUE;
        DbgPrint("usbsim: plugged in\n");
    } else if (what == 3 && fdo->Child) {
        PSIM_EXT s = fdo->Child->DeviceExtension;
        s->DieAfter = stack->Parameters.Read.Length;
    } else {
        return SimComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    }
    /* At DISPATCH_LEVEL the PnP manager only records it; the shell thread
     * enumerates after this command (as ahci's hot plug). */
    if (invalidate) {
        KeRaiseIrql(DISPATCH_LEVEL, &irql);
        IoInvalidateDeviceRelations(fdo->Self, BusRelations);
        KeLowerIrql(irql);
    }
    return SimComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS SimDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return SimComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS SimFdoPnp(PSIM_EXT Fdo, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(Fdo->Lower, Irp);
        return SimComplete(Irp, Irp->IoStatus.Status, 0);
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == BusRelations) {
            PDEVICE_RELATIONS rel;
            if (!Fdo->Child && !Fdo->Enumerated && !NT_SUCCESS(SimCreateChild(Fdo)))
                return SimComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
            Fdo->Enumerated = TRUE;
            rel = ExAllocatePoolWithTag(NonPagedPool, sizeof(*rel), SIM_TAG);
            if (!rel)
                return SimComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
            rel->Count = 0;
            if (Fdo->Child) {
                ObReferenceObject(Fdo->Child);
                rel->Count = 1;
                rel->Objects[0] = Fdo->Child;
            }
            Irp->IoStatus.Information = (ULONG_PTR)rel;
            Irp->IoStatus.Status = STATUS_SUCCESS;
        }
        break;
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Fdo->Lower;
        NTSTATUS status;
        SimDeleteChild(Fdo);
        SimBuryDead();
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(Fdo->Self);
        return status;
    }
    default:
        break;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Fdo->Lower, Irp);
}

static NTSTATUS SimDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSIM_EXT e = DeviceObject->DeviceExtension;
    return e->IsFdo ? SimFdoPnp(e, Irp) : SimChildPnp(e, Irp);
}

static NTSTATUS SimDispatchInternal(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSIM_EXT e = DeviceObject->DeviceExtension;
    if (e->IsFdo)
        return SimComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    return SimChildInternal(e, Irp);
}

static NTSTATUS SimDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSIM_EXT e = DeviceObject->DeviceExtension;
    if (e->IsFdo) {
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(e->Lower, Irp);
    }
    return SimComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS SimAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    WCHAR nameBuf[24];
    UNICODE_STRING name = { 0, sizeof(nameBuf), nameBuf };
    PDEVICE_OBJECT fdo;
    PSIM_EXT e;
    NTSTATUS status;

    RtlAsciiToUnicodeString(&name, "\\Device\\UsbSim0");
    status = IoCreateDevice(DriverObject, sizeof(SIM_EXT), &name, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &fdo);

    if (!NT_SUCCESS(status))
        return status;
    e = fdo->DeviceExtension;
    RtlZeroMemory(e, sizeof(*e));
    e->IsFdo = TRUE;
    e->Self = fdo;
    e->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (!e->Lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static VOID SimUnload(PDRIVER_OBJECT DriverObject)
{
    for (ULONG i = 0; i < SIM_MAX_LUNS; i++)
        if (SimMedia[i]) {
            ExFreePoolWithTag(SimMedia[i], SIM_TAG);
            SimMedia[i] = NULL;
        }
}

static VOID SimReadParameters(PUNICODE_STRING RegistryPath)
{
    HANDLE svc, par;
    ULONG v;

    if (!NT_SUCCESS(CmOpenKey(RegistryPath, &svc)))
        return;
    if (NT_SUCCESS(CmOpenSubKey(svc, u"Parameters", &par))) {
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Sectors", &v, SimSectors)) && v >= 64 && v <= 65536)
            SimSectors = v;
        if (NT_SUCCESS(CmQueryValueUlong(par, u"Luns", &v, 1)) && v >= 1 && v <= SIM_MAX_LUNS)
            SimLuns = v;
        CmQueryValueUlong(par, u"WriteProtect", &SimWriteProtect, 0);
        CmQueryValueUlong(par, u"StallCswEvery", &SimStallCswEvery, 0);
        CmQueryValueUlong(par, u"PhaseErrorEvery", &SimPhaseErrorEvery, 0);
        CmQueryValueUlong(par, u"MediumErrorLba", &SimMediumErrorLba, 0xFFFFFFFF);
        CmQueryValueUlong(par, u"HangCswEvery", &SimHangCswEvery, 0);
        CmCloseKey(par);
    }
    CmCloseKey(svc);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    SimReadParameters(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_PNP] = SimDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = SimDispatchInternal;
    DriverObject->MajorFunction[IRP_MJ_POWER] = SimDispatchPower;
    DriverObject->MajorFunction[IRP_MJ_READ] = SimDispatchRead;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = SimDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = SimDispatchCreateClose;
    DriverObject->DriverExtension->AddDevice = SimAddDevice;
    DriverObject->DriverUnload = SimUnload;
    return STATUS_SUCCESS;
}
