#!/usr/bin/env python3
"""tbcount.py - where the guest's instructions go per I/O, function by
function: ntstor boots under icount (tools/bench.py ICOUNT_ARGS) with the
TCG plugin tools/qemu_tbcount.c, which counts every translated block's runs,
and runs one bench workload twice, for --short and --long virtual seconds.
The difference of the two runs' counts over the difference of their I/O
counts is the instructions per I/O of each function: boot, prompt and the
run's set-up cancel out.  Functions come from build/kernel.elf and
build/drivers/*.sys (at the bases `drivers` prints), so the image must be
the one build/ holds.

A function's figure includes everything it runs itself, not its callees;
calls/io is how often its first block ran per I/O.  Polls that found nothing
count too (the loop spins while QEMU's main loop completes a command), so
functions of the poll path vary between runs; the request path does not.
docs/performance.md "Instruction counts (icount)".

usage: tools/tbcount.py [--short S] [--long L] [--top N] [--image IMG]
                        "rw=randread bs=4096 qd=32"
"""
import argparse
import bisect
import collections
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
sys.path.insert(0, HERE)
from ntstor import ROOT, Machine, parse_kv  # noqa: E402
import bench  # noqa: E402

PLUGIN_SRC = os.path.join(HERE, "qemu_tbcount.c")
PLUGIN = os.path.join(ROOT, "build", "bench", "qemu_tbcount.so")


def build_plugin():
    os.makedirs(os.path.dirname(PLUGIN), exist_ok=True)
    if not os.path.exists(PLUGIN) or os.path.getmtime(PLUGIN) < os.path.getmtime(PLUGIN_SRC):
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-o", PLUGIN,
                        PLUGIN_SRC], check=True)


def one_run(image, workload, seconds, out):
    """Boots, runs the workload once; returns (I/Os, {driver: base})."""
    # The null-co disks only (no file disk: its image lock would keep this
    # from running beside tools/bench.py).
    args = []
    for p in bench.NULL_PORTS:
        args += ["--disk", "null:size=%d:port=%d" % (bench.NULL_SIZE, p)]
    args += ["--"] + bench.ICOUNT_ARGS + ["-plugin", PLUGIN]
    os.environ["TBCOUNT_OUT"] = out
    m = Machine(args, image=image, log_name="tbcount")
    m.boot_timeout = bench.ICOUNT_BOOT_TIMEOUT
    with m:
        bases = {d["name"]: int(d["base"], 16) for d in m.lines("drivers", "driver", timeout=120)}
        n = [d["n"] for d in m.lines("disks", "disk", timeout=120)
             if d.get("ctrl") == "0" and d["port"] == str(bench.NULL_PORTS[0])][0]
        m.cmd("writable %s on" % n)
        text = m.cmd("bench disk=%s %s seconds=%d mode=poll" % (n, workload, seconds),
                     timeout=seconds * 60 + 300)
        row = [parse_kv(l) for l in text.splitlines() if l.startswith("bench ")]
        if not row:
            raise SystemExit("tbcount: no bench line:\n" + text)
        m.poweroff(timeout=300)     # QEMU's exit writes the counts
    return int(row[-1]["ios"]), bases


def symbols(bases):
    syms = []

    def load(path, base, prefix):
        nm = subprocess.run(["nm", "-n", "--defined-only", path], capture_output=True, text=True)
        for line in nm.stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "tTwW":
                syms.append((int(p[0], 16) + base, prefix + p[2]))
    load(os.path.join(ROOT, "build", "kernel.elf"), 0, "")
    for name, base in bases.items():
        path = os.path.join(ROOT, "build", "drivers", name + ".sys")
        if os.path.exists(path):
            load(path, base, name + "!")
    syms.sort()
    return syms


def per_function(path, syms, addrs):
    insns, calls = collections.Counter(), collections.Counter()
    with open(path) as fh:
        for line in fh:
            va, n, runs = line.split()
            va, n, runs = int(va, 16), int(n), int(runs)
            i = bisect.bisect_right(addrs, va) - 1
            # Firmware and anything below the kernel's half is "other".
            name = syms[i][1] if i >= 0 and va >= 0xFFFF800000000000 else "(other)"
            insns[name] += n * runs
            if i >= 0 and va == addrs[i]:
                calls[name] += runs
    return insns, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workload", help='bench arguments, e.g. "rw=randread bs=4096 qd=32"')
    ap.add_argument("--short", type=int, default=1, help="virtual seconds of the first run")
    ap.add_argument("--long", type=int, default=3, help="virtual seconds of the second run")
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--image", default=os.path.join(ROOT, "build", "ntstor.img"))
    opt = ap.parse_args()
    build_plugin()
    outs = [os.path.join(ROOT, "build", "bench", "tbcount-%d.txt" % s) for s in (opt.short, opt.long)]
    ios_a, bases = one_run(opt.image, opt.workload, opt.short, outs[0])
    ios_b, _ = one_run(opt.image, opt.workload, opt.long, outs[1])
    if ios_b <= ios_a:
        raise SystemExit("tbcount: the long run did no more I/O than the short one")
    syms = symbols(bases)
    addrs = [a for a, _ in syms]
    (ia, ca), (ib, cb) = (per_function(o, syms, addrs) for o in outs)
    d = (ios_b - ios_a)
    per = {k: (ib[k] - ia[k]) / d for k in set(ia) | set(ib)}
    total = sum(per.values())
    print("tbcount: bench %s: %d and %d I/Os; %.0f guest instructions per I/O" % (
        opt.workload, ios_a, ios_b, total))
    print("%9s %6s %9s  %s" % ("instr/io", "share", "calls/io", "function"))
    for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:opt.top]:
        print("%9.1f %5.1f%% %9.2f  %s" % (v, 100 * v / total, (cb[k] - ca[k]) / d, k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
