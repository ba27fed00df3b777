"""Processes with known pids and known traffic for the pidcap top and exporter tests.

For: starting small Python processes (optionally renamed with PR_SET_NAME, or
run from a copy of the interpreter under another name) that send and receive
a fixed amount of UDP or TCP on 127.0.0.1 or ::1 and report what they actually
sent and received. Not for: running or judging pidcap (test_top.py,
test_exporter.py). Every process is started here and ended by its pid (through
cli_helpers' tracking); every wait is bounded.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_helpers import LineChild, TestError, _end  # noqa: E402

# argv[1]: JSON config with "role" and its settings. Each role first prints
# {"pid", "port"} and ends with a JSON report of what it did; long-lived roles
# stop on "exit" (or EOF) on stdin, and all stop after "lifetime" seconds.
#   udp-sink  {addr}: counts datagrams it receives; "report" on stdin answers
#             {"rx_bytes", "rx_count"}
#   udp-send  {addr, to: [addr, port], n, size, rate}: sends n datagrams of
#             size bytes at rate per second, reports {"tx_bytes", "tx_count"},
#             exits unless "stay" (then waits for exit)
#   tcp-server {addr, reply}: accepts one connection (reports {"accepted"}),
#             reads to EOF, sends reply bytes, reports {"rx_bytes",
#             "tx_bytes"}, exits
#   tcp-client {to, n, wait_go}: connects, waits for "go" on stdin if
#             wait_go, sends n bytes, half-closes, reads to EOF, reports
#             {"tx_bytes", "rx_bytes"}, exits
#   tcp-loop  {addr, rate, size}: a TCP connection to itself, size bytes each
#             way rate times a second until exit
#   churn     {to, n, k, size}: forks n children one after the other, each
#             sends k datagrams of size bytes and exits; reports {"children"}
# Every role exits with status "exit" (default 0).
ROLE_SRC = r'''
import ctypes, json, os, select, socket, sys, time
cfg = json.loads(sys.argv[1])
deadline = time.monotonic() + cfg.get("lifetime", 120)
if cfg.get("comm"):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(15, ctypes.c_char_p(cfg["comm"].encode()), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")
def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET
def say(obj):
    os.write(1, (json.dumps(obj) + "\n").encode())
def stdin_cmd(timeout):
    r, _, _ = select.select([0], [], [], timeout)
    if not r:
        return None
    line = sys.stdin.readline()
    return line.strip() or "exit"
role = cfg["role"]
if role == "udp-sink":
    s = socket.socket(fam(cfg["addr"]), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((cfg["addr"], 0))
    say({"pid": os.getpid(), "port": s.getsockname()[1]})
    rx = cnt = 0
    while time.monotonic() < deadline:
        r, _, _ = select.select([0, s], [], [], 1)
        if s in r:
            for _ in range(1000):
                try:
                    d = s.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                rx += len(d); cnt += 1
        if 0 in r:
            c = sys.stdin.readline().strip() or "exit"
            if c == "report":
                say({"rx_bytes": rx, "rx_count": cnt})
            elif c == "exit":
                break
elif role == "udp-send":
    to = (cfg["to"][0], cfg["to"][1])
    s = socket.socket(fam(to[0]), socket.SOCK_DGRAM)
    s.bind((cfg.get("addr", "::1" if ":" in to[0] else "127.0.0.1"), 0))
    say({"pid": os.getpid(), "port": s.getsockname()[1]})
    data = b"p" * cfg["size"]
    tx = cnt = 0
    start = time.monotonic()
    for i in range(cfg["n"]):
        if time.monotonic() > deadline:
            break
        tx += s.sendto(data, to); cnt += 1
        wait = start + (i + 1) / cfg["rate"] - time.monotonic()
        if wait > 0:
            if cfg.get("stay") and stdin_cmd(wait) == "exit":
                break
            elif not cfg.get("stay"):
                time.sleep(wait)
    say({"tx_bytes": tx, "tx_count": cnt})
    while cfg.get("stay") and time.monotonic() < deadline:
        if stdin_cmd(1) == "exit":
            break
elif role == "tcp-server":
    l = socket.socket(fam(cfg["addr"]), socket.SOCK_STREAM)
    l.bind((cfg["addr"], 0)); l.listen(1)
    say({"pid": os.getpid(), "port": l.getsockname()[1]})
    l.settimeout(30)
    c, _ = l.accept(); c.settimeout(30)
    say({"accepted": c.getpeername()[1]})
    rx = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        rx += len(d)
    c.sendall(b"r" * cfg["reply"])
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close(); l.close()
    say({"rx_bytes": rx, "tx_bytes": cfg["reply"]})
elif role == "tcp-client":
    to = (cfg["to"][0], cfg["to"][1])
    c = socket.create_connection(to, timeout=30)
    say({"pid": os.getpid(), "port": c.getsockname()[1]})
    if cfg.get("wait_go") and stdin_cmd(30) != "go":
        sys.exit(3)
    left = cfg["n"]
    while left:
        k = min(left, 16384)
        c.sendall(b"c" * k)
        left -= k
    c.shutdown(socket.SHUT_WR)
    rx = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        rx += len(d)
    c.close()
    say({"tx_bytes": cfg["n"], "rx_bytes": rx})
elif role == "churn":
    to = (cfg["to"][0], cfg["to"][1])
    say({"pid": os.getpid(), "port": 0})
    pids = []
    for i in range(cfg["n"]):
        pid = os.fork()
        if pid == 0:
            s = socket.socket(fam(to[0]), socket.SOCK_DGRAM)
            for _ in range(cfg["k"]):
                s.sendto(b"c" * cfg["size"], to)
            os._exit(0)
        pids.append(pid)
        os.waitpid(pid, 0)
    say({"children": pids})
elif role == "tcp-loop":
    l = socket.socket(fam(cfg["addr"]), socket.SOCK_STREAM)
    l.bind((cfg["addr"], 0)); l.listen(1)
    c = socket.create_connection(l.getsockname()[:2], timeout=10)
    a, _ = l.accept(); a.settimeout(10)
    say({"pid": os.getpid(), "port": c.getsockname()[1], "peer_port": l.getsockname()[1]})
    data = b"t" * cfg["size"]
    while time.monotonic() < deadline:
        c.sendall(data)
        got = 0
        while got < len(data):
            got += len(a.recv(65536))
        if stdin_cmd(1.0 / cfg["rate"]) == "exit":
            break
    c.close(); a.close(); l.close()
sys.exit(cfg.get("exit", 0))
'''


class Role(LineChild):
    """One traffic process; hello is its first report ({"pid", "port"})."""

    def __init__(self, exe=None, **cfg):
        super().__init__([exe or sys.executable, "-c", ROLE_SRC, json.dumps(cfg)], cfg["role"])
        self.cfg = cfg
        self.hello = self.recv(20.0)
        if self.hello.get("pid") != self.pid:
            raise TestError(f"{cfg['role']} {self.pid} reported pid {self.hello.get('pid')}")
        self.port = self.hello["port"]

    def say(self, word):
        self.write_line(word)

    def wait(self, timeout=30.0):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise self._dead(f"still running after {timeout:.0f} s") from None
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            try:
                self.say("exit")
                self.proc.wait(timeout=5)
            except (TestError, subprocess.TimeoutExpired):
                pass
        _end(self.proc)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


def udp_exchange(addr, n, size, rate=2000.0, exe=None, comm=None):
    """A short-lived sender and a sink on addr (both named comm if given):
    returns {pid: (tx, rx)} actually done."""
    named = {"comm": comm} if comm else {}
    sink = Role(exe=exe, role="udp-sink", addr=addr, **named)
    try:
        snd = Role(exe=exe, role="udp-send", addr=addr, to=[addr, sink.port], n=n, size=size,
                   rate=rate, **named)
        rep = snd.recv(60.0)
        snd.wait()
        deadline = time.monotonic() + 10
        while True:
            sink.say("report")
            got = sink.recv(10.0)
            if got["rx_count"] >= rep["tx_count"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return {snd.pid: (rep["tx_bytes"], 0), sink.pid: (0, got["rx_bytes"])}
    finally:
        sink.close()


def tcp_exchange(addr, n, reply, exe=None, after_accept=True):
    """A short-lived client and server: returns {pid: (tx, rx)} payload bytes.
    after_accept: the client sends once the server's accept() has returned."""
    srv = Role(exe=exe, role="tcp-server", addr=addr, reply=reply)
    try:
        cli = Role(exe=exe, role="tcp-client", to=[addr, srv.port], n=n, wait_go=after_accept)
        if after_accept:
            srv.recv(30.0)
            cli.say("go")
        crep = cli.recv(60.0)
        srep = srv.recv(60.0)
        if "accepted" in srep:
            srep = srv.recv(60.0)
        cli.wait()
        srv.wait()
        return {cli.pid: (crep["tx_bytes"], crep["rx_bytes"]),
                srv.pid: (srep["tx_bytes"], srep["rx_bytes"])}
    finally:
        srv.close()
