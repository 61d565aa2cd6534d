/* psthread.c - system threads as objects: PsCreateSystemThread,
 * PsTerminateSystemThread, the "Thread" object type.
 *
 * A thread object has three kinds of references: the creation reference,
 * which the running thread owns and the scheduler's reaper drops once the
 * thread has ended and is off its stack; the handle PsCreateSystemThread
 * returns; and whatever a waiter takes (ObReferenceObjectByHandle).  So the
 * object a driver waits on outlives the thread, and the thread's memory
 * outlives every waiter. */
#include <ntos.h>
#include <ob.h>
#include <ps.h>

#define PSP_TAG NTSTOR_TAG('T', 'h', 'r', 'd')

static POBJECT_TYPE PspThreadType;
POBJECT_TYPE *PsThreadType = &PspThreadType;

/* At DISPATCH_LEVEL, on the thread that ran next (sched.c). */
static VOID PspReapThread(PKTHREAD Thread)
{
    KeFreeThreadStack(Thread);
    ObDereferenceObject(CONTAINING_RECORD(Thread, ETHREAD, Tcb));
}

VOID PsInitSystem(VOID)
{
    OBJECT_TYPE_INITIALIZER Init = { .PoolTag = PSP_TAG };
    NTSTATUS Status = ObCreateObjectType(u"Thread", &Init, &PspThreadType);
    if (!NT_SUCCESS(Status))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, Status, (ULONG_PTR)__func__, 0, 0);
}

/* The name `threads` shows: the driver image the start routine lives in
 * ("threadtest"), or the routine's own name inside the kernel. */
static VOID PspNameFor(PKSTART_ROUTINE StartRoutine, PCHAR Name, SIZE_T Size)
{
    ULONG64 Offset;
    PCSTR Image = NULL;
    PCSTR Symbol = KeLookupSymbol((ULONG64)StartRoutine, &Offset, &Image);

    if (Image && RtlAsciiCompare(Image, "ntoskrnl", TRUE) != 0) {
        RtlAsciiCopy(Name, Size, Image);
        SIZE_T n = RtlAsciiLength(Name);
        if (n > 4 && RtlAsciiCompare(Name + n - 4, ".sys", TRUE) == 0)
            Name[n - 4] = 0;
    }
    else if (Symbol)
        RtlAsciiCopy(Name, Size, Symbol);
    else
        RtlAsciiCopy(Name, Size, "system");
}

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext)
{
    ETHREAD *Thread;
    HANDLE Handle;
    NTSTATUS Status;
    CHAR Name[KI_THREAD_NAME_MAX];

    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)StartRoutine, KeGetCurrentIrql(), 0,
                     (ULONG_PTR)__builtin_return_address(0));
    if (!ThreadHandle || !StartRoutine || ProcessHandle)
        return STATUS_INVALID_PARAMETER;
    *ThreadHandle = NULL;
    Status = ObCreateObject(PspThreadType, NULL, 0, sizeof(ETHREAD), (PVOID *)&Thread);
    if (!NT_SUCCESS(Status))
        return STATUS_INSUFFICIENT_RESOURCES;
    /* The handle first: once started the thread may end, and the reaper
     * drop the creation reference, before we return. */
    Status = ObInsertHandle(Thread, &Handle);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Thread);
        return Status;
    }
    PspNameFor(StartRoutine, Name, sizeof(Name));
    Status = KeInitializeThread(&Thread->Tcb, Name, DEFAULT_SYSTEM_THREAD_PRIORITY,
                                StartRoutine, StartContext, PspReapThread);
    if (!NT_SUCCESS(Status)) {
        ObpCloseHandle(Handle);
        ObDereferenceObject(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Thread->Cid.UniqueProcess = NULL;
    Thread->Cid.UniqueThread = (HANDLE)(ULONG_PTR)Thread->Tcb.Id;
    if (ClientId)
        *ClientId = Thread->Cid;
    *ThreadHandle = Handle;
    return STATUS_SUCCESS;
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    KeTerminateThread(ExitStatus);
}

/* The boot (shell) and idle threads are not objects; for them this is
 * their KTHREAD, which is all a driver can do anything with. */
PETHREAD PsGetCurrentThread(VOID)
{
    return (PETHREAD)KeGetCurrentThread();
}

HANDLE PsGetCurrentThreadId(VOID)
{
    return (HANDLE)(ULONG_PTR)KeGetCurrentThread()->Id;
}
