/* ps.h - kernel-internal interface of kernel/ps/ (system thread objects)
 * and kernel/ex/ (system worker threads).  The exported halves are
 * include/wdm/ps.h and include/wdm/ex.h. */
#ifndef NTSTOR_PS_H
#define NTSTOR_PS_H

#include <wdm.h>
#include "ke.h"

/* The body of a "Thread" object: the scheduler's KTHREAD first, so a
 * PETHREAD is a PKTHREAD and a dispatcher object. */
typedef struct _ETHREAD {
    KTHREAD Tcb;
    CLIENT_ID Cid;
} ETHREAD;

/* Creates the Thread object type.  After ObInitSystem. */
VOID PsInitSystem(VOID);
/* Starts the system worker threads (one per work queue).  After
 * PsInitSystem; work queued before runs once they start. */
VOID ExInitWorkerThreads(VOID);
/* Items each worker queue ran, for `threads`. */
ULONG64 ExQueryWorkItemsRun(WORK_QUEUE_TYPE Queue);

#endif
