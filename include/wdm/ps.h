/* wdm/ps.h - system threads exported to drivers (kernel/ps/).
 *
 * A system thread runs StartRoutine(StartContext) at PASSIVE_LEVEL at
 * priority 8 (KeSetPriorityThread changes it) until it calls
 * PsTerminateSystemThread or returns from StartRoutine.  Its thread object
 * is signalled when it ends: a driver whose thread runs its code waits for
 * it in DriverUnload (ObReferenceObjectByHandle(h, SYNCHRONIZE,
 * *PsThreadType, KernelMode, &o, NULL) after PsCreateSystemThread, then
 * KeWaitForSingleObject on the object), so the image outlives the thread. */
#ifndef NTSTOR_WDM_PS_H
#define NTSTOR_WDM_PS_H

#include <ntdef.h>
#include <wdm/ke.h>
#include <wdm/ob.h>

typedef struct _ETHREAD *PETHREAD;
typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;       /* always NULL: ntstor has no processes */
    HANDLE UniqueThread;        /* the thread's id (shell: threads) */
} CLIENT_ID, *PCLIENT_ID;

#define THREAD_ALL_ACCESS 0x001FFFFF
#define DEFAULT_SYSTEM_THREAD_PRIORITY 8

/* The "Thread" object type. */
extern POBJECT_TYPE *PsThreadType;

/* Creates and starts a system thread; *ThreadHandle receives a handle to
 * its object (close it with ZwClose or ObCloseHandle(h, KernelMode)).  DesiredAccess,
 * ObjectAttributes (may be NULL) and ProcessHandle (must be NULL: no
 * processes) are NT's parameters; ClientId (optional) receives the id.
 * PASSIVE_LEVEL.  STATUS_INSUFFICIENT_RESOURCES when no stack or object
 * can be had. */
NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext);
/* Ends the calling system thread; does not return.  At PASSIVE_LEVEL
 * (IRQL_NOT_LESS_OR_EQUAL otherwise, e.g. with a spin lock or fast mutex
 * held) and owning no mutex (THREAD_TERMINATE_HELD_MUTEX). */
__attribute__((noreturn)) NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus);
PETHREAD PsGetCurrentThread(VOID);
HANDLE PsGetCurrentThreadId(VOID);

#endif
