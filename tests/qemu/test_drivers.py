"""Driver lifecycle in QEMU: load/unload of the test driver images
(tests/drivers/), DriverEntry contract, refusals of bad images, the filter
driver in an IRP stack, and no pool growth over load/unload cycles.

One machine booted with tests/qemu/drivers.cfg; the tests run in order and
leave the machine as they found it (nothing loaded)."""
import os
import re
import zlib

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

FILTER_OFFSET_SHIFT = 4096      # tests/drivers/filter/filter.c
FILTER_XOR = 0x5A
REGISTRY_PATH = r"\Registry\Machine\System\CurrentControlSet\Services\regcopy"


def regcopy_pattern(offset, length):
    """What \\Device\\RegCopy0 returns (tests/drivers/regcopy/regcopy.c)."""
    return bytes(((o ^ (o >> 8)) & 0xFF) for o in range(offset, offset + length))


def filtered_pattern(offset, length):
    return bytes(b ^ FILTER_XOR for b in regcopy_pattern(offset + FILTER_OFFSET_SHIFT, length))


@pytest.fixture(scope="module")
def m(image_dir):
    with open(os.path.join(ROOT, "tests", "qemu", "drivers.cfg")) as f:
        cfg = f.read()
    img = make_image(str(image_dir / "drivers.img"), system_cfg=cfg)
    machine = Machine(image=img, log_name="test_drivers").start()
    yield machine
    machine.stop()


def load(m, name):
    """Runs `load name`; returns (load line as dict, whole output)."""
    out = m.cmd("load " + name)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("load ")]
    assert len(rows) == 1, out
    assert rows[0]["name"] == name
    return rows[0], out


def unload(m, name):
    out = m.cmd("unload " + name)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("unload ")]
    assert len(rows) == 1, out
    return rows[0], out


def drivers(m):
    return {r["name"]: r for r in m.lines("drivers", "driver")}


def devread(m, length, offset=0):
    return m.one("devread \\Device\\RegCopy0 %d %d" % (length, offset), "devread")


def pool_bytes(m):
    out = m.cmd("pool")
    total = [parse_kv(l) for l in out.splitlines() if l.startswith("pool total ")]
    assert total, out
    return int(total[0]["bytes"])


def test_regcopy_loads_and_copies_its_registry_path(m):
    row, out = load(m, "regcopy")
    assert row["status"] == "STATUS_SUCCESS", out
    assert int(row["us"]) > 0 and int(row["size"]) > 0
    assert "regcopy: registry path copy '%s'" % REGISTRY_PATH in out
    d = drivers(m)["regcopy"]
    assert d["devices"] == "1" and d["state"] == "loaded"
    assert d["base"] == row["base"]


def test_regcopy_device_reads_its_pattern(m):
    for length, offset in ((4096, 0), (512, 12345)):
        r = devread(m, length, offset)
        want = regcopy_pattern(offset, length)
        assert int(r["bytes"]) == length
        assert int(r["crc32"], 16) == zlib.crc32(want), r
        assert r["first"] == want[:16].hex()
    # regcopy serves any offset; one past 2^63 is negative as a LARGE_INTEGER
    # and must be refused by the I/O manager, not handed to the driver.
    err = m.error("devread \\Device\\RegCopy0 512 9223372036854775808")
    assert "STATUS_INVALID_PARAMETER" in err, err


def test_loading_twice_is_refused(m):
    row, out = load(m, "regcopy")
    assert row["status"] == "STATUS_IMAGE_ALREADY_LOADED", out


def test_filter_changes_irps_down_and_up(m):
    row, out = load(m, "filter")
    assert row["status"] == "STATUS_SUCCESS", out
    assert "filter: attached above '\\Device\\RegCopy0'" in out
    for length, offset in ((4096, 0), (1000, 777)):
        r = devread(m, length, offset)
        assert int(r["crc32"], 16) == zlib.crc32(filtered_pattern(offset, length)), r


def test_lower_driver_cannot_unload_under_a_filter(m):
    row, out = unload(m, "regcopy")
    assert row["status"] == "STATUS_DEVICE_BUSY", out
    assert drivers(m)["regcopy"]["state"] == "unload-refused"
    # The device still works through the filter.
    r = devread(m, 512)
    assert int(r["crc32"], 16) == zlib.crc32(filtered_pattern(0, 512))


