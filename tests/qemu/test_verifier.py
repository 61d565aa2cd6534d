"""The driver verifier (kernel/io/verifier.c, vfremlock.c) in QEMU: the test driver
tests/drivers/vfbad breaks one rule per service (tests/qemu/verifier.cfg);
with the verifier on, each break stops the machine with
DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4), parameter 1 naming the rule,
after a log line naming the driver and the routine.  A bug check ends a
boot, so each rule has its own; the first boot also checks the switch
(`verifier <service> on|off`) and that a driver breaking nothing loads and
unloads with the verifier on."""
import os

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv


@pytest.fixture(scope="module")
def image(image_dir):
    with open(os.path.join(ROOT, "tests", "qemu", "verifier.cfg")) as f:
        cfg = f.read()
    return make_image(str(image_dir / "verifier.img"), system_cfg=cfg)


def expect_stop(m, service, rule, routine, what):
    m.expect(r"verifier: driver %s: %s\+0x[0-9a-f]+: %s" % (service, routine, what), timeout=60)
    m.expect(r"\*\*\* STOP: 0x000000C4 \(0x%016X" % rule, timeout=30)
    m.expect("System halted", timeout=30)


def test_switch_then_pending_not_marked(image):
    """Off, the driver that returns STATUS_PENDING unmarked loads (nothing
    checks it); `verifier vf_switch on` turns the check on for its next
    load, which stops the machine."""
    with Machine(image=image, log_name="test_verifier_switch") as m:
        row = m.one("verifier vf_switch", "verifier")
        assert row["verifier"] == "0" and row["loaded"] == "0"
        assert "status=STATUS_SUCCESS" in m.cmd("load vf_none")        # verified, breaks nothing
        assert m.one("verifier vf_none", "verifier")["verifier"] == "1"
        assert "status=STATUS_SUCCESS" in m.cmd("unload vf_none")
        assert "status=STATUS_SUCCESS" in m.cmd("load vf_switch")      # off: not caught
        assert "status=STATUS_SUCCESS" in m.cmd("unload vf_switch")
        assert "error:" in m.cmd("verifier vf_switch maybe")
        assert "error:" in m.cmd("verifier nosuchservice on")
        row = m.one("verifier vf_switch on", "verifier")
        assert row["verifier"] == "1" and row["loaded"] == "0"
        m.child.sendline("load vf_switch")
        expect_stop(m, "vf_switch", 0x1000, "VfDispatch", "dispatch routine returned STATUS_PENDING without IoMarkIrpPending")


RULES = [
    ("vf_marked", 0x1001, "VfDispatch", "dispatch routine marked the IRP pending", False),
    ("vf_irql", 0x1002, "VfDispatch", "dispatch routine returned at another IRQL", False),
    ("vf_spinlock", 0x1003, "VfDispatch", "dispatch routine returned holding a spin lock", False),
    ("vf_complete", 0x1004, "VfDispatch", "IoCompleteRequest above DISPATCH_LEVEL", False),
    ("vf_pool", 0x62, "VfUnload", "pool allocated since load still in use", True),
    ("vf_workitem", 0x1005, "VfUnload", "work items still queued after DriverUnload", True),
    # The IRP released from the device's remove lock twice (tests/drivers/vfbad).
    ("vf_remlock", 0x1006, "VfDispatch", "remove lock released with a tag that holds none", False),
]


@pytest.mark.parametrize("service,rule,routine,what,at_unload", RULES, ids=[r[0] for r in RULES])
def test_rule_is_caught(image, service, rule, routine, what, at_unload):
    with Machine(image=image, log_name="test_verifier_" + service) as m:
        if at_unload:
            assert "status=STATUS_SUCCESS" in m.cmd("load " + service)
            m.child.sendline("unload " + service)
        else:
            m.child.sendline("load " + service)
        expect_stop(m, service, rule, routine, what)
