/* worker.c - the PnP manager's serialization and its thread, as NT's
 * device-action worker: one PnP operation at a time (the tree has no
 * other lock), and the work drivers ask for (IoInvalidateDeviceRelations,
 * a handle closing on a surprise-removed stack) queued to the "pnp"
 * thread, never done in the caller -- who may hold its own lock, or be
 * at DISPATCH_LEVEL, or be the very thread a start would wait for.
 *
 * The lock: PnpLockEvent, a synchronization event (signalled = free) so
 * the holder stays at PASSIVE_LEVEL and may call drivers that wait.
 * PnpOwner is the holding thread: PnpEnter from the owner (a driver
 * loaded during matching reports itself loaded) is re-entry and returns
 * FALSE; the caller then leaves the work to the outer operation.
 *
 * Pending work: PnpWorkLock (DISPATCH_LEVEL) guards PnpWorkPending and the
 * state of PnpIdleEvent: idle is set exactly when nothing is pending and
 * the last holder has drained the work (PnpLeave), so PnpWaitForIdle
 * returns when every request made before it was carried out. */
#include "pnpp.h"
#include <ps.h>
#include <ob.h>

#define PNP_THREAD_PRIORITY 12          /* as the delayed worker: preempts the shell */

static KEVENT PnpLockEvent;
static PKTHREAD volatile PnpOwner;
static KSPIN_LOCK PnpWorkLock;
static BOOLEAN PnpWorkPending;          /* under PnpWorkLock */
static KEVENT PnpWorkEvent;             /* wakes the thread */
static KEVENT PnpIdleEvent;             /* notification; under PnpWorkLock */
static BOOLEAN PnpWorkerReady;

VOID PnpInitSerialization(VOID)
{
    KeInitializeEvent(&PnpLockEvent, SynchronizationEvent, TRUE);
    KeInitializeSpinLock(&PnpWorkLock);
    KeInitializeEvent(&PnpWorkEvent, SynchronizationEvent, FALSE);
    KeInitializeEvent(&PnpIdleEvent, NotificationEvent, TRUE);
    PnpWorkerReady = TRUE;
}

BOOLEAN PnpIsOwner(VOID)
{
    return PnpOwner != NULL && PnpOwner == KeGetCurrentThread();
}

BOOLEAN PnpEnter(VOID)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)&PnpLockEvent, KeGetCurrentIrql(), 8,
                     (ULONG_PTR)__builtin_return_address(0));
    if (PnpIsOwner())
        return FALSE;
    KeWaitForSingleObject(&PnpLockEvent, Executive, KernelMode, FALSE, NULL);
    PnpOwner = KeGetCurrentThread();
    return TRUE;
}

BOOLEAN PnpTryEnter(ULONG TimeoutMs)
{
    LARGE_INTEGER timeout = { .QuadPart = -(LONGLONG)TimeoutMs * 10000 };

    if (PnpIsOwner())
        return FALSE;
    if (KeWaitForSingleObject(&PnpLockEvent, Executive, KernelMode, FALSE, &timeout) != STATUS_SUCCESS)
        return FALSE;
    PnpOwner = KeGetCurrentThread();
    return TRUE;
}

VOID PnpLeave(VOID)
{
    KIRQL irql;
    BOOLEAN more;

    /* Drain what was asked meanwhile, while still the owner. */
    do {
        KeAcquireSpinLock(&PnpWorkLock, &irql);
        more = PnpWorkPending;
        PnpWorkPending = FALSE;
        if (!more)
            KeSetEvent(&PnpIdleEvent, IO_NO_INCREMENT, FALSE);
        KeReleaseSpinLock(&PnpWorkLock, irql);
        if (more)
            PnpRunDeferred();
    } while (more);
    PnpOwner = NULL;
    KeSetEvent(&PnpLockEvent, IO_NO_INCREMENT, FALSE);
}

VOID PnpRequestWork(VOID)
{
    KIRQL irql;

    if (!PnpWorkerReady)
        return;
    KeAcquireSpinLock(&PnpWorkLock, &irql);
    PnpWorkPending = TRUE;
    KeClearEvent(&PnpIdleEvent);
    KeReleaseSpinLock(&PnpWorkLock, irql);
    KeSetEvent(&PnpWorkEvent, IO_NO_INCREMENT, FALSE);
}

/* A handle to a device of a surprise-removed stack closed (kernel/io/
 * device.c): its REMOVE_DEVICE may be due.  Any IRQL <= DISPATCH_LEVEL. */
VOID PnpDeviceClosed(VOID)
{
    PnpRequestWork();
}

static VOID PnpWorkerThread(PVOID Context)
{
    (VOID)Context;
    for (;;) {
        KeWaitForSingleObject(&PnpWorkEvent, Executive, KernelMode, FALSE, NULL);
        if (PnpEnter())
            PnpLeave();     /* runs the pending work */
    }
}

VOID PnpStartWorker(VOID)
{
    HANDLE handle;
    PVOID thread;
    NTSTATUS status;

    status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, PnpWorkerThread, NULL);
    if (!NT_SUCCESS(status)) {
        DbgPrint("pnp: no PnP thread (%s): device changes are handled at the next PnP operation\n",
                 RtlNtStatusName(status));
        return;
    }
    if (NT_SUCCESS(ObpReferenceObjectByHandle(handle, *PsThreadType, &thread))) {
        KeSetThreadName(thread, "pnp");
        KeSetPriorityThread(thread, PNP_THREAD_PRIORITY);
        ObDereferenceObject(thread);
    }
    ObCloseHandle(handle, KernelMode);
    /* Whatever was asked during boot and not drained yet. */
    KeSetEvent(&PnpWorkEvent, IO_NO_INCREMENT, FALSE);
}

BOOLEAN PnpWaitForIdle(ULONG TimeoutMs)
{
    LARGE_INTEGER timeout = { .QuadPart = -(LONGLONG)TimeoutMs * 10000 };

    if (!PnpWorkerReady || PnpIsOwner())
        return TRUE;
    return KeWaitForSingleObject(&PnpIdleEvent, Executive, KernelMode, FALSE, &timeout) ==
           STATUS_SUCCESS;
}