def test_filter_unloads_and_the_stack_is_restored(m):
    row, out = unload(m, "filter")
    assert row["status"] == "STATUS_SUCCESS", out
    assert "filter" not in drivers(m)
    r = devread(m, 4096)
    assert int(r["crc32"], 16) == zlib.crc32(regcopy_pattern(0, 4096))
    row, out = unload(m, "regcopy")
    assert row["status"] == "STATUS_SUCCESS", out
    assert "regcopy: unloaded" in out
    assert drivers(m) == {}
    assert m.error("devread \\Device\\RegCopy0 512").startswith("error: devread")


def test_failing_driver_entry_is_undone_and_its_leak_reported(m):
    row, out = load(m, "failinit")
    assert row["status"] == "STATUS_UNSUCCESSFUL", out
    assert "driver failinit: DriverEntry failed STATUS_UNSUCCESSFUL" in out
    assert "driver failinit: leaked 128 bytes tag 'Fail'" in out
    assert re.search(r"ldr: failinit\.sys: unloaded", out), out
    assert "failinit" not in drivers(m)


def test_unknown_import_is_refused_by_name(m):
    row, out = load(m, "badimport")
    assert row["status"] == "STATUS_PROCEDURE_NOT_FOUND", out
    assert "ldr: badimport.sys: imports unknown symbol 'KeFooBar'" in out
    assert "badimport" not in drivers(m)


def test_corrupt_header_is_refused(m):
    row, out = load(m, "badhdr")
    assert row["status"] == "STATUS_INVALID_IMAGE_FORMAT", out
    assert re.search(r"ldr: badhdr\.sys: e_phoff 0x7fff0000 \(\d+ headers\) beyond end of file", out), out


def test_missing_service_and_image_path(m):
    row, out = load(m, "nosuchdriver")
    assert row["status"] == "STATUS_OBJECT_NAME_NOT_FOUND", out
    row, out = load(m, "noimage")
    assert row["status"] == "STATUS_OBJECT_NAME_NOT_FOUND", out
    assert "no ImagePath" in out
    row, out = unload(m, "nosuchdriver")
    assert row["status"] == "STATUS_OBJECT_NAME_NOT_FOUND", out


def test_load_unload_cycles_do_not_grow_the_pool(m):
    # One cycle first: lazily created kernel structures are not leaks.
    for name in ("regcopy", "filter"):
        assert load(m, name)[0]["status"] == "STATUS_SUCCESS"
    devread(m, 512)
    for name in ("filter", "regcopy"):
        assert unload(m, name)[0]["status"] == "STATUS_SUCCESS"
    before = pool_bytes(m)
    for _ in range(5):
        for name in ("regcopy", "filter"):
            row, out = load(m, name)
            assert row["status"] == "STATUS_SUCCESS", out
        devread(m, 512)
        for name in ("filter", "regcopy"):
            row, out = unload(m, name)
            assert row["status"] == "STATUS_SUCCESS", out
            assert "leaked" not in out, out
    assert pool_bytes(m) == before


def test_bugcheck_backtrace_names_driver_functions(m, image_dir):
    """A bug check raised inside a loaded driver: the backtrace resolves the
    driver's own functions through the symbols its image registered."""
    img = str(image_dir / "drivers.img")     # made by the module fixture
    with Machine(image=img, log_name="test_drivers_crash") as crash:
        crash.child.sendline("load crasher")
        crash.expect(r"\*\*\* STOP: 0x000000E2 \(0x0000000000[cC]0[fF]{2}[eE][fF]", timeout=60)
        crash.expect("MANUALLY_INITIATED_CRASH", timeout=30)
        crash.expect(r"CrasherInner\+0x[0-9a-f]+ \[crasher\.sys\]", timeout=30)
        crash.expect(r"CrasherOuter\+0x[0-9a-f]+ \[crasher\.sys\]", timeout=30)
        crash.expect(r"DriverEntry\+0x[0-9a-f]+ \[crasher\.sys\]", timeout=30)
        crash.expect(r"IopLoadDriver\+0x[0-9a-f]+ \[ntoskrnl\]", timeout=30)
        crash.expect("System halted", timeout=30)
