/* acpip.h - the ACPI table parser's private interface.  The parser
 * (hw/acpi_parse.c, hw/acpi_aml.c) touches physical memory only through a
 * map callback, so host unit tests and the fuzzer feed it captured bytes
 * while the kernel (hw/acpi.c) maps real tables with MmMapIoSpace. */
#ifndef NTSTOR_ACPIP_H
#define NTSTOR_ACPIP_H

#include <ntdef.h>
#include <ntstatus.h>
#include <hal.h>

/* Largest table the parser will map (a big server DSDT is ~1 MiB). */
#define HALP_ACPI_MAX_TABLE_LENGTH (4u << 20)
/* Most entries read from an RSDT/XSDT. */
#define HALP_ACPI_MAX_ROOT_ENTRIES 64

/* Returns a pointer to Length readable bytes at physical Phys, or NULL. */
typedef const UCHAR *(*HALP_ACPI_MAP)(PVOID Context, ULONG64 Phys, ULONG Length);
typedef VOID (*HALP_ACPI_UNMAP)(PVOID Context, const UCHAR *Va, ULONG Length);

typedef struct _HALP_ACPI_ACCESS {
    HALP_ACPI_MAP Map;
    HALP_ACPI_UNMAP Unmap;
    PVOID Context;
} HALP_ACPI_ACCESS;

/* Little-endian readers for unaligned table bytes. */
static inline USHORT HalpRead16(const UCHAR *p) { return (USHORT)(p[0] | (p[1] << 8)); }
static inline ULONG HalpRead32(const UCHAR *p)
{
    return (ULONG)p[0] | ((ULONG)p[1] << 8) | ((ULONG)p[2] << 16) | ((ULONG)p[3] << 24);
}
static inline ULONG64 HalpRead64(const UCHAR *p)
{
    return (ULONG64)HalpRead32(p) | ((ULONG64)HalpRead32(p + 4) << 32);
}

/* Sum of Length bytes modulo 256; a valid table sums to 0. */
UCHAR HalpAcpiChecksum(const UCHAR *Bytes, ULONG Length);

/* Fills Info from everything reachable from the RSDP at RsdpPhys.
 * STATUS_SUCCESS when the RSDP and its root table are valid (individual bad
 * tables are logged and skipped); an error when there is nothing usable. */
NTSTATUS HalpAcpiParse(const HALP_ACPI_ACCESS *Access, ULONG64 RsdpPhys, HAL_ACPI_INFO *Info);

/* Parsers of single tables, given the whole checksummed table. */
VOID HalpAcpiParseMadt(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info);
VOID HalpAcpiParseMcfg(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info);
VOID HalpAcpiParseFadt(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info);
VOID HalpAcpiParseHpet(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info);
VOID HalpAcpiParseSpcr(const UCHAR *Table, ULONG Length, HAL_ACPI_INFO *Info);

/* Finds Name(\_S5_, Package(){a, b, ...}) in AML bytes (a DSDT or SSDT
 * body) and decodes SLP_TYPa/SLP_TYPb.  FALSE if absent or malformed. */
BOOLEAN HalpAmlFindS5(const UCHAR *Aml, ULONG Length, PUCHAR SlpTypA, PUCHAR SlpTypB);

#endif
