"""shellio.py - talk to ntstor's serial-console shell, whatever carries it.

Shared by the QEMU tests (tests/qemu/ntstor.py: Machine, QEMU's stdio through
a pexpect pty) and the hardware suite (tests/hw: a tty opened with pyserial,
a real PC or QEMU's -serial pty).  A `Shell` wraps a pexpect child: it waits
for the boot line, types commands at the prompt and parses the
machine-readable lines DESIGN.md defines ("name key=value ...", "error: ...").
"""
import os
import re

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROMPT = "ntstor> "
BOOT_LINE = r"boot ms=\d+[^\r\n]*[\r\n]"
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


# A kernel message the console prints while a line is being typed: it starts
# where the cursor is, so it can split the echo anywhere ("di[ 4.08] disk0:
# ...\r\r\nsks").
_KERNEL_LINES = r"(?:\[ *\d+\.\d+\][^\n]*\n)*"


def echo_pattern(line):
    """The shell's echo of a typed line, ended by its newline, with any
    kernel messages printed in between.  The bare text would also match
    inside such a message ("usb" in "[ 37.9] usbxhci0: ... gone"), and the
    output would then be read one prompt early."""
    return _KERNEL_LINES.join(re.escape(c) for c in line) + r"\r*\n"


class Shell:
    """The shell on the far end of `self.child` (a pexpect spawn or fdspawn)."""

    child = None
    boot = None
    autorun_output = ""
    boot_timeout = 120

    def wait_boot(self, timeout=None):
        """Waits for the boot line, then for the interactive prompt; returns
        the boot line's fields."""
        timeout = timeout or self.boot_timeout
        self.child.expect(BOOT_LINE, timeout=timeout)
        self.boot = parse_kv(self.child.after)
        self.settle(timeout)
        return self.boot

    def settle(self, timeout):
        """After the boot line: waits out the autorun file, to the prompt."""
        # The autorun file's commands are echoed after a prompt as if typed,
        # so the first "ntstor> " is not yet the interactive prompt: type a
        # marker and wait for the shell to print it back on a line of its own.
        marker = "sync-%d" % os.getpid()
        self.child.sendline("echo " + marker)
        self.child.expect(r"[\r\n]%s\r*\n" % marker, timeout=timeout)
        # Everything between the boot line and the marker: the autorun
        # commands and their output.
        self.autorun_output = self.child.before.replace("\r", "")
        self.child.expect_exact(PROMPT, timeout=timeout)

    def expect(self, pattern, timeout=60):
        self.child.expect(pattern, timeout=timeout)
        return self.child.after

    def cmd(self, line, timeout=60):
        """Types a command, returns its output (text up to the next prompt)."""
        self.child.sendline(line)
        self.child.expect(echo_pattern(line), timeout=timeout)
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

    def answers(self, timeout=5):
        """True when a shell at its prompt echoes a marker back within
        `timeout` seconds; False when it does not, or the line closed.  Whatever half-typed line was there is discarded
        first (Ctrl-U)."""
        marker = "probe-%d-%d" % (os.getpid(), id(self) & 0xFFFF)
        try:
            self.child.send("\x15")
            self.child.sendline("echo " + marker)
            self.child.expect(r"[\r\n]%s\r*\n" % marker, timeout=timeout)
            self.child.expect_exact(PROMPT, timeout=timeout)
            return True
        except (pexpect.TIMEOUT, pexpect.EOF):     # EOF: the line is gone (a pty whose QEMU ended)
            return False
