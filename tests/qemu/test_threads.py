"""Threads, waits and work items in QEMU (issue 8): a test driver's system
thread and I/O work item run while the shell waits at its prompt and while
it runs a bench; `threads` shows who waits on what; Ctrl-C stops a bench.

The driver is tests/drivers/threadtest: its thread ticks every 5 ms on a
timed wait and queues a work item every 20 ticks; reading
\\Device\\ThreadTest0 returns both counts as two little-endian ULONG64s."""
import os
import re
import struct
import time

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv


@pytest.fixture(scope="module")
def m(image_dir):
    # The default configuration (the storage drivers, for bench) plus the
    # test driver's service as tests/qemu/drivers.cfg declares it.
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read()
    with open(os.path.join(ROOT, "tests", "qemu", "drivers.cfg")) as f:
        drivers = f.read()
    cfg += "\n" + drivers[drivers.index("[Services\\threadtest]"):]
    img = make_image(str(image_dir / "threads.img"), system_cfg=cfg)
    machine = Machine(image=img, log_name="test_threads").start()
    yield machine
    machine.stop()


def counts(m):
    """(ticks, work items) of the threadtest driver, read through the I/O
    manager like any device."""
    row = m.one("devread \\Device\\ThreadTest0 16", "devread")
    assert row["bytes"] == "16", row
    return struct.unpack("<QQ", bytes.fromhex(row["first"]))


def threads(m):
    return m.lines("threads", "thread")


def test_threads_lists_the_system_threads(m):
    rows = {r["name"]: r for r in threads(m)}
    assert rows["shell"]["state"] == "running"          # it is running `threads`
    assert rows["idle"]["priority"] == "0"
    for name, prio in (("worker-critical", "13"), ("worker-delayed", "12")):
        w = rows[name]
        assert w["state"] == "waiting", w
        assert w["wait"] == "WrQueue", w
        assert w["on"].startswith("Semaphore@"), w
        assert w["priority"] == prio, w
    summary = m.one("threads", "threads")
    assert int(summary["count"]) == len(rows)
    assert int(summary["switches"]) > 0


def test_driver_thread_and_work_item_run_while_the_shell_waits(m):
    row = m.one("load threadtest", "load")
    assert row["status"] == "STATUS_SUCCESS", row
    t0, w0 = counts(m)
    time.sleep(1.0)                 # the shell thread is blocked on its input
    t1, w1 = counts(m)
    # 5 ms ticks: ~200 a second; TCG and a busy host may halve it.
    assert t1 - t0 >= 40, (t0, t1)
    assert w1 > w0, (w0, w1)


def test_threads_shows_the_driver_thread_waiting(m):
    rows = [r for r in threads(m) if r["name"] == "threadtest"]
    assert len(rows) == 1, rows
    r = rows[0]
    # Nearly always in its timed wait on the stop event; between ticks it
    # may be ready, never running (the shell is).
    assert r["state"] in ("waiting", "ready"), r
    if r["state"] == "waiting":
        assert r["wait"] == "Executive", r
        assert r["on"].startswith("NotificationEvent@"), r
        assert r.get("timeout") == "1", r
    assert r["priority"] == "8"
    assert int(r["switches"]) > 10


def test_bench_does_not_starve_the_driver_thread(m):
    """A polled bench spins the shell thread at PASSIVE_LEVEL for its whole
    run; the quantum lets the driver's thread (same priority) and the work
    item (worker at 12) run meanwhile."""
    t0, w0 = counts(m)
    b = m.one("bench disk=0 rw=randread bs=4096 qd=1 seconds=2 mode=poll", "bench", timeout=60)
    assert int(b["ios"]) > 0
    t1, w1 = counts(m)
    assert t1 - t0 >= 40, (t0, t1)
    assert w1 > w0, (w0, w1)


def test_ctrl_c_stops_a_bench(m):
    line = "bench disk=0 rw=randread bs=4096 qd=1 seconds=120 mode=irq"
    m.child.sendline(line)
    m.child.expect_exact(line, timeout=30)
    time.sleep(1.5)
    start = time.monotonic()
    m.child.send("\x03")
    m.child.expect(r"bench disk=0 [^\r\n]*\r+\n", timeout=30)
    row = parse_kv(m.child.after)
    m.child.expect_exact("^C", timeout=30)
    m.child.expect_exact("ntstor> ", timeout=30)
    assert time.monotonic() - start < 20
    assert int(row["ios"]) > 0
    assert row["errors"] == "0"
    # The shell answers again, and the interrupt does not stick.
    assert m.cmd("echo after-ctrl-c") == "after-ctrl-c"
    b = m.one("bench disk=0 rw=randread bs=4096 qd=1 seconds=1 mode=irq", "bench", timeout=60)
    assert int(b["ios"]) > 0


def test_unload_waits_for_the_thread_and_the_work_item(m):
    t0, _ = counts(m)
    out = m.cmd("unload threadtest")
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("unload ")]
    assert rows and rows[0]["status"] == "STATUS_SUCCESS", out
    log = m.cmd("log")
    done = re.findall(r"threadtest: unloaded ticks=(\d+) work_items=(\d+) wait=(\S+)", log)
    assert done, log[-2000:]
    ticks, items, wait = done[-1]
    assert int(ticks) >= t0 and int(items) > 0 and wait == "STATUS_SUCCESS"
    assert not [r for r in threads(m) if r["name"] == "threadtest"]
    # Load and unload again: nothing of the first run is left behind.
    assert m.one("load threadtest", "load")["status"] == "STATUS_SUCCESS"
    assert m.one("unload threadtest", "unload")["status"] == "STATUS_SUCCESS"
