/* test_hal_acpi.c - the ACPI table parser (hw/acpi_parse.c, hw/acpi_aml.c)
 * over tables built here byte by byte, with the values QEMU q35 + OVMF
 * publish: LAPIC 0xFEE00000, IOAPIC 0xFEC00000 at GSI 0, IRQ0 -> GSI 2,
 * ECAM 0xB0000000 buses 0-255, PM1a_CNT 0x604, PM timer 0x608, reset
 * register 0xCF9 value 6, \_S5 = {0, 0}. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "../../hw/acpip.h"
#include <regs/acpi.h>

/* ---- a fake physical memory ---- */
#define MEM_BASE 0x7FF00000ull
#define MEM_SIZE 0x10000u
static UCHAR mem[MEM_SIZE];
static int live_maps;

static const UCHAR *test_map(PVOID ctx, ULONG64 phys, ULONG len)
{
    if (phys < MEM_BASE || phys - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (phys - MEM_BASE))
        return NULL;
    live_maps++;
    return mem + (phys - MEM_BASE);
}
static void test_unmap(PVOID ctx, const UCHAR *va, ULONG len) { live_maps--; }
static const HALP_ACPI_ACCESS access = { test_map, test_unmap, NULL };

#define RSDP_AT  (MEM_BASE + 0x0000)
#define XSDT_AT  (MEM_BASE + 0x0100)
#define RSDT_AT  (MEM_BASE + 0x0200)
#define MADT_AT  (MEM_BASE + 0x0400)
#define MCFG_AT  (MEM_BASE + 0x0600)
#define FADT_AT  (MEM_BASE + 0x0800)
#define HPET_AT  (MEM_BASE + 0x0A00)
#define DSDT_AT  (MEM_BASE + 0x1000)

