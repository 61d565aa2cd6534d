/* shellp.h - private to kernel/shell/. */
#ifndef NTSTOR_SHELLP_H
#define NTSTOR_SHELLP_H

#include <ntdef.h>
#include <shell.h>

#define SHELL_LINE_MAX 256

VOID ShellReadLine(PCHAR Line);
VOID ShellHistoryAdd(PCSTR Line);
const SHELL_COMMAND_DESC *ShellFindCommand(PCSTR Name);

#endif
