/* vfbad.c - a test driver that breaks one verifier rule (kernel/io/verifier.c),
 * chosen by its service's Parameters\Break:
 *   pending     dispatch returns STATUS_PENDING without IoMarkIrpPending
 *   marked      dispatch marks the IRP pending, then returns STATUS_SUCCESS
 *   irql        dispatch returns at DISPATCH_LEVEL, called at PASSIVE_LEVEL
 *   spinlock    dispatch (at DISPATCH_LEVEL) returns holding a spin lock
 *   complete    dispatch completes the IRP above DISPATCH_LEVEL
 *   pool        pool allocated in DriverEntry is never freed (seen at unload)
 *   workitem    DriverUnload leaves a work item queued
 *   remlock     dispatch releases its device's remove lock once more than
 *               it acquired it (the IRP as the tag)
 *   none        breaks nothing (and uses the remove lock by the book)
 * DriverEntry sends one IOCTL to its own device, so the dispatch rules are
 * broken while `load` runs; pool and workitem at `unload`.  Several services
 * in tests/qemu/verifier.cfg share this image, one per rule. */
#include <wdm.h>

#define VF_TAG NTSTOR_TAG('V', 'f', 'B', 'd')
#define VF_IOCTL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)

static WCHAR VfBreak[16];
static PDEVICE_OBJECT VfDevice;
static PIO_WORKITEM VfItem;
static KSPIN_LOCK VfLock;

static BOOLEAN VfIs(PCWSTR What)
{
    UNICODE_STRING a, b;
    RtlInitUnicodeString(&a, VfBreak);
    RtlInitUnicodeString(&b, What);
    return RtlEqualUnicodeString(&a, &b, TRUE);
}

/* The rule the service breaks, inside the remove lock's hold.  Inlined:
 * the verifier names the routine its calls come from (VfDispatch). */
static inline __attribute__((always_inline)) NTSTATUS VfBreakRule(PIRP Irp)
{
    KIRQL old;

    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    if (VfIs(L"pending")) {
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;                  /* never marked */
    }
    if (VfIs(L"marked")) {
        IoMarkIrpPending(Irp);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;                  /* marked, but not pending */
    }
    if (VfIs(L"irql")) {
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        KeRaiseIrql(DISPATCH_LEVEL, &old);      /* never lowered */
        return STATUS_SUCCESS;
    }
    if (VfIs(L"spinlock")) {
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        KeAcquireSpinLockAtDpcLevel(&VfLock);   /* never released */
        return STATUS_SUCCESS;
    }
    if (VfIs(L"complete")) {
        KeRaiseIrql(DISPATCH_LEVEL + 2, &old);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        KeLowerIrql(old);
        return STATUS_SUCCESS;
    }
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

/* The device's remove lock (its extension) is held around every request,
 * as a WDM driver's dispatch routines do; DriverEntry initialized it, so
 * with the verifier on its tags are tracked. */
static NTSTATUS VfDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_REMOVE_LOCK lock = DeviceObject->DeviceExtension;
    NTSTATUS status;

    status = IoAcquireRemoveLock(lock, Irp);
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    status = VfBreakRule(Irp);
    IoReleaseRemoveLock(lock, Irp);
    if (VfIs(L"remlock"))
        IoReleaseRemoveLock(lock, Irp);         /* once more than acquired */
    return status;
}

static VOID VfWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    LARGE_INTEGER wait = { .QuadPart = -10 * 1000 * 200 };     /* 200 ms: still queued at the check */
    KeDelayExecutionThread(KernelMode, FALSE, &wait);
    IoFreeWorkItem(VfItem);
}

static VOID VfUnload(PDRIVER_OBJECT DriverObject)
{
    if (VfIs(L"workitem")) {
        VfItem = IoAllocateWorkItem(VfDevice);
        if (VfItem)
            IoQueueWorkItem(VfItem, VfWork, DelayedWorkQueue, NULL);
    }
    /* What REMOVE_DEVICE does in a PnP driver: wait out every holder. */
    if (NT_SUCCESS(IoAcquireRemoveLock((PIO_REMOVE_LOCK)VfDevice->DeviceExtension, VfUnload)))
        IoReleaseRemoveLockAndWait((PIO_REMOVE_LOCK)VfDevice->DeviceExtension, VfUnload);
    IoDeleteDevice(VfDevice);
    DbgPrint("vfbad: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING breakValue = { 0, sizeof(VfBreak) - sizeof(WCHAR), VfBreak };
    RTL_QUERY_REGISTRY_TABLE table[] = {
        { NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Parameters" },
        { NULL, RTL_QUERY_REGISTRY_DIRECT, L"Break", &breakValue, REG_SZ, L"none", 0 },
        { 0 },
    };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    KEVENT done;
    HANDLE svc;
    PIRP irp;
    KIRQL old = PASSIVE_LEVEL;
    NTSTATUS status;

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (NT_SUCCESS(ZwOpenKey(&svc, KEY_READ, &oa))) {
        RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)svc, table, NULL, NULL);
        ZwClose(svc);
    }
    KeInitializeSpinLock(&VfLock);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = NULL;      /* the I/O manager fills them in */
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = VfDispatch;
    DriverObject->DriverUnload = VfUnload;
    status = IoCreateDevice(DriverObject, sizeof(IO_REMOVE_LOCK), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &VfDevice);
    if (!NT_SUCCESS(status))
        return status;
    IoInitializeRemoveLock((PIO_REMOVE_LOCK)VfDevice->DeviceExtension, VF_TAG, 0, 0);
    VfDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    if (VfIs(L"pool"))
        ExAllocatePoolWithTag(NonPagedPool, 100, VF_TAG);   /* never freed */

    KeInitializeEvent(&done, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(VF_IOCTL, VfDevice, NULL, 0, NULL, 0, TRUE, &done, &iosb);
    if (!irp) {
        IoDeleteDevice(VfDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (VfIs(L"spinlock"))
        KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = IoCallDriver(VfDevice, irp);
    if (VfIs(L"spinlock")) {
        KeReleaseSpinLockFromDpcLevel(&VfLock);     /* only reached without the verifier */
        KeLowerIrql(old);
    }
    if (VfIs(L"irql"))
        KeLowerIrql(PASSIVE_LEVEL);                 /* likewise */
    if (status == STATUS_PENDING)
        KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    DbgPrint("vfbad: DriverEntry done, Break=%s\n", VfIs(L"none") ? "none" : "set");
    return STATUS_SUCCESS;
}