static UCHAR *at(ULONG64 phys) { return mem + (phys - MEM_BASE); }
static void put16(UCHAR *p, USHORT v) { p[0] = v; p[1] = v >> 8; }
static void put32(UCHAR *p, ULONG v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(UCHAR *p, ULONG64 v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static void put_gas(UCHAR *p, UCHAR space, UCHAR width, ULONG64 addr)
{
    p[0] = space; p[1] = width; p[2] = 0; p[3] = 1; put64(p + 4, addr);
}
static void fix_checksum(UCHAR *t, ULONG len, ULONG off)
{
    t[off] = 0;
    t[off] = (UCHAR)(0 - HalpAcpiChecksum(t, len));
}
static void header(ULONG64 phys, const char *sig, ULONG len, UCHAR rev)
{
    UCHAR *t = at(phys);
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "BOCHS ", 6);
    memcpy(t + 16, "BXPC    ", 8);
}
static void seal(ULONG64 phys) { fix_checksum(at(phys), HalpRead32(at(phys) + 4), 9); }

/* DSDT body: a Method containing the string "_S5_" first (must be skipped),
 * then Name(_S5_, Package(4){Zero, Zero, Zero, Zero}) as QEMU writes it. */
static const UCHAR dsdt_qemu_body[] = {
    0x14, 0x0A, 'X', 'M', 'T', 'H', 0x00, 0x0D, '_', 'S', '5', '_', 0x00,
    0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

static ULONG build_dsdt(const UCHAR *body, ULONG n)
{
    header(DSDT_AT, "DSDT", ACPI_HEADER_LENGTH + n, 1);
    memcpy(at(DSDT_AT) + ACPI_HEADER_LENGTH, body, n);
    seal(DSDT_AT);
    return ACPI_HEADER_LENGTH + n;
}

/* Builds the whole q35-like set; XSDT lists MADT, MCFG, FADT, HPET, and
 * the RSDT lists the same tables. */
static void build_q35(void)
{
    UCHAR *t;
    memset(mem, 0, sizeof(mem));

    t = at(RSDP_AT);
    memcpy(t, "RSD PTR ", 8);
    memcpy(t + 9, "BOCHS ", 6);
    t[15] = 2;
    put32(t + 16, (ULONG)RSDT_AT);
    put32(t + 20, 36);
    put64(t + 24, XSDT_AT);
    fix_checksum(t, 20, 8);
    fix_checksum(t, 36, 32);

    ULONG64 tables[] = { MADT_AT, MCFG_AT, FADT_AT, HPET_AT };
    header(XSDT_AT, "XSDT", 36 + 8 * 4, 1);
    header(RSDT_AT, "RSDT", 36 + 4 * 4, 1);
    for (int i = 0; i < 4; i++) {
        put64(at(XSDT_AT) + 36 + 8 * i, tables[i]);
        put32(at(RSDT_AT) + 36 + 4 * i, (ULONG)tables[i]);
    }
    seal(XSDT_AT);
    seal(RSDT_AT);

    /* MADT: 2 CPUs (one disabled), IOAPIC, overrides IRQ0->2 and IRQ9 level */
    t = at(MADT_AT);
    ULONG p = 44;
    put32(t + 36, 0xFEE00000);
    put32(t + 40, ACPI_MADT_PCAT_COMPAT);
    UCHAR cpu0[8] = { 0, 8, 0, 0, 1, 0, 0, 0 };
    UCHAR cpu1[8] = { 0, 8, 1, 1, 0, 0, 0, 0 };
    memcpy(t + p, cpu0, 8); p += 8;
    memcpy(t + p, cpu1, 8); p += 8;
    t[p] = 1; t[p + 1] = 12; t[p + 2] = 0; put32(t + p + 4, 0xFEC00000); put32(t + p + 8, 0); p += 12;
    t[p] = 2; t[p + 1] = 10; t[p + 2] = 0; t[p + 3] = 0; put32(t + p + 4, 2); put16(t + p + 8, 0); p += 10;
    t[p] = 2; t[p + 1] = 10; t[p + 2] = 0; t[p + 3] = 9; put32(t + p + 4, 9); put16(t + p + 8, 0xD); p += 10;
    header(MADT_AT, "APIC", p, 3);
    seal(MADT_AT);

    /* MCFG: one ECAM region */
    t = at(MCFG_AT);
    put64(t + 44, 0xB0000000);
    put16(t + 52, 0);
    t[54] = 0; t[55] = 255;
    header(MCFG_AT, "MCFG", 60, 1);
    seal(MCFG_AT);

    /* FADT revision 3 (244 bytes) as QEMU q35 */
    t = at(FADT_AT);
    put32(t + 40, (ULONG)DSDT_AT);
    put16(t + 46, 9);
    put32(t + 56, 0x600);
    put32(t + 64, 0x604);
    put32(t + 76, 0x608);
    t[91] = 4;
    put32(t + 112, ACPI_FADT_RESET_REG_SUP | ACPI_FADT_TMR_VAL_EXT);
    put_gas(t + 116, ACPI_SPACE_IO, 8, 0xCF9);
    t[128] = 6;
    put64(t + 140, DSDT_AT);
    put_gas(t + 172, ACPI_SPACE_IO, 16, 0x604);
    put_gas(t + 208, ACPI_SPACE_IO, 32, 0x608);
    header(FADT_AT, "FACP", 244, 3);
    seal(FADT_AT);

    /* HPET */
    t = at(HPET_AT);
    put32(t + 36, 0x8086A201);
    put_gas(t + 40, ACPI_SPACE_MEMORY, 64, 0xFED00000);
    header(HPET_AT, "HPET", 56, 1);
    seal(HPET_AT);

    build_dsdt(dsdt_qemu_body, sizeof(dsdt_qemu_body));
}

static HAL_ACPI_INFO info;

static NTSTATUS parse(void)
{
    live_maps = 0;
    NTSTATUS s = HalpAcpiParse(&access, RSDP_AT, &info);
    assert_int_equal(live_maps, 0);     /* every mapping was released */
    return s;
}

static const HAL_ACPI_TABLE *find_table(const char *sig)
{
    for (ULONG i = 0; i < info.TableCount; i++)
        if (strcmp((const char *)info.Tables[i].Signature, sig) == 0)
            return &info.Tables[i];
    return NULL;
}

static void test_q35_tables(void **state)
{
    build_q35();
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.Revision, 2);
    assert_string_equal((const char *)info.OemId, "BOCHS");
    assert_true(info.UsingXsdt);
    assert_int_equal(info.RootTableAddress, XSDT_AT);

    assert_int_equal(info.LocalApicAddress, 0xFEE00000);
    assert_int_equal(info.CpuCount, 1);
    assert_int_equal(info.ProcessorEntries, 2);
    assert_true(info.PcAtCompatible);
    assert_int_equal(info.IoApicCount, 1);
    assert_int_equal(info.IoApics[0].Address, 0xFEC00000);
    assert_int_equal(info.IoApics[0].GsiBase, 0);
    assert_int_equal(info.OverrideCount, 2);
    assert_int_equal(info.Overrides[0].Source, 0);
    assert_int_equal(info.Overrides[0].Gsi, 2);
    assert_int_equal(info.Overrides[1].Source, 9);
    assert_int_equal(info.Overrides[1].Flags, 0xD);

    assert_int_equal(info.EcamCount, 1);
    assert_int_equal(info.Ecam[0].Base, 0xB0000000);
    assert_int_equal(info.Ecam[0].StartBus, 0);
    assert_int_equal(info.Ecam[0].EndBus, 255);

    assert_true(info.HaveFadt);
    assert_int_equal(info.Pm1aControlBlock, 0x604);
    assert_int_equal(info.Pm1bControlBlock, 0);
    assert_int_equal(info.PmTimerBlock, 0x608);
    assert_true(info.PmTimer32Bit);
    assert_int_equal(info.SciInterrupt, 9);
    assert_true(info.HaveResetReg);
    assert_int_equal(info.ResetSpace, ACPI_SPACE_IO);
    assert_int_equal(info.ResetAddress, 0xCF9);
    assert_int_equal(info.ResetValue, 6);
    assert_int_equal(info.DsdtAddress, DSDT_AT);
    assert_true(info.HaveS5);
    assert_int_equal(info.SlpTypA, 0);
    assert_int_equal(info.SlpTypB, 0);

    assert_int_equal(info.HpetAddress, 0xFED00000);

    /* XSDT + 4 tables + DSDT, all valid */
    assert_int_equal(info.TableCount, 6);
    for (ULONG i = 0; i < info.TableCount; i++)
        assert_true(info.Tables[i].ChecksumOk);
    const HAL_ACPI_TABLE *madt = find_table("APIC");
    assert_non_null(madt);
    assert_int_equal(madt->Address, MADT_AT);
    assert_string_equal((const char *)madt->OemId, "BOCHS");
    assert_string_equal((const char *)madt->OemTableId, "BXPC");
    assert_string_equal((const char *)info.Tables[0].Signature, "XSDT");
}

static void test_rsdt_when_revision_0(void **state)
{
    build_q35();
    UCHAR *r = at(RSDP_AT);
    r[15] = 0;
    fix_checksum(r, 20, 8);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.UsingXsdt);
    assert_int_equal(info.RootTableAddress, RSDT_AT);
    assert_int_equal(info.IoApicCount, 1);
    assert_int_equal(info.Pm1aControlBlock, 0x604);
}

