/* msi.c - composes MSI messages (Intel SDM vol. 3A, 10.11): address
 * 0xFEE00000 with the destination APIC id in bits 19:12, physical
 * destination mode, no redirection hint; data = vector with fixed delivery
 * and edge trigger (both encoded as zero bits).  The 8-bit destination
 * field is enough for the boot CPU: ntstor runs on one CPU, and its APIC id
 * is below 256 on every machine without interrupt remapping. */
#include "halp.h"
#include <regs/apic.h>

VOID HalComposeMsi(ULONG Vector, PULONG64 Address, PULONG Data)
{
    ULONG id = HalGetApicId();

    if (id > 0xFF)
        DbgPrint("msi: APIC id %u does not fit an MSI address; interrupts will be lost\n", id);
    *Address = MSI_ADDRESS_BASE | ((ULONG64)(id & 0xFF) << MSI_ADDRESS_DEST_SHIFT);
    *Data = Vector & MSI_DATA_VECTOR_MASK;
}
