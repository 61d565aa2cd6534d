/* time.c - the time base: the TSC, calibrated once at boot against the HPET
 * or the ACPI PM timer (hw/, HalCalibrationStall), and the periodic clock
 * interrupt that drives timers (timer.c) and quanta (sched.c).
 *
 * Conversions use fixed-point factors computed once, so the hot paths
 * (KeQueryTimeUs in every benchmarked I/O) are one multiply and a shift,
 * with no 128-bit division (no libgcc in the kernel). */
#include "ki.h"

/* Set by KiSystemStartup (entry.asm) at kernel entry. */
ULONG64 KeBootTsc;

/* Calibration window: long enough that a 1 us timer read error is 0.01%,
 * short enough not to show in the boot time. */
#define KI_CALIBRATION_US      10000
/* The periodic clock: 1 ms bounds how late a timed-out wait returns. */
#define KI_CLOCK_PERIOD_US     1000
/* When nothing better is known (SDM vol. 3 18.7.3 has no universal rule). */
#define KI_FALLBACK_TSC_HZ     1000000000ULL
/* Plausible TSC rates; a calibration outside is a broken timer. */
#define KI_MIN_TSC_HZ          10000000ULL
#define KI_MAX_TSC_HZ          20000000000ULL

#define KI_SCALE_SHIFT 40
#define KI_STALL_SHIFT 20

static ULONG64 KiTscFrequency = KI_FALLBACK_TSC_HZ;
static ULONG64 KiTscTo100nsScale;   /* (1e7 << 40) / f */
static ULONG64 KiTscToUsScale;      /* (1e6 << 40) / f */
static ULONG64 KiUsToTscScale;      /* (f << 20) / 1e6 */
static PCSTR KiTscSource = "default";

volatile ULONG64 KiClockTicks;
volatile BOOLEAN KiClockRunning;

ULONG64 KeReadTsc(VOID)
{
    ULONG Lo, Hi;
    __asm__ volatile("rdtsc" : "=a"(Lo), "=d"(Hi));
    return ((ULONG64)Hi << 32) | Lo;
}

static VOID KiSetTscFrequency(ULONG64 Hz)
{
    KiTscFrequency = Hz;
    KiTscTo100nsScale = (10000000ULL << KI_SCALE_SHIFT) / Hz;
    KiTscToUsScale = (1000000ULL << KI_SCALE_SHIFT) / Hz;
    KiUsToTscScale = (Hz << KI_STALL_SHIFT) / 1000000ULL;
}

static inline ULONG64 KiScale(ULONG64 Value, ULONG64 Factor, ULONG Shift)
{
    return (ULONG64)(((unsigned __int128)Value * Factor) >> Shift);
}

static ULONG64 KiTscSinceBoot(VOID)
{
    if (!KiTscTo100nsScale)
        KiSetTscFrequency(KI_FALLBACK_TSC_HZ);
    return KeReadTsc() - KeBootTsc;
}

ULONG64 KeQueryTscFrequency(VOID)
{
    return KiTscFrequency;
}

ULONG64 KeQueryTimeUs(VOID)
{
    ULONG64 Ticks = KiTscSinceBoot();
    return KiScale(Ticks, KiTscToUsScale, KI_SCALE_SHIFT);
}

ULONGLONG KeQueryInterruptTime(VOID)
{
    ULONG64 Ticks = KiTscSinceBoot();
    return KiScale(Ticks, KiTscTo100nsScale, KI_SCALE_SHIFT);
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER Counter;
    if (PerformanceFrequency)
        PerformanceFrequency->QuadPart = (LONGLONG)KiTscFrequency;
    Counter.QuadPart = (LONGLONG)KeReadTsc();
    return Counter;
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
    if (!KiUsToTscScale)
        KiSetTscFrequency(KI_FALLBACK_TSC_HZ);
    ULONG64 Start = KeReadTsc();
    ULONG64 Ticks = KiScale(MicroSeconds, KiUsToTscScale, KI_STALL_SHIFT);
    while (KeReadTsc() - Start < Ticks)
        _mm_pause();
}

/* CPUID leaf 0x15 (TSC/crystal ratio and crystal Hz) or 0x16 (base MHz),
 * SDM vol. 2A CPUID.  0 if the CPU does not say. */
static ULONG64 KiTscFromCpuid(PCSTR *Source)
{
    ULONG r[4];
    __cpuid(0, 0, r);
    ULONG MaxLeaf = r[0];

    if (MaxLeaf >= 0x15) {
        __cpuid(0x15, 0, r);
        if (r[0] && r[1] && r[2]) {
            *Source = "cpuid 0x15";
            return (ULONG64)r[2] * r[1] / r[0];
        }
    }
    if (MaxLeaf >= 0x16) {
        __cpuid(0x16, 0, r);
        if (r[0] & 0xFFFF) {
            *Source = "cpuid 0x16";
            return (ULONG64)(r[0] & 0xFFFF) * 1000000ULL;
        }
    }
    return 0;
}

/* The clock interrupt: ends the idle thread's HLT, expires timers and
 * quanta. */
static BOOLEAN KiClockIsr(PVOID Context)
{
    KiClockTicks++;
    KiClockRunning = TRUE;
    KiTimerExpiry();            /* timer.c: queue the expiry DPC when a KTIMER is due */
    KiClockTick();              /* sched.c: the running thread's quantum */
    return TRUE;
}

ULONG64 KeQueryClockTicks(VOID)
{
    return KiClockTicks;
}

VOID KeInitTime(VOID)
{
    ULONG64 Delta = 0, Hz = 0;

    if (!KeBootTsc)
        KeBootTsc = KeReadTsc();

    if (HalCalibrationStall(KI_CALIBRATION_US, &Delta)) {
        Hz = Delta * (1000000ULL / KI_CALIBRATION_US);
        KiTscSource = "platform timer";
        if (Hz < KI_MIN_TSC_HZ || Hz > KI_MAX_TSC_HZ) {
            DbgPrint("ke: TSC calibration gave %llu Hz, not plausible; ignored\n",
                     (unsigned long long)Hz);
            Hz = 0;
        }
    }
    if (!Hz)
        Hz = KiTscFromCpuid(&KiTscSource);
    if (!Hz || Hz < KI_MIN_TSC_HZ || Hz > KI_MAX_TSC_HZ) {
        Hz = KI_FALLBACK_TSC_HZ;
        KiTscSource = "guess";
        DbgPrint("ke: warning: no platform timer or CPUID rate; assuming a 1 GHz TSC, "
                 "times will be off\n");
    }
    KiSetTscFrequency(Hz);
    DbgPrint("ke: TSC %llu.%03llu MHz (%s)\n", (unsigned long long)(Hz / 1000000),
             (unsigned long long)(Hz / 1000 % 1000), KiTscSource);

    if (!KeConnectVector(KI_CLOCK_VECTOR, KiClockIsr, NULL)) {
        DbgPrint("ke: cannot connect the clock vector; waits will spin\n");
        return;
    }
    HalStartPeriodicTimer(KI_CLOCK_VECTOR, KI_CLOCK_PERIOD_US);
    /* From here on the system runs with interrupts enabled at
     * PASSIVE_LEVEL; HalInitInterrupts has masked every source not yet
     * routed. */
    KiEnable();
}
