"""The kernel's partition-table exports on a real disk stack, called by a
driver other than disk.sys (tests/drivers/fstubtest): IoReadPartitionTableEx
and IoReadDiskSignature against the host's view of an sfdisk-made MBR disk
(signature, NT's checksum of LBA 0, every partition), and
IoWritePartitionTableEx -- refused by disk.sys while the disk is read-only
(image unchanged), then, once `writable` is on, a GPT the host's sgdisk
finds nothing wrong with after poweroff.

One machine: the boot disk and the MBR disk on port 1 (Harddisk1)."""
import hashlib
import os
import re
import struct
import subprocess
import sys

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

FSTUB_CFG = """
[Services\\fstubrd]
ImagePath = \\ntstor\\tests\\fstubtest.sys
Start     = Demand

[Services\\fstubrd\\Parameters]
Target    = \\Device\\Harddisk1\\DR1
Write     = 0

[Services\\fstubwr]
ImagePath = \\ntstor\\tests\\fstubtest.sys
Start     = Demand

[Services\\fstubwr\\Parameters]
Target    = \\Device\\Harddisk1\\DR1
Write     = 1
"""


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fstub") / "mbr.img")
    mkdisk.make_mbr(path)
    return path


@pytest.fixture(scope="module")
def m(image_dir, data):
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read() + FSTUB_CFG
    img = make_image(str(image_dir / "fstub.img"), system_cfg=cfg)
    machine = Machine(["--disk", data + ":port=1"], image=img, log_name="test_fstub").start()
    yield machine
    machine.stop()


def load(m, service):
    out = m.cmd("load " + service, timeout=120)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("load name=")]
    assert len(rows) == 1 and rows[0]["status"] == "STATUS_SUCCESS", out
    unload = m.cmd("unload " + service, timeout=120)
    assert "leaked" not in unload, unload
    return out


def kv(out, prefix):
    return [parse_kv(l[l.index(prefix):]) for l in out.splitlines() if prefix in l]


def host_mbr(path):
    with open(path, "rb") as f:
        lba0 = f.read(512)
    signature = struct.unpack_from("<I", lba0, 440)[0]
    checksum = (-sum(struct.unpack("<128I", lba0))) & 0xFFFFFFFF
    return signature, checksum


def test_read_layout_and_signature_match_the_host(m, data):
    out = load(m, "fstubrd")
    signature, checksum = host_mbr(data)
    [layout] = kv(out, "fstubtest read ")
    assert layout["status"] == "0x00000000", out
    assert int(layout["style"]) == 0                                    # PARTITION_STYLE_MBR
    assert int(layout["mbr_signature"], 16) == signature == 0x1234ABCD
    assert int(layout["mbr_checksum"], 16) == checksum
    # The host's partitions (the extended container gets no number).
    parts = [(int(p["offset"]) // 512, int(p["length"]) // 512) for p in kv(out, "fstubtest_part ")]
    want = [(s, n) for s, n, t, _ in mkdisk.MBR_LAYOUT if t != "5"]
    assert parts == want, out
    assert int(layout["count"]) == len(want)
    [sig] = kv(out, "fstubtest signature ")
    assert sig["status"] == "0x00000000" and int(sig["style"]) == 0, out
    assert int(sig["mbr_signature"], 16) == signature
    assert int(sig["mbr_checksum"], 16) == checksum


def test_write_refused_on_a_read_only_disk(m, data):
    before = sha256(data)
    out = load(m, "fstubwr")
    [w] = kv(out, "fstubtest write ")
    assert w["status"] == "0xC00000A2", out                             # STATUS_MEDIA_WRITE_PROTECTED
    assert "partition table not written" in out, out
    assert int(kv(out, "fstubtest reread ")[0]["style"]) == 0, out      # still the MBR
    assert sha256(data) == before


def test_write_gpt_then_poweroff_sgdisk_agrees(m, data):
    n = [d["n"] for d in m.lines("disks", "disk") if d["port"] == "1"][0]
    assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    out = load(m, "fstubwr")
    [w] = kv(out, "fstubtest write ")
    assert w["status"] == "0x00000000", out
    [again] = kv(out, "fstubtest reread ")
    assert int(again["style"]) == 1 and int(again["count"]) == 3, out   # GPT, read back
    assert again["disk_id"] == "F5702B00" and int(again["max"]) == 128, out
    out = load(m, "fstubrd")
    [sig] = kv(out, "fstubtest signature ")
    assert int(sig["style"]) == 1 and sig["disk_id"] == "F5702B00", out
    assert m.poweroff() == 0
    check = subprocess.run(["sgdisk", "-v", data], capture_output=True, text=True)
    assert "No problems found" in check.stdout, check.stdout
    table = subprocess.run(["sgdisk", "-p", data], capture_output=True, text=True).stdout
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s", table, re.M)
    sectors = os.path.getsize(data) // 512
    assert [tuple(map(int, r)) for r in rows] == [
        (1, 2048, 4095), (2, 4096, 12287), (3, 12288, sectors - 2048 - 1)], table
