/* test_hal_pci.c - capability list walking and BAR decoding
 * (hw/pci_decode.c) over fabricated configuration spaces, including the
 * broken ones a device or a malicious card can present. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "../../hw/pcip.h"
#include <regs/pci.h>

static UCHAR cfg[256];
static int reads;

static UCHAR read8(PVOID ctx, USHORT off)
{
    reads++;
    assert_true(off < sizeof(cfg));
    return cfg[off];
}

typedef struct { UCHAR ids[64], offs[64]; int n; UCHAR want; } visit_log;

static BOOLEAN visit(PVOID ctx, UCHAR id, UCHAR off)
{
    visit_log *v = ctx;
    v->ids[v->n] = id;
    v->offs[v->n] = off;
    v->n++;
    return id == v->want;
}

static void cap(UCHAR off, UCHAR id, UCHAR next) { cfg[off] = id; cfg[off + 1] = next; }

static void test_walk_q35_ahci(void **state)
{
    /* ICH9 AHCI in QEMU: MSI at 0x80 -> SATA cap (0x12) at 0xA8 */
    memset(cfg, 0, sizeof(cfg));
    cfg[PCI_CFG_CAP_PTR] = 0x80;
    cap(0x80, PCI_CAP_ID_MSI, 0xA8);
    cap(0xA8, 0x12, 0x00);
    visit_log v = { .want = PCI_CAP_ID_MSI };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &v), 0x80);
    assert_int_equal(v.n, 1);

    visit_log all = { .want = 0xEE };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &all), 0);
    assert_int_equal(all.n, 2);
    assert_int_equal(all.ids[1], 0x12);
    assert_int_equal(all.offs[1], 0xA8);
}

static void test_walk_masks_reserved_bits(void **state)
{
    memset(cfg, 0, sizeof(cfg));
    cfg[PCI_CFG_CAP_PTR] = 0x43;        /* low two bits reserved */
    cap(0x40, PCI_CAP_ID_PM, 0x52);
    cap(0x50, PCI_CAP_ID_PCIE, 0);
    visit_log v = { .want = PCI_CAP_ID_PCIE };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &v), 0x50);
    assert_int_equal(v.offs[0], 0x40);
}

static void test_walk_loop_is_bounded(void **state)
{
    memset(cfg, 0, sizeof(cfg));
    cfg[PCI_CFG_CAP_PTR] = 0x40;
    cap(0x40, PCI_CAP_ID_PM, 0x48);
    cap(0x48, PCI_CAP_ID_MSI, 0x40);    /* back to the start */
    visit_log v = { .want = PCI_CAP_ID_MSIX };
    reads = 0;
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &v), 0);
    assert_int_equal(v.n, PCI_CAP_MAX_ENTRIES);

    cap(0x40, PCI_CAP_ID_PM, 0x40);     /* points at itself */
    visit_log self = { .want = PCI_CAP_ID_MSIX };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &self), 0);
    assert_int_equal(self.n, PCI_CAP_MAX_ENTRIES);
}

static void test_walk_rejects_header_pointers(void **state)
{
    memset(cfg, 0, sizeof(cfg));
    cfg[PCI_CFG_CAP_PTR] = 0x3C;        /* inside the standard header */
    cap(0x3C, PCI_CAP_ID_MSI, 0);
    visit_log v = { .want = PCI_CAP_ID_MSI };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &v), 0);
    assert_int_equal(v.n, 0);

    /* a vanished device: all ones */
    memset(cfg, 0xFF, sizeof(cfg));
    visit_log gone = { .want = PCI_CAP_ID_MSI };
    assert_int_equal(HalpPciWalkCapabilities(read8, NULL, PCI_CFG_CAP_PTR, visit, &gone), 0);
    assert_int_equal(gone.n, 0);
}

static void test_bar_mem32(void **state)
{
    HAL_PCI_BAR b;
    /* AHCI ABAR: 4 KiB at 0xC1041000, non-prefetchable */
    assert_int_equal(HalpPciDecodeBar(0xC1041000, 0xFFFFF000, 0, 0, TRUE, &b), 1);
    assert_false(b.Io); assert_false(b.Is64); assert_false(b.Prefetchable);
    assert_int_equal(b.Base, 0xC1041000);
    assert_int_equal(b.Size, 0x1000);
}

static void test_bar_mem64_prefetchable(void **state)
{
    HAL_PCI_BAR b;
    /* 16 MiB prefetchable 64-bit BAR at 0x8_0000_0000 */
    assert_int_equal(HalpPciDecodeBar(0x0000000C, 0xFF00000C, 0x8, 0xFFFFFFFF, TRUE, &b), 2);
    assert_true(b.Is64); assert_true(b.Prefetchable); assert_false(b.Io);
    assert_int_equal(b.Base, 0x800000000ull);
    assert_int_equal(b.Size, 0x1000000);

    /* larger than 4 GiB */
    assert_int_equal(HalpPciDecodeBar(0x0000000C, 0x0000000C, 0x10, 0xFFFFFFF0, TRUE, &b), 2);
    assert_int_equal(b.Size, 0x1000000000ull);
    assert_int_equal(b.Base, 0x1000000000ull);

    /* 64-bit type in the last slot has no upper half */
    assert_int_equal(HalpPciDecodeBar(0x04, 0xFFFFF004, 0, 0, FALSE, &b), 1);
    assert_int_equal(b.Size, 0);
}

static void test_bar_io(void **state)
{
    HAL_PCI_BAR b;
    /* 32-byte I/O BAR with the upper 16 bits hardwired to zero */
    assert_int_equal(HalpPciDecodeBar(0xC041, 0x0000FFE1, 0, 0, TRUE, &b), 1);
    assert_true(b.Io);
    assert_int_equal(b.Base, 0xC040);
    assert_int_equal(b.Size, 0x20);
    /* all 32 bits writable */
    assert_int_equal(HalpPciDecodeBar(0xC081, 0xFFFFFFF9, 0, 0, TRUE, &b), 1);
    assert_int_equal(b.Size, 8);
}

static void test_bar_unimplemented(void **state)
{
    HAL_PCI_BAR b;
    assert_int_equal(HalpPciDecodeBar(0, 0, 0, 0, TRUE, &b), 1);
    assert_int_equal(b.Size, 0);
    assert_int_equal(b.Base, 0);
    assert_int_equal(HalpPciDecodeBar(1, 1, 0, 0, TRUE, &b), 1);     /* I/O, no bits */
    assert_int_equal(b.Size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_q35_ahci),
        cmocka_unit_test(test_walk_masks_reserved_bits),
        cmocka_unit_test(test_walk_loop_is_bounded),
        cmocka_unit_test(test_walk_rejects_header_pointers),
        cmocka_unit_test(test_bar_mem32),
        cmocka_unit_test(test_bar_mem64_prefetchable),
        cmocka_unit_test(test_bar_io),
        cmocka_unit_test(test_bar_unimplemented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
