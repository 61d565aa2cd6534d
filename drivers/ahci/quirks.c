/* quirks.c - the one table of controller and disk errata, which functions
 * the driver takes by ID although their class code is not AHCI, and the one
 * routine that applies a quirk and says so, once, by the name `disks`
 * prints (NTSTOR_AHCI_QUIRK_NAMES in include/ntstor_ahci.h).
 *
 * Binding follows NT's INF model: system.cfg's Match lists what the driver
 * is offered (the class code PCI\CC_010601 and, as hardware IDs, the RAID-
 * and IDE-class functions below, as Linux's ahci_pci_tbl lists them); the
 * driver itself decides at AddDevice (AhciBindAllowed) with this table, as
 * a miniport checks the device it was given.  Sources: Linux
 * drivers/ata/ahci.c (ahci_pci_tbl, board flags, ahci_pci_save_initial_
 * config), libahci.c; the model of each family is in tests/unit/hba_model.c. */
#include "ahcip.h"
#include <pci.h>

#define AHCI_ANY_DEVICE 0xFFFF

#define AHCI_PCI_VENDOR_AMD_ATI     0x1002
#define AHCI_PCI_VENDOR_AMD         0x1022
#define AHCI_PCI_VENDOR_JMICRON     0x197B
#define AHCI_PCI_VENDOR_ASMEDIA     0x1B21
#define AHCI_PCI_VENDOR_MARVELL_EXT 0x1B4B

/* PCI class codes (PCI Code and ID Assignment 1.x, base 01h mass storage):
 * 0101xx IDE, 0104xx RAID. */
#define AHCI_PCI_CLASS_IDE          0x01
#define AHCI_PCI_CLASS_RAID         0x04

/* ASMedia ASM106x: 43 address bits (Linux board_ahci_43bit_dma). */
#define AHCI_DMA_LIMIT_43BIT        (1ull << 43)

typedef struct _AHCI_QUIRK_ENTRY {
    USHORT Vendor;
    USHORT Device;          /* AHCI_ANY_DEVICE: every function of Vendor */
    PCSTR Model;            /* disk entries: IDENTIFY model prefix; NULL: a controller entry */
    ULONG Quirks;           /* NTSTOR_AHCI_QUIRK_* */
    ULONG PortMask;         /* phantom-ports: the ports the silicon has */
    PCSTR Why;
} AHCI_QUIRK_ENTRY;

