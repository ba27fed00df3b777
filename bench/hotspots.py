"""Where pidcap's time goes when a benchmark target is missed.

For: one profiling run of a pidcap command under a load: `perf record -g -p PID`
on pidcap (user and kernel time of its own process), and the kernel-side cost
of its eBPF programs (run_time_ns / run_cnt of the pc_* programs that this
pidcap holds, with kernel.bpf_stats_enabled=1 for the run only, restored
after). Not for: the benchmark figures themselves (run.py).
"""

import json
import os
import subprocess
import time

import procs

STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


def prog_ids(pid):
    """Ids of the BPF programs process pid holds open (from /proc/PID/fdinfo)."""
    ids = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) != "anon_inode:bpf-prog":
                continue
        except OSError:
            continue
        for line in procs.read_text(f"/proc/{pid}/fdinfo/{fd}").splitlines():
            if line.startswith("prog_id:"):
                ids.add(int(line.split()[1]))
    return ids


def prog_stats(ids):
    """name -> (run_cnt, run_time_ns) of the programs with these ids."""
    res = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         timeout=30)
    out = {}
    for p in json.loads(res.stdout or "[]"):
        if p.get("id") in ids:
            name = p.get("name", str(p["id"]))
            cnt, ns = out.get(name, (0, 0))
            out[name] = (cnt + p.get("run_cnt", 0), ns + p.get("run_time_ns", 0))
    return out


def perf_top(data_path, limit=12):
    """[(percent, command, dso, symbol)] hottest first, from perf report."""
    res = subprocess.run(["perf", "report", "-i", data_path, "--stdio", "--no-children",
                          "--sort", "dso,sym", "-g", "none", "--percent-limit", "1"],
                         capture_output=True, text=True, timeout=120)
    rows = []
    for line in res.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "%" not in line.split()[0]:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        sym = parts[2]
        rows.append((float(parts[0].rstrip("%")), parts[1], sym.split("] ", 1)[-1].strip()))
        if len(rows) >= limit:
            break
    return rows


def perf_shares(data_path):
    """(user %, kernel %, eBPF %) of the samples, from perf report --sort dso."""
    res = subprocess.run(["perf", "report", "-i", data_path, "--stdio", "--no-children",
                          "--sort", "dso", "-g", "none"],
                         capture_output=True, text=True, timeout=120)
    user = kern = bpf = 0.0
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or line.lstrip().startswith("#") or not parts[0].endswith("%"):
            continue
        pct = float(parts[0].rstrip("%"))
        if parts[1].startswith("bpf_prog_"):
            bpf += pct
        elif parts[1].startswith("[kernel"):
            kern += pct
        else:
            user += pct
    return user, kern, bpf


def profile(label, monitor, load, seconds, workdir):
    """Runs monitor (a procs.Monitor) under load() with perf and BPF stats.

    load() runs the load for about `seconds` and returns a dict with "packets"
    (packets of load) and "sender_cpu" (CPU seconds of the load's processes).
    Returns a dict for report.profile_text().
    """
    with open(STATS_SYSCTL) as f:
        old = f.read().strip()
    data = os.path.join(workdir, f"perf-{label}.data")
    perf = None
    try:
        with open(STATS_SYSCTL, "w") as f:
            f.write("1")
        procs.start_ready(monitor)
        ids = prog_ids(monitor.pid)
        before = prog_stats(ids)
        perf = procs.popen(["perf", "record", "-q", "-g", "-p", str(monitor.pid), "-o", data,
                            "--", "sleep", str(seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        got = load()
        procs.wait4(perf, seconds + 60)
        after = prog_stats(ids)
        mon = monitor.stop()
    finally:
        with open(STATS_SYSCTL, "w") as f:
            f.write(old)
        if perf is not None and perf.returncode is None:
            procs.kill(perf)
        if monitor.proc is not None and monitor.proc.returncode is None:
            procs.kill(monitor.proc)
    bpf = {}
    for name, (cnt, ns) in after.items():
        c0, n0 = before.get(name, (0, 0))
        if cnt - c0 > 0:
            bpf[name] = (cnt - c0, ns - n0)
    return {"label": label, "cmd": " ".join(monitor.cmd), "load": got, "monitor": mon,
            "bpf": bpf, "perf": perf_top(data) if os.path.exists(data) else [],
            "shares": perf_shares(data) if os.path.exists(data) else None,
            "stats_restored_to": old}
