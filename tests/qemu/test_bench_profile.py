"""`bench ... profile=1`: the per-layer profile of the NT path
(kernel/io/profile.c, docs/performance.md).

Every layer from the I/O manager down to the port and back prints a line
with positive figures; the layers' averages add up to the whole (never
more), the whole fits inside bench's own latency, and the profile saw the
requests bench counted.  Polled and interrupt-driven completion, one disk
and several, reads and writes.  Figures are not judged for speed (no timed
tests): only that they are measurements, not placeholders.
"""
import pytest

from ntstor import Machine, parse_kv
from test_ahci import disk_at

LAYERS = ["iomgr_submit", "disk", "port_build", "doorbell", "device", "reap", "walk_up",
          "iomgr_complete"]


@pytest.fixture(scope="module")
def m():
    mach = Machine(["--disk", "null:size=67108864:port=1", "--disk", "null:size=67108864:port=2"],
                   log_name="test_bench_profile").start()
    yield mach
    mach.stop()


def run(m, args):
    out = m.cmd("bench " + args + " profile=1", timeout=180)
    lines = out.splitlines()
    bench = [parse_kv(l) for l in lines if l.startswith("bench ") or l.startswith("bench-total ")]
    prof = {}
    for l in lines:
        if l.startswith("bench-profile "):
            kv = parse_kv(l)
            assert kv["layer"] not in prof, out
            prof[kv["layer"]] = kv
    assert bench and not any(l.startswith("error:") for l in lines), out
    return bench, prof, out


def check(bench, prof, out):
    assert sorted(prof) == sorted(LAYERS + ["total"]), out
    total = prof["total"]
    ios = int(bench[-1]["ios"])
    # Every request bench counted went through the profile (none skipped:
    # no errors), and nothing else did.
    assert int(total["skipped"]) == 0, out
    assert 0 < int(total["ios"]) <= ios + int(bench[-1]["errors"]), out
    assert int(total["ios"]) >= ios * 9 // 10, out
    for name in LAYERS + ["total"]:
        p = prof[name]
        assert p["ios"] == total["ios"], out
        for k in ("avg_cyc", "p50_cyc", "p99_cyc", "avg_ns", "p50_ns", "p99_ns"):
            assert int(p[k]) > 0, (name, k, out)
        assert int(p["p50_cyc"]) <= int(p["p99_cyc"]), (name, out)
    # The layers partition the whole: their averages add up to it (integer
    # division may lose a cycle per layer), never to more.
    s = sum(int(prof[n]["avg_cyc"]) for n in LAYERS)
    assert s <= int(total["avg_cyc"]) and int(total["avg_cyc"]) - s <= len(LAYERS), out
    # bench's own latency holds the whole and a little more.
    assert int(total["avg_ns"]) <= int(total["bench_avg_ns"]), out


def test_profile_polled_qd1(m):
    n = disk_at(m, 0, 1)["n"]
    check(*run(m, "disk=%s rw=randread bs=4096 qd=1 seconds=1 mode=poll" % n))


def test_profile_irq_qd8_writes(m):
    n = disk_at(m, 0, 1)["n"]
    assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    check(*run(m, "disk=%s rw=randwrite bs=4096 qd=8 seconds=1 mode=irq" % n))


def test_profile_two_disks_qd4(m):
    a, b = disk_at(m, 0, 1)["n"], disk_at(m, 0, 2)["n"]
    bench, prof, out = run(m, "disk=%s,%s rw=read bs=65536 qd=4 seconds=1 mode=poll" % (a, b))
    assert bench[-1].get("disks") == "2", out
    check(bench, prof, out)


def test_no_profile_lines_without_it_and_refused_with_raw(m):
    n = disk_at(m, 0, 1)["n"]
    out = m.cmd("bench disk=%s rw=randread bs=4096 qd=1 seconds=1 mode=poll" % n, timeout=120)
    assert "bench-profile" not in out and "\nbench disk=" in "\n" + out, out
    out = m.cmd("bench disk=%s rw=randread bs=4096 qd=1 seconds=1 raw=1 profile=1" % n,
                timeout=120)
    assert any(l.startswith("error: bench disk=%s" % n) and "STATUS_INVALID_PARAMETER" in l
               for l in out.splitlines()), out
    assert "bench-profile" not in out, out
