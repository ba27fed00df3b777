#!/usr/bin/env python3
"""End-to-end tests of `pidcap top`: --batch snapshots and the curses view.

For: running the real binary (as root) while child processes with known pids
exchange a known amount of UDP and TCP on 127.0.0.1 and ::1, and checking the
per-process totals of the JSON snapshots against what the children actually
sent and received; driving the curses view in a real terminal (tmux) with
keys and reading the screen back. Not for: the counters' kernel side in
detail (accuracy.py) or the exporter (test_exporter.py).

Usage: tests/e2e/test_top.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_top: N passed, N failed"; exits 1 if any test failed.
"""

import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import Capture, TestError, run  # noqa: E402
from traffic import Role, tcp_exchange, udp_exchange  # noqa: E402

TEST_TIMEOUT = 240       # seconds per test, enforced with SIGALRM
TOLERANCE = 0.01         # per-pid totals within 1% of what the children did
PIDCAP = os.path.join(ROOT, "build", "pidcap")


class Fail(Exception):
    """The test's expectation does not hold."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def within(got, want):
    return abs(got - want) <= TOLERANCE * want


def snapshots(cap):
    """The JSON snapshots printed so far (lines of other shapes are left out)."""
    return [r for r in cap.records() if isinstance(r, dict) and "processes" in r]


def best_rows(snaps):
    """pid -> its row with the largest totals over every snapshot."""
    best = {}
    for s in snaps:
        for p in s["processes"]:
            pid = p.get("pid")
            if pid is None:
                continue
            k = p["tx_bytes"] + p["rx_bytes"]
            if pid not in best or k >= best[pid]["tx_bytes"] + best[pid]["rx_bytes"]:
                best[pid] = p
    return best


# ---- --batch --json ----------------------------------------------------------

PROCESS_KEYS = {"pid", "uid", "comm", "user", "exe", "cmdline", "exited", "tx_bytes",
                "rx_bytes", "tx_payload", "rx_payload", "tx_packets", "rx_packets", "tx_rate",
                "rx_rate", "connections"}
CONN_KEYS = {"proto", "local", "lport", "remote", "rport", "tx_bytes", "rx_bytes", "tx_payload",
             "rx_payload"}


def retransmits():
    """TcpRetransSegs of the whole system: wire payload above what the
    children sent is a retransmission when this grew."""
    with open("/proc/net/snmp") as f:
        lines = [ln.split() for ln in f if ln.startswith("Tcp:")]
    return int(lines[1][lines[0].index("RetransSegs")])


def test_batch_json_accuracy():
    """TCP and UDP over IPv4 and IPv6 from short-lived children: payload totals within 1%."""
    retrans = retransmits()
    cap = Capture(PIDCAP, ["top", "--batch", "--json", "-d", "0.5"])
    truth, kinds = {}, {}
    for addr in ("127.0.0.1", "::1"):
        for pid, v in udp_exchange(addr, n=400, size=700).items():
            truth[pid], kinds[pid] = v, f"udp {addr}"
        for pid, v in tcp_exchange(addr, n=300000, reply=70000).items():
            truth[pid], kinds[pid] = v, f"tcp {addr}"
    time.sleep(1.2)  # two more snapshots
    rc = cap.stop()
    check(rc == 0, f"pidcap top exited {rc} after SIGINT, want 0: {cap.errtext()[-300:]!r}")
    snaps = snapshots(cap)
    check(len(snaps) >= 3, f"only {len(snaps)} snapshots")
    for i, s in enumerate(snaps):
        check({"ts", "interval", "totals", "processes"} <= set(s), f"snapshot keys {sorted(s)}")
        # the last one was taken at SIGINT, in the middle of an interval
        check(0.3 < s["interval"] < 2.0 or i == len(snaps) - 1,
              f"interval {s['interval']} for -d 0.5")
    best = best_rows(snaps)
    bad = []
    for pid, (tx, rx) in sorted(truth.items()):
        p = best.get(pid)
        if not p:
            bad.append(f"pid {pid} ({kinds[pid]}) in no snapshot")
            continue
        missing = PROCESS_KEYS - set(p)
        check(not missing, f"pid {pid}: keys {sorted(missing)} missing")
        if not within(p["tx_payload"], tx) or not within(p["rx_payload"], rx):
            bad.append(f"pid {pid} ({kinds[pid]}): tx_payload {p['tx_payload']} rx_payload "
                       f"{p['rx_payload']}, children did tx {tx} rx {rx}")
        if p["tx_bytes"] < p["tx_payload"] or p["rx_bytes"] < p["rx_payload"]:
            bad.append(f"pid {pid}: wire bytes below payload: {p}")
        for c in p["connections"]:
            check(CONN_KEYS <= set(c), f"pid {pid}: connection keys {sorted(c)}")
        fams = {c["local"] for c in p["connections"]}
        want = "::1" if "::1" in kinds[pid] else "127.0.0.1"
        if want not in fams:
            bad.append(f"pid {pid} ({kinds[pid]}): no connection from {want}: {sorted(fams)}")
        protos = {c["proto"] for c in p["connections"]}
        if kinds[pid].split()[0] not in protos:
            bad.append(f"pid {pid} ({kinds[pid]}): protocols {sorted(protos)}")
    if bad and retransmits() > retrans:
        bad.append(f"(the system retransmitted {retransmits() - retrans} TCP segments meanwhile)")
    check(not bad, "; ".join(bad))
    # the last snapshot came after SIGINT, and everything ended: exited rows
    exited = [p for p in snaps[-1]["processes"] if p.get("pid") in truth]
    check(all(p["exited"] for p in exited), "children that ended are not marked exited")


def test_batch_json_filter():
    """`pidcap top ip6`: the expression runs in the kernel before the counters, so
    the children of ::1 are counted exactly and those of 127.0.0.1 not at all; a
    kernel that refuses it is an error (the counters cannot be filtered after)."""
    cap = Capture(PIDCAP, ["top", "--batch", "--json", "-d", "0.5", "ip6"])
    line = next((x for x in cap.errtext().splitlines() if "listening on" in x), "")
    check(", filter in the kernel" in line, f"start-up line: {line!r}")
    v6 = udp_exchange("::1", n=200, size=500)
    v4 = udp_exchange("127.0.0.1", n=200, size=500)
    time.sleep(1.2)
    rc = cap.stop()
    check(rc == 0, f"pidcap top exited {rc} after SIGINT: {cap.errtext()[-300:]!r}")
    best = best_rows(snapshots(cap))
    for pid, (tx, rx) in v6.items():
        p = best.get(pid)
        check(p and within(p["tx_payload"], tx) and within(p["rx_payload"], rx),
              f"::1 child {pid}: {p and (p['tx_payload'], p['rx_payload'])}, did {tx} {rx}")
    counted = [pid for pid in v4 if pid in best and best[pid]["tx_bytes"] + best[pid]["rx_bytes"]]
    check(not counted, f"127.0.0.1 children counted despite 'ip6': {counted}")
    rc, out, err = run(["env", "PIDCAP_BPF_REJECT=pc_filter", PIDCAP, "top", "--batch",
                        "--backend", "ebpf", "-n", "1", "ip6"], timeout=30)
    check(rc == 1 and "the kernel refused the generated program" in err,
          f"refused filter: exit {rc}, stderr {err.strip()[-300:]!r}")


GROUP_KEYS = {"container_id", "container_name", "pod", "tx_bytes", "rx_bytes", "tx_payload",
              "rx_payload", "tx_packets", "rx_packets", "tx_rate", "rx_rate", "tx_packet_rate",
              "rx_packet_rate", "pids"}
COUNTERS = ("tx_bytes", "rx_bytes", "tx_payload", "rx_payload", "tx_packets", "rx_packets")


def test_batch_by_container():
    """--by-container: the processes of the host (no container runtime here) form
    one group, "(host)" in text and null names in JSON, whose counters equal the
    sum of the per-process rows a run without it counts of the same traffic."""
    comm = "pctop-grp"
    args = ["top", "--batch", "-d", "0.5", "--comm", comm]
    per = Capture(PIDCAP, args + ["--json"])
    grp = Capture(PIDCAP, args + ["--json", "--by-container"])
    txt = Capture(PIDCAP, args + ["--by-container"])
    truth = {}
    for addr in ("127.0.0.1", "::1"):
        truth.update(udp_exchange(addr, n=300, size=600, comm=comm))
    time.sleep(1.2)
    for cap in (per, grp, txt):
        rc = cap.stop()
        check(rc == 0, f"{cap.argv[1:]} exited {rc} after SIGINT: {cap.errtext()[-300:]!r}")
    rows = [p for p in snapshots(per)[-1]["processes"] if p["pid"] is not None]
    check({p["pid"] for p in rows} == set(truth),
          f"per process: pids {sorted(p['pid'] for p in rows)}, children {sorted(truth)}")
    check(all(p["container_id"] is None for p in rows), "a child in a container")
    snaps = [r for r in grp.records() if isinstance(r, dict) and "containers" in r]
    check(len(snaps) >= 3, f"only {len(snaps)} --by-container snapshots")
    check(all("processes" not in s for s in snaps), "--by-container still lists processes")
    groups = snaps[-1]["containers"]
    check(len(groups) == 1, f"groups {groups}, want the host's alone")
    g = groups[0]
    check(GROUP_KEYS <= set(g), f"group keys {sorted(g)}")
    check(g["container_id"] is None and g["container_name"] is None and g["pod"] is None,
          f"host group named {g['container_id']!r} {g['container_name']!r} {g['pod']!r}")
    check(sorted(g["pids"]) == sorted(truth), f"host group pids {g['pids']}, want {sorted(truth)}")
    want = {k: sum(p[k] for p in rows) for k in COUNTERS}
    got = {k: g[k] for k in COUNTERS}
    check(got == want, f"host group {got}, per-process rows summed {want}")
    tx = sum(v[0] for v in truth.values())
    rx = sum(v[1] for v in truth.values())
    check(g["tx_payload"] == tx and g["rx_payload"] == rx,
          f"host group payload tx {g['tx_payload']} rx {g['rx_payload']}, children {tx} {rx}")
    text = txt.out.decode(errors="replace")
    check("CONTAINER ID POD SENT/s RECV/s SENT RECV PACKETS PIDS" in text, "no column line")
    last = [ln.split() for ln in text.splitlines() if ln.startswith("(host) ")][-1:]
    check(last and last[0][1:3] == ["-", "-"] and int(last[0][5]) == want["tx_bytes"] and
          int(last[0][6]) == want["rx_bytes"] and
          sorted(map(int, last[0][8].split(","))) == sorted(truth),
          f"text: last (host) line {last}, want SENT {want['tx_bytes']} RECV "
          f"{want['rx_bytes']} PIDS {sorted(truth)}")


def test_tcp_before_accept():
    """Data that arrives before the server's accept() returns counts for the server."""
    cap = Capture(PIDCAP, ["top", "--batch", "--json", "-d", "0.5"])
    truth = {}
    for addr in ("127.0.0.1", "::1"):
        for pid, v in tcp_exchange(addr, n=300000, reply=70000, after_accept=False).items():
            truth[pid] = (addr, v)
    time.sleep(1.2)
    check(cap.stop() == 0, "pidcap top did not exit 0 after SIGINT")
    best = best_rows(snapshots(cap))
    bad = [f"pid {pid} ({addr}): tx_payload {best.get(pid, {}).get('tx_payload')} rx_payload "
           f"{best.get(pid, {}).get('rx_payload')}, children did tx {tx} rx {rx}"
           for pid, (addr, (tx, rx)) in sorted(truth.items())
           if pid not in best or not within(best[pid]["tx_payload"], tx)
           or not within(best[pid]["rx_payload"], rx)]
    check(not bad, "; ".join(bad))


