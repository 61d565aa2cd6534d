#!/usr/bin/env bash
# mkdisk_seeds.sh [DIR] - seed corpus of the partition fuzz target
# (tests/fuzz/fuzz_partition.c): disk images made by the real sgdisk and
# sfdisk, cut to their first and last sectors in the target's sparse
# format (flags, LE32 sectors, LE32 head bytes, head, tail).
set -eu
out=${1:-tests/fuzz/corpus/partition}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed NAME IMAGE SECTOR_SIZE HEAD_SECTORS TAIL_SECTORS [EXTRA_LBA...]
# EXTRA_LBA: sectors (EBRs) copied into the head by widening it.
seed() {
    local name=$1 img=$2 ss=$3 head=$4 tail=$5
    local bytes sectors flags
    bytes=$(stat -c %s "$img")
    sectors=$((bytes / ss))
    flags=0; [ "$ss" -eq 4096 ] && flags=1
    python3 - "$img" "$out/$name" "$ss" "$sectors" "$head" "$tail" "$flags" <<'PY'
import struct, sys
img, out, ss, sectors, head, tail, flags = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
data = open(img, 'rb').read()
h = data[:head * ss]
t = data[len(data) - tail * ss:] if tail else b''
open(out, 'wb').write(struct.pack('<BII', flags, sectors, len(h)) + h + t)
PY
}

# GPT, three partitions (sgdisk), 16 MiB
truncate -s 16M "$tmp/gpt.img"
sgdisk -n1:2048:+1M -t1:ef00 -c1:EFI -n2:0:+4M -t2:8300 -c2:root -n3:0:0 -t3:0700 -c3:data "$tmp/gpt.img" >/dev/null
seed gpt3 "$tmp/gpt.img" 512 34 33

# same, primary header damaged (the backup must be used)
cp "$tmp/gpt.img" "$tmp/gpt-bad.img"
printf '\xff' | dd of="$tmp/gpt-bad.img" bs=1 seek=$((512 + 16)) conv=notrunc status=none
seed gpt3-bad-primary "$tmp/gpt-bad.img" 512 34 33

# GPT with many small partitions (sgdisk, 1-sector alignment)
truncate -s 4M "$tmp/gpt-many.img"
args=()
for i in $(seq 1 20); do args+=(-n "$i:0:+64"); done
sgdisk --set-alignment=1 "${args[@]}" "$tmp/gpt-many.img" >/dev/null
seed gpt-many "$tmp/gpt-many.img" 512 34 33

# MBR with an extended partition and three logicals (sfdisk), 32 MiB,
# packed at the start so the EBRs are in a small head.
truncate -s 32M "$tmp/mbr.img"
sfdisk -q "$tmp/mbr.img" >/dev/null <<'SF'
label: dos
label-id: 0x12345678
start=16, size=16, type=c, bootable
start=32, size=16, type=83
start=64, size=60000, type=5
start=66, size=14, type=83
start=82, size=14, type=82
start=98, size=14, type=7
SF
seed mbr-ext "$tmp/mbr.img" 512 100 0

# blank disk
truncate -s 1M "$tmp/blank.img"
seed blank "$tmp/blank.img" 512 2 1
echo "seeds in $out: $(ls "$out" | wc -l)"
