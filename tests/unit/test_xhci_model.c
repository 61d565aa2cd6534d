/* test_xhci_model.c - the xHCI driver's real take-over code
 * (drivers/usbxhci/hcreset.c: BIOS/OS handoff, halt and reset, Supported
 * Protocol capabilities, root port reset) against a behavioural model of
 * a controller on a virtual clock: firmware that lets go late or never,
 * a controller left running by the firmware, one that will not halt, and
 * ports whose reset is slow, never ends, or loses the device.  QEMU's
 * qemu-xhci has no legacy capability and resets ports at once, so none
 * of this is seen there.  XhciRead/XhciWrite land in the model
 * (-DXHCI_MMIO_MODEL); KeQueryInterruptTime and the sleeps run its clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>
#include "xhcip.h"
#include "host_support.h"

XHCI_PARAMETERS XhciParameters;

/* ---- the model ---- */
#define M_OP        0x20
#define M_XECP      0x500       /* legacy support, then two protocol capabilities */
#define M_PROTO2    0x510
#define M_PROTO3    0x520
#define M_PORTS     4           /* 1-2 USB 2, 3-4 USB 3 */
#define M_NEVER     (~0ull)

static struct {
    ULONG64 Now;                /* 100 ns */
    BOOLEAN Legacy;
    ULONG Legsup, Legctl;
    ULONG64 BiosReleaseAt;      /* when BIOS Owned clears (M_NEVER: never) */
    ULONG BiosReleaseMs;        /* after OS Owned is set; ~0 never */
    ULONG Usbcmd, Usbsts;
    ULONG64 HaltAt, ResetDoneAt;
    ULONG HaltMs, ResetMs;      /* ~0: never */
    ULONG Portsc[M_PORTS + 1];
    ULONG64 PortResetDoneAt[M_PORTS + 1];
    ULONG PortResetMs[M_PORTS + 1];     /* ~0: never ends */
    ULONG PortSpeed[M_PORTS + 1];
    BOOLEAN PortLeavesInReset[M_PORTS + 1];
    ULONG Sleeps;
} M;

static ULONG64 Ms(ULONG ms) { return (ULONG64)ms * 10000; }

static VOID ModelUpdate(VOID)
{
    if (M.BiosReleaseAt != M_NEVER && M.Now >= M.BiosReleaseAt) {
        M.Legsup &= ~XHCI_LEGSUP_BIOS_OWNED;
        M.BiosReleaseAt = M_NEVER;
    }
    if (M.HaltAt != M_NEVER && M.Now >= M.HaltAt) {
        M.Usbsts |= XHCI_STS_HCH;
        M.HaltAt = M_NEVER;
    }
    if (M.ResetDoneAt != M_NEVER && M.Now >= M.ResetDoneAt) {
        M.Usbcmd &= ~XHCI_CMD_HCRST;
        M.Usbsts &= ~XHCI_STS_CNR;
        M.ResetDoneAt = M_NEVER;
    }
    for (ULONG p = 1; p <= M_PORTS; p++) {
        if (M.PortResetDoneAt[p] == M_NEVER || M.Now < M.PortResetDoneAt[p])
            continue;
        M.PortResetDoneAt[p] = M_NEVER;
        M.Portsc[p] &= ~XHCI_PORTSC_PR;
        if (M.PortLeavesInReset[p]) {
            M.Portsc[p] &= ~(XHCI_PORTSC_CCS | XHCI_PORTSC_PED);
            M.Portsc[p] |= XHCI_PORTSC_CSC;
        } else {
            M.Portsc[p] |= XHCI_PORTSC_PED | XHCI_PORTSC_PRC | (M.PortSpeed[p] << 10);
        }
    }
}

ULONGLONG KeQueryInterruptTime(VOID) { return M.Now; }
VOID KeStallExecutionProcessor(ULONG Us) { M.Now += (ULONG64)(Us ? Us : 1) * 10; }
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE Mode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    M.Sleeps++;
    M.Now += Interval->QuadPart < 0 ? (ULONG64)-Interval->QuadPart : 1;
    return STATUS_SUCCESS;
}

