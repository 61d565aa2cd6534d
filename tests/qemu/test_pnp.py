"""PnP manager in QEMU: the device tree `devices` prints (q35: host bridge,
VGA, e1000e, LPC, ICH9 AHCI at 00:1f.2, SMBus), the AHCI controller's IDs
and its driver, its disks as children, interrupt assignment (MSI by default,
INTx when the service's Parameters\\InterruptMode says so), and the
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


def test_intx_when_service_asks(image_dir):
    """InterruptMode = Intx: no MSI offered, the INTx line routed."""
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read().replace("InterruptMode = Msi", "InterruptMode = Intx")
    assert "InterruptMode = Intx" in cfg
    img = make_image(str(image_dir / "pnp_intx.img"), system_cfg=cfg)
    with Machine(image=img, log_name="test_pnp_intx") as mi:
        rows, _, _ = devices(mi)
        node = ahci_node(rows)
        if HAVE_AHCI:
            assert node["state"] == "Started", node
            assert node["msi"] == "-", node
            assert re.fullmatch(r"\d+", node["intx_gsi"]), node
        else:
            assert node["state"] in ("StartFailed", "Unclaimed")
