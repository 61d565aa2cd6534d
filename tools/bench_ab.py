#!/usr/bin/env python3
"""bench_ab.py - two ntstor builds compared on the benchmark machine, for
work on the I/O path (docs/performance.md "Method").

The machine is shared and noisy, so nothing is compared across boots as
is: each boot measures the NT path against the raw loop in the same boot
(NT vs raw = raw IOPS / NT IOPS - 1) and the guest's own per-I/O path with
profile=1 (the sum of the per-layer p50s of every layer but doorbell and
device, which are QEMU's, and reap, which above QD1 is a wait).  Boots of A and B alternate, ABBA..., for
--rounds rounds; the output is every round's figures and their median.

--icount boots both with QEMU's -icount shift=0,sleep=off (tools/bench.py
ICOUNT_ARGS): every figure is then in guest instructions -- the layers' p50s
the same from boot to boot whatever the host's load, so one round says what a
change did -- and NT's virtual-time IOPS become instructions per I/O (QEMU's
device work left out; polls that found nothing included).

usage: tools/bench_ab.py A.img B.img [--rounds N] [--seconds S]
                          [--only randread-4k-qd1,...] [--icount]
"""
import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
sys.path.insert(0, HERE)
from ntstor import Machine, parse_kv  # noqa: E402
import bench  # noqa: E402

# The guest's own per-I/O layers.  Not doorbell and device (QEMU's), nor
# reap: above QD1 it is mostly the wait of a request behind the others
# completed in the same look.
GUEST = ["iomgr_submit", "disk", "port_build", "walk_up", "iomgr_complete"]


def one_boot(image, works, seconds, icount=False):
    out = {}
    tmo = seconds * (40 if icount else 4) + 120
    m = Machine(bench.machine_args(icount), image=image, log_name="bench_ab")
    if icount:
        m.boot_timeout = bench.ICOUNT_BOOT_TIMEOUT
    with m:
        n = [d["n"] for d in m.lines("disks", "disk", timeout=120)
             if d.get("ctrl") == "0" and d["port"] == str(bench.NULL_PORTS[0])][0]
        m.cmd("writable %s on" % n)
        for name, rw, bs, qd in works:
            base = "bench disk=%s rw=%s bs=%d qd=%d seconds=%d" % (n, rw, bs, qd, seconds)
            nt = [parse_kv(l) for l in m.cmd(base + " mode=poll", timeout=tmo)
                  .splitlines() if l.startswith("bench ")][-1]
            raw = [parse_kv(l) for l in m.cmd(base + " raw=1", timeout=tmo)
                   .splitlines() if l.startswith("bench ")][-1]
            prof = {p["layer"]: p for p in (parse_kv(l) for l in m.cmd(
                base + " mode=poll profile=1", timeout=tmo).splitlines()
                if l.startswith("bench-profile "))}
            # Under icount a TSC tick is a guest instruction: the cycle
            # fields are the instruction counts.
            key = "p50_cyc" if icount else "p50_ns"
            out[name] = {
                "nt": int(nt["iops"]), "raw": int(raw["iops"]),
                "ratio": (int(raw["iops"]) / max(1, int(nt["iops"])) - 1) * 100,
                "guest_p50": sum(int(prof[l][key]) for l in GUEST),
                "layers": {l: int(prof[l][key]) for l in GUEST},
            }
        m.poweroff(timeout=120)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--only", default="randread-4k-qd1,randread-4k-qd32,read-1m-qd4")
    ap.add_argument("--icount", action="store_true",
                    help="boot with -icount shift=0,sleep=off: figures in guest instructions")
    opt = ap.parse_args()
    unit = "instr" if opt.icount else "ns"
    works = [w for w in bench.WORKLOADS if w[0] in opt.only.split(",")]
    res = {"A": [], "B": []}
    for r in range(opt.rounds):
        order = [("A", opt.a), ("B", opt.b)] if r % 2 == 0 else [("B", opt.b), ("A", opt.a)]
        for tag, img in order:
            got = one_boot(img, works, opt.seconds, opt.icount)
            res[tag].append(got)
            for w, v in got.items():
                if opt.icount:
                    # Virtual IOPS -> guest instructions per I/O (1 tick = 1 ns).
                    head = "NT %6d raw %6d instr/io" % (1e9 / max(1, v["nt"]), 1e9 / max(1, v["raw"]))
                else:
                    head = "NT %7d raw %7d NT vs raw %+5.0f%%" % (v["nt"], v["raw"], v["ratio"])
                print("round %d %s %-18s %s  guest p50 %5d %s  %s" % (
                    r, tag, w, head, v["guest_p50"], unit,
                    " ".join("%s=%d" % kv for kv in v["layers"].items())), flush=True)
    print()
    for w, *_ in works:
        for tag in ("A", "B"):
            rs = [g[w] for g in res[tag]]
            if opt.icount:
                head = "NT instr/io median %6d (%s)" % (
                    statistics.median(1e9 / max(1, v["nt"]) for v in rs),
                    " ".join("%d" % (1e9 / max(1, v["nt"])) for v in rs))
            else:
                head = "NT vs raw median %+5.0f%% (%s)" % (
                    statistics.median(v["ratio"] for v in rs),
                    " ".join("%+.0f%%" % v["ratio"] for v in rs))
            line = "%s %-18s %s  guest p50 median %5d %s (%s)" % (
                tag, w, head, statistics.median(v["guest_p50"] for v in rs), unit,
                " ".join("%d" % v["guest_p50"] for v in rs))
            if opt.icount:
                # Exact per layer: the median is every round's figure.
                line += "  layers " + " ".join(
                    "%s=%d" % (l, statistics.median(g[w]["layers"][l] for g in res[tag]))
                    for l in GUEST)
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
