#!/usr/bin/env python3
"""mkdisk.py - host-made disk images for the storage tests, partitioned by
the real tools (sgdisk for GPT, sfdisk for MBR), plus DESIGN.md's data
pattern so host and guest can check each other's writes.

  mkdisk.py gpt FILE [SIZE_MIB]        GPT: EFI 8 MiB "esp", Linux rest "data"
  mkdisk.py mbr FILE [SIZE_MIB]        MBR: 2 primaries + extended with 3 logicals
  mkdisk.py pattern FILE LBA COUNT SEED   write the pattern (512-byte blocks)
  mkdisk.py check FILE LBA COUNT SEED     exit 1 unless the pattern is there

The pattern: 64-bit LE word i (0..63) of the 512-byte block b of the disk
is splitmix64(seed + b*64 + i)."""
import os
import struct
import subprocess
import sys
import zlib

M64 = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def pattern(seed, lba, count):
    """Bytes of `count` 512-byte blocks starting at block `lba`."""
    out = bytearray()
    for b in range(lba, lba + count):
        out += struct.pack("<64Q", *(splitmix64((seed + b * 64 + i) & M64) for i in range(64)))
    return bytes(out)


def make_gpt(path, mib=64):
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(["sgdisk", "-n1:2048:+8M", "-t1:ef00", "-c1:esp", "-n2:0:0", "-t2:8300",
                    "-c2:data", path], check=True, stdout=subprocess.DEVNULL)


# Starts/sizes in 512-byte sectors; sfdisk writes the EBR chain.
MBR_LAYOUT = [(2048, 8192, "c", True), (10240, 8192, "83", False), (20480, 40960, "5", False),
              (22528, 4096, "83", False), (28672, 4096, "82", False), (34816, 4096, "7", False)]


def make_mbr(path, mib=64):
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    script = "label: dos\nlabel-id: 0x1234abcd\n" + "".join(
        "start=%d, size=%d, type=%s%s\n" % (s, n, t, ", bootable" if b else "")
        for s, n, t, b in MBR_LAYOUT)
    subprocess.run(["sfdisk", "-q", path], input=script.encode(), check=True,
                   stdout=subprocess.DEVNULL)


def write_pattern(path, lba, count, seed):
    with open(path, "r+b") as f:
        # A range past the end would silently grow the image (a bigger disk).
        size = os.fstat(f.fileno()).st_size
        if lba < 0 or count < 0 or (lba + count) * 512 > size:
            raise ValueError("%s: blocks %d..%d outside its %d blocks" % (path, lba, lba + count - 1,
                                                                          size // 512))
        f.seek(lba * 512)
        f.write(pattern(seed, lba, count))


# GPT header fields (UEFI 2.x table 5-5) this file rewrites.
GPT_HDR_SIZE, GPT_HDR_CRC, GPT_HDR_ALT_LBA, GPT_HDR_ENTRIES = 12, 16, 32, 72
GPT_ENTRY_NAME, GPT_NAME_BYTES = 56, 72


def edit_gpt_entries(path, edit, sector=512):
    """Rewrites the entry array of both GPTs (primary and backup) with
    edit(entries, count, entry_size), a bytearray changed in place, then
    recomputes each array's CRC32 and each header's CRC32, so the disk stays
    valid: whatever the entries hold is what the test means to show."""
    with open(path, "r+b") as f:
        f.seek(sector)
        primary = bytearray(f.read(sector))
        backup_lba = struct.unpack_from("<Q", primary, GPT_HDR_ALT_LBA)[0]
        for lba in (1, backup_lba):
            f.seek(lba * sector)
            hdr = bytearray(f.read(sector))
            entry_lba, count, size = struct.unpack_from("<QII", hdr, GPT_HDR_ENTRIES)
            f.seek(entry_lba * sector)
            entries = bytearray(f.read(count * size))
            edit(entries, count, size)
            f.seek(entry_lba * sector)
            f.write(entries)
            struct.pack_into("<I", hdr, GPT_HDR_ENTRIES + 16, zlib.crc32(entries))
            hdr_size = struct.unpack_from("<I", hdr, GPT_HDR_SIZE)[0]
            struct.pack_into("<I", hdr, GPT_HDR_CRC, 0)
            struct.pack_into("<I", hdr, GPT_HDR_CRC, zlib.crc32(hdr[:hdr_size]))
            f.seek(lba * sector)
            f.write(hdr)


def set_gpt_name(path, index, name):
    """Names entry `index` (0-based) with any text, control characters
    included (sgdisk's -c cannot take them)."""
    raw = name.encode("utf-16-le")
    if len(raw) > GPT_NAME_BYTES:
        raise ValueError("GPT names hold 36 UTF-16 code units")

    def edit(entries, count, size):
        at = index * size + GPT_ENTRY_NAME
        entries[at:at + GPT_NAME_BYTES] = raw.ljust(GPT_NAME_BYTES, b"\0")
    edit_gpt_entries(path, edit)


def check_pattern(path, lba, count, seed):
    with open(path, "rb") as f:
        f.seek(lba * 512)
        return f.read(count * 512) == pattern(seed, lba, count)


def main(argv):
    if len(argv) >= 3 and argv[1] in ("gpt", "mbr"):
        (make_gpt if argv[1] == "gpt" else make_mbr)(argv[2], int(argv[3]) if len(argv) > 3 else 64)
        return 0
    if len(argv) == 6 and argv[1] in ("pattern", "check"):
        lba, count, seed = int(argv[3]), int(argv[4]), int(argv[5])
        if argv[1] == "pattern":
            try:
                write_pattern(argv[2], lba, count, seed)
            except ValueError as e:
                print("mkdisk: error: %s" % e, file=sys.stderr)
                return 1
            return 0
        return 0 if check_pattern(argv[2], lba, count, seed) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
