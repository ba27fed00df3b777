#!/usr/bin/env python3
"""End-to-end test of the degraded eBPF modes: each optional program refused.

For: running accuracy.py once per optional eBPF program with
PIDCAP_BPF_REJECT=NAME (the loader acts as if the kernel had refused it) and
checking that pidcap (1) still runs on eBPF, not the libpcap fallback, (2)
names the missing program and what is lost in its start-up line, (3) gives
no payload byte to a wrong process in any case, and (4) keeps every case the
program does not serve at 100 %; then that a refused core program moves to
the compat build and, refused there too, to the fallback with the reason.
Not for: the accuracy of the full set (accuracy.py itself).

Usage: python3 tests/e2e/test_degraded.py [--pidcap build/pidcap] [--only NAME]
Ends with `test_degraded: N passed, N failed`.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NAME = "test_degraded"
# The optional programs (src/capture.c optional_progs) and the cases they may
# cost bytes to (as "unknown", never "wrong"). Every other case stays at 100 %.
# pc_sys_enter and pc_uring_submit run only where pc_egress_sender cannot
# load; without it, pc_egress_sender's substitutes keep every case exact.
OPTIONAL = {
    "pc_egress_sender": set(),
    "pc_seed": {"h-preexisting"},
    "pc_send_length": set(),
    "pc_recv_length": set(),
    "pc_sockops": set(),
    "pc_sock_release": set(),
    "pc_sock_state": set(),
    "pc_exec": set(),
    "pc_fork": set(),
    "pc_exit": set(),
}
# Without pc_egress_sender and a substitute, the first packets a new holder
# sends name the previous one, as the start-up line says: (reject list,
# cases that may then have wrong bytes, the announcement).
HAND_OVER_BLIND = {
    "pc_egress_sender,pc_sys_enter": {"i-inherited", "j-scm-rights", "n-handover"},
    "pc_egress_sender,pc_uring_submit": {"n-handover"},
}
ANNOUNCED_WRONG = "may name the previous one"
# Cases that exercise every owner path but the veth pair (covered by accuracy.py)
CASES = ("a-tcp4,c-udp4-connected,d-udp4-unconnected,f-short-lived,g-prefork,"
         "h-preexisting,i-inherited,j-scm-rights,k-icmp-ping,n-handover")
ROW_RE = re.compile(r"^\| ([a-z]-[\w-]+) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| (\d+) \| "
                    r"(\d+) \| (\d+) \|")
RUN_TIMEOUT = 300

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}",
          flush=True)


def accuracy(pidcap, reject):
    """accuracy.py with PIDCAP_BPF_REJECT=reject: (start-up line, {case: row})."""
    env = dict(os.environ, PIDCAP_BPF_REJECT=reject)
    out = subprocess.run([sys.executable, os.path.join(HERE, "accuracy.py"), "--pidcap", pidcap,
                          "--cases", CASES], env=env, capture_output=True, text=True,
                         timeout=RUN_TIMEOUT)
    lines = out.stdout.splitlines()
    start = next((line for line in lines if "listening on" in line), "")
    rows = {}
    for line in lines:
        m = ROW_RE.match(line)
        if m:
            rows[m.group(1)] = {"right": float(m.group(5)), "wrong": int(m.group(6)),
                                "unknown": int(m.group(7)), "missing": int(m.group(8))}
    return start, rows, out.stdout


def test_optional(pidcap, prog, may_lose, may_be_wrong=()):
    t0 = time.monotonic()
    start, rows, text = accuracy(pidcap, prog)
    label = f"reject_{prog.replace(',', '+')}"
    if not start:
        check(label, False, "no start-up line:\n" + text[-3000:])
        return
    check(f"{label}_still_ebpf", "eBPF build" in start and "without eBPF" not in start, start)
    check(f"{label}_announced", all(f"without {p}" in start for p in prog.split(","))
          and (not may_be_wrong or ANNOUNCED_WRONG in start), start)
    wrong = {c: r["wrong"] for c, r in rows.items() if r["wrong"] and c not in may_be_wrong}
    check(f"{label}_no_wrong_process", not wrong and len(rows) == len(CASES.split(",")),
          f"wrong bytes {wrong}, cases {sorted(rows)}\n" + text[-3000:])
    short = {c: r["right"] for c, r in rows.items()
             if c not in may_lose and c not in may_be_wrong
             and (r["right"] < 100.0 or r["missing"])}
    check(f"{label}_others_exact", not short, f"below 100 %: {short}\n" + text[-3000:])
    lost = {c: rows[c]["right"] for c in set(may_lose) | set(may_be_wrong) if c in rows}
    print(f"  {prog}: {time.monotonic() - t0:.1f} s; cases it may cost: {lost or 'none'}",
          flush=True)


def startup_line(pidcap, env_extra, backend=None):
    """Starts pidcap, waits for its start-up line (or its exit), stops it
    with SIGINT: (exit code, stderr)."""
    env = dict(os.environ, **env_extra)
    cmd = [pidcap] + (["--backend", backend] if backend else [])
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            err.seek(0)
            if "listening on" in err.read():
                break
            time.sleep(0.1)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.seek(0)
        return proc.returncode, err.read()


def test_core(pidcap):
    code, err = startup_line(pidcap, {"PIDCAP_BPF_REJECT": "pc_egress"}, backend="ebpf")
    check("core_refused_ebpf_only_fails", code == 1 and "pc_egress" in err
          and "full build" in err and "compat build" in err
          and "PIDCAP_BPF_REJECT" in err, f"exit {code}: {err}")
    code, err = startup_line(pidcap, {"PIDCAP_BPF_REJECT": "pc_ingress"})
    check("core_refused_auto_falls_back", "eBPF not used" in err and "pc_ingress" in err
          and "without eBPF" in err, f"exit {code}: {err}")
    # the full build refused, the compat build is tried before the fallback
    # (forced here with PIDCAP_BPF_VARIANT, so the refusal is the compat one's)
    code, err = startup_line(pidcap, {"PIDCAP_BPF_VARIANT": "compat",
                                      "PIDCAP_BPF_REJECT": "pc_seed"})
    check("compat_build_degrades_too", "compat eBPF build" in err and "without pc_seed" in err,
          f"exit {code}: {err}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pidcap", default=os.path.join(REPO, "build", "pidcap"))
    ap.add_argument("--only", help="one optional program")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("FAIL: needs root (eBPF)")
        print(f"{NAME}: 0 passed, 1 failed")
        return 1
    code, err = startup_line(args.pidcap, {})
    line = next((x for x in err.splitlines() if "listening on" in x), err.strip())
    print(f"running kernel, nothing rejected: {line}", flush=True)
    check("running_kernel_full_set", "eBPF build" in line and "without" not in line,
          "pidcap does not run its whole eBPF set on this kernel: " + line)
    progs = [args.only] if args.only else list(OPTIONAL)
    for prog in progs:
        test_optional(args.pidcap, prog, OPTIONAL.get(prog, set()))
    if not args.only:
        for progs_, wrong in HAND_OVER_BLIND.items():
            test_optional(args.pidcap, progs_, set(), wrong)
    if not args.only:
        test_core(args.pidcap)
    passed = sum(results)
    failed = len(results) - passed
    print(f"{NAME}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
