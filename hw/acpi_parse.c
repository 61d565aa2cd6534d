/* acpi_parse.c - walks the ACPI tables from the RSDP (ACPI 6.5, 5.2) and
 * extracts what the HAL needs: MADT (CPUs, local APIC, IOAPICs, ISA
 * overrides), MCFG (ECAM), FADT (PM1 control, PM timer, reset register,
 * DSDT -> \_S5) and HPET.  Host-testable: memory is reached only through
 * the HALP_ACPI_ACCESS callbacks.  Every table's length is bounded and its
 * checksum verified before one byte of it is believed; a bad table is
 * logged with its signature and address and left out. */
#include <wdm.h>
#include "acpip.h"
#include <regs/acpi.h>

UCHAR HalpAcpiChecksum(const UCHAR *Bytes, ULONG Length)
{
    UCHAR sum = 0;
    for (ULONG i = 0; i < Length; i++)
        sum = (UCHAR)(sum + Bytes[i]);
    return sum;
}

/* Copies Count bytes of firmware text, printable ASCII only, trailing
 * blanks dropped, NUL-terminated (Dest holds Count + 1). */
static VOID HalpCopyText(PCHAR Dest, const UCHAR *Src, ULONG Count)
{
    ULONG n = 0;
    for (ULONG i = 0; i < Count; i++)
        Dest[i] = (Src[i] >= 0x20 && Src[i] < 0x7F) ? (CHAR)Src[i] : '?';
    for (n = Count; n > 0 && (Dest[n - 1] == ' ' || Src[n - 1] == 0); n--)
        ;
    Dest[n] = 0;
}

static VOID HalpSignature(PCHAR Dest, const UCHAR *Header)
{
    for (ULONG i = 0; i < 4; i++)
        Dest[i] = (Header[i] >= 0x20 && Header[i] < 0x7F) ? (CHAR)Header[i] : '?';
    Dest[4] = 0;
}

static BOOLEAN HalpSignatureIs(const UCHAR *Header, PCSTR Sig)
{
    return Header[0] == (UCHAR)Sig[0] && Header[1] == (UCHAR)Sig[1] &&
           Header[2] == (UCHAR)Sig[2] && Header[3] == (UCHAR)Sig[3];
}

/* Adds a row to the table list; NULL when the list is full. */
static HAL_ACPI_TABLE *HalpRecordTable(HAL_ACPI_INFO *Info, ULONG64 Phys, const UCHAR *Header)
{
    HAL_ACPI_TABLE *t;

    if (Info->TableCount >= HAL_MAX_ACPI_TABLES)
        return NULL;
    t = &Info->Tables[Info->TableCount];
    HalpSignature(t->Signature, Header);
    HalpCopyText(t->OemId, Header + ACPI_HDR_OFF_OEMID, 6);
    HalpCopyText(t->OemTableId, Header + ACPI_HDR_OFF_OEM_TABLE_ID, 8);
    t->Revision = Header[ACPI_HDR_OFF_REVISION];
    t->Length = HalpRead32(Header + ACPI_HDR_OFF_LENGTH);
    t->Address = Phys;
    t->ChecksumOk = FALSE;
    Info->TableCount++;
    return t;
}

/* Maps the whole table at Phys after checking its length and checksum.
 * On success *Length is its length; the caller unmaps.  NULL (logged)
 * when the table is unreachable, too short, too long or corrupt. */
static const UCHAR *HalpMapTable(const HALP_ACPI_ACCESS *Access, ULONG64 Phys,
                                 HAL_ACPI_INFO *Info, PULONG Length)
{
    const UCHAR *header, *table;
    CHAR sig[5];
    HAL_ACPI_TABLE *row;
    ULONG length;

    header = Access->Map(Access->Context, Phys, ACPI_HEADER_LENGTH);
    if (!header) {
        DbgPrint("acpi: table at 0x%llx cannot be mapped, ignored\n", (unsigned long long)Phys);
        return NULL;
    }
    HalpSignature(sig, header);
    length = HalpRead32(header + ACPI_HDR_OFF_LENGTH);
    row = HalpRecordTable(Info, Phys, header);
    Access->Unmap(Access->Context, header, ACPI_HEADER_LENGTH);

    if (length < ACPI_HEADER_LENGTH || length > HALP_ACPI_MAX_TABLE_LENGTH) {
        DbgPrint("acpi: table %s at 0x%llx has length %u (must be %u..%u), ignored\n", sig,
                 (unsigned long long)Phys, length, ACPI_HEADER_LENGTH, HALP_ACPI_MAX_TABLE_LENGTH);
        return NULL;
    }
    table = Access->Map(Access->Context, Phys, length);
    if (!table) {
        DbgPrint("acpi: table %s at 0x%llx (%u bytes) cannot be mapped, ignored\n", sig,
                 (unsigned long long)Phys, length);
        return NULL;
    }
    if (HalpAcpiChecksum(table, length) != 0) {
        DbgPrint("acpi: table %s at 0x%llx has a bad checksum, ignored\n", sig,
                 (unsigned long long)Phys);
        Access->Unmap(Access->Context, table, length);
        return NULL;
    }
    if (row)
        row->ChecksumOk = TRUE;
    *Length = length;
    return table;
}

