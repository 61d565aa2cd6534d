/* interrupt.c - interrupt objects: IoConnectInterrupt, IoDisconnectInterrupt,
 * KeSynchronizeExecution.
 *
 * The PnP manager has already done the routing when a driver gets here: the
 * translated interrupt resource names an IDT vector that is allocated
 * (KeAllocateVector) and wired to the device -- an IOAPIC entry for INTx,
 * the function's MSI capability for MSI (see CM_PARTIAL_RESOURCE_DESCRIPTOR
 * in wdm/io.h).  Connecting is only hooking the ISR to that vector
 * (KeConnectVector) behind a trampoline that raises to SynchronizeIrql and
 * takes the interrupt's spin lock, which KeSynchronizeExecution takes too:
 * that is how a driver's DPC or dispatch code excludes its ISR.
 *
 * IopInterruptList records connected objects so an unshared connection can
 * refuse a second ISR on its vector.  Guarded by IopInterruptLock;
 * connect/disconnect at PASSIVE_LEVEL. */
#include "iop.h"

struct _KINTERRUPT {
    LIST_ENTRY Link;                /* IopInterruptList */
    PKSERVICE_ROUTINE ServiceRoutine;
    PKMESSAGE_SERVICE_ROUTINE MessageRoutine;   /* IoConnectInterruptEx, message-based */
    ULONG MessageId;
    PVOID ServiceContext;
    PKSPIN_LOCK ActualLock;         /* the caller's SpinLock or &SpinLock */
    KSPIN_LOCK SpinLock;
    ULONG Vector;
    KIRQL SynchronizeIrql;
    BOOLEAN ShareVector;
    PVOID Connection;               /* KeConnectVector's cookie */
};

static KSPIN_LOCK IopInterruptLock;
static LIST_ENTRY IopInterruptList;

VOID IopInitInterrupts(VOID)
{
    KeInitializeSpinLock(&IopInterruptLock);
    InitializeListHead(&IopInterruptList);
}

/* Called by kernel/ke at the vector's IRQL with interrupts enabled. */
static BOOLEAN IopInterruptTrampoline(PVOID Context)
{
    PKINTERRUPT Interrupt = Context;
    KIRQL Old = 0;
    BOOLEAN Raised = FALSE, Claimed;

    if (Interrupt->SynchronizeIrql > KeGetCurrentIrql()) {
        KeRaiseIrql(Interrupt->SynchronizeIrql, &Old);
        Raised = TRUE;
    }
    KeAcquireSpinLockAtDpcLevel(Interrupt->ActualLock);
    Claimed = Interrupt->ServiceRoutine(Interrupt, Interrupt->ServiceContext);
    KeReleaseSpinLockFromDpcLevel(Interrupt->ActualLock);
    if (Raised)
        KeLowerIrql(Old);
    return Claimed;
}

/* The same for a message-based connection: its routine also gets the
 * message number.  A separate trampoline keeps IoConnectInterrupt's path
 * as it was. */
static BOOLEAN IopMessageTrampoline(PVOID Context)
{
    PKINTERRUPT Interrupt = Context;
    KIRQL Old = 0;
    BOOLEAN Raised = FALSE, Claimed;

    if (Interrupt->SynchronizeIrql > KeGetCurrentIrql()) {
        KeRaiseIrql(Interrupt->SynchronizeIrql, &Old);
        Raised = TRUE;
    }
    KeAcquireSpinLockAtDpcLevel(Interrupt->ActualLock);
    Claimed = Interrupt->MessageRoutine(Interrupt, Interrupt->ServiceContext, Interrupt->MessageId);
    KeReleaseSpinLockFromDpcLevel(Interrupt->ActualLock);
    if (Raised)
        KeLowerIrql(Old);
    return Claimed;
}

NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector,
                            KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave)
{
    if (!ServiceRoutine)
        return STATUS_INVALID_PARAMETER;
    return IopConnectInterrupt(InterruptObject, ServiceRoutine, NULL, 0, ServiceContext, SpinLock, Vector,
                               Irql, SynchronizeIrql, ShareVector);
}

