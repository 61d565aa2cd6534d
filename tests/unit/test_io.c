/* test_io.c - host unit tests of the I/O manager core (kernel/io/): IRP
 * completion through a three-deep stack with completion routines, pending
 * propagation, the NT stop codes for double completion and stack overrun,
 * StartIo queueing and cancellation, the request builders (buffered,
 * direct, IOCTL methods), MDLs, driver object extensions, device stacks,
 * interrupt objects and the Nt*File services over the real object manager. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <ob.h>
#include <io.h>
#include <ke.h>
#include <pnp.h>
#include "../../kernel/io/iop.h"
#include <ldr.h>
#include "host_support.h"

/* The late shutdown completion test needs ASan to see writes into a
 * returned function's frame (off by default: it costs a fake stack). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_stack_use_after_return=1";
}

/* ---- stand-ins for kernel services outside ob/io ---- */

/* Identity "physical" addresses: page numbers are VA >> 12; a direct-map
 * address translates as the kernel's does (va - base), except the page at
 * DIRECT_MAP_HOLE, which is not mapped.  Calls are counted. */
#define DIRECT_MAP_HOLE (NTSTOR_DIRECT_MAP_BASE + 0x7000000ull)
static ULONG PhysLookups;
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID Va)
{
    PHYSICAL_ADDRESS Pa;
    ULONG64 V = (ULONG_PTR)Va;
    PhysLookups++;
    if (V >= NTSTOR_DIRECT_MAP_BASE)
        Pa.QuadPart = (V & ~(ULONG64)(PAGE_SIZE - 1)) == DIRECT_MAP_HOLE ? 0
                      : (LONGLONG)(V - NTSTOR_DIRECT_MAP_BASE);
    else
        Pa.QuadPart = (LONGLONG)V;
    return Pa;
}

/* The direct map's RAM: all of it but the page at DIRECT_MAP_HOLE, as
 * MmGetPhysicalAddress above sees it. */
BOOLEAN MmIsDirectMapRange(PVOID Va, SIZE_T Bytes)
{
    ULONG64 V = (ULONG_PTR)Va;
    return V >= NTSTOR_DIRECT_MAP_BASE && (V + Bytes <= DIRECT_MAP_HOLE || V >= DIRECT_MAP_HOLE + PAGE_SIZE);
}

PCSTR RtlNtStatusName(NTSTATUS Status)
{
    (void)Status;
    return "STATUS";
}

/* ke vectors: one connection slot per vector, routines called by the test. */
#define TEST_VECTORS 256
static PKE_VECTOR_ROUTINE VecRoutine[TEST_VECTORS][2];
static PVOID VecContext[TEST_VECTORS][2];
KIRQL KeVectorToIrql(ULONG Vector) { return (KIRQL)((Vector >> 4) - 2); }
PVOID KeConnectVector(ULONG Vector, PKE_VECTOR_ROUTINE Routine, PVOID Context)
{
    for (int i = 0; i < 2; i++)
        if (!VecRoutine[Vector][i]) {
            VecRoutine[Vector][i] = Routine;
            VecContext[Vector][i] = Context;
            return &VecRoutine[Vector][i];
        }
    return NULL;
}
VOID KeDisconnectVector(PVOID Cookie)
{
    *(PKE_VECTOR_ROUTINE *)Cookie = NULL;
}
static BOOLEAN FireVector(ULONG Vector)
{
    BOOLEAN Claimed = FALSE;
    KIRQL Old;
    KeRaiseIrql(KeVectorToIrql(Vector), &Old);
    for (int i = 0; i < 2; i++)
        if (VecRoutine[Vector][i])
            Claimed |= VecRoutine[Vector][i](VecContext[Vector][i]);
    KeLowerIrql(Old);
    return Claimed;
}

/* The driver object's delete procedure unmaps its image; the loader is
 * not linked, so the unmap is recorded. */
static PVOID UnloadedImage;
static int ImageUnloads;
VOID LdrUnloadImage(PLDR_IMAGE Image)
{
    UnloadedImage = Image;
    ImageUnloads++;
}

/* ---- helpers ---- */

static UNICODE_STRING U(PCWSTR s)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, s);
    return u;
}

static PDRIVER_OBJECT MakeDriver(PCWSTR Name)
{
    UNICODE_STRING n = U(Name);
    PDRIVER_OBJECT d = NULL;
    assert_int_equal(IopCreateDriverObject(&n, &d), STATUS_SUCCESS);
    return d;
}

static PDEVICE_OBJECT MakeDevice(PDRIVER_OBJECT Driver, PCWSTR Name, ULONG ExtSize, ULONG Flags)
{
    UNICODE_STRING n = U(Name ? Name : u"");
    PDEVICE_OBJECT d = NULL;
    assert_int_equal(IoCreateDevice(Driver, ExtSize, Name ? &n : NULL, FILE_DEVICE_DISK, 0, FALSE, &d),
                     STATUS_SUCCESS);
    d->Flags |= Flags;
    d->Flags &= ~DO_DEVICE_INITIALIZING;
    return d;
}

/* The event log: which routine ran, with which device, seeing what. */
typedef struct {
    char Who;
    PDEVICE_OBJECT Device;
    BOOLEAN PendingReturned;
} EVENT_REC;
static EVENT_REC Log[64];
static int LogCount;
static void Record(char Who, PDEVICE_OBJECT Device, PIRP Irp)
{
    assert_true(LogCount < 64);
    Log[LogCount].Who = Who;
    Log[LogCount].Device = Device;
    Log[LogCount].PendingReturned = Irp ? Irp->PendingReturned : FALSE;
    LogCount++;
}

static int CheckClean(void **state)
{
    (void)state;
    IopFlushCaches();
    assert_int_equal(host_pool_allocs(IOP_TAG_IRP), 0);
    assert_int_equal(host_pool_allocs(IOP_TAG_MDL), 0);
    assert_int_equal(host_pool_allocs(IOP_TAG_BUFFER), 0);
    assert_int_equal(host_pool_allocs(IOP_TAG_DRIVER), 0);
    assert_int_equal(host_pool_allocs(IOP_TAG_FILE), 0);
    assert_int_equal(host_pool_allocs(IOP_TAG_INTERRUPT), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    LogCount = 0;
    return 0;
}

/* ---- a three-deep stack: T over M over B ---- */

static PDEVICE_OBJECT DevT, DevM, DevB;
static PDEVICE_OBJECT LowerOfT, LowerOfM;
static PIRP HeldIrp;            /* the IRP B pended */
static int MRoutineCalls;
static BOOLEAN MReturnsMore;    /* M's routine keeps the IRP the first time */
static BOOLEAN BPends;

static NTSTATUS TopRoutine(PDEVICE_OBJECT Device, PIRP Irp, PVOID Context)
{
    Record('T', Device, Irp);
    assert_ptr_equal(Context, (PVOID)0x7);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_SUCCESS;
}

static NTSTATUS MiddleRoutine(PDEVICE_OBJECT Device, PIRP Irp, PVOID Context)
{
    Record('M', Device, Irp);
    MRoutineCalls++;
    if (MReturnsMore && MRoutineCalls == 1) {
        HeldIrp = Irp;
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_SUCCESS;
}

static NTSTATUS StackDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    if (Device == DevT) {
        Record('t', Device, NULL);
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, TopRoutine, (PVOID)0x7, TRUE, TRUE, TRUE);
        return IoCallDriver(LowerOfT, Irp);
    }
    if (Device == DevM) {
        Record('m', Device, NULL);
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, MiddleRoutine, NULL, TRUE, TRUE, TRUE);
        /* A driver returning STATUS_PENDING marks its location first. */
        if (BPends) {
            IoMarkIrpPending(Irp);
            IoCallDriver(LowerOfM, Irp);
            return STATUS_PENDING;
        }
        return IoCallDriver(LowerOfM, Irp);
    }
    /* B: the bottom device. */
    Record('b', Device, NULL);
    assert_int_equal(IoGetCurrentIrpStackLocation(Irp)->MajorFunction, IRP_MJ_READ);
    assert_int_equal(IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length, 512);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 512;
    if (BPends) {
        IoMarkIrpPending(Irp);
        HeldIrp = Irp;
        return STATUS_PENDING;
    }
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT StackDriver;

static void BuildStack(void)
{
    StackDriver = MakeDriver(u"stack");
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        StackDriver->MajorFunction[i] = StackDispatch;
    DevB = MakeDevice(StackDriver, NULL, 0, 0);
    DevM = MakeDevice(StackDriver, NULL, 32, 0);
    DevT = MakeDevice(StackDriver, NULL, 0, 0);
    LowerOfM = IoAttachDeviceToDeviceStack(DevM, DevB);
    LowerOfT = IoAttachDeviceToDeviceStack(DevT, DevB);   /* attaches above M */
    MRoutineCalls = 0;
    MReturnsMore = FALSE;
    BPends = FALSE;
    HeldIrp = NULL;
}

static void TearDownStack(void)
{
    IoDetachDevice(LowerOfT);
    IoDetachDevice(LowerOfM);
    IoDeleteDevice(DevT);
    IoDeleteDevice(DevM);
    IoDeleteDevice(DevB);
    IopDeleteDriverObject(StackDriver);
}

/* REMOVE_DEVICE's NT order with a lower filter: M (the filter, between B
 * and the FDO T) detaches from B and deletes itself while T is still
 * attached to it; T then detaches from M.  M must stay valid until then
 * -- on its driver's list, its object alive -- and go right after. */
static void test_delete_waits_for_the_device_above_to_detach(void **state)
{
    BuildStack();
    LONG refs = ObGetReferenceCount(DevM);
    IoDetachDevice(LowerOfM);                   /* M off B */
    IoDeleteDevice(DevM);                       /* T is still attached to M */
    assert_ptr_equal(DevM->AttachedDevice, DevT);
    assert_int_equal(ObGetReferenceCount(DevM), refs);  /* not dropped yet */
    BOOLEAN listed = FALSE;
    for (PDEVICE_OBJECT d = StackDriver->DeviceObject; d; d = d->NextDevice)
        listed |= d == DevM;
    assert_true(listed);
    ObReferenceObject(DevM);                    /* to look at it afterwards */
    IoDetachDevice(LowerOfT);                   /* T off M: M's deletion completes */
    assert_int_equal(ObGetReferenceCount(DevM), refs);  /* ours only: the creation one went */
    for (PDEVICE_OBJECT d = StackDriver->DeviceObject; d; d = d->NextDevice)
        assert_ptr_not_equal(d, DevM);
    ObDereferenceObject(DevM);
    IoDeleteDevice(DevT);
    IoDeleteDevice(DevB);
    IopDeleteDriverObject(StackDriver);
}

static NTSTATUS CreatorRoutine(PDEVICE_OBJECT Device, PIRP Irp, PVOID Context)
{
    Record('C', Device, Irp);
    *(NTSTATUS *)Context = Irp->IoStatus.Status;
    return STATUS_MORE_PROCESSING_REQUIRED;    /* the test owns and frees it */
}

