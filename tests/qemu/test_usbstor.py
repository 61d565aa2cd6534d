"""USB mass storage (issue 11): usbstor.sys and disk.sys over a device that
is not ATA.

Until the xHCI and hub drivers land (branch wip-usbhost), the USB device
under usbstor is tests/drivers/usbsim: a test driver bound on QEMU's PCI
test device that reports one child PDO with the IDs the hub driver will
give a stick (compatible ID USB\\Class_08&SubClass_06&Prot_50) and answers
its URBs with a device-side bulk-only transport over a RAM disk.  It
answers like a cheap stick: SCSI-2 INQUIRY, no VPD pages, READ
CAPACITY(16) and READ/WRITE(16) unknown, no UNMAP, no ATA PASS-THROUGH,
MODE SENSE with the WP bit as configured.  Everything above the URB --
usbstor's start, GET MAX LUN, LUN PDOs, the BOT engine with its stall
retry and reset recovery, the per-device thread, disk.sys's start over a
non-ATA device, `disks`, read/write/verify, bench -- is the real code.

The tests on real USB hardware in QEMU (qemu-xhci + usb-storage, usb-hub,
usb-bot with two LUNs, readonly=on, blkdebug, booting from the stick) are
at the end; they skip until a USB host controller driver is in the image."""
import os
import zlib

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
    BASE_CFG = f.read()

SIM_SECTORS = 16384


def sim_cfg(**params):
    text = BASE_CFG + ("\n[Services\\usbsim]\nImagePath = \\ntstor\\tests\\usbsim.sys\n"
                       "Start     = Boot\nMatch     = PCI\\VEN_1B36&DEV_0005\n")
    if params:
        text += "\n[Services\\usbsim\\Parameters]\n"
        for k, v in params.items():
            text += "%s = %s\n" % (k, v)
    return text


def sim_machine(image_dir, name, **params):
    img = make_image(str(image_dir / (name + ".img")), system_cfg=sim_cfg(**params))
    return Machine(["--", "-device", "pci-testdev"], image=img, log_name="usbstor-" + name)


def usb_disks(m):
    return [d for d in m.lines("disks", "disk") if d["bus"] == "usb"]


@pytest.fixture(scope="module")
def stick(image_dir):
    m = sim_machine(image_dir, "plain").start()
    yield m
    m.stop()


def test_stick_listed_with_usb_facts(stick):
    disks = usb_disks(stick)
    assert len(disks) == 1, stick.cmd("disks")
    d = disks[0]
    assert d["vendor"] == "ntstor" and d["product"] == "USB sim stick", d
    assert d["serial"] == "USBSIM0001", d             # the USB iSerialNumber
    assert d["sectors"] == str(SIM_SECTORS) and d["sector_size"] == "512", d
    assert d["writable"] == "0" and d["write_protected"] == "0", d
    assert d["removable"] == "1" and d["boot"] == "0", d
    # the SATA boot disk is still there, as it was
    sata = [x for x in stick.lines("disks", "disk") if x["bus"] == "sata"]
    assert len(sata) == 1 and sata[0]["boot"] == "1", sata


def test_start_followed_what_the_device_said(stick):
    log = stick.cmd("log")
    n = usb_disks(stick)[0]["n"]
    assert "usbstor0: 46f4:5553 serial \"USBSIM0001\" interface 0 bulk in 81 out 02, 1 LUN(s)" in log, log
    assert "usbstor0: GET MAX LUN not answered" in log     # a stall: one LUN
    assert "disk%s: no VPD pages (INQUIRY version 2)" % n in log, log
    # SCSI-2 and 8 MiB: READ CAPACITY(16) is never sent, so never refused
    assert "READ CAPACITY(16)" not in log
    assert "disk%s: MODE SENSE failed" % n not in log


def test_read_write_verify(stick):
    n = usb_disks(stick)[0]["n"]
    r = stick.one("read %s 0 1" % n, "read")
    assert int(r["crc32"], 16) == zlib.crc32(bytes(512)), r
    err = stick.error("write %s 100 8 seed=5" % n)
    assert "STATUS_MEDIA_WRITE_PROTECTED" in err and "writable" in err, err
    assert stick.one("verify %s 100 8 seed=5" % n, "verify")["mismatches"] == "8"
    assert stick.one("writable %s on" % n, "writable")["writable"] == "1"
    w = stick.one("write %s 100 300 seed=5" % n, "write")
    assert w["status"] == "STATUS_SUCCESS", w
    v = stick.one("verify %s 100 300 seed=5" % n, "verify")
    assert v["mismatches"] == "0", v
    assert stick.one("flush %s" % n, "flush")["status"] == "STATUS_SUCCESS"
    assert stick.one("writable %s off" % n, "writable")["writable"] == "0"


