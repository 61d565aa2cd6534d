"""Boot to the shell: the first vertical slice (issue: boot foundation).

One SATA boot serves most checks; USB boot, broken config, autorun and the
bug check each need their own machine."""
import os
import re

import pytest

from ntstor import Machine, make_image, parse_kv


def test_boot_line(machine):
    b = machine.boot
    assert int(b["ms"]) > 0
    # The default machine boots from its SATA disk's ESP.
    assert b["from"] == "sata" and "/SATA(0X0," in b["device"].upper(), b
    assert int(b["mem_mib"]) >= 256, b          # qemu-run.sh gives 512 MiB
    assert int(b["pool_bytes"]) > 0


def test_help_lists_the_commands(machine):
    out = machine.cmd("help")
    for name in ("help", "mem", "pool", "pci", "acpi", "log", "poweroff", "reboot", "crash"):
        assert re.search(r"^\s+%s\b" % name, out, re.M), (name, out)


def test_unknown_command_is_an_error(machine):
    assert machine.error("frobnicate 1 2").startswith("error: frobnicate: STATUS_")


def test_pci_lists_the_ich9_ahci_controller(machine):
    out = machine.cmd("pci")
    ahci = [l for l in out.splitlines() if "8086:2922" in l]
    assert ahci, out
    assert "01:06:01" in ahci[0]


def test_mem_and_pool(machine):
    m = machine.one("mem", "mem")
    assert int(m["total_mib"]) >= 256 and 0 < int(m["free_mib"]) <= int(m["total_mib"])
    rows = machine.lines("pool", "pool")
    tags = [r for r in rows if "tag" in r]
    assert tags, "pool printed no tags"
    for r in tags:
        assert len(r["tag"]) == 4 and int(r["bytes"]) >= 0
    assert sum(int(r["bytes"]) for r in tags) > 0


def test_mem_self_test_on_the_running_kernel(machine):
    r = machine.one("mem test", "memtest", timeout=120)
    assert r["result"] == "pass" and r["checks_failed"] == "0", r


def test_acpi_facts(machine):
    a = machine.one("acpi", "acpi")
    assert int(a["cpus"]) >= 1
    assert int(a["ioapics"]) >= 1
    assert a["ecam"].startswith("0x") and int(a["ecam"], 16) != 0     # q35 has MCFG


def test_log_has_timestamped_boot_messages(machine):
    out = machine.cmd("log")
    stamped = [l for l in out.splitlines() if re.match(r"^\[\s*\d+\.\d{6}\] ", l)]
    assert len(stamped) >= 3, out


def _typed(machine, keys):
    """Sends raw keys plus Enter; returns the output up to the next prompt.
    (The echo of edited input is not the text typed, so no echo matching.)"""
    machine.child.send(keys + "\r")
    machine.child.expect_exact("ntstor> ", timeout=30)
    return machine.child.before


def test_line_editing(machine):
    # backspace
    assert "usage: mem" in _typed(machine, "hepx\x7f\x7flp mem")
    # left arrow, then insert in the middle
    assert "usage: mem" in _typed(machine, "hep\x1b[Dl\x1b[F mem")
    # Home (ESC [ H), type at the start; Ctrl-E back to the end
    assert "usage: pci" in _typed(machine, "elp pc\x1b[Hh\x05i")
    # Ctrl-U throws away what was typed
    out = _typed(machine, "garbage\x15help log")
    assert "usage: log" in out and "garbage" not in out.split("\n")[-2]
    # up arrow recalls the previous line
    assert "usage: log" in _typed(machine, "\x1b[A")


def test_poweroff_ends_qemu(machine):
    assert machine.poweroff() == 0


def test_boot_from_usb_stick():
    """The loader's device path says the stick on the xHCI controller was
    the boot volume (and no SATA disk carries the image)."""
    with Machine(["--usb"], log_name="usb") as m:
        assert int(m.boot["ms"]) > 0
        assert m.boot["from"] == "usb", m.boot
        assert "/USB(" in m.boot["device"].upper() and "/HD(1,GPT," in m.boot["device"], m.boot
        assert "8086:2922" in m.cmd("pci")
        assert m.poweroff() == 0


def test_autorun_runs_and_echoes(image_dir):
    img = make_image(str(image_dir / "autorun.img"), autorun="# a comment\nmem\n\nhelp pci\n")
    with Machine(image=img, log_name="autorun") as m:
        out = m.autorun_output
        assert "ntstor> mem" in out and "mem total_mib=" in out, out
        assert "ntstor> help pci" in out and "usage: pci" in out, out
        assert "a comment" not in out.replace("# a comment", "")


BROKEN_CFG = """\
; a config with mistakes on lines 3, 5 and 6
[Services\\ahci]
ImagePath \\ntstor\\drivers\\ahci.sys
Start = Boot
[Services\\disk
= nameless
Match = PCI\\CC_010601
"""


def test_broken_system_cfg_still_boots_and_names_lines(image_dir):
    img = make_image(str(image_dir / "badcfg.img"), system_cfg=BROKEN_CFG)
    with Machine(image=img, log_name="badcfg") as m:
        log = m.cmd("log")
        for n in (3, 5, 6):
            assert re.search(r"system\.cfg line %d\b" % n, log), (n, log)
        # line 7 is fine itself but sits under the broken header of line 5
        assert re.search(r"system\.cfg line 7\b.*line 5", log), log
        assert not re.search(r"system\.cfg line (1|2|4)\b", log), log
        assert "8086:2922" in m.cmd("pci")          # still a working system


@pytest.mark.parametrize("kind,code,name", [
    ("ud", "0x0000001E", "KMODE_EXCEPTION_NOT_HANDLED"),
    ("pf", "0x00000050", "PAGE_FAULT_IN_NONPAGED_AREA"),
    ("bugcheck", "0x000000E2", "MANUALLY_INITIATED_CRASH"),
])
def test_crash_prints_the_bugcheck(kind, code, name):
    with Machine(log_name="crash-" + kind) as m:
        m.child.sendline("crash " + kind)
        m.expect(r"\*\*\* STOP: " + code, timeout=60)
        m.expect(name, timeout=30)
        # backtrace with symbol names from the kernel's own symbol table
        m.expect(r"Cmd\w*Crash|KiCrash|Crash\w*\+0x", timeout=30)
        m.expect("System halted", timeout=30)