static PIRP MakeReadIrp(CCHAR StackSize, NTSTATUS *Final)
{
    PIRP Irp = IoAllocateIrp(StackSize, FALSE);
    assert_non_null(Irp);
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_READ;
    Next->Parameters.Read.Length = 512;
    IoSetCompletionRoutine(Irp, CreatorRoutine, Final, TRUE, TRUE, TRUE);
    return Irp;
}

static void test_attach_and_stack_sizes(void **state)
{
    BuildStack();
    assert_ptr_equal(LowerOfM, DevB);
    assert_ptr_equal(LowerOfT, DevM);
    assert_int_equal(DevB->StackSize, 1);
    assert_int_equal(DevM->StackSize, 2);
    assert_int_equal(DevT->StackSize, 3);
    assert_ptr_equal(IoGetAttachedDevice(DevB), DevT);
    assert_ptr_equal(DevB->AttachedDevice, DevM);
    assert_ptr_equal(DevM->AttachedDevice, DevT);
    assert_true(((ULONG_PTR)DevM->DeviceExtension & 15) == 0);
    assert_null(DevB->DeviceExtension);
    assert_int_equal(DevB->SectorSize, 512);

    PDEVICE_OBJECT Top = IoGetAttachedDeviceReference(DevB);
    assert_ptr_equal(Top, DevT);
    LONG Refs = ObGetReferenceCount(DevT);
    ObDereferenceObject(Top);
    assert_int_equal(ObGetReferenceCount(DevT), Refs - 1);

    PDEVICE_OBJECT Lower = IoGetLowerDeviceObject(DevT);
    assert_ptr_equal(Lower, DevM);
    ObDereferenceObject(Lower);
    assert_null(IoGetLowerDeviceObject(DevB));

    /* The driver's device list has all three, newest first. */
    assert_ptr_equal(StackDriver->DeviceObject, DevT);
    assert_ptr_equal(DevT->NextDevice, DevM);
    assert_ptr_equal(DevM->NextDevice, DevB);

    /* Detach the top: M is the top again, and a new device goes on M. */
    IoDetachDevice(DevM);
    assert_null(DevM->AttachedDevice);
    assert_ptr_equal(IoGetAttachedDevice(DevB), DevM);
    assert_null(IoGetLowerDeviceObject(DevT));
    PDEVICE_OBJECT Again = IoAttachDeviceToDeviceStack(DevT, DevB);
    assert_ptr_equal(Again, DevM);
    assert_int_equal(DevT->StackSize, 3);
    TearDownStack();
}

static void test_completion_order_with_more_processing(void **state)
{
    NTSTATUS Final = STATUS_UNSUCCESSFUL;
    BuildStack();
    MReturnsMore = TRUE;
    BPends = TRUE;
    PIRP Irp = MakeReadIrp(DevT->StackSize, &Final);

    assert_int_equal(IoCallDriver(DevT, Irp), STATUS_PENDING);
    assert_ptr_equal(HeldIrp, Irp);
    assert_int_equal(Irp->CurrentLocation, 1);
    /* Each location records the device it was sent to. */
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, DevB);

    /* B completes: M's routine runs (with M's device) and keeps the IRP. */
    HeldIrp = NULL;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(LogCount, 4);   /* t m b M */
    assert_int_equal(Log[3].Who, 'M');
    assert_ptr_equal(Log[3].Device, DevM);
    assert_true(Log[3].PendingReturned);
    assert_ptr_equal(HeldIrp, Irp);
    assert_int_equal(Final, STATUS_UNSUCCESSFUL);   /* nothing above ran */
    assert_int_equal(Irp->CurrentLocation, 2);      /* M holds it again */

    /* M finishes its work and completes again from its own location: T's
     * routine (set in M's location), then the creator's. */
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(LogCount, 6);
    assert_int_equal(Log[4].Who, 'T');
    assert_ptr_equal(Log[4].Device, DevT);
    assert_true(Log[4].PendingReturned);
    assert_int_equal(Log[5].Who, 'C');
    assert_null(Log[5].Device);         /* the creator has no device */
    assert_true(Log[5].PendingReturned);
    assert_int_equal(Final, STATUS_SUCCESS);
    assert_int_equal(MRoutineCalls, 1);
    IoFreeIrp(Irp);
    TearDownStack();
}

static void test_pending_propagation_without_routines(void **state)
{
    NTSTATUS Final = STATUS_UNSUCCESSFUL;
    StackDriver = MakeDriver(u"prop");
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        StackDriver->MajorFunction[i] = StackDispatch;
    DevB = MakeDevice(StackDriver, NULL, 0, 0);
    BPends = TRUE;
    DevM = DevT = NULL;

    /* Pended at the bottom: the creator sees PendingReturned. */
    PIRP Irp = MakeReadIrp(1, &Final);
    assert_int_equal(IoCallDriver(DevB, Irp), STATUS_PENDING);
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    assert_int_equal(Log[LogCount - 1].Who, 'C');
    assert_true(Log[LogCount - 1].PendingReturned);
    IoFreeIrp(Irp);

    /* Completed inline: it does not. */
    BPends = FALSE;
    Irp = MakeReadIrp(1, &Final);
    assert_int_equal(IoCallDriver(DevB, Irp), STATUS_SUCCESS);
    assert_int_equal(Log[LogCount - 1].Who, 'C');
    assert_false(Log[LogCount - 1].PendingReturned);
    assert_int_equal(Irp->IoStatus.Information, 512);
    IoFreeIrp(Irp);

    IoDeleteDevice(DevB);
    IopDeleteDriverObject(StackDriver);
}

/* Pending propagates through locations without completion routines: M and
 * T pass the IRP on with IoCopyCurrentIrpStackLocationToNext and no routine
 * and return what the lower driver returned without marking their own
 * location -- the I/O manager marks it for them (NT behaviour drivers rely
 * on), so the creator's routine still sees PendingReturned. */
static NTSTATUS PassDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    if (Device == DevB)
        return StackDispatch(Device, Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(Device == DevT ? LowerOfT : LowerOfM, Irp);
}

static void test_pending_propagation_through_locations_without_routines(void **state)
{
    NTSTATUS Final = STATUS_UNSUCCESSFUL;
    BuildStack();
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        StackDriver->MajorFunction[i] = PassDispatch;
    BPends = TRUE;
    PIRP Irp = MakeReadIrp(DevT->StackSize, &Final);
    assert_int_equal(IoCallDriver(DevT, Irp), STATUS_PENDING);
    /* Only B marked its location. */
    assert_int_equal(Irp->CurrentLocation, 1);
    assert_true(IoGetCurrentIrpStackLocation(Irp)->Control & SL_PENDING_RETURNED);
    assert_false((IoGetCurrentIrpStackLocation(Irp) + 1)->Control & SL_PENDING_RETURNED);
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    assert_int_equal(Log[LogCount - 1].Who, 'C');
    assert_true(Log[LogCount - 1].PendingReturned);
    assert_int_equal(Final, STATUS_SUCCESS);
    IoFreeIrp(Irp);
    TearDownStack();
}

static void test_double_completion_bugchecks(void **state)
{
    jmp_buf jb;
    BuildStack();
    /* An IRP without any completion routine, completed by B inline: after
     * that no driver holds it; completing it again is the NT stop. */
    PIRP Irp = IoAllocateIrp(1, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoGetNextIrpStackLocation(Irp)->Parameters.Read.Length = 512;
    assert_int_equal(IoCallDriver(DevB, Irp), STATUS_SUCCESS);
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        fail_msg("second completion did not bug-check");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, MULTIPLE_IRP_COMPLETE_REQUESTS);
    assert_ptr_equal(host_last_bugcheck_params[0], Irp);

    /* After the creator's routine took it back with MORE_PROCESSING, the
     * IRP sits at its creator's level: completing it once more is legal
     * in NT (nothing left to walk) ... */
    NTSTATUS Final;
    PIRP Irp2 = MakeReadIrp(DevT->StackSize, &Final);
    IoCallDriver(DevT, Irp2);
    assert_int_equal(Irp2->CurrentLocation, Irp2->StackCount + 1);
    host_last_bugcheck = 0;
    IoCompleteRequest(Irp2, IO_NO_INCREMENT);
    assert_int_equal(host_last_bugcheck, 0);
    /* ... and a completion after that is the stop. */
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        IoCompleteRequest(Irp2, IO_NO_INCREMENT);
        fail_msg("third completion did not bug-check");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, MULTIPLE_IRP_COMPLETE_REQUESTS);

    IoFreeIrp(Irp);
    IoFreeIrp(Irp2);
    TearDownStack();
}

static void test_stack_overrun_bugchecks(void **state)
{
    jmp_buf jb;
    NTSTATUS Final;
    BuildStack();
    /* Two locations for a three-deep stack: B's IoCallDriver runs out. */
    PIRP Irp = MakeReadIrp(2, &Final);
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        IoCallDriver(DevT, Irp);
        fail_msg("overrun did not bug-check");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, NO_MORE_IRP_STACK_LOCATIONS);
    assert_ptr_equal(host_last_bugcheck_params[0], Irp);
    IoFreeIrp(Irp);
    TearDownStack();
}

