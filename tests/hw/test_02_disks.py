"""Every disk, read only: listed with sane facts, IDENTIFY (SATA disks; a
USB disk may refuse it with one clear error), SMART and the
partition table agree with them, reads are stable (two reads, one CRC),
and on every disk that is not a scratch disk a write, a trim and a write
bench are refused before anyone said `writable` -- and nothing changed.
The scratch disks the target names must be attached."""
import re

import pytest

from hwlib import STATUS, disks, other_disks, probe_lbas, read_crc
from shellio import parse_kv


@pytest.fixture(scope="module")
def rows(m):
    r = disks(m)
    assert r, "the machine lists no disk"
    return r


def test_every_disk_listed_with_sane_facts(m, rows):
    count = m.one("disks", "disks")
    assert int(count["count"]) == len(rows)
    assert sorted(int(r["n"]) for r in rows) == list(range(len(rows)))
    serials = [r["serial"] for r in rows]
    for r in rows:
        ss = int(r["sector_size"])
        assert ss >= 512 and ss & (ss - 1) == 0, r
        assert int(r["sectors"]) > 0, r
        assert r["model"].strip() and r["serial"].strip(), r
        # mode= is the AHCI port's; a USB disk (the stick the PC booted
        # from) has none
        assert r.get("bus") in ("sata", "usb", "scsi", "nvme", "other"), r
        assert r["mode"] in ("poll", "msi", "intx") or r["bus"] != "sata", r
        assert r["ncq"] in ("0", "1") and r["trim"] in ("0", "1"), r
        assert r["style"] in ("gpt", "mbr", "raw"), r
    dup = {s for s in serials if serials.count(s) > 1}
    assert not dup, "serial numbers seen twice: %s (the scratch rule needs them unique)" % dup


def test_scratch_disks_named_are_attached(m, rows):
    if not m.scratch:
        pytest.skip("no scratch disk: the target names none (scratch =)")
    missing = set(m.scratch) - {r["serial"] for r in rows}
    assert not missing, "scratch serial(s) %s not on any disk: %s" % (
        ", ".join(sorted(missing)), [r["serial"] for r in rows])


def test_identify_agrees(m, rows):
    for r in rows:
        out = m.cmd("identify %s" % r["n"], timeout=60)
        ids = [l for l in out.splitlines() if l.startswith("identify ")]
        if r["bus"] != "sata":
            # a USB bridge without ATA PASS-THROUGH: one clear error line;
            # one with it answers for the ATA disk behind (its own serial)
            errs = [l for l in out.splitlines() if l.startswith("error: ")]
            assert (len(ids) == 1 and not errs) or (not ids and len(errs) == 1 and
                                                    STATUS.search(errs[0])), out
            continue
        assert len(ids) == 1, out
        i = parse_kv(ids[0])
        assert i["serial"] == r["serial"] and i["model"] == r["model"], (i, r)
        assert i["sectors"] == r["sectors"] and i["sector_size"] == r["sector_size"], (i, r)
        assert i["ncq"] == r["ncq"] or r["ncq"] == "0", (i, r)
        assert 1 <= int(i["queue_depth"]) <= 32, i


def test_smart_well_formed(m, rows):
    for r in rows:
        out = m.cmd("smart %s" % r["n"], timeout=60)
        lines = out.splitlines()
        attrs = [l for l in lines if l.startswith("smart_attr ")]
        tail = [l for l in lines if l.startswith("smart disk=")]
        errs = [l for l in lines if l.startswith("error: ")]
        if errs:        # a disk may lack SMART: one clear error line, nothing else
            assert not tail and len(errs) == 1 and STATUS.search(errs[0]), out
            continue
        assert len(tail) == 1 and "status=STATUS_SUCCESS" in tail[0], out
        assert ("attributes=%d " % len(attrs)) in tail[0], out
        for a in attrs:
            assert re.search(r" id=([1-9]\d*) ", a) and int(re.search(r"id=(\d+)", a).group(1)) < 256, a


def test_partitions_fit_and_do_not_overlap(m, rows):
    for r in rows:
        out = m.cmd("parts %s" % r["n"])
        parts = [parse_kv(l) for l in out.splitlines() if l.startswith("part disk=")]
        head = [parse_kv(l) for l in out.splitlines() if l.startswith("parts disk=")]
        assert len(head) == 1, out
        assert head[0]["style"] == r["style"] and int(head[0]["count"]) == len(parts), (head, r)
        assert len(parts) == int(r["partitions"]), (parts, r)
        spans = sorted((int(p["start_lba"]), int(p["sectors"])) for p in parts)
        for start, n in spans:
            assert n > 0 and start + n <= int(r["sectors"]), (start, n, r)
        if r["style"] == "gpt":      # MBR's extended container holds its logicals
            for (s1, n1), (s2, _) in zip(spans, spans[1:]):
                assert s1 + n1 <= s2, spans


def test_reads_stable(m, rows):
    for r in rows:
        for lba in probe_lbas(r):
            a = read_crc(m, r["n"], lba, 8)
            b = read_crc(m, r["n"], lba, 8)
            assert a == b, "disk %s lba %d: two reads, CRCs %s and %s" % (r["n"], lba, a, b)
        end = int(r["sectors"])
        assert "(beyond end of disk)" in m.error("read %s %d 1" % (r["n"], end))


def test_writes_refused_on_every_other_disk(m, rows):
    others = other_disks(m, rows)
    if not others:
        pytest.skip("every disk is a scratch disk")
    for r in others:
        # A disk that is writable already would take the writes below:
        # stop before writing anything.
        assert r["writable"] == "0", "disk %s (%s) is writable but not a scratch disk" % (
            r["n"], r["serial"])
    for r in others:
        n = r["n"]
        lba = int(r["sectors"]) // 2
        before = read_crc(m, n, lba, 8)
        for line in ("write %s %d 8 seed=99" % (n, lba), "trim %s %d 8" % (n, lba),
                     "bench disk=%s rw=randwrite bs=4096 qd=1 seconds=1 mode=poll" % n):
            err = m.error(line)
            assert "STATUS_MEDIA_WRITE_PROTECTED" in err, (line, err)
        assert read_crc(m, n, lba, 8) == before, "disk %s changed under refused writes" % n
        assert m.one("verify %s %d 8 seed=99" % (n, lba), "verify")["mismatches"] != "0"