/* An enabled processor entry: counted, its APIC id kept for parking. */
static VOID HalpRecordCpu(HAL_ACPI_INFO *Info, ULONG ApicId)
{
    Info->CpuCount++;
    if (Info->ApicIdCount < HAL_MAX_CPUS)
        Info->ApicIds[Info->ApicIdCount++] = ApicId;
    else if (Info->CpuCount == HAL_MAX_CPUS + 1)
        DbgPrint("acpi: more than %u CPUs, the rest are not parked\n", HAL_MAX_CPUS);
}

VOID HalpAcpiParseMadt(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info)
{
    ULONG p = ACPI_MADT_OFF_ENTRIES;

    if (Length < ACPI_MADT_OFF_ENTRIES) {
        DbgPrint("acpi: MADT too short (%u bytes)\n", Length);
        return;
    }
    Info->LocalApicAddress = HalpRead32(Table + ACPI_MADT_OFF_LAPIC_ADDRESS);
    Info->PcAtCompatible = (HalpRead32(Table + ACPI_MADT_OFF_FLAGS) & ACPI_MADT_PCAT_COMPAT) != 0;

    while (Length - p >= 2) {
        UCHAR type = Table[p], len = Table[p + 1];
        const UCHAR *e = Table + p;
        if (len < 2 || len > Length - p) {
            DbgPrint("acpi: MADT entry at offset %u has length %u, rest of MADT ignored\n", p, len);
            break;
        }
        switch (type) {
        case ACPI_MADT_LOCAL_APIC:
            if (len < 8)
                break;
            Info->ProcessorEntries++;
            if (HalpRead32(e + 4) & ACPI_MADT_LAPIC_ENABLED)
                HalpRecordCpu(Info, e[3]);      /* 5.2.12.2: APIC ID at byte 3 */
            break;
        case ACPI_MADT_LOCAL_X2APIC:
            if (len < 16)
                break;
            Info->ProcessorEntries++;
            if (HalpRead32(e + 8) & ACPI_MADT_LAPIC_ENABLED)
                HalpRecordCpu(Info, HalpRead32(e + 4));     /* 5.2.12.12 */
            break;
        case ACPI_MADT_IO_APIC:
            if (len < 12)
                break;
            if (Info->IoApicCount >= HAL_MAX_IOAPICS) {
                DbgPrint("acpi: more than %u IOAPICs, id %u ignored\n", HAL_MAX_IOAPICS, e[2]);
                break;
            }
            Info->IoApics[Info->IoApicCount].Id = e[2];
            Info->IoApics[Info->IoApicCount].Address = HalpRead32(e + 4);
            Info->IoApics[Info->IoApicCount].GsiBase = HalpRead32(e + 8);
            Info->IoApicCount++;
            break;
        case ACPI_MADT_ISO:
            if (len < 10)
                break;
            if (e[2] != 0) {    /* 5.2.12.5: bus 0 = ISA is the only one defined */
                DbgPrint("acpi: interrupt override for bus %u ignored\n", e[2]);
                break;
            }
            if (Info->OverrideCount >= HAL_MAX_OVERRIDES) {
                DbgPrint("acpi: more than %u interrupt overrides, IRQ %u ignored\n",
                         HAL_MAX_OVERRIDES, e[3]);
                break;
            }
            Info->Overrides[Info->OverrideCount].Source = e[3];
            Info->Overrides[Info->OverrideCount].Gsi = HalpRead32(e + 4);
            Info->Overrides[Info->OverrideCount].Flags = HalpRead16(e + 8);
            Info->OverrideCount++;
            break;
        case ACPI_MADT_LAPIC_OVERRIDE:
            if (len < 12)
                break;
            Info->LocalApicAddress = HalpRead64(e + 4);
            break;
        default:
            break;
        }
        p += len;
    }
}

