"""What a disk or a typist can make the shell print or run (issue 7, items
8-10): a GPT partition name built to forge a `parts` line and clear the
screen is printed escaped; an over-long or non-ASCII typed line is refused
with one error line and runs nothing; a partition problem log too long for
the driver's buffer says it was cut.

One boot: port 1 holds a valid GPT (both CRCs recomputed on the host)
whose first partition is named FORGED; port 2 a GPT with 1024 entries,
every one broken."""
import os
import re
import struct
import subprocess
import sys

import pytest

from ntstor import ROOT, Machine, PROMPT, make_image, parse_kv

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

FORGED = 'x"\r\nparts disk=1 problems=0\x1b[2J'
FORGED_ESCAPED = r'name="x\"\x0d\x0aparts disk=1 problems=0\x1b[2J"'


@pytest.fixture(scope="module")
def disks(tmp_path_factory):
    d = tmp_path_factory.mktemp("shell_safety")
    forged = str(d / "forged.img")
    mkdisk.make_gpt(forged)
    mkdisk.set_gpt_name(forged, 0, FORGED)
    # The host's own tool must find the patched table valid: what the guest
    # shows is the name, not a damaged table.
    out = subprocess.run(["sgdisk", "-v", forged], check=True, capture_output=True, text=True)
    assert "No problems found" in out.stdout, out.stdout
    broken = str(d / "broken.img")
    with open(broken, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["sgdisk", "-o", "-S", str(BROKEN_ENTRIES), broken], check=True,
                   stdout=subprocess.DEVNULL)
    mkdisk.edit_gpt_entries(broken, break_every_entry)
    return {"forged": forged, "broken": broken}


BROKEN_ENTRIES = 1024
LINUX_DATA = bytes.fromhex("AF3DC60F838472478E793D69D8477DE4")


def break_every_entry(entries, count, size):
    """Each entry a Linux partition whose start lies after its end."""
    for i in range(count):
        at = i * size
        entries[at:at + 16] = LINUX_DATA
        entries[at + 16:at + 32] = struct.pack("<IHH8s", 0x1000 + i, 1, 2, b"ntstor!!")
        struct.pack_into("<QQ", entries, at + 32, 5000 + i, 4000)


@pytest.fixture(scope="module")
def m(disks):
    mach = Machine(["--disk", disks["forged"] + ":port=1", "--disk", disks["broken"] + ":port=2"],
                   log_name="test_shell_safety").start()
    yield mach
    mach.stop()


def disk_on_port(m, port):
    for d in m.lines("disks", "disk"):
        if d["port"] == str(port):
            return d["n"]
    raise AssertionError("no disk on port %d" % port)


def test_forged_partition_name_is_escaped(m):
    n = disk_on_port(m, 1)
    out = m.cmd("parts " + n)
    assert "\x1b" not in out, out                      # nothing reaches the terminal raw
    lines = out.splitlines()
    # Only the command's own summary line starts with "parts ".
    assert [l for l in lines if l.startswith("parts ")] == \
        [l for l in lines if l.startswith("parts disk=%s style=gpt" % n)], out
    assert not any(l.startswith("parts disk=1 problems=0") for l in lines), out
    part1 = [l for l in lines if l.startswith("part disk=%s n=1 " % n)]
    assert len(part1) == 1, out
    assert FORGED_ESCAPED in part1[0], part1[0]
    row = parse_kv(part1[0])
    assert row["name"] == FORGED                       # parse_kv reads it back exactly
    assert row["guid"] and row["start_lba"] == "2048"  # the keys after the name still parse
    summary = m.one("parts " + n, "parts")
    assert summary["problems"] == "0" and summary["backup_gpt"] == "0", summary


def typed(m, text):
    """Types text and Enter; returns everything up to the next prompt (the
    shell's echo of what it kept, then the output)."""
    m.child.sendline(text)
    m.child.expect_exact(PROMPT, timeout=60)
    return m.child.before.replace("\r", "")


def test_overlong_line_is_refused_not_cut(m):
    out = typed(m, "echo " + "a" * 300)
    errors = [l for l in out.splitlines() if l.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: shell: STATUS_NAME_TOO_LONG ("), out
    assert not any(re.fullmatch("a+", l) for l in out.splitlines()), out   # echo did not run


def test_overlong_trim_runs_nothing(m):
    # Issue 7's line: cut at 255 characters it was "trim <n> 100 8000" and
    # trimmed 8000 sectors of a writable disk.
    n = disk_on_port(m, 1)
    m.one("writable %s on" % n, "writable")
    line = "trim %s 100 " % n
    out = typed(m, line + " " * (251 - len(line)) + "80000")
    assert len(line + " " * (251 - len(line)) + "80000") == 256
    assert "trim disk=" not in out and "error: trim" not in out, out
    assert re.search(r"^error: shell: STATUS_NAME_TOO_LONG \(longer than 255 characters",
                     out, re.M), out
    m.one("writable %s off" % n, "writable")


def test_longest_line_still_runs(m):
    word = "b" * (255 - len("echo "))
    assert m.cmd("echo " + word).splitlines()[-1] == word


def test_non_ascii_line_is_refused(m):
    out = typed(m, "echo caf\u00e9")
    assert re.search(r"^error: shell: STATUS_INVALID_PARAMETER \(", out, re.M), out
    assert not any(l == "caf" or l == "caf\u00e9" for l in out.splitlines()), out


def test_ctrl_u_starts_a_refused_line_over(m):
    out = typed(m, "echo " + "c" * 300 + "\x15" + "echo fresh")
    assert "error:" not in out and out.splitlines()[-1] == "fresh", out


def test_truncated_problem_log_says_so(m):
    n = disk_on_port(m, 2)
    out = m.cmd("parts " + n)
    problems = [parse_kv(l) for l in out.splitlines() if l.startswith("problem ")]
    summary = m.one("parts " + n, "parts")
    assert summary["count"] == "0" and summary["problems"] == str(BROKEN_ENTRIES), summary
    assert summary["truncated"] == "1", summary
    assert summary["problems_shown"] == str(len(problems)), (summary, out)
    assert 0 < len(problems) < BROKEN_ENTRIES, out
    for p in problems:                   # whole lines only: no empty or cut one at the end
        assert re.fullmatch(r"gpt: entry \d+: starting LBA \d+ after ending LBA 4000: skipped",
                            p["text"]), out


def test_identify_strings_still_plain(m):
    # identify escapes instead of replacing with '?': plain text is unchanged.
    row = m.one("identify " + disk_on_port(m, 1), "identify")
    assert row["model"] == "QEMU HARDDISK" and row["serial"].startswith("QM"), row
    assert row["firmware"], row


def test_autorun_refuses_the_same_lines(image_dir):
    autorun = ("echo first\n" + "echo " + "a" * 300 + "\n" + "echo caf\u00e9\n" +
               "echo bell\x07\n" + "echo last\n")
    img = make_image(str(image_dir / "autorun_refused.img"), autorun=autorun)
    with Machine(image=img, log_name="autorun_refused") as mach:
        out = mach.autorun_output
        lines = out.splitlines()
        assert "first" in lines and "last" in lines, out
        assert "error: autorun line 2: STATUS_NAME_TOO_LONG (longer than 255 characters: not run)" \
            in lines, out
        assert "error: autorun line 3: STATUS_INVALID_PARAMETER (a byte outside printable ASCII: " \
            "not run)" in lines, out
        assert "error: autorun line 4: STATUS_INVALID_PARAMETER (a byte outside printable ASCII: " \
            "not run)" in lines, out
        assert "\x07" not in out and not any(l.startswith("caf") for l in lines), out