def test_what_the_stick_cannot_do_is_said(stick):
    n = usb_disks(stick)[0]["n"]
    assert stick.one("writable %s on" % n, "writable")["writable"] == "1"
    err = stick.error("trim %s 0 8" % n)
    assert "STATUS_NOT_SUPPORTED" in err and "no UNMAP" in err, err
    err = stick.error("identify %s" % n)
    assert "does not take ATA PASS-THROUGH" in err, err
    err = stick.error("smart %s" % n)
    assert "does not take ATA PASS-THROUGH" in err, err
    stick.one("writable %s off" % n, "writable")


def test_bench_on_usb_disk(stick):
    n = usb_disks(stick)[0]["n"]
    b = stick.one("bench disk=%s rw=randread bs=4096 qd=1 seconds=2" % n, "bench", timeout=120)
    assert b["errors"] == "0" and b["short"] == "0" and int(b["ios"]) > 0, b
    b = stick.one("bench disk=%s rw=read bs=1048576 qd=1 seconds=2" % n, "bench", timeout=120)
    assert b["errors"] == "0" and int(b["ios"]) > 0, b


def test_write_protected_medium(image_dir):
    with sim_machine(image_dir, "wp", WriteProtect=1) as m:
        d = usb_disks(m)[0]
        assert d["write_protected"] == "1" and d["writable"] == "0", d
        assert "the medium is write-protected (MODE SENSE WP)" in m.cmd("log")
        err = m.error("writable %s on" % d["n"])
        assert "STATUS_MEDIA_WRITE_PROTECTED" in err and "write-protected" in err, err
        err = m.error("write %s 0 1 seed=1" % d["n"])
        assert "STATUS_MEDIA_WRITE_PROTECTED" in err and "medium is write-protected" in err, err
        assert m.one("read %s 0 1" % d["n"], "read")["crc32"]
        assert m.poweroff() == 0


def test_two_luns(image_dir):
    with sim_machine(image_dir, "luns", Luns=2) as m:
        disks = usb_disks(m)
        assert sorted(d["product"] for d in disks) == ["USB sim LUN 1", "USB sim stick"], disks
        a, b = disks
        for d, seed in ((a, 11), (b, 12)):
            m.one("writable %s on" % d["n"], "writable")
            assert m.one("write %s 64 16 seed=%d" % (d["n"], seed), "write")["status"] == "STATUS_SUCCESS"
        # each LUN has its own medium
        assert m.one("verify %s 64 16 seed=11" % a["n"], "verify")["mismatches"] == "0"
        assert m.one("verify %s 64 16 seed=12" % b["n"], "verify")["mismatches"] == "0"
        assert m.one("verify %s 64 16 seed=11" % b["n"], "verify")["mismatches"] == "16"
        assert m.poweroff() == 0


def test_stalls_and_phase_errors_are_recovered(image_dir):
    """Every 3rd command's CSW stalls once (cleared, read again); every
    17th ends in a phase error (reset recovery; disk.sys sends it again).
    The data still arrives whole and right."""
    with sim_machine(image_dir, "faults", StallCswEvery=3, PhaseErrorEvery=17) as m:
        n = usb_disks(m)[0]["n"]
        m.one("writable %s on" % n, "writable")
        assert m.one("write %s 0 2048 seed=9" % n, "write")["status"] == "STATUS_SUCCESS"
        assert m.one("verify %s 0 2048 seed=9" % n, "verify")["mismatches"] == "0"
        log = m.cmd("log")
        assert "usbstor0: bulk-only reset recovery (phase error)" in log, log
        assert "usbsim: bulk-only reset" in log
        assert m.poweroff() == 0


def test_medium_error_fails_only_its_request(image_dir):
    with sim_machine(image_dir, "medium", MediumErrorLba=500) as m:
        n = usb_disks(m)[0]["n"]
        err = m.error("read %s 496 8" % n)
        assert "STATUS_DEVICE_DATA_ERROR" in err, err
        assert m.one("read %s 488 8" % n, "read")["crc32"]
        assert m.one("read %s 504 8" % n, "read")["crc32"]
        assert m.answers()
        assert m.poweroff() == 0