ULONG XhciModelRead(PXHCI_HC Hc, ULONG Off)
{
    ModelUpdate();
    switch (Off) {
    case XHCI_CAPLENGTH: return 0x01000000u | M_OP;
    case XHCI_HCCPARAMS1: return M.Legacy ? (M_XECP / 4) << 16 : (M_PROTO2 / 4) << 16;
    case M_XECP: return M.Legsup;
    case M_XECP + XHCI_LEGCTLSTS: return M.Legctl;
    case M_PROTO2: return 0x02000000u | (4u << 8) | XHCI_XCAP_PROTOCOL;  /* next: +16 */
    case M_PROTO2 + 8: return (2u << 8) | 1;
    case M_PROTO3: return 0x03000000u | XHCI_XCAP_PROTOCOL;
    case M_PROTO3 + 8: return (2u << 8) | 3;
    case M_OP + XHCI_USBCMD: return M.Usbcmd;
    case M_OP + XHCI_USBSTS: return M.Usbsts;
    }
    if (Off >= M_OP + XHCI_PORTSC(0) && Off < M_OP + XHCI_PORTSC(M_PORTS))
        return M.Portsc[(Off - M_OP - XHCI_PORTSC(0)) / 0x10 + 1];
    return 0;
}

VOID XhciModelWrite(PXHCI_HC Hc, ULONG Off, ULONG V)
{
    ModelUpdate();
    if (Off == M_XECP) {
        M.Legsup = (M.Legsup & ~(XHCI_LEGSUP_OS_OWNED | XHCI_LEGSUP_BIOS_OWNED)) |
                   (V & (XHCI_LEGSUP_OS_OWNED | XHCI_LEGSUP_BIOS_OWNED));
        if ((V & XHCI_LEGSUP_OS_OWNED) && (M.Legsup & XHCI_LEGSUP_BIOS_OWNED) &&
            M.BiosReleaseAt == M_NEVER && M.BiosReleaseMs != ~0u)
            M.BiosReleaseAt = M.Now + Ms(M.BiosReleaseMs);
    } else if (Off == M_XECP + XHCI_LEGCTLSTS) {
        M.Legctl = (V & ~XHCI_LEGCTLSTS_SMI_EVENTS) | (M.Legctl & XHCI_LEGCTLSTS_SMI_EVENTS & ~V);
    } else if (Off == M_OP + XHCI_USBCMD) {
        if ((M.Usbcmd & XHCI_CMD_RS) && !(V & XHCI_CMD_RS) && M.HaltMs != ~0u)
            M.HaltAt = M.Now + Ms(M.HaltMs);
        if ((V & XHCI_CMD_HCRST) && M.ResetMs != ~0u) {
            M.Usbsts |= XHCI_STS_CNR;
            M.ResetDoneAt = M.Now + Ms(M.ResetMs);
        }
        M.Usbcmd = V;
        if (V & XHCI_CMD_RS)
            M.Usbsts &= ~XHCI_STS_HCH;
    } else if (Off >= M_OP + XHCI_PORTSC(0) && Off < M_OP + XHCI_PORTSC(M_PORTS)) {
        ULONG p = (Off - M_OP - XHCI_PORTSC(0)) / 0x10 + 1;
        M.Portsc[p] &= ~(V & XHCI_PORTSC_CHANGE_BITS);      /* RW1C */
        if (V & (XHCI_PORTSC_PR | XHCI_PORTSC_WPR)) {
            M.Portsc[p] = (M.Portsc[p] & ~XHCI_PORTSC_PED) | XHCI_PORTSC_PR;
            M.PortResetDoneAt[p] = M.PortResetMs[p] == ~0u ? M_NEVER : M.Now + Ms(M.PortResetMs[p]);
        }
    }
}

static XHCI_HC Hc;

static int setup(void **state)
{
    memset(&M, 0, sizeof(M));
    memset(&Hc, 0, sizeof(Hc));
    M.BiosReleaseAt = M.HaltAt = M.ResetDoneAt = M_NEVER;
    for (ULONG p = 0; p <= M_PORTS; p++) {
        M.PortResetDoneAt[p] = M_NEVER;
        M.PortResetMs[p] = 50;
        M.Portsc[p] = XHCI_PORTSC_PP;
    }
    M.Now = Ms(1000);
    M.Usbsts = XHCI_STS_HCH;
    M.HaltMs = 2;
    M.ResetMs = 20;
    Hc.BaseLength = 0x1000;
    Hc.OpOffset = M_OP;
    Hc.MaxPorts = M_PORTS;
    Hc.HccParams1 = XhciModelRead(&Hc, XHCI_HCCPARAMS1);
    return 0;
}

