/* harderr.c - IoReportHardError: a driver's failure that no caller can be
 * told of, for the user.  A flush at IRP_MJ_SHUTDOWN or at removal fails,
 * but the poweroff or unload that caused it only sees the I/O manager's
 * and the PnP manager's view, in which shutdown and removal cannot fail.
 * NT hands such errors to the user with IoRaiseInformationalHardError (the
 * "Delayed Write Failed" box); in ntstor the user is the shell, which
 * prints each one as an `error:` line of the command it was running
 * (kernel/shell/shell.c).
 *
 * The reports wait in a small ring until the shell takes them; a report
 * that finds the ring full is counted and goes to the log only.  The ring
 * is touched under IopHardErrorLock, so drivers may report at
 * <= DISPATCH_LEVEL. */
#include <ntos.h>
#include <io.h>
#include <rtl.h>

static IOP_HARD_ERROR IopHardErrors[IOP_HARD_ERRORS];
static ULONG IopHardErrorFirst, IopHardErrorCount, IopHardErrorsLost;
static KSPIN_LOCK IopHardErrorLock;

VOID IoReportHardError(NTSTATUS ErrorStatus, PCSTR What, PCSTR Why)
{
    IOP_HARD_ERROR *e = NULL;
    KIRQL irql;

    DbgPrint("io: hard error: %s: %s (%s)\n", What, RtlNtStatusName(ErrorStatus), Why ? Why : "-");
    KeAcquireSpinLock(&IopHardErrorLock, &irql);
    if (IopHardErrorCount < IOP_HARD_ERRORS)
        e = &IopHardErrors[(IopHardErrorFirst + IopHardErrorCount++) % IOP_HARD_ERRORS];
    else
        IopHardErrorsLost++;
    if (e) {
        e->Status = ErrorStatus;
        RtlAsciiCopy(e->What, sizeof(e->What), What ? What : "");
        RtlAsciiCopy(e->Why, sizeof(e->Why), Why ? Why : "");
    }
    KeReleaseSpinLock(&IopHardErrorLock, irql);
}

BOOLEAN IopTakeHardError(IOP_HARD_ERROR *Error, PULONG Lost)
{
    BOOLEAN got = FALSE;
    KIRQL irql;

    KeAcquireSpinLock(&IopHardErrorLock, &irql);
    if (IopHardErrorCount) {
        *Error = IopHardErrors[IopHardErrorFirst];
        IopHardErrorFirst = (IopHardErrorFirst + 1) % IOP_HARD_ERRORS;
        IopHardErrorCount--;
        got = TRUE;
    }
    *Lost = IopHardErrorsLost;
    IopHardErrorsLost = 0;
    KeReleaseSpinLock(&IopHardErrorLock, irql);
    return got;
}
