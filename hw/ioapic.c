/* ioapic.c - the I/O APICs of the MADT (82093AA datasheet; ICH9 datasheet
 * 13.5): each is mapped, sized from its version register and left with
 * every input masked; HalRouteGsi unmasks one input at a time.  Register
 * access is a select/window pair, so it runs with interrupts off (one CPU:
 * that is the whole lock).  QEMU q35: one IOAPIC at 0xFEC00000, 24 inputs. */
#include "halp.h"
#include <regs/ioapic.h>
#include <regs/acpi.h>

typedef struct _HALP_IOAPIC {
    volatile ULONG *Base;
    ULONG GsiBase;
    ULONG Inputs;
    UCHAR Id;
} HALP_IOAPIC;

static HALP_IOAPIC HalpIoApics[HAL_MAX_IOAPICS];
static ULONG HalpIoApicCount;

static ULONG HalpIoApicRead(HALP_IOAPIC *Io, ULONG Reg)
{
    WRITE_REGISTER_ULONG(Io->Base + IOAPIC_IOREGSEL / 4, Reg);
    return READ_REGISTER_ULONG(Io->Base + IOAPIC_IOWIN / 4);
}

static VOID HalpIoApicWrite(HALP_IOAPIC *Io, ULONG Reg, ULONG Value)
{
    WRITE_REGISTER_ULONG(Io->Base + IOAPIC_IOREGSEL / 4, Reg);
    WRITE_REGISTER_ULONG(Io->Base + IOAPIC_IOWIN / 4, Value);
}

VOID HalpInitIoApics(VOID)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    for (ULONG i = 0; i < acpi->IoApicCount && i < HAL_MAX_IOAPICS; i++) {
        const HAL_IOAPIC_INFO *src = &acpi->IoApics[i];
        HALP_IOAPIC *io = &HalpIoApics[HalpIoApicCount];
        PHYSICAL_ADDRESS pa;
        ULONG version;

        pa.QuadPart = (LONGLONG)src->Address;
        io->Base = MmMapIoSpace(pa, IOAPIC_MMIO_SIZE, MmNonCached);
        if (!io->Base) {
            DbgPrint("ioapic: cannot map IOAPIC %u at 0x%llx\n", src->Id,
                     (unsigned long long)src->Address);
            continue;
        }
        version = HalpIoApicRead(io, IOAPIC_REG_VERSION);
        if (version == 0xFFFFFFFFu) {
            DbgPrint("ioapic: nothing answers at 0x%llx (IOAPIC %u), ignored\n",
                     (unsigned long long)src->Address, src->Id);
            MmUnmapIoSpace((PVOID)io->Base, IOAPIC_MMIO_SIZE);
            continue;
        }
        io->Inputs = ((version >> IOAPIC_VERSION_MAX_REDIR_SHIFT) & 0xFF) + 1;
        io->GsiBase = src->GsiBase;
        io->Id = src->Id;
        for (ULONG pin = 0; pin < io->Inputs; pin++) {
            HalpIoApicWrite(io, IOAPIC_REG_REDIR_LO(pin), IOAPIC_REDIR_MASKED);
            HalpIoApicWrite(io, IOAPIC_REG_REDIR_HI(pin), 0);
        }
        HalpIoApicCount++;
        DbgPrint("ioapic: id %u at 0x%llx version 0x%x, GSIs %u-%u, all masked\n", io->Id,
                 (unsigned long long)src->Address, version & 0xFF, io->GsiBase,
                 io->GsiBase + io->Inputs - 1);
    }
}

static HALP_IOAPIC *HalpFindIoApic(ULONG Gsi, PULONG Pin)
{
    for (ULONG i = 0; i < HalpIoApicCount; i++) {
        HALP_IOAPIC *io = &HalpIoApics[i];
        if (Gsi >= io->GsiBase && Gsi - io->GsiBase < io->Inputs) {
            *Pin = Gsi - io->GsiBase;
            return io;
        }
    }
    return NULL;
}

ULONG HalIsaIrqToGsi(UCHAR Irq)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();

    for (ULONG i = 0; i < acpi->OverrideCount; i++)
        if (acpi->Overrides[i].Source == Irq)
            return acpi->Overrides[i].Gsi;
    return Irq;     /* ACPI 6.5 5.2.12.5: without an override, IRQ n is GSI n */
}

