#!/usr/bin/env python3
"""bench.py - `make bench`: ntstor's storage path measured against its own
yardstick (the AHCI port's raw loop) and against Linux, in one run, on one
machine definition (docs/performance.md "Method").

The machine (tools/qemu-run.sh, DESIGN.md "Performance targets"): q35, TCG,
1 vCPU, -cpu max, 512 MiB; on the built-in AHCI controller four null-co
disks (read-zeroes, ports 1-4) and one file disk (build/bench/file.img,
cache=none, port 5).  ntstor boots on it and runs every workload through the
full NT path (`bench ... mode=poll`) and in the raw loop (`raw=1`); then a
Linux guest (tools/linux_peer.py) boots with the same QEMU arguments and runs
fio (direct I/O, scheduler none) with libaio and io_uring on the same disks.

Targets: null1 (one null-co disk), file1 (the file disk), null4 (the four
null-co disks at once: `bench disk=a,b,c,d`, one fio job per disk with
group_reporting).  Workloads: 4 KiB random read and write at QD1 and QD32,
128 KiB sequential read at QD8, 1 MiB sequential read and write at QD4.

Output: a fio-like table (IOPS, MB/s, latency p50/p90/p99/p99.9/max, the
average depth reached) per target and workload, the ratios, and a PNG of
the latency CDFs, all in build/bench/.  It prints figures and never fails on
a low one; it exits non-zero only if ntstor cannot be booted or a bench line
is missing.  If the Linux peer cannot be fetched or booted it says why and
goes on as with --peer none.

usage: tools/bench.py [--seconds S] [--only SUBSTR,...] [--peer linux|none]
                      [--mode poll|irq] [--no-raw] [--repeat N] [--profile]
                      [--image IMG] [--icount]
  --only  matches "target/workload" names, e.g. --only null1/randread-4k-qd1,file1
  --repeat N  runs ntstor and raw alternately N times per workload in the one
          boot; the table shows the median run (by IOPS) and the NT-vs-raw
          spread over the pairs (the machine is shared: compare within a boot)
  --profile  one more ntstor run per workload with profile=1: the per-layer
          table (docs/performance.md "Per-layer profile")
  --icount  boots ntstor with QEMU's -icount shift=0,sleep=off: the guest's
          clock (TSC, HPET) then advances by exactly one tick per guest
          instruction, whatever the host's load, so the profile's per-layer
          figures are guest instruction counts (implies --profile; no Linux
          peer; IOPS are per virtual second and leave out all of QEMU's own
          device time).  docs/performance.md "Instruction counts (icount)".
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
sys.path.insert(0, HERE)
from ntstor import ROOT, Machine  # noqa: E402
import linux_peer  # noqa: E402

OUT = os.path.join(ROOT, "build", "bench")
NULL_PORTS = [1, 2, 3, 4]
FILE_PORT = 5
NULL_SIZE = 8 << 30
FILE_SIZE = 1 << 30

# name, rw, bs, qd
WORKLOADS = [
    ("randread-4k-qd1", "randread", 4096, 1),
    ("randread-4k-qd32", "randread", 4096, 32),
    ("randwrite-4k-qd1", "randwrite", 4096, 1),
    ("randwrite-4k-qd32", "randwrite", 4096, 32),
    ("read-128k-qd8", "read", 128 << 10, 8),
    ("read-1m-qd4", "read", 1 << 20, 4),
    ("write-1m-qd4", "write", 1 << 20, 4),
]
# target name -> ATA ports (first controller)
TARGETS = [("null1", NULL_PORTS[:1]), ("file1", [FILE_PORT]), ("null4", NULL_PORTS)]
ENGINES = ["ntstor", "raw", "libaio", "io_uring"]
# -icount shift=0: the virtual clock moves 2^0 ns per executed guest
# instruction, and QEMU's TSC is that clock (cpu_get_ticks() returns the
# icount clock when icount is on), so a TSC delta is an instruction count.
# sleep=off: when the guest halts, the clock jumps to the next timer instead
# of following the host's, so an idle guest cannot drag host time in either.
ICOUNT_ARGS = ["-icount", "shift=0,sleep=off"]
# Booting under icount is slower (OVMF and the timer calibrations count
# every instruction) and on a loaded machine takes minutes.
ICOUNT_BOOT_TIMEOUT = 900

# BENCH_CDF_LIST (include/ntstor_bench_hist.h), in 1/100000; fio gets the same.
CDF_PCM = [1000, 5000, 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, 90000, 95000,
           97000, 98000, 99000, 99500, 99900, 99950, 99990]


def machine_args(icount=False):
    """The one disk set both guests get (qemu-run.sh options); icount adds
    ICOUNT_ARGS as extra QEMU arguments."""
    args = []
    for p in NULL_PORTS:
        args += ["--disk", "null:size=%d:port=%d" % (NULL_SIZE, p)]
    args += ["--disk", "%s:port=%d:cache=none" % (file_image(), FILE_PORT)]
    if icount:
        args += ["--"] + ICOUNT_ARGS
    return args


def file_image():
    path = os.path.join(OUT, "file.img")
    if not os.path.exists(path) or os.path.getsize(path) != FILE_SIZE:
        os.makedirs(OUT, exist_ok=True)
        # Allocated, not sparse: reads of holes would skip the host disk.
        with open(path, "wb") as fh:
            os.posix_fallocate(fh.fileno(), 0, FILE_SIZE)
    return path


# --- ntstor -----------------------------------------------------------------

def _row(kv):
    num = {}
    for k in ("iops", "ios", "errors", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
              "doorbells", "looks"):
        if k in kv:
            num[k] = int(kv[k])
    for k in ("mbps", "avg_qd"):
        if k in kv:
            num[k] = float(kv[k])
    return num


def _cdf(kv):
    pcm = [int(x) for x in kv["pcm"].split(",")]
    us = [int(x) for x in kv["us"].split(",")]
    return list(zip(pcm, us))


def _median(rows):
    rows = sorted(rows, key=lambda r: r["iops"])
    return rows[(len(rows) - 1) // 2]


def run_ntstor(chosen, seconds, mode, raw, repeat=1, profile=False, image=None, icount=False):
    """{(target, workload): {"ntstor": row, "raw": row, "pairs": [(nt, raw)...],
    "profile": {layer: row}}}."""
    results = {}
    m = Machine(machine_args(icount), image=image, log_name="bench")
    if icount:
        m.boot_timeout = ICOUNT_BOOT_TIMEOUT
    with m:
        by_port = {}
        for d in m.lines("disks", "disk", timeout=120):
            if d.get("ctrl") == "0":
                by_port[int(d["port"])] = d["n"]
        if any(w[1].endswith("write") for _, w in chosen):
            for t, ports in TARGETS:
                for p in ports:
                    if p in by_port:
                        m.cmd("writable %s on" % by_port[p])
        for (tname, ports), (wname, rw, bs, qd) in chosen:
            disks = [by_port.get(p) for p in ports]
            if None in disks:
                raise SystemExit("bench: no disk at ahci0 port(s) %s" % ports)
            base = "bench disk=%s rw=%s bs=%d qd=%d seconds=%d cdf=1" % (
                ",".join(disks), rw, bs, qd, seconds)
            nts, raws = [], []
            # Under icount a virtual second of a polling loop takes 2-15 s of
            # host time (raw=1 at QD1 the most): the timeouts follow.
            tmo = seconds * (40 if icount else 4) + 180
            for _ in range(repeat):
                out = m.cmd(base + " mode=" + mode, timeout=tmo)
                r = _lines(out, "bench-total" if len(disks) > 1 else "bench")
                c = _lines(out, "bench-cdf")
                if not r:
                    raise SystemExit("bench: no result line from %r:\n%s" % (base, out))
                nts.append(dict(_row(r[-1]), cdf=_cdf(c[-1]) if c else []))
                if raw and len(disks) == 1:
                    out = m.cmd(base + " raw=1", timeout=tmo)
                    r, c = _lines(out, "bench"), _lines(out, "bench-cdf")
                    if r:
                        raws.append(dict(_row(r[-1]), cdf=_cdf(c[-1]) if c else []))
                    else:
                        print("bench: raw loop gave no line for %r: %s" % (base, out.strip()[-200:]))
            res = {"ntstor": _median(nts)}
            if raws:
                res["raw"] = _median(raws)
                res["pairs"] = [(n["iops"], w["iops"]) for n, w in zip(nts, raws)]
            if profile:
                out = m.cmd(base + " mode=" + mode + " profile=1", timeout=tmo)
                res["profile"] = {p["layer"]: {k: int(v) for k, v in p.items()
                                               if k not in ("layer", "disk")}
                                  for p in _lines(out, "bench-profile")}
            results[(tname, wname)] = res
            print("  ntstor %-6s %-18s %8d IOPS%s" % (
                tname, wname, res["ntstor"]["iops"],
                "   raw %d IOPS" % res["raw"]["iops"] if "raw" in res else ""), flush=True)
        m.poweroff(timeout=120)
    return results


def _lines(out, prefix):
    from ntstor import parse_kv
    return [parse_kv(l.strip()) for l in out.splitlines() if l.strip().startswith(prefix + " ")]


# --- Linux ------------------------------------------------------------------

def fio_jobs(chosen, seconds):
    jobs = []
    plist = ":".join(("%g" % (p / 1000)) for p in CDF_PCM)
    for (tname, ports), (wname, rw, bs, qd) in chosen:
        for engine in ("libaio", "io_uring"):
            opts = ["--direct=1", "--ioengine=" + engine, "--rw=" + rw, "--bs=%d" % bs,
                    "--iodepth=%d" % qd, "--runtime=%d" % seconds, "--time_based",
                    "--lat_percentiles=1", "--percentile_list=" + plist, "--group_reporting",
                    "--randrepeat=0"]
            for i, p in enumerate(ports):
                opts += ["--name=d%d" % i, "--filename=@%d" % p]
            jobs.append(("%s/%s/%s" % (tname, wname, engine), ports, opts))
    return jobs


def run_linux(chosen, seconds):
    """{(target, workload): {"libaio": row, "io_uring": row}}, or None with
    the reason printed."""
    try:
        kernel, base = linux_peer.build_base()
    except (linux_peer.PeerError, OSError) as e:
        print("bench: no Linux peer (%s); going on as with --peer none" % e)
        return None
    jobs = fio_jobs(chosen, seconds)
    extra = linux_peer.build_jobs(jobs, os.path.join(OUT, "peer-jobs.cpio.gz"))
    log = os.path.join(ROOT, "build", "qemu-logs", "bench-linux.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    cmd = [os.path.join(ROOT, "tools", "qemu-run.sh"), "--image",
           os.path.join(ROOT, "build", "ntstor.img"), "--boot-snapshot",
           "--kernel", kernel, "--initrd", base + "," + extra,
           "--append", "console=ttyS0 quiet panic=-1"] + machine_args()
    print("bench: booting the Linux peer (%d fio jobs)" % len(jobs), flush=True)
    try:
        with open(log, "w") as fh:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                           cwd=ROOT, timeout=300 + len(jobs) * (seconds + 30))
    except subprocess.TimeoutExpired:
        print("bench: the Linux peer did not finish (log: %s); no Linux figures" % log)
        return None
    with open(log, errors="replace") as fh:
        text = fh.read()
    results = {}
    for name, _, _ in jobs:
        tname, wname, engine = name.split("/")
        rw = dict((w[0], w[1]) for w in WORKLOADS)[wname]
        row = parse_fio(text, name, "write" if rw.endswith("write") else "read")
        if row:
            results.setdefault((tname, wname), {})[engine] = row
        else:
            print("bench: no fio result for %s (log: %s)" % (name, log))
    return results


def parse_fio(text, name, direction):
    begin = text.find("%s %s\n" % (linux_peer.BEGIN, name))
    if begin < 0:
        begin = text.find("%s %s\r\n" % (linux_peer.BEGIN, name))
    end = text.find("%s %s" % (linux_peer.END, name), begin)
    if begin < 0 or end < 0:
        return None
    chunk = text[begin:end]
    start = chunk.find("{")
    if start < 0:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(chunk[start:])
        job = data["jobs"][0][direction]
    except (ValueError, KeyError, IndexError):
        return None
    lat = job.get("lat_ns", {})
    pct = lat.get("percentile") or job.get("clat_ns", {}).get("percentile", {})
    us = {round(float(k) * 1000): v / 1000 for k, v in pct.items()}

    def at(pcm):
        return int(us.get(pcm, 0))
    iops = job.get("iops", 0.0)
    return {"iops": int(iops), "mbps": job.get("bw_bytes", 0) / 1e6,
            "p50_us": at(50000), "p90_us": at(90000), "p99_us": at(99000),
            "p999_us": at(99900), "max_us": int(lat.get("max", 0) / 1000),
            # Little's law, as ntstor's avg_qd: rate x mean time in flight.
            "avg_qd": iops * lat.get("mean", 0) / 1e9,
            "errors": data["jobs"][0].get("error", 0),
            "cdf": [(p, int(us[p])) for p in CDF_PCM if p in us] +
                   [(100000, int(lat.get("max", 0) / 1000))]}


# --- report -----------------------------------------------------------------

# The layers that are the guest's own work per request (tools/bench_ab.py's
# "guest path"): not doorbell and device (QEMU's, or under icount the wait
# for it), nor reap (above QD1 mostly the wait behind others in one look).
GUEST_LAYERS = ["iomgr_submit", "disk", "port_build", "walk_up", "iomgr_complete"]


def report(chosen, results, seconds, mode, peer, icount=False):
    lines = []
    say = lines.append
    say("ntstor bench: q35 TCG 1 vCPU -cpu max 512M, ICH9 AHCI; null-co read-zeroes disks "
        "and a file disk (cache=none); %d %s per run; ntstor mode=%s; Linux %s" % (
            seconds, "virtual s" if icount else "s", mode,
            "fio 3.33 on Debian 12's kernel" if peer else "not measured"))
    if icount:
        say("icount (%s): the guest's clock advances one tick per guest instruction.  IOPS and "
            "latencies are in virtual time: guest instructions only, QEMU's device work costs "
            "nothing, so they are NOT wall-clock figures and NT vs raw is a ratio of "
            "instructions per I/O (polls that found nothing included), not the DESIGN.md "
            "target." % " ".join(ICOUNT_ARGS))
    say("")
    hdr = "%-6s %-18s %-8s %9s %9s %7s %7s %7s %7s %7s %6s" % (
        "target", "workload", "engine", "IOPS", "MB/s", "p50us", "p90us", "p99us", "p99.9",
        "maxus", "avg_qd")
    say(hdr)
    say("-" * len(hdr))
    for (tname, _), (wname, *_rest) in chosen:
        res = results.get((tname, wname), {})
        for e in ENGINES:
            r = res.get(e)
            if not r:
                continue
            say("%-6s %-18s %-8s %9d %9.1f %7d %7d %7d %7d %7d %6.1f" % (
                tname, wname, e, r["iops"], r["mbps"], r["p50_us"], r["p90_us"], r["p99_us"],
                r["p999_us"], r["max_us"], r.get("avg_qd", 0)))
    say("")
    hdr = "%-6s %-18s %9s %9s %9s %9s %10s %10s %10s" % (
        "target", "workload", "ntstor", "raw", "libaio", "io_uring", "NT vs raw",
        "x libaio", "x io_uring")
    say("IOPS and ratios (NT vs raw: how much more time per I/O the NT path takes than "
        "the raw loop; x: ntstor / Linux)")
    say(hdr)
    say("-" * len(hdr))
    for (tname, _), (wname, *_rest) in chosen:
        res = results.get((tname, wname), {})

        def iops(e):
            return res[e]["iops"] if e in res else None
        nt, raw, la, iu = (iops(e) for e in ENGINES)
        say("%-6s %-18s %9s %9s %9s %9s %10s %10s %10s" % (
            tname, wname, *("-" if v is None else "%d" % v for v in (nt, raw, la, iu)),
            "%+.0f%%" % ((raw / nt - 1) * 100) if nt and raw else "-",
            "%.2fx" % (nt / la) if nt and la else "-",
            "%.2fx" % (nt / iu) if nt and iu else "-"))
    if any(len(res.get("pairs", [])) > 1 for res in results.values()):
        say("")
        say("NT vs raw per pair of runs in the one boot (median row above; min..max here)")
        for (tname, _), (wname, *_rest) in chosen:
            pairs = results.get((tname, wname), {}).get("pairs", [])
            if len(pairs) > 1:
                v = sorted((w / n - 1) * 100 for n, w in pairs if n)
                say("%-6s %-18s %s  (min %+.0f%%, median %+.0f%%, max %+.0f%%)" % (
                    tname, wname, " ".join("%+.0f%%" % x for x in v), v[0],
                    v[(len(v) - 1) // 2], v[-1]))
    regs = [(k, res) for k, res in results.items()
            if res.get("ntstor", {}).get("doorbells") and res.get("raw", {}).get("doorbells")]
    if regs:
        say("")
        say("Register work per I/O (median run): commands per doorbell (PxCI write), polled looks")
        say("%-6s %-18s %12s %12s %12s %12s" % ("target", "workload", "NT cmd/ring", "raw cmd/ring",
                                               "NT looks/io", "raw looks/io"))
        for (tname, wname), res in sorted(regs):
            nt, raw = res["ntstor"], res["raw"]
            say("%-6s %-18s %12.1f %12.1f %12.2f %12.2f" % (
                tname, wname, nt["ios"] / nt["doorbells"], raw["ios"] / raw["doorbells"],
                nt.get("looks", 0) / max(1, nt["ios"]), raw.get("looks", 0) / max(1, raw["ios"])))
    profiled = [(k, res["profile"]) for k, res in results.items() if res.get("profile")]
    if profiled:
        layers = ["iomgr_submit", "disk", "port_build", "doorbell", "device", "reap", "walk_up",
                  "iomgr_complete", "total"]
        # Under icount a TSC tick is one guest instruction: the cycle fields
        # are instruction counts (the ns fields are the same numbers scaled
        # by the calibrated ~1 GHz).
        avg, p50 = ("avg_cyc", "p50_cyc") if icount else ("avg_ns", "p50_ns")
        say("")
        if icount:
            say("Per-layer profile (bench profile=1, one run): avg / p50 guest instructions per "
                "I/O (icount); guest = sum of the p50s of %s" % ", ".join(GUEST_LAYERS))
        else:
            say("Per-layer profile (bench profile=1, one run): avg / p50 ns per I/O")
        hdr = "%-6s %-18s " % ("target", "workload") + " ".join("%13s" % l[:13] for l in layers)
        say(hdr + (" %7s" % "guest" if icount else ""))
        say("-" * len(hdr + (" %7s" % "guest" if icount else "")))
        for (tname, wname), prof in profiled:
            row = "%-6s %-18s " % (tname, wname) + " ".join(
                "%13s" % ("%d/%d" % (prof[l][avg], prof[l][p50]) if l in prof else "-")
                for l in layers)
            if icount:
                row += " %7s" % (sum(prof[l][p50] for l in GUEST_LAYERS)
                                 if all(l in prof for l in GUEST_LAYERS) else "-")
            say(row)
    errors = sum(r.get("errors", 0) for res in results.values() for r in res.values()
                 if isinstance(r, dict) and "iops" in r)
    if errors:
        say("warning: %d I/O errors during the runs" % errors)
    return "\n".join(lines)


def plot(chosen, results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print("bench: no plot (%s; tools/setup.sh installs python3-matplotlib)" % e)
        return None
    targets = [t for t, _ in TARGETS if any(c[0][0] == t for c in chosen)]
    works = [w[0] for w in WORKLOADS if any(c[1][0] == w[0] for c in chosen)]
    fig, axes = plt.subplots(len(targets), len(works), squeeze=False,
                             figsize=(3.2 * len(works), 2.8 * len(targets)))
    styles = {"ntstor": "C0", "raw": "C2", "libaio": "C3", "io_uring": "C1"}
    for i, t in enumerate(targets):
        for j, w in enumerate(works):
            ax = axes[i][j]
            res = results.get((t, w), {})
            for e in ENGINES:
                cdf = res.get(e, {}).get("cdf")
                if cdf:
                    ax.plot([max(u, 1) for _, u in cdf], [p / 1000 for p, _ in cdf],
                            color=styles[e], marker=".", ms=3, label=e)
            ax.set_xscale("log")
            ax.set_title("%s %s" % (t, w), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which="both", alpha=0.3)
            if i == len(targets) - 1:
                ax.set_xlabel("latency (us)", fontsize=7)
            if j == 0:
                ax.set_ylabel("percentile", fontsize=7)
            if res:
                ax.legend(fontsize=6, loc="lower right")
    fig.suptitle("completion latency CDF: ntstor (NT path) vs raw loop vs Linux fio", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=None,
                    help="per run (default 3; 1 with --icount, where a virtual second takes "
                    "several host seconds)")
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                    help="comma-separated substrings of target/workload names")
    ap.add_argument("--peer", choices=("linux", "none"), default=os.environ.get("BENCH_PEER", "linux"))
    ap.add_argument("--mode", choices=("poll", "irq"), default="poll",
                    help="how ntstor's NT path finds completions")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw=1 runs")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "1")),
                    help="ntstor/raw pairs per workload in the one boot (median shown)")
    ap.add_argument("--image", default=None,
                    help="boot this ntstor image instead of build/ntstor.img (another build)")
    ap.add_argument("--profile", action="store_true",
                    default=os.environ.get("BENCH_PROFILE") == "1",
                    help="one more ntstor run per workload with profile=1")
    ap.add_argument("--icount", action="store_true", default=os.environ.get("BENCH_ICOUNT") == "1",
                    help="boot ntstor with -icount shift=0,sleep=off: per-layer figures in guest "
                    "instructions, independent of the host's load (implies --profile, no Linux peer)")
    opt = ap.parse_args()
    if opt.seconds is None:
        opt.seconds = int(os.environ.get("BENCH_SECONDS", "1" if opt.icount else "3"))
    if opt.icount:
        opt.profile = True
        if opt.peer != "none":
            print("bench: --icount measures ntstor only (Linux's figures under icount would "
                  "compare nothing): no Linux peer")
            opt.peer = "none"

    chosen = [(t, w) for t in TARGETS for w in WORKLOADS
              if not opt.only or any(s and s in "%s/%s" % (t[0], w[0]) for s in opt.only.split(","))]
    if not chosen:
        raise SystemExit("bench: --only matched nothing (names are target/workload: %s / %s)"
                         % (",".join(t for t, _ in TARGETS), ",".join(w[0] for w in WORKLOADS)))
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    results = run_ntstor(chosen, opt.seconds, opt.mode, not opt.no_raw, max(1, opt.repeat),
                         opt.profile, opt.image, opt.icount)
    peer = None
    if opt.peer == "linux":
        peer = run_linux(chosen, opt.seconds)
        for k, v in (peer or {}).items():
            results.setdefault(k, {}).update(v)
    text = report(chosen, results, opt.seconds, opt.mode, peer, opt.icount)
    print()
    print(text)
    # icount figures are not wall-clock ones: kept apart, never overwriting them.
    pre = "icount-" if opt.icount else ""
    with open(os.path.join(OUT, pre + "results.txt"), "w") as fh:
        fh.write(text + "\n")
    with open(os.path.join(OUT, pre + "results.json"), "w") as fh:
        json.dump({"%s/%s" % k: v for k, v in results.items()}, fh, indent=1)
    png = plot(chosen, results, os.path.join(OUT, pre + "latency-cdf.png"))
    print()
    print("figures: %s/%sresults.txt, %sresults.json%s (%.0f s)" % (
        OUT, pre, pre, ", plot: " + png if png else "", time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
