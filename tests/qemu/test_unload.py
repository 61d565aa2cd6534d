"""Unload/load of the storage drivers in QEMU: what a cycle of `unload disk`,
`unload ahci`, `load ahci` must leave behind (docs/decisions.md, "Disk
numbers" and "An open partition vetoes the removal of its disk"):

- the disks come back under the same numbers (lowest free, as Windows
  reuses PhysicalDrive<n>), `disks` lists exactly them and no errors;
- no \\Device\\Harddisk<n> directory or \\??\\PhysicalDrive<n> link outlives
  its disk;
- no unload reports a leak, and the pool is back to the same bytes and
  allocations after 10 cycles as after the first;
- a file open on a partition device (tests/drivers/holdpart) makes
  `unload ahci` fail with STATUS_DEVICE_BUSY and frees nothing; after the
  holder closes it the unload goes through.

One machine: the boot disk (port 0, GPT with the EFI partition) and a GPT
data disk on port 1, booted with tools/system.cfg plus the holdpart
service."""
import os
import re
import sys

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

CYCLES = 10
HOLDPART_CFG = """
[Services\\holdpart]
ImagePath = \\ntstor\\tests\\holdpart.sys
Start     = Demand

[Services\\holdpart\\Parameters]
Target    = \\Device\\Harddisk0\\Partition1
"""


@pytest.fixture(scope="module")
def m(image_dir, tmp_path_factory):
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read() + HOLDPART_CFG
    img = make_image(str(image_dir / "unload.img"), system_cfg=cfg)
    data = str(tmp_path_factory.mktemp("unload") / "data.img")
    mkdisk.make_gpt(data)
    machine = Machine(["--disk", data + ":port=1"], image=img, log_name="test_unload").start()
    yield machine
    machine.stop()


def run(m, line, status="STATUS_SUCCESS"):
    """Runs load/unload; checks its status line and that nothing leaked."""
    out = m.cmd(line, timeout=120)
    verb, name = line.split()
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith(verb + " name=")]
    assert len(rows) == 1 and rows[0]["status"] == status, out
    assert "leaked" not in out, out
    return out


def disks(m):
    """{n: port} from `disks`, which must print nothing but disk lines."""
    out = m.cmd("disks", timeout=120)
    assert not [l for l in out.splitlines() if l.startswith("error:")], out
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("disk ")]
    summary = [parse_kv(l) for l in out.splitlines() if l.startswith("disks ")]
    assert summary and int(summary[0]["count"]) == len(rows), out
    return {int(r["n"]): r["port"] for r in rows}


def names(m, path, pattern):
    out = m.cmd("ls " + path)
    return sorted(re.findall(pattern, out))


def pool(m):
    row = m.one("mem", "mem")
    return int(row["pool_bytes"]), int(row["pool_allocs"])


def pool_tags(m):
    return {r["tag"]: (r["bytes"], r["allocs"], r["frees"]) for r in m.lines("pool", "pool tag=")}


def cycle(m):
    run(m, "unload disk")
    run(m, "unload ahci")
    run(m, "load ahci")


def test_boot_numbers_disks_from_zero(m):
    assert disks(m) == {0: "0", 1: "1"}
    assert names(m, "\\Device", r"\bHarddisk\d+\b") == ["Harddisk0", "Harddisk1"]


def test_open_partition_vetoes_unload_of_ahci(m):
    before = disks(m)
    out = run(m, "load holdpart")
    assert "holdpart: holding" in out, out
    out = run(m, "unload ahci", status="STATUS_DEVICE_BUSY")
    assert "partition 1 is open" in out, out
    # Nothing went: the disks, their names and the partition still work.
    assert disks(m) == before
    assert m.one("read 0 0 1", "read")["crc32"].startswith("0x")
    assert "Partition1" in m.cmd("ls \\Device\\Harddisk0")
    out = run(m, "unload holdpart")
    assert "holdpart: closed" in out, out
    run(m, "unload ahci")
    assert disks(m) == {}
    run(m, "load ahci")
    assert disks(m) == before


def test_unload_load_cycles_reuse_numbers_and_do_not_leak(m):
    want = disks(m)
    # One cycle first, with every command the loop runs: lazily created
    # kernel structures are not leaks.
    cycle(m)
    assert disks(m) == want
    pool_tags(m)
    before, tags = pool(m), pool_tags(m)
    for i in range(CYCLES):
        cycle(m)
        assert disks(m) == want, "cycle %d" % i
    assert names(m, "\\Device", r"\bHarddisk\d+\b") == ["Harddisk0", "Harddisk1"]
    assert names(m, "\\??", r"\bPhysicalDrive\d+\b") == ["PhysicalDrive0", "PhysicalDrive1"]
    after = pool(m)
    grown = {t: (tags.get(t), v) for t, v in pool_tags(m).items() if tags.get(t) != v}
    assert after == before, grown
