/* shutdown.c - work that must happen before the machine powers off or
 * restarts (the I/O manager's IRP_MJ_SHUTDOWN to registered devices, which
 * makes the disks flush).  Called by the poweroff and reboot commands; never
 * by a bug check, which must not touch the disks. */
#include <ntos.h>

#define MAX_SHUTDOWN_CALLBACKS 16

static struct {
    PSHUTDOWN_CALLBACK Callback;
    PVOID Context;
} ShutdownCallbacks[MAX_SHUTDOWN_CALLBACKS];
static ULONG ShutdownCallbackCount;

VOID KeRegisterShutdownCallback(PSHUTDOWN_CALLBACK Callback, PVOID Context)
{
    if (ShutdownCallbackCount == MAX_SHUTDOWN_CALLBACKS) {
        DbgPrint("shutdown: callback table full, %p not registered", (PVOID)Callback);
        return;
    }
    ShutdownCallbacks[ShutdownCallbackCount].Callback = Callback;
    ShutdownCallbacks[ShutdownCallbackCount].Context = Context;
    ShutdownCallbackCount++;
}

/* Newest first: whatever registered last (a filter above a disk, say) goes
 * down before what it depends on. */
VOID KeRunShutdownCallbacks(VOID)
{
    while (ShutdownCallbackCount) {
        ShutdownCallbackCount--;
        ShutdownCallbacks[ShutdownCallbackCount].Callback(ShutdownCallbacks[ShutdownCallbackCount].Context);
    }
}
