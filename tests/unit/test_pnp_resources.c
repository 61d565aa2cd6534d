/* test_pnp_resources.c - host unit tests of the PnP manager's resource
 * assignment (kernel/pnp/resources.c, reqlist.c) over what the PCI bus
 * driver offers (pcires.c): MSI preferred when offered, the line when a
 * driver filtered MSI out (include/ntstor_resreq.h, as ahci and usbxhci
 * do), when no vector is left for MSI, and when the function has no MSI
 * capability; a driver replacing the list; the line routed behind a chosen
 * MSI only while the filtered list still offers it.  The IRPs are a fake
 * PnpSendIrp that answers as the PCI PDO and the function driver would;
 * the HAL and the vector allocator are fakes that record what was done. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../kernel/pnp/pnpp.h"
#include <ntstor_resreq.h>
#include <regs/pci.h>
#include "host_support.h"

#define TEST_TAG      NTSTOR_TAG('T', 'R', 'e', 'q')
#define TEST_GSI      16
#define TEST_ABAR     0xFEBD1000ull

/* ---- fakes: the HAL, the vector allocator, the PCI capability ---- */

static ULONG VectorsLeft, NextVector, VectorsInUse;
static ULONG RoutedGsi, RouteCalls, GsiAnswer;
static BOOLEAN MsiEnabled, RoutedLevel, RoutedActiveLow;
static ULONG64 MsiAddress;
static USHORT Command;

ULONG KeAllocateVector(KIRQL Irql)
{
    assert_int_equal(Irql, PNP_DEVICE_IRQL);
    if (VectorsLeft == 0)
        return 0;
    VectorsLeft--;
    VectorsInUse++;
    return NextVector++;
}
VOID KeFreeVector(ULONG Vector) { VectorsInUse--; VectorsLeft++; }
VOID HalComposeMsi(ULONG Vector, PULONG64 Address, PULONG Data)
{
    *Address = 0xFEE00000ull;
    *Data = Vector;
}
NTSTATUS HalRouteGsi(ULONG Gsi, ULONG Vector, BOOLEAN LevelTriggered, BOOLEAN ActiveLow)
{
    RoutedGsi = Gsi;
    RoutedLevel = LevelTriggered;
    RoutedActiveLow = ActiveLow;
    RouteCalls++;
    return STATUS_SUCCESS;
}
VOID HalMaskGsi(ULONG Gsi, BOOLEAN Mask) { }
ULONG HalPciInterruptGsi(const HAL_PCI_FUNCTION *Function) { return GsiAnswer; }
USHORT HalPciRead16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset)
{
    assert_int_equal(Offset, PCI_CFG_COMMAND);
    return Command;
}
VOID HalPciWrite16(USHORT Seg, UCHAR Bus, UCHAR Dev, UCHAR Fn, USHORT Offset, USHORT Value)
{
    assert_int_equal(Offset, PCI_CFG_COMMAND);
    Command = Value;
}
VOID PnpPciSetMsi(const HAL_PCI_FUNCTION *Function, BOOLEAN Enable, ULONG64 Address, ULONG Data)
{
    MsiEnabled = Enable;
    MsiAddress = Address;
    if (Enable)
        Command |= PCI_COMMAND_INTX_DISABLE;
}
NTSTATUS PnpLegacyAssignResources(PDEVICE_NODE Node) { return STATUS_NOT_IMPLEMENTED; }
PCSTR RtlNtStatusName(NTSTATUS Status) { return "STATUS_?"; }

/* ---- fake IRPs: the PCI PDO answers QUERY, the "driver" filters ---- */

typedef enum { FilterNone, FilterDropMsi, FilterLineOnly, FilterDropEverything } FILTER_KIND;
static FILTER_KIND Filter;
static ULONG FilterCalls;
static PIO_RESOURCE_REQUIREMENTS_LIST FilterSaw;    /* what the filter found in Information */
static HAL_PCI_FUNCTION Function;

