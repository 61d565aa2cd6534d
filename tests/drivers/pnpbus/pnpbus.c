/* pnpbus.c - test bus driver for surprise removal (tests/qemu/test_surprise.py).
 *
 * Function driver of QEMU's PCI test device (-device pci-testdev,
 * PCI\VEN_1B36&DEV_0005; Demand start: `load pnpbus`).  Its bus has one
 * slot; while "plugged" it reports one child PDO: a 1 MiB RAM disk that
 * answers SCSI (INQUIRY, READ CAPACITY(10/16), READ/WRITE(10/16),
 * SYNCHRONIZE CACHE, TEST UNIT READY, START STOP UNIT), which disk.sys
 * claims by its compatible ID SCSI\Disk as the next Harddisk<n>.
 *
 * Reading \Device\PnpBusUnplug "pulls" the disk: the bus stops listing
 * it and calls IoInvalidateDeviceRelations while holding the bus lock --
 * the lock its own BusRelations answer takes, so a PnP manager that
 * enumerated before returning would deadlock here.  Reading
 * \Device\PnpBusPlug puts a new disk in (calling IoInvalidateDeviceRelations
 * with a spin lock held, at DISPATCH_LEVEL).  Like a hot-unplugged device,
 * the gone disk fails every SRB with SRB_STATUS_NO_DEVICE from the moment
 * it is pulled.
 *
 * The child logs each PnP IRP it gets ("pnpbus: child 1: SURPRISE_REMOVAL")
 * so the test sees the order; at REMOVE_DEVICE of a pulled disk it waits
 * for its SRBs (remove lock), frees its RAM (pool tag PnpB) and deletes
 * its PDO, as a bus driver does for a child that is gone. */
#include <wdm.h>
#include <srb.h>
#include <scsi.h>

#define PB_TAG          NTSTOR_TAG('P', 'n', 'p', 'B')
#define PB_SECTOR       512
#define PB_SECTORS      2048            /* 1 MiB */

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

typedef struct _PB_CHILD {
    BOOLEAN IsFdo;                      /* FALSE */
    IO_REMOVE_LOCK RemoveLock;
    ULONG Number;                       /* 1, 2, ...: which disk this was */
    volatile BOOLEAN Gone;              /* pulled: SRBs fail */
    BOOLEAN Reported;                   /* listed in the last BusRelations */
    PUCHAR Ram;
} PB_CHILD, *PPB_CHILD;

typedef struct _PB_FDO {
    BOOLEAN IsFdo;                      /* TRUE */
    IO_REMOVE_LOCK RemoveLock;
    PDEVICE_OBJECT Self, Lower, Pdo;
} PB_FDO, *PPB_FDO;

/* The bus: under PbBusLock (a synchronization event: PASSIVE_LEVEL waits). */
static KEVENT PbBusLock;
static PPB_FDO PbFdo;
static PDEVICE_OBJECT PbChild;          /* the slot's child PDO, or NULL */
static BOOLEAN PbPlugged = TRUE;        /* a disk is in the slot */
static ULONG PbChildren;                /* disks ever created */
static KSPIN_LOCK PbPlugLock;
static PDEVICE_OBJECT PbUnplugDevice, PbPlugDevice;

static VOID PbLock(VOID)
{
    KeWaitForSingleObject(&PbBusLock, Executive, KernelMode, FALSE, NULL);
}

