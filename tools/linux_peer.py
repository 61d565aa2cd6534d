"""linux_peer.py - the Linux guest `make bench` measures ntstor against
(tools/bench.py, docs/performance.md "Method").

Everything comes from Debian packages fetched with `apt-get download` into
build/linux-peer/debs (nothing is installed on the host; a second run finds
them there and fetches nothing): the kernel image (linux-image-amd64's
current version, its AHCI/SCSI modules), fio, busybox-static, and the
shared libraries fio really runs on (libc6, libaio1, libnuma1, zlib1g).

Debian's fio also links the Ceph, Gluster, RDMA, PMEM and NBD engines into
its binary; their libraries and dependencies are ~200 MB, which would make
the initramfs slow to unpack under TCG.  They are replaced by generated stub
libraries with the same sonames and symbol versions whose functions abort:
bench uses only the libaio and io_uring engines, which never call them.

The initramfs has two parts (Linux unpacks concatenated cpio archives): the
base (busybox as /init's shell, fio, libraries, modules), built once and
cached, and a small per-run part holding the job list.  /init loads the
modules, sets the scheduler of every benchmarked disk to none, runs each
fio job (direct I/O, JSON output) between marker lines on the serial
console, and powers off.
"""
import gzip
import io
import os
import re
import shutil
import stat
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PEER = os.path.join(ROOT, "build", "linux-peer")
PACKAGES = ["fio", "busybox-static", "libc6", "libaio1", "libnuma1", "zlib1g"]
# The modules the disks need; what they depend on (their modinfo depends=)
# is loaded first.  crct10dif_generic provides the checksum crc-t10dif (for
# sd_mod's t10-pi) asks the crypto API for, which nothing would load on
# demand without modprobe.
MODULES = ["ahci", "crct10dif_generic", "sd_mod"]
REAL_LIBS = ["libc.so.6", "libm.so.6", "libz.so.1", "libaio.so.1", "libnuma.so.1"]
BEGIN, END = "=====FIO-BEGIN", "=====FIO-END"


class PeerError(Exception):
    """Why the Linux peer cannot be built (bench goes on without it)."""


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise PeerError("%s failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()[-400:]))
    return r.stdout


def _kernel_package():
    out = _run(["apt-cache", "depends", "linux-image-amd64"])
    m = re.search(r"Depends: (linux-image-[0-9][^\s]*-amd64)", out)
    if not m:
        raise PeerError("apt-cache: linux-image-amd64 names no kernel image package")
    return m.group(1)


def fetch():
    """The .debs in build/linux-peer/debs, downloaded on the first run."""
    debs = os.path.join(PEER, "debs")
    os.makedirs(debs, exist_ok=True)
    have = os.listdir(debs)
    wanted = PACKAGES + ([] if any(d.startswith("linux-image-") for d in have)
                         else [_kernel_package()])
    missing = [p for p in wanted if not any(d.startswith(p + "_") for d in have)]
    if missing:
        print("bench: fetching %s (apt-get download, into %s)" % (" ".join(missing), debs),
              flush=True)
        _run(["apt-get", "download"] + missing, cwd=debs)
    return debs


def _extract(debs, into):
    if os.path.isdir(into):
        shutil.rmtree(into)
    os.makedirs(into)
    for d in sorted(os.listdir(debs)):
        if d.endswith(".deb"):
            _run(["dpkg-deb", "-x", os.path.join(debs, d), into])


def _dyn_syms(path):
    """(defined names, undefined [(name, version or None, type)]) of an ELF."""
    defined, undefined = set(), []
    for line in _run(["readelf", "--dyn-syms", "-W", path]).splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":") or not f[0][:-1].isdigit():
            continue
        typ, bind, ndx, name = f[3], f[4], f[6], f[7]
        base, _, ver = name.partition("@")
        ver = ver.lstrip("@") or None
        if ndx == "UND":
            if base and bind != "WEAK":
                undefined.append((base, ver, typ))
        else:
            defined.add(base)
    return defined, undefined