static void test_default_dispatch_invalid_request(void **state)
{
    NTSTATUS Final = STATUS_SUCCESS;
    PDRIVER_OBJECT D = MakeDriver(u"empty");
    assert_ptr_equal(D->MajorFunction[IRP_MJ_PNP], IopInvalidDeviceRequest);
    assert_ptr_equal(D->DriverExtension->DriverObject, D);
    UNICODE_STRING Svc = U(u"empty");
    assert_true(RtlEqualUnicodeString(&D->DriverExtension->ServiceKeyName, &Svc, FALSE));
    UNICODE_STRING Full = U(u"\\Driver\\empty");
    assert_true(RtlEqualUnicodeString(&D->DriverName, &Full, FALSE));
    UNICODE_STRING Hw = U(u"\\Registry\\Machine\\Hardware\\Description\\System");
    assert_true(RtlEqualUnicodeString(D->HardwareDatabase, &Hw, FALSE));
    /* It is in the namespace. */
    PVOID Found;
    assert_int_equal(ObpReferenceObjectByName(&Full, 0, IoDriverObjectType, &Found), STATUS_SUCCESS);
    assert_ptr_equal(Found, D);
    ObDereferenceObject(Found);
    /* A second driver of the same name collides; bad names are refused. */
    PDRIVER_OBJECT D2;
    assert_int_equal(IopCreateDriverObject(&Svc, &D2), STATUS_OBJECT_NAME_COLLISION);
    UNICODE_STRING Bad = U(u"a\\b");
    assert_int_equal(IopCreateDriverObject(&Bad, &D2), STATUS_OBJECT_NAME_INVALID);
    UNICODE_STRING Empty = U(u"");
    assert_int_equal(IopCreateDriverObject(&Empty, &D2), STATUS_OBJECT_NAME_INVALID);

    PDEVICE_OBJECT Dev = MakeDevice(D, NULL, 0, 0);
    PIRP Irp = MakeReadIrp(1, &Final);
    assert_int_equal(IoCallDriver(Dev, Irp), STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(Final, STATUS_INVALID_DEVICE_REQUEST);
    IoFreeIrp(Irp);
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(D);
    assert_int_equal(ObpReferenceObjectByName(&Full, 0, NULL, &Found), STATUS_OBJECT_NAME_NOT_FOUND);
}

static void test_driver_object_extension(void **state)
{
    static int KeyA, KeyB;
    PDRIVER_OBJECT D = MakeDriver(u"extdrv");
    PVOID A = NULL, B = NULL, C = (PVOID)1;
    assert_int_equal(IoAllocateDriverObjectExtension(D, &KeyA, 40, &A), STATUS_SUCCESS);
    assert_non_null(A);
    assert_true(((ULONG_PTR)A & 15) == 0);
    assert_int_equal(((PUCHAR)A)[39], 0);   /* zeroed */
    assert_int_equal(IoAllocateDriverObjectExtension(D, &KeyB, 8, &B), STATUS_SUCCESS);
    assert_int_equal(IoAllocateDriverObjectExtension(D, &KeyA, 8, &C), STATUS_OBJECT_NAME_COLLISION);
    assert_null(C);
    assert_ptr_equal(IoGetDriverObjectExtension(D, &KeyA), A);
    assert_ptr_equal(IoGetDriverObjectExtension(D, &KeyB), B);
    assert_null(IoGetDriverObjectExtension(D, &C));
    assert_int_equal(host_pool_allocs(IOP_TAG_DRIVER), 2);
    /* A device keeps the driver object (and its extensions) alive. */
    PDEVICE_OBJECT Dev = MakeDevice(D, NULL, 0, 0);
    IopDeleteDriverObject(D);
    assert_int_equal(host_pool_allocs(IOP_TAG_DRIVER), 2);
    IoDeleteDevice(Dev);
    assert_int_equal(host_pool_allocs(IOP_TAG_DRIVER), 0);
}

/* ---- StartIo ---- */

static PIRP Started[16];
static int StartedCount;
static BOOLEAN StartIoCompletesInline;
static int StartIoDepth, StartIoMaxDepth;

static VOID TestStartIo(PDEVICE_OBJECT Device, PIRP Irp)
{
    KIRQL Irql;
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_ptr_equal(Device->CurrentIrp, Irp);
    Started[StartedCount++ % 16] = Irp;
    /* The driver clears the cancel routine when it takes the IRP. */
    IoAcquireCancelSpinLock(&Irql);
    IoSetCancelRoutine(Irp, NULL);
    IoReleaseCancelSpinLock(Irql);
    if (StartIoCompletesInline) {
        StartIoDepth++;
        if (StartIoDepth > StartIoMaxDepth)
            StartIoMaxDepth = StartIoDepth;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        IoStartNextPacket(Device, TRUE);
        StartIoDepth--;
    }
}

/* NT's canonical cancel routine for a StartIo driver. */
static VOID TestCancel(PDEVICE_OBJECT Device, PIRP Irp)
{
    Record('X', Device, Irp);
    if (Irp == Device->CurrentIrp) {
        IoReleaseCancelSpinLock(Irp->CancelIrql);
        return;   /* the driver finishes the active one itself */
    }
    assert_true(KeRemoveEntryDeviceQueue(&Device->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry));
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static NTSTATUS QueueDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    IoStartPacket(Device, Irp, NULL, TestCancel);
    return STATUS_PENDING;
}

static void test_startio_queue_and_cancel(void **state)
{
    PDRIVER_OBJECT D = MakeDriver(u"sio");
    D->MajorFunction[IRP_MJ_READ] = QueueDispatch;
    D->DriverStartIo = TestStartIo;
    PDEVICE_OBJECT Dev = MakeDevice(D, NULL, 0, 0);
    NTSTATUS Final[3] = { 1, 1, 1 };
    PIRP Irp[3];
    StartedCount = 0;
    StartIoCompletesInline = FALSE;

    for (int i = 0; i < 3; i++) {
        Irp[i] = MakeReadIrp(1, &Final[i]);
        assert_int_equal(IoCallDriver(Dev, Irp[i]), STATUS_PENDING);
    }
    assert_int_equal(StartedCount, 1);
    assert_ptr_equal(Dev->CurrentIrp, Irp[0]);
    assert_true(Dev->DeviceQueue.Busy);

    /* Cancel the queued second IRP: removed and completed as cancelled. */
    assert_true(IoCancelIrp(Irp[1]));
    assert_int_equal(Final[1], STATUS_CANCELLED);
    assert_true(Irp[1]->Cancel);
    /* Cancelling the running one finds no cancel routine (StartIo cleared it). */
    assert_false(IoCancelIrp(Irp[0]));
    assert_true(Irp[0]->Cancel);

    /* Finish the first: the third starts, the cancelled one never does. */
    Irp[0]->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp[0], IO_NO_INCREMENT);
    IoStartNextPacket(Dev, TRUE);
    assert_int_equal(StartedCount, 2);
    assert_ptr_equal(Started[1], Irp[2]);
    Irp[2]->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp[2], IO_NO_INCREMENT);
    IoStartNextPacket(Dev, TRUE);
    assert_null(Dev->CurrentIrp);
    assert_false(Dev->DeviceQueue.Busy);
    assert_int_equal(Final[0], STATUS_SUCCESS);
    assert_int_equal(Final[2], STATUS_SUCCESS);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    for (int i = 0; i < 3; i++)
        IoFreeIrp(Irp[i]);
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(D);
}

static void test_startio_inline_completion_does_not_recurse(void **state)
{
    PDRIVER_OBJECT D = MakeDriver(u"sio2");
    D->MajorFunction[IRP_MJ_READ] = QueueDispatch;
    D->DriverStartIo = TestStartIo;
    PDEVICE_OBJECT Dev = MakeDevice(D, NULL, 0, 0);
    enum { N = 40 };
    NTSTATUS Final[N];
    PIRP Irp[N];
    StartedCount = 0;
    StartIoMaxDepth = StartIoDepth = 0;

    /* Queue N behind a busy device, then let StartIo run them all inline. */
    StartIoCompletesInline = FALSE;
    for (int i = 0; i < N; i++) {
        Final[i] = 1;
        Irp[i] = MakeReadIrp(1, &Final[i]);
        IoCallDriver(Dev, Irp[i]);
    }
    assert_int_equal(StartedCount, 1);
    StartIoCompletesInline = TRUE;
    Irp[0]->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp[0], IO_NO_INCREMENT);
    IoStartNextPacket(Dev, TRUE);
    assert_int_equal(StartedCount, N);
    assert_int_equal(StartIoMaxDepth, 1);   /* deferred, not nested */
    for (int i = 0; i < N; i++) {
        assert_int_equal(Final[i], STATUS_SUCCESS);
        IoFreeIrp(Irp[i]);
    }
    assert_false(Dev->DeviceQueue.Busy);
    StartIoCompletesInline = FALSE;
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(D);
}

static void test_device_queue_by_key(void **state)
{
    KDEVICE_QUEUE Q;
    KDEVICE_QUEUE_ENTRY E[5];
    ULONG Keys[5] = { 50, 10, 30, 10, 70 };
    KIRQL Old;
    KeInitializeDeviceQueue(&Q);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    assert_false(KeInsertByKeyDeviceQueue(&Q, &E[0], Keys[0]));   /* idle: start it */
    for (int i = 1; i < 5; i++)
        assert_true(KeInsertByKeyDeviceQueue(&Q, &E[i], Keys[i]));
    /* Sorted, FIFO among equal keys: 10(E1) 10(E3) 30 70. */
    assert_ptr_equal(KeRemoveByKeyDeviceQueue(&Q, 20), &E[2]);   /* first >= 20 */
    assert_ptr_equal(KeRemoveByKeyDeviceQueue(&Q, 80), &E[1]);   /* wraps */
    assert_ptr_equal(KeRemoveDeviceQueue(&Q), &E[3]);
    assert_true(KeRemoveEntryDeviceQueue(&Q, &E[4]));
    assert_false(KeRemoveEntryDeviceQueue(&Q, &E[4]));
    assert_null(KeRemoveDeviceQueue(&Q));
    assert_false(Q.Busy);
    KeLowerIrql(Old);
}

/* ---- builders ---- */

static BOOLEAN DriverPends;
static PIRP PendedIrp;
static UCHAR LastSeen[64];

static NTSTATUS BufferDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    PIO_STACK_LOCATION S = IoGetCurrentIrpStackLocation(Irp);
    ULONG_PTR Info = 0;

    switch (S->MajorFunction) {
    case IRP_MJ_READ:
    case IRP_MJ_WRITE: {
        PUCHAR Data;
        if (Device->Flags & DO_BUFFERED_IO)
            Data = Irp->AssociatedIrp.SystemBuffer;
        else if (Device->Flags & DO_DIRECT_IO)
            Data = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
        else
            Data = Irp->UserBuffer;
        assert_non_null(Data);
        if (S->MajorFunction == IRP_MJ_READ)
            for (ULONG i = 0; i < S->Parameters.Read.Length; i++)
                Data[i] = (UCHAR)(i + S->Parameters.Read.ByteOffset.LowPart);
        else
            memcpy(LastSeen, Data, S->Parameters.Write.Length < 64 ? S->Parameters.Write.Length : 64);
        Info = S->Parameters.Read.Length;
        break;
    }
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL: {
        ULONG Code = S->Parameters.DeviceIoControl.IoControlCode;
        ULONG In = S->Parameters.DeviceIoControl.InputBufferLength;
        ULONG Out = S->Parameters.DeviceIoControl.OutputBufferLength;
        PUCHAR OutBuf = NULL;
        PUCHAR InBuf = METHOD_FROM_CTL_CODE(Code) == METHOD_NEITHER
            ? S->Parameters.DeviceIoControl.Type3InputBuffer : Irp->AssociatedIrp.SystemBuffer;
        memcpy(LastSeen, InBuf, In < 64 ? In : 64);
        if (METHOD_FROM_CTL_CODE(Code) == METHOD_BUFFERED)
            OutBuf = Irp->AssociatedIrp.SystemBuffer;
        else if (METHOD_FROM_CTL_CODE(Code) == METHOD_NEITHER)
            OutBuf = Irp->UserBuffer;
        else
            OutBuf = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
        for (ULONG i = 0; i < Out; i++)
            OutBuf[i] = (UCHAR)(0xA0 + i);
        /* Claim more than the buffer to check the copy-back bound. */
        Info = Out + 100;
        break;
    }
    default:
        break;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = Info;
    if (DriverPends) {
        IoMarkIrpPending(Irp);
        PendedIrp = Irp;
        return STATUS_PENDING;
    }
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT BufDriver;
static PDEVICE_OBJECT BufDevice(ULONG Flags)
{
    BufDriver = MakeDriver(u"buf");
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        BufDriver->MajorFunction[i] = BufferDispatch;
    return MakeDevice(BufDriver, NULL, 0, Flags);
}

static void test_build_buffered_read_write(void **state)
{
    PDEVICE_OBJECT Dev = BufDevice(DO_BUFFERED_IO);
    UCHAR Buf[100];
    KEVENT Ev;
    IO_STATUS_BLOCK Iosb;
    LARGE_INTEGER Off = { .QuadPart = 5 };

    memset(Buf, 0xEE, sizeof(Buf));
    KeInitializeEvent(&Ev, NotificationEvent, FALSE);
    DriverPends = TRUE;
    PIRP Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Dev, Buf, 64, &Off, &Ev, &Iosb);
    assert_non_null(Irp);
    assert_non_null(Irp->AssociatedIrp.SystemBuffer);
    assert_ptr_not_equal(Irp->AssociatedIrp.SystemBuffer, Buf);
    assert_int_equal(IoCallDriver(Dev, Irp), STATUS_PENDING);
    assert_int_equal(Buf[0], 0xEE);          /* not copied until completion */
    assert_int_equal(KeReadStateEvent(&Ev), 0);
    IoCompleteRequest(PendedIrp, IO_NO_INCREMENT);
    assert_int_equal(KeReadStateEvent(&Ev), 1);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(Buf[i], (UCHAR)(i + 5));
    assert_int_equal(Buf[64], 0xEE);
    assert_int_equal(host_pool_allocs(IOP_TAG_BUFFER), 0);   /* system buffer freed */

    /* Write: the driver sees a copy of the caller's data. */
    DriverPends = FALSE;
    memset(Buf, 0x3C, 64);
    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, Dev, Buf, 64, &Off, &Iosb);
    assert_int_equal(IoCallDriver(Dev, Irp), STATUS_SUCCESS);
    assert_int_equal(LastSeen[0], 0x3C);
    assert_int_equal(LastSeen[63], 0x3C);
    assert_int_equal(Iosb.Information, 64);
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(BufDriver);
}

