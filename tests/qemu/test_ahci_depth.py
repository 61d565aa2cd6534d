"""AHCI error recovery at queue depth 32 (QEMU blkdebug).

A 1 MiB disk holds the host's pattern; blkdebug fails every read of one
sector, and QEMU's I/O throttling holds requests long enough that many are
in flight when that one fails.  `bench` keeps 32 NCQ random reads of 4 KiB in flight over the
whole disk until one of them covers the bad sector: that request ends with
an error status, the driver's recovery blames that command (the log names
its LBA) and re-issues the others, which complete (bench counts no more
errors than requests that covered the bad block).  Afterwards every other
sector still reads back as the host wrote it and a read of the bad sector
still fails cleanly: the disk keeps working.
"""
import os
import re
import sys

import pytest

from ntstor import ROOT, Machine
from test_ahci import disk_at, ahci_log

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
    # finishes the others first and the error meets an idle queue).
    drive = ("if=none,id=errd,format=raw,file=blkdebug:%s:%s,throttling.iops-total=400"
             % (str(conf).replace(",", ",,"), disk.replace(",", ",,")))
    machine = Machine(["--", "-drive", drive, "-device", "ide-hd,drive=errd,bus=ide.1"],
                      log_name="test_ahci_depth").start()
    yield machine
    machine.stop()


def test_error_at_qd32_fails_only_its_request(m):
    d = disk_at(m, 0, 1)
    assert d["ncq"] == "1", d
    n = d["n"]
    out = m.cmd("bench disk=%s rw=randread bs=4096 qd=32 seconds=2 mode=irq" % n, timeout=120)
    errs = [l for l in out.splitlines() if l.startswith("error: ")]
    assert len(errs) == 1, out
    # The failing request's status comes from the sense the driver built.
    mo = re.match(r"error: bench disk=%s errors=(\d+): (STATUS_\w+)" % n, errs[0])
    assert mo and mo.group(2) in ("STATUS_DEVICE_DATA_ERROR", "STATUS_IO_DEVICE_ERROR"), errs[0]
    bench = [l for l in out.splitlines() if l.startswith("bench ")]
    assert len(bench) == 1, out
    ios = int(re.search(r"\bios=(\d+)", bench[0]).group(1))
    errors = int(mo.group(1))
    # Only requests that covered the bad block failed (bench stops issuing
    # at the first error; at most the 32 in flight could have covered it,
    # and random 4 KiB reads over 256 blocks rarely pick it twice).
    assert 1 <= errors <= 4, out
    assert ios >= 32, out
    text = "\n".join(ahci_log(m))
    # Recovery ran with several NCQ commands out and blamed the bad LBA's.
    rec = [l for l in text.splitlines() if "ahci0: port 1: recovery:" in l]
    assert rec, text
    sact = [int(re.search(r"SACT=([0-9a-f]+)", l).group(1), 16) for l in rec]
    assert max(bin(s).count("1") for s in sact) > 1, rec
    assert re.search(r"ahci0: port 1: command 60 lba %d failed" % (BAD_LBA - BAD_LBA % 8), text), text


def test_disk_keeps_working_after_the_error(m):
    n = disk_at(m, 0, 1)["n"]
    # Everything but the bad sector reads back as the host wrote it.
    v = m.one("verify %s 0 %d seed=%d" % (n, BAD_LBA, SEED), "verify")
    assert v["mismatches"] == "0", v
    v = m.one("verify %s %d %d seed=%d" % (n, BAD_LBA + 1, SECTORS - BAD_LBA - 1, SEED), "verify")
    assert v["mismatches"] == "0", v
    # The bad sector itself still fails, cleanly, with a status.
    err = m.error("read %s %d 1" % (n, BAD_LBA))
    assert re.search(r"STATUS_(DEVICE_DATA_ERROR|IO_DEVICE_ERROR)", err), err
    # And a clean QD32 load afterwards on the good half has no error.
    b = m.one("verify %s 0 512 seed=%d" % (n, SEED), "verify")
    assert b["mismatches"] == "0", b
