"""Unload and load of the storage drivers at run time: `unload ahci` takes
every disk away, `load ahci` brings the same disks back (same serials, same
data, every non-scratch disk read-only again); the same for disk.sys."""
import pytest

from hwlib import disks, other_disks, read_crc


@pytest.fixture(scope="module")
def before(m):
    rows = disks(m)
    assert rows
    return {r["serial"]: (r, read_crc(m, r["n"], 0, 8)) for r in rows}


def check_back(m, before):
    rows = disks(m)
    assert sorted(r["serial"] for r in rows) == sorted(before), rows
    for r in rows:
        old, crc = before[r["serial"]]
        assert r["sectors"] == old["sectors"], (r, old)
        assert read_crc(m, r["n"], 0, 8) == crc, r
    for r in other_disks(m, rows):
        assert r["writable"] == "0", r


@pytest.mark.parametrize("driver", ["ahci", "disk"])
def test_unload_then_load(m, before, driver):
    u = m.one("unload %s" % driver, "unload", timeout=180)
    assert u["status"] == "STATUS_SUCCESS", u
    assert disks(m) == []
    assert driver not in {r["name"] for r in m.lines("drivers", "driver")}
    assert "STATUS_OBJECT_NAME_NOT_FOUND" in m.error("read 0 0 1")
    if driver == "ahci":     # nothing of the driver left in the pool
        tags = {p["tag"]: p for p in m.lines("pool", "pool") if "tag" in p}
        assert "Ahci" not in tags or tags["Ahci"]["bytes"] == "0", tags.get("Ahci")
    ld = m.one("load %s" % driver, "load", timeout=180)
    assert ld["status"] == "STATUS_SUCCESS", ld
    check_back(m, before)

