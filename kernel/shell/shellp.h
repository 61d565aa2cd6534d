/* shellp.h - private to kernel/shell/. */
#ifndef NTSTOR_SHELLP_H
#define NTSTOR_SHELLP_H

#include <ntdef.h>
#include <shell.h>

#define SHELL_LINE_MAX 256
#define SHELL_MAX_ARGS 32

/* parse.c.  Splits Line in place into at most Max arguments; 0 for a blank
 * or '#' comment line, -1 when there are more than Max. */
INT ShellTokenize(PCHAR Line, PCHAR *Argv, INT Max);

/* The next non-blank line of an autorun file Text[0..Size) from *Offset,
 * without its CR and trailing spaces, into Line (SHELL_LINE_MAX bytes,
 * NUL-terminated); *LineNo counts every line passed, blank ones too.
 * TooLong: the line does not fit; NotAscii: it holds a byte outside
 * printable ASCII (tab allowed); either way Line is untouched and *Offset
 * past it. */
typedef enum _SHELL_SCRIPT_LINE {
    ShellScriptEnd = 0,
    ShellScriptLine,
    ShellScriptTooLong,
    ShellScriptNotAscii,
} SHELL_SCRIPT_LINE;
/* Tabs are blanks to the shell; any other control byte or one from 0x80 up
 * has no meaning in a command and would reach the console when echoed. */
BOOLEAN ShellLineIsAscii(PCSTR Text, SIZE_T Length);
SHELL_SCRIPT_LINE ShellScriptNextLine(const CHAR *Text, SIZE_T Size, SIZE_T *Offset,
                                      PULONG LineNo, PCHAR Line);

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
