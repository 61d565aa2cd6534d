/* cmd_system.c - log, poweroff, reboot, echo: the commands about the
 * machine itself. */
#include <ntos.h>
#include <shell.h>

static VOID LogSink(PCSTR Line, PVOID Context)
{
    ConPrintf("%s\n", Line);
}

static INT CmdLog(INT Argc, PCHAR *Argv)
{
    KdLogDump(LogSink, NULL);
    return 0;
}
SHELL_COMMAND(log, CmdLog, "log", "show the kernel log");

static INT CmdPoweroff(INT Argc, PCHAR *Argv)
{
    ConPrintf("poweroff: flushing and powering off\n");
    KeRunShutdownCallbacks();
    ShellReportHardErrors("poweroff");      /* a disk that failed its flush */
    HalPowerOff();
}
SHELL_COMMAND(poweroff, CmdPoweroff, "poweroff", "flush disks and power the machine off");

static INT CmdReboot(INT Argc, PCHAR *Argv)
{
    ConPrintf("reboot: flushing and restarting\n");
    KeRunShutdownCallbacks();
    ShellReportHardErrors("reboot");
    HalReboot();
}
SHELL_COMMAND(reboot, CmdReboot, "reboot", "flush disks and restart the machine");

/* echo: prints its arguments; scripts use it to mark their place in the
 * output (the test harness syncs on it after boot). */
static INT CmdEcho(INT Argc, PCHAR *Argv)
{
    for (INT i = 1; i < Argc; i++)
        ConPrintf("%s%s", Argv[i], i + 1 < Argc ? " " : "");
    ConPrintf("\n");
    return 0;
}
SHELL_COMMAND(echo, CmdEcho, "echo [text...]", "print the text");
