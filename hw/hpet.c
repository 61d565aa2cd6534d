/* hpet.c - the High Precision Event Timer, used only as a calibration
 * reference: its main counter runs at a rate the capabilities register
 * states exactly (IA-PC HPET spec 1.0a, 2.3.4).  In QEMU it is at
 * 0xFED00000 with a 10 ns period (-machine q35 has it by default). */
#include "halp.h"
#include <regs/hpet.h>

static volatile UCHAR *HalpHpet;        /* NULL if absent or unusable */
static ULONG64 HalpHpetPeriodFs;
static BOOLEAN HalpHpetCounter64;
static BOOLEAN HalpHpetProbed;

static ULONG64 HalpHpetRead64(ULONG Offset)
{
    return READ_REGISTER_ULONG64((volatile ULONG64 *)(HalpHpet + Offset));
}

static BOOLEAN HalpHpetInit(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();
    PHYSICAL_ADDRESS pa;
    ULONG64 caps;

    if (HalpHpetProbed)
        return HalpHpet != NULL;
    HalpHpetProbed = TRUE;
    if (acpi->HpetAddress == 0)
        return FALSE;
    pa.QuadPart = (LONGLONG)acpi->HpetAddress;
    HalpHpet = MmMapIoSpace(pa, HPET_MMIO_SIZE, MmNonCached);
    if (!HalpHpet) {
        DbgPrint("hpet: cannot map 0x%llx\n", (unsigned long long)acpi->HpetAddress);
        return FALSE;
    }
    caps = HalpHpetRead64(HPET_REG_CAPABILITIES);
    HalpHpetPeriodFs = caps >> HPET_CAP_PERIOD_SHIFT;
    HalpHpetCounter64 = (caps & HPET_CAP_COUNT_64BIT) != 0;
    if (HalpHpetPeriodFs == 0 || HalpHpetPeriodFs > HPET_MAX_PERIOD_FS) {
        DbgPrint("hpet: period %llu fs is out of spec, HPET not used\n",
                 (unsigned long long)HalpHpetPeriodFs);
        MmUnmapIoSpace((PVOID)HalpHpet, HPET_MMIO_SIZE);
        HalpHpet = NULL;
        return FALSE;
    }
    /* Start the main counter; legacy replacement routing stays as the
     * firmware left it (the 8259s are masked either way). */
    WRITE_REGISTER_ULONG64((volatile ULONG64 *)(HalpHpet + HPET_REG_CONFIG),
                           HalpHpetRead64(HPET_REG_CONFIG) | HPET_CONFIG_ENABLE);
    DbgPrint("hpet: 0x%llx period %llu fs, %u-bit counter\n",
             (unsigned long long)acpi->HpetAddress, (unsigned long long)HalpHpetPeriodFs,
             HalpHpetCounter64 ? 64 : 32);
    return TRUE;
}

BOOLEAN HalpHpetStall(ULONG Us, PULONG64 TscDelta)
{
    ULONG64 ticks, start, now, last, elapsed, tsc0, mask;
    ULONG stuck = 0;

    if (!HalpHpetInit())
        return FALSE;
    mask = HalpHpetCounter64 ? ~0ull : 0xFFFFFFFFull;
    ticks = (ULONG64)Us * 1000000000ull / HalpHpetPeriodFs;   /* 1 us = 10^9 fs */
    /* A 32-bit counter wraps (43 s at 10 ns); a wait past half of that
     * could never be seen to end, so clamp it as the PM timer does. */
    if (ticks > mask / 2)
        ticks = mask / 2;
    start = last = HalpHpetRead64(HPET_REG_MAIN_COUNTER) & mask;
    tsc0 = HalpReadTsc();
    for (;;) {
        now = HalpHpetRead64(HPET_REG_MAIN_COUNTER) & mask;
        elapsed = (now - start) & mask;
        if (elapsed >= ticks)
            break;
        /* Stuck means "no change since the last read", not "no change
         * since the start": a counter that moved once and then stopped
         * would otherwise hold the wait forever. */
        stuck = now == last ? stuck + 1 : 0;
        last = now;
        if (stuck > HALP_TIMER_STUCK_READS) {
            DbgPrint("hpet: main counter does not advance, HPET not used\n");
            HalpHpet = NULL;
            return FALSE;
        }
    }
    if (TscDelta)
        *TscDelta = HalpReadTsc() - tsc0;
    return TRUE;
}

BOOLEAN HalCalibrationStallWith(HAL_CLOCK Clock, ULONG Us, PULONG64 TscDelta)
{
    switch (Clock) {
    case HalClockHpet:    return HalpHpetStall(Us, TscDelta);
    case HalClockPmTimer: return HalpPmTimerStall(Us, TscDelta);
    case HalClockPit:     return HalpPitStall(Us, TscDelta);
    default:              return FALSE;
    }
}

BOOLEAN HalCalibrationStall(ULONG Us, PULONG64 TscDelta)
{
    if (HalpHpetStall(Us, TscDelta))
        return TRUE;
    return HalpPmTimerStall(Us, TscDelta);
}

VOID HalpCrudeDelay(ULONG Us)
{
    if (HalCalibrationStall(Us, NULL))
        return;
    /* No timer: a few pause instructions per microsecond of a fast CPU. */
    for (ULONG64 i = 0; i < (ULONG64)Us * 1000; i++)
        _mm_pause();
}