NTSTATUS IopConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                             PKMESSAGE_SERVICE_ROUTINE MessageRoutine, ULONG MessageId,
                             PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql,
                             KIRQL SynchronizeIrql, BOOLEAN ShareVector)
{
    PKINTERRUPT Interrupt;
    PLIST_ENTRY Entry;
    KIRQL Old;

    if (!InterruptObject || !(ServiceRoutine || MessageRoutine) || SynchronizeIrql < Irql ||
        Irql < DEVICE_LEVEL_MIN || SynchronizeIrql > HIGH_LEVEL) {
        DbgPrint("io: IoConnectInterrupt(vector 0x%x, irql %u, sync %u): bad parameters\n",
                 Vector, Irql, SynchronizeIrql);
        return STATUS_INVALID_PARAMETER;
    }
    if (KeVectorToIrql(Vector) != Irql) {
        DbgPrint("io: IoConnectInterrupt: vector 0x%x runs at IRQL %u, not %u\n",
                 Vector, KeVectorToIrql(Vector), Irql);
        return STATUS_INVALID_PARAMETER;
    }

    Interrupt = ExAllocatePoolZero(NonPagedPool, sizeof(*Interrupt), IOP_TAG_INTERRUPT);
    if (!Interrupt)
        return STATUS_INSUFFICIENT_RESOURCES;
    Interrupt->ServiceRoutine = ServiceRoutine;
    Interrupt->MessageRoutine = MessageRoutine;
    Interrupt->MessageId = MessageId;
    Interrupt->ServiceContext = ServiceContext;
    KeInitializeSpinLock(&Interrupt->SpinLock);
    Interrupt->ActualLock = SpinLock ? SpinLock : &Interrupt->SpinLock;
    Interrupt->Vector = Vector;
    Interrupt->SynchronizeIrql = SynchronizeIrql;
    Interrupt->ShareVector = ShareVector;

    /* Sharing needs everyone on the vector to agree. */
    KeAcquireSpinLock(&IopInterruptLock, &Old);
    for (Entry = IopInterruptList.Flink; Entry != &IopInterruptList; Entry = Entry->Flink) {
        PKINTERRUPT Other = CONTAINING_RECORD(Entry, KINTERRUPT, Link);
        if (Other->Vector == Vector && (!Other->ShareVector || !ShareVector)) {
            KeReleaseSpinLock(&IopInterruptLock, Old);
            DbgPrint("io: IoConnectInterrupt: vector 0x%x is already connected and not shared\n", Vector);
            ExFreePoolWithTag(Interrupt, IOP_TAG_INTERRUPT);
            return STATUS_INVALID_PARAMETER;
        }
    }
    InsertTailList(&IopInterruptList, &Interrupt->Link);
    KeReleaseSpinLock(&IopInterruptLock, Old);

    Interrupt->Connection = KeConnectVector(Vector, MessageRoutine ? IopMessageTrampoline : IopInterruptTrampoline,
                                            Interrupt);
    if (!Interrupt->Connection) {
        KeAcquireSpinLock(&IopInterruptLock, &Old);
        RemoveEntryList(&Interrupt->Link);
        KeReleaseSpinLock(&IopInterruptLock, Old);
        ExFreePoolWithTag(Interrupt, IOP_TAG_INTERRUPT);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *InterruptObject = Interrupt;
    return STATUS_SUCCESS;
}

VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject)
{
    KIRQL Old;

    KeDisconnectVector(InterruptObject->Connection);
    KeAcquireSpinLock(&IopInterruptLock, &Old);
    RemoveEntryList(&InterruptObject->Link);
    KeReleaseSpinLock(&IopInterruptLock, Old);
    ExFreePoolWithTag(InterruptObject, IOP_TAG_INTERRUPT);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt)
{
    KIRQL Old;

    KeRaiseIrql(Interrupt->SynchronizeIrql, &Old);
    KeAcquireSpinLockAtDpcLevel(Interrupt->ActualLock);
    return Old;
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql)
{
    KeReleaseSpinLockFromDpcLevel(Interrupt->ActualLock);
    KeLowerIrql(OldIrql);
}

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext)
{
    KIRQL Old = KeAcquireInterruptSpinLock(Interrupt);
    BOOLEAN Result = SynchronizeRoutine(SynchronizeContext);
    KeReleaseInterruptSpinLock(Interrupt, Old);
    return Result;
}
