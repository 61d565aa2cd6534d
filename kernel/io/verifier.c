/* verifier.c - a driver verifier (like NT's Driver Verifier), on per
 * driver: `verifier <service> on|off` in the shell, or `Verifier = 1` in
 * the service's key in system.cfg (read when the driver loads).
 *
 * What it checks for a verified driver (stop DRIVER_VERIFIER_DETECTED_VIOLATION,
 * 0xC4; parameter 1 says which rule, 2 the driver object, 3 the routine or
 * IRP, 4 a detail -- VF_* in kernel/include/io.h), after a log line naming
 * the driver and the routine:
 *  - a dispatch routine returning STATUS_PENDING without the IRP marked
 *    pending at its location, or marking it and returning another status;
 *  - a dispatch routine returning at another IRQL than it was called at;
 *  - a dispatch routine returning with more spin locks held than before;
 *  - IoCompleteRequest of one of its IRPs above DISPATCH_LEVEL;
 *  - pool of its load still allocated, or work items still queued, after
 *    its DriverUnload returns;
 *  - a remove lock it initialized released with a tag that holds none
 *    (never acquired, or released more often than acquired; vfremlock.c).
 * Completing an IRP twice is MULTIPLE_IRP_COMPLETE_REQUESTS for every
 * driver already (complete.c); freeing pool twice or with the wrong tag is
 * the pool's BAD_POOL_CALLER for every driver (mm/pool.c).
 *
 * The pending check needs the location's SL_PENDING_RETURNED as the
 * dispatch routine left it, but the IRP may complete (and its location be
 * cleared, the IRP even be freed) before the routine returns.  So a call
 * into a verified driver registers a frame (IRP, location) here, and
 * IoCompleteRequest, while any frame is active, records the bit when it
 * passes that location.  Unverified drivers pay one flag test per
 * IoCallDriver and one counter test per completed location.
 * Locking: IopVerifierLock guards the frame list (DISPATCH_LEVEL at most,
 * never held across a driver call). */
#include "iop.h"

typedef struct _IOP_VERIFIER_FRAME {
    struct _IOP_VERIFIER_FRAME *Next;
    PIRP Irp;
    PIO_STACK_LOCATION Stack;
    BOOLEAN Completed;              /* IoCompleteRequest passed Stack */
    BOOLEAN PendingAtCompletion;    /* SL_PENDING_RETURNED then */
} IOP_VERIFIER_FRAME;

static KSPIN_LOCK IopVerifierLock;
static IOP_VERIFIER_FRAME *IopVerifierFrames;
volatile LONG IopVerifierActive;    /* frames registered (iop.h) */
volatile LONG IopVerifiedDriverCount;
/* The drivers with the verifier on, so an address can be told to be one of
 * theirs (IopVerifiedDriverOfAddress).  Under IopVerifierLock; a driver
 * past the table is still verified, only not found by address (logged). */
#define IOP_MAX_VERIFIED_DRIVERS 16
static PDRIVER_OBJECT IopVerifiedDrivers[IOP_MAX_VERIFIED_DRIVERS];

BOOLEAN IopIsDriverVerified(PDRIVER_OBJECT Driver)
{
    return Driver && Driver->DriverExtension && IopDriverExtension(Driver)->Verified;
}

VOID IopSetDriverVerified(PDRIVER_OBJECT Driver, BOOLEAN On)
{
    PIOP_DRIVER_EXTENSION Ext = IopDriverExtension(Driver);

    KIRQL Old;
    ULONG i;

    if (Ext->Verified == On)
        return;
    Ext->Verified = On;
    KeAcquireSpinLock(&IopVerifierLock, &Old);
    for (i = 0; i < IOP_MAX_VERIFIED_DRIVERS; i++) {
        if (On && IopVerifiedDrivers[i] == NULL) {
            IopVerifiedDrivers[i] = Driver;
            break;
        }
        if (!On && IopVerifiedDrivers[i] == Driver) {
            IopVerifiedDrivers[i] = NULL;
            break;
        }
    }
    KeReleaseSpinLock(&IopVerifierLock, Old);
    if (On && i == IOP_MAX_VERIFIED_DRIVERS)
        DbgPrint("verifier: more than %u drivers verified; checks that go by address miss the rest\n",
                 IOP_MAX_VERIFIED_DRIVERS);
    if (On)
        InterlockedIncrement(&IopVerifiedDriverCount);
    else
        InterlockedDecrement(&IopVerifiedDriverCount);
}

