"""AHCI driver's reporting in QEMU: port states in `disks`, always-logged
state changes, the run-time debug switch (`ahci debug on|off`), and the
physical sector size and alignment of a 512e disk (QEMU ide-hd
physical_block_size=4096,logical_block_size=512) in `disks` and `identify`;
`ahci regs` (every register decoded, IOCTL_NTSTOR_AHCI_GET_REGS) and
`hwreport` (a bug report in one go).
"""
import pytest

from ntstor import Machine, parse_kv

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ahci_report")
    e512 = d / "e512.img"
    with open(e512, "wb") as f:
        f.truncate(64 * MIB)
    m = Machine(["--disk", str(e512) + ":port=2:physical_block_size=4096:logical_block_size=512"],
                log_name="test_ahci_report").start()
    yield m
    m.stop()


def disk_at(m, port):
    found = [d for d in m.lines("disks", "disk", timeout=120) if d["ctrl"] == "0" and d["port"] == str(port)]
    assert len(found) == 1, found
    return found[0]


def test_disks_shows_port_state(machine):
    for port in (0, 2):
        assert disk_at(machine, port)["state"] == "ready"


def test_state_changes_logged_without_debug(machine):
    log = machine.cmd("log", timeout=120)
    assert "ahci0: port 2: link-up -> ready" in log, log


def test_debug_switch_at_run_time(machine):
    r = machine.one("ahci debug on", "ahci")
    assert r == {"ctrl": "0", "debug": "1", "was": "0"}, r
    r = machine.one("ahci debug off", "ahci")
    assert r["debug"] == "0" and r["was"] == "1", r
    assert "ahci: debug output on (was off)" in machine.cmd("log", timeout=120)
    assert machine.cmd("ahci debug maybe").startswith("error:")
    assert machine.cmd("ahci debug on 7").startswith("error:")


def test_512e_disk_reports_physical_sector(machine):
    d = disk_at(machine, 2)
    assert d["sector_size"] == "512" and d["physical_sector_size"] == "4096", d
    assert d["alignment"] == "0", d
    n = d["n"]
    i = machine.one("identify %s" % n, "identify", timeout=120)
    assert i["sector_size"] == "512" and i["physical_sector_size"] == "4096", i
    assert i["alignment"] == "0", i
    # The boot disk is plain 512-byte sectors.
    b = disk_at(machine, 0)
    assert b["physical_sector_size"] == "512", b


def regs(m, *args):
    out = m.cmd("ahci regs " + " ".join(str(a) for a in args), timeout=120)
    return out, [l for l in out.splitlines()]


def test_ahci_regs_decodes_every_register(machine):
    out, lines = regs(machine)
    rows = [parse_kv(l) for l in lines if l.startswith("ahci_reg ")]
    hba = {r["name"]: r for r in rows if "port" not in r}
    assert set(hba) == {"CAP", "GHC", "IS", "PI", "VS", "CCC_PORTS", "CCC_CTL", "EM_LOC",
                        "EM_CTL", "CAP2", "BOHC"}, out
    # QEMU's ICH9: NCQ, 64-bit, 32 slots, AHCI enabled, six ports.
    cap = hba["CAP"]
    assert cap["SNCQ"] == "1" and cap["S64A"] == "1" and cap["NCS"] == "31", cap
    assert int(cap["value"], 16) & (1 << 30)
    assert hba["GHC"]["AE"] == "1", hba["GHC"]
    assert int(hba["PI"]["value"], 16) == 0x3f, hba["PI"]
    ports = {}
    for r in rows:
        if "port" in r:
            ports.setdefault(int(r["port"]), {})[r["name"]] = r
    assert sorted(ports) == [0, 1, 2, 3, 4, 5], out
    names = {"PxCLB", "PxCLBU", "PxFB", "PxFBU", "PxIS", "PxIE", "PxCMD", "PxTFD", "PxSIG",
             "PxSSTS", "PxSCTL", "PxSERR", "PxSACT", "PxCI", "PxSNTF", "PxFBS", "PxDEVSLP"}
    for p in ports:
        assert set(ports[p]) == names, ports[p]
    # A disk's port runs; an empty one has no link.
    assert ports[2]["PxCMD"]["ST"] == "1" and ports[2]["PxCMD"]["FRE"] == "1", ports[2]["PxCMD"]
    assert ports[2]["PxSSTS"]["DET"] == "3", ports[2]["PxSSTS"]
    assert ports[2]["PxTFD"]["BSY"] == "0", ports[2]["PxTFD"]
    assert ports[2]["PxSIG"]["value"] == "0x00000101", ports[2]["PxSIG"]
    assert ports[3]["PxSSTS"]["DET"] == "0", ports[3]["PxSSTS"]
    # The value and its fields agree.
    cmd = int(ports[2]["PxCMD"]["value"], 16)
    assert int(ports[2]["PxCMD"]["CR"]) == (cmd >> 15) & 1, ports[2]["PxCMD"]
    # States and history.
    st = {int(r["port"]): r for r in (parse_kv(l) for l in lines if l.startswith("ahci_port "))}
    assert st[2]["state"] == "ready" and st[3]["state"] == "empty", st
    hist = [parse_kv(l) for l in lines if l.startswith("ahci_history ") and " port=2 " in l]
    assert [(h["from"], h["to"]) for h in hist] == [("empty", "link-up"), ("link-up", "ready")], hist
    ctrl = [parse_kv(l) for l in lines if l.startswith("ahci_ctrl ")]
    assert len(ctrl) == 1 and ctrl[0]["id"] == "8086:2922" and ctrl[0]["class"] == "010601", ctrl
    assert "intel-pcs" in ctrl[0]["quirks"], ctrl


def test_ahci_regs_one_port_and_errors(machine):
    out, lines = regs(machine, 0, 2)
    assert all(" port=2 " in l for l in lines if l.startswith("ahci_reg ")), out
    assert not [l for l in lines if l.startswith("ahci_reg ") and " port=" not in l], out
    assert len([l for l in lines if l.startswith("ahci_reg ")]) == 17, out
    assert machine.error("ahci regs 7").startswith("error: ahci regs ctrl=7")
    assert machine.error("ahci regs 0 31")
    assert machine.error("ahci regs 0 32")


def test_hwreport_carries_a_bug_report(machine):
    out = machine.cmd("hwreport", timeout=180)
    lines = out.splitlines()
    assert lines[0] == "hwreport begin", out
    assert lines[-1].startswith("hwreport end controllers=1 disks=2 "), out
    # PCI IDs of every function, the AHCI one among them.
    assert [l for l in lines if l.startswith("pci ") and "id=8086:2922" in l], out
    # Registers, port states with history.
    assert [l for l in lines if l.startswith("ahci_reg ctrl=0 port=2 name=PxCMD ")], out
    assert [l for l in lines if l.startswith("ahci_history ctrl=0 port=2 ")], out
    # Disks with their quirks, IDENTIFY summaries of both.
    assert len([l for l in lines if l.startswith("disk n=")]) == 2, out
    assert len([l for l in lines if l.startswith("identify ")]) == 2, out
    # The log's problem lines (QEMU's disk gets a quirk at start).
    logs = [l for l in lines if l.startswith("hwreport_log ")]
    assert [l for l in logs if "quirk ncq-error-in-serr" in l], out
    assert not [l for l in logs if "link-up -> ready" in l], logs
