#!/usr/bin/env python3
"""What each of pidcap's eBPF programs costs per run, under a bounded loopback
UDP flood, for several sets of pidcap options run in turn.

For: comparing the kernel-side cost of options or builds in the same run
(e.g. `--comm x` against `--cgroup /y`), from the kernel's own statistics
(kernel.bpf_stats_enabled: run_time_ns / run_cnt per program, read with
bpftool). Each variant runs --reps times, the variants interleaved; the
table gives the median ns per run and the ratio to the first variant.
The statistics' own cost (about 60 ns a run here) is in every figure.
Not for throughput or CPU figures (bench/run.py).

Usage: bench/progcost.py [--pidcap build/pidcap] [--udpflood build/bench/udpflood]
         [--reps 3] [--secs 2] 'LABEL[@PIDCAP]=ARGS' ...
e.g.   bench/progcost.py 'comm=--comm nosuch' 'cgroup=--cgroup /pctest' \
         'before@/tmp/old/pidcap=--cgroup /pctest'
kernel.bpf_stats_enabled is restored to its value before.
"""

import argparse
import json
import shlex
import signal
import statistics
import subprocess
import sys
import time

STATS = "/proc/sys/kernel/bpf_stats_enabled"


def prog_stats(ids=None):
    out = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in out if ids is None or p["id"] in ids}


def one_run(args, pidcap, flood, secs):
    """Per-program ns per run of pidcap ARGS during one flood: {name: (ns, runs)}."""
    before = set(prog_stats())
    pc = subprocess.Popen([pidcap, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    try:
        deadline = time.monotonic() + 20
        while "listening" not in pc.stderr.readline():
            if pc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"progcost: pidcap {shlex.join(args)} did not start")
        time.sleep(0.3)
        mine = set(prog_stats()) - before
        base = prog_stats(mine)
        sink = subprocess.Popen([flood, "sink", "-t", str(secs + 10)], stdout=subprocess.PIPE,
                                text=True)
        port = sink.stdout.readline().strip().split("=")[1]
        subprocess.run([flood, "send", "-p", port, "-t", str(secs), "-n", "20000000", "-q"],
                       capture_output=True, timeout=secs + 30, check=True)
        sink.send_signal(signal.SIGTERM)
        sink.wait(10)
        after = prog_stats(mine)
    finally:
        pc.send_signal(signal.SIGINT)
        pc.wait(10)
    res = {}
    for pid, (name, t, c) in after.items():
        _, t0, c0 = base.get(pid, (name, 0, 0))
        if c > c0:
            res[name] = ((t - t0) / (c - c0), c - c0)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default="build/pidcap")
    ap.add_argument("--udpflood", default="build/bench/udpflood")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--secs", type=float, default=2.0)
    ap.add_argument("variants", nargs="+", help="LABEL[@PIDCAP]=pidcap arguments")
    a = ap.parse_args()
    variants, binary = [], {}
    for v in a.variants:
        head, _, args = v.partition("=")
        label, _, path = head.partition("@")
        variants.append((label, shlex.split(args)))
        binary[label] = path or a.pidcap
    prev = open(STATS).read().strip()
    runs = {label: [] for label, _ in variants}
    try:
        with open(STATS, "w") as f:
            f.write("1")
        for _ in range(a.reps):
            for label, args in variants:
                runs[label].append(one_run(args, binary[label], a.udpflood, a.secs))
    finally:
        with open(STATS, "w") as f:
            f.write(prev)
    busy = sorted({n for rs in runs.values() for r in rs for n, (_, c) in r.items()
                   if c >= 1000})
    first = variants[0][0]
    print("| program | " + " | ".join(label for label, _ in variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for n in busy:
        med = {label: statistics.median([r[n][0] for r in rs if n in r] or [0])
               for label, rs in runs.items()}
        cells = [f"{med[label]:.0f} ns" + (f" ({med[label] / med[first]:.2f})"
                                          if label != first and med[first] else "")
                 for label, _ in variants]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print(f"\n{a.reps} runs of {a.secs} s per variant, interleaved; median ns per run "
          f"(ratio to {first}); bpf_stats_enabled restored to {prev}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
