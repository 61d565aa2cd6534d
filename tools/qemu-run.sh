#!/usr/bin/env bash
# qemu-run.sh - boot the ntstor image in QEMU: q35 (ICH9 AHCI built in), OVMF,
# TCG, serial console on stdio.  Exit status is QEMU's.
#
# usage: tools/qemu-run.sh [options] [-- extra qemu args]
#   --image FILE          boot disk image (default: build/ntstor.img)
#   --boot-snapshot       boot disk writes go to a temporary overlay (tests)
#   --usb                 attach the boot image as a USB stick (qemu-xhci +
#                         usb-storage) instead of SATA port 0
#   --disk SPEC           extra SATA disk, repeatable.  SPEC is
#                         FILE[:port=N][:format=raw|qcow2][:bus=ahci1][:blkdebug=CONF]
#                             [:cache=MODE][:readonly][:serial=TEXT]
#                             [:physical_block_size=N][:logical_block_size=N]
#                         FILE "null" = driver=null-co,read-zeroes=on (benchmarks),
#                         with [:size=BYTES].  port defaults to the next free one
#                         (0-5); bus=ahci1 puts it on the second controller (--ahci2).
#                         serial= sets the disk's ATA serial number (default QEMU's
#                         QM000nn); at most 20 characters of [A-Za-z0-9_.-].
#                         physical_block_size=4096 makes a 512e disk (IDENTIFY word
#                         106), with logical_block_size=4096 too a 4Kn one.
#   --ahci2               add a second AHCI controller (-device ahci,id=ahci1)
#   --cdrom FILE[:port=N] ATAPI CD-ROM on the built-in controller
#   --mem SIZE            guest memory (default: 512M)
#   --smp N               CPUs (default: 1)
#   --serial ARG          QEMU -serial argument (default: stdio with the monitor
#                         muxed, Ctrl-A X quits), e.g. unix:/tmp/s.sock,server=on,wait=off
#   --monitor PATH        also a human monitor on unix socket PATH (tests type on the
#                         PS/2 keyboard with sendkey and take screendumps through it)
#   --reboot              a guest reset restarts the machine (default: QEMU ends,
#                         -no-reboot), as on a real PC; tools/qemu-pty-target.py
#   --display             show a window instead of running headless
#   --ovmf-log FILE       write OVMF's debug log (port 0x402) to FILE
#   --accel ACCEL         tcg (default) or kvm
#   --kernel FILE         boot this Linux kernel (OVMF starts it from fw_cfg)
#                         instead of the boot disk; the rest of the machine --
#                         disks included -- stays exactly as for ntstor, which is
#                         how `make bench` measures its Linux peer (tools/bench.py)
#   --initrd FILE         initramfs for --kernel (cpio archives may be concatenated:
#                         FILE,FILE2 -- joined here into one temporary file)
#   --append TEXT         kernel command line for --kernel
#   --gdb                 wait for gdb on tcp::1234 (-s -S)
#   --dry-run             print the QEMU command line and exit
#
# Environment: QEMU (default qemu-system-x86_64), OVMF_CODE, OVMF_VARS.
set -euo pipefail

die() { echo "qemu-run: error: $*" >&2; exit 2; }

QEMU=${QEMU:-qemu-system-x86_64}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
IMAGE=build/ntstor.img
BOOT_SNAPSHOT=0
USB=0 AHCI2=0 DISPLAY_WINDOW=0 DRY_RUN=0 GDB=0 REBOOT=0
MEM=512M SMP=1 SERIAL=stdio ACCEL=tcg OVMF_LOG= MONITOR=
KERNEL= INITRD= APPEND=
DISKS=() CDROMS=() EXTRA=()

