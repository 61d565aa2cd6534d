/* cmd_acpi.c - `acpi`: the firmware tables the HAL read at boot, one line
 * each, then the facts it took from them:
 *
 *   acpi_table sig=APIC addr=0x7ffe1234 len=120 rev=3 oem="BOCHS" oem_table="BXPC" checksum=ok
 *   acpi rev=2 oem="BOCHS" root=xsdt tables=8 cpus=1 ioapics=1 lapic=0xfee00000
 *        ecam=0xb0000000 hpet=0xfed00000 pm_timer=0x608 pm1a=0x604 sci=9 s5=0,0
 *        reset=io:0xcf9 pcat=1 parked=0                  (all on one line)
 *
 * parked= counts the application processors the HAL stopped with an INIT
 * IPI at boot (cpus - 1 when all went well); qemu=1 when the platform is
 * known to be QEMU (its ACPI tables and a hypervisor CPUID bit), the only
 * place power-off may fall back to QEMU's fixed ports. */
#include <ntos.h>
#include <shell.h>

static INT CmdAcpi(INT Argc, PCHAR *Argv)
{
    const HAL_ACPI_INFO *a = HalGetAcpiInfo();
    static PCSTR const spaces[] = { "mem", "io", "pci" };
    CHAR s5[16], reset[40];

    if (Argc > 1)
        return ShellError("acpi", STATUS_INVALID_PARAMETER, "takes no arguments");
    if (a->RsdpAddress == 0 || a->RootTableAddress == 0)
        return ShellError("acpi", STATUS_DEVICE_DOES_NOT_EXIST,
                          a->RsdpAddress ? "RSDP or root table invalid, see log" : "no RSDP from the loader");
    for (ULONG i = 0; i < a->TableCount; i++) {
        const HAL_ACPI_TABLE *t = &a->Tables[i];
        ConPrintf("acpi_table sig=%s addr=0x%llx len=%u rev=%u oem=\"%s\" oem_table=\"%s\" checksum=%s\n",
                  (PCSTR)t->Signature, (unsigned long long)t->Address, t->Length, t->Revision,
                  (PCSTR)t->OemId, (PCSTR)t->OemTableId, t->ChecksumOk ? "ok" : "bad");
    }
    if (a->HaveS5)
        RtlStringCbPrintfA(s5, sizeof(s5), "%u,%u", a->SlpTypA, a->SlpTypB);
    else
        RtlStringCbPrintfA(s5, sizeof(s5), "-");
    if (a->HaveResetReg)
        RtlStringCbPrintfA(reset, sizeof(reset), "%s:0x%llx", spaces[a->ResetSpace % 3],
                           (unsigned long long)a->ResetAddress);
    else
        RtlStringCbPrintfA(reset, sizeof(reset), "-");
    ConPrintf("acpi rev=%u oem=\"%s\" root=%s tables=%u cpus=%u ioapics=%u lapic=0x%llx "
              "ecam=0x%llx hpet=0x%llx pm_timer=0x%x pm_timer_bits=%u pm1a=0x%x pm1b=0x%x sci=%u "
              "s5=%s reset=%s reset_value=0x%x pcat=%u overrides=%u parked=%u qemu=%u\n",
              a->Revision, (PCSTR)a->OemId, a->UsingXsdt ? "xsdt" : "rsdt", a->TableCount,
              a->CpuCount, a->IoApicCount, (unsigned long long)a->LocalApicAddress,
              (unsigned long long)(a->EcamCount ? a->Ecam[0].Base : 0),
              (unsigned long long)a->HpetAddress, a->PmTimerBlock, a->PmTimer32Bit ? 32 : 24,
              a->Pm1aControlBlock, a->Pm1bControlBlock, a->SciInterrupt, s5, reset,
              a->ResetValue, a->PcAtCompatible, a->OverrideCount, HalQueryParkedProcessors(),
              HalIsQemu());
    return 0;
}
SHELL_COMMAND(acpi, CmdAcpi, "acpi", "list ACPI tables and what the HAL took from them");
