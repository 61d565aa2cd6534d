"""bench in both completion modes at QD1 and QD32, and the run-time
interrupt mode switch.  On a scratch disk a span of it is filled with the
pattern and every bench read is checked against it (seed=); a random-write
bench runs first.  Without a scratch disk the checked benches are skipped
and plain read benches run on the first disk (reads only)."""
import pytest

from hwlib import bench, disks, need_scratch, read_crc, scratch_disks

SEED = 4711
SPAN_BYTES = 32 << 20      # the part of the scratch disk the checked benches use


@pytest.fixture(scope="module")
def rows(m):
    return disks(m)


@pytest.fixture(scope="module")
def s(m, rows):
    d = need_scratch(m, rows)
    assert m.one("writable %s on" % d["n"], "writable")["writable"] == "1"
    return d


def span(d):
    return min(int(d["sectors"]), SPAN_BYTES // int(d["sector_size"]))


@pytest.mark.parametrize("mode", ["poll", "irq"])
def test_randwrite_qd32(m, s, mode):
    b, errs = bench(m, "disk=%s rw=randwrite bs=4096 qd=32 seconds=1 mode=%s span=%d"
                    % (s["n"], mode, span(s)))
    assert not errs and b["errors"] == "0", (b, errs)
    assert int(b["ios"]) > 32 and b["mode"] == mode and b["qd"] == "32", b


@pytest.fixture(scope="module")
def filled(m, s):
    """The scratch disk's first span holds the pattern for SEED."""
    w = m.one("write %s 0 %d seed=%d" % (s["n"], span(s), SEED), "write", timeout=600)
    assert w["status"] == "STATUS_SUCCESS", w
    return s


@pytest.mark.parametrize("qd", [1, 32])
@pytest.mark.parametrize("mode", ["poll", "irq"])
def test_checked_randread(m, filled, mode, qd):
    b, errs = bench(m, "disk=%s rw=randread bs=4096 qd=%d seconds=1 mode=%s seed=%d span=%d"
                    % (filled["n"], qd, mode, SEED, span(filled)))
    assert not errs and b["errors"] == "0", (b, errs)
    assert int(b["ios"]) > qd and b["mode"] == mode, b
    assert b["checked"] == b["ios"] and b["bad_blocks"] == "0" and b["first_bad_lba"] == "-", b
    assert int(b["p50_us"]) <= int(b["p99_us"]) <= int(b["max_us"]), b


def test_checked_read_catches_a_wrong_seed(m, filled):
    """The check can fail: another seed finds every block bad."""
    b, errs = bench(m, "disk=%s rw=read bs=4096 qd=4 seconds=1 mode=poll seed=%d span=%d"
                    % (filled["n"], SEED + 1, span(filled)))
    assert int(b["ios"]) > 0 and b["bad_blocks"] == str(int(b["checked"]) * 8), b
    assert b["first_bad_lba"] == "0", b


@pytest.mark.parametrize("qd", [1, 32])
@pytest.mark.parametrize("mode", ["poll", "irq"])
def test_read_bench_any_disk(m, rows, mode, qd):
    """Reads only, so it runs with or without a scratch disk."""
    d = (scratch_disks(m, rows) or rows)[0]
    b, errs = bench(m, "disk=%s rw=randread bs=4096 qd=%d seconds=1 mode=%s" % (d["n"], qd, mode))
    assert not errs and b["errors"] == "0", (b, errs)
    assert int(b["ios"]) > qd and int(b["iops"]) > 0, b


def test_interrupt_mode_switch(m, rows):
    """poll -> msi -> intx -> back: each switch reported, reads the same and
    a QD32 interrupt bench complete in every mode the controller has."""
    d = (scratch_disks(m, rows) or rows)[0]
    n, orig = d["n"], d["mode"]
    crc = read_crc(m, n, 0, 64)
    worked = []
    for mode in ("poll", "msi", "intx", "msi", "poll", orig):
        out = m.cmd("mode %s %s" % (n, mode))
        if out.startswith("error: "):
            assert mode != "poll" and "STATUS_NOT_SUPPORTED" in out, out
            continue
        assert "mode disk=%s mode=%s" % (n, mode) in out, out
        assert m.one("mode %s" % n, "mode")["mode"] == mode
        assert read_crc(m, n, 0, 64) == crc
        b, errs = bench(m, "disk=%s rw=randread bs=4096 qd=32 seconds=1 mode=%s"
                        % (n, "poll" if mode == "poll" else "irq"))
        assert not errs and int(b["ios"]) > 32, (b, errs)
        worked.append(mode)
    assert "poll" in worked and ({"msi", "intx"} & set(worked)), worked
    assert disks(m)[int(n)]["mode"] == orig
