"""Storage stack end to end: disk images made on the host by sgdisk/sfdisk
with host-written pattern data, checked by the guest through the disk class
driver (disks, parts, read, verify); guest-written pattern data checked byte
for byte on the host after poweroff; the write refusal of a read-only disk
(image unchanged); bad requests giving one error line each.

One boot carries three extra disks: port 1 GPT (made writable at run time),
port 2 MBR with an extended partition (read-only), port 3 GPT whose primary
header is damaged (the backup must be used)."""
import hashlib
import os
import re
import subprocess
import sys
import zlib

import pytest

from ntstor import ROOT, Machine

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

HOST_SEED = 4242
GUEST_SEED = 77


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def disks(tmp_path_factory):
    d = tmp_path_factory.mktemp("storage")
    gpt, mbr, bad = str(d / "gpt.img"), str(d / "mbr.img"), str(d / "badgpt.img")
    mkdisk.make_gpt(gpt)
    mkdisk.write_pattern(gpt, 4096, 64, HOST_SEED)
    mkdisk.make_mbr(mbr)
    mkdisk.write_pattern(mbr, 22528, 16, HOST_SEED)
    mkdisk.make_gpt(bad)
    with open(bad, "r+b") as f:          # primary header CRC field at LBA 1 + 16
        f.seek(512 + 16)
        f.write(b"\xde\xad\xbe\xef")
    return {"gpt": gpt, "mbr": mbr, "bad": bad, "mbr_sha": sha256(mbr)}


@pytest.fixture(scope="module")
def m(disks):
    mach = Machine(["--boot-snapshot", "--disk", disks["gpt"] + ":port=1",
                    "--disk", disks["mbr"] + ":port=2", "--disk", disks["bad"] + ":port=3"],
                   log_name="test_storage").start()
    yield mach
    mach.stop()


def disk_by_port(m, port):
    for d in m.lines("disks", "disk"):
        if d["port"] == str(port):
            return d
    raise AssertionError("no disk on port %d" % port)


def test_disks_lines(m):
    rows = m.lines("disks", "disk")
    assert len(rows) == 4, rows
    d = disk_by_port(m, 1)
    assert d["model"] == "QEMU HARDDISK"
    assert d["serial"].startswith("QM")
    assert d["sectors"] == str(64 << 11) and d["sector_size"] == "512"
    assert d["writable"] == "0"                 # the safety default
    assert d["mode"] in ("poll", "msi", "intx")
    assert d["ncq"] in ("0", "1") and d["trim"] in ("0", "1")
    assert d["style"] == "gpt" and d["partitions"] == "2"
    assert disk_by_port(m, 2)["style"] == "mbr"
    # QEMU's AHCI reaches 64 bits: nothing bounced, no no-64bit quirk
    assert d["bounced"] == "0" and "no-64bit" not in d["quirks"], d
    assert re.fullmatch(r"-|[a-z0-9-]+(,[a-z0-9-]+)*", d["quirks"]), d


