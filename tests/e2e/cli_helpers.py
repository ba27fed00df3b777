"""Runs pidcap and small traffic processes for the command-line tests (test_cli.py).

For: starting pidcap with given options and collecting its output and exit status,
and starting Python child processes with known pids (optionally renamed with
PR_SET_NAME or running as another uid) that send UDP/TCP on loopback when told.
Not for: judging pidcap's output (test_cli.py) or namespace set-up (harness.py).
Every wait here is bounded; every process is started here and ended by its pid.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import traceback
import time

LISTEN_TIMEOUT = 60.0    # loading and attaching the eBPF programs
STOP_TIMEOUT = 15.0      # from SIGINT to exit
SETTLE = 0.6             # hold queue (300 ms) + poll interval + margin

# The traffic process. argv[1] is a JSON config:
#   bind: address to bind a UDP socket to (port: optional, default 0)
#   comm_hex: new name for PR_SET_NAME, as hex bytes (optional)
#   uid/gid: drop to these ids before creating any socket (optional)
# It prints {"pid", "port", "comm", "uid"} and then serves JSON commands on stdin:
#   {"op": "send", "to": [addr, port], "n": N, "interval": s, "size": k}
#   {"op": "tcp", "n": N, "interval": s}   (a TCP connection to itself)
#   {"op": "exit"}
# answering {"done": op} after each. It drains its UDP socket all the time and
# exits by itself after "lifetime" seconds.
CHILD_SRC = r'''
import ctypes, json, os, select, socket, sys, time
cfg = json.loads(sys.argv[1])
deadline = time.monotonic() + cfg.get("lifetime", 90)
if cfg.get("comm_hex") is not None:
    libc = ctypes.CDLL(None, use_errno=True)
    name = bytes.fromhex(cfg["comm_hex"])
    if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")
if cfg.get("uid") is not None:
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET
sock = socket.socket(family(cfg["bind"]), socket.SOCK_DGRAM)
sock.bind((cfg["bind"], cfg.get("port", 0)))
sock.setblocking(False)
extra = {}
def sender(addr):
    if family(addr) == sock.family:
        return sock
    if family(addr) not in extra:
        extra[family(addr)] = socket.socket(family(addr), socket.SOCK_DGRAM)
    return extra[family(addr)]
def drain():
    for _ in range(1000):
        try:
            sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
def say(obj):
    os.write(1, (json.dumps(obj) + "\n").encode())
with open("/proc/self/comm", "rb") as f:
    comm = f.read().rstrip(b"\n")
say({"pid": os.getpid(), "port": sock.getsockname()[1], "comm_hex": comm.hex(),
     "uid": os.getuid()})
def do_tcp(n, interval):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname(), timeout=10)
    a, _ = lst.accept()
    a.settimeout(10)
    for i in range(n):
        c.sendall(b"tcp noise %d " % i * 10)
        a.recv(65536)
        a.sendall(b"ack")
        c.recv(65536)
        time.sleep(interval)
    c.close(); a.close(); lst.close()
buf = b""
while time.monotonic() < deadline:
    ready, _, _ = select.select([0, sock], [], [], max(0, min(1, deadline - time.monotonic())))
    if sock in ready:
        drain()
    if 0 not in ready:
        continue
    data = os.read(0, 65536)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        cmd = json.loads(line)
        if cmd["op"] == "exit":
            sys.exit(0)
        if cmd["op"] == "send":
            to = (cmd["to"][0], cmd["to"][1])
            s = sender(to[0])
            for i in range(cmd["n"]):
                if time.monotonic() > deadline:
                    break
                s.sendto((b"pidcap cli test %d " % i).ljust(cmd.get("size", 32), b"."), to)
                drain()
                time.sleep(cmd.get("interval", 0.01))
        elif cmd["op"] == "tcp":
            do_tcp(cmd["n"], cmd.get("interval", 0.01))
        say({"done": cmd["op"]})
'''

_procs = []  # every Popen started here and not reaped yet


class TestError(Exception):
    """A test helper failed (child died, timeout): the test fails with this text."""


def _track(proc):
    _procs.append(proc)
    return proc


def _end(proc, sig=signal.SIGKILL, timeout=5.0):
    """Ends one process this module started, by its pid, and reaps it."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    if proc in _procs:
        _procs.remove(proc)


def cleanup():
    """Kills (by pid) and reaps every process started here that still runs."""
    for proc in list(_procs):
        _end(proc)


