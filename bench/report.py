"""Tables, targets and profile notes of pidcap's benchmark, in markdown.

For: turning the per-run measurements of run.py into "median (min-max)"
cells, ratios against the same repetition's baseline, the target verdicts,
and the results file. Not for: measuring anything.
"""

import statistics

NONE = "none"
# Case 2b: filter expressions on the numbered UDP flood (udpflood -q)
FILTERS = {"matches nothing": "udp port 9", "matches 1 %": "udp[8:4] % 100 == 0"}


def vals(runs, key):
    """The values of key over the runs that have it (failed runs are skipped)."""
    return [r[key] for r in runs if "error" not in r and r.get(key) is not None]


def paired(series, label, key, base=NONE, base_key=None, fn=lambda a, b: a / b if b else None):
    """fn(run[key], baseline run[base_key]) for each repetition that has both."""
    by_rep = {r["rep"]: r for r in series.get(base, []) if "error" not in r}
    out = []
    for r in series.get(label, []):
        b = by_rep.get(r["rep"])
        if "error" in r or b is None or r.get(key) is None or b.get(base_key or key) is None:
            continue
        v = fn(r[key], b[base_key or key])
        if v is not None:
            out.append(v)
    return out


def med(xs):
    return statistics.median(xs) if xs else None


def cell(xs, fmt="{:.2f}", scale=1.0):
    """"median (min–max)" of xs, or "—" when nothing was measured."""
    if not xs:
        return "—"
    xs = [x * scale for x in xs]
    m = fmt.format(statistics.median(xs))
    if len(xs) == 1 or min(xs) == max(xs):
        return f"{m} (n={len(xs)})" if len(xs) == 1 else m
    return f"{m} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def errors(series):
    out = []
    for label, runs in series.items():
        for r in runs:
            if "error" in r:
                out.append(f"{label}, run {r['rep'] + 1}: {r['error']}")
    return out


def table(head, rows, align=None):
    """A markdown table; align: one letter per column, l or r (default: first l, rest r)."""
    align = align or "l" + "r" * (len(head) - 1)
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---- derived per-run figures ----------------------------------------------------

def add_derived(res):
    """Adds per-run figures that need only that run (drop ratio, CPU per packet)."""
    for series in (res.get("tcp", {}), res.get("udp", {}), res.get("udpfilter", {}),
                   res.get("conn", {})):
        for runs in series.values():
            for r in runs:
                if "error" in r:
                    continue
                if r.get("captured") is not None and r.get("dropped") is not None:
                    seen = r["captured"] + r["dropped"]
                    r["drop_pct"] = 100.0 * r["dropped"] / seen if seen else 0.0
                if r.get("sent"):
                    r["sender_cpu_per_pkt"] = r["sender_cpu"] / r["sent"]
                    if r.get("cpu") is not None:
                        r["cpu_per_mpkt"] = r["cpu"] / (r["sent"] / 1e6)
                    if r.get("cpu_load") is not None:
                        r["cpu_load_per_mpkt"] = r["cpu_load"] / (r["sent"] / 1e6)
                    if r.get("captured") is not None:
                        r["delivered_frac"] = r["captured"] / r["sent"]
                if r.get("ok") and r.get("cpu") is not None:
                    r["cpu_ms_per_kconn"] = 1000.0 * r["cpu"] / (r["ok"] / 1000.0)


# ---- tables ---------------------------------------------------------------------

def tcp_table(s):
    rows = []
    for label in s:
        rows.append([label, cell(vals(s[label], "bps"), scale=1e-9),
                     "1" if label == NONE else cell(paired(s, label, "bps"), "{:.3f}"),
                     cell(vals(s[label], "captured"), "{:.0f}"),
                     cell(vals(s[label], "dropped"), "{:.0f}"),
                     cell(vals(s[label], "drop_pct"), "{:.2f}"),
                     cell(vals(s[label], "cpu"), "{:.2f}"),
                     cell(vals(s[label], "cpu_load"), "{:.2f}")])
    return table(["monitor", "throughput Gbit/s", "throughput vs none", "packets captured",
                  "dropped", "drop %", "monitor CPU s", "of which during the load"], rows)


