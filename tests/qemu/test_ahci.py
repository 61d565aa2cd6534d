"""AHCI port driver in QEMU: topologies, interrupt modes, errors, unload.

One boot per configuration, many checks per boot:
  - topology: the boot disk on port 0, a work disk on port 2, a CD-ROM on
    port 3 (listed, unclaimed), a sparse 3 TiB qcow2 on port 5 (48-bit LBA
    near its end), and a second AHCI controller (--ahci2) whose disk has
    blkdebug errors on chosen sectors;
  - run-time mode switch poll <-> msi <-> intx with NCQ at queue depth 32
    (random writes then verify) in each mode;
  - injected read/write errors: the failing request ends with an error and
    sense, the disk keeps working, the other disk is unaffected;
  - `unload ahci` leaves no AHCI device, no pool under the driver's tag;
    `load ahci` brings the disks back;
  - boots with Parameters\\InterruptMode = Intx and Poll;
  - a boot with Parameters\\TestLoseInterrupts = 2: the watchdog finds the
    lost interrupts and falls back MSI -> INTx -> Poll, I/O stays correct.
"""
import os
import re
import subprocess
import sys

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

MIB = 1024 * 1024
BAD_READ_LBA = 1000
BAD_WRITE_LBA = 2000
BIG_BYTES = 3 * 1024 ** 4


def cfg_with_parameters(extra):
    base = open(os.path.join(ROOT, "tools", "system.cfg")).read()
    return re.sub(r"(\[Services\\ahci\\Parameters\]\n)(InterruptMode\s*=\s*\w+)?",
                  lambda mo: mo.group(1) + extra + "\n", base, count=1)


def disks(m):
    return m.lines("disks", "disk", timeout=120)


def disk_at(m, ctrl, port):
    found = [d for d in disks(m) if d["ctrl"] == str(ctrl) and d["port"] == str(port)]
    assert len(found) == 1, "no single disk at ahci%d port %d: %r" % (ctrl, port, disks(m))
    return found[0]


def ahci_log(m):
    return [l for l in m.cmd("log", timeout=120).splitlines() if "ahci" in l]


def write_verify(m, n, lba, count, seed):
    w = m.one("write %s %d %d seed=%d" % (n, lba, count, seed), "write", timeout=120)
    assert w["status"] == "STATUS_SUCCESS", w
    v = m.one("verify %s %d %d seed=%d" % (n, lba, count, seed), "verify", timeout=120)
    assert v["mismatches"] == "0" and v["first_bad_lba"] == "-", v


def ncq_randwrite_then_verify(m, n, mode, seed=77):
    """QD32 random writes of DESIGN.md's pattern (bench seed=), every block
    bench was told was written read back (verify=1)."""
    b = m.one("bench disk=%s rw=randwrite bs=4096 qd=32 seconds=1 mode=%s offset=4096 span=16384 "
              "seed=%d verify=1" % (n, mode, seed), "bench", timeout=180)
    assert int(b["ios"]) > 32 and b["errors"] == "0", b
    assert int(b["written"]) > 0 and b["verified"] == b["written"] and b["verify_bad"] == "0", b
    return b


def set_mode(m, n, mode):
    r = m.one("mode %s %s" % (n, mode), "mode")
    assert r["mode"] == mode, r
    assert m.one("mode %s" % n, "mode")["mode"] == mode


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("ahci")
    work = d / "work.img"
    with open(work, "wb") as f:
        f.truncate(64 * MIB)
    errd = d / "err.img"
    with open(errd, "wb") as f:
        f.truncate(16 * MIB)
    big = d / "big.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(big), "3T"], check=True)
    conf = d / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\n\n'
                    '[inject-error]\nevent = "write_aio"\nerrno = "5"\nsector = "%d"\n'
                    % (BAD_READ_LBA, BAD_WRITE_LBA))
    iso = d / "cd.iso"
    with open(iso, "wb") as f:
        f.truncate(2 * MIB)
    work2 = d / "work2.img"
    with open(work2, "wb") as f:
        f.truncate(64 * MIB)
    return {"work2": str(work2), "work": str(work), "err": str(errd), "big": str(big), "conf": str(conf),
            "iso": str(iso)}


@pytest.fixture(scope="module")
def topo(images):
    args = ["--disk", images["work"] + ":port=2",
            "--cdrom", images["iso"] + ":port=3",
            "--disk", images["big"] + ":port=5:format=qcow2",
            "--ahci2",
            "--disk", images["err"] + ":bus=ahci1:blkdebug=" + images["conf"]]
    m = Machine(args, log_name="test_ahci_topology").start()
    yield m
    m.stop()