static void test_bad_rsdp_rejected(void **state)
{
    build_q35();
    at(RSDP_AT)[8] ^= 1;     /* v1 checksum */
    assert_int_not_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.TableCount, 0);

    build_q35();
    at(RSDP_AT)[0] = 'X';
    fix_checksum(at(RSDP_AT), 20, 8);
    assert_int_not_equal(parse(), STATUS_SUCCESS);

    assert_int_not_equal(HalpAcpiParse(&access, 0, &info), STATUS_SUCCESS);
    assert_int_not_equal(HalpAcpiParse(&access, 0x1000, &info), STATUS_SUCCESS); /* unmappable */
}

static void test_bad_extended_checksum_uses_rsdt(void **state)
{
    build_q35();
    at(RSDP_AT)[32] ^= 0x55;
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.UsingXsdt);
    assert_int_equal(info.CpuCount, 1);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
    build_q35();
    at(XSDT_AT)[40] ^= 0xFF;    /* corrupt an entry without fixing the checksum */
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.UsingXsdt);
    const HAL_ACPI_TABLE *x = find_table("XSDT");
    assert_non_null(x);
    assert_false(x->ChecksumOk);
    assert_int_equal(info.EcamCount, 1);
}

static void test_bad_table_checksum_ignored(void **state)
{
    build_q35();
    at(MADT_AT)[36] ^= 0x10;    /* LAPIC address changed, checksum stale */
    assert_int_equal(parse(), STATUS_SUCCESS);
    const HAL_ACPI_TABLE *madt = find_table("APIC");
    assert_non_null(madt);
    assert_false(madt->ChecksumOk);
    assert_int_equal(info.IoApicCount, 0);
    assert_int_equal(info.LocalApicAddress, 0);
    assert_int_equal(info.CpuCount, 0);
    /* the rest is still there */
    assert_int_equal(info.EcamCount, 1);
    assert_int_equal(info.HpetAddress, 0xFED00000);
    assert_true(info.HaveS5);

    build_q35();
    at(DSDT_AT)[40] ^= 1;
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.HaveS5);
    assert_false(find_table("DSDT")->ChecksumOk);
}

