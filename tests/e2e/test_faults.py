#!/usr/bin/env python3
"""End-to-end tests of faults pidcap must survive: signals with -- CMD, pid reuse,
a listener that never accepts.

For: SIGTERM to `pidcap -- CMD` (forwarded; CMD's group killed after the grace;
pidcap detached, every program and link it held gone), and a pid reused inside
a pid namespace the test makes (ns_last_pid) after CMD's child exited: the new
process is not captured as part of CMD.
Not for: the capture's output in general (test_cli.py) or load (test_flood.py).

Usage: tests/e2e/test_faults.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_faults: N passed, N failed"; exits 1 if any test failed.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import Capture, TestError, _end  # noqa: E402
from test_exporter import Fail, check  # noqa: E402

TEST_TIMEOUT = 60
PIDCAP = os.path.join(ROOT, "build", "pidcap")


def bpf_ids(pid):
    """The eBPF program and link ids process pid holds (from its fdinfo)."""
    progs, links = set(), set()
    for path in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, val = line.partition(":")
            if key == "prog_id":
                progs.add(int(val))
            elif key == "link_id":
                links.add(int(val))
    return progs, links


def bpftool_ids(kind):
    rc, out, err = h.run(["bpftool", "--json", kind, "show"], timeout=20)
    if rc:
        raise TestError(f"bpftool {kind} show: {err.strip()[-200:]}")
    return {x["id"] for x in json.loads(out or "[]")}


def children_of(pid):
    """Pids whose parent is pid (from /proc)."""
    kids = []
    for d in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(d) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d.split("/")[2]))
    return kids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sigterm_cmd(cmd, want_within):
    """Starts pidcap -- cmd, sends SIGTERM, checks exit time, CMD's processes
    gone and every program and link pidcap held gone."""
    cap = Capture(PIDCAP, ["-c", "1000000", "--", *cmd])
    try:
        deadline = time.monotonic() + 10
        kids = []
        while time.monotonic() < deadline:
            kids = children_of(cap.pid)
            grand = [g for k in kids for g in children_of(k)]
            if kids and (len(cmd) < 3 or grand):
                break
            time.sleep(0.05)
        check(kids, "CMD did not start")
        procs = kids + [g for k in kids for g in children_of(k)]
        time.sleep(0.3)  # CMD runs its trap before the signal comes
        progs, links = bpf_ids(cap.pid)
        check(progs and links, f"pidcap holds no programs ({progs}) or links ({links})")
        t0 = time.monotonic()
        os.kill(cap.pid, signal.SIGTERM)
        try:
            cap.proc.wait(timeout=want_within + 2)
        except subprocess.TimeoutExpired:
            raise Fail(f"pidcap still running {want_within + 2} s after SIGTERM") from None
        took = time.monotonic() - t0
        cap.stop()
        check(took < want_within, f"pidcap took {took:.1f} s to exit, want < {want_within}")
        left = [p for p in procs if alive(p)]
        check(not left, f"processes of CMD still running: {left}")
        deadline = time.monotonic() + 3  # the kernel frees them after an RCU grace period
        while True:
            still_p = progs & bpftool_ids("prog")
            still_l = links & bpftool_ids("link")
            if not (still_p or still_l) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check(not still_p and not still_l,
              f"left behind: programs {sorted(still_p)}, links {sorted(still_l)}")
        return took
    finally:
        _end(cap.proc)


def test_sigterm_sleep():
    """SIGTERM to pidcap -- sleep 1000: forwarded, exits within 3 s, nothing left."""
    took = sigterm_cmd(["sleep", "1000"], 3.0)
    print(f"  exited {took:.2f} s after SIGTERM", flush=True)


def test_sigterm_stubborn():
    """A CMD that ignores SIGTERM, with a child: its group gets SIGKILL after the grace."""
    took = sigterm_cmd(["sh", "-c", "trap '' TERM INT HUP; sleep 1000 & wait"], 3.5)
    check(took >= 1.5, f"exited {took:.2f} s after SIGTERM: no grace given to CMD")
    print(f"  exited {took:.2f} s after SIGTERM", flush=True)


# CMD: forks a child that sends one UDP datagram to PORT_A, writes the
# child's pid to FILE and exits; CMD stays for SECONDS more.
REUSE_CMD_SRC = r'''
import os, socket, sys, time
port, path, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
pid = os.fork()
if pid == 0:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"A" * 32, ("127.0.0.1", port))
    os._exit(0)
os.waitpid(pid, 0)
with open(path + ".tmp", "w") as f:
    f.write(str(pid))
os.rename(path + ".tmp", path)
time.sleep(secs)
'''

# The unrelated process: one UDP datagram to PORT_B.
REUSE_OTHER_SRC = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"B" * 32, ("127.0.0.1", int(sys.argv[1])))
'''


def spawn_with_pid(pid, argv):
    """Starts argv with exactly this pid (clone3 with set_tid, CAP_SYS_ADMIN):
    a reused pid without touching the machine's ns_last_pid. Returns the
    wait status."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    tid = (ctypes.c_int * 1)(pid)
    # struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal,
    # stack, stack_size, tls, set_tid, set_tid_size, cgroup
    args = (ctypes.c_uint64 * 11)(0, 0, 0, 0, signal.SIGCHLD, 0, 0, 0,
                                  ctypes.addressof(tid), 1, 0)
    got = libc.syscall(435, ctypes.byref(args), ctypes.sizeof(args))
    if got == 0:  # the child: nothing but exec
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    if got < 0:
        raise TestError(f"clone3 with pid {pid}: {os.strerror(ctypes.get_errno())}")
    return os.waitpid(got, 0)[1]


