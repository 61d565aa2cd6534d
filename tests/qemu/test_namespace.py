"""The NT model's live structures as a user sees them (issue: NT model core):
the object namespace, the configuration tree, the driver objects, and the
symbolic links that name the boot disk."""
import re

import pytest

from ntstor import Machine


@pytest.fixture(scope="module")
def m():
    with Machine(log_name="namespace") as machine:
        yield machine


def entries(m, path, long=False):
    out = m.cmd("ls %s%s" % ("-l " if long else "", path))
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("ls "):
            rows[parts[0]] = line
    return rows


def test_root_directories(m):
    root = entries(m, "\\")
    for name in ("Device", "Driver", "??", "ObjectTypes", "Registry"):
        assert name in root, root


def test_driver_objects_for_the_boot_drivers(m):
    drv = entries(m, "\\Driver")
    for name in ("ahci", "disk", "pci"):
        assert name in drv and "Driver" in drv[name], drv
    loaded = {r["name"]: r for r in m.lines("drivers", "driver")}
    assert set(loaded) >= {"ahci", "disk"}, loaded
    for r in loaded.values():
        assert int(r["size"]) > 0 and int(r["load_us"]) > 0


def test_device_tree_names(m):
    dev = entries(m, "\\Device")
    assert "Ahci0" in dev and "Harddisk0" in dev, dev
    port = entries(m, "\\Device\\Ahci0", long=True)
    assert "Port0" in port and "Device" in port["Port0"], port
    disk = entries(m, "\\Device\\Harddisk0")
    assert "DR0" in disk and "Partition1" in disk, disk


def test_symbolic_links_resolve(m):
    links = entries(m, "\\??", long=True)
    assert re.search(r"-> \\Device\\Harddisk0\\DR0$", links["PhysicalDrive0"]), links
    assert "Harddisk0Partition1" in links
    # ls through the link reaches the same device
    assert "error" not in m.cmd("ls \\??\\PhysicalDrive0")


def test_object_types_registered(m):
    types = entries(m, "\\ObjectTypes")
    for t in ("Directory", "SymbolicLink", "Driver", "Device", "File", "Key"):
        assert t in types, types


def test_configuration_tree(m):
    svc = entries(m, "\\Registry\\Machine\\System\\CurrentControlSet\\Services")
    assert "ahci" in svc and "disk" in svc, svc
    out = m.cmd("reg Services\\ahci\\Parameters")
    assert re.search(r"InterruptMode\s+REG_SZ\s+Msi", out), out
    assert re.search(r"Ncq\s+REG_DWORD\s+1\b", out), out
    out = m.cmd("reg Services\\ahci")
    assert re.search(r"Start\s+REG_SZ\s+Boot", out) and "Parameters" in out, out
    assert "error" not in m.cmd("reg \\Registry\\Machine\\Hardware\\Description\\System")


def test_bad_paths_are_errors(m):
    assert "STATUS_OBJECT_NAME_NOT_FOUND" in m.error("ls \\Device\\NoSuchThing")
    assert m.error("reg Services\\nosuchservice").startswith("error: ")
    assert m.error("ls relative\\path").startswith("error: ")
