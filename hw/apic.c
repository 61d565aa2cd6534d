/* apic.c - the boot CPU's local APIC (Intel SDM vol. 3A, chapter 10):
 * x2APIC through MSRs when CPUID offers it, else xAPIC through MMIO at the
 * address IA32_APIC_BASE gives.  Also brings up the whole interrupt
 * hardware: 8259s off, APIC on, IOAPICs masked.  One CPU: the state below
 * is written once in HalInitInterrupts and read afterwards. */
#include "halp.h"
#include <regs/apic.h>

static volatile UCHAR *HalpLapic;       /* xAPIC MMIO; NULL in x2APIC mode */
static BOOLEAN HalpX2Apic;
static ULONG HalpApicId;
static ULONG64 HalpLapicTimerHz;        /* timer input after the divide-by-16 */

#define HALP_LAPIC_CALIBRATION_US 10000u    /* 10 ms of the calibrated TSC */
/* Reads of the xAPIC ICR waiting for Send Pending to clear (SDM 10.6.1).
 * The SDM gives no figure; a register read takes at least ~100 ns, so
 * this bounds the wait at >= 10 ms, far beyond the few microseconds a
 * delivery takes. */
#define HALP_ICR_IDLE_READS 100000u

static ULONG HalpParkedCpus;

static ULONG HalpLapicRead(ULONG Reg)
{
    if (HalpX2Apic)
        return (ULONG)__rdmsr(X2APIC_MSR_BASE + (Reg >> 4));
    return READ_REGISTER_ULONG((volatile ULONG *)(HalpLapic + Reg));
}

static VOID HalpLapicWrite(ULONG Reg, ULONG Value)
{
    if (HalpX2Apic)
        __wrmsr(X2APIC_MSR_BASE + (Reg >> 4), Value);
    else
        WRITE_REGISTER_ULONG((volatile ULONG *)(HalpLapic + Reg), Value);
}

static BOOLEAN HalpLapicEnable(VOID)
{
    ULONG regs[4];
    ULONG64 base;
    PHYSICAL_ADDRESS pa;
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    __cpuid(1, 0, regs);
    if (!(regs[3] & CPUID_1_EDX_APIC)) {
        DbgPrint("apic: CPU reports no local APIC; interrupts stay off\n");
        return FALSE;
    }
    base = __rdmsr(IA32_APIC_BASE_MSR);
    /* SDM 10.12.5: x2APIC is entered from the enabled xAPIC state, and
     * leaving x2APIC for xAPIC directly is an illegal transition (#GP), so
     * firmware that already chose x2APIC is left in it. */
    if (!(base & APIC_BASE_X2APIC_ENABLE)) {
        base |= APIC_BASE_GLOBAL_ENABLE;
        __wrmsr(IA32_APIC_BASE_MSR, base);
    }
    if ((regs[2] & CPUID_1_ECX_X2APIC) || (base & APIC_BASE_X2APIC_ENABLE)) {
        if (!(base & APIC_BASE_X2APIC_ENABLE))
            __wrmsr(IA32_APIC_BASE_MSR, base | APIC_BASE_X2APIC_ENABLE);
        HalpX2Apic = TRUE;
        HalpApicId = HalpLapicRead(APIC_REG_ID);
        return TRUE;
    }
    /* The MSR is what the CPU decodes; the MADT value is only a cross-check. */
    pa.QuadPart = (LONGLONG)(base & APIC_BASE_ADDRESS_MASK);
    if (acpi->LocalApicAddress && acpi->LocalApicAddress != (ULONG64)pa.QuadPart)
        DbgPrint("apic: MADT says 0x%llx, IA32_APIC_BASE says 0x%llx; using the MSR\n",
                 (unsigned long long)acpi->LocalApicAddress, (unsigned long long)pa.QuadPart);
    HalpLapic = MmMapIoSpace(pa, APIC_MMIO_SIZE, MmNonCached);
    if (!HalpLapic) {
        DbgPrint("apic: cannot map the local APIC at 0x%llx\n", (unsigned long long)pa.QuadPart);
        return FALSE;
    }
    HalpApicId = HalpLapicRead(APIC_REG_ID) >> 24;
    return TRUE;
}

