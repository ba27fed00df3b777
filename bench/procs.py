"""Processes of pidcap's benchmark: monitors, loads, netns, and their cleanup.

For: starting the monitors (tcpdump, pidcap, nethogs) and load generators as
children with known pids, reading their CPU time from wait4(), stopping and
killing them by pid, and the "pcbench*" namespaces. Not for: deciding what
to run or judging the numbers (run.py, report.py).
"""

import ctypes
import json
import os
import re
import select
import signal
import socket
import subprocess
import time

NETNS_PREFIX = "pcbench"
CLONE_NEWNET = 0x40000000

_procs = []       # Popen objects started here and not reaped yet
_forked = []      # pids forked here (socket holders) not reaped yet
_netns = []       # namespaces created here

CAPTURED_RE = re.compile(r"(\d+) packets? captured")
DROPPED_RE = re.compile(r"(\d+) packets? dropped by kernel")


class BenchError(Exception):
    """A load or a monitor failed in a way that makes the run meaningless."""


def popen(cmd, **kw):
    """subprocess.Popen that remembers the child so that cleanup() can kill it."""
    p = subprocess.Popen(cmd, stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    _procs.append(p)
    return p


def wait4(p, timeout):
    """Reaps p with wait4(); returns (exit code, CPU seconds user+sys, max RSS KiB).

    SIGKILLs p (by pid) when it has not exited within timeout, and raises.
    """
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if time.monotonic() > deadline:
            kill(p)
            raise BenchError(f"{os.path.basename(p.args[0])}[{p.pid}] did not exit "
                             f"within {timeout:.0f} s, killed")
        time.sleep(0.01)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p in _procs:
        _procs.remove(p)
    return p.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def kill(p):
    """SIGKILLs a child started by popen() (by its pid) and reaps it."""
    if p.returncode is None:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except (subprocess.TimeoutExpired, ChildProcessError):
            pass
    if p in _procs:
        _procs.remove(p)


def cleanup():
    """Kills every child still running (by pid) and deletes our namespaces."""
    for p in list(_procs):
        kill(p)
    for pid in list(_forked):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        _forked.remove(pid)
    for ns in list(_netns):
        netns_delete(ns)


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- monitors ----------------------------------------------------------------

class Monitor:
    """One monitor process: stdout and stderr to files, stopped with SIGINT.

    ready: a regex that says the monitor listens (searched in stderr, or in
    stdout with ready_on_stdout); None waits a fixed READY_FALLBACK seconds.
    """

    READY_TIMEOUT = 60.0
    READY_FALLBACK = 1.5
    STOP_TIMEOUT = 30.0

    def __init__(self, label, cmd, workdir, ready=r"listening on", ready_on_stdout=False,
                 keep_stdout=False):
        self.label, self.cmd = label, cmd
        tag = re.sub(r"[^A-Za-z0-9]+", "_", label)
        self.err_path = os.path.join(workdir, f"{tag}.stderr")
        self.out_path = os.path.join(workdir, f"{tag}.stdout") if keep_stdout else None
        self.ready = re.compile(ready) if ready else None
        self.ready_on_stdout = ready_on_stdout
        self.proc = None
        self.t_start = None

    def start(self):
        out = open(self.out_path, "wb") if self.out_path else subprocess.DEVNULL
        with open(self.err_path, "wb") as err:
            self.t_start = time.monotonic()
            self.proc = popen(self.cmd, stdout=out, stderr=err)
        if self.out_path:
            out.close()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait_ready(self):
        """Seconds from start to the ready message; raises if it never comes."""
        if self.ready is None:
            time.sleep(self.READY_FALLBACK)
            if self.proc.poll() is not None:
                raise BenchError(f"{self.label} exited with {self.proc.returncode}: "
                                 f"{read_text(self.err_path)[-500:]}")
            return None
        path = self.out_path if self.ready_on_stdout else self.err_path
        while time.monotonic() - self.t_start < self.READY_TIMEOUT:
            if self.ready.search(read_text(path)):
                return time.monotonic() - self.t_start
            if self.proc.poll() is not None:
                raise BenchError(f"{self.label} exited with {self.proc.returncode} before "
                                 f"listening: {read_text(self.err_path)[-500:]}")
            time.sleep(0.005)
        raise BenchError(f"{self.label} not ready within {self.READY_TIMEOUT:.0f} s")

    def cpu_now(self):
        """CPU seconds (user+sys) the running monitor has used so far, from /proc/PID/stat."""
        stat = read_text(f"/proc/{self.pid}/stat")
        fields = stat.rpartition(")")[2].split()
        if len(fields) < 13:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def vm_hwm_kib(self):
        """VmHWM of the running monitor, in KiB."""
        for line in read_text(f"/proc/{self.pid}/status").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def stop(self):
        """SIGINT, reap; returns captured/dropped (None if not printed), CPU seconds."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        code, cpu, maxrss = wait4(self.proc, self.STOP_TIMEOUT)
        err = read_text(self.err_path)
        cap, drop = CAPTURED_RE.findall(err), DROPPED_RE.findall(err)
        return {"rc": code, "cpu": cpu, "maxrss_kib": maxrss,
                "captured": int(cap[-1]) if cap else None,
                "dropped": int(drop[-1]) if drop else None,
                "stderr_tail": err[-400:]}


def start_ready(mon):
    """Starts a monitor and waits until it listens; None stands for no monitor."""
    if mon is None:
        return None
    mon.start()
    try:
        mon.wait_ready()
    except BaseException:
        kill(mon.proc)
        raise
    return mon


# ---- loads -------------------------------------------------------------------

def _read_line(stream, timeout):
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise BenchError("no output from a load generator")
    return stream.readline().decode()


def kv(text):
    """key=value words -> dict of floats."""
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", text)}


def udp_flood(bindir, seconds, numbered=False):
    """udpflood sink + sender for `seconds`: packets sent, rate, sender CPU, received.

    numbered: the datagrams carry a sequence number (udpflood -q), for filters
    that pick a share of them."""
    sink = popen([os.path.join(bindir, "udpflood"), "sink", "-t", str(seconds + 10)],
                 stdout=subprocess.PIPE)
    try:
        port = int(kv(_read_line(sink.stdout, 10))["port"])
        sender = popen([os.path.join(bindir, "udpflood"), "send", "-p", str(port),
                        "-t", str(seconds)] + (["-q"] if numbered else []),
                       stdout=subprocess.PIPE)
        out = sender.stdout.read().decode()
        code, cpu, _ = wait4(sender, seconds + 20)
        if code != 0:
            raise BenchError(f"udpflood send exited with {code}")
        got = kv(out)
        os.kill(sink.pid, signal.SIGTERM)
        sink_out = sink.stdout.read().decode()
        _, sink_cpu, _ = wait4(sink, 10)
    finally:
        kill(sink)
    return {"sent": got["sent"], "seconds": got["seconds"], "rate": got["sent"] / got["seconds"],
            "sender_cpu": cpu, "sink_cpu": sink_cpu, "received": kv(sink_out).get("received")}


def iperf_client(port, seconds):
    """iperf3 -c 127.0.0.1 -t seconds -J against a server on port: bits/s received."""
    c = popen(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-J"],
              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = c.stdout.read()
    code, cpu, _ = wait4(c, seconds + 30)
    res = {}
    try:
        res = json.loads(out)
        bps = res["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError, TypeError) as e:
        why = res.get("error") if isinstance(res, dict) else None
        raise BenchError(f"iperf3 exited with {code} and no result: {why or e}")
    return {"bps": bps, "client_cpu": cpu,
            "retransmits": res["end"].get("sum_sent", {}).get("retransmits")}


def iperf_server_stop(server):
    """SIGTERM to an iperf3 server; returns its CPU seconds."""
    if server.returncode is None:
        os.kill(server.pid, signal.SIGTERM)
    return wait4(server, 10)[1]


def iperf_server():
    port = free_port()
    s = popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port)],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Not probed with a connection: iperf3 would take it for a client and be busy.
    want = f"0100007F:{port:04X}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in read_text("/proc/net/tcp").splitlines()[1:]:
            f = line.split()
            if f[1] == want and f[3] == "0A":  # TCP_LISTEN
                return s, port
        if s.poll() is not None:
            break
        time.sleep(0.05)
    kill(s)
    raise BenchError("iperf3 server did not listen")


def conn_storm(bindir, rate, seconds, out_path):
    """connstorm: returns its counters and {client port: [(connect time, pid)]} sorted."""
    p = popen([os.path.join(bindir, "connstorm"), "-r", str(rate), "-t", str(seconds),
               "-o", out_path], stdout=subprocess.PIPE)
    out = p.stdout.read().decode()
    code, cpu, _ = wait4(p, seconds + 40)
    if code != 0:
        raise BenchError(f"connstorm exited with {code}")
    res = kv(out)
    ports = {}
    for line in read_text(out_path).splitlines():
        pid, cport, _, t0, _ = line.split()
        if int(cport):
            ports.setdefault(int(cport), []).append((float(t0), int(pid)))
    for conns in ports.values():
        conns.sort()
    res["ports"] = ports
    res["connections"] = sum(len(c) for c in ports.values())
    res["driver_cpu"] = cpu
    return res


def syscall_load(bindir, dd_count, calls, timeout=120):
    """The syscall-bound load, off the network: dd with 1-byte blocks, then a getppid loop.

    Returns the wall-clock seconds and CPU seconds of
    `dd if=/dev/zero of=/dev/null bs=1 count=dd_count` and the ns per call of
    `syscalls -n calls` (which times itself with clock_gettime).
    """
    t0 = time.monotonic()
    dd = popen(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", f"count={dd_count}"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    code, dd_cpu, _ = wait4(dd, timeout)
    dd_s = time.monotonic() - t0
    if code != 0:
        raise BenchError(f"dd exited with {code}")
    p = popen([os.path.join(bindir, "syscalls"), "-n", str(calls), "-t", str(timeout / 2)],
              stdout=subprocess.PIPE)
    out = p.stdout.read().decode()
    code, cpu, _ = wait4(p, timeout)
    got = kv(out)
    if code != 0 or "ns_per_call" not in got:
        raise BenchError(f"syscalls exited with {code}: {out.strip()!r}")
    if got["calls"] < calls:
        raise BenchError(f"syscalls made only {got['calls']:.0f} of {calls} calls in time")
    return {"dd_s": dd_s, "dd_cpu": dd_cpu, "getppid_ns": got["ns_per_call"],
            "getppid_cpu": cpu}


def getppid_for(bindir, seconds):
    """getppid in a loop for about `seconds` (a profile's load): calls made, CPU seconds."""
    p = popen([os.path.join(bindir, "syscalls"), "-n", "1000000000", "-t", str(seconds)],
              stdout=subprocess.PIPE)
    out = p.stdout.read().decode()
    code, cpu, _ = wait4(p, seconds + 30)
    got = kv(out)
    if code != 0 or "calls" not in got:
        raise BenchError(f"syscalls exited with {code}: {out.strip()!r}")
    return {"calls": got["calls"], "cpu": cpu}


# ---- network namespaces and socket holders ------------------------------------

def netns_add(name):
    assert name.startswith(NETNS_PREFIX)
    netns_delete(name)
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=20)
    _netns.append(name)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=20)