VOID HalpAcpiParseMcfg(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info)
{
    for (ULONG p = ACPI_MCFG_OFF_ENTRIES; p <= Length && Length - p >= ACPI_MCFG_ENTRY_LENGTH;
         p += ACPI_MCFG_ENTRY_LENGTH) {
        ULONG64 base = HalpRead64(Table + p);
        USHORT seg = HalpRead16(Table + p + 8);
        UCHAR start = Table[p + 10], end = Table[p + 11];
        if (base == 0 || end < start) {
            DbgPrint("acpi: MCFG entry base=0x%llx seg=%u buses %u-%u is invalid, ignored\n",
                     (unsigned long long)base, seg, start, end);
            continue;
        }
        if (Info->EcamCount >= HAL_MAX_ECAM) {
            DbgPrint("acpi: more than %u ECAM regions, segment %u ignored\n", HAL_MAX_ECAM, seg);
            continue;
        }
        Info->Ecam[Info->EcamCount].Base = base;
        Info->Ecam[Info->EcamCount].Segment = seg;
        Info->Ecam[Info->EcamCount].StartBus = start;
        Info->Ecam[Info->EcamCount].EndBus = end;
        Info->EcamCount++;
    }
}

/* An FADT field exists only if the table is long enough to hold it: the
 * FADT grew with every ACPI revision (5.2.9). */
#define FADT_HAS(len, off, size) ((len) >= (ULONG)(off) + (size))

/* A 64-bit X_ block, if present, non-zero and in I/O space, overrides the
 * 32-bit legacy port (5.2.9: "If this field contains a nonzero value then
 * field ... must be ignored by OSPM"). */
static ULONG HalpFadtIoBlock(const UCHAR *Table, ULONG Length, ULONG LegacyOff, ULONG XOff,
                             PCSTR Name)
{
    ULONG port = FADT_HAS(Length, LegacyOff, 4) ? HalpRead32(Table + LegacyOff) : 0;

    if (FADT_HAS(Length, XOff, ACPI_GAS_LENGTH)) {
        const UCHAR *gas = Table + XOff;
        ULONG64 address = HalpRead64(gas + ACPI_GAS_OFF_ADDRESS);
        if (address != 0) {
            if (gas[ACPI_GAS_OFF_SPACE] == ACPI_SPACE_IO && address <= 0xFFFF)
                port = (ULONG)address;
            else
                DbgPrint("acpi: FADT X_%s in space %u at 0x%llx is not supported, using 0x%x\n",
                         Name, gas[ACPI_GAS_OFF_SPACE], (unsigned long long)address, port);
        }
    }
    if (port > 0xFFFF) {
        DbgPrint("acpi: FADT %s port 0x%x is beyond the I/O space, ignored\n", Name, port);
        port = 0;
    }
    return port;
}