/* Sends an INIT IPI to the local APIC ApicId (SDM 10.6.1: delivery mode
 * INIT, level assert, edge, physical destination, no shorthand).  FALSE
 * when the id cannot be addressed or the xAPIC never reported the IPI
 * sent. */
static BOOLEAN HalpSendInit(ULONG ApicId)
{
    ULONG low = APIC_ICR_DELIVERY_INIT | APIC_ICR_LEVEL_ASSERT;

    if (HalpX2Apic) {
        /* SDM 10.12.9: one 64-bit write, the 32-bit x2APIC id in 63:32;
         * there is no Send Pending bit to wait for. */
        __wrmsr(X2APIC_MSR_BASE + (APIC_REG_ICR_LOW >> 4), ((ULONG64)ApicId << 32) | low);
        return TRUE;
    }
    if (ApicId > APIC_XAPIC_MAX_ID)
        return FALSE;   /* an x2APIC id: unreachable while we are in xAPIC mode */
    HalpLapicWrite(APIC_REG_ICR_HIGH, ApicId << APIC_ICR_XAPIC_DEST_SHIFT);
    HalpLapicWrite(APIC_REG_ICR_LOW, low);      /* the low write sends it */
    for (ULONG i = 0; i < HALP_ICR_IDLE_READS; i++) {
        if (!(HalpLapicRead(APIC_REG_ICR_LOW) & APIC_ICR_SEND_PENDING))
            return TRUE;
        _mm_pause();
    }
    return FALSE;
}

/* The firmware leaves the application processors in a loop of its own
 * after ExitBootServices (edk2 MpInitLib's "AP loop": hlt, mwait or a
 * spin, the firmware's choice); under TCG a spinning vCPU takes a host
 * core.  INIT puts each one in wait-for-SIPI (SDM 8.4.1, 10.4.7.3), where
 * it executes nothing and stays until an INIT-SIPI-SIPI starts it, which
 * is what bringing up more CPUs will do anyway.  Only the MADT's enabled
 * processors are addressed, one by one, so every IPI goes to a CPU that
 * exists. */
static VOID HalpParkApplicationProcessors(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();
    ULONG failed = 0;

    for (ULONG i = 0; i < acpi->ApicIdCount; i++) {
        ULONG id = acpi->ApicIds[i];
        if (id == HalpApicId)
            continue;
        if (HalpSendInit(id)) {
            HalpParkedCpus++;
        } else {
            failed++;
            DbgPrint("apic: cannot park CPU with APIC id %u (%s)\n", id,
                     id > APIC_XAPIC_MAX_ID && !HalpX2Apic ? "x2APIC id in xAPIC mode"
                                                           : "INIT IPI not sent");
        }
    }
    DbgPrint("apic: cpus=%u parked=%u (INIT IPI, waiting for SIPI)%s\n", acpi->CpuCount,
             HalpParkedCpus, failed ? "; the others keep running firmware code" : "");
}

ULONG HalQueryParkedProcessors(VOID)
{
    return HalpParkedCpus;
}

