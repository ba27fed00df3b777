#!/usr/bin/env python3
"""pidcap's benchmark (`make bench`): cost and accuracy against tcpdump, nethogs and ss.

For: measuring, on this machine and in one run of about 13 minutes, what
pidcap costs and how it attributes traffic, each figure a ratio or count
against a baseline of the same run, each case repeated (median and min-max),
and writing the tables to bench/results/DATE.md. Not for: tests (make check)
or traffic anywhere but loopback and the "pcbench*" namespaces it creates.

Usage (as root): python3 bench/run.py --pidcap build/pidcap --bindir build/bench
See bench/README.md for what each case measures and how to read it.
"""

import argparse
import bisect
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import attrib  # noqa: E402
import hotspots  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
from procs import Monitor  # noqa: E402

SOCK_NS = "pcbench-sock"
# case -> (programs it needs in --bindir, tools it needs on PATH)
CASES = {
    "tcp": ((), ("iperf3", "tcpdump")),
    "udp": (("udpflood",), ("tcpdump",)),
    "udpfilter": (("udpflood",), ("tcpdump",)),
    "conn": (("connstorm",), ("tcpdump",)),
    "startup": ((), ("ip",)),
    "attrib": ((), ("tcpdump", "nethogs", "ss")),
    "syscall": (("syscalls",), ("tcpdump", "dd")),
}
START = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - START:6.1f} s] {msg}", file=sys.stderr, flush=True)


class Ctx:
    """Settings and shared state of one benchmark run."""

    def __init__(self, args, workdir):
        self.args, self.pidcap, self.bindir, self.workdir = args, args.pidcap, args.bindir, workdir
        self.reps = args.reps
        self.top_ok = False
        self.idle = None
        self.foreign = {}      # case -> [count of other people's pidcap processes per run]

    def check_foreign(self, where):
        """Counts other people's pidcap processes now, as seen by a run of case `where`."""
        n = len(procs.foreign_pidcaps([self.idle.pid] if self.idle else []))
        self.foreign.setdefault(where, []).append(n)
        return n

    def monitor(self, label, keep_stdout=False):
        """The monitor called label; None for "none"."""
        wd, pc = self.workdir, self.pidcap
        cmds = {
            "tcpdump": ["tcpdump", "-i", "any", "-w", "/dev/null"],
            "pidcap -w": [pc, "-w", "/dev/null"],
            "pidcap -w --no-comments": [pc, "-w", "/dev/null", "--no-comments"],
            "pidcap": [pc],
            "pidcap --json": [pc, "--json"],
            "pidcap top": [pc, "top", "--batch", "-d", "1"],
            "pidcap --pid X": [pc, "--pid", str(self.idle.pid if self.idle else 1)],
            "pidcap exporter": [pc, "exporter", "--listen", "127.0.0.1:0"],
        }
        for name, expr in report.FILTERS.items():
            words = expr.split()
            cmds[f"tcpdump, {name}"] = ["tcpdump", "-i", "any", "-w", "/dev/null", *words]
            cmds[f"pidcap, {name}"] = [pc, *words]
            # the filter in user space, as before it ran in the kernel
            cmds[f"pidcap, {name}, user space"] = ["env", "PIDCAP_BPF_REJECT=pc_filter", pc,
                                                    *words]
        if label == report.NONE:
            return None
        return Monitor(label, cmds[label], wd, keep_stdout=keep_stdout)