VOID HalpAcpiParseFadt(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info)
{
    ULONG flags = FADT_HAS(Length, ACPI_FADT_OFF_FLAGS, 4) ? HalpRead32(Table + ACPI_FADT_OFF_FLAGS) : 0;

    Info->HaveFadt = TRUE;
    /* IAPC_BOOT_ARCH was reserved before FADT revision 3 (ACPI 2.0): an
     * older table says nothing about an 8042 (Linux reads it the same). */
    if (FADT_HAS(Length, ACPI_FADT_OFF_IAPC_BOOT_ARCH, 2) &&
        Table[ACPI_HDR_OFF_REVISION] >= ACPI_FADT_REV_BOOT_ARCH) {
        Info->HaveBootArch = TRUE;
        Info->BootArch = HalpRead16(Table + ACPI_FADT_OFF_IAPC_BOOT_ARCH);
    }
    if (FADT_HAS(Length, ACPI_FADT_OFF_SCI_INT, 2))
        Info->SciInterrupt = HalpRead16(Table + ACPI_FADT_OFF_SCI_INT);
    if (FADT_HAS(Length, ACPI_FADT_OFF_DSDT, 4))
        Info->DsdtAddress = HalpRead32(Table + ACPI_FADT_OFF_DSDT);
    if (FADT_HAS(Length, ACPI_FADT_OFF_X_DSDT, 8) && HalpRead64(Table + ACPI_FADT_OFF_X_DSDT))
        Info->DsdtAddress = HalpRead64(Table + ACPI_FADT_OFF_X_DSDT);

    Info->Pm1aControlBlock = HalpFadtIoBlock(Table, Length, ACPI_FADT_OFF_PM1A_CNT_BLK,
                                             ACPI_FADT_OFF_X_PM1A_CNT, "PM1a_CNT_BLK");
    Info->Pm1bControlBlock = HalpFadtIoBlock(Table, Length, ACPI_FADT_OFF_PM1B_CNT_BLK,
                                             ACPI_FADT_OFF_X_PM1B_CNT, "PM1b_CNT_BLK");
    Info->PmTimerBlock = HalpFadtIoBlock(Table, Length, ACPI_FADT_OFF_PM_TMR_BLK,
                                         ACPI_FADT_OFF_X_PM_TMR, "PM_TMR_BLK");
    Info->PmTimer32Bit = (flags & ACPI_FADT_TMR_VAL_EXT) != 0;

    /* RESET_REG is valid only with RESET_REG_SUP (5.2.9, Table 5.10). */
    if ((flags & ACPI_FADT_RESET_REG_SUP) && FADT_HAS(Length, ACPI_FADT_OFF_RESET_VALUE, 1)) {
        const UCHAR *gas = Table + ACPI_FADT_OFF_RESET_REG;
        UCHAR space = gas[ACPI_GAS_OFF_SPACE];
        ULONG64 address = HalpRead64(gas + ACPI_GAS_OFF_ADDRESS);
        if (address != 0 && space <= ACPI_SPACE_PCI_CONFIG &&
            (space != ACPI_SPACE_IO || address <= 0xFFFF)) {
            Info->HaveResetReg = TRUE;
            Info->ResetSpace = space;
            Info->ResetAddress = address;
            Info->ResetValue = Table[ACPI_FADT_OFF_RESET_VALUE];
        } else {
            DbgPrint("acpi: FADT reset register space %u address 0x%llx is unusable\n", space,
                     (unsigned long long)address);
        }
    }
}

VOID HalpAcpiParseHpet(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info)
{
    const UCHAR *gas;

    if (Length < ACPI_HPET_OFF_BASE + ACPI_GAS_LENGTH) {
        DbgPrint("acpi: HPET table too short (%u bytes)\n", Length);
        return;
    }
    gas = Table + ACPI_HPET_OFF_BASE;
    if (gas[ACPI_GAS_OFF_SPACE] != ACPI_SPACE_MEMORY) {
        DbgPrint("acpi: HPET in address space %u is not supported\n", gas[ACPI_GAS_OFF_SPACE]);
        return;
    }
    Info->HpetAddress = HalpRead64(gas + ACPI_GAS_OFF_ADDRESS);
}

/* SPCR (Microsoft's Serial Port Console Redirection table): the port
 * firmware itself used as a console, on boards without COM1 at 0x3F8 (an
 * MMIO UART with 32-bit registers on many Intel laptops and servers' BMC
 * ports).  Only the 16550 family is driven; anything else is named. */
VOID HalpAcpiParseSpcr(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info)
{
    static const ULONG bauds[8] = { 0, 0, 0, 9600, 19200, 0, 57600, 115200 };
    const UCHAR *gas;
    UCHAR type, space, bits, access, baud;
    ULONG64 address;

    if (Length < ACPI_SPCR_MIN_LENGTH) {
        DbgPrint("acpi: SPCR table too short (%u bytes)\n", Length);
        return;
    }
    type = Table[ACPI_SPCR_OFF_INTERFACE];
    if (type != ACPI_SPCR_IF_16550 && type != ACPI_SPCR_IF_16450 &&
        type != ACPI_SPCR_IF_16550_GAS) {
        DbgPrint("acpi: SPCR names a UART of interface type 0x%02x, not a 16550: not used\n", type);
        return;
    }
    gas = Table + ACPI_SPCR_OFF_BASE;
    space = gas[ACPI_GAS_OFF_SPACE];
    bits = gas[ACPI_GAS_OFF_BIT_WIDTH];
    access = gas[ACPI_GAS_OFF_ACCESS_SIZE];
    address = HalpRead64(gas + ACPI_GAS_OFF_ADDRESS);
    baud = Table[ACPI_SPCR_OFF_BAUD];
    if ((space != ACPI_SPACE_MEMORY && space != ACPI_SPACE_IO) || address == 0 ||
        (space == ACPI_SPACE_IO && address > 0xFFF8)) {
        DbgPrint("acpi: SPCR UART in space %u at 0x%llx is unusable\n", space,
                 (unsigned long long)address);
        return;
    }
    if (baud >= 8 || (baud && !bauds[baud])) {
        DbgPrint("acpi: SPCR baud rate code %u is not defined: the UART is left as set\n", baud);
        baud = 0;
    }
    Info->HaveSpcr = TRUE;
    Info->Spcr.Mmio = space == ACPI_SPACE_MEMORY;
    Info->Spcr.Address = address;
    /* 32-bit registers (bit width 32) sit 4 bytes apart and are read
     * whole; an access size of dword says the same on tables that leave
     * the width 8. */
    Info->Spcr.Stride = (bits == 32 || access == 3) && Info->Spcr.Mmio ? 4 : 1;
    Info->Spcr.Width = access == 3 && Info->Spcr.Mmio ? 4 : 1;
    Info->Spcr.Baud = bauds[baud];
}