class LineChild:
    """A python child process speaking one JSON object per line on stdout,
    taking lines on stdin; what Child and traffic.Role share. label names it
    in errors."""

    def __init__(self, argv, label):
        self.proc = _track(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE))
        self.pid = self.proc.pid
        self.label = label
        self._buf = b""

    def _dead(self, what):
        err = b""
        if self.proc.poll() is not None:
            err = self.proc.stderr.read()[-2000:]
        return TestError(f"{self.label} {self.pid}: {what}; rc={self.proc.poll()} "
                         f"stderr={err.decode(errors='replace').strip()!r}")

    def recv(self, timeout=20.0):
        """The child's next JSON message."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._dead(f"no message within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise self._dead("exited before answering")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def write_line(self, text):
        try:
            self.proc.stdin.write((text + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._dead("stdin closed") from None


class Child(LineChild):
    """A traffic process with a known pid; see CHILD_SRC for what it can do."""

    def __init__(self, bind="127.0.0.1", port=0, comm=None, uid=None, gid=None, lifetime=90):
        cfg = {"bind": bind, "port": port, "lifetime": lifetime}
        if comm is not None:
            cfg["comm_hex"] = (comm.encode() if isinstance(comm, str) else comm).hex()
        if uid is not None:
            cfg["uid"], cfg["gid"] = uid, uid if gid is None else gid
        super().__init__([sys.executable, "-c", CHILD_SRC, json.dumps(cfg)], "child")
        hello = self.recv(20.0)
        if hello.get("pid") != self.pid:
            raise TestError(f"child {self.pid} reported pid {hello.get('pid')}")
        self.port = hello["port"]
        self.comm = bytes.fromhex(hello["comm_hex"])
        self.uid = hello["uid"]
        self.addr = bind

    def command(self, obj):
        self.write_line(json.dumps(obj))

    def start_send(self, to, n=10, interval=0.01, size=32):
        """Starts sending n UDP datagrams to (addr, port); finish with wait_done()."""
        self.command({"op": "send", "to": list(to), "n": n, "interval": interval,
                      "size": size})

    def send(self, to, n=10, interval=0.01, size=32):
        """Sends n UDP datagrams to (addr, port) and waits until they are sent."""
        self.start_send(to, n, interval, size)
        self.wait_done(10.0 + n * interval * 2)

    def start_tcp(self, n=10, interval=0.01):
        self.command({"op": "tcp", "n": n, "interval": interval})

    def wait_done(self, timeout=30.0):
        msg = self.recv(timeout)
        if "done" not in msg:
            raise TestError(f"child {self.pid}: unexpected message {msg}")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.command({"op": "exit"})
            except TestError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _end(self.proc)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


class Capture:
    """One pidcap process: its stdout and stderr are collected by two threads."""

    def __init__(self, pidcap, args, wrapper=(), wait_listening=True):
        self.argv = [*wrapper, pidcap, *args]
        self.proc = _track(subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        self.pid = self.proc.pid
        self._out, self._err = bytearray(), bytearray()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._reader, args=(f, b), daemon=True)
                         for f, b in ((self.proc.stdout, self._out),
                                      (self.proc.stderr, self._err))]
        for t in self._threads:
            t.start()
        self.rc = None
        if wait_listening:
            self.wait_listening()

    def _reader(self, f, buf):
        fd = f.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                buf.extend(chunk)

    @property
    def out(self):
        with self._lock:
            return bytes(self._out)

    @property
    def err(self):
        with self._lock:
            return bytes(self._err)

    def errtext(self):
        return self.err.decode(errors="replace")

    def wait_listening(self, timeout=LISTEN_TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"listening on" not in self.err:
            if self.proc.poll() is not None:
                self._join()
                raise TestError(f"pidcap exited {self.proc.returncode} before listening: "
                                f"{self.errtext().strip()[-500:]!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TestError(f"no 'listening on' within {timeout:.0f} s: "
                                f"{self.errtext().strip()[-500:]!r}")
            time.sleep(0.02)

    def _join(self):
        for t in self._threads:
            t.join(5.0)
        self.rc = self.proc.returncode

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGINT (to its pid), wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _end(self.proc)
                self._join()
                raise TestError(f"pidcap still running {timeout:.0f} s after SIGINT, killed")
        _end(self.proc)
        self._join()
        return self.rc

    def wait_exit(self, timeout):
        """Waits for pidcap to exit by itself; kills it and raises after timeout."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(self.proc)
            self._join()
            raise TestError(f"pidcap did not exit by itself within {timeout:.0f} s "
                            f"(killed); {len(self.lines())} lines printed") from None
        _end(self.proc)
        self._join()
        return self.rc

    def lines(self):
        """Complete stdout lines so far, as bytes."""
        data = self.out
        return data.split(b"\n")[:-1] if data else []

    def records(self):
        """Complete stdout lines parsed as JSON; raises TestError on a bad line."""
        recs = []
        for i, line in enumerate(self.lines()):
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise TestError(f"stdout line {i + 1} is not JSON ({e}): {line[:300]!r}") from None
        return recs

    def wait_for(self, pred, timeout=10.0):
        """Polls the JSON records until pred(records) is true; returns whether it became so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.records()):
                return True
            if self.proc.poll() is not None:
                return pred(self.records())
            time.sleep(0.05)
        return False

    def wait_for_text(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.lines()):
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return pred(self.lines())


def run(argv, timeout=20.0, **kw):
    """Runs a short command; returns (rc, stdout, stderr) as text. Kills it after timeout."""
    proc = _track(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, **kw))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end(proc)
        out, err = proc.communicate()
        raise TestError(f"{' '.join(argv)[:200]}: still running after {timeout:.0f} s, "
                        f"killed; stderr={err.decode(errors='replace')[-300:]!r}") from None
    _end(proc)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def free_pid():
    """A pid that no process has right now (checked against /proc)."""
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
    except (OSError, ValueError):
        pid_max = 32768
    for pid in range(pid_max - 1, max(pid_max - 2001, 1), -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise TestError("found no unused pid")


def libpcap_error(expr):
    """libpcap's own message for compiling expr on a DLT_RAW handle, or None."""
    name = ctypes.util.find_library("pcap")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.pcap_open_dead.restype = ctypes.c_void_p
    lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.pcap_geterr.restype = ctypes.c_char_p
    lib.pcap_geterr.argtypes = [ctypes.c_void_p]
    lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.c_int, ctypes.c_uint32]
    lib.pcap_close.argtypes = [ctypes.c_void_p]
    handle = lib.pcap_open_dead(12, 262144)  # DLT_RAW, as pidcap's filter
    if not handle:
        return None
    prog = ctypes.create_string_buffer(64)  # struct bpf_program, generously
    try:
        if lib.pcap_compile(handle, prog, expr.encode(), 1, 0xffffffff) >= 0:
            lib.pcap_freecode(prog)
            return None
        return lib.pcap_geterr(handle).decode(errors="replace")
    finally:
        lib.pcap_close(handle)


