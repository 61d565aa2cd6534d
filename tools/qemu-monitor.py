#!/usr/bin/env python3
"""qemu-monitor.py - send commands to a QEMU human monitor on a unix socket
(-monitor unix:PATH,server=on,wait=off) and print what it answers.

  qemu-monitor.py SOCKET COMMAND...      e.g.  qemu-monitor.py mon.sock system_reset cont

Each argument is one monitor command.  Exit status 1 when the socket cannot
be reached.  The power_cycle of tests/targets/qemu-pty*.cfg (standard
library only: no socat needed)."""
import socket
import sys
import time

PROMPT = b"(qemu) "


def read_to_prompt(s, timeout=10):
    data = b""
    end = time.monotonic() + timeout
    while not data.endswith(PROMPT):
        s.settimeout(max(0.1, end - time.monotonic()))
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(argv[1])
    except OSError as e:
        sys.stderr.write("qemu-monitor: %s: %s\n" % (argv[1], e))
        return 1
    with s:
        read_to_prompt(s)                       # the banner
        for cmd in argv[2:]:
            s.sendall(cmd.encode() + b"\n")
            out = read_to_prompt(s).decode(errors="replace")
            # The monitor echoes the command line; print only its answer.
            lines = out.replace("\r", "").split("\n")[1:-1]
            for l in lines:
                if l.strip():
                    print(l)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
