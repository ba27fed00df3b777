#!/usr/bin/env python3
"""End-to-end tests of `pidcap exporter`: a real Prometheus, series life, hostile HTTP.

For: running the real exporter (as root) while child processes with known pids
send fixed-size UDP datagrams on 127.0.0.1 and ::1 (so the bytes on the wire
are known exactly: n * (payload + 28 or 48)), letting Debian's Prometheus
scrape it and asking Prometheus (PromQL over its HTTP API) for the counters;
checking --by-exe and --grace on direct scrapes; sending malformed, oversized
and slow HTTP requests; bounded memory under process churn. Not for: the
kernel counters in detail (accuracy.py) or pidcap top (test_top.py).

Usage: tests/e2e/test_exporter.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_exporter: N passed, N failed"; exits 1 if any test failed.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import Capture, TestError, _end, _track  # noqa: E402
from traffic import Role, udp_exchange  # noqa: E402

TEST_TIMEOUT = 240
TOLERANCE = 0.01
PIDCAP = os.path.join(ROOT, "build", "pidcap")
SYSTEM_PYTHON = "/usr/bin/python3.11"  # a self-contained interpreter that can be copied
BYTES = "process_network_io_bytes_total"
PACKETS = "process_network_io_packets_total"


class Fail(Exception):
    """The test's expectation does not hold."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def within(got, want):
    return abs(got - want) <= TOLERANCE * want


class Exporter(Capture):
    """pidcap exporter on a port of its choosing; .addr is "host:port"."""

    def __init__(self, *args):
        super().__init__(PIDCAP, ["exporter", "--listen", "127.0.0.1:0", *args])
        m = re.search(r"listening on http://(\S+)/metrics", self.errtext())
        if not m:
            self.stop()
            raise TestError(f"no address in {self.errtext()[-300:]!r}")
        self.addr = m.group(1)
        self.host, self.port = self.addr.rsplit(":", 1)

    def get(self, path="/metrics", method="GET"):
        c = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def samples(self):
        status, headers, body = self.get()
        check(status == 200, f"/metrics answered {status}")
        return parse_metrics(body.decode())


LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_metrics(text):
    """[(name, {labels}, value)] of a text exposition; raises Fail on a bad line."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        check(m, f"bad exposition line {line!r}")
        labels = {k: unescape(v) for k, v in LABEL_RE.findall(m.group(2) or "")}
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def value(samples, name, **labels):
    vals = [v for n, lab, v in samples
            if n == name and all(lab.get(k) == w for k, w in labels.items())]
    return vals[0] if len(vals) == 1 else (None if not vals else vals)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus:
    """Debian's prometheus on 127.0.0.1, a temporary storage dir, scraping target every 1 s."""

    def __init__(self, target):
        self.tmp = tempfile.mkdtemp(prefix="pidcap-prom-")
        self.port = free_port()
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: pidcap\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        self.log = open(os.path.join(self.tmp, "log"), "wb")
        self.proc = _track(subprocess.Popen(
            ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={self.tmp}/data",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, cwd=self.tmp))
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise TestError(f"prometheus not ready: rc={self.proc.poll()} {self.logtext()}")
            time.sleep(0.2)

    def logtext(self):
        try:
            with open(os.path.join(self.tmp, "log"), "rb") as f:
                return f.read()[-800:].decode(errors="replace")
        except OSError:
            return ""

    def query(self, q):
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = json.load(r)
        check(doc.get("status") == "success", f"PromQL {q!r}: {doc}")
        return doc["data"]["result"]

    def wait_scrapes(self, n, timeout=60):
        """Until n successful scrapes of the exporter are stored."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.query('sum_over_time(up{job="pidcap"}[5m])')
            if last and float(last[0]["value"][1]) >= n:
                return
            time.sleep(0.5)
        targets = ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/targets",
                                        timeout=5) as r:
                targets = r.read()[:800].decode(errors="replace")
        except OSError:
            pass
        raise Fail(f"fewer than {n} successful scrapes in {timeout} s: {last}; targets {targets}")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        _end(self.proc)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def exe_copy(tmp, name):
    """The system interpreter copied under another name: its own process_executable_name."""
    path = os.path.join(tmp.encode(), name)
    shutil.copy(SYSTEM_PYTHON, path)
    os.chmod(path, 0o755)
    return path


# ---- tests -----------------------------------------------------------------------

WEIRD_NAME = b'pc"q\\b\nn\xff'          # quote, backslash, newline, invalid UTF-8
WEIRD_LABEL = 'pc"q\\b\nn\ufffd'        # what Prometheus must store


def test_prometheus_scrape():
    """A real Prometheus scrapes twice; PromQL returns each pid's wire bytes exactly."""
    check(shutil.which("prometheus"), "prometheus is not installed (scripts/install-deps.sh --test)")
    tmp = tempfile.mkdtemp(prefix="pidcap-exp-")
    exp = prom = None
    try:
        weird = exe_copy(tmp, WEIRD_NAME)
        exp = Exporter()
        want = {}  # pid -> (tx wire bytes, rx wire bytes, tx packets, rx packets)
        for addr, n, size, hdr, exe in (("127.0.0.1", 300, 500, 28, None),
                                        ("::1", 200, 600, 48, None),
                                        ("127.0.0.1", 50, 100, 28, weird)):
            done = udp_exchange(addr, n=n, size=size, exe=exe)
            for pid, (tx, rx) in done.items():
                check(tx in (0, n * size) and rx in (0, n * size),
                      f"pid {pid}: the children did tx {tx} rx {rx}, want {n * size}")
                want[pid] = (tx // size * (size + hdr), rx // size * (size + hdr),
                             tx // size, rx // size)
        weird_pids = set(list(want)[-2:])
        prom = Prometheus(exp.addr)
        prom.wait_scrapes(2)
        up = prom.query('up{job="pidcap"}')
        check(up and up[0]["value"][1] == "1", f"up = {up}")
        bad = []
        for pid, (tx, rx, txp, rxp) in want.items():
            for metric, d, w in ((BYTES, "transmit", tx), (BYTES, "receive", rx),
                                 (PACKETS, "transmit", txp), (PACKETS, "receive", rxp)):
                res = prom.query(f'{metric}{{process_pid="{pid}",network_io_direction="{d}"}}')
                if len(res) != 1:
                    bad.append(f"pid {pid} {metric} {d}: {len(res)} series")
                    continue
                got = float(res[0]["value"][1])
                if not within(got, w) or (w == 0 and got != 0):
                    bad.append(f"pid {pid} {metric} {d}: {got:.0f}, want {w}")
                lab = res[0]["metric"]
                if lab.get("process_owner") != "root":
                    bad.append(f"pid {pid}: process_owner {lab.get('process_owner')!r}")
                # the exec'd path (a symlink here) or its target, per the process cache
                want_exe = {WEIRD_LABEL} if pid in weird_pids else {
                    os.path.basename(sys.executable),
                    os.path.basename(os.path.realpath(sys.executable))}
                if lab.get("process_executable_name") not in want_exe:
                    bad.append(f"pid {pid}: process_executable_name "
                               f"{lab.get('process_executable_name')!r}, want {want_exe!r}")
        check(not bad, "; ".join(bad))
        meta = prom.query("pidcap_flows_map_full_total")
        check(meta and meta[0]["value"][1] == "0", f"pidcap_flows_map_full_total {meta}")
    finally:
        if prom:
            prom.stop()
        if exp:
            rc = exp.stop()
            check(rc == 0, f"exporter exited {rc} on SIGINT: {exp.errtext()[-300:]!r}")
        shutil.rmtree(tmp, ignore_errors=True)


def watch(exp, pred_gone, timeout, every=0.3):
    """Scrapes until pred_gone(samples); returns every scrape's samples."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = exp.samples()
        seen.append((time.monotonic(), s))
        if pred_gone(s):
            return seen
        time.sleep(every)
    raise Fail(f"series still present after {timeout} s")


def test_by_exe_grace():
    """--by-exe sums the pids of one executable, keeps exited ones' bytes, leaves after --grace."""
    tmp = tempfile.mkdtemp(prefix="pidcap-exp-")
    exp = sink = None
    try:
        name = f"pcexp{os.getpid()}"
        exe = exe_copy(tmp, name.encode())
        exp = Exporter("--by-exe", "--grace", "3")
        sink = Role(role="udp-sink", addr="127.0.0.1")
        total = 0
        for n in (100, 50):
            snd = Role(exe=exe, role="udp-send", to=["127.0.0.1", sink.port], n=n, size=400,
                       rate=1000)
            snd.recv(30)
            snd.wait()
            time.sleep(0.3)  # scrapes within 100 ms of the last one share its update
            total += n * 428
            s = exp.samples()
            got = value(s, BYTES, process_executable_name=name, network_io_direction="transmit")
            check(got == total, f"--by-exe transmit of {name} = {got}, want {total}")
            check(all("process_pid" not in lab for n_, lab, _ in s if n_ == BYTES),
                  "a process_pid label with --by-exe")
        gone_at = time.monotonic()
        seen = watch(exp, lambda s: value(s, BYTES, process_executable_name=name,
                                          network_io_direction="transmit") is None, 40)
        vals = [value(s, BYTES, process_executable_name=name, network_io_direction="transmit")
                for _, s in seen]
        vals = [v for v in vals if v is not None]
        check(all(v == total for v in vals), f"the counter changed after the exits: {vals}")
        check(seen[-1][0] - gone_at >= 3, f"removed {seen[-1][0] - gone_at:.1f} s after the "
              "exit, before --grace 3")
        # the sink is alive: its series stays
        check(value(seen[-1][1], BYTES, process_executable_name=os.path.basename(
            os.path.realpath(sys.executable)), network_io_direction="receive") is not None,
            "the live sink's series is gone")
    finally:
        if sink:
            sink.close()
        if exp:
            check(exp.stop() == 0, "exporter did not exit 0")
        shutil.rmtree(tmp, ignore_errors=True)


def test_pid_grace():
    """A pid's series keeps its counts after the exit and leaves after --grace."""
    exp = Exporter("--grace", "2")
    sink = Role(role="udp-sink", addr="::1")
    try:
        snd = Role(role="udp-send", to=["::1", sink.port], n=80, size=200, rate=1000)
        snd.recv(30)
        snd.wait()
        gone_at = time.monotonic()
        seen = watch(exp, lambda s: value(s, BYTES, process_pid=str(snd.pid),
                                          network_io_direction="transmit") is None, 40)
        vals = [value(s, BYTES, process_pid=str(snd.pid), network_io_direction="transmit")
                for _, s in seen]
        vals = [v for v in vals if v is not None]
        check(vals and all(v == 80 * 248 for v in vals), f"sender's counter over time: {vals}")
        check(seen[-1][0] - gone_at >= 2, "removed before --grace 2")
    finally:
        sink.close()
        check(exp.stop() == 0, "exporter did not exit 0")


def raw(exp, data, timeout=5.0):
    """Sends data on a new connection; returns what came back until close or timeout."""
    s = socket.create_connection((exp.host, int(exp.port)), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    return got


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def test_hostile_http():
    """Garbage, oversized, wrong-method, traversal and slow requests: errors, no crash."""
    exp = Exporter()
    try:
        cases = [
            ("garbage", b"\x00\xff\xfeGARBAGE\r\n\r\n", (400, 501, None)),
            ("no version", b"GET\r\n\r\n", (400, 505, None)),
            ("1 MB header", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20)
             + b"\r\n\r\n", (400, 413, 431, None)),
            ("100 KB url", b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
             (400, 404, 414, None)),
            ("DELETE", b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", (405,)),
            ("POST", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
             (405,)),
            ("BREW", b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", (405, 400, 501)),
            ("traversal", b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", (400, 404)),
            ("encoded traversal", b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
             (400, 404)),
            ("unknown path", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", (404,)),
            ("bad chunked", b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
             b"\r\n\r\nzz\r\n", (400, 200, None)),
        ]
        bad = []
        for name, data, ok in cases:
            resp = raw(exp, data)
            st = status_of(resp)
            if st not in ok:
                bad.append(f"{name}: status {st} ({resp[:80]!r}), want one of {ok}")
            if b"root:" in resp:
                bad.append(f"{name}: served a file")
            if exp.proc.poll() is not None:
                raise Fail(f"the exporter died after '{name}': rc={exp.proc.returncode} "
                           f"{exp.errtext()[-300:]!r}")
        check(not bad, "; ".join(bad))
        st, hd, body = exp.get("/metrics", "HEAD")
        check(st == 200 and body == b"", f"HEAD /metrics: {st}, {len(body)} bytes")
        st, hd, body = exp.get("/")
        check(st == 200 and b'href="/metrics"' in body, f"/: {st} {body[:100]!r}")
        check(hd.get("Content-Type", "").startswith("text/html"), f"/ type {hd}")
        st, hd, body = exp.get("/metrics")
        check(st == 200 and hd.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
              f"/metrics: {st} {hd.get('Content-Type')}")

        # slowloris: partial requests held open; /metrics still answers; they get closed
        slow = []
        for _ in range(20):
            s = socket.create_connection((exp.host, int(exp.port)), timeout=30)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        t0 = time.monotonic()
        st, _, _ = exp.get("/metrics")
        check(st == 200 and time.monotonic() - t0 < 3, f"/metrics with 20 slow clients: {st} "
              f"in {time.monotonic() - t0:.1f} s")
        closed = 0
        for s in slow:  # the server's idle timeout is 10 s
            s.settimeout(max(0.5, 25 - (time.monotonic() - t0)))
            try:
                s.recv(65536)  # EOF (or an error status) means the server gave up on it
                closed += 1
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed += 1
            s.close()
        waited = time.monotonic() - t0
        check(closed == len(slow) and waited < 30,
              f"{closed} of {len(slow)} slow connections closed by the server in {waited:.0f} s")
        # more connections than the limit, then gone
        many = []
        try:
            for _ in range(150):
                try:
                    many.append(socket.create_connection((exp.host, int(exp.port)), timeout=5))
                except OSError:
                    break
        finally:
            for s in many:
                s.close()
        time.sleep(0.5)
        st, _, _ = exp.get("/metrics")
        check(st == 200, f"/metrics after 150 connections: {st}")
        check(exp.proc.poll() is None, "the exporter exited")
    finally:
        rc = exp.stop()
        check(rc == 0, f"exporter exited {rc} on SIGINT: {exp.errtext()[-300:]!r}")


def test_trickling_clients():
    """64 clients trickling a byte every 5 s (inactivity alone never closes
    them) take every slot: a scrape alongside still succeeds within its
    timeout, the tricklers are closed by the request deadline, and the
    scrapes of one update get the same body."""
    exp = Exporter()
    slow = []
    try:
        for _ in range(64):
            s = socket.create_connection((exp.host, int(exp.port)), timeout=30)
            s.sendall(b"G")
            slow.append(s)
        t0 = time.monotonic()
        got = []
        while time.monotonic() - t0 < 16:  # bounded: 3 rounds of trickling
            for s in slow:
                try:
                    s.sendall(b"E")
                except OSError:
                    pass
            if not got:  # the scrape, with Prometheus' default timeout
                t1 = time.monotonic()
                try:
                    st, _, body = exp.get("/metrics")
                except OSError as e:
                    st, body = str(e), b""
                got.append((st, time.monotonic() - t1))
                check(st == 200, f"scrape beside 64 trickling clients: {st} after "
                      f"{got[0][1]:.1f} s")
            time.sleep(5)
        closed = 0
        for s in slow:
            s.settimeout(2)
            try:
                closed += s.recv(65536) == b"" or True  # EOF or an error status
            except socket.timeout:
                pass
            except OSError:
                closed += 1
        check(closed == len(slow), f"{closed} of {len(slow)} trickling clients closed after "
              f"{time.monotonic() - t0:.0f} s (request deadline 10 s)")
        a = exp.get("/metrics")[2]
        b = exp.get("/metrics")[2]
        check(a == b, "two scrapes 0.1 s apart got different bodies (one update, one body)")
        print(f"  scrape beside 64 trickling clients: {got[0][1]:.2f} s; "
              f"{closed} of 64 closed", flush=True)
    finally:
        for s in slow:
            s.close()
        rc = exp.stop()
        check(rc == 0, f"exporter exited {rc} on SIGINT: {exp.errtext()[-300:]!r}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_churn_bounded():
    """Hundreds of short-lived processes: series leave after --grace, memory stays flat.
    Only the churn's own processes are counted (--comm of their own), so that other
    traffic on the host does not add series."""
    comm = f"pcchurn{secrets.token_hex(3)}"
    exp = Exporter("--grace", "1", "--comm", comm)
    sink = Role(role="udp-sink", addr="127.0.0.1")
    try:
        def series():
            return value(exp.samples(), "pidcap_exporter_series")

        def churn():
            """Scrapes all along; returns the children and the pids seen in series."""
            ch = Role(role="churn", to=["127.0.0.1", sink.port], n=150, k=3, size=64,
                      comm=comm)
            seen = set()
            deadline = time.monotonic() + 120
            while ch.proc.poll() is None and time.monotonic() < deadline:
                seen |= {lab.get("process_pid") for n, lab, _ in exp.samples() if n == BYTES}
                time.sleep(0.1)
            seen |= {lab.get("process_pid") for n, lab, _ in exp.samples() if n == BYTES}
            rep = ch.recv(10)
            ch.wait()
            return rep["children"], seen

        base = series()
        kids, seen = churn()
        missed = [k for k in kids if str(k) not in seen]
        check(not missed, f"{len(missed)} of {len(kids)} short-lived children in no scrape")
        deadline = time.monotonic() + 40
        while series() > base + 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        after1 = series()
        check(after1 <= base + 2, f"{after1} series 40 s after the churn, {base} before")
        rss1 = rss_kb(exp.pid)
        churn()
        churn()
        deadline = time.monotonic() + 40
        while series() > base + 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        rss2 = rss_kb(exp.pid)
        check(rss2 - rss1 < 2048, f"RSS grew from {rss1} to {rss2} kB over the second churn")
    finally:
        sink.close()
        check(exp.stop() == 0, "exporter did not exit 0")


def test_idle_cleanup():
    """Thousands of connections idle past a minute are deleted in the kernel while a
    scrape reads the map: the scrape still answers within seconds, the counts stay.
    Only the churn's processes are counted (--comm), not other traffic on the host."""
    comm = f"pcidle{secrets.token_hex(3)}"
    exp = Exporter("--by-exe", "--comm", comm)
    sink = Role(role="udp-sink", addr="127.0.0.1")
    try:
        ch = Role(role="churn", to=["127.0.0.1", sink.port], n=2000, k=1, size=64, comm=comm)
        rep = ch.recv(180)
        ch.wait()
        exp.get()
        before = value(exp.samples(), BYTES, process_executable_name=os.path.basename(
            os.path.realpath(sys.executable)), network_io_direction="transmit")
        time.sleep(62)  # kernel entries idle for 60 s are deleted at the next reading
        t0 = time.monotonic()
        try:
            st, _, _ = exp.get()
        except OSError as e:
            raise Fail(f"/metrics after the idle minute: {e} after "
                       f"{time.monotonic() - t0:.1f} s ({len(rep['children'])} connections)")
        took = time.monotonic() - t0
        check(st == 200 and took < 5, f"/metrics after the idle minute: {st} in {took:.1f} s")
        after = value(exp.samples(), BYTES, process_executable_name=os.path.basename(
            os.path.realpath(sys.executable)), network_io_direction="transmit")
        check(after >= before, f"transmit bytes went from {before} to {after}")
    finally:
        sink.close()
        rc = exp.stop()
    check(rc == 0, f"exporter exited {rc}")


def test_listen_errors():
    rc, _, err = h.run([PIDCAP, "exporter", "--listen", "nonsense"], timeout=10)
    check(rc == 2 and "--listen" in err, f"bad address: exit {rc}, {err.strip()!r}")
    rc, _, err = h.run([PIDCAP, "exporter", "--listen", "::1:9888"], timeout=10)
    check(rc == 2 and "brackets" in err, f"IPv6 without brackets: exit {rc}, {err.strip()!r}")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        rc, _, err = h.run([PIDCAP, "exporter", "--listen", f"127.0.0.1:{port}"], timeout=30)
        check(rc == 1 and "in use" in err, f"port in use: exit {rc}, {err.strip()!r}")
    finally:
        busy.close()
    exp = Capture(PIDCAP, ["exporter", "--listen", "[::1]:0"])
    try:
        m = re.search(r"listening on http://\[::1\]:(\d+)/metrics", exp.errtext())
        check(m, f"no IPv6 address in {exp.errtext()[-200:]!r}")
        c = http.client.HTTPConnection("::1", int(m.group(1)), timeout=10)
        c.request("GET", "/metrics")
        check(c.getresponse().status == 200, "/metrics over [::1]")
        c.close()
    finally:
        exp.proc.send_signal(signal.SIGTERM)
        rc = exp.wait_exit(10)
        check(rc == 0, f"exit {rc} on SIGTERM")


TESTS = [
    ("prometheus_scrape", test_prometheus_scrape),
    ("by_exe_grace", test_by_exe_grace),
    ("pid_grace", test_pid_grace),
    ("hostile_http", test_hostile_http),
    ("trickling_clients", test_trickling_clients),
    ("churn_bounded", test_churn_bounded),
    ("idle_cleanup", test_idle_cleanup),
    ("listen_errors", test_listen_errors),
]


def _set_pidcap(path):
    global PIDCAP
    PIDCAP = path


def main():
    return h.run_suite("test_exporter", TESTS, __doc__, PIDCAP, TEST_TIMEOUT, (Fail, TestError),
                       _set_pidcap)


if __name__ == "__main__":
    sys.exit(main())