static VOID PbUnlock(VOID)
{
    KeSetEvent(&PbBusLock, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS PbComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static PCSTR PbMinorName(UCHAR Minor)
{
    switch (Minor) {
    case IRP_MN_START_DEVICE: return "START_DEVICE";
    case IRP_MN_QUERY_REMOVE_DEVICE: return "QUERY_REMOVE_DEVICE";
    case IRP_MN_REMOVE_DEVICE: return "REMOVE_DEVICE";
    case IRP_MN_CANCEL_REMOVE_DEVICE: return "CANCEL_REMOVE_DEVICE";
    case IRP_MN_SURPRISE_REMOVAL: return "SURPRISE_REMOVAL";
    default: return NULL;
    }
}

/* ---- the child: a RAM disk speaking SCSI ---- */

static NTSTATUS PbCreateChild(PDRIVER_OBJECT Driver)
{
    PDEVICE_OBJECT pdo;
    PPB_CHILD child;
    NTSTATUS status;

    status = IoCreateDevice(Driver, sizeof(PB_CHILD), NULL, FILE_DEVICE_DISK,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &pdo);
    if (!NT_SUCCESS(status))
        return status;
    child = pdo->DeviceExtension;
    RtlZeroMemory(child, sizeof(*child));
    IoInitializeRemoveLock(&child->RemoveLock, PB_TAG, 0, 0);
    child->Ram = ExAllocatePoolZero(NonPagedPool, PB_SECTORS * PB_SECTOR, PB_TAG);
    if (!child->Ram) {
        IoDeleteDevice(pdo);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    child->Number = ++PbChildren;
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_DIRECT_IO;
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    PbChild = pdo;
    DbgPrint("pnpbus: child %u: created\n", child->Number);
    return STATUS_SUCCESS;
}

static UCHAR PbScsi(PPB_CHILD Child, PSCSI_REQUEST_BLOCK Srb, PULONG Moved)
{
    PUCHAR cdb = Srb->Cdb, data = Srb->DataBuffer;
    ULONG length = Srb->DataTransferLength;
    ULONG64 lba = 0;
    ULONG count = 0;

    *Moved = 0;
    switch (cdb[0]) {
    case SCSIOP_TEST_UNIT_READY:
    case SCSIOP_SYNCHRONIZE_CACHE:
    case SCSIOP_SYNCHRONIZE_CACHE16:
    case SCSIOP_START_STOP_UNIT:
        return SRB_STATUS_SUCCESS;
    case SCSIOP_INQUIRY: {
        static const UCHAR inquiry[36] = {
            0x00, 0x00, 0x05, 0x02, 31, 0, 0, 0,
            'N', 'T', 'S', 'T', 'O', 'R', ' ', ' ',
            'P', 'n', 'p', 'T', 'e', 's', 't', ' ', 'R', 'a', 'm', 'D', 'i', 's', 'k', ' ',
            '1', '.', '0', ' ',
        };
        if (cdb[1] & 1)
            return SRB_STATUS_INVALID_REQUEST;      /* no VPD pages */
        *Moved = length < sizeof(inquiry) ? length : sizeof(inquiry);
        RtlCopyMemory(data, inquiry, *Moved);
        return SRB_STATUS_SUCCESS;
    }
    case SCSIOP_READ_CAPACITY:
        if (length < 8)
            return SRB_STATUS_INVALID_REQUEST;
        RtlZeroMemory(data, 8);
        data[2] = (PB_SECTORS - 1) >> 8;
        data[3] = (UCHAR)(PB_SECTORS - 1);
        data[6] = PB_SECTOR >> 8;
        *Moved = 8;
        return SRB_STATUS_SUCCESS;
    case SCSIOP_SERVICE_ACTION_IN16:
        if ((cdb[1] & 0x1F) != SERVICE_ACTION_READ_CAPACITY16 || length < 12)
            return SRB_STATUS_INVALID_REQUEST;
        RtlZeroMemory(data, length < 32 ? length : 32);
        data[6] = (PB_SECTORS - 1) >> 8;
        data[7] = (UCHAR)(PB_SECTORS - 1);
        data[10] = PB_SECTOR >> 8;
        *Moved = length < 32 ? length : 32;
        return SRB_STATUS_SUCCESS;
    case SCSIOP_READ:
    case SCSIOP_WRITE:
        lba = ((ULONG64)cdb[2] << 24) | (cdb[3] << 16) | (cdb[4] << 8) | cdb[5];
        count = (cdb[7] << 8) | cdb[8];
        break;
    case SCSIOP_READ16:
    case SCSIOP_WRITE16:
        for (int i = 2; i < 10; i++)
            lba = (lba << 8) | cdb[i];
        count = ((ULONG)cdb[10] << 24) | (cdb[11] << 16) | (cdb[12] << 8) | cdb[13];
        break;
    default:
        return SRB_STATUS_INVALID_REQUEST;
    }
    if (lba >= PB_SECTORS || count > PB_SECTORS - lba || (ULONG64)count * PB_SECTOR > length)
        return SRB_STATUS_INVALID_REQUEST;
    if (cdb[0] == SCSIOP_WRITE || cdb[0] == SCSIOP_WRITE16)
        RtlCopyMemory(Child->Ram + lba * PB_SECTOR, data, count * PB_SECTOR);
    else
        RtlCopyMemory(data, Child->Ram + lba * PB_SECTOR, count * PB_SECTOR);
    *Moved = count * PB_SECTOR;
    return SRB_STATUS_SUCCESS;
}

static NTSTATUS PbDispatchScsi(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PPB_CHILD child = DeviceObject->DeviceExtension;
    PSCSI_REQUEST_BLOCK srb = IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb;
    ULONG moved = 0;
    UCHAR result;
    NTSTATUS status;

    if (!child || child->IsFdo || !srb)
        return PbComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!NT_SUCCESS(IoAcquireRemoveLock(&child->RemoveLock, Irp)) || child->Gone) {
        if (child->Gone)
            IoReleaseRemoveLock(&child->RemoveLock, Irp);
        srb->SrbStatus = SRB_STATUS_NO_DEVICE;
        srb->DataTransferLength = 0;
        return PbComplete(Irp, STATUS_DEVICE_DOES_NOT_EXIST, 0);
    }
    result = srb->Function == SRB_FUNCTION_EXECUTE_SCSI ? PbScsi(child, srb, &moved)
                                                         : SRB_STATUS_SUCCESS;
    srb->SrbStatus = result;
    srb->ScsiStatus = SCSISTAT_GOOD;
    srb->SenseInfoBufferLength = 0;
    srb->DataTransferLength = moved;
    status = result == SRB_STATUS_SUCCESS ? STATUS_SUCCESS : STATUS_INVALID_DEVICE_REQUEST;
    PbComplete(Irp, status, moved);
    IoReleaseRemoveLock(&child->RemoveLock, Irp);
    return status;
}

static PWCHAR PbMultiSz(PCSTR Ascii, ULONG Bytes)
{
    PWCHAR w = ExAllocatePoolWithTag(NonPagedPool, Bytes * sizeof(WCHAR), PB_TAG);

    if (w)
        for (ULONG i = 0; i < Bytes; i++)
            w[i] = (WCHAR)(UCHAR)Ascii[i];
    return w;
}

#define PB_IDS(s) s, sizeof(s)

static NTSTATUS PbChildPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PPB_CHILD child = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;
    PCSTR name = PbMinorName(stack->MinorFunction);
    PWCHAR id = NULL;

    if (name)
        DbgPrint("pnpbus: child %u: %s%s\n", child->Number, name, child->Gone ? " (pulled)" : "");
    if (!NT_SUCCESS(IoAcquireRemoveLock(&child->RemoveLock, Irp)))
        return PbComplete(Irp, STATUS_NO_SUCH_DEVICE, 0);
    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_QUERY_CAPABILITIES:
        status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE: {
        BOOLEAN gone;
        PbLock();
        gone = child->Gone;
        if (gone && PbChild == DeviceObject)
            PbChild = NULL;
        PbUnlock();
        if (!gone)
            break;      /* still in its slot: the PDO stays for the next enumeration */
        /* Gone from the bus: the SRBs still running end, then it goes. */
        IoReleaseRemoveLockAndWait(&child->RemoveLock, Irp);
        ExFreePoolWithTag(child->Ram, PB_TAG);
        child->Ram = NULL;
        DbgPrint("pnpbus: child %u: deleted\n", child->Number);
        PbComplete(Irp, STATUS_SUCCESS, 0);
        IoDeleteDevice(DeviceObject);
        return STATUS_SUCCESS;
    }
    case IRP_MN_QUERY_ID:
        switch (stack->Parameters.QueryId.IdType) {
        case BusQueryDeviceID:
            id = PbMultiSz(PB_IDS("SCSI\\Disk&Ven_NTSTOR&Prod_PnpTest\0"));
            break;
        case BusQueryHardwareIDs:
            id = PbMultiSz(PB_IDS("SCSI\\DiskNTSTOR__PnpTest\0SCSI\\Disk\0"));
            break;
        case BusQueryCompatibleIDs:
            id = PbMultiSz(PB_IDS("SCSI\\Disk\0GenDisk\0"));
            break;
        case BusQueryInstanceID: {
            CHAR text[16] = { 0 };
            ULONG n = 0;
            RtlStringCbPrintfA(text, sizeof(text) - 1, "%u", child->Number);
            while (text[n])
                n++;
            id = PbMultiSz(text, n + 2);    /* the string, its NUL, the list's */
            break;
        }
        default:
            break;
        }
        if (id) {
            Irp->IoStatus.Information = (ULONG_PTR)id;
            status = STATUS_SUCCESS;
        }
        break;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation) {
            PDEVICE_RELATIONS rel = ExAllocatePoolWithTag(NonPagedPool, sizeof(*rel), PB_TAG);
            if (rel) {
                ObReferenceObject(DeviceObject);
                rel->Count = 1;
                rel->Objects[0] = DeviceObject;
                Irp->IoStatus.Information = (ULONG_PTR)rel;
                status = STATUS_SUCCESS;
            }
        }
        break;
    default:
        break;
    }
    PbComplete(Irp, status, Irp->IoStatus.Information);
    IoReleaseRemoveLock(&child->RemoveLock, Irp);
    return status;
}

