"""AHCI driver's reporting in QEMU: port states in `disks`, always-logged
state changes, the run-time debug switch (`ahci debug on|off`), and the
physical sector size and alignment of a 512e disk (QEMU ide-hd
physical_block_size=4096,logical_block_size=512) in `disks` and `identify`.
"""
import pytest

from ntstor import Machine

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ahci_report")
    e512 = d / "e512.img"
    with open(e512, "wb") as f:
        f.truncate(64 * MIB)
    m = Machine(["--disk", str(e512) + ":port=2:physical_block_size=4096:logical_block_size=512"],
                log_name="test_ahci_report").start()
    yield m
    m.stop()


def disk_at(m, port):
    found = [d for d in m.lines("disks", "disk", timeout=120) if d["ctrl"] == "0" and d["port"] == str(port)]
    assert len(found) == 1, found
    return found[0]


def test_disks_shows_port_state(machine):
    for port in (0, 2):
        assert disk_at(machine, port)["state"] == "ready"


def test_state_changes_logged_without_debug(machine):
    log = machine.cmd("log", timeout=120)
    assert "ahci0: port 2: link-up -> ready" in log, log


def test_debug_switch_at_run_time(machine):
    r = machine.one("ahci debug on", "ahci")
    assert r == {"ctrl": "0", "debug": "1", "was": "0"}, r
    r = machine.one("ahci debug off", "ahci")
    assert r["debug"] == "0" and r["was"] == "1", r
    assert "ahci: debug output on (was off)" in machine.cmd("log", timeout=120)
    assert machine.cmd("ahci debug maybe").startswith("error:")
    assert machine.cmd("ahci debug on 7").startswith("error:")


def test_512e_disk_reports_physical_sector(machine):
    d = disk_at(machine, 2)
    assert d["sector_size"] == "512" and d["physical_sector_size"] == "4096", d
    assert d["alignment"] == "0", d
    n = d["n"]
    i = machine.one("identify %s" % n, "identify", timeout=120)
    assert i["sector_size"] == "512" and i["physical_sector_size"] == "4096", i
    assert i["alignment"] == "0", i
    # The boot disk is plain 512-byte sectors.
    b = disk_at(machine, 0)
    assert b["physical_sector_size"] == "512", b
