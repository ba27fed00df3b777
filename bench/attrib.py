"""Attribution accuracy of pidcap's benchmark: pidcap vs nethogs vs capture + ss.

For: judging four ways of naming the process of every payload byte of a
workload with known pids (tests/e2e/workload.py plus long paced flows):
pidcap --json, pidcap --backend pcap --json (the fallback without eBPF),
nethogs -t, and a tcpdump capture joined to `ss -tunap` polled every 100 ms.
Also the ss poller itself (`python3 bench/attrib.py --ss-poll`).
Not for: running the monitors or printing tables (run.py, report.py).

A payload byte is right when the method names the process that sent it
(pidcap: and no wrong receiving peer, as tests/e2e/accuracy.py judges).
The fallback is judged the same way, and its bytes named with a wrong process
are counted too: a guessed owner ("guess": true) counts like any other, a
record without pid (unknown) is neither right nor wrong.
nethogs only gives per-process totals of whole packets (headers included):
it is credited min(reported, expected) per process and direction, an upper
bound of what it gets right.
"""

import collections
import ipaddress
import os
import re
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))
import accuracy  # noqa: E402
import harness  # noqa: E402
import workload  # noqa: E402

CASES = ["a-tcp4", "b-tcp6", "c-udp4-connected", "d-udp4-unconnected", "e-udp6",
         "f-short-lived"]
# Long-lived flows that run alongside those cases: (name, family, proto, connected).
LONG = [("long-tcp4", workload.V4, "tcp", True), ("long-tcp6", workload.V6, "tcp", True),
        ("long-udp4-connected", workload.V4, "udp", True),
        ("long-udp4-unconnected", workload.V4, "udp", False),
        ("long-udp6", workload.V6, "udp", True)]
LONG_CHUNK, LONG_COUNT, LONG_GAP = 500, 60, 0.1    # 30 kB each way over 6 s
SS_INTERVAL = 0.1


# ---- the workload ------------------------------------------------------------

def long_tcp_client(chan, family, server):
    sock = workload.socket.socket(family, workload.socket.SOCK_STREAM)
    sock.settimeout(workload.IO_TIMEOUT)
    sock.connect(tuple(server))
    chan.send({"client": workload.local(sock)})
    for _ in range(LONG_COUNT):
        sock.sendall(workload.payload(LONG_CHUNK))
        time.sleep(LONG_GAP)
    sock.close()
    chan.send({"done": True})


def long_udp_client(chan, family, server, connected):
    sock = workload.socket.socket(family, workload.socket.SOCK_DGRAM)
    if connected:
        sock.connect(tuple(server))
    sock.settimeout(workload.IO_TIMEOUT)
    chan.send({"started": True})
    for _ in range(LONG_COUNT):
        workload.udp_talk(sock, None if connected else tuple(server),
                          [(LONG_CHUNK, LONG_CHUNK)])
        time.sleep(LONG_GAP)
    chan.send({"done": True})


def start_long(name, family, proto, connected):
    """Starts one long flow's server and client; returns a function that ends it."""
    addr = workload.LO4 if family == workload.V4 else workload.LO6
    n = LONG_CHUNK * LONG_COUNT
    if proto == "tcp":
        srv = harness.spawn(f"{name}-server", workload.tcp_server, family, addr, 1, (0, n, 0))
        server = srv.recv()["server"]
        cli = harness.spawn(f"{name}-client", long_tcp_client, family, server)
        client = cli.recv()["client"]
    else:
        srv = harness.spawn(f"{name}-server", workload.udp_server, family, addr,
                            [(LONG_CHUNK, LONG_CHUNK)] * LONG_COUNT, False)
        server = srv.recv()["server"]
        cli = harness.spawn(f"{name}-client", long_udp_client, family, server, connected)
        cli.recv()
        client = None

    def finish():
        cli.recv(timeout=60)
        cli.wait()
        got = srv.recv(timeout=30)
        srv.wait()
        c = client or got["peer"]
        return workload.flow(name, proto, family, cli.pid, srv.pid, c, server, n,
                             0 if proto == "tcp" else n)
    return finish


