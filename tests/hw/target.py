"""target.py - a machine under test over a serial line, described by a
target file (tests/targets/*.cfg):

  [target]
  serial       = /dev/ttyUSB0      ; any tty pyserial opens (relative: to the repo)
  baud         = 115200
  scratch      = WD-WCC4N1234567   ; serial numbers of the disks the tests may write
  power_cycle  = ipmitool -H bmc -U admin chassis power cycle   ; optional shell command
  boot_timeout = 120
  poweroff     = no                ; yes: `poweroff` the machine at the end

The serial port stays open for the whole run; every boot gets its own log
file.  A fresh boot is asked for with `reboot` when the shell answers, else
with the power_cycle command, else from the person at the console.
"""
import configparser
import os
import re
import subprocess
import time

import pexpect
import pexpect.fdpexpect
import serial

from shellio import BOOT_LINE, ROOT, Shell, parse_kv

PROBE_SECONDS = 5


class TargetError(Exception):
    pass


def _yes(text):
    return text.strip().lower() in ("1", "yes", "true", "on")


def load_target(path):
    """Parses a target file; returns a dict of its settings."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    if not cp.read(path):
        raise TargetError("target file %s cannot be read" % path)
    if not cp.has_section("target"):
        raise TargetError("%s: no [target] section" % path)
    sec = cp["target"]
    known = {"serial", "baud", "scratch", "power_cycle", "boot_timeout", "poweroff", "manual_timeout"}
    unknown = set(sec.keys()) - known
    if unknown:
        raise TargetError("%s: unknown key(s) %s (known: %s)" % (path, ", ".join(sorted(unknown)),
                                                                  ", ".join(sorted(known))))
    if not sec.get("serial", "").strip():
        raise TargetError("%s: serial = <tty> is required" % path)
    port = sec["serial"].strip()
    if not os.path.isabs(port):
        port = os.path.join(ROOT, port)
    try:
        t = {
            "path": path,
            "name": os.path.splitext(os.path.basename(path))[0],
            "serial": port,
            "baud": int(sec.get("baud", "115200")),
            "scratch": [s for s in re.split(r"[,\s]+", sec.get("scratch", "")) if s],
            "power_cycle": sec.get("power_cycle", "").strip(),
            "boot_timeout": int(sec.get("boot_timeout", "120")),
            "manual_timeout": int(sec.get("manual_timeout", "600")),
            "poweroff": _yes(sec.get("poweroff", "no")),
        }
    except ValueError as e:
        raise TargetError("%s: %s" % (path, e))
    return t


class Target(Shell):
    """The machine on the far end of the target's serial port."""

    def __init__(self, settings, say=print):
        self.t = settings
        self.boot_timeout = settings["boot_timeout"]
        self.scratch = settings["scratch"]
        self.say = say
        self.port = None
        self.child = None
        self.boots = []          # one dict per boot: module, how, seconds, boot line
        self.identity = {}
        self.logdir = os.path.join(ROOT, "build", "hw-results", settings["name"] + "-logs")
        os.makedirs(self.logdir, exist_ok=True)
        for old in os.listdir(self.logdir):         # one run's boots, not a mix of runs
            if old.endswith(".log"):
                os.unlink(os.path.join(self.logdir, old))
        self._log = None

    # -- the line ----------------------------------------------------------
    def open(self):
        try:
            self.port = serial.Serial(self.t["serial"], self.t["baud"], timeout=0)
        except serial.SerialException as e:
            raise TargetError("cannot open %s: %s" % (self.t["serial"], e))
        self.child = pexpect.fdpexpect.fdspawn(self.port, encoding="utf-8", codec_errors="replace",
                                               timeout=self.boot_timeout)
        self.child.linesep = "\r"         # what a terminal's Enter sends
        self.new_log("session")
        return self

    def close(self):
        if self._log:
            self._log.close()
        if self.port:
            self.port.close()

    def new_log(self, name):
        if self._log:
            self._log.close()
        n = len(self.boots)
        self.log_path = os.path.join(self.logdir, "%02d-%s.log" % (n, name))
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        if self.child:
            self.child.logfile_read = self._log

    def drain(self):
        """Forgets whatever the machine printed that nobody waited for."""
        try:
            while True:
                self.child.read_nonblocking(4096, timeout=0.2)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        self.child.buffer = ""

    # -- power -------------------------------------------------------------
    def power_cycle(self):
        """Power-cycles the machine: the target's command, else the person
        at the console.  Returns how, and the time allowed for the boot."""
        cmd = self.t["power_cycle"]
        if cmd:
            r = subprocess.run(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
            if r.returncode:
                raise TargetError("power_cycle command %r failed (exit %d): %s"
                                  % (cmd, r.returncode, r.stdout.decode(errors="replace")))
            return "power_cycle", self.boot_timeout
        self.say("\n*** %s: please reset (or power on) the machine on %s now; waiting %d s for "
                 "its boot line ***\n" % (self.t["name"], self.t["serial"], self.t["manual_timeout"]))
        return "manual", self.t["manual_timeout"]

    def fresh_boot(self, name):
        """Brings the machine through a fresh boot to an idle prompt: `reboot`
        when the shell answers, power_cycle when it does not (or when the
        reboot brings no boot line).  Records the boot."""
        self.new_log(name)
        self.drain()
        how = None
        if self.answers(PROBE_SECONDS):
            t0 = time.monotonic()
            self.child.sendline("reboot")
            try:
                self.child.expect(BOOT_LINE, timeout=self.boot_timeout)
                how = "reboot"
            except pexpect.TIMEOUT:
                pass
        if how is None:
            t0 = time.monotonic()
            how, timeout = self.power_cycle()
            self.child.expect(BOOT_LINE, timeout=timeout)
        seen = time.monotonic() - t0
        self.boot = parse_kv(self.child.after)
        self.settle(self.boot_timeout)
        rec = {"module": name, "how": how, "seconds": round(seen, 1), "ms": int(self.boot["ms"]),
               "mem_mib": int(self.boot.get("mem_mib", "0")), "log": self.log_path}
        self.boots.append(rec)
        return rec

    def poweroff(self):
        """Sends `poweroff`; returns the shell's reply line."""
        self.child.sendline("poweroff")
        self.child.expect(r"poweroff: [^\r\n]*[\r\n]", timeout=60)
        return self.child.after.strip()

    def describe(self):
        return "%s (%s, %d baud, scratch: %s, power: %s)" % (
            self.t["name"], self.t["serial"], self.t["baud"], ", ".join(self.scratch) or "none",
            "command" if self.t["power_cycle"] else "by hand")
