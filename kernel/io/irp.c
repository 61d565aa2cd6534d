/* irp.c - IRP allocation and IoCallDriver.
 *
 * An IRP is one block: the IRP header followed by StackCount
 * IO_STACK_LOCATIONs.  Location StackCount-1 (the last) belongs to the first
 * driver called; CurrentLocation counts down from StackCount+1 ("no driver
 * holds it yet") as IoCallDriver passes the IRP down, and back up as
 * IoCompleteRequest returns it (NT's numbering).
 *
 * The hot path must not touch the pool: IRPs of up to IOP_CACHED_IRP_STACK
 * locations are allocated at that size and kept on a free list when freed
 * (NT's IRP lookaside list, lock-free: include/wdm/ex.h); IRPs are never
 * allocated or freed above DISPATCH_LEVEL. */
#include "iop.h"

/* Deep enough for every request a busy machine keeps in flight: four disks
 * at queue depth 32 are 128 IRPs, and with a cache of 64 half of them came
 * from and went back to the pool on every I/O (~800 more guest
 * instructions per request at null4 QD32, icount).  Freed IRPs are kept
 * only up to this many (800 bytes each at IOP_CACHED_IRP_STACK). */
#define IOP_IRP_CACHE_MAX 256

static NPAGED_LOOKASIDE_LIST IopIrpLookaside;

VOID IopInitIrpCache(VOID)
{
    ExInitializeNPagedLookasideList(&IopIrpLookaside, NULL, NULL, 0,
                                    IoSizeOfIrp(IOP_CACHED_IRP_STACK), IOP_TAG_IRP,
                                    IOP_IRP_CACHE_MAX);
}

VOID IopFlushIrpCache(VOID)
{
    PSLIST_ENTRY e = InterlockedFlushSList(&IopIrpLookaside.L.ListHead);

    while (e) {
        PSLIST_ENTRY next = e->Next;
        ExFreePoolWithTag(e, IOP_TAG_IRP);
        e = next;
    }
}

/* Zeroing an IRP (a few hundred bytes) on every allocation: memset's
 * `rep stosb` is one emulated iteration per byte under TCG; eight-byte
 * stores, unrolled, are a handful of instructions per 64 bytes.  The
 * attribute keeps GCC from turning the loop back into a memset call. */
static __attribute__((optimize("no-tree-loop-distribute-patterns")))
VOID IopZeroQwords(PVOID Buffer, SIZE_T Bytes)
{
    ULONG64 *q = Buffer;
    SIZE_T n = Bytes / sizeof(ULONG64);

#pragma GCC unroll 8
    for (SIZE_T i = 0; i < n; i++)
        q[i] = 0;
    for (SIZE_T i = n * sizeof(ULONG64); i < Bytes; i++)
        ((PUCHAR)Buffer)[i] = 0;
}

VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)
{
    IopZeroQwords(Irp, PacketSize);
    Irp->Type = IO_TYPE_IRP;
    Irp->Size = PacketSize;
    Irp->StackCount = StackSize;
    Irp->CurrentLocation = (CHAR)(StackSize + 1);
    Irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(Irp + 1) + StackSize;
    InitializeListHead(&Irp->ThreadListEntry);
}

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    PIRP Irp = NULL;
    UCHAR Flags = 0;

    if (StackSize < 1)
        return NULL;
    if (StackSize <= IOP_CACHED_IRP_STACK) {
        Flags = IRP_ALLOCATED_FIXED_SIZE | IRP_LOOKASIDE_ALLOCATION;
        Irp = ExAllocateFromNPagedLookasideList(&IopIrpLookaside);
    } else {
        Irp = ExAllocatePoolWithTag(NonPagedPool, IoSizeOfIrp(StackSize), IOP_TAG_IRP);
    }
    if (!Irp)
        return NULL;
    IoInitializeIrp(Irp, IoSizeOfIrp(StackSize), StackSize);
    Irp->AllocationFlags = Flags | (ChargeQuota ? IRP_QUOTA_CHARGED : 0);
    return Irp;
}

VOID IoFreeIrp(PIRP Irp)
{
    /* A freed IRP has Type 0: freeing it again, or freeing something that
     * is not an IRP, stops here rather than corrupting the pool. */
    if (Irp->Type != IO_TYPE_IRP)
        KeBugCheckEx(BAD_POOL_CALLER, 0x46, (ULONG_PTR)Irp, Irp->Type, 0);
    /* ntstor: a system buffer the I/O manager allocated goes with the IRP
     * even when a creator's completion routine frees the IRP (NT leaves it
     * to the I/O manager's completion, which such IRPs never reach). */
    if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer) {
        ExFreePoolWithTag(Irp->AssociatedIrp.SystemBuffer, IOP_TAG_BUFFER);
        Irp->AssociatedIrp.SystemBuffer = NULL;
    }
    Irp->Type = 0;
    if (Irp->AllocationFlags & IRP_LOOKASIDE_ALLOCATION)
        ExFreeToNPagedLookasideList(&IopIrpLookaside, Irp);
    else
        ExFreePoolWithTag(Irp, IOP_TAG_IRP);
}

VOID IoReuseIrp(PIRP Irp, NTSTATUS Status)
{
    UCHAR AllocationFlags = Irp->AllocationFlags;

    IoInitializeIrp(Irp, Irp->Size, Irp->StackCount);
    Irp->AllocationFlags = AllocationFlags;
    Irp->IoStatus.Status = Status;
}

NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack;
    PDRIVER_DISPATCH Dispatch;

    /* The caller filled the next location; it becomes the current one. */
    Irp->CurrentLocation--;
    if (Irp->CurrentLocation <= 0)
        KeBugCheckEx(NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)Irp, (ULONG_PTR)DeviceObject, 0, 0);
    Stack = --Irp->Tail.Overlay.CurrentStackLocation;
    Stack->DeviceObject = DeviceObject;

    if (Stack->MajorFunction > IRP_MJ_MAXIMUM_FUNCTION)
        return IopInvalidDeviceRequest(DeviceObject, Irp);
    Dispatch = DeviceObject->DriverObject->MajorFunction[Stack->MajorFunction];
    if (__builtin_expect(IopDriverExtension(DeviceObject->DriverObject)->Verified, 0))
        return IopVerifiedCallDriver(DeviceObject, Irp, Stack, Dispatch);
    return Dispatch(DeviceObject, Irp);
}

NTSTATUS IopInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

static NTSTATUS IopForwardDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    KeSetEvent(Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;    /* the IRP goes back to the forwarder */
}

/* NT's IoForwardIrpSynchronously: Irp's current stack location copied to
 * the next, sent to DeviceObject, waited for; the caller owns the IRP
 * again afterwards and finds the status in Irp->IoStatus.  The one home of
 * the "forward and wait" every PnP dispatch routine needs (START, the
 * usage notifications).  PASSIVE_LEVEL: it waits. */
BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    KEVENT done;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    KeInitializeEvent(&done, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, IopForwardDone, &done, TRUE, TRUE, TRUE);
    if (IoCallDriver(DeviceObject, Irp) == STATUS_PENDING)
        KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    return TRUE;
}
