"""The fault matrix: nothing acknowledged is ever lost (DESIGN.md, "Faults").

One boot carries disks whose QEMU blkdebug rules fail requests the way a
sick disk does:

  port 1  every third write fails (intermittent; state machine 1->2->3)
  port 2  every third read fails (intermittent)
  port 3  the first write and the first read covering each case's marked
          sector fail once; writes and reads of one other sector always fail
  port 4  every second flush fails (intermittent)

For each completion mode (poll, MSI, INTx) and queue depth (1 and 32) a case
runs `bench` on its own region of each disk (offset=/span=) with DESIGN.md's
pattern (seed=): writes with verify=1 (bench reads back every block it was
told was written), reads checking every block against the pattern.  After
`poweroff` the host reads the image files and checks, per case:

  - every block bench was told was written holds the pattern (the count of
    pattern blocks on the image is bench's written=, plus at most the writes
    reported failed, and no block is torn half old, half new);
  - no block outside the cases' regions changed;
  - every read reported good carried the right data (bad_blocks=0);
  - every failure is reported: a request that touches an always-failing
    sector ends with an error status naming its LBA, and nothing else fails;
    every failed flush is an error to `flush` (never retried into success)
    and every other one succeeds.
The table of what each case failed / reported / lost is printed (pytest -s)
and checked.
"""
import os
import sys

import pytest

from ntstor import ROOT, Machine, parse_kv
from test_ahci import disk_at

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

SECTORS = 32 * 1024          # 16 MiB per disk
SPAN = 4096                  # sectors per case (2 MiB): 512 blocks of 4 KiB
OLD_SEED = 11                # what the host put everywhere first
MODES = ("poll", "msi", "intx")
QDS = (1, 32)
BS = 4096
SPB = BS // 512              # sectors per bench block


def case_index(mode, qd):
    return MODES.index(mode) * len(QDS) + QDS.index(qd)


def case_offset(mode, qd):
    return case_index(mode, qd) * SPAN


# The `once` disk's writes go over the pattern its reads check.
WRITE_SEED_DELTA = 500


def case_seed(mode, qd):
    return 1000 + case_index(mode, qd)


# Port 3: in each case's region, sector ONCE_AT fails once for writes and once
# for reads; sector ALWAYS_AT of the last case's region always fails.
ONCE_AT = 100
ALWAYS_CASE = ("intx", 32)
ALWAYS_AT = case_offset(*ALWAYS_CASE) + 1000


def every_nth(event, iotype, n):
    """blkdebug rules: of the `event` requests, every n-th fails with EIO.

    blkdebug keeps an error rule that an event armed active for every later
    request until an event arms some error rule again, so the rule of state
    3 alone would fail everything after the third request.  A second rule,
    armed by every event, fails only a sector nobody touches (the disk's
    last): each event re-arms the set, and the state-3 rule is in it only
    for the one request that follows its event."""
    states = "".join('[set-state]\nevent = "%s"\nstate = "%d"\nnew_state = "%d"\n'
                     % (event, k, k % n + 1) for k in range(1, n + 1))
    return states + ('[inject-error]\nevent = "{e}"\nstate = "{n}"\nerrno = "5"\niotype = "{t}"\n'
                     '[inject-error]\nevent = "{e}"\nerrno = "5"\niotype = "{t}"\nsector = "{s}"\n'
                     ).format(e=event, n=n, t=iotype, s=SECTORS - 1)


def once_and_always():
    """Per case, the first write and the first read covering its ONCE_AT
    sector fail; ALWAYS_AT always fails.  (Rules without a state are
    re-armed by every event of their kind; a once rule is gone after it
    failed one request.)"""
    rules = []
    for mode in MODES:
        for qd in QDS:
            sector = case_offset(mode, qd) + ONCE_AT
            for event, iotype in (("write_aio", "write"), ("read_aio", "read")):
                rules.append('[inject-error]\nevent = "%s"\nerrno = "5"\niotype = "%s"\n'
                             'sector = "%d"\nonce = "on"\n' % (event, iotype, sector))
    for event, iotype in (("write_aio", "write"), ("read_aio", "read")):
        rules.append('[inject-error]\nevent = "%s"\nerrno = "5"\niotype = "%s"\nsector = "%d"\n'
                     % (event, iotype, ALWAYS_AT))
    return "".join(rules)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("faults")
    out = {}
    for name, conf in (("wr3", every_nth("write_aio", "write", 3)),
                       ("rd3", every_nth("read_aio", "read", 3)),
                       ("once", once_and_always()),
                       ("fl2", every_nth("flush_to_disk", "flush", 2))):
        img = str(d / (name + ".img"))
        with open(img, "wb") as f:
            f.truncate(SECTORS * 512)
        mkdisk.write_pattern(img, 0, SECTORS, OLD_SEED)
        cfg = d / (name + ".conf")
        cfg.write_text(conf)
        out[name] = (img, str(cfg))
    # Reads check the pattern: the read disks carry each case's seed in its region.
    for name in ("rd3", "once"):
        for mode in MODES:
            for qd in QDS:
                mkdisk.write_pattern(out[name][0], case_offset(mode, qd), SPAN, case_seed(mode, qd))
    return out


