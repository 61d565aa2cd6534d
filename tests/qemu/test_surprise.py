"""Surprise removal, as USB hot-unplug will use it: a bus driver only stops
reporting its child.  tests/drivers/pnpbus is the function driver of QEMU's
pci-testdev and reports one child, a RAM disk speaking SCSI that disk.sys
claims as the next Harddisk<n>.  Reading \\Device\\PnpBusUnplug pulls the
disk (the driver calls IoInvalidateDeviceRelations holding the lock its own
BusRelations answer takes: the call must only queue), \\Device\\PnpBusPlug
puts a new one in (the call made at DISPATCH_LEVEL with a spin lock held).

With a handle open on the disk: SURPRISE_REMOVAL reaches the stack, reads on
the handle fail STATUS_DEVICE_DOES_NOT_EXIST, the disk's names are gone, and
REMOVE_DEVICE comes only when the handle closes; then the disk's number is
free for the next disk and nothing of it is left in the pool."""
import os
import re

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

RAM_SECTORS = "2048"
HAVE = os.path.exists(os.path.join(ROOT, "build", "tests", "drivers", "pnpbus.sys"))

PNPBUS_CFG = r"""
[Services\pnpbus]
ImagePath = \ntstor\tests\pnpbus.sys
Start     = Demand
Match     = PCI\VEN_1B36&DEV_0005
"""


@pytest.fixture(scope="module")
def m(image_dir):
    if not HAVE:
        pytest.skip("build/tests/drivers/pnpbus.sys not built")
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read()
    img = make_image(str(image_dir / "surprise.img"), system_cfg=cfg + PNPBUS_CFG)
    machine = Machine(args=["--", "-device", "pci-testdev"], image=img,
                      log_name="test_surprise").start()
    yield machine
    machine.stop()


def ram_disks(m):
    return [d for d in m.lines("disks", "disk") if d.get("sectors") == RAM_SECTORS]


def pool(m):
    return {r["tag"]: int(r["bytes"]) for r in m.lines("pool", "pool") if "tag" in r}


def log_since(m, mark):
    out = m.cmd("log", timeout=60)
    return out[out.rindex(mark):] if mark in out else out


def test_surprise_removal_with_an_open_handle(m):
    before = pool(m)
    row = m.one("load pnpbus", "load")
    assert row["status"] == "STATUS_SUCCESS", row
    disks = ram_disks(m)
    assert len(disks) == 1, disks
    n = disks[0]["n"]
    h = m.one("hopen \\??\\PhysicalDrive%s" % n, "hopen")["handle"]
    assert m.one("hread %s 512" % h, "hread")["status"] == "STATUS_SUCCESS"

    # Pull the disk.  The driver holds its bus lock across the call.
    assert m.one("devread \\Device\\PnpBusUnplug 1", "devread", timeout=30)["bytes"] == "1"
    log = log_since(m, "pnpbus: disk pulled")
    assert "pnpbus: child 1: SURPRISE_REMOVAL" in log, log
    assert "disk%s: surprise removal" % n in log, log
    assert "pnpbus: child 1: REMOVE_DEVICE" not in log, log     # the handle is open

    err = m.error("hread %s 512" % h)
    assert "STATUS_DEVICE_DOES_NOT_EXIST" in err, err
    assert ram_disks(m) == []
    err = m.error("hopen \\??\\PhysicalDrive%s" % n)
    assert "STATUS_OBJECT_NAME_NOT_FOUND" in err or "STATUS_NO_SUCH_DEVICE" in err, err
    rows = [parse_kv(l) for l in m.cmd("devices", timeout=60).splitlines()
            if l.startswith("device ")]
    gone = [r for r in rows if r.get("state") == "SurpriseRemoved"]
    assert len(gone) == 1 and "PnpTest" in gone[0].get("id", ""), rows

    # The last handle closes: now REMOVE_DEVICE, children before the PDO's delete.
    assert m.one("hclose %s" % h, "hclose")["status"] == "STATUS_SUCCESS"
    log = log_since(m, "pnpbus: disk pulled")
    order = [l for l in log.splitlines()
             if re.search(r"pnpbus: child 1: (SURPRISE_REMOVAL|REMOVE_DEVICE|deleted)"
                          r"|disk%s: (surprise removal|removed)" % n, l)]
    assert len(order) == 5, order
    assert "SURPRISE_REMOVAL" in order[0] or "surprise removal" in order[0], order
    assert "disk%s: removed" % n in order[2] and "REMOVE_DEVICE" in order[3], order
    assert "deleted" in order[4], order
    ls = m.cmd("ls \\Device")
    assert not re.search(r"\bHarddisk%s\b" % n, ls), ls
    after = pool(m)
    assert after.get("PnpB", 0) == 0, after                   # the RAM disk and its answers
    for tag in ("Disk", "DkLy", "DkBf", "DkRq", "PnpN"):
        assert after.get(tag, 0) == before.get(tag, 0), (tag, before, after)

    # A new disk in the slot gets the number back (lowest free).
    assert m.one("devread \\Device\\PnpBusPlug 1", "devread", timeout=30)["bytes"] == "1"
    disks = ram_disks(m)
    assert [d["n"] for d in disks] == [n], disks
    assert "pnpbus: child 2: START_DEVICE" in log_since(m, "pnpbus: disk plugged")


def test_open_handle_vetoes_an_asked_removal(m):
    """An orderly removal (`unload pnpbus` takes its bus and the disk on it)
    is refused while a handle is open on the disk, and goes through once it
    is closed."""
    disks = ram_disks(m)
    assert len(disks) == 1, disks
    n = disks[0]["n"]
    h = m.one("hopen \\??\\PhysicalDrive%s" % n, "hopen")["handle"]
    out = m.cmd("unload pnpbus", timeout=60)
    assert "unload name=pnpbus status=STATUS_DEVICE_BUSY" in out, out
    assert "is open; not removed" in out, out
    assert m.one("hread %s 512" % h, "hread")["status"] == "STATUS_SUCCESS"
    assert m.one("hclose %s" % h, "hclose")["status"] == "STATUS_SUCCESS"
    out = m.cmd("unload pnpbus", timeout=60)
    assert "unload name=pnpbus status=STATUS_SUCCESS" in out, out
    assert "leaked" not in out, out
    assert ram_disks(m) == []