def test_batch_text_iterations():
    """-n 3 prints three text snapshots and exits 0 by itself; names are escaped."""
    sink = Role(role="udp-sink", addr="127.0.0.1", comm="pc\x1btop")
    snd = None
    try:
        cap = Capture(PIDCAP, ["top", "--batch", "-d", "0.4", "-n", "3"])
        snd = Role(role="udp-send", to=["127.0.0.1", sink.port], n=200, size=100, rate=200,
                   stay=True)
        rc = cap.wait_exit(15)
        check(rc == 0, f"exit {rc}: {cap.errtext()[-300:]!r}")
    finally:
        if snd:
            snd.close()
        sink.close()
    text = cap.out.decode(errors="replace")
    heads = re.findall(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z interval [\d.]+ s: sent \d+ B/s",
                       text, re.M)
    check(len(heads) == 3, f"{len(heads)} snapshot header lines, want 3: {text[:500]!r}")
    check(text.count("PID USER COMM SENT/s RECV/s SENT RECV PACKETS STATE CONTAINER COMMAND") == 3,
          "column lines missing")
    rows = [ln.split() for ln in text.splitlines() if ln.startswith(f"{snd.pid} ")]
    check(rows, f"no row for the sender {snd.pid}")
    last = rows[-1]
    check(int(last[5]) > 0 and last[7].isdigit(), f"sender row {last}")
    check("\x1b" not in text, "an ESC byte reached stdout")
    check(f"{sink.pid} root pc\\x1btop " in text, f"sink's name not escaped: "
          f"{[ln for ln in text.splitlines() if ln.startswith(str(sink.pid))][:1]}")


