/* shutdown.c - IoRegisterShutdownNotification: devices that want an
 * IRP_MJ_SHUTDOWN before the machine powers off or restarts (the disk class
 * driver flushes its disk's write cache there).  The poweroff and reboot
 * commands run the kernel's shutdown callbacks, which send these IRPs,
 * newest registration first, each to the top of the device's stack. */
#include <ntos.h>
#include <io.h>
#include "iop.h"

#define IOP_TAG_SHUTDOWN NTSTOR_TAG('I', 'o', 'S', 'd')
/* A device that does not answer its shutdown IRP in this long is skipped:
 * powering off late beats never powering off. */
#define IOP_SHUTDOWN_TIMEOUT_100NS (-10LL * 1000 * 1000 * 10)   /* 10 s */

typedef struct _IOP_SHUTDOWN_ENTRY {
    LIST_ENTRY Link;
    PDEVICE_OBJECT DeviceObject;    /* referenced while registered */
} IOP_SHUTDOWN_ENTRY;

/* Registrations; changed at PASSIVE_LEVEL under IopShutdownLock. */
static LIST_ENTRY IopShutdownList = { &IopShutdownList, &IopShutdownList };
static KSPIN_LOCK IopShutdownLock;
static BOOLEAN IopShutdownHooked;

static VOID IopShutdownSystem(PVOID Context);

NTSTATUS IoRegisterShutdownNotification(PDEVICE_OBJECT DeviceObject)
{
    IOP_SHUTDOWN_ENTRY *Entry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*Entry), IOP_TAG_SHUTDOWN);
    KIRQL Old;

    if (!Entry)
        return STATUS_INSUFFICIENT_RESOURCES;
    ObReferenceObject(DeviceObject);
    Entry->DeviceObject = DeviceObject;
    KeAcquireSpinLock(&IopShutdownLock, &Old);
    InsertHeadList(&IopShutdownList, &Entry->Link);
    DeviceObject->Flags |= DO_SHUTDOWN_REGISTERED;
    KeReleaseSpinLock(&IopShutdownLock, Old);
    if (!IopShutdownHooked) {
        IopShutdownHooked = TRUE;
        KeRegisterShutdownCallback(IopShutdownSystem, NULL);
    }
    return STATUS_SUCCESS;
}

VOID IoUnregisterShutdownNotification(PDEVICE_OBJECT DeviceObject)
{
    KIRQL Old;
    IOP_SHUTDOWN_ENTRY *Found = NULL;

    KeAcquireSpinLock(&IopShutdownLock, &Old);
    for (PLIST_ENTRY e = IopShutdownList.Flink; e != &IopShutdownList; e = e->Flink) {
        IOP_SHUTDOWN_ENTRY *Entry = CONTAINING_RECORD(e, IOP_SHUTDOWN_ENTRY, Link);
        if (Entry->DeviceObject == DeviceObject) {
            RemoveEntryList(e);
            Found = Entry;
            break;
        }
    }
    DeviceObject->Flags &= ~DO_SHUTDOWN_REGISTERED;
    KeReleaseSpinLock(&IopShutdownLock, Old);
    if (Found) {
        ObDereferenceObject(DeviceObject);
        ExFreePoolWithTag(Found, IOP_TAG_SHUTDOWN);
    }
}

static VOID IopSendShutdown(PDEVICE_OBJECT DeviceObject)
{
    KEVENT Event;
    IO_STATUS_BLOCK Iosb;
    LARGE_INTEGER Timeout = { .QuadPart = IOP_SHUTDOWN_TIMEOUT_100NS };
    PDEVICE_OBJECT Top = IoGetAttachedDeviceReference(DeviceObject);

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    PIRP Irp = IoBuildSynchronousFsdRequest(IRP_MJ_SHUTDOWN, Top, NULL, 0, NULL, &Event, &Iosb);
    if (!Irp) {
        DbgPrint("io: shutdown of %p skipped: no memory for the IRP", DeviceObject);
        ObDereferenceObject(Top);
        return;
    }
    NTSTATUS Status = IoCallDriver(Top, Irp);
    if (Status == STATUS_PENDING) {
        if (KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT) {
            DbgPrint("io: shutdown IRP to %p not completed in 10 s; going on", DeviceObject);
            ObDereferenceObject(Top);
            return;
        }
        Status = Iosb.Status;
    }
    if (!NT_SUCCESS(Status))
        DbgPrint("io: shutdown IRP to %p: %s", DeviceObject, RtlNtStatusName(Status));
    ObDereferenceObject(Top);
}

/* Runs from the poweroff/reboot commands at PASSIVE_LEVEL.  Entries stay
 * registered: a shutdown that fails leaves the system running. */
static VOID IopShutdownSystem(PVOID Context)
{
    for (PLIST_ENTRY e = IopShutdownList.Flink; e != &IopShutdownList; e = e->Flink)
        IopSendShutdown(CONTAINING_RECORD(e, IOP_SHUTDOWN_ENTRY, Link)->DeviceObject);
}
