#!/usr/bin/env python3
"""Writes the hand-made seeds of the usbdesc and xhcievt fuzzers into
tests/fuzz/corpus/: descriptors as QEMU's usb-kbd, usb-storage (with
SuperSpeed companions) and usb-hub send them, and the event TRBs qemu-xhci
writes.  Run once; long fuzz runs (make fuzz) add their own."""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def put(target, name, data):
    d = os.path.join(ROOT, "tests", "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def device(mps0, vid, pid, cls=0, bcd=0x0200):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, bcd, cls, 0, 0, mps0, vid, pid, 0, 1, 2, 3, 1)


def config(*body):
    b = b"".join(body)
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(b), 1, 1, 0, 0xA0, 50) + b


def interface(num, alt, neps, cls, sub, prot):
    return struct.pack("<BBBBBBBBB", 9, 4, num, alt, neps, cls, sub, prot, 0)


def endpoint(addr, attr, mps, interval):
    return struct.pack("<BBBBHB", 7, 5, addr, attr, mps, interval)


def companion(burst):
    return struct.pack("<BBBBH", 6, 0x30, burst, 0, 0)


def hid(report_len):
    return struct.pack("<BBHBBBH", 9, 0x21, 0x0111, 0, 1, 0x22, report_len)


def string(text):
    u = text.encode("utf-16-le")
    return bytes([2 + len(u), 3]) + u


kbd_cfg = config(interface(0, 0, 1, 3, 1, 1), hid(63), endpoint(0x81, 3, 8, 7))
msd_cfg = config(interface(0, 0, 2, 8, 6, 0x50), endpoint(0x81, 2, 1024, 0), companion(15),
                 endpoint(0x02, 2, 1024, 0), companion(15))
hub_cfg = config(interface(0, 0, 1, 9, 0, 0), endpoint(0x81, 3, 2, 255))
hub_desc = struct.pack("<BBBHBBBB", 9, 0x29, 8, 0x0009, 50, 0, 0, 0xFF)

# The selector byte: bit 0 SuperSpeed, bits 2:1 interface, bit 3 alternate.
put("usbdesc", "kbd-device", b"\x00" + device(8, 0x0627, 0x0001))
put("usbdesc", "msd-device-ss", b"\x01" + device(9, 0x46F4, 0x0001, bcd=0x0300))
put("usbdesc", "kbd-config", b"\x00" + kbd_cfg)
put("usbdesc", "msd-config-ss", b"\x01" + msd_cfg)
put("usbdesc", "hub-config", b"\x00" + hub_cfg)
put("usbdesc", "hub-descriptor", b"\x00" + hub_desc)
put("usbdesc", "string-product", b"\x00" + string("QEMU USB Keyboard"))
put("usbdesc", "string-langids", b"\x00" + bytes([4, 3, 0x09, 0x04]))
put("usbdesc", "two-interfaces-alt", b"\x0a" + config(interface(0, 0, 1, 3, 1, 1), endpoint(0x81, 3, 8, 10),
                                                      interface(1, 0, 0, 3, 0, 0), interface(1, 1, 1, 3, 0, 0),
                                                      endpoint(0x82, 3, 8, 10)))
# Boot reports: shift+a then a released, and a rollover report.
put("usbdesc", "reports-shift-a", b"\x00" + bytes([2, 0, 4, 0, 0, 0, 0, 0]) + bytes([0, 0, 0, 0, 0, 0, 0, 0]))
put("usbdesc", "reports-rollover", b"\x00" + bytes([0, 0, 4, 5, 6, 0, 0, 0]) + bytes([0, 0, 1, 1, 1, 1, 1, 1]))


def trb(param, status, control):
    return struct.pack("<QII", param, status, control)


evts = [
    trb(0x10000, 1 << 24, (32 << 10) | (1 << 24) | (1 << 16) | 1),            # transfer, success
    trb(0x10020, (13 << 24) | 5, (32 << 10) | (2 << 24) | (3 << 16) | 1),     # short packet
    trb(0x10040, 6 << 24, (32 << 10) | (1 << 24) | (4 << 16) | 1),            # stall
    trb(0x20000, 1 << 24, (33 << 10) | (1 << 24) | 1),                        # command completion
    trb(5 << 24, 1 << 24, (34 << 10) | 1),                                    # port status change
    trb(0, 1 << 24, (37 << 10) | 1),                                          # host controller event
]
put("xhcievt", "qemu-events", b"\x33" + b"".join(evts))
put("xhcievt", "bad-slot-and-port", b"\x00" + trb(0x10000, 1 << 24, (32 << 10) | (200 << 24) | (1 << 16) | 1)
    + trb(99 << 24, 1 << 24, (34 << 10) | 1))