static void test_build_direct_read_uses_mdl(void **state)
{
    PDEVICE_OBJECT Dev = BufDevice(DO_DIRECT_IO);
    static UCHAR Big[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    PUCHAR Buf = Big + 100;
    KEVENT Ev;
    IO_STATUS_BLOCK Iosb;

    KeInitializeEvent(&Ev, NotificationEvent, FALSE);
    DriverPends = TRUE;
    PIRP Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Dev, Buf, 2 * PAGE_SIZE, NULL, &Ev, &Iosb);
    PMDL Mdl = Irp->MdlAddress;
    assert_non_null(Mdl);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_int_equal(MmGetMdlByteCount(Mdl), 2 * PAGE_SIZE);
    assert_int_equal(MmGetMdlByteOffset(Mdl), 100);
    assert_ptr_equal(MmGetMdlVirtualAddress(Mdl), Buf);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Buf);
    /* 100 + 8192 bytes span three pages, each's frame recorded. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(MmGetMdlPfnArray(Mdl)[i], ((ULONG_PTR)Big >> PAGE_SHIFT) + i);
    assert_true(Mdl->MdlFlags & MDL_PAGES_LOCKED);
    IoCallDriver(Dev, Irp);
    IoCompleteRequest(PendedIrp, IO_NO_INCREMENT);
    assert_int_equal(Iosb.Information, 2 * PAGE_SIZE);
    assert_int_equal(Buf[0], 0);
    assert_int_equal(Buf[300], (UCHAR)300);
    DriverPends = FALSE;
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(BufDriver);
}

#define TEST_IOCTL(m) CTL_CODE(FILE_DEVICE_DISK, 0x801, m, FILE_ANY_ACCESS)

static void test_build_ioctl_methods(void **state)
{
    PDEVICE_OBJECT Dev = BufDevice(0);
    UCHAR In[16], Out[32];
    KEVENT Ev;
    IO_STATUS_BLOCK Iosb;
    for (int i = 0; i < 16; i++)
        In[i] = (UCHAR)(0x10 + i);
    DriverPends = FALSE;

    ULONG Methods[] = { METHOD_BUFFERED, METHOD_OUT_DIRECT, METHOD_NEITHER };
    for (int m = 0; m < 3; m++) {
        memset(Out, 0, sizeof(Out));
        memset(LastSeen, 0, sizeof(LastSeen));
        KeInitializeEvent(&Ev, NotificationEvent, FALSE);
        PIRP Irp = IoBuildDeviceIoControlRequest(TEST_IOCTL(Methods[m]), Dev, In, 16, Out, 8,
                                                 m == 2, &Ev, &Iosb);
        assert_non_null(Irp);
        PIO_STACK_LOCATION S = IoGetNextIrpStackLocation(Irp);
        assert_int_equal(S->MajorFunction, m == 2 ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL);
        assert_int_equal(S->Parameters.DeviceIoControl.InputBufferLength, 16);
        assert_int_equal(S->Parameters.DeviceIoControl.OutputBufferLength, 8);
        if (Methods[m] == METHOD_OUT_DIRECT)
            assert_non_null(Irp->MdlAddress);
        IoCallDriver(Dev, Irp);
        assert_int_equal(KeReadStateEvent(&Ev), 1);
        assert_memory_equal(LastSeen, In, 16);
        for (int i = 0; i < 8; i++)
            assert_int_equal(Out[i], 0xA0 + i);
        /* Only OutputBufferLength bytes come back, whatever Information says. */
        assert_int_equal(Out[8], 0);
        assert_int_equal(Iosb.Information, 108);
    }
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(BufDriver);
}

static ULONG TakeBackCalls;
static NTSTATUS TakeBackRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    TakeBackCalls++;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* The WDM idiom: the creator of an IoBuildDeviceIoControlRequest IRP sets
 * a completion routine that takes it back, looks at it, then completes it
 * again so the I/O manager finishes it (status block, event, free). */
static void test_build_ioctl_taken_back_then_completed(void **state)
{
    PDEVICE_OBJECT Dev = BufDevice(0);
    UCHAR In[16] = { 0 }, Out[8] = { 0 };
    KEVENT Ev;
    IO_STATUS_BLOCK Iosb = { 0 };

    DriverPends = FALSE;
    TakeBackCalls = 0;
    KeInitializeEvent(&Ev, NotificationEvent, FALSE);
    PIRP Irp = IoBuildDeviceIoControlRequest(TEST_IOCTL(METHOD_BUFFERED), Dev, In, 16, Out, 8, FALSE, &Ev, &Iosb);
    assert_non_null(Irp);
    IoSetCompletionRoutine(Irp, TakeBackRoutine, NULL, TRUE, TRUE, TRUE);
    IoCallDriver(Dev, Irp);
    assert_int_equal(TakeBackCalls, 1);
    assert_int_equal(KeReadStateEvent(&Ev), 0);         /* not finished yet */
    assert_int_equal(Irp->IoStatus.Status, STATUS_SUCCESS);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(KeReadStateEvent(&Ev), 1);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    for (int i = 0; i < 8; i++)                          /* buffered output copied back */
        assert_int_equal(Out[i], 0xA0 + i);
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(BufDriver);
}

