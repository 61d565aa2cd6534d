/* hal.h - the hardware layer (hw/): port and MMIO access, UART, framebuffer,
 * ACPI tables, PCI configuration space, local APIC/IOAPIC/MSI, platform
 * timers, power-off and reset.  Register layouts live beside this file in
 * hw/include/<device>.h as named offsets and bits. */
#ifndef NTSTOR_HAL_H
#define NTSTOR_HAL_H

#include <ntdef.h>
#include <ntstatus.h>
#include "bootinfo.h"

/* ---- port and MMIO access ---- */
static inline void __outbyte(USHORT port, UCHAR v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void __outword(USHORT port, USHORT v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void __outdword(USHORT port, ULONG v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline UCHAR __inbyte(USHORT port) { UCHAR v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline USHORT __inword(USHORT port) { USHORT v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline ULONG __indword(USHORT port) { ULONG v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline ULONG READ_REGISTER_ULONG(volatile ULONG *r) { return *r; }
static inline VOID WRITE_REGISTER_ULONG(volatile ULONG *r, ULONG v) { *r = v; }
static inline USHORT READ_REGISTER_USHORT(volatile USHORT *r) { return *r; }
static inline VOID WRITE_REGISTER_USHORT(volatile USHORT *r, USHORT v) { *r = v; }
static inline UCHAR READ_REGISTER_UCHAR(volatile UCHAR *r) { return *r; }
static inline VOID WRITE_REGISTER_UCHAR(volatile UCHAR *r, UCHAR v) { *r = v; }
static inline ULONG64 READ_REGISTER_ULONG64(volatile ULONG64 *r) { return *r; }
static inline VOID WRITE_REGISTER_ULONG64(volatile ULONG64 *r, ULONG64 v) { *r = v; }

static inline ULONG64 __rdmsr(ULONG msr)
{
    ULONG lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((ULONG64)hi << 32) | lo;
}
static inline void __wrmsr(ULONG msr, ULONG64 v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((ULONG)v), "d"((ULONG)(v >> 32)));
}
static inline void __cpuid(ULONG leaf, ULONG sub, ULONG r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void _mm_pause(void) { __asm__ volatile("pause"); }

/* ---- console devices (hw/uart16550.c, hw/uart_find.c, hw/fbcon.c) ----
 * Every serial console found is written to and read from: COM1 when it
 * answers, the port ACPI's SPCR names, and 16550-compatible PCI serial
 * cards (class 0700, prog-if 02). */
#define HAL_MAX_UARTS 4
typedef struct _HAL_UART_DESC {
    BOOLEAN Mmio;               /* else I/O ports */
    ULONG64 Address;            /* I/O port or physical address */
    UCHAR Stride;               /* bytes between registers: 1 or 4 */
    UCHAR Width;                /* bytes per MMIO access: 1 or 4 */
    ULONG Baud;                 /* 0: keep what firmware programmed */
} HAL_UART_DESC;
VOID HalUartInit(VOID);                       /* COM1, 115200 8N1, FIFO on */
/* Adds a console (Name says where it came from, e.g. "pci 00:03.0").  One
 * already in the list (same address) is not added twice; one that fails
 * the scratch-register probe is refused.  Before MmInitSystem only I/O. */
NTSTATUS HalUartAdd(const HAL_UART_DESC *Desc, PCSTR Name);
VOID HalUartAddSpcr(VOID);                    /* after HalAcpiInit */
VOID HalUartAddPci(VOID);                     /* after HalPciEnumerate */
ULONG HalUartCount(VOID);
PCSTR HalUartName(ULONG Index);
VOID HalUartWrite(PCSTR Text, SIZE_T Length); /* '\n' goes out as "\r\n", on each */
INT HalUartPoll(VOID);                        /* byte or -1, from any */
VOID HalFbInit(const ntstor_framebuffer *Fb); /* no-op for NTSTOR_FB_NONE */
VOID HalFbWrite(PCSTR Text, SIZE_T Length);
BOOLEAN HalFbPresent(VOID);

/* ---- ACPI (hw/acpi*.c) ---- */
#define HAL_MAX_IOAPICS 8
#define HAL_MAX_OVERRIDES 16
#define HAL_MAX_ECAM 4
#define HAL_MAX_CPUS 256

typedef struct _HAL_IOAPIC_INFO { UCHAR Id; ULONG64 Address; ULONG GsiBase; } HAL_IOAPIC_INFO;
/* MADT interrupt source override: ISA IRQ Source -> Gsi with polarity/trigger
 * flags as in the MADT (ACPI 6.x 5.2.12.5). */
typedef struct _HAL_IRQ_OVERRIDE { UCHAR Source; ULONG Gsi; USHORT Flags; } HAL_IRQ_OVERRIDE;
typedef struct _HAL_ECAM_INFO { ULONG64 Base; USHORT Segment; UCHAR StartBus, EndBus; } HAL_ECAM_INFO;

/* One table reached from the RSDT/XSDT (or the FADT's DSDT), as listed by
 * the `acpi` command; ChecksumOk FALSE means it was logged and ignored. */
#define HAL_MAX_ACPI_TABLES 32
typedef struct _HAL_ACPI_TABLE {
    CHAR Signature[5];
    CHAR OemId[7];
    CHAR OemTableId[9];
    UCHAR Revision;
    BOOLEAN ChecksumOk;
    ULONG Length;
    ULONG64 Address;
} HAL_ACPI_TABLE;

typedef struct _HAL_ACPI_INFO {
    ULONG64 RsdpAddress;
    UCHAR Revision;             /* RSDP revision: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */
    CHAR OemId[7];
    ULONG64 LocalApicAddress;
    ULONG CpuCount;
    BOOLEAN PcAtCompatible;     /* MADT flag: legacy 8259s present */
    ULONG IoApicCount;
    HAL_IOAPIC_INFO IoApics[HAL_MAX_IOAPICS];
    ULONG OverrideCount;
    HAL_IRQ_OVERRIDE Overrides[HAL_MAX_OVERRIDES];
    ULONG EcamCount;
    HAL_ECAM_INFO Ecam[HAL_MAX_ECAM];
    /* FADT */
    BOOLEAN HaveFadt;
    ULONG Pm1aControlBlock, Pm1bControlBlock; /* I/O ports */
    ULONG PmTimerBlock;         /* I/O port, 0 if none */
    BOOLEAN PmTimer32Bit;
    USHORT SciInterrupt;
    BOOLEAN HaveBootArch;       /* FADT revision >= 3 and long enough: BootArch is meaningful */
    USHORT BootArch;            /* IAPC_BOOT_ARCH (ACPI_BOOT_ARCH_*) */
    BOOLEAN HaveS5;             /* \_S5 found in the DSDT */
    UCHAR SlpTypA, SlpTypB;
    BOOLEAN HaveResetReg;
    UCHAR ResetSpace;           /* 0 = memory, 1 = I/O, 2 = PCI config */
    ULONG64 ResetAddress;
    UCHAR ResetValue;
    /* HPET */
    ULONG64 HpetAddress;        /* 0 if none */
    /* SPCR: the firmware's serial console, if it names a 16550 */
    BOOLEAN HaveSpcr;
    HAL_UART_DESC Spcr;
    ULONG TableCount;
    /* Added by hw/acpi*.c: the table list with addresses, and facts the
     * `acpi` command prints. */
    HAL_ACPI_TABLE Tables[HAL_MAX_ACPI_TABLES];
    ULONG64 RootTableAddress;   /* XSDT if used, else RSDT */
    BOOLEAN UsingXsdt;
    ULONG64 DsdtAddress;
    ULONG ProcessorEntries;     /* LAPIC/x2APIC entries, enabled or not */
    BOOLEAN QemuTables;         /* FADT from QEMU's table builder (OEM BOCHS/BXPC) */
    ULONG ApicIds[HAL_MAX_CPUS];    /* local APIC ids of the enabled CPUs, MADT order */
    ULONG ApicIdCount;              /* <= CpuCount: the ids past HAL_MAX_CPUS are dropped */
} HAL_ACPI_INFO;

/* Parses all tables reachable from the RSDP, validating checksums; a table
 * with a bad checksum is logged and ignored. */
NTSTATUS HalAcpiInit(ULONG64 RsdpPhys);
const HAL_ACPI_INFO *HalGetAcpiInfo(VOID);

/* ---- PCI configuration space (hw/pci.c): ECAM from MCFG, else 0xCF8 ---- */
ULONG HalPciRead32(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset);
USHORT HalPciRead16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset);
UCHAR HalPciRead8(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset);
VOID HalPciWrite32(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, ULONG Value);
VOID HalPciWrite16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, USHORT Value);
VOID HalPciWrite8(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, UCHAR Value);

#define HAL_PCI_MAX_FUNCTIONS 256
typedef struct _HAL_PCI_BAR {
    ULONG64 Base;       /* 0 if the BAR is absent */
    ULONG64 Size;
    BOOLEAN Io, Is64, Prefetchable;
} HAL_PCI_BAR;
typedef struct _HAL_PCI_FUNCTION {
    USHORT Segment; UCHAR Bus, Device, Function;
    USHORT VendorId, DeviceId, SubVendorId, SubSystemId;
    UCHAR Revision, ClassCode, SubClass, ProgIf, HeaderType;
    UCHAR InterruptLine, InterruptPin;  /* pin 1..4 = INTA..INTD, 0 none */
    HAL_PCI_BAR Bars[6];
    UCHAR MsiCap, MsixCap, PmCap, PcieCap; /* config offsets, 0 if absent */
} HAL_PCI_FUNCTION;
/* Enumerates every bus (recursing through bridges), sizing BARs. */
VOID HalPciEnumerate(VOID);
ULONG HalPciFunctionCount(VOID);
const HAL_PCI_FUNCTION *HalPciGetFunction(ULONG Index);
/* Walks the capability list; returns the offset of capability Id, or 0. */
UCHAR HalPciFindCapability(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, UCHAR Id);

/* ---- interrupt controllers (hw/apic.c, hw/ioapic.c, hw/msi.c) ---- */
VOID HalInitInterrupts(VOID);          /* mask 8259s, LAPIC on (x2APIC if offered), IOAPICs masked */
VOID HalEndOfInterrupt(VOID);          /* LAPIC EOI */
VOID HalSetTaskPriority(KIRQL Irql);   /* CR8 / TPR */
ULONG HalGetApicId(VOID);
BOOLEAN HalIsX2Apic(VOID);
/* Route a GSI (IOAPIC input) to Vector on this CPU.  LevelTriggered and
 * ActiveLow as the source requires (PCI INTx: level, active low). */
NTSTATUS HalRouteGsi(ULONG Gsi, ULONG Vector, BOOLEAN LevelTriggered, BOOLEAN ActiveLow);
VOID HalMaskGsi(ULONG Gsi, BOOLEAN Mask);
/* ISA IRQ -> GSI through the MADT interrupt source overrides (identity
 * when none); HalRouteGsi applies an override's polarity/trigger itself. */
ULONG HalIsaIrqToGsi(UCHAR Irq);
/* The GSI for a PCI function's INTx pin, from the interrupt line firmware
 * programmed (and the MADT overrides).  0xFFFFFFFF if unknown. */
ULONG HalPciInterruptGsi(const HAL_PCI_FUNCTION *Function);
/* Application processors: how many the MADT lists besides this one and
 * how many HalInitInterrupts parked with an INIT IPI. */
ULONG HalQueryParkedProcessors(VOID);
/* MSI message for Vector to this CPU (Intel SDM 10.11). */
VOID HalComposeMsi(ULONG Vector, PULONG64 Address, PULONG Data);
/* One-shot/periodic LAPIC timer on Vector, period in microseconds. */
VOID HalStartPeriodicTimer(ULONG Vector, ULONG PeriodUs);

/* ---- platform timers (hw/hpet.c, hw/pmtimer.c, hw/pit.c) ---- */
typedef enum _HAL_CLOCK { HalClockHpet, HalClockPmTimer, HalClockPit } HAL_CLOCK;
/* Busy-waits Us microseconds against Clock, the TSC delta over the wait
 * out; used only to calibrate the TSC.  FALSE if that clock is absent or
 * does not count.  The PIT accepts 1 us..27 ms. */
BOOLEAN HalCalibrationStallWith(HAL_CLOCK Clock, ULONG Us, PULONG64 TscDelta);
/* The same against the HPET, else the ACPI PM timer. */
BOOLEAN HalCalibrationStall(ULONG Us, PULONG64 TscDelta);

/* ---- power (hw/power.c) ---- */
__attribute__((noreturn)) VOID HalPowerOff(VOID);  /* ACPI S5, then fallbacks */
BOOLEAN HalIsQemu(VOID);   /* QEMU's ACPI tables and the CPUID hypervisor bit */
__attribute__((noreturn)) VOID HalReboot(VOID);    /* FADT reset reg, 0xCF9, 8042, triple fault */

#endif