static void bios_owned(ULONG ReleaseMs)
{
    M.Legacy = TRUE;
    M.Legsup = XHCI_XCAP_LEGACY | (4u << 8) /* next: +4 dwords = M_PROTO2 */ |
               XHCI_LEGSUP_BIOS_OWNED;
    M.Legctl = 0x0000E011u | 0xE0000000u;       /* SMIs on, events pending */
    M.BiosReleaseMs = ReleaseMs;
    Hc.HccParams1 = XhciModelRead(&Hc, XHCI_HCCPARAMS1);
}

static void test_handoff_bios_releases_late(void **state)
{
    ULONG64 t0 = M.Now;
    bios_owned(300);
    XhciBiosHandoff(&Hc);
    assert_string_equal(Hc.HandoffResult, "released");
    assert_true(M.Now - t0 >= Ms(300));
    assert_true(M.Now - t0 < Ms(310));
    assert_true(M.Legsup & XHCI_LEGSUP_OS_OWNED);
    assert_false(M.Legsup & XHCI_LEGSUP_BIOS_OWNED);
    assert_int_equal(M.Legctl & XHCI_LEGCTLSTS_SMI_MASK, 0);   /* SMIs off */
    assert_int_equal(M.Legctl & XHCI_LEGCTLSTS_SMI_EVENTS, 0); /* events acknowledged */
    assert_true(M.Sleeps > 0);                                  /* slept, did not spin */
    /* The capability walk goes on past the legacy capability. */
    XhciReadProtocols(&Hc);
    assert_int_equal(Hc.Ports[4].Major, 3);
}

static void test_handoff_bios_never_releases(void **state)
{
    ULONG64 t0 = M.Now;
    bios_owned(~0u);
    XhciBiosHandoff(&Hc);
    assert_string_equal(Hc.HandoffResult, "timeout");
    /* Bounded: the spec's wait and not much more. */
    assert_true(M.Now - t0 >= Ms(XHCI_HANDOFF_MS));
    assert_true(M.Now - t0 < Ms(XHCI_HANDOFF_MS + 10));
    assert_true(M.Legsup & XHCI_LEGSUP_OS_OWNED);
    assert_false(M.Legsup & XHCI_LEGSUP_BIOS_OWNED);
    assert_int_equal(M.Legctl & XHCI_LEGCTLSTS_SMI_MASK, 0);
}

static void test_no_legacy_capability_costs_nothing(void **state)
{
    ULONG64 t0 = M.Now;
    XhciBiosHandoff(&Hc);
    assert_string_equal(Hc.HandoffResult, "none");
    assert_true(M.Now == t0);
}

static void test_running_controller_is_halted_then_reset(void **state)
{
    M.Usbcmd = XHCI_CMD_RS | XHCI_CMD_INTE;
    M.Usbsts = 0;
    M.HaltMs = 10;
    M.ResetMs = 200;
    assert_int_equal(XhciHaltAndReset(&Hc), STATUS_SUCCESS);
    assert_false(M.Usbcmd & (XHCI_CMD_RS | XHCI_CMD_HCRST));
    assert_false(M.Usbsts & XHCI_STS_CNR);
}

static void test_controller_that_will_not_halt_times_out(void **state)
{
    ULONG64 t0 = M.Now;
    M.Usbcmd = XHCI_CMD_RS;
    M.Usbsts = 0;
    M.HaltMs = ~0u;
    assert_int_equal(XhciHaltAndReset(&Hc), STATUS_IO_TIMEOUT);
    assert_true(M.Now - t0 < Ms(XHCI_HALT_MS + 5));
    assert_false(M.Usbcmd & XHCI_CMD_HCRST);    /* no reset of a running controller */
}

static void test_reset_that_never_ends_times_out(void **state)
{
    ULONG64 t0 = M.Now;
    M.ResetMs = ~0u;
    M.Usbsts |= XHCI_STS_CNR;
    assert_int_equal(XhciHaltAndReset(&Hc), STATUS_IO_TIMEOUT);
    assert_true(M.Now - t0 <= Ms(3 * XHCI_RESET_MS + 10));
}

static void test_protocol_capabilities_name_the_ports(void **state)
{
    XhciReadProtocols(&Hc);
    assert_int_equal(Hc.Ports[1].Major, 2);
    assert_int_equal(Hc.Ports[2].Major, 2);
    assert_int_equal(Hc.Ports[3].Major, 3);
    assert_int_equal(Hc.Ports[4].Major, 3);
}

