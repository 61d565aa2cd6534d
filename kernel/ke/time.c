/* time.c - the time base: the TSC, calibrated once at boot, and the
 * periodic clock interrupt that drives timers (timer.c) and quanta
 * (sched.c).
 *
 * The TSC's rate comes from the first of these that works: the HPET, the
 * ACPI PM timer, CPUID 15h (Intel's exact crystal ratio), the 8254 PIT,
 * CPUID 16h (Intel's nominal base MHz).  Measured beats nominal, so the
 * PIT comes before 16h.  The kernel command line's calibrate=<source>
 * (hpet, pmtimer, cpuid15, pit, cpuid16) tries that source first, so a
 * test can take the PIT path on a machine that has the better clocks.
 * When nothing works the TSC is taken to be 1 GHz, said on the console
 * as a warning, and `timers` reports source=guess.
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
static PCSTR KiTscSource = "uncalibrated";
static BOOLEAN KiTscCalibrated;

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

BOOLEAN KeIsTscCalibrated(VOID)
{
    return KiTscCalibrated;
}

ULONG64 KeTscToUs(ULONG64 TscTicks)
{
    if (!KiTscToUsScale)
        KiSetTscFrequency(KI_FALLBACK_TSC_HZ);
    return KiScale(TscTicks, KiTscToUsScale, KI_SCALE_SHIFT);
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

/* CPUID leaf 15h: TSC = crystal Hz * EBX / EAX (SDM vol. 2A, CPUID, and
 * vol. 3B 18.7.3).  0 if the CPU does not report all three. */
static ULONG64 KiTscFromCpuid15(VOID)
{
    ULONG r[4];
    __cpuid(0, 0, r);
    if (r[0] < 0x15)
        return 0;
    __cpuid(0x15, 0, r);
    return r[0] && r[1] && r[2] ? (ULONG64)r[2] * r[1] / r[0] : 0;
}

/* CPUID leaf 16h: the processor base frequency in MHz, which the SDM does
 * not promise is the TSC's (close to it on the parts that have it). */
static ULONG64 KiTscFromCpuid16(VOID)
{
    ULONG r[4];
    __cpuid(0, 0, r);
    if (r[0] < 0x16)
        return 0;
    __cpuid(0x16, 0, r);
    return (ULONG64)(r[0] & 0xFFFF) * 1000000ULL;
}

typedef enum _KI_TSC_SOURCE_KIND { KiSourceClock, KiSourceCpuid15, KiSourceCpuid16 } KI_TSC_SOURCE_KIND;
typedef struct _KI_TSC_SOURCE {
    PCSTR Name;                 /* as in calibrate=<name> and source=<name> */
    KI_TSC_SOURCE_KIND Kind;
    HAL_CLOCK Clock;            /* for KiSourceClock */
} KI_TSC_SOURCE;

static const KI_TSC_SOURCE KiTscSources[] = {
    { "hpet",    KiSourceClock,   HalClockHpet },
    { "pmtimer", KiSourceClock,   HalClockPmTimer },
    { "cpuid15", KiSourceCpuid15, HalClockHpet },
    { "pit",     KiSourceClock,   HalClockPit },
    { "cpuid16", KiSourceCpuid16, HalClockHpet },
};

/* The TSC rate by one source, 0 if it cannot tell or tells nonsense. */
static ULONG64 KiTscFromSource(const KI_TSC_SOURCE *Source)
{
    ULONG64 delta = 0, hz;

    switch (Source->Kind) {
    case KiSourceCpuid15:
        hz = KiTscFromCpuid15();
        break;
    case KiSourceCpuid16:
        hz = KiTscFromCpuid16();
        break;
    default:
        if (!HalCalibrationStallWith(Source->Clock, KI_CALIBRATION_US, &delta))
            return 0;
        hz = delta * (1000000ULL / KI_CALIBRATION_US);
        break;
    }
    if (hz && (hz < KI_MIN_TSC_HZ || hz > KI_MAX_TSC_HZ)) {
        DbgPrint("ke: TSC calibration against %s gave %llu Hz, not plausible; ignored\n",
                 Source->Name, (unsigned long long)hz);
        return 0;
    }
    return hz;
}

/* The value of calibrate= on the kernel command line, or NULL.  Words are
 * separated by blanks; Value gets at most Size - 1 characters. */
static PCSTR KiCalibrateOption(PCHAR Value, SIZE_T Size)
{
    static const CHAR key[] = "calibrate=";
    PCSTR p = KeGetBootInfo()->cmdline;

    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        PCSTR word = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if ((SIZE_T)(p - word) > sizeof(key) - 1 && RtlEqualMemory(word, key, sizeof(key) - 1)) {
            SIZE_T n = 0;
            for (PCSTR v = word + sizeof(key) - 1; v < p && n + 1 < Size; v++)
                Value[n++] = *v;
            Value[n] = 0;
            return Value;
        }
    }
    return NULL;
}

static const KI_TSC_SOURCE *KiFindTscSource(PCSTR Name)
{
    for (ULONG i = 0; i < RTL_NUMBER_OF(KiTscSources); i++)
        if (RtlAsciiCompare(KiTscSources[i].Name, Name, TRUE) == 0)
            return &KiTscSources[i];
    return NULL;
}

/* Runs the ladder (the forced source first); sets KiTscSource. */
static ULONG64 KiCalibrateTsc(VOID)
{
    CHAR option[16];
    PCSTR forced = KiCalibrateOption(option, sizeof(option));
    const KI_TSC_SOURCE *first = NULL;
    ULONG64 hz;

    if (forced) {
        first = KiFindTscSource(forced);
        if (!first)
            DbgPrint("ke: calibrate=%s is not a TSC source (hpet pmtimer cpuid15 pit cpuid16); "
                     "ignored\n", forced);
        else if ((hz = KiTscFromSource(first)) != 0) {
            KiTscSource = first->Name;
            return hz;
        } else
            DbgPrint("ke: calibrate=%s: that source is not usable here; trying the others\n",
                     forced);
    }
    for (ULONG i = 0; i < RTL_NUMBER_OF(KiTscSources); i++) {
        if (&KiTscSources[i] == first)
            continue;
        if ((hz = KiTscFromSource(&KiTscSources[i])) != 0) {
            KiTscSource = KiTscSources[i].Name;
            return hz;
        }
    }
    KiTscSource = "guess";
    return 0;
}

PCSTR KeQueryTscSource(VOID)
{
    return KiTscSource;
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
    ULONG64 Hz;

    if (!KeBootTsc)
        KeBootTsc = KeReadTsc();

    Hz = KiCalibrateTsc();
    if (!Hz) {
        /* Nothing left to measure against: run, but never quietly --
         * every timeout (the AHCI spin-up wait too) is off by the error. */
        Hz = KI_FALLBACK_TSC_HZ;
        DbgPrint("ke: warning: no HPET, PM timer, PIT or CPUID rate; assuming a 1 GHz TSC, "
                 "every timeout is off by the TSC's real rate over 1 GHz\n");
    }
    KiSetTscFrequency(Hz);
    KiTscCalibrated = TRUE;
    DbgPrint("ke: TSC %llu.%03llu MHz (source=%s)\n", (unsigned long long)(Hz / 1000000),
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
