/* cmd_timers.c - `timers`: the time base, one line:
 *
 *   timers source=hpet tsc_hz=2601281000 clock_ticks=5012 uptime_us=5013377
 *
 * source= is what calibrated the TSC at boot (kernel/ke/time.c): hpet,
 * pmtimer, cpuid15, pit, cpuid16, or guess (1 GHz assumed: every timeout
 * is off).  clock_ticks counts the periodic clock interrupt. */
#include <ntos.h>
#include <shell.h>

static INT CmdTimers(INT Argc, PCHAR *Argv)
{
    if (Argc > 1)
        return ShellError("timers", STATUS_INVALID_PARAMETER, "takes no arguments");
    ConPrintf("timers source=%s tsc_hz=%llu clock_ticks=%llu uptime_us=%llu\n",
              KeQueryTscSource(), (unsigned long long)KeQueryTscFrequency(),
              (unsigned long long)KeQueryClockTicks(), (unsigned long long)KeQueryTimeUs());
    return 0;
}
SHELL_COMMAND(timers, CmdTimers, "timers", "what calibrated the TSC, its rate, the clock");
