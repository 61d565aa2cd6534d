"""Options shared by the serial-console suites.

`--target FILE` (what `make hw-test TARGET=FILE` passes) runs against a
machine described by a target file (tests/hw/target.py): tests marked
`qemu_only(reason)` -- every test in tests/qemu, which boots QEMU itself --
are left out, and the report counts them by reason.  Without it, tests/hw is
skipped and tests/qemu runs under QEMU (`make qemu-test`)."""
import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_addoption(parser):
    parser.addoption("--target", metavar="FILE", default=None,
                     help="run the hardware suite against the machine this target file describes")


def pytest_configure(config):
    config.addinivalue_line("markers", "qemu_only(reason): needs what only QEMU gives; "
                                       "not collected for a real target")
    config.ntstor_left_out = collections.Counter()
    config.ntstor_target = None
    if os.environ.get("NTSTOR_SERIAL") and not config.getoption("target"):
        raise pytest.UsageError(
            "NTSTOR_SERIAL is no longer read: the QEMU tests boot QEMU themselves.  For a machine on "
            "a serial port write a target file (tests/targets/qemu-pty.cfg is an example) and run "
            "`make hw-test TARGET=file`.")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not config.getoption("target"):
        return
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("qemu_only")
        if mark:
            drop.append(item)
            config.ntstor_left_out[mark.args[0] if mark.args else "needs QEMU"] += 1
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    left = config.ntstor_left_out
    if left:
        terminalreporter.section("left out for a real target")
        terminalreporter.write_line("%d tests need what only QEMU gives and were not run:" % sum(left.values()))
        for reason, n in sorted(left.items(), key=lambda x: -x[1]):
            terminalreporter.write_line("  %3d  %s" % (n, reason))
    target = config.ntstor_target
    if target is None:
        return
    stats = terminalreporter.stats
    counts = {k: len([r for r in stats.get(k, []) if getattr(r, "when", "call") in ("call", "setup")])
              for k in ("passed", "failed", "error", "skipped")}
    skipped = collections.Counter()
    for r in stats.get("skipped", []):
        if isinstance(r.longrepr, tuple):
            skipped[r.longrepr[2].replace("Skipped: ", "")] += 1
    lines = ["ntstor hardware run: %s" % target.describe()]
    ident = target.identity
    for key in ("hwreport", "acpi", "cpu"):
        if ident.get(key):
            lines.append("%-9s %s" % (key + ":", ident[key]))
    for c in ident.get("storage", []):
        lines.append("storage:  %s" % c)
    for d in ident.get("disks", []):
        lines.append("disk:     %s" % d)
    for b in target.boots:
        lines.append("boot:     %-22s by %-11s boot line after %5.1f s, ms=%d  (%s)"
                     % (b["module"], b["how"], b["seconds"], b["ms"], os.path.relpath(b["log"])))
    lines.append("results:  %(passed)d passed, %(failed)d failed, %(error)d errors, %(skipped)d skipped" % counts)
    for reason, n in skipped.items():
        lines.append("skipped:  %3d  %s" % (n, reason))
    if left:
        lines.append("left out: %d tests that need QEMU (tests/qemu: qemu_only)" % sum(left.values()))
    xml = getattr(config.option, "xmlpath", None)
    if xml:
        lines.append("junit:    %s" % os.path.relpath(xml))
    path = os.path.join(target.logdir, "..", target.t["name"] + "-summary.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    terminalreporter.section("hardware summary (%s)" % os.path.relpath(os.path.normpath(path)))
    for l in lines:
        terminalreporter.write_line(l)
