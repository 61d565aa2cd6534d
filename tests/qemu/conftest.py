"""Shared fixtures for the QEMU serial-console tests.

Each module boots what it needs once and runs many checks against it (a TCG
boot costs seconds).  build/ntstor.img comes from `make image`, which
`make test` runs first."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ntstor import ROOT, Machine, make_image  # noqa: E402


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
