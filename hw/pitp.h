/* pitp.h - the 8254 PIT calibration's private interface: hw/pit_measure.c
 * is pure logic (host unit tests drive it with a PIT model), hw/pit.c
 * reaches the chip. */
#ifndef NTSTOR_PITP_H
#define NTSTOR_PITP_H

#include <ntdef.h>

typedef struct _HALP_PIT_ACCESS {
    ULONG (*ReadCount)(PVOID Context);      /* latched channel 2 count, 0..FFFFh */
    ULONG64 (*ReadTsc)(PVOID Context);
    PVOID Context;
} HALP_PIT_ACCESS;

/* Longest interval the measurement accepts: half the counter's range
 * (27 ms), so a slow first read still leaves the count far from a wrap. */
#define HALP_PIT_MAX_TICKS 0x8000u

/* Reads without a change after which the PIT is taken as not counting:
 * at 1.19 MHz it moves within one ~1 us port read, so a million reads is
 * a dead counter, not a slow one (as HALP_TIMER_STUCK_READS for the
 * HPET and PM timer). */
#define HALP_PIT_STUCK_READS 1000000u

/* Waits until the counter, already counting down from FFFFh, has moved
 * Us microseconds' worth of PIT ticks past its first read; *TscDelta is
 * the TSC over the same interval.  FALSE when the counter does not count
 * down (no PIT, gate closed), wraps, or Us is outside 1..27 ms. */
BOOLEAN HalpPitMeasure(const HALP_PIT_ACCESS *Access, ULONG Us, PULONG64 TscDelta);

#endif