/* ---- the bus FDO on the PCI test device ---- */

static NTSTATUS PbBusRelations(PIRP Irp)
{
    PDEVICE_RELATIONS rel = ExAllocatePoolZero(NonPagedPool, sizeof(*rel) + sizeof(PVOID), PB_TAG);
    NTSTATUS status = STATUS_SUCCESS;

    if (!rel)
        return STATUS_INSUFFICIENT_RESOURCES;
    PbLock();
    if (PbPlugged && !PbChild)
        status = PbCreateChild(PbFdo->Self->DriverObject);
    if (PbPlugged && PbChild) {
        ObReferenceObject(PbChild);
        rel->Objects[rel->Count++] = PbChild;
    }
    PbUnlock();
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(rel, PB_TAG);
        return status;
    }
    Irp->IoStatus.Information = (ULONG_PTR)rel;
    return STATUS_SUCCESS;
}

static NTSTATUS PbFdoPnp(PPB_FDO Fdo, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        IoForwardIrpSynchronously(Fdo->Lower, Irp);
        status = Irp->IoStatus.Status;
        PbComplete(Irp, status, 0);
        break;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (stack->Parameters.QueryDeviceRelations.Type == BusRelations) {
            status = PbBusRelations(Irp);
            if (!NT_SUCCESS(status)) {
                PbComplete(Irp, status, 0);
                break;
            }
            Irp->IoStatus.Status = STATUS_SUCCESS;
        }
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(Fdo->Lower, Irp);
        break;
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = Fdo->Lower, self = Fdo->Self;
        IoReleaseRemoveLockAndWait(&Fdo->RemoveLock, Irp);
        /* The PnP manager removed the child's stack first. */
        PbLock();
        if (PbChild) {
            PPB_CHILD child = PbChild->DeviceExtension;
            ExFreePoolWithTag(child->Ram, PB_TAG);
            IoDeleteDevice(PbChild);
            PbChild = NULL;
        }
        PbFdo = NULL;
        PbUnlock();
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(self);
        return status;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        /* fall through */
    default:
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(Fdo->Lower, Irp);
        break;
    }
    IoReleaseRemoveLock(&Fdo->RemoveLock, Irp);
    return status;
}