def test_command_follow():
    """top -- CMD: counts CMD's traffic, ends with it and exits with its status."""
    sink = Role(role="udp-sink", addr="127.0.0.1")
    try:
        # the command's reports go to stderr: on the shared stdout they could
        # land in the middle of a long snapshot line
        cap = Capture(PIDCAP, ["top", "--batch", "--json", "-d", "0.3", "--", "sh", "-c",
                               'exec "$0" "$@" >&2', sys.executable,
                               "-c", __import__("traffic").ROLE_SRC,
                               '{"role": "udp-send", "to": ["127.0.0.1", %d], "n": 50, '
                               '"size": 300, "rate": 100, "comm": "pctop-cmd", "exit": 7}'
                               % sink.port])
        rc = cap.wait_exit(30)
    finally:
        sink.close()
    check(rc == 7, f"exit {rc}, want the command's 7: {cap.errtext()[-300:]!r}")
    hello = re.search(r'^\{"pid": (\d+), "port"', cap.errtext(), re.M)
    check(hello, f"the command's first line is missing: {cap.errtext()[-300:]!r}")
    pid = int(hello.group(1))
    best = best_rows(snapshots(cap))
    check(pid in best, f"command pid {pid} in no snapshot")
    check(best[pid]["tx_payload"] == 50 * 300, f"command's tx_payload {best[pid]['tx_payload']}, "
          f"want {50 * 300}")
    check(best[pid]["comm"] == "pctop-cmd", f"comm {best[pid]['comm']!r}")