/* QEMU builds its ACPI tables itself (hw/acpi/aml-build.c) with OEM ID
 * "BOCHS " and OEM table ID "BXPC" plus padding or the signature, for
 * OVMF and SeaBIOS alike; firmware of real boards writes its own vendor.
 * Only the checksummed FADT counts. */
static BOOLEAN HalpTablesAreQemus(const UCHAR *Fadt)
{
    return RtlEqualMemory(Fadt + ACPI_HDR_OFF_OEMID, "BOCHS ", 6) &&
           RtlEqualMemory(Fadt + ACPI_HDR_OFF_OEM_TABLE_ID, "BXPC", 4);
}

/* Dispatches one table found in the root table. */
static VOID HalpParseTable(const HALP_ACPI_ACCESS *Access, ULONG64 Phys, HAL_ACPI_INFO *Info)
{
    ULONG length;
    const UCHAR *t = HalpMapTable(Access, Phys, Info, &length);

    if (!t)
        return;
    if (HalpSignatureIs(t, ACPI_SIG_FADT) && !Info->HaveFadt)
        Info->QemuTables = HalpTablesAreQemus(t);
    if (HalpSignatureIs(t, ACPI_SIG_MADT))
        HalpAcpiParseMadt(t, length, Info);
    else if (HalpSignatureIs(t, ACPI_SIG_MCFG))
        HalpAcpiParseMcfg(t, length, Info);
    else if (HalpSignatureIs(t, ACPI_SIG_HPET))
        HalpAcpiParseHpet(t, length, Info);
    else if (HalpSignatureIs(t, ACPI_SIG_SPCR))
        HalpAcpiParseSpcr(t, length, Info);
    else if (HalpSignatureIs(t, ACPI_SIG_FADT) && !Info->HaveFadt)
        HalpAcpiParseFadt(t, length, Info);
    Access->Unmap(Access->Context, t, length);
}

static VOID HalpParseDsdt(const HALP_ACPI_ACCESS *Access, HAL_ACPI_INFO *Info)
{
    ULONG length;
    const UCHAR *t;

    if (Info->DsdtAddress == 0)
        return;
    t = HalpMapTable(Access, Info->DsdtAddress, Info, &length);
    if (!t)
        return;
    if (!HalpSignatureIs(t, ACPI_SIG_DSDT)) {
        DbgPrint("acpi: FADT's DSDT pointer 0x%llx does not point at a DSDT\n",
                 (unsigned long long)Info->DsdtAddress);
    } else if (HalpAmlFindS5(t + ACPI_HEADER_LENGTH, length - ACPI_HEADER_LENGTH,
                             &Info->SlpTypA, &Info->SlpTypB)) {
        Info->HaveS5 = TRUE;
    } else {
        DbgPrint("acpi: no constant \\_S5 package in the DSDT\n");
    }
    Access->Unmap(Access->Context, t, length);
}

/* Validates the root table (XSDT if Xsdt, else RSDT) and parses each table
 * it points to.  FALSE if the root table itself is unusable. */
