#!/usr/bin/env python3
"""End-to-end tests of the fallback backend (libpcap + sock_diag + /proc).

For: --backend auto falling back with its one notice line when eBPF cannot
load (simulated by dropping CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN with
setpriv, keeping CAP_NET_RAW and CAP_NET_ADMIN), --backend ebpf refusing to
fall back, --backend pcap --json as root, and pidcap top counting with it;
traffic from a child process with a known pid on 127.0.0.1. Not for: the
attribution table (accuracy.py --expect lookup does that).

Usage: tests/e2e/test_fallback.py [--pidcap build/pidcap]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_fallback: N passed, N failed"; exits 1 if any test failed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

NAME = "test_fallback"
NO_EBPF = ["setpriv", "--bounding-set", "-bpf,-perfmon,-sys_admin",
           "--inh-caps", "-bpf,-perfmon,-sys_admin", "--"]
LISTEN_TIMEOUT = 30.0
RUN_TIMEOUT = 30.0

# A long-lived process: one UDP socket talking to another of its own, for
# up to 20 s (the test kills it sooner); prints its pid and port first.
TALKER = r"""
import os, socket, sys, time
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
print(os.getpid(), a.getsockname()[1], flush=True)
sys.stdin.readline()
end = time.monotonic() + 20
while time.monotonic() < end:
    a.sendto(b"fallback " * 20, b.getsockname()); b.recv(2048); time.sleep(0.02)
"""


class TestError(Exception):
    pass


class Talker:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", TALKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        pid, port = self.proc.stdout.readline().split()
        self.pid, self.port = int(pid), int(port)

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def wait_for(path, text, proc):
    deadline = time.monotonic() + LISTEN_TIMEOUT
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(path, errors="replace") as f:
        raise TestError(f"no '{text}' from pidcap (exit {proc.poll()}): {f.read()[-800:]}")


def capture(pidcap, prefix, args, talker):
    """Runs prefix + pidcap args until -c is reached; returns (stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="pcfb-") as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(prefix + [pidcap] + args, stdout=o, stderr=e,
                                    stdin=subprocess.DEVNULL)
        try:
            wait_for(err, "listening on", proc)
            talker.go()
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise TestError("pidcap did not stop after -c") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with open(out, errors="replace") as f, open(err, errors="replace") as g:
            stdout, stderr = f.read(), g.read()
        if proc.returncode != 0:
            raise TestError(f"pidcap exited {proc.returncode}: {stderr[-800:]}")
        return stdout, stderr


def check_records(stdout, talker):
    """The talker's datagrams: its pid or none, never another; some named."""
    recs = [json.loads(line) for line in stdout.splitlines()]
    if not recs:
        raise TestError("no records")
    wrong = [r for r in recs if r["pid"] not in (None, talker.pid)]
    if wrong:
        raise TestError(f"{len(wrong)} records with a wrong pid, first: {wrong[0]}")
    named = [r for r in recs if r["pid"] == talker.pid]
    if len(named) < len(recs) // 2:
        raise TestError(f"only {len(named)} of {len(recs)} records name the talker")
    if named[-1]["peer_pid"] != talker.pid or named[-1]["comm"] is None:
        raise TestError(f"loopback record without its receiver or name: {named[-1]}")


def test_auto_falls_back(pidcap):
    talker = Talker()
    try:
        out, err = capture(pidcap, NO_EBPF, ["--backend", "auto", "--json", "-c", "40",
                                             f"udp port {talker.port}"], talker)
    finally:
        talker.stop()
    notices = [line for line in err.splitlines() if "eBPF not used" in line]
    if len(notices) != 1:
        raise TestError(f"want one notice line, got {len(notices)}: {err}")
    for word in ("missing capabilities", "falling back", "short-lived", "unbound UDP",
                 "network namespaces"):
        if word not in notices[0]:
            raise TestError(f"notice does not say '{word}': {notices[0]}")
    check_records(out, talker)


def test_ebpf_never_falls_back(pidcap):
    r = subprocess.run(NO_EBPF + [pidcap, "--backend", "ebpf", "-c", "1"], capture_output=True,
                       text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    if r.returncode != 1 or "missing capabilities" not in r.stderr or "falling back" in r.stderr:
        raise TestError(f"exit {r.returncode}, stderr: {r.stderr}")


def test_pcap_json(pidcap):
    talker = Talker()
    try:
        out, err = capture(pidcap, [], ["--backend", "pcap", "--json", "-c", "40",
                                        f"udp port {talker.port}"], talker)
    finally:
        talker.stop()
    if "eBPF not used" in err or "fallback" not in err:
        raise TestError(f"start-up line does not name the fallback alone: {err}")
    check_records(out, talker)


def test_top_counts(pidcap):
    talker = Talker()
    try:
        talker.go()
        r = subprocess.run([pidcap, "top", "--backend", "pcap", "--batch", "--json", "-d", "0.5",
                            "-n", "4"], capture_output=True, text=True, timeout=RUN_TIMEOUT,
                           stdin=subprocess.DEVNULL)
    finally:
        talker.stop()
    if r.returncode != 0:
        raise TestError(f"top exited {r.returncode}: {r.stderr}")
    last = json.loads(r.stdout.splitlines()[-1])
    rows = [p for p in last["processes"] if p["pid"] == talker.pid]
    if not rows or rows[0]["tx_bytes"] <= 0 or rows[0]["rx_bytes"] <= 0:
        raise TestError(f"no traffic counted for the talker {talker.pid}: {r.stdout[-600:]}")


def test_bad_backend(pidcap):
    r = subprocess.run([pidcap, "--backend", "bpf"], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT)
    if r.returncode != 2 or "--backend" not in r.stderr:
        raise TestError(f"exit {r.returncode}, stderr: {r.stderr}")


TESTS = [test_auto_falls_back, test_ebpf_never_falls_back, test_pcap_json, test_top_counts,
         test_bad_backend]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default="build/pidcap")
    args = ap.parse_args()
    pidcap = os.path.abspath(args.pidcap)
    passed = failed = 0
    for t in TESTS:
        name = t.__name__[len("test_"):]
        try:
            t(pidcap)
            print(f"ok {name}", flush=True)
            passed += 1
        except (TestError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
            print(f"FAIL {name}: {e}", flush=True)
            failed += 1
    print(f"{NAME}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
