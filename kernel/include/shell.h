/* shell.h - how a subsystem adds a shell command (kernel/shell/).
 *
 *   static INT CmdPci(INT Argc, PCHAR *Argv) { ... return 0; }
 *   SHELL_COMMAND(pci, CmdPci, "pci", "list PCI functions");
 *
 * The macro places a descriptor in the .shellcmds section; the shell finds
 * every command there, so a new command is one new file.  Output rules
 * (DESIGN.md): figures as one machine-readable line "name key=value ...",
 * errors as one line from ShellError: "error: <what>: STATUS_X (why)". */
#ifndef NTSTOR_SHELL_H
#define NTSTOR_SHELL_H

#include <ntdef.h>

typedef INT (*PSHELL_HANDLER)(INT Argc, PCHAR *Argv);

typedef struct _SHELL_COMMAND_DESC {
    PCSTR Name;
    PSHELL_HANDLER Handler;
    PCSTR Usage;
    PCSTR Help;
} SHELL_COMMAND_DESC;

#define SHELL_COMMAND(name, handler, usage, help)                         \
    static const SHELL_COMMAND_DESC ShellCmd_##name                       \
        __attribute__((used, section(".shellcmds"), aligned(8))) =       \
        { #name, handler, usage, help }

/* "error: <What>: STATUS_NAME (<Why>)"; Why may be NULL.  Returns 1 so a
 * handler can `return ShellError(...)`. */
INT ShellError(PCSTR What, NTSTATUS Status, PCSTR Why);
/* printf-style variant for What. */
INT ShellErrorF(NTSTATUS Status, PCSTR Why, PCSTR WhatFormat, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints the drivers' hard errors (IoReportHardError) queued while
 * Command ran, one "error: <Command> <What>: STATUS_NAME (<Why>)" line
 * each.  The interpreter calls it after every command; a command that
 * does not return (poweroff) calls it itself.  TRUE if it printed any. */
BOOLEAN ShellReportHardErrors(PCSTR Command);

/* Argument helpers: parse a decimal or 0x-hex number; key=value lookup.
 * Return FALSE (and leave *Value alone) on a malformed number. */
BOOLEAN ShellParseU64(PCSTR Text, ULONG64 *Value);
/* Finds "key=..." among Argv[1..]; returns the value text or NULL. */
PCSTR ShellGetKeyArg(INT Argc, PCHAR *Argv, PCSTR Key);
/* Why Count sectors from Lba do not fit a disk of Sectors sectors (zero
 * count, more than 2^32-1, past the end or past LBA 2^48), NULL if they do. */
PCSTR ShellRangeWhy(ULONG64 Lba, ULONG64 Count, ULONG64 Sectors);

/* TRUE once Ctrl-C was typed during the running command: a long command
 * (bench) checks it each pass and stops early (kernel/shell/input.c). */
BOOLEAN ShellInterrupted(VOID);

/* Runs one command line (used by autorun and tests).  Returns the
 * handler's result, or 1 for an unknown command. */
INT ShellExecute(PCHAR Line);
/* Runs the autorun file then the interactive prompt; never returns. */
__attribute__((noreturn)) VOID ShellMain(VOID);

#endif