def run_workload(log):
    """Runs the e2e cases while the long flows run; returns the ground truth.

    Never calls Workload.prepare()/cleanup(): they delete the e2e tests'
    "pctest*" namespaces, which other people's tests may be using right now.
    """
    wl = workload.Workload(CASES)
    finishers = []
    try:
        for spec in LONG:
            finishers.append((spec[0], start_long(*spec)))
        wl.run(log=log)
        for name, finish in finishers:
            try:
                wl.flows.append(finish())
            except Exception as e:
                wl.errors[name] = f"{type(e).__name__}: {e}"
    except Exception as e:
        wl.errors["long flows"] = f"{type(e).__name__}: {e}"
    finally:
        harness.kill_all()
    truth = wl.truth()
    truth["cases"] = truth["cases"] + [spec[0] for spec in LONG]
    return truth


def case_expected(truth):
    """case -> expected payload bytes (each direction of each flow once)."""
    exp = collections.Counter()
    for f in truth["flows"]:
        exp[f["case"]] += f["bytes_c2s"] + f["bytes_s2c"]
    return exp


def percents(truth, right):
    """case -> percent of expected bytes that were right (capped at 100), plus "all"."""
    exp = case_expected(truth)
    out = {}
    for c in truth["cases"]:
        out[c] = 100.0 * min(right.get(c, 0), exp[c]) / exp[c] if exp[c] else None
    total = sum(exp.values())
    out["all"] = 100.0 * sum(min(right.get(c, 0), exp[c]) for c in exp) / total if total else None
    return out


# ---- pidcap --------------------------------------------------------------------

def judge_pidcap(truth, json_path):
    records, _ = accuracy.read_records(json_path)
    tallies, _ = accuracy.evaluate(truth, records)
    return percents(truth, {c: t.bytes["right"] for c, t in tallies.items()})


def judge_fallback(truth, json_path):
    """(percents as judge_pidcap, case -> bytes named with a wrong process, bytes guessed).

    Wrong: pid or peer_pid names another process than the flow's, guessed
    or not. Guessed: payload bytes of the workload's records with "guess": true.
    """
    records, _ = accuracy.read_records(json_path)
    tallies, _ = accuracy.evaluate(truth, records)
    wrong = {c: t.bytes["wrong"] for c, t in tallies.items()}
    wrong["all"] = sum(wrong.values())
    flows = accuracy.flow_index(truth["flows"])
    guessed = sum(r["payload"] for r in records
                  if r.get("guess") and accuracy.record_key(r) in flows)
    return percents(truth, {c: t.bytes["right"] for c, t in tallies.items()}), wrong, guessed


# ---- nethogs -------------------------------------------------------------------

NETHOGS_LINE = re.compile(r"^(.*)/(\d+)/(\d+)\t([0-9.e+]+)\t([0-9.e+]+)$")


def nethogs_totals(text):
    """pid -> (max bytes sent, max bytes received) over every refresh of `nethogs -t -v 2`."""
    tot = {}
    for line in text.splitlines():
        m = NETHOGS_LINE.match(line.strip("\n"))
        if not m or m.group(2) == "0":
            continue
        pid, sent, recv = int(m.group(2)), float(m.group(4)), float(m.group(5))
        s0, r0 = tot.get(pid, (0.0, 0.0))
        tot[pid] = (max(s0, sent), max(r0, recv))
    return tot


def judge_nethogs(truth, text):
    tot = nethogs_totals(text)
    exp = collections.defaultdict(lambda: [0, 0])   # (case, pid) -> [sent, received]
    for f in truth["flows"]:
        c, s = (f["case"], f["client_pid"]), (f["case"], f["server_pid"])
        exp[c][0] += f["bytes_c2s"]
        exp[s][1] += f["bytes_c2s"]
        exp[s][0] += f["bytes_s2c"]
        exp[c][1] += f["bytes_s2c"]
    right = collections.Counter()
    for (case, pid), (es, er) in exp.items():
        ns, nr = tot.get(pid, (0, 0))
        right[case] += min(ns, es) + min(nr, er)
    return percents(truth, right)


# ---- capture + ss polling --------------------------------------------------------

