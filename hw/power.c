/* power.c - power-off and reset, each a ladder of methods from the most
 * specific to the bluntest, saying on the console which step it takes:
 *
 *   off:   ACPI S5 through PM1a/PM1b_CNT (SLP_TYP from \_S5, SLP_EN;
 *          ACPI 6.5 7.4.2 and 4.8.3.2.1); QEMU's fixed PM1a_CNT ports,
 *          only when the platform is known to be QEMU (on another machine
 *          those ports are anyone's); then halt.
 *   reset: FADT RESET_REG (4.8.3.6), the 0xCF9 reset control register,
 *          the 8042's reset line, and a triple fault.
 *
 * Callers run their shutdown callbacks (KeRunShutdownCallbacks) first. */
#include "halp.h"
#include <regs/acpi.h>
#include <regs/apic.h>
#include <regs/power.h>

#define HALP_POWER_SETTLE_US   100000u  /* give each method 100 ms to act */
#define HALP_KBC_READY_TRIES   100000u  /* polls of the 8042 input buffer */

static VOID HalpWritePm1Control(USHORT Port, UCHAR SlpTyp)
{
    USHORT v = __inword(Port);
    v &= (USHORT)~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);
    v |= (USHORT)(((ULONG)SlpTyp << ACPI_PM1_SLP_TYP_SHIFT) & ACPI_PM1_SLP_TYP_MASK);
    /* 7.4.2: write SLP_TYP first, then SLP_TYP with SLP_EN. */
    __outword(Port, v);
    __outword(Port, v | ACPI_PM1_SLP_EN);
}

__attribute__((noreturn)) static VOID HalpHaltForever(VOID)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* QEMU, and nothing else: its own ACPI tables (hw/acpi_parse.c) on a CPU
 * that says it runs under a hypervisor (CPUID.1:ECX[31]: the SDM, vol. 2A
 * Table 3-10, says hardware always returns 0 there; hypervisors set it). */
BOOLEAN HalIsQemu(VOID)
{
    ULONG r[4];

    __cpuid(1, 0, r);
    return HalGetAcpiInfo()->QemuTables && (r[2] & CPUID_1_ECX_HYPERVISOR) != 0;
}

__attribute__((noreturn)) VOID HalPowerOff(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    KeDisableInterrupts();
    if (acpi->HaveFadt && acpi->HaveS5 && acpi->Pm1aControlBlock) {
        DbgPrint("power: ACPI S5: SLP_TYPa=%u to PM1a_CNT 0x%x", acpi->SlpTypA,
                 acpi->Pm1aControlBlock);
        if (acpi->Pm1bControlBlock) {
            DbgPrint("power: SLP_TYPb=%u to PM1b_CNT 0x%x", acpi->SlpTypB,
                     acpi->Pm1bControlBlock);
            HalpWritePm1Control((USHORT)acpi->Pm1bControlBlock, acpi->SlpTypB);
        }
        HalpWritePm1Control((USHORT)acpi->Pm1aControlBlock, acpi->SlpTypA);
        HalpCrudeDelay(HALP_POWER_SETTLE_US);
        DbgPrint("power: still running after ACPI S5");
    } else {
        DbgPrint("power: no usable ACPI S5 (FADT %s, \\_S5 %s, PM1a_CNT 0x%x)",
                 acpi->HaveFadt ? "yes" : "no", acpi->HaveS5 ? "yes" : "no",
                 acpi->Pm1aControlBlock);
    }
    if (HalIsQemu()) {
        DbgPrint("power: trying QEMU's PM1a_CNT ports 0x%x and 0x%x", QEMU_Q35_PM1A_CNT,
                 QEMU_PIIX_PM1A_CNT);
        __outword(QEMU_Q35_PM1A_CNT, QEMU_POWEROFF_VALUE);
        HalpCrudeDelay(HALP_POWER_SETTLE_US);
        __outword(QEMU_PIIX_PM1A_CNT, QEMU_POWEROFF_VALUE);
        HalpCrudeDelay(HALP_POWER_SETTLE_US);
    } else {
        DbgPrint("power: not QEMU, so QEMU's fixed PM1a_CNT ports are not written");
    }
    DbgPrint("power: could not power off; halted, it is safe to switch off now");
    HalpHaltForever();
}

static VOID HalpFadtReset(const HAL_ACPI_INFO *Acpi)
{
    PHYSICAL_ADDRESS pa;
    volatile UCHAR *reg;

    switch (Acpi->ResetSpace) {
    case ACPI_SPACE_IO:
        __outbyte((USHORT)Acpi->ResetAddress, Acpi->ResetValue);
        break;
    case ACPI_SPACE_MEMORY:
        pa.QuadPart = (LONGLONG)Acpi->ResetAddress;
        reg = MmMapIoSpace(pa, 1, MmNonCached);
        if (reg)
            WRITE_REGISTER_UCHAR(reg, Acpi->ResetValue);
        else
            DbgPrint("power: cannot map the reset register");
        break;
    case ACPI_SPACE_PCI_CONFIG:
        /* 5.2.3.2: segment 0, bus 0; device in bits 47:32, function in
         * 31:16, register offset in 15:0. */
        HalPciWrite8(0, 0, (UCHAR)(Acpi->ResetAddress >> 32), (UCHAR)(Acpi->ResetAddress >> 16),
                     (USHORT)Acpi->ResetAddress, Acpi->ResetValue);
        break;
    default:
        break;
    }
}

__attribute__((noreturn)) VOID HalReboot(VOID)
{
    static const struct { USHORT Limit; ULONG64 Base; } __attribute__((packed)) noIdt = { 0, 0 };
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    KeDisableInterrupts();
    if (acpi->HaveResetReg) {
        static PCSTR const spaces[] = { "memory", "io", "pci" };
        DbgPrint("power: reset through FADT RESET_REG %s:0x%llx value 0x%x",
                 spaces[acpi->ResetSpace], (unsigned long long)acpi->ResetAddress, acpi->ResetValue);
        HalpFadtReset(acpi);
        HalpCrudeDelay(HALP_POWER_SETTLE_US);
    }
    DbgPrint("power: reset through port 0x%x", RESET_CONTROL_PORT);
    __outbyte(RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST);
    HalpCrudeDelay(10);
    __outbyte(RESET_CONTROL_PORT, RESET_CONTROL_FULL);
    HalpCrudeDelay(HALP_POWER_SETTLE_US);

    DbgPrint("power: reset through the 8042 keyboard controller");
    for (ULONG i = 0; i < HALP_KBC_READY_TRIES && (__inbyte(KBC_STATUS_PORT) & KBC_STATUS_INPUT_FULL); i++)
        _mm_pause();
    __outbyte(KBC_COMMAND_PORT, KBC_CMD_PULSE_RESET);
    HalpCrudeDelay(HALP_POWER_SETTLE_US);

    /* An empty IDT turns the breakpoint into #GP, #DF and a shutdown. */
    DbgPrint("power: reset by triple fault");
    __asm__ volatile("lidt %0; int3" :: "m"(noIdt));
    HalpHaltForever();
}