def sender_cells(s, label):
    """Sender rate, its ratio and its CPU per packet vs none, packets delivered and dropped."""
    return [label, cell(vals(s[label], "rate"), "{:.3f}", 1e-6),
            "1" if label == NONE else cell(paired(s, label, "rate"), "{:.3f}"),
            "1" if label == NONE else cell(paired(s, label, "sender_cpu_per_pkt"), "{:.2f}"),
            cell(vals(s[label], "captured"), "{:.0f}"),
            cell(vals(s[label], "dropped"), "{:.0f}")]


def udp_table(s):
    rows = []
    for label in s:
        rows.append(sender_cells(s, label) + [
                     cell(vals(s[label], "drop_pct"), "{:.2f}"),
                     cell(vals(s[label], "delivered_frac"), "{:.3f}"),
                     cell(vals(s[label], "cpu_per_mpkt"), "{:.2f}"),
                     cell(vals(s[label], "cpu_load_per_mpkt"), "{:.2f}"),
                     cell(vals(s[label], "cpu"), "{:.2f}")])
    return table(["monitor", "sender Mpkt/s", "sender rate vs none",
                  "sender CPU per pkt vs none", "delivered to output", "dropped", "drop %",
                  "delivered / sent", "monitor CPU s per M pkts sent",
                  "the same, during the load only", "monitor CPU s"], rows)


def udp_filter_table(s):
    rows = []
    for label in s:
        rows.append(sender_cells(s, label) + [
                     cell(vals(s[label], "cpu_load_per_mpkt"), "{:.3f}"),
                     cell(vals(s[label], "cpu"), "{:.2f}")])
    return table(["monitor, filter", "sender Mpkt/s", "sender rate vs none",
                  "sender CPU per pkt vs none", "delivered to output", "dropped",
                  "monitor CPU s per M pkts sent (during the load)", "monitor CPU s"], rows)


def udp_filter_targets(uf, add):
    """2b: with the same filter, pidcap's CPU per packet and the sender's
    slowdown are at most tcpdump's (+ 0.01 s per M packets and 0.02 of the
    rate: the noise of a shared machine)."""
    for name in FILTERS:
        pc, td = f"pidcap, {name}", f"tcpdump, {name}"
        if pc not in uf:
            continue
        pv, tv = med(vals(uf[pc], "cpu_load_per_mpkt")), med(vals(uf.get(td, []), "cpu_load_per_mpkt"))
        us = med(vals(uf.get(f"{pc}, user space", []), "cpu_load_per_mpkt"))
        add(f"2b. UDP 64 B, filter that {name}: `pidcap` CPU s per M packets ≤ tcpdump's + 0.01",
            pv, tv, None if pv is None or tv is None else pv <= tv + 0.01, ("udpfilter", pc),
            "{:.3f}", f"filter in user space: {us:.3f}" if us is not None else "")
        pv, tv = med(paired(uf, pc, "rate")), med(paired(uf, td, "rate"))
        us = med(paired(uf, f"{pc}, user space", "rate"))
        add(f"2b. UDP 64 B, filter that {name}: sender rate vs none under `pidcap` ≥ tcpdump's − 0.02",
            pv, tv, None if pv is None or tv is None else pv >= tv - 0.02, ("udpfilter", pc),
            "{:.3f}", f"filter in user space: {us:.3f}" if us is not None else "")


def conn_table(s):
    rows = []
    for label in s:
        att = vals(s[label], "attributed_pct")
        rows.append([label, cell(vals(s[label], "ok"), "{:.0f}"),
                     "1" if label == NONE else cell(paired(s, label, "ok"), "{:.3f}"),
                     cell(vals(s[label], "cpu"), "{:.2f}"),
                     cell(vals(s[label], "cpu_load"), "{:.2f}"),
                     cell(vals(s[label], "cpu_ms_per_kconn"), "{:.0f}"),
                     cell(vals(s[label], "dropped"), "{:.0f}"),
                     cell(att, "{:.2f}") if att else "—"])
    return table(["monitor", "connections completed", "completed vs none", "monitor CPU s",
                  "of which during the load", "monitor CPU ms per 1000 connections", "dropped", "connections attributed %"],
                 rows)