def series(ctx, name, labels, load, post=None, keep_stdout=(), reps=None):
    """Runs load() under each monitor, reps times, the order rotated every repetition.

    Returns {label: [run dict]}; a run that fails has "error" and is left out
    of the figures (and listed under the tables).
    """
    out = {label: [] for label in labels}
    reps = reps or ctx.reps
    for rep in range(reps):
        order = labels[rep % len(labels):] + labels[:rep % len(labels)]
        for label in order:
            mon = None
            run = {"rep": rep, "others": ctx.check_foreign(name)}
            try:
                mon = procs.start_ready(ctx.monitor(label, label in keep_stdout))
                cpu0 = mon.cpu_now() if mon else None
                run.update(load())
                time.sleep(0.3)  # the last packets reach the monitor
                if mon:
                    run.update(mon.stop())
                    if cpu0 is not None:
                        run["cpu_load"] = run["cpu"] - cpu0
                    if mon.proc.returncode not in (0, None) and run.get("captured") is None:
                        raise procs.BenchError(f"{label} exited with {run['rc']}: "
                                               f"{run['stderr_tail']}")
                    if post:
                        post(label, mon, run)
            except (procs.BenchError, OSError, ValueError, KeyError,
                    subprocess.SubprocessError) as e:
                run["error"] = f"{type(e).__name__}: {e}"
                if mon and mon.proc and mon.proc.returncode is None:
                    procs.kill(mon.proc)
            finally:
                if mon and mon.out_path and os.path.exists(mon.out_path):
                    os.unlink(mon.out_path)
            run.pop("stderr_tail", None)
            out[label].append(run)
            log(f"{name} {rep + 1}/{reps} {label}: " +
                (run["error"] if "error" in run else
                 ", ".join(f"{k}={v:.4g}" for k, v in run.items()
                           if isinstance(v, (int, float)) and k not in ("rep", "rc"))))
    return out


# ---- cases ---------------------------------------------------------------------

def case_tcp(ctx):
    """1: iperf3 TCP bulk on loopback."""
    labels = ["none", "tcpdump", "pidcap -w", "pidcap"] + (["pidcap top"] if ctx.top_ok else [])
    server, port = procs.iperf_server()
    try:
        return series(ctx, "tcp-bulk", labels,
                      lambda: procs.iperf_client(port, ctx.args.tcp_seconds),
                      reps=ctx.args.fast_reps)
    finally:
        procs.kill(server)


def case_udp(ctx):
    """2, 3 and 4: 64-byte UDP as fast as udpflood goes, every monitor and pidcap mode."""
    labels = ["none", "tcpdump", "pidcap -w", "pidcap -w --no-comments", "pidcap",
              "pidcap --json"]
    labels += (["pidcap top"] if ctx.top_ok else []) + ["pidcap --pid X"]
    ctx.idle = procs.popen(["sleep", "900"])
    try:
        return series(ctx, "udp-small", labels,
                      lambda: procs.udp_flood(ctx.bindir, ctx.args.udp_seconds),
                      reps=ctx.args.fast_reps)
    finally:
        procs.kill(ctx.idle)


def case_udpfilter(ctx):
    """2b: the same flood, numbered, with a filter expression that matches
    none of it and one that matches 1 %: pidcap (filter in the kernel, and
    in user space) against tcpdump with the same expression."""
    labels = ["none"]
    for name in report.FILTERS:
        labels += [f"tcpdump, {name}", f"pidcap, {name}", f"pidcap, {name}, user space"]
    # longer than case 2's 3 s: a monitor that filters in the kernel spends
    # per run, not per packet (the load's own processes to name)
    return series(ctx, "udp-filter", labels,
                  lambda: procs.udp_flood(ctx.bindir, ctx.args.filter_seconds, numbered=True),
                  reps=ctx.reps)


def attribute_conns(path, ports, server_port):
    """Percent of connections whose payload packets all carry the client's pid.

    ports: {client port: [(connect time, pid)]}. A client port is reused on
    loopback, so a packet belongs to the last connection on its port that
    connected before it (10 ms of slack for the two clocks' conversions).
    """
    verdict = {}      # (port, pid) -> True while every payload packet had the pid
    unmatched = 0
    tag = f'"dport":{server_port}'.encode()
    with open(path, "rb") as f:
        for raw in f:
            if tag not in raw.replace(b" ", b""):
                continue
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if rec.get("proto") != "tcp" or rec.get("dport") != server_port or not rec.get("payload"):
                continue
            conns = ports.get(rec.get("sport"))
            if rec.get("dir") != "out" or not conns:
                continue
            i = bisect.bisect_right(conns, (rec["ts"] + 0.01, float("inf"))) - 1
            if i < 0:
                unmatched += 1
                continue
            key = (rec["sport"], conns[i][1])
            verdict[key] = verdict.get(key, True) and rec.get("pid") == conns[i][1]
    total = sum(len(c) for c in ports.values())
    right = sum(1 for v in verdict.values() if v)
    return {"attributed_pct": 100.0 * right / total if total else None,
            "attr_wrong": sum(1 for v in verdict.values() if not v),
            "attr_missing": total - len(verdict), "attr_unmatched_pkts": unmatched}