static void connect(ULONG Port, ULONG ResetMs, ULONG Speed)
{
    M.Portsc[Port] |= XHCI_PORTSC_CCS | XHCI_PORTSC_CSC;
    M.PortResetMs[Port] = ResetMs;
    M.PortSpeed[Port] = Speed;
}

static void test_slow_usb2_port_reset(void **state)
{
    ULONG portsc = 0;
    ULONG64 t0 = M.Now;
    XhciReadProtocols(&Hc);
    connect(1, 280, XHCI_SPEED_HIGH);
    assert_int_equal(XhciRootPortReset(&Hc, 1, &portsc), STATUS_SUCCESS);
    assert_true(M.Now - t0 >= Ms(280));
    assert_true(M.Now - t0 < Ms(280 + XHCI_RESET_RECOVERY_MS + 5));
    assert_int_equal(XHCI_PORTSC_SPEED(portsc), XHCI_SPEED_HIGH);
    assert_true(portsc & XHCI_PORTSC_PED);
    assert_false(M.Portsc[1] & XHCI_PORTSC_PRC);    /* acknowledged */
    assert_true(M.Portsc[1] & XHCI_PORTSC_CSC);     /* left for the scan */
    assert_true(M.Sleeps > 100);                    /* slept in 1 ms steps, no spinning */
}

static void test_port_reset_that_never_ends(void **state)
{
    ULONG portsc = 0;
    ULONG64 t0 = M.Now;
    XhciReadProtocols(&Hc);
    connect(2, ~0u, XHCI_SPEED_FULL);
    assert_int_equal(XhciRootPortReset(&Hc, 2, &portsc), STATUS_IO_TIMEOUT);
    assert_true(M.Now - t0 >= Ms(XHCI_PORT_RESET_MS));
    assert_true(M.Now - t0 < Ms(XHCI_PORT_RESET_MS + 5));
}

static void test_device_leaving_during_reset(void **state)
{
    ULONG portsc = 0;
    XhciReadProtocols(&Hc);
    connect(1, 40, XHCI_SPEED_FULL);
    M.PortLeavesInReset[1] = TRUE;
    assert_int_equal(XhciRootPortReset(&Hc, 1, &portsc), STATUS_DEVICE_NOT_CONNECTED);
}

static void test_usb3_port_already_enabled_is_not_reset(void **state)
{
    ULONG portsc = 0;
    ULONG64 t0 = M.Now;
    XhciReadProtocols(&Hc);
    connect(3, 100, XHCI_SPEED_SUPER);
    M.Portsc[3] |= XHCI_PORTSC_PED | (XHCI_SPEED_SUPER << 10);
    assert_int_equal(XhciRootPortReset(&Hc, 3, &portsc), STATUS_SUCCESS);
    assert_true(M.Now == t0);
    assert_false(M.Portsc[3] & XHCI_PORTSC_PR);
}

static void test_usb3_port_not_trained_gets_a_warm_reset(void **state)
{
    ULONG portsc = 0;
    XhciReadProtocols(&Hc);
    connect(4, 120, XHCI_SPEED_SUPER);
    assert_int_equal(XhciRootPortReset(&Hc, 4, &portsc), STATUS_SUCCESS);
    assert_int_equal(XHCI_PORTSC_SPEED(portsc), XHCI_SPEED_SUPER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_handoff_bios_releases_late, setup),
        cmocka_unit_test_setup(test_handoff_bios_never_releases, setup),
        cmocka_unit_test_setup(test_no_legacy_capability_costs_nothing, setup),
        cmocka_unit_test_setup(test_running_controller_is_halted_then_reset, setup),
        cmocka_unit_test_setup(test_controller_that_will_not_halt_times_out, setup),
        cmocka_unit_test_setup(test_reset_that_never_ends_times_out, setup),
        cmocka_unit_test_setup(test_protocol_capabilities_name_the_ports, setup),
        cmocka_unit_test_setup(test_slow_usb2_port_reset, setup),
        cmocka_unit_test_setup(test_port_reset_that_never_ends, setup),
        cmocka_unit_test_setup(test_device_leaving_during_reset, setup),
        cmocka_unit_test_setup(test_usb3_port_already_enabled_is_not_reset, setup),
        cmocka_unit_test_setup(test_usb3_port_not_trained_gets_a_warm_reset, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
