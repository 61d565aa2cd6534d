"""Filter drivers named under a device key in system.cfg (Enum\\<hardware ID>,
NT's device key) as well as under the service key: tests/drivers/irpcount,
named as both LowerFilters and UpperFilters of every AHCI disk (hardware ID
SCSI\\Disk), sits below disk.sys's FDO, where it sees the disk's SCSI
requests, and above it, where it sees the reads.  Its counts come from
reading \\Device\\IrpCount: reads, writes, SCSI of the upper filters, then
of the lower ones.  Removal takes both filter devices away with the stack."""
import os
import re
import struct

import pytest

from ntstor import ROOT, Machine, make_image

HAVE = os.path.exists(os.path.join(ROOT, "build", "tests", "drivers", "irpcount.sys"))

FILTER_CFG = r"""
[Services\irpcount]
ImagePath = \ntstor\tests\irpcount.sys
Start     = Demand

[Enum\SCSI\Disk]
LowerFilters = irpcount
UpperFilters = irpcount
"""


@pytest.fixture(scope="module")
def m(image_dir):
    if not HAVE:
        pytest.skip("build/tests/drivers/irpcount.sys not built")
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read()
    img = make_image(str(image_dir / "filters.img"), system_cfg=cfg + FILTER_CFG)
    machine = Machine(image=img, log_name="test_filters").start()
    yield machine
    machine.stop()


def counts(m):
    """(upper reads, writes, scsi, lower reads, writes, scsi)."""
    out = []
    for offset in (0, 16, 32):
        row = m.one("devread \\Device\\IrpCount 16 %d" % offset, "devread")
        assert row["bytes"] == "16", row
        out += struct.unpack("<2Q", bytes.fromhex(row["first"]))
    return out


def test_device_key_filters_sit_below_and_above_the_disk(m):
    log = m.cmd("log", timeout=60)
    assert re.search(r"pnp: SCSI\\Disk\S*\\(?:[0-9a-f]{8}&)?0: lower device filter irpcount added", log), log
    assert re.search(r"pnp: SCSI\\Disk\S*\\(?:[0-9a-f]{8}&)?0: upper device filter irpcount added", log), log
    assert re.search(r"irpcount: lower filter attached", log), log
    assert re.search(r"irpcount: upper filter attached", log), log
    disks = m.lines("disks", "disk")
    assert disks, "the disk must still start with filters around its FDO"
    n = disks[0]["n"]
    b = counts(m)
    assert m.one("read %s 0 8" % n, "read")["crc32"].startswith("0x")
    a = counts(m)
    # The read reaches the top of the stack -- the upper filter -- as one
    # IRP_MJ_READ, and the port as SCSI requests through the lower filter.
    assert a[0] - b[0] == 1, (b, a)           # upper: reads
    assert a[2] == b[2], (b, a)               # upper: no SCSI above the class driver
    assert a[3] == b[3], (b, a)               # lower: no reads below it
    assert a[5] - b[5] >= 1, (b, a)           # lower: the disk's SCSI requests


def test_removal_takes_the_filters_with_the_stack(m):
    out = m.cmd("unload disk", timeout=120)
    assert "unload name=disk status=STATUS_SUCCESS" in out, out
    assert "leaked" not in out, out
    assert m.lines("disks", "disk") == []
    # Nothing of irpcount is left in a stack: it unloads, leaving nothing.
    out = m.cmd("unload irpcount", timeout=60)
    assert "unload name=irpcount status=STATUS_SUCCESS" in out, out
    assert "leaked" not in out, out