need_arg() { [ $# -ge 2 ] || die "$1 needs an argument"; }
while [ $# -gt 0 ]; do
    case $1 in
    --image)    need_arg "$@"; IMAGE=$2; shift ;;
    --usb)      USB=1 ;;
    --boot-snapshot) BOOT_SNAPSHOT=1 ;;
    --disk)     need_arg "$@"; DISKS+=("$2"); shift ;;
    --ahci2)    AHCI2=1 ;;
    --cdrom)    need_arg "$@"; CDROMS+=("$2"); shift ;;
    --mem)      need_arg "$@"; MEM=$2; shift ;;
    --smp)      need_arg "$@"; SMP=$2; shift ;;
    --serial)   need_arg "$@"; SERIAL=$2; shift ;;
    --monitor)  need_arg "$@"; MONITOR=$2; shift ;;
    --reboot)   REBOOT=1 ;;
    --display)  DISPLAY_WINDOW=1 ;;
    --ovmf-log) need_arg "$@"; OVMF_LOG=$2; shift ;;
    --accel)    need_arg "$@"; ACCEL=$2; shift ;;
    --kernel)   need_arg "$@"; KERNEL=$2; shift ;;
    --initrd)   need_arg "$@"; INITRD=$2; shift ;;
    --append)   need_arg "$@"; APPEND=$2; shift ;;
    --gdb)      GDB=1 ;;
    --dry-run)  DRY_RUN=1 ;;
    -h|--help)  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --)         shift; EXTRA=("$@"); break ;;
    *)          die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

# QEMU option values: a ',' inside a file name must be doubled.
qesc() { printf '%s' "${1//,/,,}"; }

[ -f "$IMAGE" ] || [ $DRY_RUN = 1 ] || die "boot image $IMAGE not found (make image?)"
for f in "$OVMF_CODE" "$OVMF_VARS"; do
    [ -f "$f" ] || die "$f not found (Debian: apt-get install ovmf)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ntstor-qemu.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT
# Each run gets fresh UEFI variables: no boot entries left over from a
# previous run decide what boots.
cp -- "$OVMF_VARS" "$TMP/OVMF_VARS.fd"

ARGS=(-machine q35 -cpu max -m "$MEM" -smp "$SMP" -accel "$ACCEL"
      -drive "if=pflash,format=raw,unit=0,readonly=on,file=$(qesc "$OVMF_CODE")"
      -drive "if=pflash,format=raw,unit=1,file=$(qesc "$TMP/OVMF_VARS.fd")")
[ $REBOOT = 1 ] || ARGS+=(-no-reboot)

if [ $DISPLAY_WINDOW = 1 ]; then
    [ "$SERIAL" = stdio ] && ARGS+=(-serial stdio) || ARGS+=(-serial "$SERIAL")
else
    ARGS+=(-display none)
    [ "$SERIAL" = stdio ] && ARGS+=(-serial mon:stdio) || ARGS+=(-serial "$SERIAL")
