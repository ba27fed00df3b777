#!/usr/bin/env python3
"""End-to-end test of counting mode under a SYN flood: bounded, never fatal, exact.

For: the exporter and `pidcap top --batch` while a raw socket sends 500,000 TCP
SYNs from distinct 127/8 sources and ports to a local listener (one kernel flow
each, far past the kernel's 65,536-entry flows map): /metrics keeps answering,
the RSS stays under the bound the README states, a real client's UDP traffic
alongside is counted to the byte, and the limits are counted and exported.
Not for: the exporter's HTTP (test_exporter.py) or top's accuracy (test_top.py).

Usage: tests/e2e/test_flood.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_flood: N passed, N failed"; exits 1 if any test failed.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import Capture, TestError, _end, _track  # noqa: E402
from test_exporter import Exporter, Fail, check, parse_metrics, value  # noqa: E402
import test_exporter  # noqa: E402

TEST_TIMEOUT = 120
PIDCAP = os.path.join(ROOT, "build", "pidcap")
SYNS = 500000
FLOOD_SECONDS = 40          # the flood stops here even if not all SYNs are out
RSS_BOUND_KB = 128 * 1024   # README, "Reliability"
BYTES = "process_network_io_bytes_total"

# The flooder: a raw socket (IP_HDRINCL) sending SYNs to 127.0.0.1:PORT from
# 127.a.b.c:sport, one distinct source per SYN; bounded by count and time.
# Prints the number sent.
FLOOD_SRC = r'''
import socket, struct, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
dst = socket.inet_aton("127.0.0.1")
deadline = time.monotonic() + secs
sent = 0
for i in range(n):
    if i % 1000 == 0 and time.monotonic() > deadline:
        break
    a = 1 + (i >> 16) % 254
    src = bytes((127, a, (i >> 8) & 255, i & 255))
    sport = 1024 + i % 60000
    tcp = struct.pack("!HHIIBBHHH", sport, port, i, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    data = pseudo + tcp
    c = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    tcp = tcp[:16] + struct.pack("!H", ~c & 0xffff) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)
    try:
        s.sendto(ip + tcp, ("127.0.0.1", 0))
        sent += 1
    except OSError:
        pass
print(sent, flush=True)
'''


class Flood:
    """A listener that never accepts, and the flooder aimed at it."""

    def __init__(self, n=SYNS, secs=FLOOD_SECONDS):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.proc = _track(subprocess.Popen(
            [sys.executable, "-c", FLOOD_SRC, str(self.port), str(n), str(secs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE))

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(self.proc)
            raise TestError("the flooder did not stop by itself") from None
        _end(self.proc)
        self.lsock.close()
        if self.proc.returncode:
            raise TestError(f"flooder exited {self.proc.returncode}: {err.decode()[-300:]!r}")
        return int(out.split()[0])

    def close(self):
        _end(self.proc)
        self.lsock.close()


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Scraper(threading.Thread):
    """Scrapes every 0.5 s while the flood runs; keeps the worst latency and errors."""

    def __init__(self, exp):
        super().__init__(daemon=True)
        self.exp = exp
        self.stop = threading.Event()
        self.worst = 0.0
        self.count = 0
        self.errors = []
        self.last = b""

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                st, _, body = self.exp.get()
                if st != 200:
                    self.errors.append(f"status {st}")
                self.last = body
            except OSError as e:
                self.errors.append(str(e))
            self.worst = max(self.worst, time.monotonic() - t0)
            self.count += 1
            self.stop.wait(0.5)


def test_exporter_flood():
    """500,000 SYNs: /metrics answers, RSS bounded, a real client counted exactly,
    the limits exported."""
    exp = Exporter()
    flood = sink = src = None
    scraper = Scraper(exp)
    try:
        sink = h.Child()
        src = h.Child()
        flood = Flood()
        scraper.start()
        n, size = 200, 100
        time.sleep(3)  # the flows map is full by now
        src.send(("127.0.0.1", sink.port), n=n, interval=0.01, size=size)
        peak = 0
        while flood.running():
            peak = max(peak, status_kb(exp.pid, "VmRSS"))
            time.sleep(0.5)
        sent = flood.wait(10)
        time.sleep(1)
        scraper.stop.set()
        scraper.join(15)
        peak = max(peak, status_kb(exp.pid, "VmHWM"))
        print(f"  {sent} SYNs, {scraper.count} scrapes, worst {scraper.worst:.2f} s, "
              f"VmHWM {peak // 1024} MiB", flush=True)
        check(exp.proc.poll() is None, f"exporter exited: {exp.errtext()[-300:]!r}")
        check(sent >= SYNS // 2, f"only {sent} SYNs sent in {FLOOD_SECONDS} s")
        check(not scraper.errors, f"scrapes failed: {scraper.errors[:3]}")
        check(scraper.worst < 10, f"a scrape took {scraper.worst:.1f} s")
        check(peak < RSS_BOUND_KB, f"VmHWM {peak} kB, bound {RSS_BOUND_KB} kB")
        st, _, body = exp.get()
        s = parse_metrics(body.decode())
        wire = n * (size + 28)
        got_tx = value(s, BYTES, process_pid=str(src.pid), network_io_direction="transmit")
        got_rx = value(s, BYTES, process_pid=str(sink.pid), network_io_direction="receive")
        check(got_tx == wire, f"sender: {got_tx} bytes transmitted, want {wire}")
        check(got_rx == wire, f"receiver: {got_rx} bytes received, want {wire}")
        full = value(s, "pidcap_flows_map_full_total")
        check(full and full > 0, f"pidcap_flows_map_full_total {full}")
        for name in ("pidcap_flows_evicted_total", "pidcap_flows_folded_total",
                     "pidcap_packets_uncounted_total"):
            check(value(s, name) is not None, f"{name} not exported")
        listener = value(s, "process_network_io_packets_total", process_pid=str(os.getpid()),
                         network_io_direction="receive")
        check(listener and listener >= sent // 2,
              f"listener: {listener} packets received, {sent} SYNs sent")
    finally:
        scraper.stop.set()
        for c in (flood, sink, src):
            if c:
                c.close()
        rc = exp.stop()
        check(rc == 0, f"exporter exited {rc} on SIGINT")


def test_top_flood():
    """pidcap top --batch under the same flood: every snapshot, the limits in the header."""
    flood = Flood(n=SYNS, secs=20)
    top = None
    try:
        top = Capture(PIDCAP, ["top", "--batch", "-d", "1", "-n", "6"], wait_listening=False)
        rc = top.wait_exit(60)
        out = top.out.decode(errors="replace")
        heads = re.findall(r"^\S+Z interval [\d.]+ s: ", out, re.M)
        check(rc == 0, f"top exited {rc}: {top.errtext()[-300:]!r}")
        check(len(heads) == 6, f"{len(heads)} snapshots, want 6")
        check(re.search(r"^flow limits: \S+ evicted, \S+ packets per process only", out, re.M),
              f"no 'flow limits' line: {out[-600:]!r}")
    finally:
        flood.close()
        if top:
            _end(top.proc)


TESTS = [
    ("exporter_flood", test_exporter_flood),
    ("top_flood", test_top_flood),
]


def _set_pidcap(path):
    global PIDCAP
    PIDCAP = path
    test_exporter.PIDCAP = path


def main():
    return h.run_suite("test_flood", TESTS, __doc__, PIDCAP, TEST_TIMEOUT, (Fail, TestError),
                       _set_pidcap)


if __name__ == "__main__":
    sys.exit(main())
