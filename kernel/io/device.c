/* device.c - device objects: creation and deletion, stacking (attach and
 * detach), lookups along a stack, symbolic links, DPC requests.
 *
 * A device object is one object-manager body: DEVICE_OBJECT, then its
 * DEVOBJ_EXTENSION, then the driver's device extension (16-byte aligned).
 * It holds a reference on its driver object, so the driver object -- and
 * with it the image, which goes from the driver object's delete procedure
 * (driver.c) -- outlives its devices.
 *
 * Deletion, as NT's IoDeleteDevice/IopCompleteUnloadOrDelete: IoDeleteDevice
 * marks the device DOE_DELETE_PENDING (it can no longer be opened or have
 * anything attached).  While files are open on it (ReferenceCount) it stays
 * on its driver's device list -- its dispatch routines can still be called
 * for those files, IRP_MJ_CLOSE last -- and the last file to close takes it
 * off and drops the creation reference (IopDecrementDeviceReference).
 *
 * IopDatabaseLock (DISPATCH_LEVEL) guards AttachedDevice/AttachedTo, the
 * drivers' device lists, ReferenceCount and the DOE_* flags; it is never
 * held across a call into a driver. */
#include "iop.h"

KSPIN_LOCK IopDatabaseLock;

static inline PDEVOBJ_EXTENSION IopDoe(PDEVICE_OBJECT Device)
{
    return Device->DeviceObjectExtension;
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    const ULONG DoeOffset = (ULONG)ALIGN_UP_BY(sizeof(DEVICE_OBJECT), 16);
    const ULONG ExtOffset = DoeOffset + (ULONG)ALIGN_UP_BY(sizeof(DEVOBJ_EXTENSION), 16);
    PDEVICE_OBJECT Device;
    PDEVOBJ_EXTENSION Doe;
    NTSTATUS Status;
    KIRQL Old;

    if (!DriverObject || !DeviceObject)
        return STATUS_INVALID_PARAMETER;
    *DeviceObject = NULL;
    if (DeviceExtensionSize > 0x10000000)
        return STATUS_INVALID_PARAMETER;

    /* 15 bytes of slack: the body's own alignment is the object manager's. */
    Status = ObCreateObject(IoDeviceObjectType, DeviceName, 0, ExtOffset + 15 + DeviceExtensionSize,
                            (PVOID *)&Device);
    if (!NT_SUCCESS(Status))
        return Status;

    Doe = (PDEVOBJ_EXTENSION)((PUCHAR)Device + DoeOffset);
    Doe->Type = IO_TYPE_DEVICE_OBJECT_EXTENSION;
    Doe->Size = sizeof(DEVOBJ_EXTENSION);
    Doe->DeviceObject = Device;

    Device->Type = IO_TYPE_DEVICE;
    Device->Size = (USHORT)(sizeof(DEVICE_OBJECT) + (DeviceExtensionSize > 0xF000 ? 0xF000 : DeviceExtensionSize));
    Device->DriverObject = DriverObject;
    Device->DeviceObjectExtension = Doe;
    Device->DeviceExtension = DeviceExtensionSize
        ? (PVOID)ALIGN_UP_BY((PUCHAR)Device + ExtOffset, 16) : NULL;
    Device->DeviceType = DeviceType;
    Device->Characteristics = DeviceCharacteristics;
    Device->StackSize = 1;
    Device->AlignmentRequirement = FILE_BYTE_ALIGNMENT;
    Device->Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0) |
                    (DeviceName ? DO_DEVICE_HAS_NAME : 0);
    /* NT gives disk-like devices a 512-byte default sector. */
    if (DeviceType == FILE_DEVICE_DISK || DeviceType == FILE_DEVICE_CD_ROM ||
        DeviceType == FILE_DEVICE_MASS_STORAGE)
        Device->SectorSize = 512;
    KeInitializeDeviceQueue(&Device->DeviceQueue);

    ObReferenceObject(DriverObject);
    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    Device->NextDevice = DriverObject->DeviceObject;
    DriverObject->DeviceObject = Device;
    KeReleaseSpinLock(&IopDatabaseLock, Old);

    *DeviceObject = Device;
    return STATUS_SUCCESS;
}

/* Whether Device is still on its driver's list (a deleted one leaves it
 * exactly once).  Caller holds IopDatabaseLock. */
static BOOLEAN IopOnDriverList(PDEVICE_OBJECT Device)
{
    for (PDEVICE_OBJECT d = Device->DriverObject->DeviceObject; d; d = d->NextDevice)
        if (d == Device)
            return TRUE;
    return FALSE;
}