static NTSTATUS PbDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PPB_FDO fdo = DeviceObject->DeviceExtension;

    if (!fdo || DeviceObject == PbUnplugDevice || DeviceObject == PbPlugDevice)
        return PbComplete(Irp, STATUS_NOT_SUPPORTED, 0);
    if (!fdo->IsFdo)
        return PbChildPnp(DeviceObject, Irp);
    if (!NT_SUCCESS(IoAcquireRemoveLock(&fdo->RemoveLock, Irp)))
        return PbComplete(Irp, STATUS_NO_SUCH_DEVICE, 0);
    return PbFdoPnp(fdo, Irp);
}

static NTSTATUS PbDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PPB_FDO fdo = DeviceObject->DeviceExtension;

    if (fdo && fdo->IsFdo) {
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(fdo->Lower, Irp);
    }
    return PbComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS PbAddDevice(PDRIVER_OBJECT Driver, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PPB_FDO ext;
    NTSTATUS status;

    /* Our own child is claimed by disk.sys, not by us. */
    if (Pdo->DriverObject == Driver || PbFdo)
        return STATUS_NOT_SUPPORTED;
    status = IoCreateDevice(Driver, sizeof(PB_FDO), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    ext->IsFdo = TRUE;
    IoInitializeRemoveLock(&ext->RemoveLock, PB_TAG, 0, 0);
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (!ext->Lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    PbFdo = ext;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("pnpbus: bus attached to the PCI test device\n");
    return STATUS_SUCCESS;
}

/* ---- the plug and unplug switches ---- */

static NTSTATUS PbDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return PbComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS PbDispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PUCHAR buffer = Irp->MdlAddress ? MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0)
                                    : (PUCHAR)Irp->UserBuffer;
    KIRQL irql;

    if ((DeviceObject != PbUnplugDevice && DeviceObject != PbPlugDevice) || !buffer ||
        IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length < 1)
        return PbComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!PbFdo)
        return PbComplete(Irp, STATUS_NO_SUCH_DEVICE, 0);
    if (DeviceObject == PbUnplugDevice) {
        /* The bus lock is held across the call: it must only queue. */
        PbLock();
        PbPlugged = FALSE;
        if (PbChild)
            ((PPB_CHILD)PbChild->DeviceExtension)->Gone = TRUE;
        DbgPrint("pnpbus: disk pulled; IoInvalidateDeviceRelations with the bus lock held\n");
        IoInvalidateDeviceRelations(PbFdo->Pdo, BusRelations);
        PbUnlock();
    } else {
        PbLock();
        PbPlugged = TRUE;
        PbUnlock();
        /* And with a spin lock held, at DISPATCH_LEVEL. */
        KeAcquireSpinLock(&PbPlugLock, &irql);
        DbgPrint("pnpbus: disk plugged; IoInvalidateDeviceRelations at DISPATCH_LEVEL\n");
        IoInvalidateDeviceRelations(PbFdo->Pdo, BusRelations);
        KeReleaseSpinLock(&PbPlugLock, irql);
    }
    buffer[0] = DeviceObject == PbPlugDevice;
    return PbComplete(Irp, STATUS_SUCCESS, 1);
}

