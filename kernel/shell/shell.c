/* shell.c - the command interpreter: finds commands in the .shellcmds
 * section (see shell.h), splits lines into arguments, runs them, and owns
 * the error-line format every command shares. */
#include <ntos.h>
#include <io.h>
#include <shell.h>
#include "shellp.h"

extern const SHELL_COMMAND_DESC __shellcmds_start[], __shellcmds_end[];

INT ShellError(PCSTR What, NTSTATUS Status, PCSTR Why)
{
    if (Why && *Why)
        ConPrintf("error: %s: %s (%s)\n", What, RtlNtStatusName(Status), Why);
    else
        ConPrintf("error: %s: %s\n", What, RtlNtStatusName(Status));
    return 1;
}

INT ShellErrorF(NTSTATUS Status, PCSTR Why, PCSTR WhatFormat, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, WhatFormat);
    RtlStringCbVPrintfA(what, sizeof(what), WhatFormat, ap);
    va_end(ap);
    return ShellError(what, Status, Why);
}

BOOLEAN ShellReportHardErrors(PCSTR Command)
{
    IOP_HARD_ERROR e;
    ULONG lost = 0, more;
    BOOLEAN any = FALSE;

    while (IopTakeHardError(&e, &more)) {
        lost += more;
        ShellErrorF(e.Status, e.Why[0] ? e.Why : NULL, "%s %s", Command, e.What);
        any = TRUE;
    }
    lost += more;
    if (lost) {
        ShellErrorF(STATUS_BUFFER_OVERFLOW, "more driver errors than the queue holds: see log",
                    "%s lost=%u", Command, lost);
        any = TRUE;
    }
    return any;
}

const SHELL_COMMAND_DESC *ShellFindCommand(PCSTR Name)
{
    for (const SHELL_COMMAND_DESC *c = __shellcmds_start; c < __shellcmds_end; c++)
        if (RtlAsciiCompare(c->Name, Name, TRUE) == 0)
            return c;
    return NULL;
}

INT ShellExecute(PCHAR Line)
{
    PCHAR argv[SHELL_MAX_ARGS + 1];
    INT argc = ShellTokenize(Line, argv, SHELL_MAX_ARGS);
    if (argc < 0)
        return ShellError("shell", STATUS_INVALID_PARAMETER, "more than 32 arguments");
    if (argc == 0)
        return 0;
    argv[argc] = NULL;

    const SHELL_COMMAND_DESC *cmd = ShellFindCommand(argv[0]);
    if (!cmd)
        return ShellErrorF(STATUS_INVALID_PARAMETER, "unknown command; try help", "%s", argv[0]);

    KIRQL irql = KeGetCurrentIrql();
    ShellBeginCommand();
    INT rc = cmd->Handler(argc, argv);
    if (ShellEndCommand()) {
        ConPrintf("^C\n");
        rc = 1;
    }
    /* A driver error no caller could return (a flush at removal, say)
     * belongs to the command during which it happened. */
    if (ShellReportHardErrors(cmd->Name))
        rc = 1;
    /* A command must hand the CPU back as it found it. */
    if (KeGetCurrentIrql() != irql)
        KeBugCheckEx(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, (ULONG_PTR)cmd->Name, irql,
                     KeGetCurrentIrql(), 0);
    return rc;
}

static INT CmdHelp(INT Argc, PCHAR *Argv)
{
    if (Argc > 1) {
        const SHELL_COMMAND_DESC *c = ShellFindCommand(Argv[1]);
        if (!c)
            return ShellErrorF(STATUS_INVALID_PARAMETER, "no such command", "help %s", Argv[1]);
        ConPrintf("usage: %s\n  %s\n", c->Usage, c->Help);
        return 0;
    }
    /* Alphabetical: the section is in link order. */
    const SHELL_COMMAND_DESC *last = NULL;
    for (;;) {
        const SHELL_COMMAND_DESC *next = NULL;
        for (const SHELL_COMMAND_DESC *c = __shellcmds_start; c < __shellcmds_end; c++)
            if ((!last || RtlAsciiCompare(c->Name, last->Name, FALSE) > 0) &&
                (!next || RtlAsciiCompare(c->Name, next->Name, FALSE) < 0))
                next = c;
        if (!next)
            break;
        ConPrintf("  %-44s %s\n", next->Usage, next->Help);
        last = next;
    }
    return 0;
}
SHELL_COMMAND(help, CmdHelp, "help [command]", "list commands, or show one command's usage");