def ss_poll(out_path, seconds):
    """Runs `ss -tunapH` every SS_INTERVAL s, each output preceded by '@@ <time>'."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + seconds
    with open(out_path, "w") as out:
        while not stop and time.monotonic() < end:
            t0 = time.monotonic()
            ts = time.time()
            res = subprocess.run(["ss", "-tunapH"], capture_output=True, text=True, timeout=10)
            out.write(f"@@ {ts:.6f}\n{res.stdout}")
            out.flush()
            time.sleep(max(0.0, SS_INTERVAL - (time.monotonic() - t0)))


def _norm(host):
    host = host.split("%", 1)[0].strip("[]")
    if host == "*":
        return "*"
    try:
        a = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    return "*" if a.is_unspecified else a.compressed


def _endpoint(text):
    host, _, port = text.rpartition(":")
    return _norm(host), (None if port == "*" else int(port))


PID_RE = re.compile(r"pid=(\d+)")


def parse_ss(text):
    """(proto, local port) -> sorted [(time, local addr, peer addr, peer port, pid)]."""
    index = collections.defaultdict(list)
    ts = None
    for line in text.splitlines():
        if line.startswith("@@ "):
            ts = float(line[3:])
            continue
        parts = line.split()
        if ts is None or len(parts) < 6 or parts[0] not in ("tcp", "udp"):
            continue
        pids = PID_RE.findall(line)
        if not pids:
            continue
        (laddr, lport), (paddr, pport) = _endpoint(parts[4]), _endpoint(parts[5])
        index[(parts[0], lport)].append((ts, laddr, paddr, pport, int(pids[0])))
    return index


def ss_lookup(index, proto, src, sport, dst, dport, ts):
    """The pid ss showed nearest in time for the socket that sends src:sport -> dst:dport."""
    entries = index.get((proto, sport))
    if not entries:
        return None
    best = None
    for t, laddr, paddr, pport, pid in entries:
        if laddr not in (src, "*"):
            continue
        if paddr == dst and pport == dport:
            rank = 0
        elif paddr == "*":
            rank = 1
        else:
            continue
        key = (abs(t - ts), rank)
        if best is None or key < best[0]:
            best = (key, pid)
    return best[1] if best else None


def read_pcap(path):
    """Yields (ts, proto, src, sport, dst, dport, payload) from a LINUX_SLL/SLL2 pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(e + "I", data[20:24])[0]
    hdr = {113: 16, 276: 20}.get(linktype)
    if hdr is None:
        raise ValueError(f"link type {linktype}: want LINUX_SLL or LINUX_SLL2")
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ts = sec + frac / (1e9 if nano else 1e6)
        ptype = struct.unpack(">H", pkt[0:2] if linktype == 276 else pkt[14:16])[0]
        ip = pkt[hdr:]
        got = _ip_ports(ptype, ip)
        if got:
            yield (ts,) + got


def _ip_ports(ethertype, ip):
    if ethertype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        total, proto = struct.unpack(">H", ip[2:4])[0], ip[9]
        src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        l4, l4len = ip[ihl:], total - ihl
    elif ethertype == 0x86DD and len(ip) >= 40:
        proto, plen = ip[6], struct.unpack(">H", ip[4:6])[0]
        src, dst = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
        l4, l4len = ip[40:], plen
    else:
        return None
    if proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack(">HH", l4[:4])
        pay = l4len - (l4[12] >> 4) * 4
        name = "tcp"
    elif proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack(">HH", l4[:4])
        pay = l4len - 8
        name = "udp"
    else:
        return None
    return name, src.compressed, sport, dst.compressed, dport, max(0, pay)


def judge_ss(truth, pcap_path, ss_text):
    index = parse_ss(ss_text)
    flows = accuracy.flow_index(truth["flows"])
    right = collections.Counter()
    for ts, proto, src, sport, dst, dport, pay in read_pcap(pcap_path):
        if not pay:
            continue
        rec = {"proto": proto, "src": src, "sport": sport, "dst": dst, "dport": dport}
        hit = flows.get(accuracy.record_key(rec))
        if not hit:
            continue
        i, direction = hit[0]
        f = truth["flows"][i]
        sender = f["client_pid"] if direction == "c2s" else f["server_pid"]
        if ss_lookup(index, proto, _norm(src), sport, _norm(dst), dport, ts) == sender:
            right[f["case"]] += pay
    return percents(truth, right)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--ss-poll":
        ss_poll(sys.argv[2], float(sys.argv[3]))
        sys.exit(0)
    print("usage: attrib.py --ss-poll OUT SECONDS", file=sys.stderr)
    sys.exit(2)
