"""bench against a disk that barely moves (QEMU throttling at 2 IOPS).

128 requests at 2 IOPS take 64 s: more than bench's drain (drain=1) and
NtClose's 30 s wait together.  (The port driver may keep 8 in the device,
MaxQueueDepth, so none waits there past its 10 s command timeout.)  bench must still print its summary line
(drain=timeout, the unfinished count) and an error line; the handle is
closed with requests outstanding, and the I/O manager keeps the file object
only until the last of them completes -- after that `unload disk` succeeds
(it answered STATUS_DEVICE_BUSY until reboot before), and `load disk`
brings the disk back under its number.
"""
import re
import time

import pytest

from ntstor import Machine, make_image, parse_kv
from test_ahci import cfg_with_parameters, disk_at

QD = 128
IOPS = 2


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    d = tmp_path_factory.mktemp("drain")
    boot = make_image(str(d / "boot.img"), system_cfg=cfg_with_parameters("MaxQueueDepth = 8"))
    img = str(d / "slow.img")
    with open(img, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    drive = "if=none,id=slow,format=raw,file=%s,throttling.iops-total=%d" % (
        img.replace(",", ",,"), IOPS)
    mach = Machine(["--", "-drive", drive, "-device", "ide-hd,drive=slow,bus=ide.1"], image=boot,
                   log_name="test_bench_drain").start()
    yield mach
    mach.stop()


def test_summary_after_drain_timeout_and_unload_once_done(m):
    n = disk_at(m, 0, 1)["n"]
    assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    start = time.monotonic()
    out = m.cmd("bench disk=%s rw=randwrite bs=4096 qd=%d seconds=1 drain=1 mode=irq span=8192 "
                "seed=5" % (n, QD), timeout=180)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("bench ")]
    assert len(rows) == 1, out
    b = rows[0]
    assert b["drain"] == "timeout" and 0 < int(b["unfinished"]) <= QD, out
    assert any(l.startswith("error: bench disk=%s unfinished=" % n) for l in out.splitlines()), out
    # Still outstanding after the close gave up: the disk cannot go yet.
    text = m.cmd("log", timeout=120)
    assert re.search(r"close: \d+ request\(s\) still outstanding", text), text
    # No command timed out: the device was slow, not broken.
    assert b["recoveries"] == "0", b
    # Once every request has finished (QD / IOPS seconds after the start,
    # plus slack), the kept file object is gone and the disk unloads.
    left = QD / IOPS + 15 - (time.monotonic() - start)
    if left > 0:
        time.sleep(left)
    out = m.cmd("unload disk", timeout=120)
    assert "STATUS_DEVICE_BUSY" not in out and not [l for l in out.splitlines()
                                                   if l.startswith("error:")], out
    out = m.cmd("load disk", timeout=120)
    assert not [l for l in out.splitlines() if l.startswith("error:")], out
    assert disk_at(m, 0, 1)["n"] == n
