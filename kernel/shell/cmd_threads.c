/* cmd_threads.c - `threads`: one line per thread (kernel/ke/sched.c), with
 * what a waiting thread waits for, then a summary line:
 *
 *   thread id=4 name=threadtest state=waiting priority=8 wait=DelayExecution
 *          on=NotificationTimer timeout=1 cpu_us=210 switches=57
 *   threads count=6 switches=1200 work_items=3
 *
 * `on` lists the objects of the wait as Type@address (a thread as
 * Thread#<id>), comma-separated; `timeout=1` when the wait has one. */
#include <ntos.h>
#include <ps.h>
#include "shellp.h"

#define THREADS_MAX 64

static KTHREAD_INFO ThreadsInfo[THREADS_MAX];   /* the shell thread's alone */

static VOID ThreadsDescribeWait(const KTHREAD_INFO *t, PCHAR Out, SIZE_T Size)
{
    SIZE_T n = 0;

    Out[0] = 0;
    if (t->WaitObjects == 0) {
        /* KeDelayExecutionThread: only the thread's own timer. */
        RtlStringCbPrintfA(Out, Size, "%s", t->WaitTimeout ? "NotificationTimer" : "-");
        return;
    }
    for (ULONG i = 0; i < t->WaitObjects && i < THREAD_WAIT_OBJECTS; i++) {
        PCSTR sep = i ? "," : "";
        if (t->WaitObjectType[i] == ThreadObject)
            RtlStringCbPrintfA(Out + n, Size - n, "%sThread#%u", sep,
                               ((PKTHREAD)t->WaitObject[i])->Id);
        else
            RtlStringCbPrintfA(Out + n, Size - n, "%s%s@%p", sep,
                               KeObjectTypeName(t->WaitObjectType[i]), t->WaitObject[i]);
        n = RtlAsciiLength(Out);
    }
    if (t->WaitObjects > THREAD_WAIT_OBJECTS)
        RtlStringCbPrintfA(Out + n, Size - n, ",+%u", t->WaitObjects - THREAD_WAIT_OBJECTS);
}

static INT CmdThreads(INT Argc, PCHAR *Argv)
{
    ULONG count = KeQueryThreads(ThreadsInfo, THREADS_MAX);
    CHAR on[160];

    for (ULONG i = 0; i < count && i < THREADS_MAX; i++) {
        const KTHREAD_INFO *t = &ThreadsInfo[i];
        BOOLEAN waiting = t->State == Waiting;
        if (waiting)
            ThreadsDescribeWait(t, on, sizeof(on));
        ConPrintf("thread id=%u name=%s state=%s priority=%d wait=%s on=%s%s%s cpu_us=%llu switches=%llu\n",
                  t->Id, t->Name, KeThreadStateName(t->State), t->Priority,
                  waiting ? KeWaitReasonName(t->WaitReason) : "-", waiting ? on : "-",
                  waiting && t->WaitObjects > 1 ? (t->WaitType == WaitAll ? " wait_type=all" : " wait_type=any") : "",
                  waiting && t->WaitTimeout ? " timeout=1" : "",
                  t->CpuUs, t->ContextSwitches);
    }
    ConPrintf("threads count=%u switches=%llu work_items=%llu\n", count,
              KeGetCurrentPrcb()->ContextSwitches,
              ExQueryWorkItemsRun(CriticalWorkQueue) + ExQueryWorkItemsRun(DelayedWorkQueue));
    return 0;
}

SHELL_COMMAND(threads, CmdThreads, "threads",
              "list threads: state, wait reason, what each waits on, priority, CPU time");