static const AHCI_QUIRK_ENTRY AhciQuirkTable[] = {
    /* Intel ICH/PCH: PCS (config 92h) port enables, which firmware may
     * leave clear and an HBA reset clears (Linux ahci_pci_reset_controller). */
    { AHCI_PCI_VENDOR_INTEL, AHCI_ANY_DEVICE, NULL, NTSTOR_AHCI_QUIRK_INTEL_PCS, 0,
      "Intel PCS port enables are set after each HBA reset" },
    /* Intel in RAID mode (class 0104): the same AHCI HBA, which Linux's
     * ahci binds by ID (ahci_pci_tbl "ICH8/9/10 RAID", "PCH RAID", ...). */
    { AHCI_PCI_VENDOR_INTEL, 0x2822, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel ICH RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x282A, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel RST RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x2826, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel PCH RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x1C04, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel CPT RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x1E04, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel PPT RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x8C04, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel LPT RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0x8C06, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel LPT RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0xA105, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel SPT RAID" },
    { AHCI_PCI_VENDOR_INTEL, 0xA107, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "Intel SPT RAID" },
    /* AMD SB600 and SB7xx: DMA above 4 GiB fails despite CAP.S64A (Linux
     * AHCI_HFLAG_32BIT_ONLY), and commands over 255 sectors are not
     * carried (Linux board_ahci_sb600's max_sectors 255).  0x4390 and
     * 0x4392/0x4393 are the IDE/RAID-mode functions of SB7xx. */
    { AHCI_PCI_VENDOR_AMD_ATI, 0x4380, NULL,
      NTSTOR_AHCI_QUIRK_NO_64BIT | NTSTOR_AHCI_QUIRK_MAX_255_SECTORS, 0, "AMD SB600 errata" },
    { AHCI_PCI_VENDOR_AMD_ATI, 0x4390, NULL, NTSTOR_AHCI_QUIRK_NO_64BIT |
      NTSTOR_AHCI_QUIRK_MAX_255_SECTORS | NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "AMD SB7xx errata" },
    { AHCI_PCI_VENDOR_AMD_ATI, 0x4391, NULL,
      NTSTOR_AHCI_QUIRK_NO_64BIT | NTSTOR_AHCI_QUIRK_MAX_255_SECTORS, 0, "AMD SB7xx errata" },
    { AHCI_PCI_VENDOR_AMD_ATI, 0x4392, NULL, NTSTOR_AHCI_QUIRK_NO_64BIT |
      NTSTOR_AHCI_QUIRK_MAX_255_SECTORS | NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "AMD SB7xx errata" },
    { AHCI_PCI_VENDOR_AMD_ATI, 0x4393, NULL, NTSTOR_AHCI_QUIRK_NO_64BIT |
      NTSTOR_AHCI_QUIRK_MAX_255_SECTORS | NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "AMD SB7xx errata" },
    /* AMD Hudson-2/FCH in RAID mode. */
    { AHCI_PCI_VENDOR_AMD, 0x7802, NULL, NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0, "AMD FCH RAID" },
    /* ASMedia ASM106x: 43 address bits. */
    { AHCI_PCI_VENDOR_ASMEDIA, 0x0601, NULL, NTSTOR_AHCI_QUIRK_DMA_43BIT, 0, "ASM106x DMA reaches 43 bits" },
    { AHCI_PCI_VENDOR_ASMEDIA, 0x0602, NULL, NTSTOR_AHCI_QUIRK_DMA_43BIT, 0, "ASM106x DMA reaches 43 bits" },
    { AHCI_PCI_VENDOR_ASMEDIA, 0x0611, NULL, NTSTOR_AHCI_QUIRK_DMA_43BIT, 0, "ASM106x DMA reaches 43 bits" },
    { AHCI_PCI_VENDOR_ASMEDIA, 0x0612, NULL, NTSTOR_AHCI_QUIRK_DMA_43BIT, 0, "ASM106x DMA reaches 43 bits" },
    /* ASM1166: six ports, PI says more (Linux ahci_pci_save_initial_config). */
    { AHCI_PCI_VENDOR_ASMEDIA, 0x1166, NULL, NTSTOR_AHCI_QUIRK_PHANTOM_PORTS, 0x3F,
      "ASM1166 has six ports" },
    /* JMicron JMB36x: function 0 is the AHCI HBA, under an IDE class code
     * when the firmware set IDE mode (Linux quirk_jmicron_ata), and raises
     * PxIS.IFS without an error (Linux AHCI_HFLAG_IGN_IRQ_IF_ERR); the
     * PATA function has no ABAR and is refused by AhciBindAllowed. */
    { AHCI_PCI_VENDOR_JMICRON, AHCI_ANY_DEVICE, NULL,
      NTSTOR_AHCI_QUIRK_IGNORE_IFS | NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0,
      "JMicron: interface-fatal interrupts without an error" },
    { AHCI_PCI_VENDOR_JMICRON, 0x2361, NULL, NTSTOR_AHCI_QUIRK_PHANTOM_PORTS, 0x1,
      "JMB361 has one SATA port" },
    /* Marvell 88SE91xx: PI includes the port of its internal PATA/virtual
     * device, which is no SATA port (Linux masks it from the port map). */
    { AHCI_PCI_VENDOR_MARVELL_EXT, 0x9123, NULL,
      NTSTOR_AHCI_QUIRK_PHANTOM_PORTS | NTSTOR_AHCI_QUIRK_BOUND_BY_ID, 0x3,
      "88SE91xx has two SATA ports" },
    /* Disks.  QEMU's AHCI model (hw/ide/ahci.c ncq_err/ncq_finish) reports
     * a failed NCQ command with an SDB FIS carrying ERR, no TFES, the tag
     * left in PxSACT and bit <tag> set in PxSERR; it has no READ LOG EXT. */
    { 0, 0, "QEMU", NTSTOR_AHCI_QUIRK_NCQ_ERROR_IN_SERR, 0,
      "QEMU disk, NCQ errors are found by PxSERR" },
};

static PCSTR AhciQuirkName(ULONG Bit)
{
#define AHCI_QUIRK_CASE(bit, name) if (Bit == (bit)) return name;
    NTSTOR_AHCI_QUIRK_NAMES(AHCI_QUIRK_CASE)
#undef AHCI_QUIRK_CASE
    return "?";
}

BOOLEAN AhciQuirkApply(PAHCI_CONTROLLER Ctrl, PAHCI_PORT Port, ULONG Quirk, PCSTR Why)
{
    PULONG flags = Port ? &Port->Quirks : &Ctrl->Quirks;

    if (*flags & Quirk)
        return FALSE;
    *flags |= Quirk;
    if (Port)
        DbgPrint("ahci%u: port %u: quirk %s: %s\n", Ctrl->Number, Port->Index,
                 AhciQuirkName(Quirk), Why);
    else
        DbgPrint("ahci%u: quirk %s: %s\n", Ctrl->Number, AhciQuirkName(Quirk), Why);
    return TRUE;
}

static BOOLEAN AhciEntryMatches(const AHCI_QUIRK_ENTRY *E, USHORT Vendor, USHORT Device)
{
    return !E->Model && E->Vendor == Vendor &&
           (E->Device == AHCI_ANY_DEVICE || E->Device == Device);
}

static BOOLEAN AhciClassIsAhci(ULONG ClassCode)
{
    return ClassCode == AHCI_PCI_CLASS_CODE;
}

BOOLEAN AhciBindAllowed(const UCHAR *Config, PCSTR *Why)
{
    USHORT vendor = (USHORT)(Config[PCI_CFG_VENDOR_ID] | (Config[PCI_CFG_VENDOR_ID + 1] << 8));
    USHORT device = (USHORT)(Config[PCI_CFG_DEVICE_ID] | (Config[PCI_CFG_DEVICE_ID + 1] << 8));
    ULONG cls = ((ULONG)Config[PCI_CFG_CLASS] << 16) | ((ULONG)Config[PCI_CFG_SUBCLASS] << 8) |
                Config[PCI_CFG_PROG_IF];
    ULONG off = PCI_CFG_BAR0 + 4 * AHCI_PCI_ABAR_INDEX;
    ULONG bar5 = Config[off] | (Config[off + 1] << 8) | (Config[off + 2] << 16) |
                 ((ULONG)Config[off + 3] << 24);

    if (AhciClassIsAhci(cls)) {
        *Why = "AHCI class code";
        return TRUE;
    }
    for (ULONG i = 0; i < ARRAYSIZE(AhciQuirkTable); i++) {
        const AHCI_QUIRK_ENTRY *e = &AhciQuirkTable[i];
        if (!AhciEntryMatches(e, vendor, device) || !(e->Quirks & NTSTOR_AHCI_QUIRK_BOUND_BY_ID))
            continue;
        if ((cls >> 16) != 0x01 || ((cls >> 8 & 0xFF) != AHCI_PCI_CLASS_IDE &&
                                     (cls >> 8 & 0xFF) != AHCI_PCI_CLASS_RAID)) {
            *Why = "known ID but not an IDE or RAID mass storage function";
            return FALSE;
        }
        /* AHCI 2.1.11: the HBA's registers are BAR5, a memory BAR.  An
         * IDE function of the same chip (JMicron's PATA) has none. */
        if (!bar5 || (bar5 & PCI_BAR_IO)) {
            *Why = "known ID but BAR5 is no memory BAR (not the AHCI function)";
            return FALSE;
        }
        *Why = e->Why;
        return TRUE;
    }
    *Why = "class code not AHCI and ID not in the driver's table";
    return FALSE;
}

VOID AhciQuirksController(PAHCI_CONTROLLER Ctrl)
{
    for (ULONG i = 0; i < ARRAYSIZE(AhciQuirkTable); i++) {
        const AHCI_QUIRK_ENTRY *e = &AhciQuirkTable[i];
        if (!AhciEntryMatches(e, Ctrl->VendorId, Ctrl->DeviceId))
            continue;
        for (ULONG q = e->Quirks; q; q &= q - 1) {
            ULONG bit = q & -q;
            if (bit == NTSTOR_AHCI_QUIRK_BOUND_BY_ID && AhciClassIsAhci(Ctrl->ClassCode))
                continue;       /* it would have been bound anyway */
            AhciQuirkApply(Ctrl, NULL, bit, e->Why);
        }
        if (e->PortMask)
            Ctrl->PortMask = e->PortMask;
    }
    if (Ctrl->Quirks & NTSTOR_AHCI_QUIRK_DMA_43BIT)
        Ctrl->DmaLimit = AHCI_DMA_LIMIT_43BIT;
}

VOID AhciQuirksPorts(PAHCI_CONTROLLER Ctrl)
{
    if (!(Ctrl->Quirks & NTSTOR_AHCI_QUIRK_PHANTOM_PORTS) || !Ctrl->PortMask ||
        !(Ctrl->PortsImplemented & ~Ctrl->PortMask))
        return;
    DbgPrint("ahci%u: PI %08x -> %08x (ports the silicon has)\n", Ctrl->Number,
             Ctrl->PortsImplemented, Ctrl->PortsImplemented & Ctrl->PortMask);
    Ctrl->PortsImplemented &= Ctrl->PortMask;
}

VOID AhciQuirksDevice(PAHCI_PORT Port)
{
    PAHCI_CONTROLLER ctrl = Port->Controller;

    for (ULONG i = 0; i < ARRAYSIZE(AhciQuirkTable); i++) {
        const AHCI_QUIRK_ENTRY *e = &AhciQuirkTable[i];
        ULONG n = 0;
        if (!e->Model)
            continue;
        while (e->Model[n] && e->Model[n] == Port->Device.Model[n])
            n++;
        if (e->Model[n])
            continue;
        for (ULONG q = e->Quirks; q; q &= q - 1)
            AhciQuirkApply(ctrl, Port, q & -q, e->Why);
    }
}