static void test_mdl_partial_and_caches(void **state)
{
    static UCHAR Big[300 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    PMDL Src = IoAllocateMdl(Big + 10, 64 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(Src);
    MmBuildMdlForNonPagedPool(Src);
    PMDL Part = IoAllocateMdl(Big + 10 + 3 * PAGE_SIZE + 5, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(Src, Part, Big + 10 + 3 * PAGE_SIZE + 5, 2 * PAGE_SIZE);
    assert_true(Part->MdlFlags & MDL_PARTIAL);
    assert_int_equal(MmGetMdlByteOffset(Part), 15);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Part, 0), Big + 10 + 3 * PAGE_SIZE + 5);
    assert_int_equal(MmGetMdlPfnArray(Part)[0], ((ULONG_PTR)Big >> PAGE_SHIFT) + 3);
    assert_int_equal(MmGetMdlPfnArray(Part)[2], ((ULONG_PTR)Big >> PAGE_SHIFT) + 5);
    IoFreeMdl(Part);
    IoFreeMdl(Src);

    /* Freed cached MDLs are reused without the pool. */
    ULONG64 Allocs = host_pool_allocs(IOP_TAG_MDL);
    PMDL Again = IoAllocateMdl(Big, 256 * PAGE_SIZE, FALSE, FALSE, NULL);   /* large class */
    PMDL Small = IoAllocateMdl(Big, 8 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_int_equal(host_pool_allocs(IOP_TAG_MDL), Allocs);
    PMDL Huge = IoAllocateMdl(Big, 290 * PAGE_SIZE, FALSE, FALSE, NULL);     /* beyond the caches */
    assert_int_equal(host_pool_allocs(IOP_TAG_MDL), Allocs + 1);
    assert_null(IoAllocateMdl(Big, 0, FALSE, FALSE, NULL));
    IoFreeMdl(Huge);
    IoFreeMdl(Small);
    IoFreeMdl(Again);

    /* IRPs likewise. */
    PIRP Irp = IoAllocateIrp(3, FALSE);
    IoFreeIrp(Irp);
    ULONG64 IrpAllocs = host_pool_allocs(IOP_TAG_IRP);
    Irp = IoAllocateIrp(2, FALSE);
    assert_int_equal(host_pool_allocs(IOP_TAG_IRP), IrpAllocs);
    assert_int_equal(Irp->StackCount, 2);
    assert_int_equal(Irp->CurrentLocation, 3);
    IoFreeIrp(Irp);
    Irp = IoAllocateIrp(IOP_CACHED_IRP_STACK + 2, FALSE);
    assert_int_equal(host_pool_allocs(IOP_TAG_IRP), IrpAllocs + 1);
    IoFreeIrp(Irp);
    assert_null(IoAllocateIrp(0, FALSE));
}

/* Direct-map buffers: page numbers from the address, the range checked
 * against the direct map's RAM with no page-table walk; anything else (or
 * a range with a page that is not mapped) walks every page. */
static void test_mdl_direct_map_pages(void **state)
{
    PVOID Va = (PVOID)(NTSTOR_DIRECT_MAP_BASE + 0x5000000ull + 0x100);
    PMDL Mdl = IoAllocateMdl(Va, 256 * PAGE_SIZE, FALSE, FALSE, NULL);   /* spans 257 pages */
    assert_non_null(Mdl);
    PhysLookups = 0;
    MmBuildMdlForNonPagedPool(Mdl);
    assert_int_equal(PhysLookups, 0);
    for (ULONG i = 0; i < 257; i++)
        assert_int_equal(MmGetMdlPfnArray(Mdl)[i], 0x5000 + i);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Mdl, 0), Va);
    assert_true(Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    IoFreeMdl(Mdl);

    /* One page: no walk either. */
    Va = (PVOID)(NTSTOR_DIRECT_MAP_BASE + 0x123000ull);
    Mdl = IoAllocateMdl(Va, 512, FALSE, FALSE, NULL);
    PhysLookups = 0;
    MmBuildMdlForNonPagedPool(Mdl);
    assert_int_equal(PhysLookups, 0);
    assert_int_equal(MmGetMdlPfnArray(Mdl)[0], 0x123);
    IoFreeMdl(Mdl);

    /* Not the direct map: every page looked up. */
    static UCHAR Buf[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    Mdl = IoAllocateMdl(Buf, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    PhysLookups = 0;
    MmBuildMdlForNonPagedPool(Mdl);
    assert_int_equal(PhysLookups, 3);
    assert_int_equal(MmGetMdlPfnArray(Mdl)[2], ((ULONG_PTR)Buf >> PAGE_SHIFT) + 2);
    IoFreeMdl(Mdl);

    /* The last page is not mapped: no shortcut; the per-page walk stops
     * at the hole (PAGE_FAULT_IN_NONPAGED_AREA) rather than DMA to it. */
    Va = (PVOID)(DIRECT_MAP_HOLE - 2 * PAGE_SIZE);
    Mdl = IoAllocateMdl(Va, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    jmp_buf jb;
    PhysLookups = 0;
    host_bugcheck_jmp = &jb;
    if (setjmp(jb) == 0) {
        MmBuildMdlForNonPagedPool(Mdl);
        fail_msg("an unmapped page in the buffer must stop");
    }
    host_bugcheck_jmp = NULL;
    assert_int_equal(host_last_bugcheck, PAGE_FAULT_IN_NONPAGED_AREA);
    assert_int_equal(host_last_bugcheck_params[0], DIRECT_MAP_HOLE);
    assert_int_equal(PhysLookups, 3);   /* page by page up to the hole */
    IoFreeMdl(Mdl);
}

/* ---- interrupts ---- */

static int IsrCalls;
static KIRQL IsrIrql;
static BOOLEAN TestIsr(PKINTERRUPT Interrupt, PVOID Context)
{
    IsrCalls++;
    IsrIrql = KeGetCurrentIrql();
    return *(BOOLEAN *)Context;
}
static BOOLEAN SyncRoutine(PVOID Context)
{
    *(KIRQL *)Context = KeGetCurrentIrql();
    return TRUE;
}

static void test_interrupt_connect(void **state)
{
    PKINTERRUPT I1, I2, I3;
    BOOLEAN Mine = TRUE, NotMine = FALSE;
    KIRQL Seen = 0;
    const ULONG Vector = 0x61;          /* IRQL 4 in the stand-in mapping */

    assert_int_equal(IoConnectInterrupt(&I1, TestIsr, &Mine, NULL, Vector, 5, 5, LevelSensitive,
                                        TRUE, 1, FALSE), STATUS_INVALID_PARAMETER);   /* wrong IRQL */
    assert_int_equal(IoConnectInterrupt(&I1, TestIsr, &Mine, NULL, Vector, 4, 3, LevelSensitive,
                                        TRUE, 1, FALSE), STATUS_INVALID_PARAMETER);   /* sync < irql */
    assert_int_equal(IoConnectInterrupt(&I1, TestIsr, &NotMine, NULL, Vector, 4, 6, LevelSensitive,
                                        TRUE, 1, FALSE), STATUS_SUCCESS);
    assert_int_equal(IoConnectInterrupt(&I2, TestIsr, &Mine, NULL, Vector, 4, 4, LevelSensitive,
                                        TRUE, 1, FALSE), STATUS_SUCCESS);
    /* An unshared connection on a shared vector is refused. */
    assert_int_equal(IoConnectInterrupt(&I3, TestIsr, &Mine, NULL, Vector, 4, 4, Latched,
                                        FALSE, 1, FALSE), STATUS_INVALID_PARAMETER);
    IsrCalls = 0;
    assert_true(FireVector(Vector));
    assert_int_equal(IsrCalls, 2);
    assert_int_equal(IsrIrql, 4);       /* the second ISR synchronizes at its own level */
    assert_true(KeSynchronizeExecution(I1, SyncRoutine, &Seen));
    assert_int_equal(Seen, 6);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    IoDisconnectInterrupt(I2);
    assert_false(FireVector(Vector));   /* only the ISR that says "not mine" is left */
    IoDisconnectInterrupt(I1);
}

/* ---- IoConnectInterruptEx: interrupts found from the PDO's node ---- */
VOID HalComposeMsi(ULONG Vector, PULONG64 Address, PULONG Data)
{
    *Address = 0xFEE00000;
    *Data = Vector;
}

static ULONG MessageCalls, LastMessageId;
static BOOLEAN TestMessageIsr(PKINTERRUPT Interrupt, PVOID Context, ULONG MessageId)
{
    MessageCalls++;
    LastMessageId = MessageId;
    return TRUE;
}

static void test_interrupt_connect_ex(void **state)
{
    static DEVICE_NODE Node;
    static struct {
        CM_RESOURCE_LIST List;
        CM_PARTIAL_RESOURCE_DESCRIPTOR More[2];
    } Res;
    DEVOBJ_EXTENSION Doe = { 0 };
    DEVICE_OBJECT Pdo = { 0 }, NotPdo = { 0 };
    PIO_INTERRUPT_MESSAGE_INFO Table = NULL;
    PKINTERRUPT Line = NULL;
    BOOLEAN Mine = TRUE;
    IO_CONNECT_INTERRUPT_PARAMETERS P;
    IO_DISCONNECT_INTERRUPT_PARAMETERS D;
    /* IRQL 4 and PNP_DEVICE_IRQL (7) in the stand-in mapping */
    const ULONG MsiVector = 0x62, LineVector = 0x91;

    Pdo.DeviceObjectExtension = &Doe;
    Doe.DeviceNode = &Node;
    memset(&Node, 0, sizeof(Node));
    memset(&Res, 0, sizeof(Res));
    Node.TranslatedResources = &Res.List;
    Res.List.Count = 1;
    PCM_PARTIAL_RESOURCE_LIST L = &Res.List.List[0].PartialResourceList;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = L->PartialDescriptors;
    d[0].Type = CmResourceTypeMemory;
    d[1].Type = CmResourceTypeInterrupt;
    d[1].Flags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
    d[1].u.Interrupt.Vector = MsiVector;
    d[1].u.Interrupt.Level = 4;
    L->Count = 2;
    Node.IntxVector = LineVector;       /* routed, not described: MSI was assigned */

    /* Message-based: the MSI descriptor, one message, message id 0. */
    memset(&P, 0, sizeof(P));
    P.Version = CONNECT_MESSAGE_BASED;
    P.MessageBased.PhysicalDeviceObject = &Pdo;
    P.MessageBased.ConnectionContext.InterruptMessageTable = &Table;
    P.MessageBased.MessageServiceRoutine = TestMessageIsr;
    P.MessageBased.ServiceContext = &Mine;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_SUCCESS);
    assert_int_equal(P.Version, CONNECT_MESSAGE_BASED);
    assert_non_null(Table);
    assert_int_equal(Table->MessageCount, 1);
    assert_int_equal(Table->MessageInfo[0].Vector, MsiVector);
    assert_int_equal(Table->MessageInfo[0].MessageData, MsiVector);
    MessageCalls = 0;
    LastMessageId = 99;
    assert_true(FireVector(MsiVector));
    assert_int_equal(MessageCalls, 1);
    assert_int_equal(LastMessageId, 0);

    /* Line-based: the routed INTx line, though the list does not name it. */
    memset(&P, 0, sizeof(P));
    P.Version = CONNECT_LINE_BASED;
    P.LineBased.PhysicalDeviceObject = &Pdo;
    P.LineBased.InterruptObject = &Line;
    P.LineBased.ServiceRoutine = TestIsr;
    P.LineBased.ServiceContext = &Mine;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_SUCCESS);
    IsrCalls = 0;
    assert_true(FireVector(LineVector));
    assert_int_equal(IsrCalls, 1);
    D.Version = CONNECT_LINE_BASED;
    D.ConnectionContext.InterruptObject = Line;
    IoDisconnectInterruptEx(&D);
    D.Version = CONNECT_MESSAGE_BASED;
    D.ConnectionContext.InterruptMessageTable = Table;
    IoDisconnectInterruptEx(&D);
    assert_false(FireVector(MsiVector));

    /* No message interrupt: the fallback routine goes line-based and
     * Version says so; without a fallback it is STATUS_NOT_FOUND. */
    L->Count = 1;
    memset(&P, 0, sizeof(P));
    P.Version = CONNECT_MESSAGE_BASED;
    P.MessageBased.PhysicalDeviceObject = &Pdo;
    P.MessageBased.ConnectionContext.InterruptObject = &Line;
    P.MessageBased.MessageServiceRoutine = TestMessageIsr;
    P.MessageBased.ServiceContext = &Mine;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_NOT_FOUND);
    P.MessageBased.FallBackServiceRoutine = TestIsr;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_SUCCESS);
    assert_int_equal(P.Version, CONNECT_LINE_BASED);
    IsrCalls = 0;
    assert_true(FireVector(LineVector));
    assert_int_equal(IsrCalls, 1);
    D.Version = P.Version;
    D.ConnectionContext.InterruptObject = Line;
    IoDisconnectInterruptEx(&D);

    /* Not a PDO; an unknown version. */
    P.Version = CONNECT_LINE_BASED;
    P.LineBased.PhysicalDeviceObject = &NotPdo;
    P.LineBased.InterruptObject = &Line;
    P.LineBased.ServiceRoutine = TestIsr;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_INVALID_DEVICE_REQUEST);
    P.Version = 9;
    assert_int_equal(IoConnectInterruptEx(&P), STATUS_INVALID_PARAMETER);
}

/* ---- the verifier (kernel/io/verifier.c) ---- */
static int VfMode;          /* 0 honest: mark, complete, return PENDING; 1 pend unmarked; 2 mark, return SUCCESS */
static NTSTATUS VfTestDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    if (VfMode != 1)
        IoMarkIrpPending(Irp);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);    /* before returning: the location is cleared */
    return VfMode == 2 ? STATUS_SUCCESS : STATUS_PENDING;
}