static VOID PbUnload(PDRIVER_OBJECT DriverObject)
{
    if (PbUnplugDevice)
        IoDeleteDevice(PbUnplugDevice);
    if (PbPlugDevice)
        IoDeleteDevice(PbPlugDevice);
}

static NTSTATUS PbSwitch(PDRIVER_OBJECT Driver, PCWSTR Name, PDEVICE_OBJECT *Device)
{
    UNICODE_STRING name;
    NTSTATUS status;

    RtlInitUnicodeString(&name, Name);
    status = IoCreateDevice(Driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, Device);
    if (NT_SUCCESS(status))
        (*Device)->Flags &= ~DO_DEVICE_INITIALIZING;
    return status;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    KeInitializeEvent(&PbBusLock, SynchronizationEvent, TRUE);
    KeInitializeSpinLock(&PbPlugLock);
    status = PbSwitch(DriverObject, u"\\Device\\PnpBusUnplug", &PbUnplugDevice);
    if (NT_SUCCESS(status))
        status = PbSwitch(DriverObject, u"\\Device\\PnpBusPlug", &PbPlugDevice);
    if (!NT_SUCCESS(status)) {
        PbUnload(DriverObject);
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = PbDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = PbDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = PbDispatchRead;
    DriverObject->MajorFunction[IRP_MJ_SCSI] = PbDispatchScsi;
    DriverObject->MajorFunction[IRP_MJ_PNP] = PbDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = PbDispatchPower;
    DriverObject->DriverExtension->AddDevice = PbAddDevice;
    DriverObject->DriverUnload = PbUnload;
    return STATUS_SUCCESS;
}
