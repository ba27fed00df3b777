#!/usr/bin/env python3
"""Entry point of `make e2e`: runs every end-to-end test script and sums them.

For: running each script in TESTS (an executable Python file in this directory
that takes --pidcap and ends with a `NAME: N passed, N failed` line), showing
its output, and printing `e2e: N passed, N failed`. A SKIP line, a missing
summary, a non-zero exit or a timeout counts as a failure. Not for: the tests
themselves.
"""

import argparse
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = [
    "accuracy.py",
    # the eBPF build for kernels before 6.2, forced on this kernel
    "PIDCAP_BPF_VARIANT=compat accuracy.py",
    # the fallback without eBPF: libpcap + sock_diag + /proc lookups
    "PIDCAP_E2E_ARGS=--backend=pcap PIDCAP_E2E_EXPECT=lookup accuracy.py",
    # each optional eBPF program refused (PIDCAP_BPF_REJECT), and core ones
    "test_degraded.py",
    "test_fallback.py",
    "test_cli.py",
    "test_capfile.py",
    "test_tcpdump.py",
    # Wireshark 4.6 (Debian unstable, in a cached root) reads every process
    "test_wireshark.py",
    "test_top.py",
    "test_exporter.py",
    # podman + runc: containers on the podman bridge, named in every output
    "test_containers.py",
    # bounded under a SYN flood; signals with -- CMD, pid reuse
    "test_flood.py",
    "test_faults.py",
]
TEST_TIMEOUT = 600  # seconds per script
SUMMARY_RE = re.compile(r"^([\w.-]+): (\d+) passed, (\d+) failed$")
SKIP_RE = re.compile(r"\bSKIP\b")


def run_one(script, pidcap):
    """Runs one script ("VAR=value ... script.py" sets environment variables),
    echoing its output; returns (passed, failed)."""
    words = script.split()
    env = dict(os.environ)
    env.update(w.split("=", 1) for w in words[:-1])
    cmd = [sys.executable, os.path.join(HERE, words[-1]), "--pidcap", pidcap]
    print(f"=== e2e: {script}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + TEST_TIMEOUT
    out = bytearray()
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        out.extend(chunk)
    proc.stdout.close()
    try:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        print(f"e2e: {script} killed after {TEST_TIMEOUT} s", flush=True)
        return 0, 1
    lines = out.decode(errors="replace").splitlines()
    skips = [line for line in lines if SKIP_RE.search(line)]
    match = SUMMARY_RE.match(lines[-1]) if lines else None
    if not match:
        print(f"e2e: {script} exited {proc.returncode} without a summary line", flush=True)
        return 0, 1
    passed, failed = int(match.group(2)), int(match.group(3))
    if skips:
        print(f"e2e: {script} skipped something; skips are failures here", flush=True)
        failed += len(skips)
    if proc.returncode != 0 and failed == 0:
        print(f"e2e: {script} exited {proc.returncode} with no failure counted", flush=True)
        failed = 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default="build/pidcap", help="the pidcap binary to test")
    ap.add_argument("tests", nargs="*", help=f"scripts to run (default: {' '.join(TESTS)})")
    args = ap.parse_args()
    pidcap = os.path.abspath(args.pidcap)
    total_passed = total_failed = 0
    for script in args.tests or TESTS:
        passed, failed = run_one(script, pidcap)
        total_passed += passed
        total_failed += failed
    print(f"e2e: {total_passed} passed, {total_failed} failed", flush=True)
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