NTSTATUS PnpSendIrp(PDEVICE_OBJECT Pdo, UCHAR Minor, const VOID *Parameters, SIZE_T ParametersSize,
                    PULONG_PTR Information)
{
    IRP irp;

    memset(&irp, 0, sizeof(irp));
    irp.IoStatus.Status = STATUS_NOT_SUPPORTED;
    irp.IoStatus.Information = Information ? *Information : 0;
    switch (Minor) {
    case IRP_MN_QUERY_RESOURCE_REQUIREMENTS: {
        /* The PCI PDO (pcibus.c): the list pcires.c builds. */
        PIO_RESOURCE_REQUIREMENTS_LIST req = PnpPciBuildRequirements(&Function, PNP_TAG_PCI);
        irp.IoStatus.Status = req ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        irp.IoStatus.Information = (ULONG_PTR)req;
        break;
    }
    case IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
        /* The PDO leaves it alone; the function driver, on the way up: */
        FilterCalls++;
        assert_int_equal(ParametersSize, sizeof(PVOID));
        assert_ptr_equal(*(PIO_RESOURCE_REQUIREMENTS_LIST const *)Parameters,
                         (PVOID)irp.IoStatus.Information);
        FilterSaw = (PIO_RESOURCE_REQUIREMENTS_LIST)irp.IoStatus.Information;
        if (Filter == FilterDropMsi) {
            NtstorDropMessageInterrupts(&irp, TEST_TAG);
        } else if (Filter == FilterLineOnly) {
            /* A driver that writes its own list: the line alone, no BARs. */
            PIO_RESOURCE_REQUIREMENTS_LIST n = PnpAllocateRequirements(PCIBus, 0, 0, 1, TEST_TAG);
            PIO_RESOURCE_DESCRIPTOR d = NtstorIoDescriptor(&n->List[0], n->List[0].Count++);
            d->Type = CmResourceTypeInterrupt;
            d->ShareDisposition = CmResourceShareShared;
            d->Flags = CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
            d->u.Interrupt.MinimumVector = d->u.Interrupt.MaximumVector = TEST_GSI;
            ExFreePool((PVOID)irp.IoStatus.Information);
            irp.IoStatus.Information = (ULONG_PTR)n;
            irp.IoStatus.Status = STATUS_SUCCESS;
        } else if (Filter == FilterDropEverything) {
            ExFreePool((PVOID)irp.IoStatus.Information);
            irp.IoStatus.Information = 0;
            irp.IoStatus.Status = STATUS_SUCCESS;
        }
        break;
    default:
        fail_msg("unexpected PnP IRP 0x%x", Minor);
    }
    if (Information)
        *Information = irp.IoStatus.Information;
    return irp.IoStatus.Status;
}

/* ---- helpers ---- */

static DEVICE_NODE Node;

static int setup(void **state)
{
    memset(&Node, 0, sizeof(Node));
    memset(&Function, 0, sizeof(Function));
    strcpy(Node.InstancePath, "PCI\\VEN_8086&DEV_2922\\test");
    Node.PciFunction = &Function;
    Function.Device = 0x1f;
    Function.Function = 2;
    Function.Bars[4] = (HAL_PCI_BAR){ .Base = 0xC040, .Size = 32, .Io = TRUE };
    Function.Bars[5] = (HAL_PCI_BAR){ .Base = TEST_ABAR, .Size = 0x1000 };
    Function.InterruptPin = 1;
    Function.MsiCap = 0x80;
    GsiAnswer = TEST_GSI;
    VectorsLeft = 8;
    NextVector = 0x60;
    VectorsInUse = 0;
    RouteCalls = 0;
    RoutedGsi = 0;
    MsiEnabled = FALSE;
    Command = PCI_COMMAND_INTX_DISABLE;
    Filter = FilterNone;
    FilterCalls = 0;
    return 0;
}

static int teardown(void **state)
{
    PnpReleaseResources(&Node);
    assert_int_equal(VectorsInUse, 0);
    assert_int_equal(host_pool_allocs(0), 0);
    return 0;
}