def _verneed(path):
    """{version name: file} from .gnu.version_r."""
    out, cur = {}, None
    for line in _run(["readelf", "-V", "-W", path]).splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            cur = m.group(1)
        m = re.search(r"Name: (\S+)\s+Flags", line)
        if m and cur:
            out[m.group(1)] = cur
    return out


def _needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                      _run(["readelf", "-d", "-W", path]))


def _find_lib(root, name):
    """A library of the extracted packages (/lib or /usr/lib multiarch), or None."""
    for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"):
        p = os.path.join(root, d, name)
        if os.path.exists(p):
            return p
    return None


def _make_stubs(fio, root, libdir, stubdir):
    """Stub libraries (into libdir) for the sonames fio needs that no
    fetched package has."""
    real = set()
    for lib in REAL_LIBS:
        real |= _dyn_syms(_find_lib(root, lib))[0]
    _, undefined = _dyn_syms(fio)
    vfile = _verneed(fio)
    stubs = [n for n in _needed(fio) if not _find_lib(root, n)]
    per = {n: {} for n in stubs}        # soname -> {version or None: [(sym, type)]}
    for name, ver, typ in undefined:
        if name in real:
            continue
        owner = vfile.get(ver) if ver else None
        if owner not in per:
            owner = stubs[0]            # unversioned: any library in scope may define it
            ver = None
        per[owner].setdefault(ver, []).append((name, typ))
    os.makedirs(stubdir, exist_ok=True)
    for soname, byver in per.items():
        c = ["/* generated by tools/linux_peer.py: %s is not shipped (see there) */" % soname,
             "void abort(void);"]
        script = []
        for ver, syms in sorted(byver.items(), key=lambda kv: kv[0] or ""):
            for name, typ in syms:
                if typ == "OBJECT":
                    c.append("char %s[64];" % name)
                else:
                    c.append("void %s(void) { abort(); }" % name)
            if ver:
                script.append("%s { global: %s; };" % (ver, "; ".join(n for n, _ in syms)))
        # Versions fio names for this file but takes no symbol from still
        # have to exist, or ld.so refuses the library.
        for ver, f in vfile.items():
            if f == soname and ver not in byver:
                script.append("%s { };" % ver)
        src = os.path.join(stubdir, soname + ".c")
        with open(src, "w") as fh:
            fh.write("\n".join(c) + "\n")
        cmd = ["gcc", "-shared", "-fPIC", "-nostdlib", "-o", os.path.join(libdir, soname),
               "-Wl,-soname," + soname, src]
        if script:
            vs = os.path.join(stubdir, soname + ".map")
            with open(vs, "w") as fh:
                fh.write("\n".join(script) + "\n")
            cmd.append("-Wl,--version-script=" + vs)
        _run(cmd)
    return sorted(per)


class Cpio:
    """A newc cpio archive (what the kernel's initramfs unpacker reads)."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b""):
        hdr = "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X" % (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
        self.ino += 1
        self.buf.write(hdr.encode() + name.encode() + b"\0")
        self.buf.write(b"\0" * (-(110 + len(name) + 1) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o755):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def gz(self):
        self._entry("TRAILER!!!", 0)
        return gzip.compress(self.buf.getvalue(), compresslevel=6)


INIT = r"""#!/bin/busybox sh
# /init of the Linux peer (tools/linux_peer.py): modules, disks, fio, off.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m.ko || echo "peer: insmod $m failed"; done
# The disks come up asynchronously; wait for every port the jobs name.
. /jobs.conf
n=0
while [ $n -lt 300 ]; do
    ok=1
    for p in $PORTS; do [ -n "$(disk_of $p)" ] || ok=0; done
    [ $ok = 1 ] && break
    sleep 0.1; n=$((n + 1))
done
for p in $PORTS; do
    d=$(disk_of $p)
    echo none > /sys/block/$d/queue/scheduler
    echo "peer: port $p is /dev/$d ($(cat /sys/block/$d/size) sectors, scheduler $(cat /sys/block/$d/queue/scheduler))"
