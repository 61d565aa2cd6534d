"""Flush faults (issue 7; DESIGN.md "Faults": a failed flush is an error to
its caller, never retried into success).  The work disk on port 1 sits on
QEMU's blkdebug, whose rules fail the host-side flush (event
flush_to_disk) with EIO; the guest sees FLUSH CACHE EXT end in an error.

QEMU reaches flush_to_disk only when the image was written since its last
successful flush, so every check writes first.  A flush error can only
come from the block layer, so an error line naming the disk proves that
the flush reached the disk:

  - one failed flush: `flush` reports it (no retry into success); the
    next `flush` is a request of its own and reports what the disk says
    then (success);
  - every flush failing: `flush` fails each time; `poweroff` prints an
    error line naming the disk (number, serial) saying the cache was not
    flushed, and still powers off;
  - every flush failing: `unload disk` (removal flushes) prints that
    error line too.
After the one-shot fault, poweroff reports nothing and the guest's write
is on the host image."""
import os
import re
import sys

from ntstor import ROOT, Machine

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

MIB = 1024 * 1024
SEED = 91
FAIL_ONCE = '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\nonce = "on"\n'
FAIL_ALWAYS = '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n'


def work_disk(tmp_path, name, rules=None):
    """A blank 64 MiB raw image on port 1, with blkdebug rules if given."""
    img = tmp_path / (name + ".img")
    with open(img, "wb") as f:
        f.truncate(64 * MIB)
    spec = str(img) + ":port=1"
    if rules is not None:
        conf = tmp_path / (name + ".conf")
        conf.write_text(rules)
        spec += ":blkdebug=" + str(conf)
    return str(img), spec


def port1(m):
    rows = [d for d in m.lines("disks", "disk") if d["port"] == "1"]
    assert len(rows) == 1, rows
    return rows[0]


def write_some(m, n, lba=2048):
    assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    w = m.one("write %s %d 8 seed=%d" % (n, lba, SEED), "write")
    assert w["status"] == "STATUS_SUCCESS"


def flush_error(m, n):
    """`flush n` must fail: returns its error line."""
    out = m.cmd("flush %s" % n, timeout=120)
    assert not re.search(r"^flush disk=%s status=STATUS_SUCCESS" % n, out, re.M), out
    errs = [l for l in out.splitlines() if re.match(r"error: flush disk=%s\b" % n, l)]
    assert len(errs) == 1, out
    return errs[0]


def test_failed_flush_is_reported_not_retried(tmp_path):
    img, spec = work_disk(tmp_path, "once", FAIL_ONCE)
    with Machine(["--disk", spec], log_name="test_flush_once") as m:
        d = port1(m)
        write_some(m, d["n"])
        err = flush_error(m, d["n"])
        assert 'serial="%s"' % d["serial"] in err, err
        assert "STATUS_SUCCESS" not in err and "STATUS_" in err, err
        assert "(write cache not flushed)" in err, err
        # The fault was one-shot: the next flush is its own request and
        # reports what the disk says now.
        assert m.one("flush %s" % d["n"], "flush", timeout=120)["status"] == "STATUS_SUCCESS"
        assert m.poweroff() == 0
        assert "error:" not in m.child.before, m.child.before
    assert mkdisk.check_pattern(img, 2048, 8, SEED)


def test_poweroff_reports_failed_shutdown_flush(tmp_path):
    img, spec = work_disk(tmp_path, "always", FAIL_ALWAYS)
    with Machine(["--disk", spec], log_name="test_flush_poweroff") as m:
        d = port1(m)
        write_some(m, d["n"])
        assert "STATUS_SUCCESS" not in flush_error(m, d["n"])
        assert "STATUS_SUCCESS" not in flush_error(m, d["n"])     # its own request again
        assert m.poweroff(timeout=120) == 0
        out = m.child.before.replace("\r", "")
    errs = [l for l in out.splitlines() if l.startswith("error: ")]
    # Exactly one: the work disk's; the boot disk flushed fine.
    assert len(errs) == 1, out
    assert re.match(r'error: poweroff disk=%s serial="%s": STATUS_\w+ \(write cache not flushed at '
                    r'shutdown\)$' % (d["n"], re.escape(d["serial"])), errs[0]), errs[0]
    assert "STATUS_SUCCESS" not in errs[0]
    assert not re.search(r"disk%s: shutdown: write cache flushed" % d["n"], out), out


def test_unload_reports_failed_removal_flush(tmp_path):
    img, spec = work_disk(tmp_path, "unload", FAIL_ALWAYS)
    with Machine(["--disk", spec], log_name="test_flush_unload") as m:
        d = port1(m)
        write_some(m, d["n"])
        out = m.cmd("unload disk", timeout=120)
        errs = [l for l in out.splitlines() if l.startswith("error: ")]
        assert len(errs) == 1, out
        assert re.match(r'error: unload disk=%s serial="%s": STATUS_\w+ \(write cache not flushed '
                        r'before removal\)$' % (d["n"], re.escape(d["serial"])), errs[0]), errs[0]
        assert "STATUS_SUCCESS" not in errs[0]
        assert m.lines("disks", "disk") == []          # the unload itself went through

