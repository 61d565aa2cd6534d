/* halp.h - private interface between the files of the hardware layer. */
#ifndef NTSTOR_HALP_H
#define NTSTOR_HALP_H

#include <ntos.h>

static inline ULONG64 HalpReadTsc(VOID)
{
    ULONG lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((ULONG64)hi << 32) | lo;
}

/* A platform timer that does not move within this many reads is broken
 * (both HPET and PM timer tick at MHz rates, far faster than a read). */
#define HALP_TIMER_STUCK_READS 1000000u

/* hw/hpet.c, hw/pmtimer.c: busy-wait Us microseconds, TSC delta out.
 * FALSE if the timer is absent or does not count. */
BOOLEAN HalpHpetStall(ULONG Us, PULONG64 TscDelta);
BOOLEAN HalpPmTimerStall(ULONG Us, PULONG64 TscDelta);
BOOLEAN HalpPitStall(ULONG Us, PULONG64 TscDelta);     /* hw/pit.c */

/* hw/pic.c: remap both 8259s to 0x20-0x2F and mask every input. */
VOID HalpDisablePic(VOID);

/* hw/ioapic.c: discover and mask every IOAPIC of the MADT. */
VOID HalpInitIoApics(VOID);

/* A wait that needs no calibrated clock (power-off and reset fallbacks):
 * the platform timer if there is one, else a pause loop. */
VOID HalpCrudeDelay(ULONG Us);

#endif
