"""ntstor.py - boot ntstor in QEMU and drive its serial console.

Machine spawns tools/qemu-run.sh and talks to QEMU's stdio; the shell dialogue
itself (boot line, prompt, commands, key=value lines) is tests/shellio.py's,
shared with the hardware suite (tests/hw), which drives a real PC -- or QEMU
attached as a serial device -- through a target file (`make hw-test`).
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from shellio import PROMPT, ROOT, Shell, parse_kv, unescape  # noqa: E402,F401

BOOT_TIMEOUT = int(os.environ.get("NTSTOR_BOOT_TIMEOUT", "120"))


def make_image(path, autorun=None, system_cfg=None, cmdline=None):
    """Builds a boot image with tools/mkimage.sh; autorun/system_cfg are text,
    cmdline the kernel command line (\\ntstor\\cmdline)."""
    env = dict(os.environ)
    env["CMDLINE"] = cmdline or ""
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


# QEMU sendkey names of the characters a US keyboard types.
US_KEYS = {
    " ": "spc", "\n": "ret", "-": "minus", "_": "shift-minus", "=": "equal", "+": "shift-equal",
    "[": "bracket_left", "{": "shift-bracket_left", "]": "bracket_right",
    "}": "shift-bracket_right", ";": "semicolon", ":": "shift-semicolon", "'": "apostrophe",
    '"': "shift-apostrophe", "`": "grave_accent", "~": "shift-grave_accent", "\\": "backslash",
    "|": "shift-backslash", ",": "comma", "<": "shift-comma", ".": "dot", ">": "shift-dot",
    "/": "slash", "?": "shift-slash", "!": "shift-1", "@": "shift-2", "#": "shift-3",
    "$": "shift-4", "%": "shift-5", "^": "shift-6", "&": "shift-7", "*": "shift-8",
    "(": "shift-9", ")": "shift-0",
}


def screen_font():
    """{16 row bytes: character} for the printable ASCII of the kernel's
    framebuffer font (the generated table the kernel was built with)."""
    import re
    with open(os.path.join(ROOT, "build", "gen", "fbfont.c")) as f:
        rows = re.findall(r"\{([0-9a-fx,\s]+)\}", f.read())
    table = [bytes(int(v, 16) for v in r.split(",")) for r in rows]
    assert len(table) == 128, len(table)
    font = {}
    for code in range(0x7E, 0x1F, -1):      # space last: its blank cell wins
        font[table[code]] = chr(code)
    font[bytes(16)] = " "
    return font


class Machine(Shell):
    """One booted ntstor in QEMU.  `args` are tools/qemu-run.sh options."""

    boot_timeout = BOOT_TIMEOUT

    def __init__(self, args=(), image=None, log_name="machine", monitor=False):
        self.args = list(args)
        self.monitor_path = None
        self.monitor_sock = None
        if monitor:
            # A unix socket path must be short (108 bytes): not under build/.
            self.monitor_dir = tempfile.mkdtemp(prefix="ntstor-mon-")
            self.monitor_path = os.path.join(self.monitor_dir, "m.sock")
            # qemu-run.sh options go before "--" (extra QEMU arguments).
            at = self.args.index("--") if "--" in self.args else len(self.args)
            self.args[at:at] = ["--monitor", self.monitor_path]
        self.image = image or os.path.join(ROOT, "build", "ntstor.img")
        self.boot = None
        self.child = None
        logdir = os.path.join(ROOT, "build", "qemu-logs")
        os.makedirs(logdir, exist_ok=True)
        self.log_path = os.path.join(logdir, log_name + ".log")

    # -- lifecycle ---------------------------------------------------------
    def start(self, wait_prompt=True):
        logf = open(self.log_path, "w", encoding="utf-8", errors="replace")
        cmd = [os.path.join(ROOT, "tools", "qemu-run.sh"), "--image", self.image,
               "--boot-snapshot"] + self.args
        self.child = pexpect.spawn(cmd[0], cmd[1:], cwd=ROOT, encoding="utf-8",
                                   codec_errors="replace", timeout=BOOT_TIMEOUT,
                                   dimensions=(50, 250))
        self.child.logfile_read = logf
        if wait_prompt:
            self.wait_boot()
        return self

    def wait_exit(self, timeout=60):
        """Waits for QEMU to end; returns its exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def stop(self):
        if self.monitor_sock:
            self.monitor_sock.close()
            self.monitor_sock = None
        if self.child and self.child.isalive():
            self.child.terminate(force=True)
        if self.monitor_path:
            for f in (self.monitor_path,):
                if os.path.exists(f):
                    os.unlink(f)
            os.rmdir(self.monitor_dir)
            self.monitor_path = None

    # -- the QEMU monitor (Machine(monitor=True)) ---------------------------
    def _monitor_read(self, timeout=30):
        data = b""
        end = time.monotonic() + timeout
        while not data.endswith(b"(qemu) "):
            self.monitor_sock.settimeout(max(0.1, end - time.monotonic()))
            chunk = self.monitor_sock.recv(4096)
            if not chunk:
                raise EOFError("QEMU monitor closed")
            data += chunk
        return data.decode(errors="replace")

    def monitor(self, command, timeout=30):
        """Runs a human monitor command; returns its answer (the echo of the
        command line and the prompt stripped)."""
        if self.monitor_sock is None:
            self.monitor_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.monitor_sock.connect(self.monitor_path)
            self._monitor_read(timeout)             # banner
        self.monitor_sock.sendall(command.encode() + b"\n")
        out = self._monitor_read(timeout).replace("\r", "")
        return "\n".join(out.split("\n")[1:-1])

    def sendkey(self, keys):
        """One key chord on the PS/2 keyboard, in QEMU's names: 'a',
        'shift-a', 'ret', 'up', 'ctrl-c', 'caps_lock'."""
        out = self.monitor("sendkey " + keys)
        assert not out.strip(), "sendkey %s: %s" % (keys, out)
        # sendkey holds the keys 100 ms; the next chord must not overtake
        # this one's release.
        time.sleep(0.15)

    def type_keys(self, text):
        """Types text on the PS/2 keyboard as a US keyboard would ('\n' is
        Enter)."""
        for ch in text:
            self.sendkey(US_KEYS.get(ch) or
                         ("shift-" + ch.lower() if ch.isupper() else ch))

    def typed(self, keys, timeout=60):
        """Types `keys` on the keyboard (a string, or a list of sendkey
        chords), then Enter; returns what the shell printed up to the next
        prompt, after the echo of the typed line."""
        if isinstance(keys, str):
            self.type_keys(keys)
        else:
            for k in keys:
                self.sendkey(k)
        self.sendkey("ret")
        self.child.expect_exact(PROMPT, timeout=timeout)
        return self.child.before.replace("\r", "")

    def screendump(self, path):
        """The framebuffer as QEMU shows it: (width, height, bytes RGB)."""
        out = self.monitor("screendump " + path)
        assert not out.strip(), out
        with open(path, "rb") as f:
            data = f.read()
        # PPM P6: magic, width, height, maxval, one whitespace, pixels.
        fields, pos = [], 0
        while len(fields) < 4:
            while data[pos:pos + 1].isspace():
                pos += 1
            start = pos
            while not data[pos:pos + 1].isspace():
                pos += 1
            fields.append(data[start:pos])
        assert fields[0] == b"P6" and fields[3] == b"255", fields
        w, h = int(fields[1]), int(fields[2])
        return w, h, data[pos + 1:pos + 1 + w * h * 3]

    def screen_text(self, path):
        """The text on the framebuffer console, read back cell by cell with
        the font the kernel draws with (build/gen/fbfont.c, made from the
        PSF font by tools/psf2c.py): a list of lines, trailing blanks cut.
        A cell whose pixels match no glyph reads as '\ufffd'."""
        w, h, px = self.screendump(path)
        glyphs = screen_font()
        lines = []
        for row in range(h // 16):
            text = []
            for col in range(w // 8):
                cell = []
                for y in range(16):
                    bits = 0
                    base = ((row * 16 + y) * w + col * 8) * 3
                    for x in range(8):
                        if max(px[base + 3 * x:base + 3 * x + 3]) >= 0x60:
                            bits |= 0x80 >> x
                    cell.append(bits)
                text.append(glyphs.get(bytes(cell), "\ufffd"))
            lines.append("".join(text).rstrip())
        return lines

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def poweroff(self, timeout=60):
        self.child.sendline("poweroff")
        return self.wait_exit(timeout)
