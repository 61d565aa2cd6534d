#!/usr/bin/env python3
"""qemu-pty-target.py - QEMU as a real machine on a serial port, for the
hardware suite (tests/hw): proves `make hw-test TARGET=...` on the same code
path a PC on /dev/ttyUSB0 takes.

  qemu-pty-target.py --target tests/targets/qemu-pty.cfg [--junit FILE]
                     [--expect-skip TEXT] -- COMMAND...

From the target file it takes `serial` (a path in a work directory: made a
symlink to QEMU's pty) and `scratch`; the work directory also holds the
monitor socket its power_cycle talks to (tools/qemu-monitor.py).  It then

  - makes the disks: a copy of build/ntstor.img to boot from, and two 64 MiB
    GPT disks with pattern data, serial numbers HWSCRATCH01 and HWKEEP01;
  - starts QEMU (tools/qemu-run.sh --reboot --serial pty, monitor on a unix
    socket, -S: switched off until the first power_cycle; with --console
    pci-serial, no COM1 and the pty on a PCI serial card), waits for
    "char device redirected to /dev/pts/N" and links the serial path to it;
  - runs COMMAND (e.g. make hw-test TARGET=...), then ends QEMU (or, when the
    target says poweroff = yes, checks that the poweroff ended it);
  - checks on the host that every disk whose serial the target does not
    name as scratch is byte-identical (sha256), and that a named scratch
    disk was written;
  - with --junit/--expect-skip: that JUnit XML was written and, with
    --expect-skip, that some test was skipped with TEXT in its reason
    (without it: that none was).

Exit status: COMMAND's, or 1 when a host check fails."""
import argparse
import configparser
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

DISKS = [("scratch.img", "HWSCRATCH01", 1, 101), ("keep.img", "HWKEEP01", 2, 202)]
BOOT_SERIAL = "QM00001"          # QEMU's own serial for the disk on port 0


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fail(msg):
    print("qemu-pty-target: FAIL: " + msg, flush=True)


def monitor(sock, *cmds):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu-monitor.py"), sock]
                          + list(cmds), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=30).returncode


def skipped_reasons(junit):
    reasons = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for sk in case.findall("skipped"):
            reasons.append(sk.get("message", ""))
    return reasons


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--junit")
    ap.add_argument("--expect-skip")
    ap.add_argument("--console", choices=("com1", "pci-serial"), default="com1",
                    help="the serial line the target is driven over: COM1 (default), or "
                         "a PCI serial card (QEMU pci-serial) on a machine with no COM1")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no COMMAND after --")

    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    cp.read(a.target)
    t = cp["target"]
    link = os.path.join(ROOT, t["serial"].strip())
    scratch = set(re.split(r"[,\s]+", t.get("scratch", "").strip())) - {""}
    poweroff = t.get("poweroff", "no").strip().lower() in ("1", "yes", "true", "on")
    work = os.path.dirname(link)
    sock = os.path.join(work, "monitor.sock")
    os.makedirs(work, exist_ok=True)
    for f in (link, sock):
        if os.path.lexists(f):
            os.unlink(f)

    boot = os.path.join(work, "boot.img")
    shutil.copyfile(os.path.join(ROOT, "build", "ntstor.img"), boot)
    disks = {boot: BOOT_SERIAL}
    # With --console pci-serial the machine has no 16550 at 0x3F8 at all
    # (-serial none), as most PCs today: the only console is the card.
    serial = "pty" if a.console == "com1" else "none"
    args = [os.path.join(ROOT, "tools", "qemu-run.sh"), "--image", boot, "--reboot", "--serial", serial]
    for name, serial, port, seed in DISKS:
        path = os.path.join(work, name)
        mkdisk.make_gpt(path)
        mkdisk.write_pattern(path, 2048, 4096, seed)
        disks[path] = serial
        args += ["--disk", "%s:port=%d:serial=%s" % (path, port, serial)]
    args += ["--", "-monitor", "unix:%s,server=on,wait=off" % sock, "-S"]
    if a.console == "pci-serial":
        args += ["-chardev", "pty,id=pcicon", "-device", "pci-serial,chardev=pcicon"]
    before = {p: sha256(p) for p in disks}

    log = open(os.path.join(work, "qemu.log"), "w+")
    qemu = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    pty = None
    end = time.monotonic() + 30
    while time.monotonic() < end and qemu.poll() is None:
        with open(log.name) as f:
            mo = re.search(r"char device redirected to (/dev/pts/\d+)", f.read())
        if mo and os.path.exists(sock):
            pty = mo.group(1)
            break
        time.sleep(0.2)
    if not pty:
        with open(log.name) as f:
            fail("QEMU gave no pty:\n" + f.read())
        if qemu.poll() is None:
            os.killpg(qemu.pid, signal.SIGTERM)
        return 1
    os.symlink(pty, link)
    print("qemu-pty-target: QEMU pid %d, serial %s -> %s, monitor %s" % (qemu.pid, link, pty, sock),
          flush=True)

    t0 = time.monotonic()
    status = subprocess.call(cmd, cwd=ROOT)
    took = time.monotonic() - t0

    ok = True
    if poweroff:
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            fail("the target asks for poweroff at the end, but QEMU is still running")
            ok = False
    if qemu.poll() is None:
        monitor(sock, "quit")
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(qemu.pid, signal.SIGKILL)
            qemu.wait()
    os.unlink(link)

    for path, serial in disks.items():
        same = sha256(path) == before[path]
        if serial in scratch:
            if same:
                fail("scratch disk %s (%s) was not written" % (serial, path))
                ok = False
        elif not same:
            fail("disk %s (%s) is not a scratch disk but changed" % (serial, path))
            ok = False
        else:
            print("qemu-pty-target: disk %s unchanged (sha256 %s...)" % (serial, before[path][:16]))

    if a.junit:
        if not os.path.exists(a.junit) or os.path.getmtime(a.junit) < time.time() - took - 5:
            fail("no JUnit XML written to %s" % a.junit)
            ok = False
        else:
            hits = [r for r in skipped_reasons(a.junit) if a.expect_skip and a.expect_skip in r]
            if a.expect_skip and not hits:
                fail("no test was skipped for '%s'" % a.expect_skip)
                ok = False
            elif not a.expect_skip:
                hits = [r for r in skipped_reasons(a.junit) if "scratch" in r]
                if hits:
                    fail("tests skipped for want of a scratch disk: %s" % hits[0])
                    ok = False
            if a.expect_skip:
                print("qemu-pty-target: %d tests skipped: %s" % (len(hits), a.expect_skip))

    print("qemu-pty-target: %s in %.0f s (command exit %d)" % (os.path.basename(a.target), took, status),
          flush=True)
    return status or (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