static void test_verifier_pending_rules(void **state)
{
    PDRIVER_OBJECT Drv = MakeDriver(u"vfdrv");
    jmp_buf jb;
    NTSTATUS Final;

    Drv->MajorFunction[IRP_MJ_READ] = VfTestDispatch;
    PDEVICE_OBJECT Dev = MakeDevice(Drv, NULL, 0, 0);
    IopSetDriverVerified(Drv, TRUE);

    /* Marked and pending, completed before the return: no stop, even
     * though completion cleared the location before the check. */
    VfMode = 0;
    PIRP Irp = MakeReadIrp(1, &Final);
    assert_int_equal(IoCallDriver(Dev, Irp), STATUS_PENDING);
    IoFreeIrp(Irp);

    for (VfMode = 1; VfMode <= 2; VfMode++) {
        Irp = MakeReadIrp(1, &Final);
        host_bugcheck_jmp = &jb;
        if (setjmp(jb) == 0) {
            IoCallDriver(Dev, Irp);
            fail_msg("verifier did not stop (mode %d)", VfMode);
        }
        host_bugcheck_jmp = NULL;
        assert_int_equal(host_last_bugcheck, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(host_last_bugcheck_params[0], VfMode == 1 ? VF_PENDING_NOT_MARKED : VF_MARKED_NOT_PENDING);
        assert_ptr_equal(host_last_bugcheck_params[1], Drv);
        assert_ptr_equal(host_last_bugcheck_params[2], VfTestDispatch);
        IoFreeIrp(Irp);
    }

    /* Off: the same breach passes unseen. */
    IopSetDriverVerified(Drv, FALSE);
    VfMode = 1;
    Irp = MakeReadIrp(1, &Final);
    assert_int_equal(IoCallDriver(Dev, Irp), STATUS_PENDING);
    IoFreeIrp(Irp);
    IoDeleteDevice(Dev);
    IopDeleteDriverObject(Drv);
}

/* ---- files and system services ---- */

static PDEVICE_OBJECT FileDev;
static PDRIVER_OBJECT FileDrv;
static UNICODE_STRING LastFileName;
static WCHAR LastFileNameBuf[64];

static NTSTATUS FileDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    PIO_STACK_LOCATION S = IoGetCurrentIrpStackLocation(Irp);
    char Who = "c?lrw????f????????k?????????"[S->MajorFunction];
    Record(Who, Device, Irp);
    assert_non_null(S->FileObject);
    if (S->MajorFunction == IRP_MJ_CREATE) {
        LastFileName.Buffer = LastFileNameBuf;
        LastFileName.Length = S->FileObject->FileName.Length;
        if (LastFileName.Length)
            memcpy(LastFileNameBuf, S->FileObject->FileName.Buffer, LastFileName.Length);
        UNICODE_STRING Refuse = U(u"\\Refuse");
        if (RtlEqualUnicodeString(&S->FileObject->FileName, &Refuse, TRUE)) {
            Irp->IoStatus.Status = STATUS_ACCESS_DENIED;
            IoCompleteRequest(Irp, IO_NO_INCREMENT);
            return STATUS_ACCESS_DENIED;
        }
    }
    if (S->MajorFunction == IRP_MJ_READ || S->MajorFunction == IRP_MJ_WRITE)
        return BufferDispatch(Device, Irp);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void MakeFileDevice(void)
{
    FileDrv = MakeDriver(u"filedrv");
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        FileDrv->MajorFunction[i] = FileDispatch;
    FileDev = MakeDevice(FileDrv, u"\\Device\\TestDisk", 0, DO_DIRECT_IO);
    FileDev->AlignmentRequirement = FILE_WORD_ALIGNMENT;
}

static void test_files_open_read_close(void **state)
{
    HANDLE H;
    IO_STATUS_BLOCK Iosb;
    UCHAR Buf[64] __attribute__((aligned(16)));
    MakeFileDevice();
    DriverPends = FALSE;

    UNICODE_STRING Path = U(u"\\Device\\TestDisk\\Partition1");
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Path, &Iosb, FILE_SHARE_READ, FILE_SYNCHRONOUS_IO_NONALERT),
                     STATUS_SUCCESS);
    UNICODE_STRING Expect = U(u"\\Partition1");
    assert_true(RtlEqualUnicodeString(&LastFileName, &Expect, FALSE));
    assert_int_equal(FileDev->ReferenceCount, 1);

    /* Synchronous read at the current offset, which then advances. */
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 32, NULL, NULL), STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 32);
    assert_int_equal(Buf[1], 1);
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 32, NULL, NULL), STATUS_SUCCESS);
    assert_int_equal(Buf[0], 32);
    /* No write access; misaligned buffer. */
    assert_int_equal(NtWriteFile(H, NULL, NULL, NULL, &Iosb, Buf, 32, NULL, NULL), STATUS_ACCESS_DENIED);
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf + 1, 8, NULL, NULL),
                     STATUS_DATATYPE_MISALIGNMENT);
    /* A negative offset (e.g. a shell argument past 2^63) is refused
     * before any driver sees it; the file position stays. */
    LARGE_INTEGER Negative = { .QuadPart = -512 };
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 32, &Negative, NULL),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 1, NULL, NULL), STATUS_SUCCESS);
    assert_int_equal(Buf[0], 64);

    LogCount = 0;
    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    assert_int_equal(LogCount, 2);
    assert_int_equal(Log[0].Who, 'k');   /* IRP_MJ_CLEANUP */
    assert_int_equal(Log[1].Who, 'l');   /* IRP_MJ_CLOSE */
    assert_int_equal(FileDev->ReferenceCount, 0);
    assert_int_equal(NtClose(H), STATUS_INVALID_HANDLE);

    /* Through a symbolic link; a refused create leaves nothing behind
     * (and sends no close). */
    UNICODE_STRING Link = U(u"\\??\\TestLink"), Target = U(u"\\Device\\TestDisk");
    assert_int_equal(IoCreateSymbolicLink(&Link, &Target), STATUS_SUCCESS);
    assert_int_equal(NtCreateFile(&H, GENERIC_READ | GENERIC_WRITE, &Link, &Iosb, 0, 0), STATUS_SUCCESS);
    assert_int_equal(LastFileName.Length, 0);
    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    UNICODE_STRING Refuse = U(u"\\??\\TestLink\\Refuse");
    LogCount = 0;
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Refuse, &Iosb, 0, 0), STATUS_ACCESS_DENIED);
    assert_int_equal(LogCount, 1);
    assert_int_equal(FileDev->ReferenceCount, 0);
    assert_int_equal(IoDeleteSymbolicLink(&Link), STATUS_SUCCESS);
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Link, &Iosb, 0, 0), STATUS_OBJECT_NAME_NOT_FOUND);

    /* Not a device; missing names; an initializing device. */
    UNICODE_STRING Dir = U(u"\\Device"), Missing = U(u"\\Device\\Nope"), Deep = U(u"\\Nope\\Deeper");
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Dir, &Iosb, 0, 0), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Missing, &Iosb, 0, 0), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Deep, &Iosb, 0, 0), STATUS_OBJECT_PATH_NOT_FOUND);
    FileDev->Flags |= DO_DEVICE_INITIALIZING;
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Target, &Iosb, 0, 0), STATUS_NO_SUCH_DEVICE);
    FileDev->Flags &= ~DO_DEVICE_INITIALIZING;

    IoDeleteDevice(FileDev);
    IopDeleteDriverObject(FileDrv);
    assert_int_equal(ObQueryHandleCount(), 0);
}

static int ApcCalls;
static IO_STATUS_BLOCK ApcIosb[4];
static VOID TestApc(PVOID Context, PIO_STATUS_BLOCK Iosb, ULONG Reserved)
{
    assert_ptr_equal(Iosb, &ApcIosb[(ULONG_PTR)Context]);
    assert_int_equal(Iosb->Status, STATUS_SUCCESS);
    ApcCalls++;
}

static void test_files_async_requests(void **state)
{
    HANDLE H;
    IO_STATUS_BLOCK Iosb;
    static UCHAR Buf[4][512] __attribute__((aligned(512)));
    KEVENT Ev;
    MakeFileDevice();
    UNICODE_STRING Path = U(u"\\Device\\TestDisk");
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Path, &Iosb, 0, 0), STATUS_SUCCESS);

    /* Inline completion still reports STATUS_PENDING and calls back. */
    DriverPends = FALSE;
    ApcCalls = 0;
    LARGE_INTEGER Off = { .QuadPart = 1024 };
    assert_int_equal(NtReadFile(H, NULL, TestApc, (PVOID)0, &ApcIosb[0], Buf[0], 512, &Off, NULL),
                     STATUS_PENDING);
    assert_int_equal(ApcCalls, 1);
    assert_int_equal(Buf[0][0], 0);      /* offset 1024: low byte 0 */
    assert_int_equal(Buf[0][5], 5);

    /* A pended request with an event: signalled on completion, and the
     * IRP path allocated nothing new once the caches are warm. */
    DriverPends = TRUE;
    KeInitializeEvent(&Ev, NotificationEvent, TRUE);
    ULONG64 Allocs = host_pool_allocs(0);
    assert_int_equal(NtReadFile(H, &Ev, TestApc, (PVOID)1, &ApcIosb[1], Buf[1], 512, &Off, NULL),
                     STATUS_PENDING);
    assert_int_equal(host_pool_allocs(0), Allocs + 0);
    assert_int_equal(KeReadStateEvent(&Ev), 0);
    assert_int_equal(ApcCalls, 1);
    IoCompleteRequest(PendedIrp, IO_NO_INCREMENT);
    assert_int_equal(KeReadStateEvent(&Ev), 1);
    assert_int_equal(ApcCalls, 2);
    assert_int_equal(ApcIosb[1].Information, 512);

    /* Errors before the driver: no callback. */
    assert_int_equal(NtReadFile((HANDLE)(ULONG_PTR)0x4444, &Ev, TestApc, 0, &ApcIosb[0], Buf[0], 512, &Off, NULL),
                     STATUS_INVALID_HANDLE);
    assert_int_equal(ApcCalls, 2);

    /* Close with a request outstanding: cleanup, then the wait gives up
     * (the host's wait does not block) and the file object is kept until
     * the request completes; its completion drops the kept reference. */
    assert_int_equal(NtReadFile(H, &Ev, NULL, NULL, &ApcIosb[2], Buf[2], 512, &Off, NULL), STATUS_PENDING);
    PIRP Outstanding = PendedIrp;
    PFILE_OBJECT File = IoGetCurrentIrpStackLocation(Outstanding)->FileObject;
    assert_int_equal(File->PendingRequests, 1);
    LogCount = 0;
    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    assert_int_equal(Log[0].Who, 'k');
    assert_int_equal(LogCount, 1);      /* no close: the object is still referenced */
    assert_true(File->Flags & FO_IOP_KEPT);
    assert_int_equal(FileDev->ReferenceCount, 1);
    IoCompleteRequest(Outstanding, IO_NO_INCREMENT);
    assert_int_equal(LogCount, 2);
    assert_int_equal(Log[1].Who, 'l');  /* the last completion closed it */
    assert_int_equal(FileDev->ReferenceCount, 0);
    DriverPends = FALSE;

    IoDeleteDevice(FileDev);
    IopDeleteDriverObject(FileDrv);
}

/* ---- the per-layer profile (profile.c, bench profile=1) ---- */

/* A "stack" that stamps every boundary below the I/O manager in order, as
 * disk.sys and ahci.sys do, then completes. */
static NTSTATUS StampingDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    for (int P = IO_PROFILE_SRB_SENT; P <= IO_PROFILE_COMPLETING; P++)
        IoProfileStamp(Irp, (IO_PROFILE_POINT)P);
    return FileDispatch(Device, Irp);
}

