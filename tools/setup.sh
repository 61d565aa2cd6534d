#!/usr/bin/env bash
# setup.sh - installs the Debian 12 packages ntstor needs to build, run and
# test.  The one list of them; the README's commands and .ci/run call this.
# Does nothing when everything is already there; uses sudo when not root.
set -euo pipefail

PACKAGES=(
    make gcc binutils nasm gnu-efi          # kernel, drivers, loader
    qemu-system-x86 qemu-utils ovmf         # running and testing
    gdisk fdisk dosfstools mtools           # disk images
    kbd                                     # console font for the framebuffer console
    python3 python3-pytest python3-pytest-xdist python3-pexpect python3-serial   # serial-console tests
    python3-matplotlib                      # make bench: the latency CDF plot
    # (make bench also fetches, never installs, a Linux guest: tools/linux_peer.py)
    libcmocka-dev clang libclang-rt-14-dev  # unit tests, fuzzing
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${PACKAGES[@]}"