static void test_truncated_and_oversized_lengths(void **state)
{
    /* shorter than a header */
    build_q35();
    put32(at(MCFG_AT) + 4, 20);
    seal(MCFG_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.EcamCount, 0);
    assert_false(find_table("MCFG")->ChecksumOk);

    /* longer than the parser accepts */
    build_q35();
    put32(at(HPET_AT) + 4, HALP_ACPI_MAX_TABLE_LENGTH + 1);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.HpetAddress, 0);

    /* running past the end of mapped memory */
    build_q35();
    put32(at(DSDT_AT) + 4, MEM_SIZE);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.HaveS5);

    /* a valid HPET table too short to hold the base address */
    build_q35();
    put32(at(HPET_AT) + 4, 44);
    seal(HPET_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.HpetAddress, 0);
    assert_true(find_table("HPET")->ChecksumOk);
}

static void test_qemu_tables_recognized(void **state)
{
    /* QEMU's FADT: OEM "BOCHS ", table id "BXPC    " */
    build_q35();
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_true(info.QemuTables);

    /* a board's own firmware: the power-off fallback must not treat it as QEMU */
    build_q35();
    memcpy(at(FADT_AT) + 10, "ALASKA", 6);
    memcpy(at(FADT_AT) + 16, "A M I   ", 8);
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_true(info.HaveFadt);
    assert_false(info.QemuTables);

    /* BOCHS in another table only does not count */
    build_q35();
    memcpy(at(FADT_AT) + 16, "SOMEBRD ", 8);
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.QemuTables);
}

static void test_madt_entries(void **state)
{
    build_q35();
    /* Append a LAPIC address override and an x2APIC entry; then a zero
     * length entry that must stop the walk (not loop forever). */
    UCHAR *t = at(MADT_AT);
    ULONG p = HalpRead32(t + 4);
    t[p] = 5; t[p + 1] = 12; put64(t + p + 4, 0x1FEE00000ull); p += 12;
    t[p] = 9; t[p + 1] = 16; put32(t + p + 4, 300); put32(t + p + 8, 1); p += 16;
    t[p] = 1; t[p + 1] = 0; p += 2;
    t[p] = 1; t[p + 1] = 12; put32(t + p + 4, 0xFEC10000); p += 12; /* after the bad one */
    put32(t + 4, p);
    seal(MADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.LocalApicAddress, 0x1FEE00000ull);
    assert_int_equal(info.CpuCount, 2);
    assert_int_equal(info.ProcessorEntries, 3);
    /* the enabled CPUs' APIC ids, kept for parking: the disabled LAPIC
     * entry is not among them, the x2APIC id keeps all 32 bits */
    assert_int_equal(info.ApicIdCount, 2);
    assert_int_equal(info.ApicIds[1], 300);
    assert_int_equal(info.IoApicCount, 1);

    /* an entry whose length runs past the table */
    build_q35();
    t = at(MADT_AT);
    p = HalpRead32(t + 4);
    t[p] = 1; t[p + 1] = 40;
    put32(t + 4, p + 12);
    seal(MADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.IoApicCount, 1);
}

static void test_mcfg_invalid_entry(void **state)
{
    build_q35();
    UCHAR *t = at(MCFG_AT);
    t[54] = 10; t[55] = 5;          /* end < start */
    put64(t + 60, 0xE0000000);      /* a second, valid entry */
    t[70] = 0; t[71] = 63; put16(t + 68, 1);
    put32(t + 4, 76);
    seal(MCFG_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.EcamCount, 1);
    assert_int_equal(info.Ecam[0].Base, 0xE0000000);
    assert_int_equal(info.Ecam[0].Segment, 1);
    assert_int_equal(info.Ecam[0].EndBus, 63);
}

/* SPCR: the firmware's console UART (Microsoft SPCR spec, rev 2). */
static void spcr(UCHAR *t, UCHAR Type, UCHAR Space, UCHAR Bits, UCHAR Access, ULONG64 Address,
                 UCHAR Baud)
{
    memset(t, 0, 80);
    memcpy(t, "SPCR", 4);
    put32(t + 4, 80);
    t[36] = Type;
    t[40] = Space; t[41] = Bits; t[43] = Access;
    put64(t + 44, Address);
    t[58] = Baud;
}