@pytest.fixture(scope="module")
def m(images):
    args = []
    for port, name in ((1, "wr3"), (2, "rd3"), (3, "once"), (4, "fl2")):
        img, conf = images[name]
        args += ["--disk", "%s:port=%d:blkdebug=%s:cache=writeback" % (img, port, conf)]
    mach = Machine(args, log_name="test_faults").start()
    yield mach
    mach.stop()


RESULTS = {}
FLUSHES = {}


def bench(m, n, rw, mode, qd, seed, extra=""):
    mode_arg = "poll" if mode == "poll" else "irq"
    out = m.cmd("bench disk=%s rw=%s bs=%d qd=%d seconds=2 mode=%s offset=%d span=%d seed=%d %s"
                % (n, rw, BS, qd, mode_arg, case_offset(mode, qd), SPAN, seed, extra), timeout=300)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("bench ")]
    assert len(rows) == 1, out
    errs = [l for l in out.splitlines() if l.startswith("error: ")]
    return rows[0], errs, out


def assert_reported(b, errs, out):
    """No error, or errors reported: one error line with a failure status,
    and the summary's count and first failed LBA."""
    if b["errors"] == "0":
        assert not errs, out
    else:
        assert len(errs) == 1 and "STATUS_" in errs[0] and "STATUS_SUCCESS" not in errs[0], out
        assert b["first_error_lba"].isdigit(), out


def set_mode(m, disks, mode):
    for n in disks:
        r = m.one("mode %s %s" % (n, mode), "mode")
        assert r["mode"] == mode, r


@pytest.mark.parametrize("mode", MODES)
def test_fault_matrix_run(m, mode):
    """Runs every case of one completion mode; the host checks come after poweroff."""
    wr3, rd3, once, fl2 = (disk_at(m, 0, p)["n"] for p in (1, 2, 3, 4))
    for n in (wr3, once, fl2):
        assert m.one("writable %s on" % n, "writable")["writable"] == "1"
    set_mode(m, (wr3, rd3, once, fl2), mode)
    # Intermittent flush errors: each flush follows a write (QEMU flushes
    # the host file only when something was written since the last flush),
    # so the host sees flush after flush, every second one failing.
    flushes = []
    for k in range(4):
        lba = case_offset(mode, 1) + 8 * k
        w = m.one("write %s %d 8 seed=%d" % (fl2, lba, case_seed(mode, 1)), "write")
        assert w["status"] == "STATUS_SUCCESS", w
        out = m.cmd("flush %s" % fl2)
        errs = [l for l in out.splitlines() if l.startswith("error: ")]
        ok = [l for l in out.splitlines() if l.startswith("flush ") and "STATUS_SUCCESS" in l]
        assert len(errs) + len(ok) == 1, out
        flushes.append(bool(ok))
    assert flushes == [True, False, True, False], flushes
    FLUSHES[mode] = flushes
    for qd in QDS:
        seed = case_seed(mode, qd)
        case = {}
        # Intermittent write errors: every request acknowledged is read
        # back right.  (A request the disk failed on every retry is an
        # error reported with its status -- bench stops there -- never a
        # success; once the driver has turned NCQ off for the port,
        # ncq-failing, that can happen, as the queue lines up with the
        # every-third rhythm.)
        b, errs, out = bench(m, wr3, "randwrite", mode, qd, seed, "verify=1")
        assert b["source"] == mode, out
        assert_reported(b, errs, out)
        assert int(b["written"]) > 0 and b["verify_bad"] == "0", out
        assert b["verified"] == b["written"], out
        assert int(b["recoveries"]) > 0, out     # the faults did happen
        case["wr3"] = b
        # Intermittent read errors: every read reported good holds its data.
        b, errs, out = bench(m, rd3, "randread", mode, qd, seed)
        assert_reported(b, errs, out)
        assert b["bad_blocks"] == "0" and b["checked"] == b["ios"], out
        case["rd3"] = b
        # Once per case: a sequential pass meets the sector that fails once;
        # the class driver's retry makes it good, and the data says so.
        b, errs, out = bench(m, once, "read", mode, qd, seed)
        if (mode, qd) == ALWAYS_CASE:
            first_bad = ALWAYS_AT - ALWAYS_AT % SPB
            assert b["errors"] != "0" and b["first_error_lba"] == str(first_bad), out
            assert len(errs) == 1 and "STATUS_" in errs[0], out
        else:
            assert b["errors"] == "0" and not errs, out
        assert b["bad_blocks"] == "0", out
        case["once_read"] = b
        # Writes over the read pattern, with a seed of their own.
        b, errs, out = bench(m, once, "write", mode, qd, seed + WRITE_SEED_DELTA, "verify=1")
        if (mode, qd) == ALWAYS_CASE:
            first_bad = ALWAYS_AT - ALWAYS_AT % SPB
            assert b["errors"] != "0" and b["first_error_lba"] == str(first_bad), out
        else:
            assert b["errors"] == "0" and not errs, out
            # The sequential pass covered the whole region at least once.
            assert int(b["written"]) == SPAN // SPB, out
        assert b["verify_bad"] == "0", out
        case["once_write"] = b
        RESULTS[(mode, qd)] = case


