"""ntstor.py - drive an ntstor machine over its serial console.

The same class talks to QEMU (spawned through tools/qemu-run.sh) or to a real
PC on a serial port (NTSTOR_SERIAL=/dev/ttyUSB0): it waits for the boot line,
types commands at the prompt and parses the machine-readable lines DESIGN.md
defines ("name key=value ...", "error: ...").
"""
import os
import re
import shlex
import subprocess
import tempfile

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMPT = "ntstor> "
BOOT_TIMEOUT = int(os.environ.get("NTSTOR_BOOT_TIMEOUT", "120"))
_KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|["\\])|(.)', re.S)


def unescape(text):
    """Undoes the guest's device-text escaping (docs/decisions.md "Device
    text"): \\" and \\\\ are the characters, \\xNN one byte (returned as
    code point NN), \\uNNNN one UTF-16 code unit (surrogate pairs joined)."""
    units = []
    for esc, plain in _ESCAPE.findall(text):
        if plain:
            units.append(ord(plain))
        elif esc[0] in "xu":
            units.append(int(esc[1:], 16))
        else:
            units.append(ord(esc))
    return b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le", "surrogatepass")


def parse_kv(line):
    """'disk n=0 model="QEMU HARDDISK"' -> {'n': '0', 'model': 'QEMU HARDDISK'};
    quoted values are unescaped."""
    out = {}
    for k, v in _KV.findall(line):
        out[k] = unescape(v[1:-1]) if v.startswith('"') else v
    return out


def make_image(path, autorun=None, system_cfg=None):
    """Builds a boot image with tools/mkimage.sh; autorun/system_cfg are text."""
    env = dict(os.environ)
    tmp = []
    for key, text in (("AUTORUN", autorun), ("SYSTEM_CFG", system_cfg)):
        if text is None:
            env[key] = "" if key == "AUTORUN" else os.path.join(ROOT, "tools", "system.cfg")
            continue
        f = tempfile.NamedTemporaryFile("w", suffix="." + key.lower(), delete=False)
        f.write(text)
        f.close()
        tmp.append(f.name)
        env[key] = f.name
    try:
        subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), path], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        for t in tmp:
            os.unlink(t)
    return path


class Machine:
    """One booted ntstor.  `args` are tools/qemu-run.sh options."""

    def __init__(self, args=(), image=None, log_name="machine"):
        self.args = list(args)
        self.image = image or os.path.join(ROOT, "build", "ntstor.img")
        self.boot = None
        self.child = None
        logdir = os.path.join(ROOT, "build", "qemu-logs")
        os.makedirs(logdir, exist_ok=True)
        self.log_path = os.path.join(logdir, log_name + ".log")

    # -- lifecycle ---------------------------------------------------------
    def start(self, wait_prompt=True):
        serial = os.environ.get("NTSTOR_SERIAL")
        logf = open(self.log_path, "w", encoding="utf-8", errors="replace")
        if serial:
            # A real machine: the user boots it; we attach to its serial port.
            self.child = pexpect.spawn("python3", ["-m", "serial.tools.miniterm", "--raw",
                                       "--eol", "CR", serial, "115200"], encoding="utf-8",
                                       codec_errors="replace", timeout=BOOT_TIMEOUT)
        else:
            cmd = [os.path.join(ROOT, "tools", "qemu-run.sh"), "--image", self.image,
                   "--boot-snapshot"] + self.args
            self.child = pexpect.spawn(cmd[0], cmd[1:], cwd=ROOT, encoding="utf-8",
                                       codec_errors="replace", timeout=BOOT_TIMEOUT,
                                       dimensions=(50, 250))
        self.child.logfile_read = logf
        if wait_prompt:
            self.wait_boot()
        return self

    def wait_boot(self):
        self.child.expect(r"boot ms=\d+[^\r\n]*[\r\n]", timeout=BOOT_TIMEOUT)
        self.boot = parse_kv(self.child.after)
        # The autorun file's commands are echoed after a prompt as if typed,
        # so the first "ntstor> " is not yet the interactive prompt: type a
        # marker and wait for the shell to print it back on a line of its own.
        marker = "sync-%d" % os.getpid()
        self.child.sendline("echo " + marker)
        self.child.expect(r"[\r\n]%s\r*\n" % marker, timeout=BOOT_TIMEOUT)
        # Everything between the boot line and the marker: the autorun
        # commands and their output.
        self.autorun_output = self.child.before.replace("\r", "")
        self.child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
        return self.boot

    def expect(self, pattern, timeout=60):
        self.child.expect(pattern, timeout=timeout)
        return self.child.after

    def wait_exit(self, timeout=60):
        """Waits for QEMU to end; returns its exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def stop(self):
        if self.child and self.child.isalive():
            self.child.terminate(force=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- commands ----------------------------------------------------------
    def cmd(self, line, timeout=60):
        """Types a command, returns its output (text up to the next prompt)."""
        self.child.sendline(line)
        self.child.expect_exact(line, timeout=timeout)     # our echo
        self.child.expect_exact(PROMPT, timeout=timeout)
        return self.child.before.replace("\r", "").strip("\n")

    def lines(self, line, prefix, timeout=60):
        """Runs a command; returns the parsed key=value dicts of output lines
        that start with `prefix` (the command's machine-readable lines)."""
        out = self.cmd(line, timeout)
        return [parse_kv(l) for l in out.splitlines() if l.startswith(prefix + " ")]

    def one(self, line, prefix, timeout=60):
        rows = self.lines(line, prefix, timeout)
        out = self.child.before
        assert len(rows) == 1, "expected one '%s' line from %r, got:\n%s" % (prefix, line, out)
        return rows[0]

    def error(self, line, timeout=60):
        """Runs a command that must fail; returns its 'error:' line."""
        out = self.cmd(line, timeout)
        errs = [l for l in out.splitlines() if l.startswith("error: ")]
        assert errs, "expected an error line from %r, got:\n%s" % (line, out)
        return errs[0]

    def poweroff(self, timeout=60):
        self.child.sendline("poweroff")
        return self.wait_exit(timeout)