static void test_spcr(void **state)
{
    UCHAR t[96];

    /* A 16550 in I/O space at COM2, 115200. */
    spcr(t, 0x00, 1, 8, 1, 0x2F8, 7);
    memset(&info, 0, sizeof(info));
    HalpAcpiParseSpcr(t, 80, &info);
    assert_true(info.HaveSpcr);
    assert_false(info.Spcr.Mmio);
    assert_int_equal(info.Spcr.Address, 0x2F8);
    assert_int_equal(info.Spcr.Stride, 1);
    assert_int_equal(info.Spcr.Baud, 115200);
    /* An MMIO UART with 32-bit registers (interface 12h), rate as set. */
    spcr(t, 0x12, 0, 32, 3, 0xFE034000, 0);
    memset(&info, 0, sizeof(info));
    HalpAcpiParseSpcr(t, 80, &info);
    assert_true(info.HaveSpcr);
    assert_true(info.Spcr.Mmio);
    assert_int_equal(info.Spcr.Stride, 4);
    assert_int_equal(info.Spcr.Width, 4);
    assert_int_equal(info.Spcr.Baud, 0);
    /* An undefined baud code leaves the rate as set, the UART is used. */
    spcr(t, 0x00, 1, 8, 1, 0x3F8, 5);
    memset(&info, 0, sizeof(info));
    HalpAcpiParseSpcr(t, 80, &info);
    assert_true(info.HaveSpcr);
    assert_int_equal(info.Spcr.Baud, 0);
    /* Not used: a PL011 (type 3), address 0, an I/O port past 64K, PCI
     * config space, a table cut short. */
    spcr(t, 0x03, 0, 32, 3, 0x9000000, 7);
    memset(&info, 0, sizeof(info));
    HalpAcpiParseSpcr(t, 80, &info);
    assert_false(info.HaveSpcr);
    spcr(t, 0x00, 1, 8, 1, 0, 7);
    HalpAcpiParseSpcr(t, 80, &info);
    assert_false(info.HaveSpcr);
    spcr(t, 0x00, 1, 8, 1, 0x10000, 7);
    HalpAcpiParseSpcr(t, 80, &info);
    assert_false(info.HaveSpcr);
    spcr(t, 0x00, 2, 8, 1, 0x3F8, 7);
    HalpAcpiParseSpcr(t, 80, &info);
    assert_false(info.HaveSpcr);
    spcr(t, 0x00, 1, 8, 1, 0x3F8, 7);
    HalpAcpiParseSpcr(t, 79, &info);
    assert_false(info.HaveSpcr);
}

static void test_fadt_legacy_and_x_fields(void **state)
{
    /* X_ field non-zero wins over the legacy one */
    build_q35();
    UCHAR *t = at(FADT_AT);
    put32(t + 64, 0x1004);
    put_gas(t + 172, ACPI_SPACE_IO, 16, 0x404);
    put_gas(t + 184, ACPI_SPACE_IO, 16, 0x2004);
    put32(t + 112, ACPI_FADT_RESET_REG_SUP);
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.Pm1aControlBlock, 0x404);
    assert_int_equal(info.Pm1bControlBlock, 0x2004);
    assert_false(info.PmTimer32Bit);

    /* ACPI 1.0 FADT (116 bytes): legacy fields only, no reset register */
    build_q35();
    t = at(FADT_AT);
    put32(t + 4, 116);
    t[8] = 1;
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_int_equal(info.Pm1aControlBlock, 0x604);
    assert_int_equal(info.PmTimerBlock, 0x608);
    assert_false(info.HaveResetReg);
    assert_int_equal(info.DsdtAddress, DSDT_AT);
    assert_true(info.HaveS5);

    /* RESET_REG without RESET_REG_SUP is not believed */
    build_q35();
    put32(at(FADT_AT) + 112, 0);
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.HaveResetReg);

    /* memory-space reset register */
    build_q35();
    put_gas(at(FADT_AT) + 116, ACPI_SPACE_MEMORY, 8, 0xFED80000);
    seal(FADT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_true(info.HaveResetReg);
    assert_int_equal(info.ResetSpace, ACPI_SPACE_MEMORY);
    assert_int_equal(info.ResetAddress, 0xFED80000);
}

