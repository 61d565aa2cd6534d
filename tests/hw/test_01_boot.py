"""Boot and platform: the boot line and how long the boot took, the
console, and what `pci`, `acpi`, `devices` and `drivers` report.  Nothing
here depends on a particular machine: the checks are that the reports are
complete and agree with each other.  The machine's identity for the run's
summary is taken here (`hwreport` where the shell has it, else pci/acpi)."""
import re

import pytest

from shellio import parse_kv

BDF = re.compile(r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]")


def pci_rows(m):
    out = m.cmd("pci")
    head = [parse_kv(l) for l in out.splitlines() if l.startswith("pci functions=")]
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("pci seg=")]
    assert len(head) == 1, out
    return head[0], rows


@pytest.fixture(scope="module")
def identity(m):
    """Who the machine is, for the summary."""
    ident = m.identity
    if re.search(r"^\s+hwreport\b", m.cmd("help"), re.M):
        ident["hwreport"] = " ".join(m.cmd("hwreport", timeout=120).split())[:300]
    a = m.one("acpi", "acpi")
    ident["acpi"] = 'oem="%s" rev=%s cpus=%s ioapics=%s' % (a["oem"], a["rev"], a["cpus"], a["ioapics"])
    _, rows = pci_rows(m)
    ident["storage"] = ["%s %s class=%s %s" % (r["bdf"], r["id"], r["class"], r["name"])
                        for r in rows if r["class"].startswith("01:")]
    ident["disks"] = ['n=%s model="%s" serial="%s" sectors=%s sector_size=%s%s'
                      % (d["n"], d["model"], d["serial"], d["sectors"], d["sector_size"],
                         " scratch" if d["serial"] in m.scratch else "")
                      for d in m.lines("disks", "disk")]
    return ident


def test_boot_line_and_timing(m):
    b = m.boots[-1]
    assert b["ms"] > 0 and int(m.boot["mem_mib"]) > 0 and int(m.boot["pool_bytes"]) > 0, m.boot
    # The kernel's own figure (entry to prompt) fits inside the wall time
    # from the reset to the boot line, which fits the target's boot_timeout.
    assert b["ms"] / 1000.0 <= b["seconds"] + 1, b
    assert b["seconds"] <= m.boot_timeout, b


def test_console_answers_and_reports_errors(m):
    assert m.cmd("echo hw marker 42") == "hw marker 42"
    assert m.error("frobnicate 1 2").startswith("error: frobnicate: STATUS_")
    assert m.answers(10)


def test_identity_taken(identity):
    assert identity["acpi"] and "cpus=" in identity["acpi"]


def test_pci_functions_complete(m):
    head, rows = pci_rows(m)
    assert int(head["functions"]) == len(rows) > 0, head
    assert head["access"] in ("ecam", "port"), head
    seen = set()
    for r in rows:
        assert BDF.fullmatch(r["bdf"]), r
        assert r["bdf"] not in seen, r
        seen.add(r["bdf"])
        assert re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{4}", r["id"]) and r["vid"] != "ffff", r
        assert re.fullmatch(r"[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}", r["class"]), r
    assert any(r["class"].startswith("06:00") for r in rows), "no host bridge in pci"
    assert any(r["class"] == "01:06:01" for r in rows), "no AHCI controller (01:06:01) in pci"


def test_acpi_facts(m):
    a = m.one("acpi", "acpi")
    assert int(a["cpus"]) >= 1 and int(a["ioapics"]) >= 1, a
    assert int(a["tables"]) >= 3 and a["root"] in ("xsdt", "rsdt"), a
    tables = m.lines("acpi", "acpi_table")
    assert len(tables) == int(a["tables"]), tables
    assert not [t for t in tables if t["checksum"] != "ok"], tables
    assert {"FACP", "APIC"} <= {t["sig"] for t in tables}, tables


def test_devices_cover_pci_and_ahci_started(m):
    _, pci = pci_rows(m)
    out = m.cmd("devices", timeout=120)
    rows = [parse_kv(l) for l in out.splitlines() if l.startswith("device id=")]
    total = [parse_kv(l) for l in out.splitlines() if l.startswith("devices count=")]
    assert len(total) == 1 and int(total[0]["count"]) == len(rows), out
    pci_nodes = [r for r in rows if r["id"].startswith("PCI\\")]
    assert len(pci_nodes) == len(pci), (len(pci_nodes), len(pci))
    ahci = [r for r in pci_nodes if "CC_010601" in r["compat"] or "CC_010601" in r["hwids"]]
    assert ahci, "no PCI node with CC_010601"
    for r in ahci:
        assert r["driver"] == "ahci" and r["state"] == "Started", r
        assert r["msi"] != "-" or r["intx_gsi"] != "-", r
    assert int(total[0]["failed"]) == 0, [r for r in rows if r["state"] == "StartFailed"]


def test_drivers_loaded(m):
    rows = {r["name"]: r for r in m.lines("drivers", "driver")}
    for name in ("ahci", "disk"):
        assert name in rows, rows
        assert rows[name]["state"] == "loaded" and int(rows[name]["size"]) > 0, rows[name]
        assert int(rows[name]["devices"]) >= 1, rows[name]