SUMMARY_RE = {
    "captured": re.compile(r"^(\d+) packets captured$", re.M),
    "dropped": re.compile(r"^(\d+) packets dropped by kernel$", re.M),
    "no_owner": re.compile(r"^(\d+) packets without owning process$", re.M),
}


def summary(stderr):
    """The numbers of pidcap's exit summary; a key is missing when its line is."""
    got = {}
    for key, rx in SUMMARY_RE.items():
        m = rx.search(stderr)
        if m:
            got[key] = int(m.group(1))
    return got


def run_suite(suite, tests, doc, default_pidcap, timeout, expected, set_pidcap, precheck=None):
    """The main() of a test script: parses --pidcap and --only, runs each
    (name, fn) of tests under a SIGALRM timeout, prints "ok NAME" or
    "FAIL NAME: reason" and "SUITE: N passed, N failed"; returns the exit
    code. expected: exception classes whose message is the reason; any
    other exception is a bug in the test and is shown with its place."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--pidcap", default=default_pidcap, help="the binary to test (default build/pidcap)")
    ap.add_argument("--only", default="", help="comma-separated test names to run")
    args = ap.parse_args()
    set_pidcap(os.path.abspath(args.pidcap))
    only = {n for n in args.only.split(",") if n}
    unknown = only - {n for n, _ in tests}
    if unknown:
        ap.error(f"unknown tests {sorted(unknown)}")

    def alarm(signum, frame):
        raise TestError(f"test still running after {timeout} s")

    signal.signal(signal.SIGALRM, alarm)
    passed = failed = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        reason = None
        signal.alarm(timeout)
        try:
            if precheck:
                precheck()
            fn()
        except expected as e:
            reason = str(e)
        except Exception as e:  # a bug in the test itself: show where
            tb = traceback.extract_tb(e.__traceback__)[-1]
            reason = f"{type(e).__name__}: {e} (at {os.path.basename(tb.filename)}:{tb.lineno})"
        finally:
            signal.alarm(0)
            cleanup()
        if reason is None:
            passed += 1
            print(f"ok {name}", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: {reason}", flush=True)
    print(f"{suite}: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0