static void test_dsdt_not_a_dsdt(void **state)
{
    build_q35();
    memcpy(at(DSDT_AT), "SSDT", 4);
    seal(DSDT_AT);
    assert_int_equal(parse(), STATUS_SUCCESS);
    assert_false(info.HaveS5);
}

/* ---- \_S5 decoding ---- */
static BOOLEAN s5(const UCHAR *aml, ULONG n, UCHAR *a, UCHAR *b)
{
    *a = *b = 0xEE;
    return HalpAmlFindS5(aml, n, a, b);
}

static void test_s5_encodings(void **state)
{
    UCHAR a, b;
    static const UCHAR byte_prefix[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x05 };
    assert_true(s5(byte_prefix, sizeof(byte_prefix), &a, &b));
    assert_int_equal(a, 5); assert_int_equal(b, 5);

    static const UCHAR root_zero_one[] = { 0x10, 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x01 };
    assert_true(s5(root_zero_one, sizeof(root_zero_one), &a, &b));
    assert_int_equal(a, 0); assert_int_equal(b, 1);

    static const UCHAR word_and_one_element[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0B, 0x07, 0x00 };
    assert_true(s5(word_and_one_element, sizeof(word_and_one_element), &a, &b));
    assert_int_equal(a, 7); assert_int_equal(b, 7);

    /* two-byte PkgLength: 0x41 0x01 = 1 | (1 << 4) = 17 bytes */
    UCHAR two_byte[32] = { 0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x01, 0x04, 0x0A, 0x03, 0x0A, 0x04 };
    assert_true(s5(two_byte, sizeof(two_byte), &a, &b));
    assert_int_equal(a, 3); assert_int_equal(b, 4);
    assert_false(s5(two_byte, 20, &a, &b));     /* package runs past the buffer */

    assert_true(s5(dsdt_qemu_body, sizeof(dsdt_qemu_body), &a, &b));
    assert_int_equal(a, 0); assert_int_equal(b, 0);
}

static void test_s5_malformed(void **state)
{
    UCHAR a, b;
    static const UCHAR no_name_op[] = { 0x0D, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x00, 0x00 };
    assert_false(s5(no_name_op, sizeof(no_name_op), &a, &b));
    static const UCHAR not_package[] = { 0x08, '_', 'S', '5', '_', 0x0A, 0x05 };
    assert_false(s5(not_package, sizeof(not_package), &a, &b));
    static const UCHAR truncated[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A };
    assert_false(s5(truncated, sizeof(truncated), &a, &b));
    static const UCHAR pkglen_short[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x02, 0x0A, 0x05, 0x0A, 0x05 };
    assert_false(s5(pkglen_short, sizeof(pkglen_short), &a, &b));
    static const UCHAR too_big[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x09, 0x00 };
    assert_false(s5(too_big, sizeof(too_big), &a, &b));
    static const UCHAR ones_op[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xFF, 0xFF };
    assert_false(s5(ones_op, sizeof(ones_op), &a, &b));
    static const UCHAR zero_elements[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 };
    assert_false(s5(zero_elements, sizeof(zero_elements), &a, &b));
    assert_false(s5(NULL, 0, &a, &b));
    static const UCHAR at_end[] = { 0x08, '_', 'S', '5', '_' };
    assert_false(s5(at_end, sizeof(at_end), &a, &b));
    assert_int_equal(a, 0xEE);  /* outputs untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q35_tables),
        cmocka_unit_test(test_rsdt_when_revision_0),
        cmocka_unit_test(test_bad_rsdp_rejected),
        cmocka_unit_test(test_bad_extended_checksum_uses_rsdt),
        cmocka_unit_test(test_bad_xsdt_falls_back_to_rsdt),
        cmocka_unit_test(test_bad_table_checksum_ignored),
        cmocka_unit_test(test_truncated_and_oversized_lengths),
        cmocka_unit_test(test_qemu_tables_recognized),
        cmocka_unit_test(test_madt_entries),
        cmocka_unit_test(test_mcfg_invalid_entry),
        cmocka_unit_test(test_spcr),
        cmocka_unit_test(test_fadt_legacy_and_x_fields),
        cmocka_unit_test(test_dsdt_not_a_dsdt),
        cmocka_unit_test(test_s5_encodings),
        cmocka_unit_test(test_s5_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
