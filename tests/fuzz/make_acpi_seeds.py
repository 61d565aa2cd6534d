#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpus for fuzz_acpi.c: a q35-like table
set (mode 0, checksums fixed by the harness) and single tables (modes 1-5).
Run as: cd tests/fuzz/corpus/acpi && python3 ../../make_acpi_seeds.py"""
import struct

def hdr(sig, body, rev=1):
    return sig + struct.pack('<IBB6s8sI4sI', 36 + len(body), rev, 0, b'BOCHS ', b'BXPC    ', 1, b'BXPC', 1) + body

def gas(space, width, addr):
    return struct.pack('<BBBBQ', space, width, 0, 1, addr)

def madt():
    e = struct.pack('<BBBBI', 0, 8, 0, 0, 1) + struct.pack('<BBBBI', 0, 8, 1, 1, 0)
    e += struct.pack('<BBBBII', 1, 12, 0, 0, 0xFEC00000, 0)
    e += struct.pack('<BBBBIH', 2, 10, 0, 0, 2, 0) + struct.pack('<BBBBIH', 2, 10, 0, 9, 9, 0xD)
    e += struct.pack('<BBHQ', 5, 12, 0, 0xFEE00000)
    return hdr(b'APIC', struct.pack('<II', 0xFEE00000, 1) + e, 3)

def mcfg():
    return hdr(b'MCFG', bytes(8) + struct.pack('<QHBBI', 0xB0000000, 0, 0, 255, 0))

def fadt(dsdt):
    b = bytearray(244 - 36)
    def put(off, fmt, *v): struct.pack_into(fmt, b, off - 36, *v)
    put(40, '<I', dsdt); put(46, '<H', 9); put(64, '<I', 0x604); put(76, '<I', 0x608)
    b[91 - 36] = 4
    put(112, '<I', (1 << 10) | (1 << 8))
    b[116 - 36:128 - 36] = gas(1, 8, 0xCF9); b[128 - 36] = 6
    put(140, '<Q', dsdt)
    b[172 - 36:184 - 36] = gas(1, 16, 0x604)
    b[208 - 36:220 - 36] = gas(1, 32, 0x608)
    return hdr(b'FACP', bytes(b), 3)

def hpet():
    return hdr(b'HPET', struct.pack('<I', 0x8086A201) + gas(0, 64, 0xFED00000) + bytes(4))

AML = bytes([0x14, 0x0A]) + b'XMTH' + bytes([0, 0x0D]) + b'_S5_' + bytes([0]) + \
      bytes([0x08]) + b'_S5_' + bytes([0x12, 0x06, 0x04, 0, 0, 0, 0]) + \
      bytes([0x08, 0x5C]) + b'_S4_' + bytes([0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x05])

def memory():
    base = 0x1000
    layout = {0x40: None, 0x100: madt(), 0x200: mcfg(), 0x300: None, 0x500: hpet(), 0x600: hdr(b'DSDT', AML)}
    layout[0x300] = fadt(base + 0x600)
    ptrs = [0x100, 0x200, 0x300, 0x500]
    layout[0x40] = hdr(b'XSDT', b''.join(struct.pack('<Q', base + p) for p in ptrs))
    mem = bytearray(0x700)
    rsdp = b'RSD PTR ' + b'\0' + b'BOCHS ' + bytes([2]) + struct.pack('<IIQ', 0, 36, base + 0x40) + bytes(4)
    mem[0:36] = rsdp
    for off, t in layout.items():
        mem[off:off + len(t)] = t
    return bytes(mem)

seeds = {
    'q35_tables': b'\x00\x01' + memory(),
    'madt': b'\x01' + madt(),
    'mcfg': b'\x02' + mcfg(),
    'fadt': b'\x03' + fadt(0x1600),
    'hpet': b'\x04' + hpet(),
    'aml_s5': b'\x05' + AML,
}
for name, data in seeds.items():
    open(name, 'wb').write(data)