def controllers(m):
    """(ICH9's number, the --ahci2 controller's number): Ahci<n> follows
    PCI enumeration order, and the added controller sits before 00:1f.2."""
    ds = disks(m)
    ich = [d["ctrl"] for d in ds if d["port"] == "5"]
    assert len(ich) == 1, ds
    other = sorted({d["ctrl"] for d in ds} - {ich[0]})
    assert len(other) == 1, ds
    return int(ich[0]), int(other[0])


def test_topology_ports_with_gaps_and_second_controller(topo):
    ds = disks(topo)
    ich, other = controllers(topo)
    places = sorted((int(d["ctrl"]), int(d["port"])) for d in ds)
    assert places == sorted([(ich, 0), (ich, 2), (ich, 5), (other, 0)]), ds
    for d in ds:
        assert d["mode"] == "msi" and d["ncq"] == "1", d


def test_cdrom_listed_unclaimed(topo):
    out = topo.cmd("devices", timeout=120)
    cd = [parse_kv(l) for l in out.splitlines() if l.startswith("device ") and "CdRom" in l]
    assert len(cd) == 1, out
    assert cd[0]["state"] == "Unclaimed", cd
    assert "ATAPI device" in "\n".join(ahci_log(topo))


def test_disk_beyond_2tib_48bit(topo):
    big = disk_at(topo, controllers(topo)[0], 5)
    assert int(big["sectors"]) * int(big["sector_size"]) == BIG_BYTES
    n = big["n"]
    topo.cmd("writable %s on" % n)
    last = int(big["sectors"]) - 8
    for lba in (last, 2 ** 32 + 5):            # past the 32-bit LBA boundary
        write_verify(topo, n, lba, 8, 1234)
    # The pattern landed where asked: an unwritten neighbour reads as zeros.
    zero = topo.one("read %s %d 8" % (n, last - 8), "read")
    assert topo.one("read %s %d 8" % (n, last), "read")["crc32"] != zero["crc32"]
    assert "STATUS_" in topo.error("read %s %d 16" % (n, last))


def test_mode_switch_with_ncq_qd32(topo):
    ich, other = controllers(topo)
    n = disk_at(topo, ich, 2)["n"]
    topo.cmd("writable %s on" % n)
    for mode in ("intx", "poll", "msi", "intx", "msi"):
        set_mode(topo, n, mode)
        ncq_randwrite_then_verify(topo, n, "poll" if mode == "poll" else "irq")
        write_verify(topo, n, 100, 64, hash(mode) & 0xFFFF)
    # The other controller's disk was not affected.
    assert disk_at(topo, other, 0)["mode"] == "msi"
    text = "\n".join(ahci_log(topo))
    assert "interrupt source msi -> intx" in text and "interrupt source intx -> msi" in text
    assert "lost interrupt" not in text


def test_injected_errors_fail_only_their_request(topo):
    ich, other = controllers(topo)
    n = disk_at(topo, other, 0)["n"]
    topo.cmd("writable %s on" % n)
    good = topo.one("read %s 0 8" % n, "read")
    err = topo.error("read %s %d 8" % (n, BAD_READ_LBA - 2))
    assert "STATUS_SUCCESS" not in err
    werr = topo.cmd("write %s %d 8 seed=5" % (n, BAD_WRITE_LBA - 1))
    assert "error" in werr or "STATUS_SUCCESS" not in werr
    # Reads around the bad sector, in one NCQ batch with it, still work
    # and the disk keeps working afterwards.
    write_verify(topo, n, 3000, 256, 9)
    assert topo.one("read %s 0 8" % n, "read")["crc32"] == good["crc32"]
    text = "\n".join(ahci_log(topo))
    assert re.search(r"ahci%d: port 0: command [0-9a-f]{2} lba \d+ failed" % other, text), text
    assert "ahci%d: port 0: recovery" % other in text


def test_unload_leaves_nothing_and_load_restores(topo):
    before = len(disks(topo))
    ich, other = controllers(topo)
    out = topo.cmd("unload ahci", timeout=120)
    assert not [l for l in out.splitlines() if l.startswith("error:")], out
    assert disks(topo) == []
    ls = topo.cmd("ls \\Device")
    assert "Ahci0" not in ls and "Ahci1" not in ls, ls
    pools = [parse_kv(l) for l in topo.cmd("pool").splitlines() if l.startswith("pool tag=")]
    ahci = [p for p in pools if p["tag"] == "Ahci"]
    assert not ahci or ahci[0]["bytes"] == "0", ahci
    text = "\n".join(ahci_log(topo))
    assert "ahci0: removed" in text and "ahci1: removed" in text
    out = topo.cmd("load ahci", timeout=180)
    assert not [l for l in out.splitlines() if l.startswith("error:")], out
    assert len(disks(topo)) == before
    ich2, other2 = controllers(topo)
    n = disk_at(topo, ich2, 2)["n"]
    topo.cmd("writable %s on" % n)
    write_verify(topo, n, 500, 32, 3)