def startup_table(s):
    rows = []
    base = s.get(0, [])
    for level, runs in s.items():
        def vs0(key):
            b = {r["rep"]: r[key] for r in base if "error" not in r and r.get(key)}
            return [r[key] / b[r["rep"]] for r in runs
                    if "error" not in r and r.get(key) and r["rep"] in b]
        opened = vals(runs, "opened")
        rows.append([f"{level:,}", cell(opened, "{:.0f}"), cell(vals(runs, "holders"), "{:.0f}"),
                     cell(vals(runs, "ready_s"), "{:.3f}"),
                     "1" if level == 0 else cell(vs0("ready_s"), "{:.2f}"),
                     cell(vals(runs, "hwm_kib"), "{:.1f}", 1 / 1024),
                     "1" if level == 0 else cell(vs0("hwm_kib"), "{:.2f}"),
                     cell(vals(runs, "cpu"), "{:.2f}")])
    return table(["sockets wanted", "sockets open", "holder processes", "launch to 'listening on' s",
                  "vs 0 sockets", "VmHWM MiB", "VmHWM vs 0 sockets", "pidcap CPU s (start + 1 s)"],
                 rows)


def syscall_table(s):
    rows = []
    for label in s:
        one = (lambda key: "1" if label == NONE else cell(paired(s, label, key), "{:.3f}"))
        rows.append([label, cell(vals(s[label], "dd_s"), "{:.2f}"), one("dd_s"),
                     cell(vals(s[label], "dd_cpu"), "{:.2f}"), one("dd_cpu"),
                     cell(vals(s[label], "getppid_ns"), "{:.0f}"), one("getppid_ns"),
                     one("getppid_cpu"), cell(vals(s[label], "cpu_load"), "{:.2f}")])
    return table(["monitor", "dd s", "dd time vs none", "dd CPU s", "dd CPU vs none",
                  "getppid ns per call", "getppid ns vs none", "getppid CPU vs none",
                  "monitor CPU s during the load"], rows)


ATTRIB_METHODS = ("pidcap", "nethogs", "ss", "fallback")


def attrib_vals(runs, method, case):
    """Case 7: the percents of method on case over the runs that have it."""
    return [r[method][case] for r in runs
            if "error" not in r and r.get(method, {}).get(case) is not None]


def attrib_table(runs, cases):
    rows = []
    for c in cases + ["all"]:
        row = [f"**{c}**" if c == "all" else c]
        for m in ATTRIB_METHODS:
            row.append(cell(attrib_vals(runs, m, c), "{:.1f}"))
        row.append(cell(attrib_vals(runs, "fallback_wrong", c), "{:.0f}"))
        rows.append(row)
    return table(["workload case", "pidcap --json %", "nethogs -t % (upper bound)",
                  "tcpdump + ss -tunap every 100 ms %", "pidcap --backend pcap %",
                  "pidcap --backend pcap: bytes to a wrong process"], rows)


# ---- targets --------------------------------------------------------------------

def verdict(ok):
    return "—" if ok is None else ("**met**" if ok else "**MISSED**")


