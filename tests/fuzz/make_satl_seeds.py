#!/usr/bin/env python3
"""make_satl_seeds.py OUTDIR - seed inputs for fuzz_satl: QEMU-shaped
IDENTIFY DEVICE data (1 GiB and 3 TiB disks, with and without TRIM), a flags
byte, and the CDBs the disk class driver and pass-through callers send;
plus the named findings of long runs (FINDINGS), kept as regression seeds."""
import os
import struct
import sys


def identify(sectors, trim):
    w = [0] * 256

    def s(word, text, words):
        b = text.ljust(words * 2).encode()
        for i in range(words):
            w[word + i] = (b[2 * i] << 8) | b[2 * i + 1]
    w[0] = 0x0040
    s(10, "QM00001", 10)
    s(23, "2.5+", 4)
    s(27, "QEMU HARDDISK", 20)
    w[47] = 0x8010
    w[49] = (1 << 11) | (1 << 9) | (1 << 8)
    w[53] = 7
    lba28 = min(sectors, 0x0FFFFFFF)
    w[60], w[61] = lba28 & 0xFFFF, lba28 >> 16
    w[75], w[76] = 31, 1 << 8
    w[80] = 0xF0
    w[82], w[83] = (1 << 14) | (1 << 5) | 1, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10)
    w[84], w[85] = (1 << 14) | (1 << 5), (1 << 14) | (1 << 5) | 1
    w[86], w[87] = (1 << 13) | (1 << 12) | (1 << 10), 1 << 14
    for i in range(4):
        w[100 + i] = (sectors >> (16 * i)) & 0xFFFF
    w[106] = 0x4000
    if trim:
        w[69], w[105], w[169] = (1 << 14) | (1 << 5), 1, 1
    w[217] = 1
    return struct.pack("<256H", *w)


CDBS = [
    bytes([0x12, 0, 0, 0, 96, 0]),                                  # INQUIRY
    bytes([0x12, 1, 0x80, 0, 64, 0]),                               # VPD serial
    bytes([0x12, 1, 0xB0, 0, 64, 0]),                               # VPD block limits
    bytes([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]),                       # READ CAPACITY(10)
    bytes([0x9E, 0x10] + [0] * 8 + [0, 0, 0, 32, 0, 0]),            # READ CAPACITY(16)
    bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]),                       # READ(10)
    bytes([0x8A, 0] + list((2097150).to_bytes(8, "big")) + [0, 0, 0, 2, 0, 0]),  # WRITE(16) at the end
    bytes([0x88, 0] + list((2097151).to_bytes(8, "big")) + [0, 0, 0, 2, 0, 0]),  # READ(16) past the end
    bytes([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]),                       # SYNCHRONIZE CACHE(10)
    bytes([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0]),                      # UNMAP
    bytes([0x1A, 0, 0x08, 0, 64, 0]),                               # MODE SENSE(6) caching
    bytes([0x85, 0x08, 0x0E, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xA0, 0xEC, 0]),  # ATA PT IDENTIFY
    bytes([0x00, 0, 0, 0, 0, 0]),                                   # TEST UNIT READY
]
UNMAP_LIST = bytes([0, 22, 0, 16, 0, 0, 0, 0]) + (100).to_bytes(8, "big") + (8).to_bytes(4, "big") + bytes(4)

# Findings of long fuzz runs, rebuilt here so the seed says what it was.
# Each: name, sectors, CDB.  The data part is 4096 zero bytes.
FINDINGS = [
    # Issue 14: ATA PASS-THROUGH(16), protocol 3 (non-data), EXTEND 0, READ
    # DMA EXT, every other byte 25h: was issued with LBA 25252525h past the
    # end of a 2,097,152-sector disk and with no PRDs for its data.
    ("issue14-pt16-read-dma-ext-nondata", 2097152,
     bytes([0x85, 0x06, 0xdc, 0xdd, 0x7e] + [0x25] * 11)),
]

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for sectors, trim in ((2097152, 1), (3 << 41 >> 9, 0)):
    ident = identify(sectors, trim)
    for cdb in CDBS:
        flags = 0x80 | 0x40 | (len(cdb) - 6)
        data = UNMAP_LIST if cdb[0] == 0x42 else bytes(4096)
        with open(os.path.join(out, "seed-%02d" % n), "wb") as f:
            f.write(ident + bytes([flags]) + cdb + data)
        n += 1
for name, sectors, cdb in FINDINGS:
    with open(os.path.join(out, name), "wb") as f:
        f.write(identify(sectors, 1) + bytes([0x80 | 0x40 | (len(cdb) - 6)]) + cdb + bytes(4096))
    n += 1
print("make_satl_seeds: %d seeds in %s" % (n, out))
