"""Writing, on scratch disks only: `writable on`, write/verify at the start,
the middle and the end of the disk, trim, flush -- and every other disk
reads as it did before.  Without a scratch disk every test here is skipped,
and the skip says why."""
import pytest

from hwlib import disks, need_scratch, other_disks, probe_lbas, read_crc

SEED = 0x5EED


@pytest.fixture(scope="module")
def before(m):
    """CRCs of the other disks before anything is written."""
    rows = disks(m)
    return rows, {(r["n"], lba): read_crc(m, r["n"], lba, 8)
                  for r in other_disks(m, rows) for lba in probe_lbas(r)}


@pytest.fixture(scope="module")
def s(m, before):
    d = need_scratch(m, before[0])
    assert d["serial"] in m.scratch
    assert m.one("writable %s on" % d["n"], "writable")["writable"] == "1"
    return d


def places(d, count):
    sectors = int(d["sectors"])
    return sorted({min(2048, sectors - count), sectors // 2 - count, sectors - count})


def test_write_verify_start_middle_end(m, s):
    n, count = s["n"], 64
    for i, lba in enumerate(places(s, count)):
        w = m.one("write %s %d %d seed=%d" % (n, lba, count, SEED + i), "write", timeout=120)
        assert w["status"] == "STATUS_SUCCESS", w
    for i, lba in enumerate(places(s, count)):
        v = m.one("verify %s %d %d seed=%d" % (n, lba, count, SEED + i), "verify", timeout=120)
        assert v["mismatches"] == "0" and v["first_bad_lba"] == "-", v
        # The check can fail: another seed must not match.
        v = m.one("verify %s %d %d seed=%d" % (n, lba, count, SEED + 100), "verify", timeout=120)
        assert v["mismatches"] == str(count) and v["first_bad_lba"] == str(lba), v
    assert "(beyond end of disk)" in m.error("write %s %s 1 seed=1" % (n, s["sectors"]))


def test_big_write_in_pieces(m, s):
    n, count = s["n"], 4096         # several requests' worth
    lba = min(100000, int(s["sectors"]) - count)
    assert m.one("write %s %d %d seed=%d" % (n, lba, count, SEED), "write",
                 timeout=300)["status"] == "STATUS_SUCCESS"
    assert m.one("verify %s %d %d seed=%d" % (n, lba, count, SEED), "verify",
                 timeout=300)["mismatches"] == "0"


def test_trim(m, s):
    n = s["n"]
    lba = places(s, 64)[1]
    if s["trim"] != "1":
        assert "STATUS_" in m.error("trim %s %d 64" % (n, lba))
        pytest.skip("disk %s does not support TRIM (refusal checked)" % n)
    t = m.one("trim %s %d 64" % (n, lba), "trim")
    assert t["status"] == "STATUS_SUCCESS" and t["count"] == "64", t
    # Trimmed sectors read back as something, consistently, and take new data.
    assert read_crc(m, n, lba, 64) == read_crc(m, n, lba, 64)
    assert m.one("write %s %d 64 seed=7" % (n, lba), "write")["status"] == "STATUS_SUCCESS"
    assert m.one("verify %s %d 64 seed=7" % (n, lba), "verify")["mismatches"] == "0"


def test_flush(m, s):
    assert m.one("flush %s" % s["n"], "flush")["status"] == "STATUS_SUCCESS"


def test_other_disks_unchanged(m, s, before):
    for (n, lba), crc in before[1].items():
        assert read_crc(m, n, lba, 8) == crc, "disk %s lba %d changed" % (n, lba)
    for r in other_disks(m):
        assert r["writable"] == "0", r