# ---- the curses view in tmux ---------------------------------------------------

class Tmux:
    """A private tmux server (its own socket) with one session running cmd."""

    def __init__(self, cmd, x, y):
        self.sock = f"pidcap-test-{os.getpid()}"
        rc, _, err = run(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d", "-s",
                          "top", "-x", str(x), "-y", str(y), cmd], timeout=10)
        if rc:
            raise TestError(f"tmux new-session failed: {err.strip()}")

    def tmux(self, *args):
        return run(["tmux", "-L", self.sock, *args], timeout=10)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "top", *keys)

    def screen(self):
        rc, out, _ = self.tmux("capture-pane", "-p", "-t", "top")
        return out if rc == 0 else ""

    def resize(self, x, y):
        self.tmux("resize-window", "-t", "top", "-x", str(x), "-y", str(y))

    def wait(self, pred, timeout=10.0, what="screen"):
        deadline = time.monotonic() + timeout
        scr = ""
        while time.monotonic() < deadline:
            scr = self.screen()
            if pred(scr):
                return scr
            time.sleep(0.1)
        raise Fail(f"{what} not seen within {timeout:.0f} s; screen:\n{scr}")

    def kill(self):
        self.tmux("kill-server")


UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "b": 1 / 8, "kb": 1000 / 8,
         "Mb": 1e6 / 8, "Gb": 1e9 / 8}