def case_conn(ctx):
    """5: 1,000 new TCP connections per second, one process each."""
    state = {}

    def load():
        path = os.path.join(ctx.workdir, "connstorm.txt")
        r = procs.conn_storm(ctx.bindir, ctx.args.conn_rate, ctx.args.conn_seconds, path)
        state["ports"], state["port"] = r.pop("ports"), int(r["port"])
        return r

    def post(label, mon, run):
        if label == "pidcap --json":
            run.update(attribute_conns(mon.out_path, state["ports"], state["port"]))

    return series(ctx, "connections", ["none", "tcpdump", "pidcap --json"], load, post,
                  keep_stdout=("pidcap --json",))


def case_startup(ctx):
    """6: launch to "listening on" and VmHWM with 0, 10,000 and up to 100,000 sockets open."""
    levels = [0, 10_000, ctx.args.max_sockets]
    out = {lv: [] for lv in levels}
    per = procs.nofile_hard() - 64
    procs.netns_add(SOCK_NS)
    try:
        for rep in range(ctx.reps):
            holders, opened = [], 0
            try:
                for lv in levels:
                    run = {"rep": rep}
                    try:
                        while opened < lv:
                            h = procs.SocketHolder(SOCK_NS, opened, min(per, lv - opened))
                            holders.append(h)
                            opened += h.count
                    except procs.BenchError as e:
                        run["note"] = f"stopped at {opened} sockets: {e}"
                    run.update({"opened": opened, "holders": len(holders),
                                "others": ctx.check_foreign("start-up")})
                    mon = Monitor(f"startup-{lv}", [ctx.pidcap], ctx.workdir).start()
                    try:
                        run["ready_s"] = mon.wait_ready()
                        time.sleep(1.0)
                        run["hwm_kib"] = mon.vm_hwm_kib()
                        res = mon.stop()
                        run.update({"cpu": res["cpu"], "maxrss_kib": res["maxrss_kib"]})
                    except procs.BenchError as e:
                        run["error"] = str(e)
                        procs.kill(mon.proc)
                    out[lv].append(run)
                    log(f"start-up {rep + 1}/{ctx.reps} {opened} sockets: "
                        f"{run.get('error') or 'ready in %.3f s, VmHWM %d KiB' % (run['ready_s'], run['hwm_kib'])}")
            finally:
                for h in reversed(holders):
                    h.release()
    finally:
        procs.netns_delete(SOCK_NS)
    return out, per