def targets(res, top_ok):
    """[{target, pidcap, reference, ok, profile}] from the medians."""
    out = []
    tcp, udp, conn = res.get("tcp", {}), res.get("udp", {}), res.get("conn", {})
    pc_modes = [m for m in ("pidcap -w", "pidcap") if m in tcp or m in udp]

    def add(name, pv, rv, ok, profile=None, fmt="{:.3f}", note=""):
        f = (lambda v: "—" if v is None else (fmt.format(v) if isinstance(v, float) else str(v)))
        out.append({"target": name, "pidcap": f(pv), "reference": f(rv), "ok": ok,
                    "profile": profile if ok is False else None, "note": note})

    def ratio_note(series, what, key, labels, base=NONE):
        got = [(lb, med(paired(series, lb, key, base=base))) for lb in labels]
        got = [f"{lb} {v:.2f}" for lb, v in got if v is not None]
        return f"{what}: {', '.join(got)}" if got else ""

    td = med(paired(tcp, "tcpdump", "bps"))
    for m in pc_modes:
        if m not in tcp:
            continue
        pv = med(paired(tcp, m, "bps"))
        add(f"1. TCP bulk: `{m}` throughput ratio vs none ≥ tcpdump's − 0.05", pv, td,
            None if pv is None or td is None else pv >= td - 0.05, ("tcp", m))
        pd, tdd = med(vals(tcp[m], "dropped")), med(vals(tcp.get("tcpdump", []), "dropped"))
        add(f"1. TCP bulk: `{m}` drops ≤ tcpdump's", pd, tdd,
            None if pd is None or tdd is None else pd <= tdd, ("tcp", m), "{:.0f}")
    for m in pc_modes:
        if m not in udp:
            continue
        pv, tv = med(vals(udp[m], "captured")), med(vals(udp.get("tcpdump", []), "captured"))
        fr = [(lb, med(vals(udp.get(lb, []), "delivered_frac"))) for lb in (m, "tcpdump")]
        note = "; ".join(x for x in (
            "delivered / sent: " + ", ".join(f"{lb} {v:.3f}" for lb, v in fr if v is not None),
            ratio_note(udp, "sender rate vs none", "rate", (m, "tcpdump"))) if x)
        add(f"2. UDP 64 B: `{m}` packets delivered ≥ tcpdump's", pv, tv,
            None if pv is None or tv is None else pv >= tv, ("udp", m), "{:.0f}", note)
        pv, tv = med(vals(udp[m], "drop_pct")), med(vals(udp.get("tcpdump", []), "drop_pct"))
        add(f"2. UDP 64 B: `{m}` drop % ≤ tcpdump's", pv, tv,
            None if pv is None or tv is None else pv <= tv, ("udp", m), "{:.2f}")
    for m in pc_modes:
        if m not in udp:
            continue
        pv, tv = med(vals(udp[m], "cpu_per_mpkt")), med(vals(udp.get("tcpdump", []), "cpu_per_mpkt"))
        pl = med(vals(udp[m], "cpu_load_per_mpkt"))
        tl = med(vals(udp.get("tcpdump", []), "cpu_load_per_mpkt"))
        note = "; ".join(x for x in (
            f"during the load only: {m} {pl:.2f}, tcpdump {tl:.2f}" if pl is not None and
            tl is not None else "",
            ratio_note(udp, "sender CPU per packet vs none (kernel-side cost)",
                       "sender_cpu_per_pkt", (m, "tcpdump"))) if x)
        add(f"3. UDP 64 B: `{m}` CPU s per M packets ≤ tcpdump's", pv, tv,
            None if pv is None or tv is None else pv <= tv, ("udp", m), "{:.2f}", note)
    m = "pidcap -w --no-comments"  # process blocks only: the 2x target
    if m in udp:
        pv, tv = med(vals(udp[m], "cpu_per_mpkt")), med(vals(udp.get("tcpdump", []), "cpu_per_mpkt"))
        add(f"3. UDP 64 B: `{m}` CPU s per M packets ≤ 2 × tcpdump's", pv,
            None if tv is None else 2 * tv, None if pv is None or tv is None else pv <= 2 * tv,
            ("udp", m), "{:.2f}", ratio_note(udp, "sender rate vs none", "rate", (m,)))
    name = "4. `pidcap top` TCP bulk throughput ≥ 0.97 × none"
    if not top_ok:
        add(name + " (not measured: `pidcap top --batch` is not in this build)", None, 0.97, None)
    else:
        pv = med(paired(tcp, "pidcap top", "bps"))
        add(name, pv, 0.97, None if pv is None else pv >= 0.97, ("tcp", "pidcap top"),
            note=ratio_note(udp, "UDP 64 B sender rate vs none", "rate", ("pidcap top",)))
    pv = med(paired(udp, "pidcap --pid X", "cpu", base="pidcap"))
    pl = med(paired(udp, "pidcap --pid X", "cpu_load", base="pidcap"))
    note = "; ".join(x for x in (
        f"CPU during the load only (start-up left out): {pl:.3f} of capturing everything"
        if pl is not None else "",
        ratio_note(udp, "sender CPU per packet vs none", "sender_cpu_per_pkt",
                   ("pidcap --pid X", "pidcap"))) if x)
    add("4. `pidcap --pid X` (idle X) CPU < 0.10 × `pidcap` capturing everything, UDP load",
        pv, 0.10, None if pv is None else pv < 0.10, ("udp", "pidcap --pid X"), note=note)
    udp_filter_targets(res.get("udpfilter", {}), add)
    syscall_targets(res.get("syscall", {}), add, ratio_note)
    acc = res.get("attrib", [])
    ok_runs = [r for r in acc if "error" not in r]
    worst = min((v for r in ok_runs for c, v in r["pidcap"].items() if v is not None), default=None)
    add("6. attribution: pidcap 100 % on every case of the workload (worst case, worst run)",
        worst, 100.0, None if worst is None else worst >= 100.0 - 1e-9, None, "{:.2f}")
    catt = vals(conn.get("pidcap --json", []), "attributed_pct")
    worst = min(catt) if catt else None
    add("6. attribution: pidcap 100 % of the 1,000/s short-lived connections (worst run)",
        worst, 100.0, None if worst is None else worst >= 100.0 - 1e-9, ("conn", "pidcap --json"),
        "{:.2f}")
    fallback_targets(ok_runs, add)
    return out