/* Takes Device off its driver's list.  Caller holds IopDatabaseLock. */
static VOID IopUnlinkFromDriver(PDEVICE_OBJECT Device)
{
    PDEVICE_OBJECT *Link;

    for (Link = &Device->DriverObject->DeviceObject; *Link; Link = &(*Link)->NextDevice) {
        if (*Link == Device) {
            *Link = Device->NextDevice;
            break;
        }
    }
    Device->NextDevice = NULL;
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    PDEVOBJ_EXTENSION Doe = IopDoe(DeviceObject);
    BOOLEAN Open, WasAttached = FALSE;
    KIRQL Old;

    if (DeviceObject->Flags & DO_SHUTDOWN_REGISTERED)
        IoUnregisterShutdownNotification(DeviceObject);
    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    if (Doe->ExtensionFlags & DOE_DELETE_PENDING)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)IoDeviceObjectType, (ULONG_PTR)DeviceObject,
                     (ULONG_PTR)(LONG_PTR)ObGetReferenceCount(DeviceObject), 0x1D);
    Doe->ExtensionFlags |= DOE_DELETE_PENDING;
    /* A driver that forgot IoDetachDevice would leave the device below
     * pointing at freed memory. */
    if (Doe->AttachedTo) {
        if (Doe->AttachedTo->AttachedDevice == DeviceObject)
            Doe->AttachedTo->AttachedDevice = NULL;
        Doe->AttachedTo = NULL;
        WasAttached = TRUE;
    }
    /* Open files keep it on the driver's list: the driver (and its image)
     * must stay for their IRP_MJ_CLOSE.  So does a device still attached
     * above it: at REMOVE_DEVICE a lower filter deletes its device before
     * the function driver above detaches from it (NT's order), and that
     * IoDetachDevice finishes the deletion. */
    Open = DeviceObject->ReferenceCount != 0 || DeviceObject->AttachedDevice != NULL;
    if (!Open)
        IopUnlinkFromDriver(DeviceObject);
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    if (WasAttached)
        DbgPrint("io: IoDeleteDevice(%p): still attached; detached it\n", DeviceObject);
    if (!Open)
        ObDereferenceObject(DeviceObject);
}

BOOLEAN IopIncrementDeviceReference(PDEVICE_OBJECT Device)
{
    BOOLEAN Ok;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    /* Nor opened once its stack was surprise-removed (REMOVE_PENDING). */
    Ok = !(IopDoe(Device)->ExtensionFlags & (DOE_DELETE_PENDING | DOE_UNLOAD_PENDING |
                                             DOE_REMOVE_PENDING));
    if (Ok)
        Device->ReferenceCount++;
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    return Ok;
}

/* The PnP manager's hook (absent in host tests that link no PnP). */
VOID PnpDeviceClosed(VOID) __attribute__((weak));

VOID IopDecrementDeviceReference(PDEVICE_OBJECT Device)
{
    BOOLEAN Finish, Removing;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    if (Device->ReferenceCount <= 0)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)IoDeviceObjectType, (ULONG_PTR)Device,
                     (ULONG_PTR)(LONG_PTR)Device->ReferenceCount, 0x1E);
    Finish = --Device->ReferenceCount == 0 && Device->AttachedDevice == NULL &&
             (IopDoe(Device)->ExtensionFlags & DOE_DELETE_PENDING);
    Removing = Device->ReferenceCount == 0 &&
               (IopDoe(Device)->ExtensionFlags & DOE_REMOVE_PENDING);
    if (Finish)
        IopUnlinkFromDriver(Device);
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    /* The last file of a surprise-removed stack's device: its
     * REMOVE_DEVICE may be due (the PnP thread looks). */
    if (Removing && PnpDeviceClosed)
        PnpDeviceClosed();
    /* The deferred half of IoDeleteDevice: the creation reference. */
    if (Finish)
        ObDereferenceObject(Device);
}

VOID IopMarkStackRemovePending(PDEVICE_OBJECT Pdo)
{
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    for (PDEVICE_OBJECT d = Pdo; d; d = d->AttachedDevice)
        IopDoe(d)->ExtensionFlags |= DOE_REMOVE_PENDING;
    KeReleaseSpinLock(&IopDatabaseLock, Old);
}

VOID IopDeleteDeviceProcedure(PVOID Object)
{
    PDEVICE_OBJECT Device = Object;
    ObDereferenceObject(Device->DriverObject);
}

PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)
{
    PDEVICE_OBJECT Top;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    Top = TargetDevice;
    while (Top->AttachedDevice)
        Top = Top->AttachedDevice;
    if (IopDoe(Top)->ExtensionFlags & (DOE_DELETE_PENDING | DOE_UNLOAD_PENDING | DOE_REMOVE_PENDING)) {
        KeReleaseSpinLock(&IopDatabaseLock, Old);
        return NULL;
    }
    Top->AttachedDevice = SourceDevice;
    IopDoe(SourceDevice)->AttachedTo = Top;
    SourceDevice->StackSize = (CCHAR)(Top->StackSize + 1);
    /* The new top inherits the stricter buffer alignment and the sector
     * size of what it sits on (NT does the same). */
    if (Top->AlignmentRequirement > SourceDevice->AlignmentRequirement)
        SourceDevice->AlignmentRequirement = Top->AlignmentRequirement;
    SourceDevice->SectorSize = Top->SectorSize;
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    return Top;
}

VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
    BOOLEAN Finish;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    if (TargetDevice->AttachedDevice) {
        IopDoe(TargetDevice->AttachedDevice)->AttachedTo = NULL;
        TargetDevice->AttachedDevice = NULL;
    }
    /* The last thing holding a deleted device (IoDeleteDevice) was the one
     * attached above it: the deferred half of its deletion. */
    Finish = (IopDoe(TargetDevice)->ExtensionFlags & DOE_DELETE_PENDING) &&
             TargetDevice->ReferenceCount == 0 &&
             IopOnDriverList(TargetDevice);
    if (Finish)
        IopUnlinkFromDriver(TargetDevice);
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    if (Finish)
        ObDereferenceObject(TargetDevice);
}

PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject)
{
    while (DeviceObject->AttachedDevice)
        DeviceObject = DeviceObject->AttachedDevice;
    return DeviceObject;
}

PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject)
{
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    DeviceObject = IoGetAttachedDevice(DeviceObject);
    ObReferenceObject(DeviceObject);
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    return DeviceObject;
}

PDEVICE_OBJECT IoGetLowerDeviceObject(PDEVICE_OBJECT DeviceObject)
{
    PDEVICE_OBJECT Lower;
    KIRQL Old;

    KeAcquireSpinLock(&IopDatabaseLock, &Old);
    Lower = IopDoe(DeviceObject)->AttachedTo;
    if (Lower)
        ObReferenceObject(Lower);
    KeReleaseSpinLock(&IopDatabaseLock, Old);
    return Lower;
}

PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject)
{
    return IoGetAttachedDevice(FileObject->DeviceObject);
}

/* The node of a PDO (iop.h), or NULL for any other device object. */
struct _DEVICE_NODE *IopDeviceNodeOfPdo(PDEVICE_OBJECT DeviceObject)
{
    if (!DeviceObject || !DeviceObject->DeviceObjectExtension)
        return NULL;
    return DeviceObject->DeviceObjectExtension->DeviceNode;
}

NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
                                  PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject)
{
    IO_STATUS_BLOCK Iosb;
    PFILE_OBJECT File;
    NTSTATUS Status;

    Status = IopOpenFile(ObjectName, DesiredAccess, FILE_SHARE_READ | FILE_SHARE_WRITE, 0, &Iosb, &File);
    if (!NT_SUCCESS(Status))
        return Status;
    /* NT opens a handle here, references the file object and closes the
     * handle, so the device sees IRP_MJ_CLEANUP now and IRP_MJ_CLOSE when
     * the caller's ObDereferenceObject drops the last reference; drivers
     * that pair per-open work with CLEANUP rely on it. */
    Status = IopSendFileRequest(File, IRP_MJ_CLEANUP, &Iosb);
    if (!NT_SUCCESS(Status) && Status != STATUS_INVALID_DEVICE_REQUEST)
        DbgPrint("io: IRP_MJ_CLEANUP: %s\n", RtlNtStatusName(Status));
    File->Flags |= FO_CLEANUP_COMPLETE;
    *FileObject = File;
    *DeviceObject = IoGetRelatedDeviceObject(File);
    return STATUS_SUCCESS;
}

NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    return ObCreateSymbolicLink(SymbolicLinkName, DeviceName);
}

NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
{
    PVOID Link;
    NTSTATUS Status;

    Status = ObpReferenceObjectByName(SymbolicLinkName, OBJ_OPENLINK, ObSymbolicLinkObjectType, &Link);
    if (!NT_SUCCESS(Status))
        return Status;
    ObMakeTemporaryObject(Link);
    ObDereferenceObject(Link);
    return STATUS_SUCCESS;
}

/* Device DPCs run DpcRoutine(Dpc, DeviceObject, Irp, Context): the KDPC
 * calling convention with the device as DeferredContext. */
VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine)
{
    KeInitializeDpc(&DeviceObject->Dpc, (PKDEFERRED_ROUTINE)(void (*)(void))DpcRoutine, DeviceObject);
}
