#!/usr/bin/env python3
"""pidcap's text lines against tcpdump's, on one capture of real traffic.

For: capturing with `pidcap -w` the traffic tcpdump_traffic.py makes in a
network namespace of this test (TCP with options, UDP, ICMP echo and port
unreachable, IPv6 with extension headers, neighbour discovery on a veth pair,
DNS over UDP and TCP from a resolver on port 53), then reading the file with
`pidcap -r` (the process suffix removed) and `tcpdump -n -r` with the same
flags, line by line; each flag set passes at 99 % identical lines or more,
and every difference is printed. Not for: the process names (accuracy.py).

Usage: tests/e2e/test_tcpdump.py [--pidcap build/pidcap] [--keep FILE]
Ends with "test_tcpdump: N passed, N failed".
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cli_helpers import Capture  # noqa: E402

NS = f"pctd{os.getpid()}"
FILTER = "net 127.61.0.0/16 or net fd00:61::/32 or net fd00:62::/32"
FLAG_SETS = ["", "-v", "-q", "-e", "-x", "-X", "-A", "-t", "-tt", "-ttt", "-tttt", "-ttttt"]
# "  comm[pid] -> ...", "  -> comm[pid]", "  (no process)": pidcap's suffix
SUFFIX = re.compile(r"  (\(no process\)|-> |\S+\[\d+\]).*$")


def sh(*argv, check=True):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


def setup():
    a, b = NS + "a", NS + "b"
    sh("ip", "netns", "add", a)
    sh("ip", "netns", "add", b)
    for ns in (a, b):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # the same name on both ends: tcpdump names an interface by its index
    sh("ip", "link", "add", "pctdv", "netns", a, "type", "veth", "peer", "name", "pctdv",
       "netns", b)
    for ns, addr in ((a, "fd00:62::1/64"), (b, "fd00:62::2/64")):
        sh("ip", "-n", ns, "link", "set", "pctdv", "up")
        sh("ip", "-n", ns, "addr", "add", addr, "dev", "pctdv", "nodad")
    for addr in ("fd00:61::1", "fd00:61::2", "fd00:61::53"):
        sh("ip", "-n", a, "addr", "add", addr + "/128", "dev", "lo", "nodad")
    return a


def teardown():
    for ns in (NS + "a", NS + "b"):
        sh("ip", "netns", "del", ns, check=False)


def lines(argv):
    env = dict(os.environ, TZ="UTC")
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    return r.stdout.decode(errors="replace").split("\n")[:-1]


def compare(pidcap, ns, path, flags):
    """Returns (identical, total, differences)."""
    f = flags.split()
    ours = [SUFFIX.sub("", x) for x in
            lines(["ip", "netns", "exec", ns, pidcap, *f, "-r", path])]
    theirs = lines(["ip", "netns", "exec", ns, "tcpdump", "-n", *f, "-r", path])
    total = max(len(ours), len(theirs))
    diffs = [(i + 1, o, t) for i, (o, t) in
             enumerate(zip(ours + [""] * (total - len(ours)), theirs + [""] * (total - len(theirs))))
             if o != t]
    return total - len(diffs), total, diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pidcap", default=os.path.join(HERE, "../../build/pidcap"))
    ap.add_argument("--keep", help="also copy the capture here")
    args = ap.parse_args()
    pidcap = os.path.abspath(args.pidcap)
    passed = failed = 0
    if not shutil.which("tcpdump"):
        print("FAIL setup: tcpdump is not installed (scripts/install-deps.sh --test)")
        print("test_tcpdump: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="pidcap-tcpdump-")
    path = os.path.join(tmp, "traffic.pcapng")
    try:
        teardown()
        ns = setup()
        cap = Capture(pidcap, ["-w", path, FILTER])
        out = sh("ip", "netns", "exec", ns, sys.executable,
                 os.path.join(HERE, "tcpdump_traffic.py"))
        time.sleep(1.0)
        cap.stop()
        if "done" not in out:
            raise RuntimeError(f"traffic did not finish: {out!r}")
        if args.keep:
            shutil.copy(path, args.keep)
        for flags in FLAG_SETS:
            same, total, diffs = compare(pidcap, ns, path, flags)
            pct = 100.0 * same / total if total else 0.0
            name = flags or "default"
            for n, o, t in diffs:
                print(f"  {name} line {n}:\n    pidcap:  {o!r}\n    tcpdump: {t!r}")
            if total >= 50 and pct >= 99.0:
                print(f"ok {name}: {same}/{total} lines identical ({pct:.1f} %)")
                passed += 1
            else:
                print(f"FAIL {name}: {same}/{total} lines identical ({pct:.1f} %)")
                failed += 1
    except Exception as e:  # noqa: BLE001 - any failure of the setup is a failed test
        print(f"FAIL setup: {e}")
        failed += 1
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_tcpdump: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