PDRIVER_OBJECT IopVerifiedDriverOfAddress(PVOID Address)
{
    PDRIVER_OBJECT Found = NULL;
    KIRQL Old;

    if (IopVerifiedDriverCount == 0)
        return NULL;
    KeAcquireSpinLock(&IopVerifierLock, &Old);
    for (ULONG i = 0; i < IOP_MAX_VERIFIED_DRIVERS && !Found; i++) {
        PDRIVER_OBJECT D = IopVerifiedDrivers[i];
        if (D && D->DriverStart && (ULONG_PTR)Address >= (ULONG_PTR)D->DriverStart &&
            (ULONG_PTR)Address - (ULONG_PTR)D->DriverStart < D->DriverSize)
            Found = D;
    }
    KeReleaseSpinLock(&IopVerifierLock, Old);
    return Found;
}

BOOLEAN IopIsVerifiedDriverObject(PDRIVER_OBJECT Driver)
{
    BOOLEAN Found = FALSE;
    KIRQL Old;

    KeAcquireSpinLock(&IopVerifierLock, &Old);
    for (ULONG i = 0; i < IOP_MAX_VERIFIED_DRIVERS && !Found; i++)
        Found = IopVerifiedDrivers[i] == Driver;
    KeReleaseSpinLock(&IopVerifierLock, Old);
    return Found;
}

VOID IopVerifierNameRoutine(PVOID Routine, PCHAR Buffer, SIZE_T Size)
{
    ULONG64 offset = 0;
    PCSTR image = NULL, symbol = Routine ? KeLookupSymbol((ULONG64)(ULONG_PTR)Routine, &offset, &image) : NULL;

    RtlStringCbPrintfA(Buffer, Size, "%s+0x%llx", symbol ? symbol : "?", (unsigned long long)offset);
}

/* The log line that names who broke which rule, then the stop. */
__attribute__((noreturn))
static VOID IopVerifierStopNamed(ULONG Rule, PCSTR Service, PCSTR RoutineName, PVOID Driver, PVOID Routine,
                                 ULONG_PTR Detail, PCSTR What)
{
    CHAR name[96];

    if (!RoutineName) {
        IopVerifierNameRoutine(Routine, name, sizeof(name));
        RoutineName = name;
    }
    DbgPrint("verifier: driver %s: %s: %s\n", Service, RoutineName, What);
    KeBugCheckEx(DRIVER_VERIFIER_DETECTED_VIOLATION, Rule, (ULONG_PTR)Driver, (ULONG_PTR)Routine, Detail);
}

__attribute__((noreturn))
static VOID IopVerifierStop(ULONG Rule, PDRIVER_OBJECT Driver, PVOID Routine, ULONG_PTR Detail, PCSTR What)
{
    CHAR service[64];

    RtlUnicodeToAscii(service, sizeof(service), &Driver->DriverExtension->ServiceKeyName);
    IopVerifierStopNamed(Rule, service, NULL, Driver, Routine, Detail, What);
}

/* A rule whose parameters 3 and 4 are not (routine, detail): the log line
 * still names the routine. */
__attribute__((noreturn))
static VOID IopVerifierStopParams(ULONG Rule, PDRIVER_OBJECT Driver, PVOID Routine, ULONG_PTR P3, ULONG_PTR P4,
                                  PCSTR What)
{
    CHAR service[64], name[96];

    RtlUnicodeToAscii(service, sizeof(service), &Driver->DriverExtension->ServiceKeyName);
    IopVerifierNameRoutine(Routine, name, sizeof(name));
    DbgPrint("verifier: driver %s: %s: %s\n", service, name, What);
    KeBugCheckEx(DRIVER_VERIFIER_DETECTED_VIOLATION, Rule, (ULONG_PTR)Driver, P3, P4);
}

