#!/usr/bin/env python3
"""End-to-end test: Wireshark itself names the process of every packet of a `pidcap -w` file.

For: capturing the accuracy workload (workload.py, ground truth per flow) with
`pidcap -w`, then reading the file with Debian unstable's tshark (4.6 or
later, in a minimal root that tests/wireshark/mkroot.sh makes once and
caches): every payload byte must carry its owner's pid in
frame.darwin.process_info.pid, the loopback peer in the frame line's
`proc: NAME(PID) [PEER(PID)]`, and the name in .pname must be the comm pidcap
recorded. Debian 12's own tshark (4.0, no process fields) must read the same
file with no malformed packet in the capture's layers (SLL2, IP, TCP, UDP,
ICMP). Not for: pidcap's JSON accuracy (accuracy.py) or -w details
(test_capfile.py).

Usage: tests/e2e/test_wireshark.py [--pidcap build/pidcap] [--cases a-tcp4,...] [--keep]
Ends with `test_wireshark: N passed, N failed`. A missing debootstrap, Debian
mirror or tshark is a failure, never a skip. PIDCAP_TSHARK_CACHE moves the
cached root (default /var/cache/pidcap-tshark).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import accuracy  # noqa: E402

NAME = "test_wireshark"
REPO = os.path.dirname(os.path.dirname(HERE))
MKROOT = os.path.join(REPO, "tests", "wireshark", "mkroot.sh")
MKROOT_TIMEOUT = 1800  # seconds: the first debootstrap downloads ~100 MB
TSHARK_TIMEOUT = 300
# the capture's own layers: a malformed packet there is pidcap's fault
OWN_LAYERS = {"frame", "darwin", "sll", "sll2", "ethertype", "ip", "ipv6", "tcp", "udp",
              "icmp", "icmpv6", "data"}
PROC_RE = re.compile(r"^(?P<name>.*)\((?P<pid>\d+)\)(?: \[(?:(?P<ename>.*)\()?(?P<epid>\d+)\)?\])?$")

results = []


def log(msg=""):
    print(msg, flush=True)


def result(name, why):
    results.append(not why)
    log(f"ok {name}" if not why else f"FAIL {name}: {why}")


def run(cmd, timeout):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    err = "\n".join(line for line in p.stderr.decode(errors="replace").splitlines()
                    if "Running as user" not in line)
    return p.returncode, p.stdout.decode(errors="replace"), err


def sid_root():
    """The cached unstable root (made now if missing); raises on failure."""
    rc, out, err = run(["sh", MKROOT], MKROOT_TIMEOUT)
    if rc:
        raise RuntimeError(f"{MKROOT} exited {rc}: {err[-800:]}")
    return out.strip()


def pidcap_records(pidcap, path):
    """pidcap -r --json of the file: one record per frame, in order."""
    rc, out, err = run([pidcap, "-r", path, "--json"], TSHARK_TIMEOUT)
    if rc:
        raise RuntimeError(f"pidcap -r {path} exited {rc}: {err[-400:]}")
    return [json.loads(line) for line in out.splitlines()]


def sid_tshark(root, path, extra):
    """tshark of the unstable root on path (copied into the root)."""
    inside = "/tmp/" + os.path.basename(path)
    shutil.copyfile(path, root + inside)
    try:
        return run(["chroot", root, "tshark", "-r", inside, *extra], TSHARK_TIMEOUT)
    finally:
        os.unlink(root + inside)


def wireshark_records(root, path, records):
    """records with pid, comm and peer_pid replaced by what Wireshark 4.6
    reads from the process blocks; returns (records, problems)."""
    rc, out, err = sid_tshark(root, path, [
        "-T", "fields", "-E", "separator=\t", "-e", "frame.number",
        "-e", "frame.darwin.process_info.pid", "-e", "frame.darwin.process_info.pname"])
    if rc or err:
        return [], [f"tshark 4.6 -T fields: rc={rc} stderr={err[:300]!r}"]
    fields = [line.split("\t") for line in out.splitlines()]
    # the frame line's process text, as the Wireshark profile's column shows it
    rc, out, err = sid_tshark(root, path, [
        "-o", 'gui.column.format:"No.","%m","Proc","%Cus:frame.darwin.process_info:0:D"',
        "-T", "tabs"])
    if rc or err:
        return [], [f"tshark 4.6 columns: rc={rc} stderr={err[:300]!r}"]
    procs = [line.split("\t", 1) for line in out.splitlines()]
    problems = []
    if not (len(fields) == len(procs) == len(records)):
        return [], [f"tshark read {len(fields)}/{len(procs)} frames, pidcap -r {len(records)}"]
    ws, names_bad = [], 0
    for rec, f, p in zip(records, fields, procs):
        f += [""] * (3 - len(f))
        r = dict(rec, tid=None, peer_tid=None)
        r["pid"] = int(f[1]) if f[1] else None
        r["comm"] = f[2] or None
        peer = None
        m = PROC_RE.match(p[1].strip()) if len(p) > 1 else None
        if p[1:] and p[1].strip() and not m:
            problems.append(f"frame {f[0]}: process text {p[1]!r} is not NAME(PID) [PEER(PID)]")
        if m and m.group("epid"):
            epid = int(m.group("epid"))
            # Wireshark writes "[PID]" alone when the peer is the owner itself
            # (or absent): a peer only where pidcap recorded one
            if epid != r["pid"] or rec.get("peer_pid") == epid:
                peer = epid
        r["peer_pid"] = peer
        if r["pid"] is not None and r["pid"] == rec["pid"] and r["comm"] != rec["comm"]:
            names_bad += 1
            if names_bad <= 5:
                problems.append(f"frame {f[0]}: Wireshark's name {r['comm']!r}, "
                                f"pidcap recorded {rec['comm']!r}")
        ws.append(r)
    if names_bad:
        problems.append(f"{names_bad} frames with a name other than pidcap's")
    return ws, problems


def malformed_own(tshark_cmd, path):
    """Frames a tshark finds malformed in the capture's own layers."""
    rc, out, err = run([*tshark_cmd, "-r", path, "-Y", "_ws.malformed", "-T", "fields",
                        "-e", "frame.number", "-e", "frame.protocols"], TSHARK_TIMEOUT)
    if rc or err:
        return [f"rc={rc} stderr={err[:300]!r}"]
    bad = []
    for line in out.splitlines():
        num, _, protos = line.partition("\t")
        layers = protos.split(":")
        at = layers.index("_ws.malformed") if "_ws.malformed" in layers else len(layers)
        if at == 0 or layers[at - 1] in OWN_LAYERS:
            bad.append(f"frame {num}: {protos}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default=os.path.join(REPO, "build", "pidcap"))
    ap.add_argument("--cases", help="comma-separated workload cases (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the capture and the truth")
    args = ap.parse_args()
    args.pidcap_arg, args.expect = [], "ebpf"
    workdir = tempfile.mkdtemp(prefix="pidcap-wireshark-")
    path = os.path.join(workdir, "workload.pcapng")
    try:
        root = sid_root()
        rc, out, err = run(["chroot", root, "tshark", "--version"], 60)
        version = out.splitlines()[0] if out else ""
        log(f"unstable root {root}: {version}")
        m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)", version)
        result("tshark-4.6", None if m and (int(m.group(1)), int(m.group(2))) >= (4, 6)
               else f"the root's tshark is not 4.6 or later: {version!r} {err[:200]!r}")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        root = None
        result("tshark-4.6", f"no Debian unstable tshark: {e}")
    truth, _, problems = accuracy.run(args, workdir, write=path)
    result("capture", "; ".join(problems) or None)
    records = pidcap_records(args.pidcap, path) if not problems else []
    if root and records:
        ws, problems = wireshark_records(root, path, records)
        tallies, unmatched = accuracy.evaluate(truth, ws)
        log(f"\n{len(ws)} frames, {unmatched} not from the workload (ignored)\n")
        failed = accuracy.print_table(truth, tallies)
        accuracy.print_details(truth, tallies)
        for name, why in failed.items():
            problems.append(f"{name}: {'; '.join(why)}")
        result("wireshark-4.6-names-every-byte", "; ".join(problems) or None)
    else:
        result("wireshark-4.6-names-every-byte", "no tshark 4.6 or no capture to read")
    # Debian 12's tshark: reads it all, nothing malformed in the capture's layers
    if shutil.which("tshark") and os.path.exists(path):
        bad = malformed_own(["tshark"], path)
        result("debian12-tshark-reads-it", "; ".join(bad[:5]) or None)
    else:
        result("debian12-tshark-reads-it", "no tshark on the host (scripts/install-deps.sh --test)")
    if root and os.path.exists(path):
        inside = "/tmp/" + os.path.basename(path)
        shutil.copyfile(path, root + inside)
        try:
            bad = malformed_own(["chroot", root, "tshark"], inside)
        finally:
            os.unlink(root + inside)
        result("tshark-4.6-no-malformed", "; ".join(bad[:5]) or None)
    return accuracy.finish(NAME, results.count(True), results.count(False), workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