def case_attrib(ctx):
    """7: one workload seen at once by pidcap, its fallback, nethogs and tcpdump + ss polling."""
    runs = []
    for rep in range(ctx.reps):
        ctx.check_foreign("attribution")
        wd = ctx.workdir
        pcap, ss_out = os.path.join(wd, "attr.pcap"), os.path.join(wd, "attr.ss")
        mons = [
            Monitor("attr-tcpdump", ["tcpdump", "-i", "any", "-s", "128", "-w", pcap], wd),
            Monitor("attr-nethogs", ["nethogs", "-t", "-a", "-C", "-v", "2", "-d", "1"], wd,
                    ready=r"Refreshing:", ready_on_stdout=True, keep_stdout=True),
            Monitor("attr-pidcap", [ctx.pidcap, "--json"], wd, keep_stdout=True),
            Monitor("attr-fallback", [ctx.pidcap, "--backend", "pcap", "--json"], wd,
                    keep_stdout=True),
        ]
        poller, started = None, []
        run = {"rep": rep}
        try:
            for m in mons:
                started.append(procs.start_ready(m))
            poller = procs.popen([sys.executable, os.path.join(HERE, "attrib.py"), "--ss-poll",
                                  ss_out, "180"])
            time.sleep(0.5)
            truth = attrib.run_workload(lambda msg: log("  " + msg))
            time.sleep(2.2)  # nethogs refreshes every second
            os.kill(poller.pid, signal.SIGTERM)
            procs.wait4(poller, 20)
            for m in mons:
                m.stop()
            run["workload_errors"] = truth["errors"]
            run["pidcap"] = attrib.judge_pidcap(truth, mons[2].out_path)
            run["nethogs"] = attrib.judge_nethogs(truth, procs.read_text(mons[1].out_path))
            run["ss"] = attrib.judge_ss(truth, pcap, procs.read_text(ss_out))
            run["fallback"], run["fallback_wrong"], run["fallback_guessed"] = \
                attrib.judge_fallback(truth, mons[3].out_path)
            run["cases"] = truth["cases"]
        except (procs.BenchError, OSError, ValueError) as e:
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            for m in started:
                if m.proc.returncode is None:
                    procs.kill(m.proc)
            if poller is not None and poller.returncode is None:
                procs.kill(poller)
            for path in (pcap, ss_out, mons[1].out_path, mons[2].out_path, mons[3].out_path):
                if os.path.exists(path):
                    os.unlink(path)
        runs.append(run)
        log(f"attribution {rep + 1}/{ctx.reps}: " + (run.get("error") or " ".join(
            f"{m}={run[m]['all']:.1f}%" for m in ("pidcap", "nethogs", "ss", "fallback")) +
            f" fallback_wrong={run['fallback_wrong']['all']}B"))
    return runs


def case_syscall(ctx):
    """8: a syscall-bound process that is not on the network (dd bs=1, a getppid loop)."""
    labels = ["none", "tcpdump", "pidcap"] + (["pidcap top"] if ctx.top_ok else [])
    labels += ["pidcap exporter"]
    a = ctx.args
    return series(ctx, "syscall", labels,
                  lambda: procs.syscall_load(ctx.bindir, a.syscall_dd_count, a.syscall_calls),
                  reps=a.syscall_reps)


# ---- profiles of missed targets ------------------------------------------------------

def profile_load(ctx, kind):
    """A load of about ctx.args.profile_seconds for hotspots.profile()."""
    secs = ctx.args.profile_seconds
    if kind in ("udp", "udpfilter"):
        def load():
            r = procs.udp_flood(ctx.bindir, secs, numbered=kind == "udpfilter")
            return {"packets": r["sent"], "sender_cpu": r["sender_cpu"] + r["sink_cpu"]}
    elif kind == "tcp":
        def load():
            server, port = procs.iperf_server()
            try:
                r = procs.iperf_client(port, secs)
                server_cpu = procs.iperf_server_stop(server)
            finally:
                procs.kill(server)
            return {"packets": None, "sender_cpu": r["client_cpu"] + server_cpu, "bps": r["bps"]}
    elif kind == "syscall":
        def load():
            r = procs.getppid_for(ctx.bindir, secs)
            return {"packets": None, "syscalls": r["calls"], "sender_cpu": r["cpu"]}
    else:
        def load():
            path = os.path.join(ctx.workdir, "connstorm-profile.txt")
            r = procs.conn_storm(ctx.bindir, ctx.args.conn_rate, secs, path)
            return {"packets": None, "sender_cpu": r["driver_cpu"]}
    return load