static BOOLEAN HalpParseRoot(const HALP_ACPI_ACCESS *Access, ULONG64 Phys, BOOLEAN Xsdt,
                             HAL_ACPI_INFO *Info)
{
    ULONG length, entrySize = Xsdt ? 8 : 4, count;
    ULONG64 entries[HALP_ACPI_MAX_ROOT_ENTRIES];
    const UCHAR *t = HalpMapTable(Access, Phys, Info, &length);

    if (!t)
        return FALSE;
    if (!HalpSignatureIs(t, Xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT)) {
        DbgPrint("acpi: root table at 0x%llx is not an %s\n", (unsigned long long)Phys,
                 Xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT);
        Access->Unmap(Access->Context, t, length);
        return FALSE;
    }
    count = (length - ACPI_HEADER_LENGTH) / entrySize;
    if (count > HALP_ACPI_MAX_ROOT_ENTRIES) {
        DbgPrint("acpi: root table lists %u tables, only the first %u are read\n", count,
                 HALP_ACPI_MAX_ROOT_ENTRIES);
        count = HALP_ACPI_MAX_ROOT_ENTRIES;
    }
    for (ULONG i = 0; i < count; i++) {
        const UCHAR *e = t + ACPI_HEADER_LENGTH + i * entrySize;
        entries[i] = Xsdt ? HalpRead64(e) : HalpRead32(e);
    }
    Access->Unmap(Access->Context, t, length);

    Info->RootTableAddress = Phys;
    Info->UsingXsdt = Xsdt;
    for (ULONG i = 0; i < count; i++) {
        if (entries[i] != 0)
            HalpParseTable(Access, entries[i], Info);
    }
    HalpParseDsdt(Access, Info);
    return TRUE;
}

NTSTATUS HalpAcpiParse(const HALP_ACPI_ACCESS *Access, ULONG64 RsdpPhys, HAL_ACPI_INFO *Info)
{
    const UCHAR *rsdp;
    ULONG64 rsdt, xsdt = 0;
    ULONG length;

    RtlZeroMemory(Info, sizeof(*Info));
    Info->RsdpAddress = RsdpPhys;
    if (RsdpPhys == 0) {
        DbgPrint("acpi: the loader found no RSDP\n");
        return STATUS_DEVICE_DOES_NOT_EXIST;
    }
    rsdp = Access->Map(Access->Context, RsdpPhys, ACPI_RSDP_V1_LENGTH);
    if (!rsdp) {
        DbgPrint("acpi: RSDP at 0x%llx cannot be mapped\n", (unsigned long long)RsdpPhys);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!RtlEqualMemory(rsdp, ACPI_RSDP_SIGNATURE, 8) ||
        HalpAcpiChecksum(rsdp, ACPI_RSDP_V1_LENGTH) != 0) {
        DbgPrint("acpi: RSDP at 0x%llx has a bad signature or checksum\n",
                 (unsigned long long)RsdpPhys);
        Access->Unmap(Access->Context, rsdp, ACPI_RSDP_V1_LENGTH);
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    Info->Revision = rsdp[ACPI_RSDP_OFF_REVISION];
    HalpCopyText(Info->OemId, rsdp + ACPI_RSDP_OFF_OEMID, 6);
    rsdt = HalpRead32(rsdp + ACPI_RSDP_OFF_RSDT);
    Access->Unmap(Access->Context, rsdp, ACPI_RSDP_V1_LENGTH);

    /* 5.2.5.3: revision 2+ adds Length, the XSDT address and a checksum
     * over the whole structure. */
    if (Info->Revision >= 2) {
        rsdp = Access->Map(Access->Context, RsdpPhys, ACPI_RSDP_V2_LENGTH);
        length = rsdp ? HalpRead32(rsdp + ACPI_RSDP_OFF_LENGTH) : 0;
        if (rsdp)
            Access->Unmap(Access->Context, rsdp, ACPI_RSDP_V2_LENGTH);
        if (length < ACPI_RSDP_V2_LENGTH || length > PAGE_SIZE) {
            DbgPrint("acpi: RSDP length %u is invalid, using the RSDT\n", length);
        } else if (!(rsdp = Access->Map(Access->Context, RsdpPhys, length))) {
            DbgPrint("acpi: RSDP (%u bytes) cannot be mapped, using the RSDT\n", length);
        } else {
            if (HalpAcpiChecksum(rsdp, length) != 0)
                DbgPrint("acpi: RSDP extended checksum is bad, using the RSDT\n");
            else
                xsdt = HalpRead64(rsdp + ACPI_RSDP_OFF_XSDT);
            Access->Unmap(Access->Context, rsdp, length);
        }
    }

    if (xsdt != 0 && HalpParseRoot(Access, xsdt, TRUE, Info))
        return STATUS_SUCCESS;
    if (xsdt != 0)
        DbgPrint("acpi: XSDT unusable, falling back to the RSDT\n");
    if (rsdt != 0 && HalpParseRoot(Access, rsdt, FALSE, Info))
        return STATUS_SUCCESS;
    DbgPrint("acpi: no usable RSDT or XSDT\n");
    return STATUS_INVALID_IMAGE_FORMAT;
}
