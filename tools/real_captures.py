#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Takes the captures of tests/data/real/ the way a user takes them: kernel sockets at
both ends, tcpdump on `lo` with the offloads at their defaults (so every segment the
kernel sends carries the sending host's unfinished, offload-pending checksum).

Run by tools/make-real-captures inside a fresh network namespace (unshare -n): it
brings `lo` up there and talks only to 127.0.0.1 and ::1 of that namespace.

Each capture holds two connections of one story. The endpoint that receives the RST
makes one call after it: a read on the first connection, a write on the second (the
first call after a reset consumes the stored error, so each is measured alone). What
the calls returned goes into NAME.json beside NAME.pcap, for the tests to compare
with `rstlab analyze`'s predictions.

tcpdump is stopped deterministically: when a story is over, a UDP marker datagram goes
to 127.0.0.1:9; the capture is read from tcpdump's standard output as it comes and cut
just before the marker. Every wait is a poll() with a deadline, never a sleep."""

import errno
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading

DEADLINE_MS = 5000
MARKER = b"rstlab-real-captures-end"


def wait(sock, events, what):
    p = select.poll()
    p.register(sock, events)
    if not p.poll(DEADLINE_MS):
        raise RuntimeError("timed out waiting for " + what)


def call(f):
    """The result of one call, as the tests name it: "ok", "EOF" or an errno name."""
    try:
        r = f()
    except OSError as e:
        return errno.errorcode[e.errno]
    if isinstance(r, bytes) and len(r) == 0:
        return "EOF"
    return "ok"


def pair(family, port):
    """A connected client and the server's accepted socket."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    c = socket.socket(family, socket.SOCK_STREAM)
    c.connect((host, port))
    s, _ = ls.accept()
    ls.close()
    return c, s


def close_unread_data(family, port, first_call):
    """The client sends bytes the server never reads; the server closes: RST|ACK."""
    c, s = pair(family, port)
    c.sendall(b"request")
    wait(s, select.POLLIN, "the request")
    s.close()  # unread data: the kernel aborts with RST instead of FIN
    wait(c, select.POLLERR | select.POLLHUP, "the RST")
    r = call(lambda: c.recv(100)) if first_call == "read" else call(lambda: c.send(b"more"))
    c.close()
    return {"reset_from": "b", "receiver": "a", "call": first_call, "result": r}


def linger_zero(family, port, first_call):
    """The server closes with SO_LINGER {1, 0} and nothing pending: RST."""
    c, s = pair(family, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    wait(c, select.POLLERR | select.POLLHUP, "the RST")
    r = call(lambda: c.recv(100)) if first_call == "read" else call(lambda: c.send(b"more"))
    c.close()
    return {"reset_from": "b", "receiver": "a", "call": first_call, "result": r}


def broken_pipe(family, port, first_call):
    """The server closes (FIN); the client writes anyway and gets an RST back."""
    c, s = pair(family, port)
    s.close()
    wait(c, select.POLLIN, "the FIN")
    c.send(b"too late")  # accepted: a FIN only closes the server's sending direction
    wait(c, select.POLLERR, "the RST")
    r = call(lambda: c.recv(100)) if first_call == "read" else call(lambda: c.send(b"more"))
    c.close()
    return {"reset_from": "b", "receiver": "a", "call": first_call, "result": r}


# name: (story, address family, what tcpdump keeps)
BOTH = "tcp"
SERVER_ONLY = "tcp src port 40001 or tcp src port 40002"  # a tap that sees one direction
STORIES = {
    "close-unread-data-v4": (close_unread_data, socket.AF_INET, BOTH),
    "close-unread-data-v6": (close_unread_data, socket.AF_INET6, BOTH),
    "close-unread-data-v4-server-only": (close_unread_data, socket.AF_INET, SERVER_ONLY),
    "linger-zero-v4": (linger_zero, socket.AF_INET, BOTH),
    "broken-pipe-v4": (broken_pipe, socket.AF_INET, BOTH),
}


def capture(name, out_dir):
    story, family, keep = STORIES[name]
    tcpdump = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-U", "-w", "-", "(" + keep + ") or (udp and dst port 9)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # tcpdump says "listening on lo" once its socket is bound: from then on it sees all.
    line = b""
    p = select.poll()
    p.register(tcpdump.stderr, select.POLLIN)
    while b"listening on" not in line:
        if not p.poll(DEADLINE_MS):
            raise RuntimeError("tcpdump did not start")
        chunk = os.read(tcpdump.stderr.fileno(), 4096)
        if not chunk:
            raise RuntimeError("tcpdump exited: " + line.decode(errors="replace"))
        line += chunk
    # Read the pcap stream up to the marker while the story runs: a pipe tcpdump cannot
    # write to would stall it, and a full capture buffer would drop the marker.
    result = {}

    def read_until_marker():
        f = tcpdump.stdout
        result["header"] = f.read(24)
        records = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return  # tcpdump stopped first: no "records", the caller fails
            caplen = struct.unpack_from("<I", rec, 8)[0]
            data = f.read(caplen)
            if MARKER in data:
                result["records"] = records
                return
            records.append(rec + data)

    reader = threading.Thread(target=read_until_marker)
    reader.start()
    observed = [story(family, 40001, "read"), story(family, 40002, "write")]
    m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    m.sendto(MARKER, ("127.0.0.1", 9))
    m.close()
    reader.join(DEADLINE_MS / 1000)
    if "records" not in result:
        tcpdump.kill()
        raise RuntimeError("the marker never reached the capture")
    header, records = result["header"], result["records"]
    tcpdump.send_signal(signal.SIGINT)
    tcpdump.communicate(timeout=DEADLINE_MS / 1000)
    with open(os.path.join(out_dir, name + ".pcap"), "wb") as out:
        out.write(header)
        for r in records:
            out.write(r)
    with open(os.path.join(out_dir, name + ".json"), "w") as out:
        json.dump({"capture": "tcpdump -i lo -U -w - '" + keep + "' (offloads at their defaults)",
                   "connections": observed},
                  out, indent=1)
        out.write("\n")
    print(name, len(records), "packets", [o["call"] + " " + o["result"] for o in observed])


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    out_dir = sys.argv[1]
    for name in (sys.argv[2:] or STORIES):
        capture(name, out_dir)


if __name__ == "__main__":
    main()