def pattern_blocks(img, lba, sectors, seed, old_seed):
    """(blocks holding the seed's pattern, blocks holding old data, torn blocks)."""
    new = old = torn = 0
    with open(img, "rb") as f:
        for blk in range(sectors // SPB):
            first = lba + blk * SPB
            f.seek(first * 512)
            data = f.read(BS)
            if data == mkdisk.pattern(seed, first, SPB):
                new += 1
            elif data == mkdisk.pattern(old_seed, first, SPB):
                old += 1
            else:
                torn += 1
    return new, old, torn


def test_fault_matrix_on_the_host(m, images):
    """After poweroff: every acknowledged block is on the image, nothing else changed."""
    assert len(RESULTS) == len(MODES) * len(QDS), "the run tests did not all pass"
    assert m.poweroff(timeout=120) == 0
    table = ["case            disk    requests  failed  reported  lost",
             "(failed: recoveries the port driver ran; reported: errors that reached bench)"]
    for (mode, qd), case in sorted(RESULTS.items()):
        off, seed = case_offset(mode, qd), case_seed(mode, qd)
        for name, key, wseed, before in (("wr3", "wr3", seed, OLD_SEED),
                                          ("once", "once_write", seed + WRITE_SEED_DELTA, seed)):
            b = case[key]
            new, old, torn = pattern_blocks(images[name][0], off, SPAN, wseed, before)
            written = int(b["written"])
            lost = written - new
            table.append("%-5s qd=%-2d      %-7s %-9s %-7s %-9s %d" % (
                mode, qd, name + "/w", b["ios"], b["recoveries"], b["errors"], lost))
            assert torn == 0, (mode, qd, name, torn)
            # Every acknowledged block is there; beyond them only blocks
            # whose write was reported failed may have landed (a failure
            # report promises nothing about the medium) -- bench stops at
            # its first error, so at most `errors` of them.
            assert written <= new <= written + int(b["errors"]), (mode, qd, name, new, written)
        # Reads: "lost" is a read reported good that did not carry its data.
        for name, key in (("rd3", "rd3"), ("once", "once_read")):
            b = case[key]
            table.append("%-5s qd=%-2d      %-7s %-9s %-7s %-9s %s" % (
                mode, qd, name + "/r", b["ios"], b["recoveries"], b["errors"], b["bad_blocks"]))
    # Outside the cases' regions the old data is untouched, on every disk.
    end = len(MODES) * len(QDS) * SPAN
    for name in ("wr3", "rd3", "once", "fl2"):
        assert mkdisk.check_pattern(images[name][0], end, SECTORS - end, OLD_SEED), name
    for mode, flushes in sorted(FLUSHES.items()):
        table.append("%-5s           fl2     %-9d %-7d %-9d -" % (
            mode, len(flushes), flushes.count(False), flushes.count(False)))
    print("\n" + "\n".join(table))
