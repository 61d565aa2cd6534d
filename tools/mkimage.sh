#!/usr/bin/env bash
# mkimage.sh OUT.img - build the ntstor boot disk: GPT with one EFI System
# Partition (FAT32) holding the loader, the kernel, system.cfg, autorun and
# the driver images.  The same image boots in QEMU and, dd'ed to a USB stick,
# on a PC.  No root, no loop devices: the FAT is built in a separate file and
# copied into the disk image at the partition's offset.
#
# Environment:
#   B            build directory (default: build)
#   SYSTEM_CFG   config to install as \ntstor\system.cfg (default: tools/system.cfg)
#   AUTORUN      command file to install as \ntstor\autorun (default: none)
#   CMDLINE      kernel command line to install as \ntstor\cmdline (default: none;
#                the loader uses it when the firmware passes no load options)
#   IMAGE_MIB    disk size in MiB (default: 64)
#
# Layout on the ESP:
#   \EFI\BOOT\BOOTX64.EFI   \ntstor\kernel.elf   \ntstor\system.cfg
#   \ntstor\autorun         \ntstor\drivers\*.sys  \ntstor\tests\*.sys
set -euo pipefail

die() { echo "mkimage: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT.img"
OUT=$1
B=${B:-build}
SYSTEM_CFG=${SYSTEM_CFG:-tools/system.cfg}
AUTORUN=${AUTORUN:-}
CMDLINE=${CMDLINE:-}
IMAGE_MIB=${IMAGE_MIB:-64}

# sgdisk and mkfs.vfat live in /usr/sbin, which a user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
for tool in truncate sgdisk mkfs.vfat mmd mcopy dd; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found (Debian: apt-get install coreutils gdisk dosfstools mtools)"
done

[[ $IMAGE_MIB =~ ^[0-9]+$ ]] && [ "$IMAGE_MIB" -ge 40 ] ||
    die "IMAGE_MIB=$IMAGE_MIB: need a whole number >= 40 (FAT32 needs >= 65525 clusters)"
for f in "$B/BOOTX64.EFI" "$B/kernel.elf" "$SYSTEM_CFG"; do
    [ -f "$f" ] || die "missing $f (run make first?)"
done
[ -z "$AUTORUN" ] || [ -f "$AUTORUN" ] || die "AUTORUN=$AUTORUN: no such file"

OUTDIR=$(dirname -- "$OUT")
mkdir -p -- "$OUTDIR"
TMPDISK=$(mktemp "$OUTDIR/.mkimage-disk.XXXXXX")
TMPPART=$(mktemp "$OUTDIR/.mkimage-esp.XXXXXX")
trap 'rm -f -- "$TMPDISK" "$TMPPART"' EXIT

# GPT: the ESP from 1 MiB (alignment good for flash media) to the end.
truncate -s "${IMAGE_MIB}M" "$TMPDISK"
sgdisk --clear --new=1:2048:0 --typecode=1:EF00 --change-name=1:"EFI System" \
    "$TMPDISK" >/dev/null || die "sgdisk failed on $TMPDISK"
INFO=$(sgdisk --info=1 "$TMPDISK")
FIRST=$(sed -n 's/^First sector: \([0-9]*\).*/\1/p' <<<"$INFO")
LAST=$(sed -n 's/^Last sector: \([0-9]*\).*/\1/p' <<<"$INFO")
[ -n "$FIRST" ] && [ -n "$LAST" ] || die "cannot read the partition bounds from sgdisk"
SECTORS=$((LAST - FIRST + 1))

# FAT32 with hidden sectors = partition start, as a formatter on the real
# disk would write it (some firmware checks BPB_HiddSec).
truncate -s $((SECTORS * 512)) "$TMPPART"
mkfs.vfat -F 32 -S 512 -h "$FIRST" -n NTSTOR "$TMPPART" >/dev/null ||
    die "mkfs.vfat failed"

export MTOOLS_SKIP_CHECK=1
put() {   # put SRC DEST-on-ESP
    mcopy -o -i "$TMPPART" "$1" "::$2" || die "mcopy $1 -> $2 failed"
    echo "  $2 ($(stat -c %s -- "$1") bytes)"
}
mmd -i "$TMPPART" ::/EFI ::/EFI/BOOT ::/ntstor ::/ntstor/drivers ::/ntstor/tests ||
    die "mmd failed"

echo "mkimage: $OUT (${IMAGE_MIB} MiB, ESP sectors $FIRST-$LAST)"
put "$B/BOOTX64.EFI" /EFI/BOOT/BOOTX64.EFI
put "$B/kernel.elf" /ntstor/kernel.elf
put "$SYSTEM_CFG" /ntstor/system.cfg
[ -z "$AUTORUN" ] || put "$AUTORUN" /ntstor/autorun
if [ -n "$CMDLINE" ]; then
    printf '%s\n' "$CMDLINE" >"$TMPPART.cmdline"
    put "$TMPPART.cmdline" /ntstor/cmdline
    rm -f -- "$TMPPART.cmdline"
fi
shopt -s nullglob
for f in "$B"/drivers/*.sys; do
    put "$f" "/ntstor/drivers/$(basename -- "$f")"
done
for f in "$B"/tests/drivers/*.sys; do
    put "$f" "/ntstor/tests/$(basename -- "$f")"
done

dd if="$TMPPART" of="$TMPDISK" bs=1M oflag=seek_bytes seek=$((FIRST * 512)) \
    conv=notrunc status=none || die "dd of the ESP into the disk image failed"
chmod 644 -- "$TMPDISK"
mv -f -- "$TMPDISK" "$OUT"