static void test_profile_accounts_layers(void **state)
{
    HANDLE H;
    IO_STATUS_BLOCK Iosb;
    static UCHAR Buf[512] __attribute__((aligned(512)));
    LARGE_INTEGER Off = { .QuadPart = 0 };
    MakeFileDevice();
    DriverPends = FALSE;
    UNICODE_STRING Path = U(u"\\Device\\TestDisk");
    assert_int_equal(NtCreateFile(&H, GENERIC_READ | GENERIC_WRITE, &Path, &Iosb, 0, 0),
                     STATUS_SUCCESS);

    /* Off: no record, nothing accounted anywhere. */
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 512, &Off, NULL), STATUS_SUCCESS);

    PIO_PROFILE P = IoStartProfile(2);
    assert_non_null(P);
    assert_null(IoStartProfile(2));         /* one at a time */
    /* A request that passes no driver stamp (this driver does not) is
     * skipped, not accounted with made-up layers. */
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 512, &Off, NULL), STATUS_SUCCESS);
    assert_int_equal(P->Skipped, 1);
    assert_int_equal(P->Ios, 0);
    assert_int_equal(P->InUse, 0);          /* the record came back */

    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        FileDrv->MajorFunction[i] = StampingDispatch;
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 512, &Off, NULL), STATUS_SUCCESS);
    assert_int_equal(NtWriteFile(H, NULL, NULL, NULL, &Iosb, Buf, 512, &Off, NULL), STATUS_SUCCESS);
    assert_int_equal(P->Ios, 2);
    assert_int_equal(P->Skipped, 1);
    ULONG64 Layers = 0;
    for (ULONG L = 0; L < IO_PROFILE_LAYERS; L++) {
        assert_int_equal(P->Hist[L].Count, 2);
        Layers += P->Sum[L];
    }
    assert_int_equal(P->Hist[IO_PROFILE_LAYERS].Count, 2);
    assert_int_equal(Layers, P->Sum[IO_PROFILE_LAYERS]);    /* the layers partition the whole */
    assert_string_equal(IoProfileLayerName(IO_PROFILE_LAYERS), "total");

    IoStopProfile(P);
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf, 512, &Off, NULL), STATUS_SUCCESS);
    assert_int_equal(P->Ios + P->Skipped, 3);   /* stopped: no longer counts */
    IoFreeProfile(P);

    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    IoDeleteDevice(FileDev);
    IopDeleteDriverObject(FileDrv);
}

/* ---- polled completion (poll.c, ntapi.c) ---- */

static ULONG PollCalls[3];
static ULONG PollCompleteAfter;     /* complete PendedIrp on this call of routine 0 */
static ULONG PolledFlagSeen;
static BOOLEAN PollReturns;
static BOOLEAN TestPoll(PDEVICE_OBJECT Device, PVOID Context)
{
    ULONG Which = (ULONG)(ULONG_PTR)Context;
    PollCalls[Which]++;
    if (Which == 0 && PendedIrp && PollCalls[0] >= PollCompleteAfter) {
        PIRP Irp = PendedIrp;
        PendedIrp = NULL;
        PolledFlagSeen = (Irp->Flags & IRP_NTSTOR_POLLED) != 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    return PollReturns;
}

static void test_poll_routines_walk_the_stack(void **state)
{
    BuildStack();   /* T over M over B */
    assert_false(IoIsPollable(DevT));
    assert_false(IoPollDevice(DevT));
    PollReturns = TRUE;
    memset(PollCalls, 0, sizeof(PollCalls));
    IoRegisterPollRoutine(DevB, TestPoll, (PVOID)1);
    IoRegisterPollRoutine(DevM, TestPoll, (PVOID)2);
    assert_true(IoIsPollable(DevT));
    assert_true(IoIsPollable(DevB));
    assert_true(IoPollDevice(DevT));
    assert_int_equal(PollCalls[1], 1);
    assert_int_equal(PollCalls[2], 1);
    assert_true(IoPollDevice(DevB));        /* only what is below */
    assert_int_equal(PollCalls[1], 2);
    assert_int_equal(PollCalls[2], 1);
    PollReturns = FALSE;                    /* interrupt-driven now */
    assert_false(IoPollDevice(DevT));
    IoRegisterPollRoutine(DevB, NULL, NULL);
    IoRegisterPollRoutine(DevM, NULL, NULL);
    assert_false(IoIsPollable(DevT));
    TearDownStack();
}

static void test_polled_file_requests(void **state)
{
    HANDLE H;
    IO_STATUS_BLOCK Iosb;
    static UCHAR Buf[2][512] __attribute__((aligned(512)));
    LARGE_INTEGER Off = { .QuadPart = 512 };
    MakeFileDevice();
    UNICODE_STRING Path = U(u"\\Device\\TestDisk");
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Path, &Iosb, 0, 0), STATUS_SUCCESS);

    /* Nothing polls in this stack yet. */
    assert_int_equal(NtSetPolledCompletion(H, TRUE), STATUS_NOT_SUPPORTED);
    assert_int_equal(NtPollFile(H), STATUS_NOT_SUPPORTED);
    assert_int_equal(NtPollFile((HANDLE)(ULONG_PTR)0x4444), STATUS_INVALID_HANDLE);

    memset(PollCalls, 0, sizeof(PollCalls));
    PollReturns = TRUE;
    IoRegisterPollRoutine(FileDev, TestPoll, (PVOID)0);

    /* A synchronous read the driver pends: the I/O manager polls until
     * it completes, and told the driver so. */
    DriverPends = TRUE;
    PollCompleteAfter = 3;
    PolledFlagSeen = 0;
    assert_int_equal(NtReadFile(H, NULL, NULL, NULL, &Iosb, Buf[0], 512, &Off, NULL), STATUS_SUCCESS);
    assert_int_equal(PollCalls[0], 3);
    assert_int_equal(PolledFlagSeen, 1);
    assert_int_equal(Iosb.Information, 512);
    assert_int_equal(Buf[0][1], 1);

    /* Asynchronous: marked polled only after the caller asked. */
    ApcCalls = 0;
    memset(PollCalls, 0, sizeof(PollCalls));
    PollCompleteAfter = 1;
    assert_int_equal(NtReadFile(H, NULL, TestApc, (PVOID)0, &ApcIosb[0], Buf[0], 512, &Off, NULL),
                     STATUS_PENDING);
    assert_int_equal(NtPollFile(H), STATUS_SUCCESS);
    assert_int_equal(PolledFlagSeen, 0);
    assert_int_equal(ApcCalls, 1);

    assert_int_equal(NtSetPolledCompletion(H, TRUE), STATUS_SUCCESS);
    assert_int_equal(NtReadFile(H, NULL, TestApc, (PVOID)1, &ApcIosb[1], Buf[1], 512, &Off, NULL),
                     STATUS_PENDING);
    assert_int_equal(ApcCalls, 1);
    assert_int_equal(NtPollFile(H), STATUS_SUCCESS);
    assert_int_equal(PolledFlagSeen, 1);
    assert_int_equal(ApcCalls, 2);
    assert_int_equal(ApcIosb[1].Information, 512);

    /* Close with a polled request outstanding: the close polls it to the
     * end, and the file goes normally. */
    PollCompleteAfter = PollCalls[0] + 4;
    assert_int_equal(NtReadFile(H, NULL, TestApc, (PVOID)1, &ApcIosb[1], Buf[1], 512, &Off, NULL),
                     STATUS_PENDING);
    LogCount = 0;
    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    assert_null(PendedIrp);
    assert_int_equal(ApcCalls, 3);
    assert_int_equal(Log[0].Who, 'k');
    assert_int_equal(Log[LogCount - 1].Who, 'l');
    assert_int_equal(FileDev->ReferenceCount, 0);

    DriverPends = FALSE;
    IoDeleteDevice(FileDev);
    IopDeleteDriverObject(FileDrv);
}

static void test_device_names_and_pointer(void **state)
{
    MakeFileDevice();
    UNICODE_STRING Path = U(u"\\Device\\TestDisk"), Child = U(u"\\Device\\TestDisk\\Port0");
    PDEVICE_OBJECT Dup, Kid, Got;
    PFILE_OBJECT File;
    assert_int_equal(IoCreateDevice(FileDrv, 0, &Path, FILE_DEVICE_DISK, 0, FALSE, &Dup),
                     STATUS_OBJECT_NAME_COLLISION);
    /* A device named below another device (\Device\Ahci0\Port0 style). */
    Kid = MakeDevice(FileDrv, u"\\Device\\TestDisk\\Port0", 0, 0);
    LogCount = 0;
    assert_int_equal(IoGetDeviceObjectPointer(&Child, FILE_READ_DATA, &File, &Got), STATUS_SUCCESS);
    assert_ptr_equal(Got, Kid);
    assert_int_equal(File->FileName.Length, 0);
    /* As NT: CREATE, then CLEANUP (its handle closed inside), then CLOSE at
     * the last dereference. */
    assert_int_equal(LogCount, 2);
    assert_int_equal(Log[0].Who, 'c');
    assert_int_equal(Log[1].Who, 'k');
    ObDereferenceObject(File);
    assert_int_equal(LogCount, 3);
    assert_int_equal(Log[2].Who, 'l');
    assert_int_equal(Kid->ReferenceCount, 0);
    /* A deleted device cannot be opened even while referenced. */
    ObReferenceObject(Kid);
    IoDeleteDevice(Kid);
    assert_int_equal(IoGetDeviceObjectPointer(&Child, FILE_READ_DATA, &File, &Got), STATUS_NO_SUCH_DEVICE);
    ObDereferenceObject(Kid);
    /* Gone: the path now ends at \Device\TestDisk, which gets "\Port0"
     * as the file name -- the device decides what that means. */
    assert_int_equal(IoGetDeviceObjectPointer(&Child, FILE_READ_DATA, &File, &Got), STATUS_SUCCESS);
    assert_ptr_equal(Got, FileDev);
    UNICODE_STRING Port0 = U(u"\\Port0");
    assert_true(RtlEqualUnicodeString(&File->FileName, &Port0, TRUE));
    ObDereferenceObject(File);
    IoDeleteDevice(FileDev);
    IopDeleteDriverObject(FileDrv);
}

/* ---- lifetimes (NT's): a deleted device stays on its driver's list while
 * a file is open on it, and the image goes with the driver object, after
 * the last device reference -- the file's IRP_MJ_CLOSE still runs the
 * driver's code ---- */
static int ImageUnloadsAtClose;
static NTSTATUS LifetimeDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CLOSE)
        ImageUnloadsAtClose = ImageUnloads;
    return FileDispatch(Device, Irp);
}

