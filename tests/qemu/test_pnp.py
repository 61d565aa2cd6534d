"""PnP manager in QEMU: the device tree `devices` prints (q35: host bridge,
VGA, e1000e, LPC, ICH9 AHCI at 00:1f.2, SMBus), the AHCI controller's IDs
and its driver, its disks as children, interrupt assignment (the PCI bus
offers MSI with the INTx line as its alternative; MSI by default, the line
when ahci filters MSI out of its requirements because its
Parameters\\InterruptMode says Intx or Poll -- through filter drivers above
and below it), and the
unload/load cycle: `unload ahci` removes the controller's stack (children
first), `load ahci` binds it again and brings the disks back.

When build/drivers/ahci.sys is missing the AHCI checks turn into checks
that the node is listed, unclaimed or failed, with the right IDs."""
import os
import re

import pytest

from ntstor import ROOT, Machine, make_image, parse_kv

AHCI_VEN_DEV = "PCI\\VEN_8086&DEV_2922"
ROOT_NODE = "HTREE\\ROOT\\0"
HAVE_AHCI = os.path.exists(os.path.join(ROOT, "build", "drivers", "ahci.sys"))
HAVE_DISK = os.path.exists(os.path.join(ROOT, "build", "drivers", "disk.sys"))


def devices(m):
    """Runs `devices`; returns (device dicts, summary dict, raw output)."""
    out = m.cmd("devices", timeout=120)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("device ")]
    for r in rows:
        for k in ("hwids", "compat"):
            r[k] = [] if r[k] == "" else r[k].split(",")
    summary = [parse_kv(l) for l in out.splitlines() if l.startswith("devices ")]
    assert len(summary) == 1, out
    return rows, summary[0], out


def ahci_node(rows):
    found = [r for r in rows if r["hwids"] and r["hwids"][-1] == AHCI_VEN_DEV]
    assert len(found) == 1, "expected one ICH9 AHCI node, got %r" % found
    return found[0]


def children(rows, node):
    return [r for r in rows if r["parent"] == node["id"]]


@pytest.fixture(scope="module")
def m():
    machine = Machine(log_name="test_pnp").start()
    yield machine
    machine.stop()


def test_tree_lists_every_pci_function(m):
    rows, summary, out = devices(m)
    pci = m.lines("pci", "pci")
    pci_functions = [p for p in pci if "bdf" in p]
    pci_nodes = [r for r in rows if r["id"].startswith("PCI\\")]
    assert len(pci_nodes) == len(pci_functions) > 0
    assert int(summary["count"]) == len(rows)
    assert int(summary["started"]) == sum(r["state"] == "Started" for r in rows)
    assert int(summary["unclaimed"]) == sum(r["state"] == "Unclaimed" for r in rows)
    # The tree: the root first, then PCI functions indented one level.
    tree = [l for l in out.splitlines() if l.startswith(ROOT_NODE) or l.startswith("  PCI\\")]
    assert tree[0].startswith(ROOT_NODE + "  Started")
    assert len(tree) == 1 + len(pci_functions)
    # Instance paths are unique and every parent exists.
    ids = {r["id"] for r in rows}
    assert len(ids) == len(rows)
    for r in rows:
        assert r["parent"] == ROOT_NODE or r["parent"] in ids
    # Each function's IDs follow NT's PCI format: VEN/DEV/SUBSYS/REV, and the class code.
    for r in pci_nodes:
        assert re.fullmatch(r"PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}&SUBSYS_[0-9A-F]{8}&REV_[0-9A-F]{2}",
                            r["hwids"][0]), r
        assert r["id"].startswith(r["hwids"][0] + "\\")
        assert re.fullmatch(r"PCI\\CC_[0-9A-F]{6}", r["compat"][1]), r
        assert r["compat"][2] == r["compat"][1][:-2]
    # The host bridge (class 06 00) has no driver.
    host = [r for r in pci_nodes if "PCI\\CC_060000" in r["compat"]]
    assert host and all(r["state"] == "Unclaimed" and r["driver"] == "-" for r in host)


def test_ahci_controller_ids_and_driver(m):
    rows, _, _ = devices(m)
    node = ahci_node(rows)
    hw, compat = node["hwids"], node["compat"]
    assert hw[0].startswith(AHCI_VEN_DEV + "&SUBSYS_") and "&REV_" in hw[0]
    assert hw[1] == hw[0].rsplit("&REV_", 1)[0]
    assert hw[2] == AHCI_VEN_DEV
    assert compat[0].startswith(AHCI_VEN_DEV + "&REV_")
    assert compat[1:] == ["PCI\\CC_010601", "PCI\\CC_0106"]
    assert node["parent"] == ROOT_NODE
    assert node["id"].endswith("\\0&0&FA")          # 00:1f.2
    if HAVE_AHCI:
        assert node["driver"] == "ahci" and node["state"] == "Started", node
        assert node["status"] == "STATUS_SUCCESS"
        # Default system.cfg: InterruptMode = Msi, and ICH9 AHCI has MSI.
        assert re.fullmatch(r"0x[0-9a-f]+", node["msi"]), node
        assert re.fullmatch(r"\d+", node["intx_gsi"]), node
        # The bus offered MSI then the line; ahci kept both; MSI was chosen.
        assert node["irq_offered"] == "msi,line", node
        assert node["irq_filtered"] == "msi,line", node
        assert node["irq"] == "msi", node
        drivers = {d["name"]: d for d in m.lines("drivers", "driver")}
        assert "ahci" in drivers and int(drivers["ahci"]["devices"]) >= 1
    else:
        assert node["state"] in ("StartFailed", "Unclaimed"), node
        assert node["msi"] == "-" and node["intx_gsi"] == "-"