def test_pid_reuse():
    """CMD's child exits; an unrelated process then gets its pid: not captured."""
    import socket
    import tempfile
    sinks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for k in sinks:
        k.bind(("127.0.0.1", 0))
    pa, pb = (k.getsockname()[1] for k in sinks)
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "pid")
    cap = Capture(PIDCAP, ["--json", "udp", "--", sys.executable, "-c", REUSE_CMD_SRC,
                           str(pa), path, "6"])
    try:
        deadline = time.monotonic() + 15
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(os.path.exists(path), "CMD did not report its child's pid")
        with open(path) as f:
            child = int(f.read())
        check(not alive(child), f"CMD's child {child} still running")
        # at once (the fork hook takes the pid out) and after the sweep
        for delay in (0.3, 2.5):
            time.sleep(delay)
            st = spawn_with_pid(child, [sys.executable, "-c", REUSE_OTHER_SRC, str(pb)])
            check(st == 0, f"the process with reused pid {child} exited with status {st}")
        rc = cap.wait_exit(20)
        check(rc == 0, f"pidcap exited {rc}: {cap.errtext()[-300:]!r}")
        recs = cap.records()
        to_a = [r for r in recs if r.get("dport") == pa]
        to_b = [r for r in recs if r.get("dport") == pb]
        check(len(to_a) == 1 and to_a[0].get("pid") == child,
              f"CMD's child's datagram: {to_a}")
        check(not to_b, f"the unrelated process with reused pid {child} was captured: {to_b}")
    finally:
        _end(cap.proc)
        for k in sinks:
            k.close()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


