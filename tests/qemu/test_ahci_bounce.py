"""AHCI on an HBA that cannot reach above 4 GiB: data bounced through the
port's DMA adapter's map registers (kernel/io/dma.c, drivers/ahci/sglist.c).

QEMU's AHCI always sets CAP.S64A, so Parameters\\Force32BitDma = 1 makes the
driver treat it as a 32-bit HBA (quirk no-64bit).  The machine has 6 GiB
with only 256 MiB below 4 GiB, and Parameters\\TestHoldLowMemory = 1 takes
what is left of that after the driver started, so the shell's buffers (pool)
come from above 4 GiB and every data command is bounced through the
adapter's map registers below 4 GiB.  Checked: the log shows the quirk, the
port's map registers, and bounced commands whose data lies above 4 GiB and
whose map registers lie below it (the counter in `disks` grows with the
I/O, by at least every bench read); the port keeps its full transfer size
(the map registers carry a largest transfer whole); the guest writes and
verifies the pattern, reads give the host's CRC; a QD32 random-read load
over the same data leaves it intact; after power-off the host finds the
pattern in the image.
"""
import os
import re
import sys
import zlib

import pytest

from ntstor import ROOT, Machine, make_image
from test_ahci import cfg_with_parameters, disk_at, ahci_log

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

MIB = 1024 * 1024
HOST_SEED = 31
GUEST_SEED = 32
MAX_TRANSFER = 1024 * 1024         # drivers/ahci/ahcip.h AHCI_MAX_TRANSFER_BYTES
MAP_BYTES = 4 * MIB                # drivers/ahci/sglist.c AHCI_SG_MAP_BYTES_MAX (32 slots)


def bounced(m, ctrl, port):
    """The highest 'bounced <n> command(s)' count the port logged, the
    data addresses those lines named and the map registers carrying them."""
    n, pas, regs = 0, [], []
    for line in ahci_log(m):
        mo = re.search(r"ahci%d: port %d: bounced (\d+) command\(s\); .* data at pa 0x([0-9a-f]+) "
                       r"through map registers at pa 0x([0-9a-f]+)" % (ctrl, port), line)
        if mo:
            n = max(n, int(mo.group(1)))
            pas.append(int(mo.group(2), 16))
            regs.append(int(mo.group(3), 16))
    return n, pas, regs


@pytest.fixture(scope="module")
def machine32(image_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("bounce")
    work = str(d / "work.img")
    with open(work, "wb") as f:
        f.truncate(32 * MIB)
    mkdisk.write_pattern(work, 2048, 1024, HOST_SEED)
    img = make_image(str(image_dir / "ahci_bounce.img"),
                     system_cfg=cfg_with_parameters(
                         "InterruptMode = Msi\nForce32BitDma = 1\nTestHoldLowMemory = 1"))
    m = Machine(["--mem", "6G", "--disk", work + ":port=1", "--",
                 "-machine", "max-ram-below-4g=256M"], image=img,
                log_name="test_ahci_bounce").start()
    yield m, work
    m.stop()


def test_quirk_and_map_registers(machine32):
    m, _ = machine32
    d = disk_at(m, 0, 1)
    # No cut: the map registers carry the port's largest transfer whole.
    assert int(d["max_transfer"]) == MAX_TRANSFER, d
    text = "\n".join(ahci_log(m))
    assert "ahci0: quirk no-64bit: Parameters\\Force32BitDma" in text, text
    mo = re.search(r"ahci0: port 1: data the HBA cannot reach \(at or above pa 0x([0-9a-f]+)\) goes "
                   r"through the port's DMA adapter: (\d+) map registers \((\d+) KiB\)", text)
    assert mo, text
    assert int(mo.group(1), 16) == 1 << 32, mo.group(0)
    assert int(mo.group(3)) * 1024 == MAP_BYTES, mo.group(0)
    assert re.search(r"ahci0: test: holding \d+ KiB", text), text


def disk_bounced(m, n):
    """The exact bounce counter and quirks from the disk's `disks` line."""
    d = [r for r in m.lines("disks", "disk") if r["n"] == n][0]
    return int(d["bounced"]), d["quirks"].split(",")


def test_host_pattern_and_crc_through_bounce(machine32):
    m, work = machine32
    n = disk_at(m, 0, 1)["n"]
    before, _, _ = bounced(m, 0, 1)
    exact_before, _ = disk_bounced(m, n)
    v = m.one("verify %s 2048 1024 seed=%d" % (n, HOST_SEED), "verify", timeout=120)
    assert v["mismatches"] == "0" and v["first_bad_lba"] == "-", v
    with open(work, "rb") as f:
        f.seek(2048 * 512)
        data = f.read(1024 * 512)
    r = m.one("read %s 2048 1024" % n, "read", timeout=120)
    assert r["crc32"] == "0x%08x" % zlib.crc32(data), r
    after, pas, regs = bounced(m, 0, 1)
    # 512 KiB twice: at least 2 more bounced (the log names the count at
    # powers of two, so the true count is below twice the last one logged);
    # the logged data lies above 4 GiB, its map registers below.
    assert 2 * after > before + 2, (before, after)
    assert pas and all(pa >= 1 << 32 for pa in pas), [hex(p) for p in pas]
    assert regs and all(pa + MAX_TRANSFER <= 1 << 32 for pa in regs), [hex(p) for p in regs]
    # `disks` shows the quirk and the exact count: 2 x 512 KiB is at least
    # 2 bounced commands.
    count, quirks = disk_bounced(m, n)
    assert "no-64bit" in quirks and count - exact_before >= 2, (exact_before, count, quirks)


def test_guest_write_verify_qd32_and_host_check(machine32):
    m, work = machine32
    n = disk_at(m, 0, 1)["n"]
    m.cmd("writable %s on" % n)
    before, _, _ = bounced(m, 0, 1)
    exact_before, _ = disk_bounced(m, n)
    w = m.one("write %s 8192 3000 seed=%d" % (n, GUEST_SEED), "write", timeout=120)
    assert w["status"] == "STATUS_SUCCESS", w
    v = m.one("verify %s 8192 3000 seed=%d" % (n, GUEST_SEED), "verify", timeout=120)
    assert v["mismatches"] == "0", v
    # 32 reads in flight, each through map registers of its own.
    b = m.one("bench disk=%s rw=randread bs=4096 qd=32 seconds=1 mode=irq" % n, "bench",
              timeout=180)
    ios = int(b["ios"])
    assert ios > 200 and b.get("errors", "0") == "0", b
    v = m.one("verify %s 8192 3000 seed=%d" % (n, GUEST_SEED), "verify", timeout=120)
    assert v["mismatches"] == "0", v
    # The log names the count at powers of two: the true count is below
    # twice the last one logged, and it includes every bench read.
    after, _, _ = bounced(m, 0, 1)
    assert 2 * after > ios + before, (before, after, ios)
    exact_after, _ = disk_bounced(m, n)
    assert exact_after - exact_before >= ios, (exact_before, exact_after, ios)
    assert m.one("flush %s" % n, "flush")["status"] == "STATUS_SUCCESS"
    assert m.poweroff() == 0
    assert mkdisk.check_pattern(work, 8192, 3000, GUEST_SEED)
    assert mkdisk.check_pattern(work, 2048, 1024, HOST_SEED)