SYSCALL_BOUND = 1.05
SYSCALL_LOADS = (("dd_s", "dd_cpu", "`dd bs=1` time"),
                 ("getppid_ns", "getppid_cpu", "`getppid` ns per call"))


def syscall_targets(sc, add, ratio_note):
    """Case 8: each pidcap mode slows a process off the network by at most 5 %."""
    modes = [m for m in ("pidcap", "pidcap top", "pidcap exporter") if m in sc]
    for key, cpu_key, what in SYSCALL_LOADS:
        td = med(paired(sc, "tcpdump", key))
        for m in modes:
            pv = med(paired(sc, m, key))
            note = "; ".join(x for x in (
                f"tcpdump {td:.3f}" if td is not None else "tcpdump not measured",
                ratio_note(sc, "CPU (user+sys) vs none, less noisy", cpu_key, (m, "tcpdump")))
                if x)
            add(f"8. syscall-bound, off the network: `{m}` {what} vs none ≤ {SYSCALL_BOUND}",
                pv, SYSCALL_BOUND, None if pv is None else pv <= SYSCALL_BOUND,
                ("syscall", m), note=note)


def fallback_targets(runs, add):
    """Case 7: the fallback against nethogs and ss polling, and its bytes to a wrong process."""
    cases = next((r["cases"] for r in runs if "fallback" in r), None)
    name = "7. fallback beats nethogs and ss polling on every case"
    if cases is None:
        add(name, None, None, None, None, "{:.1f}")
    else:
        behind, pv, rv = [], None, None
        for c in cases + ["all"]:
            fb = med(attrib_vals(runs, "fallback", c))
            refs = [(m, med(attrib_vals(runs, m, c))) for m in ("nethogs", "ss")]
            refs = [(m, v) for m, v in refs if v is not None]
            if not refs:
                continue
            best, ref = max(refs, key=lambda mv: mv[1])
            if c == "all":
                pv, rv = fb, ref
            won = fb is not None and (fb > ref + 1e-9 if c == "all" else fb >= ref - 1e-9)
            if not won:
                behind.append(f"{c} {'—' if fb is None else f'{fb:.1f}'} vs {best} {ref:.1f}")
        note = ("fallback % ≥ max(nethogs %, ss %) on each case, > on all (medians); " +
                ("behind on: " + ", ".join(behind) if behind else "ahead or level on every case"))
        add(name, pv, rv, not behind, None, "{:.1f}", note)
    wrong = [r["fallback_wrong"]["all"] for r in runs if "fallback_wrong" in r]
    worst = max(wrong) if wrong else None
    cases_wrong = sorted({c for r in runs for c, b in r.get("fallback_wrong", {}).items()
                          if b and c != "all"})
    guessed = [r["fallback_guessed"] for r in runs if "fallback_guessed" in r]
    note = "; ".join(x for x in (
        f"wrong on: {', '.join(cases_wrong)}" if cases_wrong else "",
        f"payload bytes named by a guess (\"guess\":true): {cell(guessed, '{:.0f}')}"
        if guessed else "") if x)
    add("7. fallback: 0 payload bytes to a wrong process, unknown allowed (worst run)",
        worst, 0, None if worst is None else worst == 0, None, "{:.0f}", note)