def test_gpt_partitions_match_sgdisk(m, disks):
    n = disk_by_port(m, 1)["n"]
    parts = m.lines("parts " + n, "part")
    out = subprocess.run(["sgdisk", "-p", disks["gpt"]], capture_output=True, text=True).stdout
    rows = [l.split() for l in out.splitlines() if l.strip()[:1].isdigit()]
    assert len(parts) == len(rows) == 2
    for p, r in zip(parts, rows):
        assert p["start_lba"] == r[1]
        assert int(p["sectors"]) == int(r[2]) - int(r[1]) + 1
    assert parts[0]["name"] == "esp" and parts[1]["name"] == "data"
    assert parts[0]["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    s = m.one("parts " + n, "parts")
    assert s["problems"] == "0" and s["backup_gpt"] == "0"


def test_mbr_extended_partitions_match_sfdisk(m):
    n = disk_by_port(m, 2)["n"]
    parts = m.lines("parts " + n, "part")
    want = [(s, c, t) for s, c, t, _ in mkdisk.MBR_LAYOUT if t != "5"]
    assert [(int(p["start_lba"]), int(p["sectors"])) for p in parts] == [(s, c) for s, c, _ in want]
    assert [int(p["type"], 16) for p in parts] == [int(t, 16) for _, _, t in want]
    assert [p["n"] for p in parts] == ["1", "2", "3", "4", "5"]
    assert parts[0].get("boot") == "1"


def test_damaged_primary_gpt_uses_backup(m):
    n = disk_by_port(m, 3)["n"]
    out = m.cmd("parts " + n)
    s = m.one("parts " + n, "parts")
    assert s["style"] == "gpt" and s["count"] == "2" and s["backup_gpt"] == "1", out
    assert "primary header at LBA 1" in out and "CRC32" in out, out


def test_read_crc_matches_host(m, disks):
    n = disk_by_port(m, 1)["n"]
    with open(disks["gpt"], "rb") as f:
        f.seek(4096 * 512)
        data = f.read(64 * 512)
    r = m.one("read %s 4096 64" % n, "read")
    assert r["crc32"] == "0x%08x" % zlib.crc32(data)
    # A read that crosses the driver's piece size still returns the same bytes.
    with open(disks["gpt"], "rb") as f:
        data = f.read(4096 * 512)
    assert m.one("read %s 0 4096" % n, "read")["crc32"] == "0x%08x" % zlib.crc32(data)


def test_host_pattern_verified_by_guest(m):
    n = disk_by_port(m, 1)["n"]
    v = m.one("verify %s 4096 64 seed=%d" % (n, HOST_SEED), "verify")
    assert v["mismatches"] == "0" and v["first_bad_lba"] == "-"
    v = m.one("verify %s 4096 64 seed=%d" % (n, HOST_SEED + 1), "verify")
    assert v["mismatches"] == "64" and v["first_bad_lba"] == "4096"
    n2 = disk_by_port(m, 2)["n"]     # inside an MBR logical partition
    assert m.one("verify %s 22528 16 seed=%d" % (n2, HOST_SEED), "verify")["mismatches"] == "0"


def test_write_to_read_only_disk_refused(m):
    n = disk_by_port(m, 2)["n"]
    err = m.error("write %s 100 8 seed=1" % n)
    assert "STATUS_MEDIA_WRITE_PROTECTED" in err
    w = m.one("write %s 100 8 seed=1" % n, "write")
    assert w["status"] == "STATUS_MEDIA_WRITE_PROTECTED"


def test_bad_requests(m):
    n = disk_by_port(m, 1)["n"]
    assert m.error("read %s 99999999 1" % n) == \
        "error: read disk=%s lba=99999999: STATUS_INVALID_PARAMETER (beyond end of disk)" % n
    assert "STATUS_INVALID_PARAMETER (beyond end of disk)" in m.error("read %s 131070 8" % n)
    assert "(zero count)" in m.error("read %s 0 0" % n)
    assert "STATUS_OBJECT_NAME_NOT_FOUND (no such disk)" in m.error("read 9 0 1")
    assert "expected seed" in m.error("verify %s 0 1" % n)


def test_guest_write_then_poweroff(m, disks):
    """Runs last: guest writes, the machine powers off, the host checks."""
    n = disk_by_port(m, 1)["n"]
    assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    # Runs off the end after more than one shell chunk: refused whole, so
    # nothing before the end (nor the backup GPT) is written.
    assert "(beyond end of disk)" in m.error("write %s 130000 1100 seed=%d" % (n, GUEST_SEED))
    # 3000 sectors: several pieces, a partial last chunk of the shell.
    w = m.one("write %s 8192 3000 seed=%d" % (n, GUEST_SEED), "write")
    assert w["status"] == "STATUS_SUCCESS"
    assert m.one("verify %s 8192 3000 seed=%d" % (n, GUEST_SEED), "verify")["mismatches"] == "0"
    # Through a partition device: partition 2 starts at 18432.
    assert m.one("flush %s" % n, "flush")["status"] == "STATUS_SUCCESS"
    assert m.poweroff() == 0
    # poweroff sent IRP_MJ_SHUTDOWN to every disk: each flushed its cache
    tail = m.child.before
    for d in range(4):
        assert re.search(r"disk%d: shutdown: write cache flushed, status 0x00000000" % d, tail), tail
    assert mkdisk.check_pattern(disks["gpt"], 8192, 3000, GUEST_SEED)
    assert mkdisk.check_pattern(disks["gpt"], 4096, 64, HOST_SEED)     # untouched neighbour
    with open(disks["gpt"], "rb") as f:
        f.seek(8192 * 512 - 512)
        assert f.read(512) == b"\0" * 512                               # nothing before
        f.seek((8192 + 3000) * 512)
        assert f.read(512) == b"\0" * 512                               # nothing after
        f.seek(130000 * 512)
        assert f.read(1039 * 512) == b"\0" * 1039 * 512                 # refused write (up to the backup GPT)
    assert sha256(disks["mbr"]) == disks["mbr_sha"]                     # read-only disk unchanged


def test_writable_by_serial_from_system_cfg(tmp_path):
    """Parameters\\WritableSerials names port 1's disk (QEMU: QM00003):
    writable from boot; the disk on port 2 stays read-only."""
    from ntstor import make_image
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read() + "\n[Services\\disk\\Parameters]\nWritableSerials = QM00003, NOPE1\n"
    image = make_image(str(tmp_path / "ntstor-ws.img"), system_cfg=cfg)
    a, b = str(tmp_path / "a.img"), str(tmp_path / "b.img")
    mkdisk.make_gpt(a)
    mkdisk.make_gpt(b)
    before = sha256(b)
    with Machine(["--boot-snapshot", "--disk", a + ":port=1", "--disk", b + ":port=2"], image=image,
                 log_name="test_storage_serials") as mach:
        rows = {d["port"]: d for d in mach.lines("disks", "disk")}
        assert rows["1"]["serial"] == "QM00003" and rows["1"]["writable"] == "1"
        assert rows["2"]["writable"] == "0"
        w = mach.one("write %s 3000 16 seed=5" % rows["1"]["n"], "write")
        assert w["status"] == "STATUS_SUCCESS"
        assert "STATUS_MEDIA_WRITE_PROTECTED" in mach.error("write %s 3000 16 seed=5" % rows["2"]["n"])
        assert mach.poweroff() == 0
    assert mkdisk.check_pattern(a, 3000, 16, 5)
    assert sha256(b) == before


def test_trim_beyond_one_unmap(tmp_path):
    """A TRIM larger than the port takes in one UNMAP (its block limits
    VPD page) is cut into several; refused while the disk is read-only."""
    img = str(tmp_path / "big.img")
    with open(img, "wb") as f:
        f.truncate(4 << 30)                     # sparse: 8388608 sectors
    with Machine(["--boot-snapshot", "--disk", img + ":port=1"], log_name="test_storage_trim") as mach:
        n = {d["port"]: d for d in mach.lines("disks", "disk")}["1"]["n"]
        assert "STATUS_MEDIA_WRITE_PROTECTED" in mach.error("trim %s 0 8" % n)
        assert mach.one("writable %s on" % n, "writable")["writable"] == "1"
        t = mach.one("trim %s 0 8388608" % n, "trim", timeout=120)
        assert t["status"] == "STATUS_SUCCESS", t