fi
[ -z "$MONITOR" ] || ARGS+=(-monitor "unix:$(qesc "$MONITOR"),server=on,wait=off")
[ -z "$OVMF_LOG" ] || ARGS+=(-debugcon "file:$OVMF_LOG" -global isa-debugcon.iobase=0x402)
[ $GDB = 0 ] || ARGS+=(-s -S)
if [ -n "$KERNEL" ]; then
    [ -f "$KERNEL" ] || [ $DRY_RUN = 1 ] || die "--kernel $KERNEL not found"
    ARGS+=(-kernel "$KERNEL")
    if [ -n "$INITRD" ]; then
        # QEMU takes one initrd file; Linux unpacks concatenated archives.
        IFS=, read -r -a parts <<<"$INITRD"
        if [ ${#parts[@]} -gt 1 ] && [ $DRY_RUN = 0 ]; then
            cat -- "${parts[@]}" > "$TMP/initrd"
            ARGS+=(-initrd "$TMP/initrd")
        else
            ARGS+=(-initrd "$INITRD")
        fi
    fi
    [ -z "$APPEND" ] || ARGS+=(-append "$APPEND")
fi

# Boot disk.  bootindex makes OVMF try it first whatever else is attached.
BOOT_DRIVE="if=none,id=boot,format=raw,file=$(qesc "$IMAGE")"
# With --boot-snapshot writes to the boot disk go to a throw-away overlay, so
# several machines (tests) can boot the same image at once.
[ "$BOOT_SNAPSHOT" = 1 ] && BOOT_DRIVE+=",snapshot=on"
ARGS+=(-drive "$BOOT_DRIVE")
if [ $USB = 1 ]; then
    ARGS+=(-device qemu-xhci,id=xhci
           -device "usb-storage,bus=xhci.0,drive=boot,removable=on,bootindex=${KERNEL:+1}${KERNEL:-0}")
else
    # With --kernel the kernel holds boot index 0 (QEMU's rule); the disk
    # stays attached so the machine is the same.
    ARGS+=(-device "ide-hd,drive=boot,bus=ide.0${KERNEL:+,bootindex=1}")
    [ -n "$KERNEL" ] || ARGS[${#ARGS[@]}-1]+=",bootindex=0"
fi
[ $AHCI2 = 0 ] || ARGS+=(-device ahci,id=ahci1)

# Ports in use per controller ("ide" is q35's built-in ICH9 AHCI, ports ide.0-5).
declare -A USED=()
[ $USB = 1 ] || USED[ide.0]=1
next_port() {   # next_port BUS -> first free port number
    local p
    for p in 0 1 2 3 4 5; do
        [ -n "${USED[$1.$p]:-}" ] || { echo "$p"; return; }
    done
    die "no free port left on $1"
}
claim() {   # claim BUS PORT
    [[ $2 =~ ^[0-5]$ ]] || die "port=$2: AHCI ports are 0-5"
    [ -z "${USED[$1.$2]:-}" ] || die "$1 port $2 is already in use"
    USED[$1.$2]=1
}

n=0
for spec in "${DISKS[@]}"; do
    IFS=: read -r -a parts <<<"$spec"
    file=${parts[0]} port= format=raw bus=ide blkdebug= cache= size= readonly= serial= blocks=
    for opt in "${parts[@]:1}"; do
        case $opt in
        port=*)     port=${opt#port=} ;;
        format=*)   format=${opt#format=} ;;
        bus=ahci1)  bus=ahci1 ;;
        bus=ide|bus=ahci0) bus=ide ;;
        blkdebug=*) blkdebug=${opt#blkdebug=} ;;
        cache=*)    cache=${opt#cache=} ;;
        size=*)     size=${opt#size=} ;;
        readonly)   readonly=1 ;;
        physical_block_size=512|physical_block_size=4096|logical_block_size=512|logical_block_size=4096)
                    blocks+=",$opt" ;;
        serial=*)   serial=${opt#serial=}
                    [[ $serial =~ ^[A-Za-z0-9_.-]{1,20}$ ]] ||
                        die "--disk $spec: serial must be 1-20 characters of A-Z a-z 0-9 _ . -" ;;
        *)          die "--disk $spec: unknown option '$opt'" ;;
        esac
    done
    [ "$bus" = ide ] || [ $AHCI2 = 1 ] || die "--disk $spec: bus=ahci1 needs --ahci2"
    case $format in raw|qcow2) ;; *) die "--disk $spec: format must be raw or qcow2" ;; esac
    [ -n "$port" ] || port=$(next_port "$bus")
    claim "$bus" "$port"
    if [ "$file" = null ]; then
        drive="if=none,id=disk$n,driver=null-co,read-zeroes=on${size:+,size=$size}"
    else
        [ -e "$file" ] || [ $DRY_RUN = 1 ] || die "--disk $spec: $file not found"
        if [ -n "$blkdebug" ]; then
            drive="if=none,id=disk$n,format=$format,file=blkdebug:$(qesc "$blkdebug"):$(qesc "$file")"
        else
            drive="if=none,id=disk$n,format=$format,file=$(qesc "$file")"
        fi
    fi
    [ -z "$cache" ] || drive+=",cache=$cache"
    [ -z "$readonly" ] || drive+=",readonly=on"
    ARGS+=(-drive "$drive" -device "ide-hd,drive=disk$n,bus=$bus.$port${serial:+,serial=$serial}$blocks")
    n=$((n + 1))
done

n=0
for spec in "${CDROMS[@]}"; do
    file=${spec%%:*} port=
    case $spec in *:port=*) port=${spec##*:port=} ;; *:*) die "--cdrom $spec: unknown option" ;; esac
    [ -n "$port" ] || port=$(next_port ide)
    claim ide "$port"
    ARGS+=(-drive "if=none,id=cd$n,format=raw,media=cdrom,readonly=on,file=$(qesc "$file")"
           -device "ide-cd,drive=cd$n,bus=ide.$port")
    n=$((n + 1))
done

ARGS+=("${EXTRA[@]}")

if [ $DRY_RUN = 1 ]; then
    # Quote only what the shell would misread (%q would also escape commas).
    line=$QEMU
    for a in "${ARGS[@]}"; do
        if [[ $a =~ ^[-A-Za-z0-9_.,/:=+@%]+$ ]]; then line+=" $a"; else line+=" $(printf '%q' "$a")"; fi
    done
    echo "$line"
    exit 0
fi
status=0
"$QEMU" "${ARGS[@]}" || status=$?
exit $status
