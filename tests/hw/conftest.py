"""The hardware suite: runs against one machine described by a target file
(`make hw-test TARGET=tests/targets/<machine>.cfg`), a real PC on a serial
port or QEMU attached as one (tools/qemu-pty-target.py).  It needs nothing
but a machine that boots ntstor: no images of its own, no disk layout, no
monitor.  Every module starts from a fresh boot (`reboot`, or the target's
power_cycle when the shell does not answer); modules run in file order.

Writing is confined to the target's scratch disks, found by serial number;
every other disk is only read, and its writes must be refused."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from target import Target, TargetError, load_target  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if config.getoption("target"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    skip = pytest.mark.skip(reason="hardware suite: needs a target (make hw-test TARGET=file)")
    for item in items:
        if os.path.dirname(str(item.fspath)) == here:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def target(request):
    config = request.config
    capman = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")

    def say(text):
        # The person at the console must see this even under capture.
        with capman.global_and_fixture_disabled():
            reporter.write_line(text)

    try:
        t = Target(load_target(config.getoption("target")), say).open()
    except TargetError as e:
        pytest.exit("target: %s" % e, returncode=2)
    config.ntstor_target = t
    yield t
    t.close()


@pytest.fixture(scope="module")
def m(target, request):
    """The machine, freshly booted for this module."""
    try:
        target.fresh_boot(request.module.__name__.rsplit(".", 1)[-1])
    except Exception as e:       # noqa: BLE001 - the boot is what failed
        pytest.fail("no fresh boot for %s: %s (serial log: %s)"
                    % (request.module.__name__, e, target.log_path), pytrace=False)
    return target
