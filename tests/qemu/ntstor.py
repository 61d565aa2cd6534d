"""ntstor.py - boot ntstor in QEMU and drive its serial console.

Machine spawns tools/qemu-run.sh and talks to QEMU's stdio; the shell dialogue
itself (boot line, prompt, commands, key=value lines) is tests/shellio.py's,
shared with the hardware suite (tests/hw), which drives a real PC -- or QEMU
attached as a serial device -- through a target file (`make hw-test`).
"""
import os
import subprocess
import sys
import tempfile

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


class Machine(Shell):
    """One booted ntstor in QEMU.  `args` are tools/qemu-run.sh options."""

    boot_timeout = BOOT_TIMEOUT

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
        if self.child and self.child.isalive():
            self.child.terminate(force=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def poweroff(self, timeout=60):
        self.child.sendline("poweroff")
        return self.wait_exit(timeout)