def test_transfer_that_never_ends_times_out_and_recovers(image_dir):
    """Every 30th command's CSW is held back: usbstor waits the SRB's
    timeout, cancels and aborts the pipe, runs reset recovery; disk.sys
    sends the command again and the data is right."""
    with sim_machine(image_dir, "hang", HangCswEvery=30) as m:
        n = usb_disks(m)[0]["n"]
        m.one("writable %s on" % n, "writable")
        assert m.one("write %s 0 2048 seed=4" % n, "write", timeout=180)["status"] == "STATUS_SUCCESS"
        assert m.one("verify %s 0 2048 seed=4" % n, "verify", timeout=180)["mismatches"] == "0"
        log = m.cmd("log")
        assert "usbsim: held-back transfer aborted" in log, log
        assert "usbstor0: bulk-only reset recovery (CSW timed out)" in log, log
        assert m.poweroff() == 0


def pool_bytes(m):
    rows = [l for l in m.cmd("pool").splitlines() if l.startswith("pool total ")]
    assert rows
    return int(parse_kv(rows[0])["bytes"])


SIM = "devread \\Device\\UsbSim0 %d %d"


def test_pulled_during_bench_and_plugged_back(image_dir):
    """The stick dies under a bench: the requests fail with
    STATUS_DEVICE_DOES_NOT_EXIST and the shell goes on; unplugged, its disk
    goes; plugged back it returns under the lowest free number with its
    data; ten more unplug/plug cycles leave the pool as it was.  (The PnP
    manager on this branch sends REMOVE without SURPRISE_REMOVAL first:
    that comes with the PnP work of branch wip-pnp.)"""
    with sim_machine(image_dir, "plug") as m:
        n = usb_disks(m)[0]["n"]
        m.one("writable %s on" % n, "writable")
        assert m.one("write %s 10 8 seed=3" % n, "write")["status"] == "STATUS_SUCCESS"
        m.one(SIM % (200, 3), "devread")             # dies after 200 more commands
        out = m.cmd("bench disk=%s rw=randread bs=4096 qd=1 seconds=3" % n, timeout=120)
        assert "STATUS_DEVICE_DOES_NOT_EXIST" in out, out
        b = [parse_kv(l) for l in out.splitlines() if l.startswith("bench ")]
        assert b and int(b[0]["errors"]) > 0 and int(b[0]["ios"]) >= 190, out
        assert "STATUS_DEVICE_DOES_NOT_EXIST" in m.error("read %s 0 1" % n)
        assert "usbstor0: device gone" in m.cmd("log")
        m.one(SIM % (1, 1), "devread")               # unplugged
        assert usb_disks(m) == [], m.cmd("disks")
        assert m.answers()
        m.one(SIM % (1, 2), "devread")               # plugged back
        back = usb_disks(m)
        assert len(back) == 1 and back[0]["n"] == n, back
        assert m.one("verify %s 10 8 seed=3" % n, "verify")["mismatches"] == "0"
        # One cycle first: what the verify's I/O left cached is freed then.
        m.one(SIM % (1, 1), "devread")
        m.one(SIM % (1, 2), "devread")
        before = pool_bytes(m)
        for _ in range(10):
            m.one(SIM % (1, 1), "devread")
            assert usb_disks(m) == []
            m.one(SIM % (1, 2), "devread")
            assert [d["n"] for d in usb_disks(m)] == [n]
        assert pool_bytes(m) == before, m.cmd("pool")
        assert m.poweroff() == 0


# ---- on QEMU's USB hardware: needs the xHCI and hub drivers ----------------

def _have_usb_host():
    return os.path.exists(os.path.join(ROOT, "build", "drivers", "usbxhci.sys"))


usb_host = pytest.mark.skipif(not _have_usb_host(),
                              reason="no USB host controller driver in the image yet (wip-usbhost)")


@usb_host
def test_boot_stick_listed_with_boot_flag():
    with Machine(["--usb"], log_name="usbstor-boot") as m:
        disks = usb_disks(m)
        assert len(disks) == 1 and disks[0]["boot"] == "1", m.cmd("disks")
        parts = m.lines("parts %s" % disks[0]["n"], "part")
        assert parts and parts[0]["type"].upper().startswith("C12A7328"), parts     # the ESP
        assert m.poweroff() == 0
