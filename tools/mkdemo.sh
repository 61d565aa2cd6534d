#!/usr/bin/env bash
# mkdemo.sh OUT.img - the demo SATA disk `make run` attaches: 256 MiB, GPT
# with two partitions (made with sgdisk), sparse so it costs no real space.
set -euo pipefail
out=${1:?usage: mkdemo.sh OUT.img}
command -v sgdisk >/dev/null || { echo "mkdemo: sgdisk missing (apt-get install gdisk)" >&2; exit 1; }
rm -f "$out"
truncate -s 256M "$out"
sgdisk -q -o \
    -n 1:2048:+64M -t 1:8300 -c 1:ntstor-demo-data \
    -n 2:0:0       -t 2:0700 -c 1:ntstor-demo-data -c 2:ntstor-demo-spare "$out" >/dev/null
echo "mkdemo: $out (256 MiB GPT, 2 partitions)"