static void test_image_freed_after_last_device_reference(void **state)
{
    static int FakeImage;
    PDRIVER_OBJECT drv = MakeDriver(u"imgdrv");
    UNICODE_STRING Path = U(u"\\Device\\ImgDev");
    IO_STATUS_BLOCK Iosb;
    HANDLE H, H2;

    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        drv->MajorFunction[i] = LifetimeDispatch;
    drv->DriverSection = &FakeImage;
    PDEVICE_OBJECT dev = MakeDevice(drv, u"\\Device\\ImgDev", 0, 0);
    assert_int_equal(NtCreateFile(&H, GENERIC_READ, &Path, &Iosb, 0, 0), STATUS_SUCCESS);
    ImageUnloads = 0;
    ImageUnloadsAtClose = -1;

    /* Deleted while open: refused to new opens, kept on the list. */
    IoDeleteDevice(dev);
    assert_ptr_equal(drv->DeviceObject, dev);
    assert_int_equal(NtCreateFile(&H2, GENERIC_READ, &Path, &Iosb, 0, 0), STATUS_NO_SUCH_DEVICE);
    assert_int_equal(dev->ReferenceCount, 1);

    /* The driver object's creation reference goes (unload): the device's
     * reference keeps it and the image. */
    IopDeleteDriverObject(drv);
    assert_int_equal(ImageUnloads, 0);

    /* The last close: CLOSE reaches the driver with its image mapped,
     * then the device, the driver object and the image go. */
    LogCount = 0;
    assert_int_equal(NtClose(H), STATUS_SUCCESS);
    assert_int_equal(LogCount, 2);
    assert_int_equal(Log[1].Who, 'l');
    assert_int_equal(ImageUnloadsAtClose, 0);
    assert_int_equal(ImageUnloads, 1);
    assert_ptr_equal(UnloadedImage, &FakeImage);
    PVOID Gone;
    assert_int_equal(ObpReferenceObjectByName(&Path, 0, NULL, &Gone), STATUS_OBJECT_NAME_NOT_FOUND);
    UNICODE_STRING DrvName = U(u"\\Driver\\imgdrv");
    assert_int_equal(ObpReferenceObjectByName(&DrvName, 0, NULL, &Gone), STATUS_OBJECT_NAME_NOT_FOUND);

    /* Not open: IoDeleteDevice takes it off the list at once, and the
     * image goes with the driver object's last reference. */
    drv = MakeDriver(u"imgdrv");
    drv->DriverSection = &FakeImage;
    dev = MakeDevice(drv, NULL, 0, 0);
    IoDeleteDevice(dev);
    assert_null(drv->DeviceObject);
    assert_int_equal(ImageUnloads, 1);
    IopDeleteDriverObject(drv);
    assert_int_equal(ImageUnloads, 2);
}

static int GroupSetup(void **state)
{
    ObInitSystem();
    IoInitSystem();
    return 0;
}

/* ---- shutdown notification: poweroff sends IRP_MJ_SHUTDOWN to the top of
 * each registered device's stack, newest first; IoDeleteDevice forgets ---- */
static PDEVICE_OBJECT ShutdownSeen[4];
static int ShutdownCount;

static NTSTATUS ShutdownDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    assert_int_equal(IoGetCurrentIrpStackLocation(Irp)->MajorFunction, IRP_MJ_SHUTDOWN);
    ShutdownSeen[ShutdownCount++] = Device;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void test_shutdown_notification(void **state)
{
    PDRIVER_OBJECT drv = MakeDriver(u"sdtest");
    drv->MajorFunction[IRP_MJ_SHUTDOWN] = ShutdownDispatch;
    PDEVICE_OBJECT a = MakeDevice(drv, NULL, 0, 0);
    PDEVICE_OBJECT b = MakeDevice(drv, NULL, 0, 0);
    PDEVICE_OBJECT filter = MakeDevice(drv, NULL, 0, 0);
    assert_non_null(IoAttachDeviceToDeviceStack(filter, a));

    assert_int_equal(IoRegisterShutdownNotification(a), STATUS_SUCCESS);
    assert_int_equal(IoRegisterShutdownNotification(b), STATUS_SUCCESS);
    assert_true(a->Flags & DO_SHUTDOWN_REGISTERED);
    ShutdownCount = 0;
    KeRunShutdownCallbacks();
    assert_int_equal(ShutdownCount, 2);
    assert_ptr_equal(ShutdownSeen[0], b);           /* newest first */
    assert_ptr_equal(ShutdownSeen[1], filter);      /* top of a's stack */

    IoDeleteDevice(b);                              /* unregisters itself */
    IoUnregisterShutdownNotification(a);
    assert_false(a->Flags & DO_SHUTDOWN_REGISTERED);
    assert_int_equal(IoRegisterShutdownNotification(a), STATUS_SUCCESS);
    ShutdownCount = 0;
    KeRunShutdownCallbacks();       /* callbacks ran once: nothing is sent */
    assert_int_equal(ShutdownCount, 0);
    IoUnregisterShutdownNotification(a);
    IoDetachDevice(a);
    IoDeleteDevice(filter);
    IoDeleteDevice(a);
    IopDeleteDriverObject(drv);
}

/* A device that pends its shutdown IRP past the I/O manager's 10 s: the
 * sender gives up and returns, the IRP completes later.  What the late
 * completion touches must still be allocated and freed exactly once: ASan
 * (with use-after-return detection, see __asan_default_options below)
 * catches a write into the sender's dead stack frame, into freed pool, or
 * a second free; the pool counts show nothing is left behind. */
static PIRP LateShutdownIrp;

static NTSTATUS ShutdownPends(PDEVICE_OBJECT Device, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    LateShutdownIrp = Irp;
    return STATUS_PENDING;
}

/* Reuses the stack where the returned sender's frame was. */
static __attribute__((noinline)) void ScribbleStack(void)
{
    volatile UCHAR junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = 0xA5;
}

static void test_shutdown_late_completion(void **state)
{
    PDRIVER_OBJECT drv = MakeDriver(u"sdlate");
    drv->MajorFunction[IRP_MJ_SHUTDOWN] = ShutdownPends;
    PDEVICE_OBJECT dev = MakeDevice(drv, NULL, 0, 0);
    IOP_HARD_ERROR e;
    ULONG lost;

    while (IopTakeHardError(&e, &lost))
        ;
    assert_int_equal(IoRegisterShutdownNotification(dev), STATUS_SUCCESS);
    LateShutdownIrp = NULL;
    IopShutdownSystem(NULL);        /* the host's wait times out at once */
    assert_non_null(LateShutdownIrp);
    ScribbleStack();
    LateShutdownIrp->IoStatus.Status = STATUS_IO_DEVICE_ERROR;
    IoCompleteRequest(LateShutdownIrp, IO_NO_INCREMENT);
    /* The in-flight request went with the late completion; the
     * registration is all that is left of the tag. */
    assert_int_equal(host_pool_allocs(IOP_TAG_SHUTDOWN), 1);
    /* The user was told the device did not answer. */
    assert_true(IopTakeHardError(&e, &lost));
    assert_int_equal(e.Status, STATUS_IO_TIMEOUT);
    assert_false(IopTakeHardError(&e, &lost));

    IoUnregisterShutdownNotification(dev);
    assert_int_equal(host_pool_allocs(IOP_TAG_SHUTDOWN), 0);
    IoDeleteDevice(dev);
    IopDeleteDriverObject(drv);
}

/* On time, failing: the status is read from the request, which the
 * sender frees once the completion has run. */
static NTSTATUS ShutdownFails(PDEVICE_OBJECT Device, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_IO_DEVICE_ERROR;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_IO_DEVICE_ERROR;
}

static void test_shutdown_completion_in_time(void **state)
{
    PDRIVER_OBJECT drv = MakeDriver(u"sdfail");
    drv->MajorFunction[IRP_MJ_SHUTDOWN] = ShutdownFails;
    PDEVICE_OBJECT dev = MakeDevice(drv, NULL, 0, 0);
    IOP_HARD_ERROR e;
    ULONG lost;

    assert_int_equal(IoRegisterShutdownNotification(dev), STATUS_SUCCESS);
    IopShutdownSystem(NULL);
    assert_int_equal(host_pool_allocs(IOP_TAG_SHUTDOWN), 1);
    /* A driver reports its own failure details; no timeout was raised. */
    assert_false(IopTakeHardError(&e, &lost));
    IoUnregisterShutdownNotification(dev);
    IoDeleteDevice(dev);
    IopDeleteDriverObject(drv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_attach_and_stack_sizes, CheckClean),
        cmocka_unit_test_teardown(test_delete_waits_for_the_device_above_to_detach, CheckClean),
        cmocka_unit_test_teardown(test_completion_order_with_more_processing, CheckClean),
        cmocka_unit_test_teardown(test_pending_propagation_without_routines, CheckClean),
        cmocka_unit_test_teardown(test_pending_propagation_through_locations_without_routines, CheckClean),
        cmocka_unit_test_teardown(test_double_completion_bugchecks, CheckClean),
        cmocka_unit_test_teardown(test_stack_overrun_bugchecks, CheckClean),
        cmocka_unit_test_teardown(test_default_dispatch_invalid_request, CheckClean),
        cmocka_unit_test_teardown(test_driver_object_extension, CheckClean),
        cmocka_unit_test_teardown(test_startio_queue_and_cancel, CheckClean),
        cmocka_unit_test_teardown(test_startio_inline_completion_does_not_recurse, CheckClean),
        cmocka_unit_test_teardown(test_device_queue_by_key, CheckClean),
        cmocka_unit_test_teardown(test_build_buffered_read_write, CheckClean),
        cmocka_unit_test_teardown(test_build_direct_read_uses_mdl, CheckClean),
        cmocka_unit_test_teardown(test_build_ioctl_methods, CheckClean),
        cmocka_unit_test_teardown(test_build_ioctl_taken_back_then_completed, CheckClean),
        cmocka_unit_test_teardown(test_interrupt_connect_ex, CheckClean),
        cmocka_unit_test_teardown(test_verifier_pending_rules, CheckClean),
        cmocka_unit_test_teardown(test_mdl_partial_and_caches, CheckClean),
        cmocka_unit_test_teardown(test_mdl_direct_map_pages, CheckClean),
        cmocka_unit_test_teardown(test_poll_routines_walk_the_stack, CheckClean),
        cmocka_unit_test_teardown(test_interrupt_connect, CheckClean),
        cmocka_unit_test_teardown(test_files_open_read_close, CheckClean),
        cmocka_unit_test_teardown(test_files_async_requests, CheckClean),
        cmocka_unit_test_teardown(test_polled_file_requests, CheckClean),
        cmocka_unit_test_teardown(test_profile_accounts_layers, CheckClean),
        cmocka_unit_test_teardown(test_device_names_and_pointer, CheckClean),
        cmocka_unit_test_teardown(test_shutdown_notification, CheckClean),
        cmocka_unit_test_teardown(test_shutdown_late_completion, CheckClean),
        cmocka_unit_test_teardown(test_shutdown_completion_in_time, CheckClean),
        cmocka_unit_test_teardown(test_image_freed_after_last_device_reference, CheckClean),
    };
    return cmocka_run_group_tests(tests, GroupSetup, NULL);
}