def run_profiles(ctx, ts, deadline):
    done, out = set(), []
    for t in ts:
        if not t["profile"] or t["profile"] in done:
            continue
        kind, label = t["profile"]
        done.add(t["profile"])
        if time.monotonic() > deadline:
            log(f"no time left to profile {label} under {kind}")
            out.append({"skipped": f"`{label}` under the {kind} load (time budget spent)"})
            continue
        if label == "pidcap --pid X":
            ctx.idle = procs.popen(["sleep", "300"])
        try:
            log(f"profiling {label} under the {kind} load")
            p = hotspots.profile(f"{kind}-{label.replace(' ', '_')}", ctx.monitor(label), profile_load(ctx, kind),
                                 ctx.args.profile_seconds, ctx.workdir)
            p["kind"], p["why"] = kind, t["target"]
            p["summary"] = report.where_time_goes(p)
            out.append(p)
        except (procs.BenchError, OSError, ValueError, subprocess.SubprocessError) as e:
            out.append({"skipped": f"`{label}` under the {kind} load: {type(e).__name__}: {e}"})
        finally:
            if label == "pidcap --pid X" and ctx.idle:
                procs.kill(ctx.idle)
    return out


# ---- the run -------------------------------------------------------------------------

def top_available(ctx):
    """True when `pidcap top --batch` runs as top (and not as a plain capture)."""
    p = procs.popen([ctx.pidcap, "top", "--batch", "-d", "0.5", "-n", "1"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        procs.kill(p)
        return False
    if p in procs._procs:
        procs._procs.remove(p)
    return p.returncode == 0 and out.strip() != b"" and b"packets captured" not in err


def version(cmd):
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    text = (res.stdout + res.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine_meta(ctx):
    cpu = "unknown"
    for line in procs.read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(), "commit": git,
        "tcpdump": version(["tcpdump", "--version"]), "iperf3": version(["iperf3", "--version"]),
        "nethogs": version(["nethogs", "-V"]),
    }


def wait_quiet(ctx, limit):
    """Waits up to limit seconds until no other pidcap runs; returns the count at the end."""
    deadline = time.monotonic() + limit
    n = len(procs.foreign_pidcaps())
    while n and time.monotonic() < deadline:
        log(f"waiting for {n} pidcap process(es) of other people to end "
            f"(at most {deadline - time.monotonic():.0f} s more)")
        time.sleep(5)
        n = len(procs.foreign_pidcaps())
    return n


def render(ctx, meta, res, ts, profiles, per_holder, elapsed):
    s = []
    s.append(f"# pidcap benchmark, {meta['date']}\n")
    fr = [n for counts in ctx.foreign.values() for n in counts]
    s.append("\n".join([
        f"- command: `make bench` (`{' '.join(ctx.args.argv)}`), {elapsed / 60:.1f} minutes",
        f"- kernel `{meta['kernel']}`; CPU: {meta['cpu']} × {meta['cores']} cores "
        f"(shared, noisy machine: other people's tests ran at the same time)",
        f"- pidcap `{meta['commit']}`; {meta['tcpdump']}; {meta['iperf3']}; nethogs {meta['nethogs']}",
        f"- other people's pidcap processes (each adds its eBPF programs to every packet), "
        f"counted at the start of every run: {ctx.foreign_at_start} when the benchmark "
        f"started (after waiting up to {ctx.args.wait_quiet:.0f} s for none), "
        f"{min(fr) if fr else 0}–{max(fr) if fr else 0} during the runs, "
        f"{sum(1 for n in fr if n)} of {len(fr)} runs with at least one "
        f"({'; '.join(f'{w}: max {max(c)}, in {sum(1 for n in c if n)} of {len(c)} runs' for w, c in ctx.foreign.items())})",
        f"- cases 1–4 repeated {ctx.args.fast_reps} times, cases 2b and 5–7 {ctx.reps} times, "
        f"case 8 {ctx.args.syscall_reps} times, "
        f"monitors in rotated order; cells are "
        f"**median (min–max)**; \"vs none\" divides by the run without monitor of the same "
        f"repetition",
        f"- `pidcap top`: {'measured' if ctx.top_ok else 'not in this build (`pidcap top --batch` still runs a plain capture): not measured'}",
    ]))
    s.append("\n## Targets\n")
    s.append(report.targets_table(ts))
    missed = [t for t in ts if t["ok"] is False]
    s.append(f"\n{sum(1 for t in ts if t['ok'])} met, {len(missed)} missed, "
             f"{sum(1 for t in ts if t['ok'] is None)} not measured.")
    if "tcp" in res:
        s.append(f"\n## 1. TCP bulk: `iperf3 -c 127.0.0.1 -t {ctx.args.tcp_seconds}`\n")
        s.append(report.tcp_table(res["tcp"]))
        s.append("\nPackets are what each monitor saw: GSO super-packets of up to 64 KiB on "
                 "loopback count as one.")
    if "udp" in res:
        s.append(f"\n## 2–4. UDP, 64-byte payloads to 127.0.0.1 as fast as `udpflood` goes "
                 f"({ctx.args.udp_seconds} s, sendmmsg batches of 32, a sink draining)\n")
        s.append(report.udp_table(res["udp"]))
        s.append("\n\"Delivered\" is the monitor's \"packets captured\" (all traffic of the "
                 "machine, not only the load); CPU is user+sys of the monitor process from "
                 "wait4(); the kernel-side cost of capture (eBPF programs, packet socket copies) "
                 "runs in the sender's context and shows as the sender's CPU per packet. "
                 "`pidcap --pid X` filters for an idle `sleep` process.")
    if "udpfilter" in res:
        s.append(f"\n## 2b. The same UDP flood with a filter expression "
                 f"({ctx.args.filter_seconds:g} s, datagrams numbered by `udpflood -q`)\n")
        s.append(report.udp_filter_table(res["udpfilter"]))
        s.append("\nFilters: " + "; ".join(f"{n}: `{e}`" for n, e in report.FILTERS.items()) +
                 ". tcpdump runs `-i any -w /dev/null EXPR` (its filter in the kernel's socket "
                 "filter), pidcap prints the matching packets to /dev/null; \"user space\" is "
                 "pidcap with `PIDCAP_BPF_REJECT=pc_filter`: the filter then runs after the "
                 "ring buffer, as before it ran in the kernel. CPU per M packets counts the "
                 "packets sent, during the load only (start-up left out).")
    if "conn" in res:
        s.append(f"\n## 5. {ctx.args.conn_rate:,} new TCP connections per second for "
                 f"{ctx.args.conn_seconds} s, one forked process per connection\n")
        s.append(report.conn_table(res["conn"]))
        s.append("\nA connection is attributed when pidcap showed its payload packet(s) "
                 "with the pid of the process that made it, and no other pid. Loopback reuses "
                 "client ports of TIME_WAIT sockets (`tcp_tw_reuse=2`), so a packet belongs to "
                 "the last connection on its port that started before it.")
    if "startup" in res:
        s.append("\n## 6. Start-up and memory with sockets already open\n")
        s.append(report.startup_table(res["startup"]))
        s.append(f"\nSockets are bound UDP sockets in a namespace of their own (`{SOCK_NS}`, so "
                 f"that they take no ports of the host), held by forked processes of at most "
                 f"{per_holder:,} sockets each: RLIMIT_NOFILE's hard limit is "
                 f"{per_holder + 64:,} here and cannot be raised (no CAP_SYS_RESOURCE), so "
                 f"{ctx.args.max_sockets:,} sockets need several processes. pidcap seeds "
                 f"their owners at start-up with its socket iterator.")
    if "attrib" in res:
        s.append("\n## 7. Attribution accuracy: percent of payload bytes attributed to the "
                 "process that sent them\n")
        cases = next((r["cases"] for r in res["attrib"] if "cases" in r), [])
        s.append(report.attrib_table(res["attrib"], cases))
        s.append("\nOne workload per run, seen at once by the four methods: "
                 "tests/e2e/workload.py cases a–f (TCP v4/v6, connected and unconnected UDP, "
                 "UDP v6, 20 one-datagram processes and 20 short-lived TCP clients), each over in "
                 "milliseconds, and alongside them five long-lived flows (`long-*`: TCP v4/v6, "
                 "connected and unconnected UDP v4, UDP v6) of 60 × 500 bytes paced over 6 s. nethogs (`-t -a -C -v 2`) reports whole "
                 "packets per process, so it is credited min(reported, expected) bytes per "
                 "process and direction: an upper bound. The ss method: `tcpdump -i any` "
                 "writes a pcap, `ss -tunapH` runs every 100 ms, and each packet gets the pid "
                 "of the sending socket in the ss output nearest in time. The fallback "
                 "(`pidcap --backend pcap --json`: libpcap, sock_diag, /proc) is judged as "
                 "pidcap; its bytes to a wrong process are those whose pid or peer_pid names "
                 "another process, guessed (`\"guess\":true`) or not; bytes it names no "
                 "process for (`\"pid\":null`) are not right but not wrong either.")
        werr = [f"run {r['rep'] + 1}: {r['workload_errors']}" for r in res["attrib"]
                if r.get("workload_errors")]
        if werr:
            s.append("\nWorkload errors: " + "; ".join(werr))
    if "syscall" in res:
        a = ctx.args
        s.append(f"\n## 8. A syscall-bound process off the network: "
                 f"`dd if=/dev/zero of=/dev/null bs=1 count={a.syscall_dd_count}`, then "
                 f"{a.syscall_calls:,} `getppid` calls in a loop\n")
        s.append(report.syscall_table(res["syscall"]))
        s.append("\nNeither load touches a socket: what a monitor adds here is what it costs "
                 "every process on the host. dd makes two syscalls (read, write) per byte; its "
                 "time is wall-clock from start to exit, its CPU user+sys from wait4(). "
                 "`bench/syscalls` times its own loop of `syscall(SYS_getppid)` with "
                 "clock_gettime. The targets are on time; CPU (user+sys of the load, which "
                 "eBPF programs on syscalls are charged to) is given beside it, as it is far "
                 "less disturbed by other work on a shared machine. Both run with the "
                 "monitor started and ready (\"listening on\"), one after the other; "
                 "\"vs none\" divides by the run without monitor of the same repetition. "
                 "The monitor's CPU is what it used while the load ran (top and the exporter "
                 "refresh every second).")
    errs = []
    for key in ("tcp", "udp", "conn", "syscall"):
        errs += report.errors(res.get(key, {}))
    errs += [f"start-up {lv}: {r['error']}" for lv, runs in res.get("startup", {}).items()
             for r in runs if "error" in r]
    errs += [f"start-up {lv}: {r['note']}" for lv, runs in res.get("startup", {}).items()
             for r in runs if "note" in r]
    errs += [f"attribution run {r['rep'] + 1}: {r['error']}" for r in res.get("attrib", [])
             if "error" in r]
    if errs:
        s.append("\n### Failed runs (left out of the figures)\n")
        s.append("\n".join(f"- {e}" for e in errs))
    if profiles:
        s.append("\n## Profiles of the missed targets\n")
        for p in profiles:
            s.append(f"- skipped: {p['skipped']}" if "skipped" in p else report.profile_text(p) + "\n")
    return "\n".join(s) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default=os.path.join(REPO, "build", "pidcap"))
    ap.add_argument("--bindir", default=os.path.join(REPO, "build", "bench"),
                    help="where udpflood and connstorm were built")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--reps", type=int, default=3,
                    help="repetitions of cases 5, 6 and 7 (at least 3)")
    ap.add_argument("--fast-reps", type=int, default=5,
                    help="repetitions of the short, noisiest cases 1-4 (at least 3)")
    ap.add_argument("--cases", default=",".join(CASES),
                    help="comma-separated, of: " + ", ".join(CASES))
    ap.add_argument("--tcp-seconds", type=int, default=5)
    ap.add_argument("--udp-seconds", type=float, default=3)
    ap.add_argument("--filter-seconds", type=float, default=10,
                    help="length of each flood of case 2b (filter expressions)")
    ap.add_argument("--conn-rate", type=int, default=1000)
    ap.add_argument("--conn-seconds", type=float, default=10)
    ap.add_argument("--max-sockets", type=int, default=100_000)
    ap.add_argument("--syscall-reps", type=int, default=7,
                    help="repetitions of case 8, the syscall-bound process (at least 5)")
    ap.add_argument("--syscall-dd-count", type=int, default=3_000_000,
                    help="bytes dd copies one at a time in case 8")
    ap.add_argument("--syscall-calls", type=int, default=5_000_000,
                    help="getppid calls of bench/syscalls in case 8")
    ap.add_argument("--profile-seconds", type=int, default=4)
    ap.add_argument("--wait-quiet", type=float, default=120,
                    help="wait this long at most for other pidcap processes to end")
    ap.add_argument("--budget", type=float, default=780,
                    help="seconds after which missed targets are no longer profiled")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.argv = ["python3", "bench/run.py"] + sys.argv[1:]
    if os.geteuid() != 0:
        print("bench: run as root (eBPF, namespaces, perf)", file=sys.stderr)
        return 1
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print(f"bench: unknown case(s) {', '.join(unknown)}: want {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    exes = [args.pidcap] + [os.path.join(args.bindir, b) for c in cases for b in CASES[c][0]]
    for exe in exes:
        if not os.access(exe, os.X_OK):
            print(f"bench: no {exe}: run `make bench`", file=sys.stderr)
            return 1
    tools = [t for c in cases for t in CASES[c][1]]
    tools += [] if args.no_profile else ["perf", "bpftool"]
    for tool in tools:
        if not shutil.which(tool):
            print(f"bench: {tool} missing: scripts/install-deps.sh --bench", file=sys.stderr)
            return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    workdir = tempfile.mkdtemp(prefix="pcbench-")
    ctx = Ctx(args, workdir)
    res, profiles, per_holder = {}, [], procs.nofile_hard() - 64
    try:
        for ns in procs.stale_namespaces():
            log(f"removing namespace {ns} left by an earlier run")
            procs.netns_delete(ns)
        meta = machine_meta(ctx)
        ctx.foreign_at_start = wait_quiet(ctx, args.wait_quiet)
        t0 = time.monotonic()
        ctx.top_ok = top_available(ctx)
        log(f"pidcap top --batch {'available' if ctx.top_ok else 'not available: not measured'}")
        if "tcp" in cases:
            res["tcp"] = case_tcp(ctx)
        if "udp" in cases:
            res["udp"] = case_udp(ctx)
        if "udpfilter" in cases:
            res["udpfilter"] = case_udpfilter(ctx)
        if "conn" in cases:
            res["conn"] = case_conn(ctx)
        if "startup" in cases:
            res["startup"], per_holder = case_startup(ctx)
        if "attrib" in cases:
            res["attrib"] = case_attrib(ctx)
        if "syscall" in cases:
            res["syscall"] = case_syscall(ctx)
        report.add_derived(res)
        ts = report.targets(res, ctx.top_ok)
        if not args.no_profile:
            profiles = run_profiles(ctx, ts, t0 + args.budget)
        text = render(ctx, meta, res, ts, profiles, per_holder, time.monotonic() - START)
    finally:
        procs.cleanup()
        if args.keep:
            log(f"work files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H%M")
    path = os.path.join(args.out, f"{stamp}.md")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    with open(path.replace(".md", ".json") + ".tmp", "w") as f:
        json.dump({"meta": meta, "results": {k: v for k, v in res.items() if k != "startup"},
                   "startup": {str(k): v for k, v in res.get("startup", {}).items()},
                   "targets": ts, "foreign_pidcaps": ctx.foreign}, f, indent=1, default=str)
    os.replace(path.replace(".md", ".json") + ".tmp", path.replace(".md", ".json"))
    print(text)
    log(f"results written to {os.path.relpath(path, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