NTSTATUS HalRouteGsi(ULONG Gsi, ULONG Vector, BOOLEAN LevelTriggered, BOOLEAN ActiveLow)
{
    const HAL_ACPI_INFO *acpi = HalGetAcpiInfo();
    HALP_IOAPIC *io;
    ULONG pin, low;
    ULONG64 flags;

    if (Vector < 0x20 || Vector > 0xFE)
        return STATUS_INVALID_PARAMETER;
    io = HalpFindIoApic(Gsi, &pin);
    if (!io)
        return STATUS_DEVICE_DOES_NOT_EXIST;
    /* A MADT override that names this GSI states the wiring of the board
     * (e.g. the SCI: level, active high); it beats the caller's default. */
    for (ULONG i = 0; i < acpi->OverrideCount; i++) {
        USHORT f = acpi->Overrides[i].Flags;
        if (acpi->Overrides[i].Gsi != Gsi)
            continue;
        if ((f & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_HIGH)
            ActiveLow = FALSE;
        else if ((f & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW)
            ActiveLow = TRUE;
        if ((f & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_EDGE)
            LevelTriggered = FALSE;
        else if ((f & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL)
            LevelTriggered = TRUE;
    }
    low = (Vector & IOAPIC_REDIR_VECTOR_MASK) |
          (LevelTriggered ? IOAPIC_REDIR_LEVEL : 0) | (ActiveLow ? IOAPIC_REDIR_ACTIVE_LOW : 0);
    flags = KeDisableInterrupts();
    /* Destination first, while the entry is still masked; then unmask. */
    HalpIoApicWrite(io, IOAPIC_REG_REDIR_LO(pin), IOAPIC_REDIR_MASKED);
    HalpIoApicWrite(io, IOAPIC_REG_REDIR_HI(pin), HalGetApicId() << IOAPIC_REDIR_DEST_SHIFT);
    HalpIoApicWrite(io, IOAPIC_REG_REDIR_LO(pin), low);
    KeRestoreInterrupts(flags);
    DbgPrint("ioapic: GSI %u -> vector 0x%x (%s, active %s)\n", Gsi, Vector,
             LevelTriggered ? "level" : "edge", ActiveLow ? "low" : "high");
    return STATUS_SUCCESS;
}

VOID HalMaskGsi(ULONG Gsi, BOOLEAN Mask)
{
    HALP_IOAPIC *io;
    ULONG pin, low;
    ULONG64 flags;

    io = HalpFindIoApic(Gsi, &pin);
    if (!io)
        return;
    flags = KeDisableInterrupts();
    low = HalpIoApicRead(io, IOAPIC_REG_REDIR_LO(pin));
    low = Mask ? (low | IOAPIC_REDIR_MASKED) : (low & ~IOAPIC_REDIR_MASKED);
    HalpIoApicWrite(io, IOAPIC_REG_REDIR_LO(pin), low);
    KeRestoreInterrupts(flags);
}

/* Without an AML interpreter there is no _PRT, so the Interrupt Line the
 * firmware programmed is the only routing information.  Line >= 16 is
 * taken as a GSI (firmware that routes for the IOAPIC); a line below 16 is
 * an ISA IRQ the firmware routed a PIRQ to, translated by the MADT
 * overrides.  On QEMU q35 + OVMF the PIRQ links are routed to IRQs 10/11
 * and the ICH9 model drives that IOAPIC input as well as input 16+PIRQ
 * (QEMU's MADT marks IRQ 5/9/10/11 level, active high); on real chipsets
 * the line may not be wired to the IOAPIC pin at all, which is why drivers
 * prefer MSI. */
ULONG HalPciInterruptGsi(const HAL_PCI_FUNCTION *Function)
{
    UCHAR line = Function->InterruptLine;

    if (Function->InterruptPin == 0 || Function->InterruptPin > 4 || line == 0xFF)
        return 0xFFFFFFFFu;
    if (line < 16)
        return HalIsaIrqToGsi(line);
    return line;
}
