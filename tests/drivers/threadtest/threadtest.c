/* threadtest.c - test driver for threads, waits and work items
 * (tests/qemu/test_threads.py).
 *
 * DriverEntry creates \Device\ThreadTest0 and a system thread.  The thread
 * waits on the driver's stop event with a 5 ms timeout, counting each
 * timeout as a tick, and every 20 ticks queues an I/O work item, which
 * counts itself and sets an event.  Both counts are under a fast mutex.
 * Reading the device returns two little-endian ULONG64s: ticks, work items
 * run - so the test sees from the shell that both keep running while the
 * shell waits at its prompt or runs a bench.  DriverUnload stops the
 * thread, waits for its object to be signalled, waits for the work item to
 * be idle, and logs the totals. */
#include <wdm.h>

#define TT_TAG NTSTOR_TAG('T', 'h', 'T', 't')
#define TT_TICK_MS 5
#define TT_TICKS_PER_ITEM 20

__attribute__((visibility("default"))) DRIVER_INITIALIZE DriverEntry;

static PDEVICE_OBJECT TtDevice;
static PVOID TtThread;              /* referenced thread object */
static PIO_WORKITEM TtWorkItem;
static KEVENT TtStop;               /* notification: the thread must end */
static KEVENT TtWorkIdle;           /* notification: no work item queued */
static FAST_MUTEX TtLock;
static ULONG64 TtTicks, TtItems;    /* under TtLock */
static volatile LONG TtItemQueued;

static VOID TtWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    ExAcquireFastMutex(&TtLock);
    TtItems++;
    ExReleaseFastMutex(&TtLock);
    __atomic_store_n(&TtItemQueued, 0, __ATOMIC_SEQ_CST);
    KeSetEvent(&TtWorkIdle, IO_NO_INCREMENT, FALSE);
}

static VOID TtThreadMain(PVOID Context)
{
    LARGE_INTEGER tick = { .QuadPart = -(LONGLONG)TT_TICK_MS * 10000 };
    ULONG64 n = 0;

    while (KeWaitForSingleObject(&TtStop, Executive, KernelMode, FALSE, &tick) == STATUS_TIMEOUT) {
        ExAcquireFastMutex(&TtLock);
        n = ++TtTicks;
        ExReleaseFastMutex(&TtLock);
        if (n % TT_TICKS_PER_ITEM == 0 && __atomic_exchange_n(&TtItemQueued, 1, __ATOMIC_SEQ_CST) == 0) {
            KeClearEvent(&TtWorkIdle);
            IoQueueWorkItem(TtWorkItem, TtWork, DelayedWorkQueue, NULL);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS TtComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS TtCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return TtComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS TtRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG length = stack->Parameters.Read.Length;
    ULONG64 counts[2];
    PUCHAR buffer = Irp->MdlAddress ? MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0)
                                    : (PUCHAR)Irp->UserBuffer;

    if (!buffer || length < sizeof(counts))
        return TtComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    ExAcquireFastMutex(&TtLock);
    counts[0] = TtTicks;
    counts[1] = TtItems;
    ExReleaseFastMutex(&TtLock);
    RtlCopyMemory(buffer, counts, sizeof(counts));
    return TtComplete(Irp, STATUS_SUCCESS, sizeof(counts));
}

static VOID TtUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS status = STATUS_SUCCESS;

    if (TtThread) {
        KeSetEvent(&TtStop, IO_NO_INCREMENT, FALSE);
        /* The thread runs this image's code until its object is signalled. */
        status = KeWaitForSingleObject(TtThread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(TtThread);
        TtThread = NULL;
    }
    KeWaitForSingleObject(&TtWorkIdle, Executive, KernelMode, FALSE, NULL);
    if (TtWorkItem) {
        IoFreeWorkItem(TtWorkItem);
        TtWorkItem = NULL;
    }
    if (TtDevice) {
        IoDeleteDevice(TtDevice);
        TtDevice = NULL;
    }
    DbgPrint("threadtest: unloaded ticks=%llu work_items=%llu wait=%s\n", TtTicks, TtItems,
             status == STATUS_SUCCESS ? "STATUS_SUCCESS" : "other");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(u"\\Device\\ThreadTest0");
    HANDLE handle;
    CLIENT_ID cid;
    NTSTATUS status;

    KeInitializeEvent(&TtStop, NotificationEvent, FALSE);
    KeInitializeEvent(&TtWorkIdle, NotificationEvent, TRUE);
    ExInitializeFastMutex(&TtLock);
    TtTicks = TtItems = 0;
    TtItemQueued = 0;

    DriverObject->MajorFunction[IRP_MJ_CREATE] = TtCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = TtCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = TtRead;
    DriverObject->DriverUnload = TtUnload;

    status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &TtDevice);
    if (!NT_SUCCESS(status))
        return status;
    TtDevice->Flags |= DO_DIRECT_IO;
    TtDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    TtWorkItem = IoAllocateWorkItem(TtDevice);
    if (!TtWorkItem) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto fail;
    }
    status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, &cid, TtThreadMain, NULL);
    if (!NT_SUCCESS(status))
        goto fail;
    status = ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &TtThread, NULL);
    ZwClose(handle);
    if (!NT_SUCCESS(status)) {
        /* Cannot wait for it: stop it and give it time to leave our code. */
        LARGE_INTEGER grace = { .QuadPart = -100 * 10000 };
        KeSetEvent(&TtStop, IO_NO_INCREMENT, FALSE);
        KeDelayExecutionThread(KernelMode, FALSE, &grace);
        goto fail;
    }
    DbgPrint("threadtest: thread id=%lu started\n", (unsigned long)(ULONG_PTR)cid.UniqueThread);
    return STATUS_SUCCESS;

fail:
    if (TtWorkItem) {
        IoFreeWorkItem(TtWorkItem);
        TtWorkItem = NULL;
    }
    IoDeleteDevice(TtDevice);
    TtDevice = NULL;
    return status;
}