def netns_delete(name):
    if not name.startswith(NETNS_PREFIX):
        return
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=20)
    if name in _netns:
        _netns.remove(name)


def stale_namespaces():
    """"pcbench*" namespaces left by an earlier run that was killed."""
    res = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=20)
    names = [line.split()[0] for line in res.stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(NETNS_PREFIX)]


def _enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join("/run/netns", name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({name})")
    finally:
        os.close(fd)


class SocketHolder:
    """A forked process in namespace ns holding count bound UDP sockets.

    Sockets are numbered first..first+count-1 and bound to 127.0.0.(1 + k // 50000),
    port 10000 + k % 50000, so that holders never clash and never use the host's
    ephemeral ports. The holder raises RLIMIT_NOFILE to its hard limit, says how
    many it opened, and exits when its pipe closes (or after max_life seconds).
    """

    def __init__(self, ns, first, count, max_life=600):
        import resource
        r, w = os.pipe()
        down_r, down_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the holder
            code = 1
            try:
                for fd in os.listdir("/proc/self/fd"):  # other holders' pipes too
                    if int(fd) > 2 and int(fd) not in (w, down_r):
                        try:
                            os.close(int(fd))
                        except OSError:
                            pass
                _enter_netns(ns)
                _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                socks = []
                for k in range(first, first + count):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind((f"127.0.0.{1 + k // 50000}", 10000 + k % 50000))
                    socks.append(s)
                os.write(w, f"{len(socks)}\n".encode())
                select.select([down_r], [], [], max_life)
                code = 0
            except BaseException as e:
                try:
                    os.write(w, f"error {e}\n".encode())
                except OSError:
                    pass
            finally:
                os._exit(code)
        os.close(w)
        os.close(down_r)
        _forked.append(pid)
        self.pid, self._r, self._down = pid, r, down_w
        ready, _, _ = select.select([r], [], [], 60)
        line = os.read(r, 4096).decode().strip() if ready else "error: no answer"
        if not line.isdigit():
            self.release()
            raise BenchError(f"socket holder: {line}")
        self.count = int(line)

    def release(self):
        os.close(self._down)
        os.close(self._r)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        if self.pid in _forked:
            _forked.remove(self.pid)


def nofile_hard():
    import resource
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def foreign_pidcaps(mine=()):
    """Pids of pidcap processes (comm "pidcap") that this run did not start."""
    own = set(mine) | {p.pid for p in _procs}
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in own:
            continue
        if read_text(f"/proc/{d}/comm").strip() == "pidcap":
            found.append(int(d))
    return found
