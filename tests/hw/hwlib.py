"""Helpers of the hardware suite: the disk inventory and the scratch rule."""
import re

import pytest

STATUS = re.compile(r"STATUS_[A-Z0-9_]+")


def disks(m):
    rows = m.lines("disks", "disk")
    for r in rows:
        assert r.get("n", "").isdigit(), r
    return rows


def scratch_disks(m, rows=None):
    """The disks the target allows writing: serial named in `scratch`."""
    rows = disks(m) if rows is None else rows
    return [r for r in rows if r.get("serial") in m.scratch]


def other_disks(m, rows=None):
    rows = disks(m) if rows is None else rows
    return [r for r in rows if r.get("serial") not in m.scratch]


def no_scratch_reason(m, rows):
    if not m.scratch:
        return "no scratch disk: the target names none (scratch =), so nothing is written"
    return "no scratch disk: none of %s is attached, so nothing is written" % ", ".join(m.scratch)


def need_scratch(m, rows=None):
    """The first scratch disk, or skips the test saying why there is none."""
    rows = disks(m) if rows is None else rows
    s = scratch_disks(m, rows)
    if not s:
        pytest.skip(no_scratch_reason(m, rows))
    return s[0]


def read_crc(m, n, lba, count):
    r = m.one("read %s %d %d" % (n, lba, count), "read")
    assert re.fullmatch(r"0x[0-9a-f]{8}", r["crc32"]), r
    return r["crc32"]


def probe_lbas(d, count=8):
    """A few places to read on a disk: start, middle, end."""
    sectors = int(d["sectors"])
    last = max(0, sectors - count)
    return sorted({0, min(2048, last), last // 2, last})


def bench(m, args, timeout=180):
    """Runs bench; returns (its line's fields, error lines)."""
    out = m.cmd("bench " + args, timeout=timeout)
    rows = [l for l in out.splitlines() if l.startswith("bench ")]
    errs = [l for l in out.splitlines() if l.startswith("error: ")]
    assert len(rows) == 1 or errs, out
    from shellio import parse_kv
    return (parse_kv(rows[0]) if rows else None), errs
