"""AHCI error recovery at queue depth 32 (QEMU blkdebug).

A 1 MiB disk holds the host's pattern; blkdebug fails every read of one
sector, and QEMU's I/O throttling holds requests long enough that many are
in flight when that one fails.  `bench` keeps 32 NCQ random reads of 4 KiB in flight over the
whole disk until one of them covers the bad sector: that request ends with
an error status, the driver's recovery blames that command (the log names
its LBA) and re-issues the others, which complete.  bench checks every
successful read against the host's pattern (seed=, buffers poisoned
before each read), so a read completed without its own data fails the
test, and only the bad block's command may ever be failed (no innocent
blamed).  Afterwards every other sector still reads back as the host
wrote it, at QD1 and at QD32 (three times, the error recurring), and a
read of the bad sector still fails cleanly: the disk keeps working.
"""
import os
import re
import sys

import pytest

from ntstor import ROOT, Machine
from test_ahci import disk_at

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

SECTORS = 2048
BAD_LBA = 1000
SEED = 515


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    d = tmp_path_factory.mktemp("depth")
    disk = str(d / "err.img")
    with open(disk, "wb") as f:
        f.truncate(SECTORS * 512)
    mkdisk.write_pattern(disk, 0, SECTORS, SEED)
    conf = d / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\n' % BAD_LBA)
    # QEMU's throttling keeps requests queued in QEMU, so the failing read
    # is one of many NCQ commands out when it ends (unthrottled, QEMU
    # finishes the others first and the error meets an idle queue).  At
    # 100 IOPS the throttle's burst bucket holds 10 requests (a tenth of a
    # second), so it queues from the start whatever the host's load; at
    # 400 (a 40-request bucket) a loaded host issued too slowly to fill it
    # and the bad read met an idle queue.
    drive = ("if=none,id=errd,format=raw,file=blkdebug:%s:%s,throttling.iops-total=100"
             % (str(conf).replace(",", ",,"), disk.replace(",", ",,")))
    machine = Machine(["--", "-drive", drive, "-device", "ide-hd,drive=errd,bus=ide.1"],
                      log_name="test_ahci_depth").start()
    yield machine
    machine.stop()


def bench_checked(m, n):
    """A QD32 random-read bench that checks every successful read against
    the pattern (bench seed=: buffers poisoned before each read): returns
    (bench line fields, error count)."""
    out = m.cmd("bench disk=%s rw=randread bs=4096 qd=32 seconds=2 mode=irq seed=%d" % (n, SEED),
                timeout=180)
    bench = [l for l in out.splitlines() if l.startswith("bench ")]
    assert len(bench) == 1, out
    b = dict(kv.split("=", 1) for kv in bench[0].split()[1:])
    # Not one successful read carried wrong data.
    assert b["bad_blocks"] == "0" and b["first_bad_lba"] == "-", out
    assert b["checked"] == b["ios"], out
    errs = [l for l in out.splitlines() if l.startswith("error: ")]
    errors = int(b["errors"])
    if errors:
        assert len(errs) == 1, out
        mo = re.match(r"error: bench disk=%s errors=(\d+): (STATUS_\w+)" % n, errs[0])
        assert mo and mo.group(2) in ("STATUS_DEVICE_DATA_ERROR", "STATUS_IO_DEVICE_ERROR"), errs[0]
    return b, errors


def blamed_lbas(text):
    """LBAs of commands the driver failed, and of reads the disk driver gave up on."""
    failed = [int(x) for x in re.findall(r"ahci0: port 1: command 60 lba (\d+) failed", text)]
    given_up = [int(x) for x in re.findall(r"disk1: read LBA (\d+)\+", text)]
    return failed, given_up


def test_error_at_qd32_fails_only_its_request(m):
    d = disk_at(m, 0, 1)
    assert d["ncq"] == "1", d
    n = d["n"]
    b, errors = bench_checked(m, n)
    # The bad block was hit (bench stops issuing at its first error).
    assert errors >= 1, b
    assert int(b["ios"]) >= 32, b
    text = m.cmd("log", timeout=120)
    # Recovery ran with several NCQ commands out ...
    rec = [l for l in text.splitlines() if "ahci0: port 1: recovery:" in l]
    assert rec, text
    sact = [int(re.search(r"SACT=([0-9a-f]+)", l).group(1), 16) for l in rec]
    assert max(bin(s).count("1") for s in sact) > 1, rec
    # ... and only the command covering the bad sector was ever failed:
    # no innocent blamed, none given up after retries.
    failed, given_up = blamed_lbas(text)
    bad_block = BAD_LBA - BAD_LBA % 8
    assert failed and set(failed) == {bad_block}, text
    assert set(given_up) <= {bad_block}, text


def test_disk_keeps_working_after_the_error(m):
    n = disk_at(m, 0, 1)["n"]
    for _ in range(3):
        # Everything but the bad sector reads back as the host wrote it.
        v = m.one("verify %s 0 %d seed=%d" % (n, BAD_LBA, SEED), "verify")
        assert v["mismatches"] == "0", v
        v = m.one("verify %s %d %d seed=%d" % (n, BAD_LBA + 1, SECTORS - BAD_LBA - 1, SEED),
                  "verify")
        assert v["mismatches"] == "0", v
        # And at queue depth 32 with the error recurring among the reads:
        # every read that succeeded holds its own sectors' data.
        bench_checked(m, n)
    failed, given_up = blamed_lbas(m.cmd("log", timeout=120))
    assert set(failed) <= {BAD_LBA - BAD_LBA % 8}, failed
    assert set(given_up) <= {BAD_LBA - BAD_LBA % 8}, given_up
    # The bad sector itself still fails, cleanly, with a status.
    err = m.error("read %s %d 1" % (n, BAD_LBA))
    assert re.search(r"STATUS_(DEVICE_DATA_ERROR|IO_DEVICE_ERROR)", err), err
    b = m.one("verify %s 0 512 seed=%d" % (n, SEED), "verify")
    assert b["mismatches"] == "0", b
