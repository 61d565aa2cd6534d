/* shutdown.c - IoRegisterShutdownNotification: devices that want an
 * IRP_MJ_SHUTDOWN before the machine powers off or restarts (the disk class
 * driver flushes its disk's write cache there).  The poweroff and reboot
 * commands run the kernel's shutdown callbacks, which send these IRPs,
 * newest registration first, each to the top of the device's stack. */
#include <ntos.h>
#include <io.h>
#include <rtl.h>
#include "iop.h"

/* A device that does not answer its shutdown IRP in this long is skipped:
 * powering off late beats never powering off (NT waits forever; a
 * unikernel with a hung disk would never power off).  The IRP stays
 * outstanding, so what it points at is in pool (IOP_SHUTDOWN_REQUEST). */
#define IOP_SHUTDOWN_TIMEOUT_100NS (-10LL * 1000 * 1000 * 10)   /* 10 s */

typedef struct _IOP_SHUTDOWN_ENTRY {
    LIST_ENTRY Link;
    PDEVICE_OBJECT DeviceObject;    /* referenced while registered */
} IOP_SHUTDOWN_ENTRY;

/* Registrations; changed at PASSIVE_LEVEL under IopShutdownLock. */
static LIST_ENTRY IopShutdownList = { &IopShutdownList, &IopShutdownList };
static KSPIN_LOCK IopShutdownLock;
static BOOLEAN IopShutdownHooked;

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

/* One IRP_MJ_SHUTDOWN in flight.  It lives in pool, never on the sender's
 * stack: after IOP_SHUTDOWN_TIMEOUT_100NS the sender goes on (and
 * returns) while the device may still complete the IRP later, and
 * everything the completion touches must outlive the sender.  Two
 * references, the sender's and the completion routine's; whoever drops
 * the last frees the request and the device reference. */
typedef struct _IOP_SHUTDOWN_REQUEST {
    KEVENT Done;
    NTSTATUS Status;                /* the IRP's, once Done is set */
    PDEVICE_OBJECT Top;             /* referenced until the IRP is back */
    volatile LONG References;
} IOP_SHUTDOWN_REQUEST;

static VOID IopReleaseShutdownRequest(IOP_SHUTDOWN_REQUEST *Request)
{
    if (__atomic_sub_fetch(&Request->References, 1, __ATOMIC_ACQ_REL) == 0) {
        ObDereferenceObject(Request->Top);
        ExFreePoolWithTag(Request, IOP_TAG_SHUTDOWN);
    }
}

/* The IRP is ours (IoAllocateIrp): freed here, whenever it comes back. */
static NTSTATUS IopShutdownDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IOP_SHUTDOWN_REQUEST *Request = Context;

    Request->Status = Irp->IoStatus.Status;
    IoFreeIrp(Irp);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    IopReleaseShutdownRequest(Request);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* "device=\Device\Harddisk1\DR1" for the log and hard errors (a pointer
 * names nothing a user can look up). */
static VOID IopDeviceName(PDEVICE_OBJECT DeviceObject, PCHAR Text, SIZE_T TextSize)
{
    WCHAR wide[80];
    CHAR ascii[80];
    UNICODE_STRING path = { 0, sizeof(wide), wide };

    if (NT_SUCCESS(ObQueryNameString(DeviceObject, &path)) && path.Length)
        RtlUnicodeToAscii(ascii, sizeof(ascii), &path);
    else
        RtlAsciiCopy(ascii, sizeof(ascii), "(unnamed)");
    RtlStringCbPrintfA(Text, TextSize, "device=%s", ascii);
}

static VOID IopSendShutdown(PDEVICE_OBJECT DeviceObject)
{
    LARGE_INTEGER Timeout = { .QuadPart = IOP_SHUTDOWN_TIMEOUT_100NS };
    PDEVICE_OBJECT Top = IoGetAttachedDeviceReference(DeviceObject);
    IOP_SHUTDOWN_REQUEST *Request = ExAllocatePoolWithTag(NonPagedPool, sizeof(*Request),
                                                          IOP_TAG_SHUTDOWN);
    PIRP Irp = Request ? IoAllocateIrp(Top->StackSize, FALSE) : NULL;
    CHAR Name[96];

    IopDeviceName(DeviceObject, Name, sizeof(Name));
    if (!Irp) {
        DbgPrint("io: shutdown of %s skipped: no memory for the IRP", Name);
        IoReportHardError(STATUS_INSUFFICIENT_RESOURCES, Name, "no shutdown request sent");
        if (Request)
            ExFreePoolWithTag(Request, IOP_TAG_SHUTDOWN);
        ObDereferenceObject(Top);
        return;
    }
    KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
    Request->Status = STATUS_PENDING;
    Request->Top = Top;
    Request->References = 2;
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_SHUTDOWN;
    Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    IoSetCompletionRoutine(Irp, IopShutdownDone, Request, TRUE, TRUE, TRUE);
    IoCallDriver(Top, Irp);
    /* From here the IRP may be gone: only Request is ours to look at. */
    if (KeWaitForSingleObject(&Request->Done, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT) {
        DbgPrint("io: shutdown IRP to %s not completed in 10 s; going on", Name);
        /* Nobody else can tell the user: the driver has not answered. */
        IoReportHardError(STATUS_IO_TIMEOUT, Name, "shutdown request not completed in 10 s");
    } else if (!NT_SUCCESS(Request->Status)) {
        /* The driver reports its own details (the disk: number, serial). */
        DbgPrint("io: shutdown IRP to %s: %s", Name, RtlNtStatusName(Request->Status));
    }
    IopReleaseShutdownRequest(Request);
}

/* Runs from the poweroff/reboot commands at PASSIVE_LEVEL.  Entries stay
 * registered: a shutdown that fails leaves the system running. */
VOID IopShutdownSystem(PVOID Context)
{
    for (PLIST_ENTRY e = IopShutdownList.Flink; e != &IopShutdownList; e = e->Flink)
        IopSendShutdown(CONTAINING_RECORD(e, IOP_SHUTDOWN_ENTRY, Link)->DeviceObject);
}
