/* pmtimer.c - the ACPI power management timer: a free-running 24- or 32-bit
 * counter at 3.579545 MHz in I/O space (ACPI 6.5, 4.8.3.3; FADT PM_TMR_BLK,
 * TMR_VAL_EXT).  QEMU q35 has it at port 0x608. */
#include "halp.h"
#include <regs/acpi.h>

BOOLEAN HalpPmTimerStall(ULONG Us, PULONG64 TscDelta)
{
    static BOOLEAN broken;
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();
    USHORT port;
    ULONG mask, start, now, last, elapsed, ticks;
    ULONG64 tsc0;
    ULONG stuck = 0;

    if (broken || acpi->PmTimerBlock == 0)
        return FALSE;
    port = (USHORT)acpi->PmTimerBlock;
    mask = acpi->PmTimer32Bit ? 0xFFFFFFFFu : 0x00FFFFFFu;
    /* Waits longer than one counter wrap (4.7 s at 24 bits) are not needed
     * for calibration; clamp rather than mis-measure. */
    ticks = (ULONG)(((ULONG64)Us * ACPI_PM_TIMER_HZ / 1000000u) > mask / 2 ?
                    mask / 2 : (ULONG64)Us * ACPI_PM_TIMER_HZ / 1000000u);
    start = last = __indword(port) & mask;
    tsc0 = HalpReadTsc();
    for (;;) {
        now = __indword(port) & mask;
        elapsed = (now - start) & mask;
        if (elapsed >= ticks)
            break;
        /* No change since the last read (not since the start): a timer
         * that ticked once and stopped must not hold the wait forever. */
        stuck = now == last ? stuck + 1 : 0;
        last = now;
        if (stuck > HALP_TIMER_STUCK_READS) {
            DbgPrint("pmtimer: port 0x%x does not count, PM timer not used\n", port);
            broken = TRUE;
            return FALSE;
        }
    }
    if (TscDelta)
        *TscDelta = HalpReadTsc() - tsc0;
    return TRUE;
}