def targets_table(ts):
    rows = [[t["target"], t["pidcap"], t["reference"], verdict(t["ok"]), t["note"]] for t in ts]
    return table(["target (medians of the runs)", "pidcap", "reference", "result", "context"],
                 rows, "lrrll")


# ---- profiles ---------------------------------------------------------------------

def profile_text(p):
    lines = [f"#### `{p['cmd']}` under the {p['kind']} load (missed: {p['why']})", ""]
    load, mon = p["load"], p["monitor"]
    pkts, unit = load_units(p)
    lines.append(f"- pidcap used {mon['cpu']:.2f} s CPU (user+sys) for {pkts:,.0f} {unit}s of "
                 f"load; captured {mon.get('captured')}, dropped {mon.get('dropped')}.")
    total_ns = sum(ns for _, ns in p["bpf"].values())
    if p["bpf"]:
        per_pkt = f", {total_ns / pkts:.0f} ns per {unit} of load" if pkts else ""
        share = ""
        if load.get("sender_cpu"):
            share = (f"; the load's own processes used "
                     f"{load['sender_cpu']:.2f} s CPU, "
                     f"so the eBPF programs are {100 * total_ns / 1e9 / load['sender_cpu']:.1f} % of it")
        lines.append(f"- eBPF programs of this pidcap (kernel.bpf_stats_enabled=1 for this run, "
                     f"restored to {p['stats_restored_to']}): {total_ns / 1e6:.0f} ms in all"
                     f"{per_pkt}{share}.")
        lines.append("")
        rows = sorted(p["bpf"].items(), key=lambda kv: -kv[1][1])
        lines.append(table(["program", "runs", "ns per run", "total ms"],
                           [[n, f"{c:,}", f"{ns / c:.0f}", f"{ns / 1e6:.1f}"]
                            for n, (c, ns) in rows]))
    if p["perf"]:
        lines += ["", "Hottest symbols of the pidcap process (`perf record -g -p PID`, self time):", ""]
        lines.append(table(["% of pidcap samples", "object", "symbol"],
                           [[f"{pct:.1f}", dso, f"`{sym}`"] for pct, dso, sym in p["perf"]],
                           "rll"))
    if p.get("summary"):
        lines += ["", p["summary"]]
    return "\n".join(lines)


def load_units(p):
    """(count, unit) of a profile's load: its syscalls, or its packets."""
    load, mon = p["load"], p["monitor"]
    if load.get("syscalls"):
        return load["syscalls"], "syscall"
    return load.get("packets") or mon.get("captured") or 0, "packet"


def where_time_goes(p):
    """A few sentences on where the time goes, from the numbers of a profile."""
    mon, load = p["monitor"], p["load"]
    parts = []
    if p["perf"] and p.get("shares"):
        user, kern, bpf = p["shares"]
        top = ", ".join(f"`{s}` {x:.0f} %" for x, _, s in p["perf"][:4])
        parts.append(f"pidcap's own {mon['cpu'] * 1000:.0f} ms of CPU: {user:.0f} % of the samples "
                     f"in user space, {kern:.0f} % in the kernel on its behalf"
                     f"{f', {bpf:.1f} % in eBPF programs run by its own syscalls' if bpf else ''}; "
                     f"hottest: {top}")
    if p["bpf"]:
        total = sum(ns for _, ns in p["bpf"].values())
        pkts, unit = load_units(p)
        rows = sorted(p["bpf"].items(), key=lambda kv: -kv[1][1])
        top = ", ".join(f"`{n}` {100 * ns / total:.0f} % ({ns / c:.0f} ns × {c:,} runs)"
                        for n, (c, ns) in rows[:4])
        per = f" = {total / pkts:.0f} ns per {unit} of load" if pkts else ""
        who = ("the syscall-bound load" if unit == "syscall"
               else "the sending and receiving processes")
        parts.append(f"Kernel side, charged to {who} and not to "
                     f"pidcap: its eBPF programs ran {total / 1e6:.0f} ms{per}; {top}")
    return ("Where the time goes: " + ". ".join(parts) + ".") if parts else ""