def vm_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def test_hold_queue_bounded():
    """A listener that never accepts, while -w captures bulk traffic to it:
    the packets held for the accepting process stay within --hold-buffer,
    the ones let out early are reported, and none is lost."""
    import socket
    hold_mib, conns, per_conn = 1, 8, 4 << 20
    tmp = tempfile.mkdtemp(prefix="pidcap-hold-")
    path = os.path.join(tmp, "hold.pcapng")
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(conns)  # never accepted: the connections wait in its queue
    port = ls.getsockname()[1]
    cap = Capture(PIDCAP, ["-w", path, "--hold-buffer", str(hold_mib), "tcp", "port", str(port)])
    clients = []
    try:
        base = vm_kib(cap.pid, "VmRSS")
        sent = 0
        for _ in range(conns):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.setblocking(False)
            clients.append(c)
        chunk = b"h" * 65536
        deadline = time.monotonic() + 20
        for c in clients:  # until each receive queue is full (bounded in time)
            mine = 0
            while mine < per_conn and time.monotonic() < deadline:
                try:
                    mine += c.send(chunk)
                except BlockingIOError:
                    break
            sent += mine
        time.sleep(1.0)
        peak = vm_kib(cap.pid, "VmHWM")
        rc = cap.stop()
        err = cap.err.decode(errors="replace")
        check(rc == 0, f"exit {rc}: {err[-300:]}")
        check(sent > 4 * hold_mib << 20, f"only {sent} bytes reached the listener's queue")
        early = [x for x in err.splitlines() if "before their process was known" in x]
        check(early and int(early[0].split()[0]) > 0,
              f"no report of packets let out early: {err[-300:]}")
        # the ring buffer (16 MiB) may be touched whole; the held copies add
        # at most the bound
        grown = peak - base
        check(grown < (16 + hold_mib + 12) * 1024,
              f"RSS grew by {grown} kB (from {base} kB) with --hold-buffer {hold_mib}")
        captured = int(next((x.split()[0] for x in err.splitlines()
                             if x.endswith("packets captured")), "-1"))
        rc, out, rerr = h.run([PIDCAP, "-r", path], timeout=60)
        lines = [x for x in out.splitlines() if x.strip()]
        check(rc == 0 and len(lines) == captured,
              f"-r read {len(lines)} packets of the {captured} captured (exit {rc})")
        print(f"  hold queue: {sent >> 20} MiB to a listener that never accepts, "
              f"RSS +{grown} kB with --hold-buffer {hold_mib}, {early[0] if early else ''}",
              flush=True)
    finally:
        for c in clients:
            c.close()
        ls.close()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


def test_run_as_nobody():
    """-Z nobody: the capture still names processes (exe from /proc of
    another user's process), its file is nobody's, it keeps only CAP_BPF,
    CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; -- CMD runs as nobody with -Z,
    and as sudo's user under sudo."""
    import pwd
    import socket
    nobody = pwd.getpwnam("nobody")
    tmp = tempfile.mkdtemp(prefix="pidcap-z-")
    os.chmod(tmp, 0o1777)
    path = os.path.join(tmp, "z.pcapng")
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    cap = Capture(PIDCAP, ["-Z", "nobody", "-w", path, "udp", "port", str(port)])
    try:
        with open(f"/proc/{cap.pid}/status") as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        uids = {int(x) for x in status["Uid"].split()}
        check(uids == {nobody.pw_uid}, f"pidcap runs as uids {uids}")
        want = (1 << 39) | (1 << 19) | (1 << 2)  # CAP_BPF, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH
        check(int(status["CapEff"], 16) == want and int(status["CapPrm"], 16) == want,
              f"capabilities {status['CapEff']} / {status['CapPrm']}, want {want:016x}")
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            tx.sendto(b"z" * 20, ("127.0.0.1", port))
        time.sleep(1.0)
        rc = cap.stop()
        check(rc == 0, f"exit {rc}: {cap.err.decode(errors='replace')[-300:]}")
        st = os.stat(path)
        check(st.st_uid == nobody.pw_uid, f"{path} is uid {st.st_uid}'s, not nobody's")
        rc, out, err = h.run([PIDCAP, "-r", path, "-v"], timeout=30)
        mine = [x for x in out.splitlines() if f"[{os.getpid()}]" in x]
        check(rc == 0 and len(mine) == 5, f"-r: {len(mine)} of 5 packets name the sender "
              f"{os.getpid()}: {out[-300:]}")
        check(all("exe=" in x for x in mine), f"no exe (/proc) in -v lines: {mine[:1]}")
        tx.close()
    finally:
        sink.close()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    rc, out, err = h.run([PIDCAP, "-Z", "nobody", "-c", "1", "--", "id", "-u"], timeout=30)
    check(out.split()[:1] == [str(nobody.pw_uid)], f"-Z nobody -- id -u printed {out!r} "
          f"(exit {rc}, {err[-200:]})")
    env = dict(os.environ, SUDO_UID=str(nobody.pw_uid), SUDO_GID=str(nobody.pw_gid),
               SUDO_USER="nobody")
    out = subprocess.run([PIDCAP, "-c", "1", "--", "id", "-u"], env=env, capture_output=True,
                         text=True, timeout=30)
    check(out.stdout.split()[:1] == [str(nobody.pw_uid)],
          f"under sudo, -- id -u printed {out.stdout!r} (exit {out.returncode})")
    rc, out, err = h.run([PIDCAP, "-Z", "no-such-user-here", "-c", "1"], timeout=30)
    check(rc != 0 and "no-such-user-here" in err, f"unknown -Z user: exit {rc}, {err[-200:]!r}")


