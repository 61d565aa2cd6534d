"""Shared fixtures for the QEMU serial-console tests.

Each module boots what it needs once and runs many checks against it (a TCG
boot costs seconds).  build/ntstor.img comes from `make image`, which
`make test` runs first.

Every test here boots QEMU itself, with its own image, disks and options,
so each is marked `qemu_only` with the reason; a hardware run (`make hw-test
TARGET=...`, tests/conftest.py) leaves them out and says why.  The suite for
a real machine is tests/hw."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ntstor import ROOT, Machine, make_image  # noqa: E402


# Why each module cannot run against a real machine.
QEMU_ONLY = {
    "test_ahci": "extra AHCI controllers, blkdebug errors, qcow2 and custom boot images",
    "test_ahci_bounce": "6 GiB guest and a custom system.cfg",
    "test_ahci_depth": "blkdebug errors and QEMU I/O throttling",
    "test_boot": "custom boot images, USB boot, QEMU's exit status",
    "test_drivers": "test driver images on a custom boot image",
    "test_hal": "q35/i440fx machine facts and QEMU's exit status",
    "test_kbd": "types on QEMU's PS/2 keyboard through its monitor and reads its screendump",
    "test_namespace": "QEMU's disk layout",
    "test_pnp": "q35's PCI functions and custom boot images",
    "test_storage": "host-made disk images checked on the host",
    "test_usbstor": "a simulated USB stick (test driver on QEMU's pci-testdev) and QEMU's USB devices",
}


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if os.path.dirname(str(item.fspath)) == here:
            name = item.module.__name__.rsplit(".", 1)[-1]
            item.add_marker(pytest.mark.qemu_only(QEMU_ONLY.get(name, "boots QEMU itself")))


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("images")


@pytest.fixture(scope="module")
def machine(request):
    """The default image booted from SATA with the default system.cfg."""
    m = Machine(log_name=request.module.__name__).start()
    yield m
    m.stop()