static PCM_PARTIAL_RESOURCE_DESCRIPTOR Partial(PCM_RESOURCE_LIST List, ULONG I)
{
    return NtstorCmDescriptor(&List->List[0].PartialResourceList, I);
}

static ULONG Count(PCM_RESOURCE_LIST List)
{
    return List->List[0].PartialResourceList.Count;
}

/* The start lists: ports and memory as the BARs, then Interrupts. */
static void expect_bars_then_interrupt(BOOLEAN Msi)
{
    PCM_RESOURCE_LIST raw = Node.RawResources, xlat = Node.TranslatedResources;

    assert_non_null(raw);
    assert_non_null(xlat);
    assert_int_equal(raw->List[0].InterfaceType, PCIBus);
    assert_int_equal(Count(raw), 3);
    assert_int_equal(Count(xlat), 3);
    assert_int_equal(Partial(xlat, 0)->Type, CmResourceTypePort);
    assert_int_equal(Partial(xlat, 0)->u.Port.Start.QuadPart, 0xC040);
    assert_int_equal(Partial(xlat, 1)->Type, CmResourceTypeMemory);
    assert_int_equal(Partial(xlat, 1)->u.Memory.Start.QuadPart, TEST_ABAR);
    assert_int_equal(Partial(xlat, 1)->u.Memory.Length, 0x1000);
    assert_int_equal(Partial(xlat, 2)->Type, CmResourceTypeInterrupt);
    if (Msi) {
        assert_int_equal(Partial(xlat, 2)->Flags, CM_RESOURCE_INTERRUPT_MESSAGE | CM_RESOURCE_INTERRUPT_LATCHED);
        assert_int_equal(Partial(xlat, 2)->ShareDisposition, CmResourceShareDeviceExclusive);
        assert_int_equal(Partial(xlat, 2)->u.MessageInterrupt.Translated.Vector, Node.MsiVector);
        assert_int_equal(Partial(raw, 2)->u.MessageInterrupt.Raw.MessageCount, 1);
        assert_true(MsiEnabled);
    } else {
        assert_int_equal(Partial(xlat, 2)->Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
        assert_int_equal(Partial(xlat, 2)->ShareDisposition, CmResourceShareShared);
        assert_int_equal(Partial(raw, 2)->u.Interrupt.Vector, TEST_GSI);
        assert_int_equal(Partial(xlat, 2)->u.Interrupt.Vector, Node.IntxVector);
        assert_int_equal(Partial(xlat, 2)->u.Interrupt.Level, PNP_DEVICE_IRQL);
        assert_int_equal(Node.MsiVector, 0);
        assert_false(MsiEnabled);
        /* Signalling by INTx: the command register lets it. */
        assert_int_equal(Command & PCI_COMMAND_INTX_DISABLE, 0);
    }
}

/* ---- tests ---- */

static void test_layout_is_the_wdk_one(void **state)
{
    assert_int_equal(sizeof(IO_RESOURCE_DESCRIPTOR), 40);
    assert_int_equal(offsetof(IO_RESOURCE_DESCRIPTOR, u), 8);
    assert_int_equal(offsetof(IO_RESOURCE_DESCRIPTOR, u.Interrupt.TargetedProcessors), 8 + 24);
    assert_int_equal(offsetof(IO_RESOURCE_LIST, Descriptors), 8);
    assert_int_equal(offsetof(IO_RESOURCE_REQUIREMENTS_LIST, List), 32);
    assert_int_equal(sizeof(IO_RESOURCE_REQUIREMENTS_LIST), 80);
    assert_int_equal(IO_RESOURCE_PREFERRED, 0x01);
    assert_int_equal(IO_RESOURCE_ALTERNATIVE, 0x08);
}

static void test_bus_offers_msi_then_line_alternative(void **state)
{
    PIO_RESOURCE_REQUIREMENTS_LIST req = PnpPciBuildRequirements(&Function, TEST_TAG);
    PIO_RESOURCE_DESCRIPTOR d = NtstorIoDescriptor(&req->List[0], 0);
    CHAR text[16];

    assert_true(PnpRequirementsValid(req));
    assert_int_equal(req->AlternativeLists, 1);
    assert_int_equal(req->List[0].Count, 4);
    assert_int_equal(d[1].Type, CmResourceTypeMemory);
    assert_int_equal(d[1].u.Memory.MinimumAddress.QuadPart, TEST_ABAR);
    assert_int_equal(d[1].u.Memory.MaximumAddress.QuadPart, TEST_ABAR + 0xFFF);
    assert_int_equal(d[2].Type, CmResourceTypeInterrupt);
    assert_int_equal(d[2].Option, IO_RESOURCE_PREFERRED);
    assert_int_equal(d[2].Flags, CM_RESOURCE_INTERRUPT_MESSAGE | CM_RESOURCE_INTERRUPT_LATCHED);
    assert_int_equal(d[2].ShareDisposition, CmResourceShareDeviceExclusive);
    assert_int_equal(d[3].Option, IO_RESOURCE_ALTERNATIVE);
    assert_int_equal(d[3].Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
    assert_int_equal(d[3].ShareDisposition, CmResourceShareShared);
    assert_int_equal(d[3].u.Interrupt.MinimumVector, TEST_GSI);
    PnpDescribeInterrupts(req, text, sizeof(text));
    assert_string_equal(text, "msi,line");
    ExFreePool(req);

    /* No capability: the line alone, heading its own resource. */
    Function.MsiCap = 0;
    req = PnpPciBuildRequirements(&Function, TEST_TAG);
    assert_int_equal(req->List[0].Count, 3);
    assert_int_equal(NtstorIoDescriptor(&req->List[0], 2)->Option, 0);
    ExFreePool(req);
    /* No known GSI: no line offered. */
    GsiAnswer = PNP_NO_GSI;
    req = PnpPciBuildRequirements(&Function, TEST_TAG);
    PnpDescribeInterrupts(req, text, sizeof(text));
    assert_string_equal(text, "-");
    ExFreePool(req);
}

/* No filter: NT's default, MSI when offered; the line is routed behind it
 * for a driver's fallback but not described. */
static void test_msi_preferred_when_offered(void **state)
{
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    assert_int_equal(FilterCalls, 1);
    expect_bars_then_interrupt(TRUE);
    assert_int_equal(Node.MsiVector, 0x60);
    assert_int_equal(Node.IntxGsi, TEST_GSI);
    assert_int_not_equal(Node.IntxVector, 0);
    assert_int_equal(RoutedGsi, TEST_GSI);
    assert_true(RoutedLevel && RoutedActiveLow);
    assert_string_equal(Node.IrqOffered, "msi,line");
    assert_string_equal(Node.IrqFiltered, "msi,line");
}

/* The driver's Intx/Poll: MSI taken out by a new list (the old one freed
 * by the driver); the line is assigned and described. */
static void test_filtered_to_line(void **state)
{
    Filter = FilterDropMsi;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    expect_bars_then_interrupt(FALSE);
    assert_string_equal(Node.IrqOffered, "msi,line");
    assert_string_equal(Node.IrqFiltered, "line");
    assert_int_equal(host_pool_allocs(TEST_TAG), 0);    /* the replacement went with the assignment */
}

/* The drop helper by itself: the line after a dropped MSI is promoted. */
static void test_drop_helper_promotes_the_line(void **state)
{
    IRP irp;
    PIO_RESOURCE_REQUIREMENTS_LIST req = PnpPciBuildRequirements(&Function, PNP_TAG_PCI), out;

    memset(&irp, 0, sizeof(irp));
    irp.IoStatus.Status = STATUS_NOT_SUPPORTED;
    irp.IoStatus.Information = (ULONG_PTR)req;
    assert_int_equal(NtstorDropMessageInterrupts(&irp, TEST_TAG), STATUS_SUCCESS);
    assert_int_equal(irp.IoStatus.Status, STATUS_SUCCESS);
    out = (PIO_RESOURCE_REQUIREMENTS_LIST)irp.IoStatus.Information;
    assert_ptr_not_equal(out, req);
    assert_int_equal(host_pool_allocs(PNP_TAG_PCI), 0);     /* the old one freed */
    assert_true(PnpRequirementsValid(out));
    assert_int_equal(out->List[0].Count, 3);
    assert_int_equal(NtstorIoDescriptor(&out->List[0], 2)->Type, CmResourceTypeInterrupt);
    assert_int_equal(NtstorIoDescriptor(&out->List[0], 2)->Option & IO_RESOURCE_ALTERNATIVE, 0);
    assert_int_equal(out->ListSize, PnpRequirementsSize(3));

    /* Nothing to drop: the same list, untouched. */
    irp.IoStatus.Status = STATUS_NOT_SUPPORTED;
    assert_int_equal(NtstorDropMessageInterrupts(&irp, TEST_TAG), STATUS_SUCCESS);
    assert_ptr_equal((PVOID)irp.IoStatus.Information, out);
    ExFreePool(out);
    /* No list (a device without resources). */
    irp.IoStatus.Information = 0;
    assert_int_equal(NtstorDropMessageInterrupts(&irp, TEST_TAG), STATUS_SUCCESS);
    assert_int_equal(irp.IoStatus.Information, 0);
}

/* The line already routed for another function (shared vector); then the
 * vectors run out: MSI cannot be had, its alternative can. */
static void test_no_vector_left_falls_to_line(void **state)
{
    ULONG shared = PnpAcquireLineVector(TEST_GSI, TRUE, TRUE);

    assert_int_not_equal(shared, 0);
    VectorsLeft = 0;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    expect_bars_then_interrupt(FALSE);
    assert_int_equal(Node.IntxVector, shared);
    /* The other user's hold. */
    DEVICE_NODE other = { .IntxGsi = TEST_GSI, .IntxVector = shared };
    PnpReleaseResources(&other);
}

/* Neither alternative: the device starts with its BARs alone (logged). */
static void test_no_interrupt_at_all(void **state)
{
    VectorsLeft = 0;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    assert_int_equal(Count(Node.TranslatedResources), 2);
    assert_int_equal(Node.MsiVector, 0);
    assert_int_equal(Node.IntxVector, 0);
}

static void test_no_msi_capability_gets_line(void **state)
{
    Function.MsiCap = 0;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    expect_bars_then_interrupt(FALSE);
    assert_string_equal(Node.IrqOffered, "line");
}

/* A driver that writes a list of its own (freeing the bus driver's): only
 * what it asked for is assigned. */
static void test_driver_replaces_the_list(void **state)
{
    Filter = FilterLineOnly;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    assert_int_equal(Count(Node.TranslatedResources), 1);
    assert_int_equal(Partial(Node.TranslatedResources, 0)->Type, CmResourceTypeInterrupt);
    assert_int_equal(Partial(Node.TranslatedResources, 0)->u.Interrupt.Vector, Node.IntxVector);
    assert_int_equal(Node.MsiVector, 0);
    assert_int_equal(host_pool_allocs(PNP_TAG_PCI), 0);
}

/* Success with no list: the device gets none (the driver freed the old). */
static void test_driver_takes_everything_away(void **state)
{
    Filter = FilterDropEverything;
    assert_int_equal(PnpAssignResources(&Node), STATUS_SUCCESS);
    assert_null(Node.RawResources);
    assert_null(Node.TranslatedResources);
    assert_string_equal(Node.IrqFiltered, "-");
}

/* The walk itself: an alternative of another type starts a new resource
 * (an unpromoted line after a dropped MSI is not a BAR's alternative). */
static ULONG SatisfiedMask;
static BOOLEAN SatisfyOdd(PVOID Context, const IO_RESOURCE_DESCRIPTOR *Io, PCM_PARTIAL_RESOURCE_DESCRIPTOR Raw,
                          PCM_PARTIAL_RESOURCE_DESCRIPTOR Translated)
{
    ULONG index = (ULONG)(Io - (const IO_RESOURCE_DESCRIPTOR *)Context);
    if (!(SatisfiedMask & (1u << index)))
        return FALSE;
    Raw->Type = Translated->Type = Io->Type;
    Raw->Flags = Translated->Flags = (USHORT)index;
    return TRUE;
}

static void test_alternatives_grouped_by_type(void **state)
{
    PIO_RESOURCE_REQUIREMENTS_LIST req = PnpAllocateRequirements(PCIBus, 3, 0, 4, TEST_TAG);
    PIO_RESOURCE_DESCRIPTOR d = NtstorIoDescriptor(&req->List[0], 0);
    PNP_ASSIGN_OPS ops = { SatisfyOdd, NULL };
    PCM_RESOURCE_LIST raw, xlat;
    ULONG unsatisfied;

    req->List[0].Count = 4;
    d[0].Type = CmResourceTypeMemory;
    d[1].Type = CmResourceTypeInterrupt;             /* marked, but a new resource */
    d[1].Option = IO_RESOURCE_ALTERNATIVE;
    d[2].Type = CmResourceTypeInterrupt;
    d[2].Option = IO_RESOURCE_ALTERNATIVE;           /* d[1]'s alternative */
    d[3].Type = CmResourceTypePort;
    SatisfiedMask = (1u << 0) | (1u << 2);           /* d[1] fails, d[2] is taken; d[3] fails */
    assert_int_equal(PnpAssignRequirements(req, &ops, d, TEST_TAG, &raw, &xlat, &unsatisfied), STATUS_SUCCESS);
    assert_int_equal(unsatisfied, 1);
    assert_int_equal(Count(xlat), 2);
    assert_int_equal(raw->List[0].BusNumber, 3);
    assert_int_equal(Partial(xlat, 0)->Flags, 0);
    assert_int_equal(Partial(xlat, 1)->Flags, 2);
    ExFreePool(raw);
    ExFreePool(xlat);

    /* A malformed list is refused before anything is assigned. */
    req->ListSize = PnpRequirementsSize(2);
    assert_false(PnpRequirementsValid(req));
    assert_int_equal(PnpAssignRequirements(req, &ops, d, TEST_TAG, &raw, &xlat, &unsatisfied),
                     STATUS_INVALID_PARAMETER);
    assert_null(raw);
    ExFreePool(req);
}

/* The filter IRP's answer (reqlist.c): a pointer is the list whatever the
 * status; none with success is "no resources"; none with failure is the
 * original. */
static void test_filtered_requirements_rule(void **state)
{
    IO_RESOURCE_REQUIREMENTS_LIST a, b;

    assert_ptr_equal(PnpFilteredRequirements(&a, STATUS_NOT_SUPPORTED, (ULONG_PTR)&a), &a);
    assert_ptr_equal(PnpFilteredRequirements(&a, STATUS_SUCCESS, (ULONG_PTR)&b), &b);
    assert_null(PnpFilteredRequirements(&a, STATUS_SUCCESS, 0));
    assert_ptr_equal(PnpFilteredRequirements(&a, STATUS_NOT_SUPPORTED, 0), &a);
    assert_null(PnpFilteredRequirements(NULL, STATUS_NOT_SUPPORTED, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_the_wdk_one),
        cmocka_unit_test_setup_teardown(test_bus_offers_msi_then_line_alternative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msi_preferred_when_offered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filtered_to_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_helper_promotes_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_vector_left_falls_to_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_interrupt_at_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_msi_capability_gets_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_replaces_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_takes_everything_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alternatives_grouped_by_type, setup, teardown),
        cmocka_unit_test(test_filtered_requirements_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
