/* acpi.c - ACPI in the kernel: maps firmware tables with MmMapIoSpace (they
 * may sit in reserved memory outside the direct map) and runs the parser of
 * hw/acpi_parse.c over them once at boot.  The result is read-only after
 * HalAcpiInit returns. */
#include <ntos.h>
#include "acpip.h"

static HAL_ACPI_INFO HalpAcpiInfo;

static const UCHAR *HalpAcpiMap(PVOID Context, ULONG64 Phys, ULONG Length)
{
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)Phys;
    return MmMapIoSpace(pa, Length, MmCached);
}

static VOID HalpAcpiUnmap(PVOID Context, const UCHAR *Va, ULONG Length)
{
    MmUnmapIoSpace((PVOID)Va, Length);
}

NTSTATUS HalAcpiInit(ULONG64 RsdpPhys)
{
    static const HALP_ACPI_ACCESS access = { HalpAcpiMap, HalpAcpiUnmap, NULL };
    const HAL_ACPI_INFO *i = &HalpAcpiInfo;
    NTSTATUS status;

    status = HalpAcpiParse(&access, RsdpPhys, &HalpAcpiInfo);
    if (!NT_SUCCESS(status))
        return status;
    DbgPrint("acpi: rev %u oem \"%s\" via %s at 0x%llx, %u tables\n", i->Revision,
             (PCSTR)i->OemId, i->UsingXsdt ? "XSDT" : "RSDT",
             (unsigned long long)i->RootTableAddress, i->TableCount);
    DbgPrint("acpi: %u cpus, lapic 0x%llx, %u ioapics, %u overrides, %u ecam, hpet 0x%llx\n",
             i->CpuCount, (unsigned long long)i->LocalApicAddress, i->IoApicCount,
             i->OverrideCount, i->EcamCount, (unsigned long long)i->HpetAddress);
    if (i->HaveFadt)
        DbgPrint("acpi: pm1a_cnt 0x%x pm1b_cnt 0x%x pm_timer 0x%x (%u-bit) sci %u s5 %s%u,%u\n",
                 i->Pm1aControlBlock, i->Pm1bControlBlock, i->PmTimerBlock,
                 i->PmTimer32Bit ? 32 : 24, i->SciInterrupt, i->HaveS5 ? "" : "(none) ",
                 i->SlpTypA, i->SlpTypB);
    return STATUS_SUCCESS;
}

const HAL_ACPI_INFO *HalGetAcpiInfo(VOID)
{
    return &HalpAcpiInfo;
}
