/* shellp.h - private to kernel/shell/. */
#ifndef NTSTOR_SHELLP_H
#define NTSTOR_SHELLP_H

#include <ntdef.h>
#include <shell.h>

#define SHELL_LINE_MAX 256

/* Reads one line into Line (SHELL_LINE_MAX bytes).  A line too long
 * (STATUS_NAME_TOO_LONG) or holding a byte from 0x80 up
 * (STATUS_INVALID_PARAMETER) comes back empty with that status. */
NTSTATUS ShellReadLine(PCHAR Line);
/* One error line for a line the shell does not run, typed or from autorun. */
VOID ShellRefuseLine(PCSTR Where, NTSTATUS Status);
VOID ShellHistoryAdd(PCSTR Line);
const SHELL_COMMAND_DESC *ShellFindCommand(PCSTR Name);
/* The next console key, blocking the shell thread until one comes
 * (input.c). */
INT ShellGetKey(VOID);
/* Around each command: while one runs, Ctrl-C sets ShellInterrupted.
 * End returns whether it was interrupted. */
VOID ShellBeginCommand(VOID);
BOOLEAN ShellEndCommand(VOID);

#endif