done
run_jobs
echo "=====PEER-DONE"
poweroff -f
"""

# Shell helpers the per-run jobs.conf uses: ATA port p of the first
# controller is libata's ata<p+1>.
HELPERS = r"""
disk_of() {
    for b in /sys/block/sd*; do
        case $(readlink -f $b) in */ata$(($1 + 1))/*) echo ${b##*/}; return;; esac
    done
}
"""


def build_base():
    """build/linux-peer/{vmlinuz,base.cpio.gz}, rebuilt only when missing."""
    kernel = os.path.join(PEER, "vmlinuz")
    base = os.path.join(PEER, "base.cpio.gz")
    if os.path.exists(kernel) and os.path.exists(base) and \
            os.path.getmtime(base) >= os.path.getmtime(os.path.abspath(__file__)):
        return kernel, base
    debs = fetch()
    root = os.path.join(PEER, "root")
    _extract(debs, root)
    libdir = os.path.join(root, "lib", "x86_64-linux-gnu")
    fio = os.path.join(root, "usr", "bin", "fio")
    stubs = _make_stubs(fio, root, libdir, os.path.join(PEER, "stubs"))
    moddirs = os.listdir(os.path.join(root, "lib", "modules"))
    if len(moddirs) != 1:
        raise PeerError("expected one kernel in the packages, found %s" % moddirs)
    kver = moddirs[0]
    kos = {}
    for dirpath, _, files in os.walk(os.path.join(root, "lib", "modules", kver)):
        for f in files:
            if f.endswith(".ko"):
                kos[f[:-3].replace("-", "_")] = os.path.join(dirpath, f)

    c = Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "usr", "usr/bin", "lib", "lib64",
              "lib/x86_64-linux-gnu", "lib/modules"):
        c.dir(d)
    with open(os.path.join(root, "bin", "busybox"), "rb") as fh:
        c.file("bin/busybox", fh.read())
    with open(fio, "rb") as fh:
        c.file("usr/bin/fio", fh.read())
    libs = set(REAL_LIBS) | set(stubs) | {"ld-linux-x86-64.so.2"}
    for lib in sorted(libs):
        with open(os.path.realpath(_find_lib(root, lib)), "rb") as fh:
            c.file("lib/x86_64-linux-gnu/" + lib, fh.read())
    c.symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    order = []

    def load(m):
        m = m.replace("-", "_")
        if m in order:
            return
        if m not in kos:
            raise PeerError("kernel %s has no module %s" % (kver, m))
        with open(kos[m], "rb") as fh:
            data = fh.read()
        deps = re.search(rb"\0depends=([^\0]*)\0", data)
        for d in (deps.group(1).decode().split(",") if deps else []):
            if d:
                load(d)
        c.file("lib/modules/%s.ko" % m, data, 0o644)
        order.append(m)
    for m in MODULES:
        load(m)
    c.file("modules.order", ("\n".join(order) + "\n").encode(), 0o644)
    c.file("init", INIT.encode())
    with open(base + ".tmp", "wb") as fh:
        fh.write(c.gz())
    shutil.copyfile(os.path.join(root, "boot", "vmlinuz-" + kver), kernel + ".tmp")
    os.replace(base + ".tmp", base)
    os.replace(kernel + ".tmp", kernel)
    shutil.rmtree(root)
    return kernel, base


def build_jobs(jobs, path):
    """The per-run part: jobs is [(name, [ATA ports], [fio options])]; each
    job's options name the disks as @<port>, replaced by /dev/sdX in the
    guest."""
    ports = sorted({p for _, ps, _ in jobs for p in ps})
    lines = ["PORTS=\"%s\"" % " ".join(map(str, ports)), HELPERS, "run_jobs() {"]
    for name, ps, opts in jobs:
        args = []
        for o in opts:
            m = re.fullmatch(r"--filename=@(\d+)", o)
            args.append("--filename=/dev/$(disk_of %s)" % m.group(1) if m else "'%s'" % o)
        lines.append("    echo '%s %s'" % (BEGIN, name))
        lines.append("    fio --output-format=json %s 2>&1" % " ".join(args))
        lines.append("    echo '%s %s'" % (END, name))
    lines.append("}")
    c = Cpio()
    c.file("jobs.conf", ("\n".join(lines) + "\n").encode(), 0o644)
    with open(path, "wb") as fh:
        fh.write(c.gz())
    return path
