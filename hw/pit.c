/* pit.c - the 8254 PIT as the calibration clock of last resort: a machine
 * with no HPET (absent or disabled), no ACPI PM timer (hardware-reduced
 * ACPI) and no CPUID 15h (every AMD CPU) still has channel 2, gated by
 * port 61h as the PC speaker timer.  QEMU emulates it on pc and q35.
 * Some recent chipsets gate the PIT's clock off in low-power states; the
 * measurement notices a counter that does not move and fails. */
#include "halp.h"
#include "pitp.h"
#include <regs/pit8254.h>

static ULONG HalpPitReadCount(PVOID Context)
{
    UCHAR lo, hi;

    /* Counter latch command: the two reads return one consistent count
     * (datasheet, "Counter Latch Command"). */
    __outbyte(PIT_COMMAND_PORT, PIT_CW_CHANNEL2 | PIT_CW_LATCH);
    lo = __inbyte(PIT_CHANNEL2_PORT);
    hi = __inbyte(PIT_CHANNEL2_PORT);
    return ((ULONG)hi << 8) | lo;
}

static ULONG64 HalpPitReadTsc(PVOID Context)
{
    return HalpReadTsc();
}

BOOLEAN HalpPitStall(ULONG Us, PULONG64 TscDelta)
{
    static const HALP_PIT_ACCESS access = { HalpPitReadCount, HalpPitReadTsc, NULL };
    ULONG64 flags, delta = 0;
    UCHAR portB;
    BOOLEAN ok;

    flags = KeDisableInterrupts();
    portB = __inbyte(NMI_SC_PORT);
    /* Gate channel 2 on, speaker off; then mode 0 with the largest count.
     * Counting starts on the first clock after the count's second byte. */
    __outbyte(NMI_SC_PORT, (UCHAR)((portB & ~NMI_SC_SPKR_DAT_EN) | NMI_SC_TIM2_GATE));
    __outbyte(PIT_COMMAND_PORT, PIT_CW_CHANNEL2 | PIT_CW_LSB_MSB | PIT_CW_MODE0);
    __outbyte(PIT_CHANNEL2_PORT, (UCHAR)(PIT_MAX_COUNT & 0xFF));
    __outbyte(PIT_CHANNEL2_PORT, (UCHAR)(PIT_MAX_COUNT >> 8));
    ok = HalpPitMeasure(&access, Us, &delta);
    __outbyte(NMI_SC_PORT, portB);
    KeRestoreInterrupts(flags);
    if (!ok)
        DbgPrint("pit: channel 2 does not count down, PIT not used\n");
    else if (TscDelta)
        *TscDelta = delta;
    return ok;
}