def amount(s):
    m = re.fullmatch(r"([\d.]+)([KMG]?b?|kb)", s)
    if not m:
        raise Fail(f"not an amount: {s!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def rows(scr, pids):
    """pid -> (line index, columns) for the process rows of pids on the screen."""
    out = {}
    for i, line in enumerate(scr.splitlines()):
        # pid, user, program, (container: not kept), SENT/s, RECV/s, SENT, RECV, PACKETS
        m = re.match(r"^[+\- ]\s*(\d+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)"
                     r"\s+(\S+)", line)
        if m and int(m.group(1)) in pids:
            out[int(m.group(1))] = (i, m.groups())
    return out


def group_row(scr, label):
    """(line index, (marker, processes, SENT/s, RECV/s, SENT, RECV, PACKETS)) of the
    container group row labelled label, or None."""
    for i, line in enumerate(scr.splitlines()):
        m = re.match(r"^([+\-])\s+(\d+) process(?:es)?\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)"
                     r"\s+(\S+)", line)
        if m and m.group(3) == label:
            return i, m.group(1, 2, 4, 5, 6, 7, 8)
    return None


def order(scr, pids):
    r = rows(scr, pids)
    return [pid for pid, _ in sorted(r.items(), key=lambda kv: kv[1][0])]


def test_curses_view():
    if not shutil.which("tmux"):
        raise Fail("tmux is not installed (scripts/install-deps.sh --test)")
    tmp = tempfile.mkdtemp(prefix="pidcap-top-")
    rcfile = os.path.join(tmp, "rc")
    sink = heavy = light = tm = None
    try:
        sink = Role(role="udp-sink", addr="127.0.0.1", comm="pctop-sink")
        heavy = Role(role="udp-send", to=["127.0.0.1", sink.port], n=9000, size=1000, rate=100,
                     stay=True, comm="pctop-heavy")
        light = Role(role="tcp-loop", addr="127.0.0.1", rate=5, size=100, comm="pctop-light")
        pids = {sink.pid, heavy.pid, light.pid}
        tm = Tmux(f"{PIDCAP} top -d 0.5; echo $? > {rcfile}", 120, 30)
        tm.wait(lambda s: "PROGRAM" in s and "COMMAND" in s, 60, "the header line")
        tm.keys("/")
        tm.wait(lambda s: "Filter by name:" in s, 5, "the filter prompt")
        tm.keys("pctop", "Enter")
        scr = tm.wait(lambda s: len(rows(s, pids)) == 3 and all(
            r[1][3] != "0" for p, r in rows(s, pids).items() if p == heavy.pid), 20,
            "rows of the three processes with the sender's rate")
        check("filter: pctop" in scr, "the title does not show the filter")
        other = [ln for ln in scr.splitlines()[3:-1] if ln.strip() and "pctop" not in ln]
        check(not other, f"the filter let other rows through: {other[:3]}")
        # plausible: 100 datagrams/s of 1000 bytes = 102800 B/s on the wire
        r = rows(scr, pids)
        rate = amount(r[heavy.pid][1][3])
        check(51400 <= rate <= 154200, f"sender's SENT/s {r[heavy.pid][1][3]} ({rate:.0f} B/s), "
              "want about 102800")
        rrate = amount(r[sink.pid][1][4])
        check(51400 <= rrate <= 154200, f"sink's RECV/s {r[sink.pid][1][4]}, want about 102800")
        check(r[heavy.pid][1][2] == "pctop-heavy", f"PROGRAM column {r[heavy.pid][1][2]!r}")

        for key, want in (("s", [heavy.pid, light.pid, sink.pid]),
                          ("r", [sink.pid, light.pid, heavy.pid]),
                          ("n", [heavy.pid, light.pid, sink.pid]),
                          ("p", sorted(pids))):
            tm.keys(key)
            tm.wait(lambda s: order(s, pids) == want, 10, f"order {want} after '{key}'")

        tm.keys("s")
        tm.wait(lambda s: order(s, pids)[:1] == [heavy.pid], 10, "the sender first")
        tm.keys("Home", "Enter")
        conn = f"127.0.0.1:{heavy.port} -> 127.0.0.1:{sink.port}"
        scr = tm.wait(lambda s: any(conn in ln and "udp" in ln and "active" in ln
                                    for ln in s.splitlines()), 10, f"connection '{conn}'")
        tm.keys("Left")
        tm.wait(lambda s: conn not in s, 10, "the connection gone after Left")

        tm.keys("h")
        tm.wait(lambda s: "pidcap top: bandwidth per process" in s and "sort by sent rate" in s,
                5, "the help screen")
        tm.keys("x")
        tm.wait(lambda s: "PROGRAM" in s, 5, "the view back after the help")

        tm.keys("b")
        tm.wait(lambda s: heavy.pid in rows(s, pids) and
                rows(s, pids)[heavy.pid][1][3].endswith("b"), 5, "rates in bits")
        tm.keys("b", "Space")
        tm.wait(lambda s: "[PAUSED]" in s, 5, "[PAUSED]")
        tm.keys("Space")
        before_group = tm.wait(lambda s: "[PAUSED]" not in s and heavy.pid in rows(s, pids),
                               5, "resumed")

        # grouped by container: the three (filtered) processes of the host in one
        # row; Enter drills down to them, a process under it shows its
        # connections, Left collapses the process, then the group
        tm.keys("c")
        scr = tm.wait(lambda s: (group_row(s, "(host)") or (0, "x"))[1][:2] == ("+", "3") and
                      not rows(s, pids), 10, "the (host) group row of 3 processes")
        check("3 processes in 1 groups" in scr.splitlines()[0], f"title {scr.splitlines()[0]!r}")
        g = group_row(scr, "(host)")[1]
        check(amount(g[2]) >= amount(rows(before_group, pids)[heavy.pid][1][3]) / 2,
              f"the group's SENT/s {g[2]} below the sender's")
        tm.keys("Home", "Enter")
        scr = tm.wait(lambda s: group_row(s, "(host)") and group_row(s, "(host)")[1][0] == "-"
                      and len(rows(s, pids)) == 3, 10, "the group's processes beneath it")
        gi = group_row(scr, "(host)")[0]
        check(all(r[0] > gi for r in rows(scr, pids).values()), "processes above their group")
        check(order(scr, pids)[0] == heavy.pid, f"under the group, order {order(scr, pids)}, "
              "want the sender first (sort by sent rate)")
        tm.keys("Down", "Enter")
        tm.wait(lambda s: any(conn in ln for ln in s.splitlines()), 10,
                "the sender's connection under the group")
        tm.keys("Left")
        tm.wait(lambda s: conn not in s and len(rows(s, pids)) == 3, 10,
                "the connection gone, the processes still there")
        tm.keys("Left")
        tm.wait(lambda s: (group_row(s, "(host)") or (0, "x"))[1][0] == "+" and
                not rows(s, pids), 10, "the group collapsed by Left on a process under it")
        tm.keys("c")
        tm.wait(lambda s: len(rows(s, pids)) == 3 and not group_row(s, "(host)"), 10,
                "a row per process again after c")

        tm.resize(80, 24)
        scr = tm.wait(lambda s: len(s.splitlines()) <= 24 and "PROGRAM" in s and
                      len(rows(s, pids)) == 3 and "q quit" in s.splitlines()[-1], 10,
                      "the view at 80x24")
        wide = [ln for ln in scr.splitlines() if len(ln) > 80]
        check(not wide, f"lines wider than 80 columns: {wide[:2]}")

        tm.keys("q")
        deadline = time.monotonic() + 10
        while not os.path.exists(rcfile) and time.monotonic() < deadline:
            time.sleep(0.1)
        check(os.path.exists(rcfile), "pidcap top still running 10 s after q")
        time.sleep(0.1)
        with open(rcfile) as f:
            rc = f.read().strip()
        check(rc == "0", f"pidcap top exited {rc} after q, want 0")

        # --by-container: the view starts grouped
        tm.kill()
        tm = Tmux(f"{PIDCAP} top -d 0.5 --by-container", 120, 30)
        scr = tm.wait(lambda s: group_row(s, "(host)") is not None, 60, "a (host) group row")
        check(" groups " in scr.splitlines()[0], f"title {scr.splitlines()[0]!r}")
        tm.keys("q")
    finally:
        if tm:
            tm.kill()
        for r in (heavy, light, sink):
            if r:
                r.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_top_errors():
    rc, out, err = run([PIDCAP, "top", "-i", "lo", "--batch"], timeout=10)
    check(rc == 2 and "-i" in err, f"top -i: exit {rc}, stderr {err.strip()!r}")
    rc, out, err = run([PIDCAP, "top"], timeout=10)  # stdin/stdout are pipes here
    check(rc == 2 and "--batch" in err, f"top without a terminal: exit {rc}, {err.strip()!r}")
    rc, out, err = run([PIDCAP, "top", "-d", "0"], timeout=10)
    check(rc == 2 and "-d" in err, f"top -d 0: exit {rc}, {err.strip()!r}")


TESTS = [
    ("batch_json_accuracy", test_batch_json_accuracy),
    ("batch_json_filter", test_batch_json_filter),
    ("batch_by_container", test_batch_by_container),
    ("batch_text_iterations", test_batch_text_iterations),
    ("command_follow", test_command_follow),
    ("curses_view", test_curses_view),
    ("tcp_before_accept", test_tcp_before_accept),
    ("top_errors", test_top_errors),
]


def _set_pidcap(path):
    global PIDCAP
    PIDCAP = path


def main():
    return h.run_suite("test_top", TESTS, __doc__, PIDCAP, TEST_TIMEOUT, (Fail, TestError),
                       _set_pidcap)


if __name__ == "__main__":
    sys.exit(main())