NTSTATUS IopVerifiedCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION Stack,
                               PDRIVER_DISPATCH Dispatch)
{
    PDRIVER_OBJECT Driver = DeviceObject->DriverObject;
    IOP_VERIFIER_FRAME Frame = { .Irp = Irp, .Stack = Stack };
    KIRQL Irql = KeGetCurrentIrql(), Old;
    ULONG Locks = KeGetSpinLocksHeld();
    BOOLEAN Marked;
    NTSTATUS Status;

    KeAcquireSpinLock(&IopVerifierLock, &Old);
    Frame.Next = IopVerifierFrames;
    IopVerifierFrames = &Frame;
    IopVerifierActive++;
    KeReleaseSpinLock(&IopVerifierLock, Old);

    Status = Dispatch(DeviceObject, Irp);

    KeAcquireSpinLock(&IopVerifierLock, &Old);
    for (IOP_VERIFIER_FRAME **Link = &IopVerifierFrames; *Link; Link = &(*Link)->Next)
        if (*Link == &Frame) {
            *Link = Frame.Next;
            break;
        }
    IopVerifierActive--;
    /* Not completed yet: the location is still the routine's. */
    Marked = Frame.Completed ? Frame.PendingAtCompletion : (Stack->Control & SL_PENDING_RETURNED) != 0;
    KeReleaseSpinLock(&IopVerifierLock, Old);

    if (KeGetCurrentIrql() != Irql)
        IopVerifierStop(VF_IRQL_CHANGED, Driver, (PVOID)Dispatch, KeGetCurrentIrql(),
                        "dispatch routine returned at another IRQL than it was called at");
    if (KeGetSpinLocksHeld() != Locks)
        IopVerifierStop(VF_SPIN_LOCK_HELD, Driver, (PVOID)Dispatch, KeGetSpinLocksHeld() - Locks,
                        "dispatch routine returned holding a spin lock");
    if (Status == STATUS_PENDING && !Marked)
        IopVerifierStop(VF_PENDING_NOT_MARKED, Driver, (PVOID)Dispatch, (ULONG_PTR)Irp,
                        "dispatch routine returned STATUS_PENDING without IoMarkIrpPending");
    if (Status != STATUS_PENDING && Marked)
        IopVerifierStop(VF_MARKED_NOT_PENDING, Driver, (PVOID)Dispatch, (ULONG_PTR)Irp,
                        "dispatch routine marked the IRP pending but did not return STATUS_PENDING");
    return Status;
}

VOID IopVerifierNoteCompletion(PIRP Irp, PIO_STACK_LOCATION Stack)
{
    KIRQL Old;

    KeAcquireSpinLock(&IopVerifierLock, &Old);
    for (IOP_VERIFIER_FRAME *F = IopVerifierFrames; F; F = F->Next)
        if (F->Irp == Irp && F->Stack == Stack && !F->Completed) {
            F->Completed = TRUE;
            F->PendingAtCompletion = (Stack->Control & SL_PENDING_RETURNED) != 0;
        }
    KeReleaseSpinLock(&IopVerifierLock, Old);
}

VOID IopVerifierCheckCompletion(PIRP Irp, PDEVICE_OBJECT Device, PVOID Caller)
{
    if (Device && IopIsDriverVerified(Device->DriverObject) && KeGetCurrentIrql() > DISPATCH_LEVEL)
        IopVerifierStop(VF_COMPLETION_IRQL, Device->DriverObject, Caller,
                        KeGetCurrentIrql(), "IoCompleteRequest above DISPATCH_LEVEL");
}

VOID IopVerifierCheckWorkItems(PDRIVER_OBJECT Driver, LONG WorkItems)
{
    if (WorkItems && IopIsDriverVerified(Driver))
        IopVerifierStop(VF_WORK_ITEMS_AT_UNLOAD, Driver, (PVOID)Driver->DriverUnload, (ULONG_PTR)WorkItems,
                        "work items still queued after DriverUnload");
}

VOID IopVerifierStopRemoveLock(PDRIVER_OBJECT Driver, PVOID Caller, PVOID Lock, PVOID Tag)
{
    CHAR What[128];

    RtlStringCbPrintfA(What, sizeof(What), "remove lock released with a tag that holds none (lock %p, tag %p)",
                       Lock, Tag);
    IopVerifierStopParams(VF_REMOVE_LOCK_RELEASE, Driver, Caller, (ULONG_PTR)Lock, (ULONG_PTR)Tag, What);
}

VOID IopVerifierCheckPool(PCSTR Service, PCSTR UnloadName, PVOID Unload, ULONG64 LeakedBytes)
{
    if (LeakedBytes)
        IopVerifierStopNamed(VF_POOL_AT_UNLOAD, Service, UnloadName, NULL, Unload, (ULONG_PTR)LeakedBytes,
                             "pool allocated since load still in use after DriverUnload");
}

VOID IopInitVerifier(VOID)
{
    KeInitializeSpinLock(&IopVerifierLock);
}
