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

The tests on QEMU's USB hardware (qemu-xhci with usb-storage, usb-hub,
usb-bot with two LUNs, readonly=on, blkdebug, booting from the stick,
device_del/device_add) are at the end: the xHCI driver of branch
wip-usbhost carries the URBs there.  They skip when no usbxhci.sys is
built."""
import hashlib
import os
import sys
import threading
import time
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
    # .get: a kernel log line printed meanwhile (a plug, an unplug) may cut
    # a line; callers that wait for a count ask again.
    return [d for d in m.lines("disks", "disk") if d.get("bus") == "usb"]


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


def checked_random_writes(m, n, seconds=2):
    """A bench of 4 KiB random writes of the pattern, each block read back
    afterwards: many small commands, every one checked."""
    b = m.one("bench disk=%s rw=randwrite bs=4096 qd=1 seconds=%d span=8192 seed=9 verify=1"
              % (n, seconds), "bench", timeout=300)
    assert b["errors"] == "0" and b["short"] == "0", b
    assert int(b["written"]) > 100 and b["verified"] == b["written"] and b["verify_bad"] == "0", b
    return b


def test_stalls_and_phase_errors_are_recovered(image_dir):
    """Every 3rd command's CSW stalls once (cleared, read again); every
    17th ends in a phase error (reset recovery; disk.sys sends it again).
    Every block written reads back right."""
    with sim_machine(image_dir, "faults", StallCswEvery=3, PhaseErrorEvery=17) as m:
        n = usb_disks(m)[0]["n"]
        m.one("writable %s on" % n, "writable")
        checked_random_writes(m, n)
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
    """Every 200th command's CSW is held back: usbstor waits the SRB's
    timeout (10 s), aborts the pipe, runs reset recovery; disk.sys sends
    the command again and every block written reads back right."""
    with sim_machine(image_dir, "hang", HangCswEvery=200) as m:
        n = usb_disks(m)[0]["n"]
        m.one("writable %s on" % n, "writable")
        checked_random_writes(m, n, seconds=1)
        log = m.cmd("log")
        assert "usbsim: held-back transfer aborted" in log, log
        assert "usbstor0: bulk-only reset recovery (CSW timed out)" in log, log
        assert m.poweroff() == 0


def pool_bytes(m):
    rows = [l for l in m.cmd("pool").splitlines() if l.startswith("pool total ")]
    assert rows
    return int(parse_kv(rows[0])["bytes"])


def pool_tags(m):
    """{tag: (bytes, live allocations)} of `pool`."""
    out = {}
    for l in m.cmd("pool").splitlines():
        if l.startswith("pool tag="):
            kv = parse_kv(l)
            out[kv["tag"]] = (int(kv["bytes"]), int(kv["allocs"]) - int(kv["frees"]))
    return out


def pool_growth(before, after):
    """Tags whose use changed, but IoLd: the I/O manager's own records of
    what each device start grew, for its leak reports (kernel/io/load.c),
    whose size follows which tags a start happened to grow."""
    return {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
            if before.get(t) != after.get(t) and t != "IoLd"}


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
        before = pool_tags(m)
        for _ in range(10):
            m.one(SIM % (1, 1), "devread")
            assert usb_disks(m) == []
            m.one(SIM % (1, 2), "devread")
            assert [d["n"] for d in usb_disks(m)] == [n]
        assert pool_growth(before, pool_tags(m)) == {}
        assert m.poweroff() == 0


# ---- on QEMU's USB hardware: qemu-xhci with usb-storage, usb-hub, usb-bot ----

def _have_usb_host():
    return os.path.exists(os.path.join(ROOT, "build", "drivers", "usbxhci.sys"))


usb_host = pytest.mark.skipif(not _have_usb_host(),
                              reason="no USB host controller driver in the image (wip-usbhost)")

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkdisk  # noqa: E402

MIB = 1 << 20
HOST_SEED = 77                  # the host writes this pattern at LBAs 1024..2047


def host_stick(path, mib=16):
    with open(path, "wb") as f:
        f.truncate(mib * MIB)
        f.seek(0)
        f.write(bytes(range(256)) * 2)          # LBA 0: something to recognise
    mkdisk.write_pattern(str(path), 1024, 1024, HOST_SEED)
    return str(path)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def xhci(*devices):
    return ["--", "-device", "qemu-xhci,id=xhci"] + list(devices)


@pytest.fixture(scope="module")
def real(image_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("usbstick")
    stick = host_stick(d / "stick.img")
    args = xhci("-drive", "if=none,id=stick,format=raw,file=" + stick,
                "-device", "usb-storage,bus=xhci.0,port=2,drive=stick,id=stick1,serial=STICK0001")
    m = Machine(args, log_name="usbstor-real", monitor=True).start()
    m.stick = stick
    m.original = open(stick, "rb").read()
    yield m
    m.stop()


def real_disk(m):
    disks = usb_disks(m)
    assert len(disks) == 1, m.cmd("disks")
    return disks[0]


@usb_host
def test_real_stick_listed(real):
    d = real_disk(real)
    assert d["vendor"] == "QEMU" and d["product"] == "QEMU HARDDISK", d
    assert d["serial"] == "STICK0001", d            # usb-storage's iSerialNumber
    assert d["sectors"] == str(16 * MIB // 512) and d["writable"] == "0", d
    # removable= is the INQUIRY RMB bit: usb-storage sets it only with removable=on
    assert d["boot"] == "0" and d["removable"] == "0" and d["write_protected"] == "0", d
    assert int(d["max_transfer"]) <= MIB, d        # one bulk transfer per SRB


@usb_host
def test_real_stick_reads_what_the_host_wrote(real):
    n = real_disk(real)["n"]
    r = real.one("read %s 0 1" % n, "read")
    assert int(r["crc32"], 16) == zlib.crc32(real.original[:512]), r
    v = real.one("verify %s 1024 1024 seed=%d" % (n, HOST_SEED), "verify", timeout=120)
    assert v["mismatches"] == "0", v


@usb_host
def test_real_stick_refusals(real):
    n = real_disk(real)["n"]
    err = real.error("write %s 200 8 seed=1" % n)
    assert "STATUS_MEDIA_WRITE_PROTECTED" in err, err
    err = real.error("identify %s" % n)
    assert "does not take ATA PASS-THROUGH" in err, err


@usb_host
def test_real_stick_bench(real):
    """The USB stick next to the SATA boot disk of the same machine (the
    figures are in build/qemu-logs/usbstor-real.log for the report; speed
    is measured by `make bench`, not asserted here)."""
    n = real_disk(real)["n"]
    sata = [d for d in real.lines("disks", "disk") if d["bus"] == "sata"][0]["n"]
    for disk in (n, sata):
        for rw, bs in (("randread", 4096), ("read", MIB)):
            b = real.one("bench disk=%s rw=%s bs=%d qd=1 seconds=3" % (disk, rw, bs), "bench",
                         timeout=120)
            assert b["errors"] == "0" and b["short"] == "0" and int(b["ios"]) > 0, b


@usb_host
def test_real_stick_write_lands_on_the_host_image(real):
    """Last on this machine: it powers off.  The refused write above left
    LBA 200 alone; the enabled one is on the image; nothing else moved."""
    n = real_disk(real)["n"]
    real.one("writable %s on" % n, "writable")
    w = real.one("write %s 100 8 seed=21" % n, "write")
    assert w["status"] == "STATUS_SUCCESS", w
    assert real.poweroff() == 0
    after = open(real.stick, "rb").read()
    assert after[100 * 512:108 * 512] == mkdisk.pattern(21, 100, 8)
    assert after[:100 * 512] == real.original[:100 * 512]
    assert after[108 * 512:] == real.original[108 * 512:]


@usb_host
def test_hub_two_luns_and_readonly(image_dir, tmp_path):
    """A stick behind a usb-hub, a usb-bot with two scsi-hd LUNs, and a
    stick whose medium is read-only (readonly=on: QEMU's MODE SENSE says
    WP)."""
    hubbed = host_stick(tmp_path / "hub.img")
    lun0 = host_stick(tmp_path / "lun0.img", 8)
    lun1 = host_stick(tmp_path / "lun1.img", 12)
    ro = host_stick(tmp_path / "ro.img")
    ro_sha = sha(ro)
    args = xhci("-device", "usb-hub,bus=xhci.0,port=3,id=hub1",
                "-drive", "if=none,id=hubbed,format=raw,file=" + hubbed,
                "-device", "usb-storage,bus=xhci.0,port=3.2,drive=hubbed,serial=HUBBED01",
                "-device", "usb-bot,bus=xhci.0,port=4,id=bot",
                "-drive", "if=none,id=lun0,format=raw,file=" + lun0,
                "-drive", "if=none,id=lun1,format=raw,file=" + lun1,
                "-device", "scsi-hd,bus=bot.0,scsi-id=0,lun=0,drive=lun0",
                "-device", "scsi-hd,bus=bot.0,scsi-id=0,lun=1,drive=lun1",
                "-drive", "if=none,id=ro,format=raw,readonly=on,file=" + ro,
                "-device", "usb-storage,bus=xhci.0,port=1,drive=ro,serial=READONLY")
    with Machine(args, log_name="usbstor-multi") as m:
        disks = usb_disks(m)
        by_sectors = {int(d["sectors"]): d for d in disks}
        assert len(disks) == 4, m.cmd("disks")
        assert set(by_sectors) == {16 * MIB // 512, 8 * MIB // 512, 12 * MIB // 512}, disks
        behind_hub = [d for d in disks if d["serial"] == "HUBBED01"]
        readonly = [d for d in disks if d["serial"] == "READONLY"]
        assert len(behind_hub) == 1 and len(readonly) == 1, disks
        assert m.one("verify %s 1024 64 seed=%d" % (behind_hub[0]["n"], HOST_SEED),
                     "verify")["mismatches"] == "0"
        # the two LUNs: each its own medium
        l0, l1 = by_sectors[8 * MIB // 512], by_sectors[12 * MIB // 512]
        for d, seed in ((l0, 31), (l1, 32)):
            m.one("writable %s on" % d["n"], "writable")
            assert m.one("write %s 300 4 seed=%d" % (d["n"], seed), "write")["status"] == "STATUS_SUCCESS"
        # read-only medium: write-protected whatever `writable` would say
        r = readonly[0]
        assert r["write_protected"] == "1", r
        err = m.error("writable %s on" % r["n"])
        assert "STATUS_MEDIA_WRITE_PROTECTED" in err, err
        err = m.error("write %s 0 1 seed=1" % r["n"])
        assert "STATUS_MEDIA_WRITE_PROTECTED" in err and "write-protected" in err, err
        assert m.poweroff() == 0
    assert open(lun0, "rb").read()[300 * 512:304 * 512] == mkdisk.pattern(31, 300, 4)
    assert open(lun1, "rb").read()[300 * 512:304 * 512] == mkdisk.pattern(32, 300, 4)
    assert sha(ro) == ro_sha


@usb_host
def test_blkdebug_error_fails_only_its_request(image_dir, tmp_path):
    stick = host_stick(tmp_path / "dbg.img")
    conf = tmp_path / "dbg.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "1500"\n')
    args = xhci("-drive", "if=none,id=dbg,format=raw,file=blkdebug:%s:%s" % (conf, stick),
                "-device", "usb-storage,bus=xhci.0,port=2,drive=dbg,serial=DEBUGGED")
    with Machine(args, log_name="usbstor-blkdebug") as m:
        n = real_disk(m)["n"]
        err = m.error("read %s 1496 8" % n)
        assert "error: read" in err, err
        assert m.one("verify %s 1024 400 seed=%d" % (n, HOST_SEED), "verify")["mismatches"] == "0"
        assert m.one("verify %s 1510 200 seed=%d" % (n, HOST_SEED), "verify")["mismatches"] == "0"
        assert m.answers()
        assert m.poweroff() == 0


@usb_host
def test_boot_stick_listed_with_boot_flag():
    with Machine(["--usb"], log_name="usbstor-boot") as m:
        d = real_disk(m)
        assert d["boot"] == "1" and d["writable"] == "0", d
        assert d["removable"] == "1", d            # tools/qemu-run.sh --usb: removable=on
        part = m.lines("parts %s" % d["n"], "part")
        assert part and part[0]["type"].upper().startswith("C12A7328"), part     # the ESP
        parts = m.one("parts %s" % d["n"], "parts")
        assert parts["style"] == "gpt" and parts["problems"] == "0", parts
        assert m.poweroff() == 0


def _wait_usb_disks(m, count, timeout=30):
    """The xHCI driver reports a plug or unplug; the shell thread enumerates
    after a command: poll `disks` until the USB disks number `count`."""
    end = time.monotonic() + timeout
    while True:
        disks = usb_disks(m)
        if len(disks) == count or time.monotonic() > end:
            return disks
        time.sleep(0.5)


@usb_host
def test_stick_pulled_during_bench_and_plugged_back(image_dir, tmp_path):
    """device_del under a bench: the outstanding and later requests fail
    with STATUS_DEVICE_DOES_NOT_EXIST, the disk goes, the shell goes on;
    device_add brings it back under the lowest free number; ten more
    pull/plug cycles leave the pool as it was.  (The PnP manager here
    removes a vanished device with REMOVE alone; SURPRISE_REMOVAL first
    comes with branch wip-pnp.)"""
    stick = host_stick(tmp_path / "pulled.img")
    args = xhci("-drive", "if=none,id=stick0,format=raw,file.locking=off,file=" + stick,
                "-device", "usb-storage,bus=xhci.0,port=2,drive=stick0,id=stick,serial=PULLED01")
    with Machine(args, log_name="usbstor-pull", monitor=True) as m:
        n = real_disk(m)["n"]
        gen = [0]

        def plug():
            # device_del drops the old drive some time later, holding the
            # image's lock until then: the drives here take no lock.
            gen[0] += 1
            drive = "stick%d" % gen[0]
            out = m.monitor("drive_add 0 if=none,id=%s,format=raw,file.locking=off,file=%s"
                            % (drive, stick))
            assert "Error" not in out, out
            out = m.monitor("device_add usb-storage,bus=xhci.0,port=2,drive=%s,id=stick,"
                            "serial=PULLED01" % drive)
            assert "Error" not in out, out

        def pull_later():
            time.sleep(2)
            m.monitor("device_del stick")

        t = threading.Thread(target=pull_later)
        t.start()
        out = m.cmd("bench disk=%s rw=randread bs=4096 qd=1 seconds=5" % n, timeout=120)
        t.join()
        assert "STATUS_DEVICE_DOES_NOT_EXIST" in out, out
        b = [parse_kv(l) for l in out.splitlines() if l.startswith("bench ")]
        assert b and int(b[0]["errors"]) > 0 and int(b[0]["ios"]) > 0, out
        assert _wait_usb_disks(m, 0) == [], m.cmd("disks")
        assert m.answers()
        log = m.cmd("log")
        assert "usbstor0: device gone" in log, log
        plug()
        back = _wait_usb_disks(m, 1)
        assert [d["n"] for d in back] == [n], m.cmd("disks")
        assert m.one("verify %s 1024 64 seed=%d" % (n, HOST_SEED), "verify")["mismatches"] == "0"
        # Cycles first: lazily made structures, and the xHCI driver's
        # \Device\USBPDO-<n> (a new n per device, as NT's) past 9, so the
        # ten measured cycles do not see a name grow by one character.
        for _ in range(9):
            m.monitor("device_del stick")
            assert _wait_usb_disks(m, 0) == []
            plug()
            assert len(_wait_usb_disks(m, 1)) == 1
        before = pool_tags(m)
        for _ in range(10):
            m.monitor("device_del stick")
            assert _wait_usb_disks(m, 0) == [], m.cmd("disks")
            plug()
            assert [d["n"] for d in _wait_usb_disks(m, 1)] == [n], m.cmd("disks")
        assert pool_growth(before, pool_tags(m)) == {}
        assert m.poweroff() == 0