def test_ahci_disk_children(m):
    rows, _, _ = devices(m)
    node = ahci_node(rows)
    kids = children(rows, node)
    if not HAVE_AHCI:
        assert kids == []
        return
    disks = [k for k in kids if "SCSI\\Disk" in k["hwids"]]
    assert len(disks) >= 1, kids
    for d in disks:
        assert d["hwids"][0].startswith("SCSI\\DiskATA_____")
        assert d["hwids"][1:] == ["SCSI\\Disk", "GenDisk"]
        assert d["compat"] == ["SCSI\\Disk", "GenDisk"]
        assert d["id"].startswith("SCSI\\Disk&Ven_ATA&Prod_")
        assert d["driver"] == "disk"     # system.cfg: Match = SCSI\Disk
        if HAVE_DISK:
            assert d["state"] == "Started", d
        else:
            assert d["state"] == "StartFailed" and d["status"] == "STATUS_OBJECT_NAME_NOT_FOUND", d


def test_unload_and_reload_ahci(m):
    if not HAVE_AHCI:
        assert m.error("unload ahci").startswith("error: unload ahci: STATUS_OBJECT_NAME_NOT_FOUND")
        return
    before = ahci_node(devices(m)[0])
    disks_before = sorted(k["id"] for k in children(devices(m)[0], before))

    out = m.cmd("unload ahci", timeout=120)
    assert "unload name=ahci status=STATUS_SUCCESS" in out, out
    # Children went first, then the controller.
    removed = [l for l in out.splitlines() if "pnp: " in l and "-> Removed" in l]
    assert removed and "PCI\\VEN_8086&DEV_2922" in removed[-1], out
    rows, _, _ = devices(m)
    node = ahci_node(rows)
    assert node["state"] == "Removed" and node["driver"] == "-", node
    assert node["msi"] == "-" and node["intx_gsi"] == "-"
    assert children(rows, node) == []
    assert "ahci" not in {d["name"] for d in m.lines("drivers", "driver")}

    load = m.one("load ahci", "load", timeout=120)
    assert load["status"] == "STATUS_SUCCESS"
    rows, _, _ = devices(m)
    node = ahci_node(rows)
    assert node["state"] == "Started" and node["driver"] == "ahci", node
    assert node["id"] == before["id"]
    assert re.fullmatch(r"0x[0-9a-f]+", node["msi"])
    assert sorted(k["id"] for k in children(rows, node)) == disks_before


HAVE_IRPCOUNT = os.path.exists(os.path.join(ROOT, "build", "tests", "drivers", "irpcount.sys"))
# irpcount above and below ahci's FDO: the filter IRP passes through both.
IRPCOUNT_ON_AHCI = r"""
[Services\irpcount]
ImagePath = \ntstor\tests\irpcount.sys
Start     = Demand

[Enum\PCI\VEN_8086&DEV_2922]
LowerFilters = irpcount
UpperFilters = irpcount
"""


@pytest.mark.parametrize("mode", ["Intx", "Poll"])
def test_line_when_driver_filters_msi_out(image_dir, mode):
    """InterruptMode = Intx or Poll: ahci takes MSI out of the requirements
    (IRP_MN_FILTER_RESOURCE_REQUIREMENTS, here through an upper and a lower
    filter driver); the PnP manager assigns the line and enables no MSI."""
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read().replace("InterruptMode = Msi", "InterruptMode = " + mode)
    assert "InterruptMode = " + mode in cfg
    if HAVE_IRPCOUNT:
        cfg += IRPCOUNT_ON_AHCI
    img = make_image(str(image_dir / ("pnp_%s.img" % mode.lower())), system_cfg=cfg)
    with Machine(image=img, log_name="test_pnp_" + mode.lower()) as mi:
        rows, _, _ = devices(mi)
        node = ahci_node(rows)
        if HAVE_AHCI:
            assert node["state"] == "Started", node
            assert node["msi"] == "-", node
            assert re.fullmatch(r"\d+", node["intx_gsi"]), node
            assert node["irq_offered"] == "msi,line", node
            assert node["irq_filtered"] == "line", node
            assert node["irq"] == "line", node
            log = mi.cmd("log", timeout=60)
            assert "ahci0: InterruptMode=%s: MSI taken out of the resource requirements" % mode.lower() in log
            assert "requirements replaced by a driver of the stack" in log
            if HAVE_IRPCOUNT:
                assert "irpcount: lower filter attached" in log and "irpcount: upper filter attached" in log
            disk = mi.lines("disks", "disk")
            assert disk and disk[0]["mode"] == mode.lower(), disk
        else:
            assert node["state"] in ("StartFailed", "Unclaimed")