def test_full_disk():
    """-w onto a small tmpfs that fills: exit 1 with a clear message, and the
    file holds only whole blocks (tshark and pidcap -r read every packet in
    it without a warning)."""
    import socket
    tmp = tempfile.mkdtemp(prefix="pidcap-full-")
    rc, _, err = h.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", tmp], timeout=20)
    if rc:
        raise TestError(f"cannot mount a tmpfs on {tmp}: {err}")
    try:
        path = os.path.join(tmp, "full.pcapng")
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        port = sink.getsockname()[1]
        cap = Capture(PIDCAP, ["-w", path, "udp", "port", str(port)])
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.monotonic() + 20
        for i in range(3000):  # 3 MB into 256 KiB, bounded in time
            tx.sendto(b"f" * 1000, ("127.0.0.1", port))
            if i % 100 == 0:
                time.sleep(0.01)
                if cap.proc.poll() is not None or time.monotonic() > deadline:
                    break
        try:
            cap.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        rc = cap.stop()
        err = cap.err.decode(errors="replace")
        check(rc == 1 and "No space left on device" in err and path in err,
              f"exit {rc}, stderr {err[-300:]!r}")
        rc, out, rerr = h.run([PIDCAP, "-r", path], timeout=60)
        n = len([x for x in out.splitlines() if x.strip()])
        check(rc == 0 and n > 50 and "warning" not in rerr,
              f"-r: exit {rc}, {n} packets, {rerr[-200:]!r}")
        rc, tout, terr = h.run(["tshark", "-r", path], timeout=60)
        check(rc == 0 and "cut short" not in terr and
              len([x for x in tout.splitlines() if x.strip()]) == n,
              f"tshark: exit {rc}, {len(tout.splitlines())} packets of {n}, {terr[-200:]!r}")
        tx.close()
        sink.close()
    finally:
        h.run(["umount", tmp], timeout=20)
        os.rmdir(tmp)


TESTS = [
    ("full_disk", test_full_disk),
    ("run_as_nobody", test_run_as_nobody),
    ("hold_queue_bounded", test_hold_queue_bounded),
    ("sigterm_sleep", test_sigterm_sleep),
    ("sigterm_stubborn", test_sigterm_stubborn),
    ("pid_reuse", test_pid_reuse),
]


def _set_pidcap(path):
    global PIDCAP
    PIDCAP = path


def main():
    return h.run_suite("test_faults", TESTS, __doc__, PIDCAP, TEST_TIMEOUT, (Fail, TestError),
                       _set_pidcap)


if __name__ == "__main__":
    sys.exit(main())
