#!/usr/bin/env bash
# mkdemo.sh OUT.img - the demo SATA disk `make run` attaches: 256 MiB, GPT
# with two partitions (made with sgdisk), sparse, and DESIGN.md's test
# pattern (seed 1) in the first MiB of partition 1, so in the shell
#   verify 1 2048 2048 seed=1     reports mismatches=0.
set -euo pipefail
out=${1:?usage: mkdemo.sh OUT.img}
here=$(dirname "$0")
command -v sgdisk >/dev/null || { echo "mkdemo: sgdisk missing (apt-get install gdisk)" >&2; exit 1; }
rm -f "$out"
truncate -s 256M "$out"
sgdisk -o -n 1:2048:+64M -t 1:8300 -c 1:ntstor-demo-data \
          -n 2:0:0 -t 2:0700 -c 2:ntstor-demo-spare "$out" >/dev/null
python3 "$here/mkdisk.py" pattern "$out" 2048 2048 1
echo "mkdemo: $out (256 MiB GPT, 2 partitions, pattern seed=1 at LBA 2048..4095)"