VOID HalInitInterrupts(VOID)
{
    HalpDisablePic();
    if (!HalpLapicEnable())
        return;
    HalpLapicWrite(APIC_REG_TPR, 0);
    /* Quiet every local source until someone asks: the timer (until
     * HalStartPeriodicTimer), LINT0 (ExtINT from the now-masked 8259s) and
     * the error LVT.  LINT1 keeps the firmware's NMI setting. */
    HalpLapicWrite(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
    HalpLapicWrite(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
    HalpLapicWrite(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
    /* SDM 10.5.3: ESR is write-then-read; two writes clear stale errors. */
    HalpLapicWrite(APIC_REG_ESR, 0);
    HalpLapicWrite(APIC_REG_ESR, 0);
    HalpLapicWrite(APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
    /* Acknowledge anything the firmware left in service. */
    HalEndOfInterrupt();
    DbgPrint("apic: %s id %u version 0x%x, spurious vector 0x%x\n",
             HalpX2Apic ? "x2APIC" : "xAPIC", HalpApicId,
             HalpLapicRead(APIC_REG_VERSION) & 0xFF, APIC_SPURIOUS_VECTOR);
    HalpParkApplicationProcessors();
    HalpInitIoApics();
}

VOID HalEndOfInterrupt(VOID)
{
    if (HalpX2Apic)
        __wrmsr(X2APIC_MSR_BASE + (APIC_REG_EOI >> 4), 0);
    else if (HalpLapic)
        WRITE_REGISTER_ULONG((volatile ULONG *)(HalpLapic + APIC_REG_EOI), 0);
}

/* The IRQL -> TPR class mapping is kernel/ke/irql.c's table: software
 * levels leave CR8 at 0, device IRQL n masks class n + 2, CLOCK and above
 * mask everything. */
VOID HalSetTaskPriority(KIRQL Irql)
{
    ULONG64 tpr = Irql <= DISPATCH_LEVEL ? 0 : Irql >= CLOCK_LEVEL ? 15 : (ULONG64)Irql + 2;
    __asm__ volatile("mov %0, %%cr8" :: "r"(tpr) : "memory");
}

ULONG HalGetApicId(VOID)
{
    return HalpApicId;
}

BOOLEAN HalIsX2Apic(VOID)
{
    return HalpX2Apic;
}

/* Counts timer ticks (after divide-by-16) over HALP_LAPIC_CALIBRATION_US
 * of the TSC, which KeInitTime has calibrated from the best clock there is
 * (its source is in the log and in `timers`), so the clock interrupt and
 * the timestamps share one reference. */
static ULONG64 HalpCalibrateLapicTimer(VOID)
{
    ULONG64 tscHz = KeQueryTscFrequency(), t0;
    ULONG elapsedTicks;

    if (!tscHz)
        return 0;
    HalpLapicWrite(APIC_REG_TIMER_DIVIDE, APIC_TIMER_DIVIDE_16);
    HalpLapicWrite(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
    HalpLapicWrite(APIC_REG_TIMER_INITIAL, 0xFFFFFFFFu);
    t0 = HalpReadTsc();
    while (HalpReadTsc() - t0 < tscHz / (1000000u / HALP_LAPIC_CALIBRATION_US))
        _mm_pause();
    elapsedTicks = 0xFFFFFFFFu - HalpLapicRead(APIC_REG_TIMER_CURRENT);
    HalpLapicWrite(APIC_REG_TIMER_INITIAL, 0);
    return (ULONG64)elapsedTicks * (1000000u / HALP_LAPIC_CALIBRATION_US);
}

VOID HalStartPeriodicTimer(ULONG Vector, ULONG PeriodUs)
{
    ULONG64 count;

    if (!HalpX2Apic && !HalpLapic) {
        DbgPrint("apic: no local APIC, no clock interrupt\n");
        return;
    }
    if (!HalpLapicTimerHz) {
        HalpLapicTimerHz = HalpCalibrateLapicTimer();
        if (!HalpLapicTimerHz) {
            DbgPrint("apic: timer calibration failed (no TSC rate)\n");
            return;
        }
        DbgPrint("apic: timer %llu Hz after divide-by-16\n", (unsigned long long)HalpLapicTimerHz);
    }
    count = HalpLapicTimerHz * PeriodUs / 1000000u;
    if (count == 0)
        count = 1;
    if (count > 0xFFFFFFFFu)
        count = 0xFFFFFFFFu;
    HalpLapicWrite(APIC_REG_TIMER_DIVIDE, APIC_TIMER_DIVIDE_16);
    HalpLapicWrite(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | (Vector & 0xFF));
    HalpLapicWrite(APIC_REG_TIMER_INITIAL, (ULONG)count);
    DbgPrint("apic: periodic timer vector 0x%x every %u us (%llu ticks)\n", Vector, PeriodUs,
             (unsigned long long)count);
}
