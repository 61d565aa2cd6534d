/* pit_measure.c - times a TSC interval against the 8254 PIT's channel 2
 * counting down from its maximum in mode 0 (8254 datasheet, "Mode 0:
 * Interrupt on Terminal Count").  Pure logic over two read callbacks, so
 * host unit tests run it against a PIT model; hw/pit.c programs the chip
 * and supplies the port reads. */
#include <wdm.h>
#include "pitp.h"
#include <regs/pit8254.h>

BOOLEAN HalpPitMeasure(const HALP_PIT_ACCESS *Access, ULONG Us, PULONG64 TscDelta)
{
    ULONG ticks = (ULONG)(((ULONG64)Us * PIT_HZ + 999999u) / 1000000u);
    ULONG start, now, last, stuck = 0;
    ULONG64 tsc0;

    /* The count must stay within one pass of the 16-bit counter: in mode 0
     * it wraps from 0 to FFFFh and keeps counting (datasheet), and a
     * wrap would be indistinguishable from a short wait. */
    if (ticks == 0 || ticks >= HALP_PIT_MAX_TICKS)
        return FALSE;
    start = last = Access->ReadCount(Access->Context);
    tsc0 = Access->ReadTsc(Access->Context);
    /* The counter was loaded with FFFFh just before; a first read that is
     * too low to leave room for the wait (or reads FFFFh from no chip at
     * all that never moves) fails below. */
    if (start < ticks)
        return FALSE;
    for (;;) {
        now = Access->ReadCount(Access->Context);
        if (now > last)
            return FALSE;       /* counted up: wrapped, or not a counter */
        if (start - now >= ticks)
            break;
        /* No change since the last read: a gate that is not open (no
         * channel 2 gate in port 61h on this chipset) or no PIT at all. */
        stuck = now == last ? stuck + 1 : 0;
        last = now;
        if (stuck > HALP_PIT_STUCK_READS)
            return FALSE;
    }
    *TscDelta = Access->ReadTsc(Access->Context) - tsc0;
    return TRUE;
}
