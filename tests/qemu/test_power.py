"""Power-down at `poweroff` (issue 8): after the IRP_MJ_SHUTDOWN flush the PnP
manager sends the system power IRP (S5) to every stack, children first;
disk.sys requests D3 and on the way down flushes and sends START STOP UNIT
(stop), which ahci's SATL turns into STANDBY IMMEDIATE (E0h).  QEMU's
`ide_exec_cmd` trace shows the commands each disk got: STANDBY IMMEDIATE
after its last FLUSH CACHE EXT (EAh), and nothing after it.  The data written
before poweroff is on the host image."""
import os
import re
import sys

from ntstor import ROOT, Machine

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

MIB = 1024 * 1024
SEED = 57
ATA_FLUSH_CACHE_EXT = 0xEA
ATA_STANDBY_IMMEDIATE = 0xE0


def test_poweroff_flushes_then_stands_each_disk_by(tmp_path):
    img = tmp_path / "work.img"
    with open(img, "wb") as f:
        f.truncate(64 * MIB)
    trace = tmp_path / "ide.trace"
    args = ["--disk", str(img) + ":port=1", "--",
            "-trace", "enable=ide_exec_cmd,file=%s" % trace]
    with Machine(args, log_name="test_power") as m:
        disks = m.lines("disks", "disk")
        assert len(disks) == 2, disks
        work = [d for d in disks if d["port"] == "1"][0]
        assert m.one("writable %s on" % work["n"], "writable")["writable"] == "1"
        w = m.one("write %s 2048 8 seed=%d" % (work["n"], SEED), "write")
        assert w["status"] == "STATUS_SUCCESS", w
        assert m.poweroff(timeout=120) == 0
        out = m.child.before.replace("\r", "")
    assert "error:" not in out, out
    for d in disks:
        assert re.search(r"disk%s: power-down: SYNCHRONIZE CACHE 0x00000000, "
                         r"START STOP UNIT \(stop\) 0x00000000" % d["n"], out), out
    assert "pnp: power: S5 (shutdown) to" in out, out

    # Per IDE device (QEMU's state pointer): the commands in order.
    cmds = {}
    for line in open(trace, encoding="utf-8", errors="replace"):
        mt = re.search(r"state (0x[0-9a-f]+|\(nil\)); cmd 0x([0-9a-f]+)", line)
        if mt:
            cmds.setdefault(mt.group(1), []).append(int(mt.group(2), 16))
    disks_seen = [c for c in cmds.values() if ATA_FLUSH_CACHE_EXT in c]
    assert len(disks_seen) == 2, cmds
    for c in disks_seen:
        assert c[-1] == ATA_STANDBY_IMMEDIATE, ["%02x" % x for x in c[-6:]]
        last_flush = len(c) - 1 - c[::-1].index(ATA_FLUSH_CACHE_EXT)
        assert last_flush < len(c) - 1, c
    assert mkdisk.check_pattern(str(img), 2048, 8, SEED)