def qcow2_bytes(path, lba, sectors):
    """What the host's qcow2 image holds at byte 512 * lba (qemu-img dd,
    whose count= counts from the start of the input, skipped blocks too)."""
    out = path + ".dd"
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run(["qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=512", "skip=%d" % lba,
                    "count=%d" % (lba + sectors), "if=" + path, "of=" + out], check=True,
                   stdout=subprocess.DEVNULL)
    with open(out, "rb") as f:
        data = f.read()
    os.unlink(out)
    return data


def test_writes_past_2tib_at_their_exact_offset(topo, images):
    """After poweroff the host finds the pattern at byte 512 * LBA of the 3 TiB
    image, for the last sectors and past LBA 2^32, and nothing where an LBA
    truncated to 32 bits would have put it."""
    assert topo.poweroff(timeout=120) == 0
    last = BIG_BYTES // 512 - 8
    for lba in (last, 2 ** 32 + 5):
        assert qcow2_bytes(images["big"], lba, 8) == mkdisk.pattern(1234, lba, 8), lba
    assert qcow2_bytes(images["big"], 5, 8) == bytes(8 * 512)
    assert qcow2_bytes(images["big"], last & 0xFFFFFFFF, 8) == bytes(8 * 512)


@pytest.mark.parametrize("mode", ["Intx", "Poll"])
def test_boot_interrupt_mode(mode, image_dir, images):
    img = make_image(str(image_dir / ("ahci_%s.img" % mode)),
                     system_cfg=cfg_with_parameters("InterruptMode = %s" % mode))
    with Machine(["--disk", images["work2"] + ":port=1"], image=img,
                 log_name="test_ahci_" + mode.lower()) as m:
        d = disk_at(m, 0, 1)
        assert d["mode"] == mode.lower(), d
        n = d["n"]
        m.cmd("writable %s on" % n)
        write_verify(m, n, 10, 512, 42)
        ncq_randwrite_then_verify(m, n, "poll" if mode == "Poll" else "irq")
        # MSI was not offered for these boots: the switch is refused.
        assert "STATUS_NOT_SUPPORTED" in m.error("mode %s msi" % n)
        if mode == "Poll":
            set_mode(m, n, "intx")
            write_verify(m, n, 20, 64, 43)


def test_lost_interrupts_fall_back(image_dir, images):
    """Interrupts go missing in the middle of the test's own I/O (not at
    start-up): after 2000 more commands each, MSI and then INTx are silenced
    behind the driver's back.  The watchdog finds the finished commands, the
    driver falls back MSI -> INTx -> Poll, and every block the QD32 writes
    were told was written reads back right."""
    img = make_image(str(image_dir / "ahci_lose.img"),
                     system_cfg=cfg_with_parameters("InterruptMode = Msi\nTestLoseInterrupts = 2\n"
                                                    "TestLoseInterruptsAfter = 2000"))
    with Machine(["--disk", images["work2"] + ":port=1"], image=img,
                 log_name="test_ahci_lose") as m:
        n = disk_at(m, 0, 1)["n"]
        m.cmd("writable %s on" % n)
        text = "\n".join(ahci_log(m))
        assert "test: msi silenced" not in text and "lost interrupt" not in text, text
        b = m.one("bench disk=%s rw=randwrite bs=4096 qd=32 seconds=3 mode=irq offset=0 "
                  "span=16384 seed=8 verify=1" % n, "bench", timeout=300)
        assert b["errors"] == "0" and b["verify_bad"] == "0", b
        assert b["verified"] == b["written"] and int(b["written"]) > 0, b
        assert int(b["ios"]) > 2 * 2000, b      # both losses fell inside this run
        text = "\n".join(ahci_log(m))
        assert "test: msi silenced" in text and "test: intx silenced" in text, text
        assert "lost interrupt" in text, text
        assert "interrupt fallback msi -> intx" in text, text
        assert "interrupt fallback intx -> poll" in text, text
        assert disk_at(m, 0, 1)["mode"] == "poll"
        # No interrupt left: irq runs are refused, polled ones still right.
        assert "STATUS_NOT_SUPPORTED" in m.error("bench disk=%s rw=read qd=1 seconds=1 mode=irq" % n)
        b = m.one("bench disk=%s rw=randwrite bs=4096 qd=32 seconds=1 mode=poll offset=0 "
                  "span=16384 seed=9 verify=1" % n, "bench", timeout=300)
        assert b["errors"] == "0" and b["verify_bad"] == "0", b
        write_verify(m, n, 200, 64, 9)