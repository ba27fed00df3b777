#!/usr/bin/env python3
"""End-to-end tests of pidcap's command line: options, errors, filters, output.

For: running the real binary (as root) against loopback traffic from small
child processes with known pids, and checking exit codes, messages and the
records printed. Not for: attribution accuracy across every socket case
(accuracy.py) or the parsers (unit and fuzz tests).

Usage: tests/e2e/test_cli.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_cli: N passed, N failed"; exits 1 if any test failed.
Test traffic goes to 127.0.0.0/8 and ::1 only.
"""

import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import SETTLE, Capture, Child, TestError, run  # noqa: E402

TEST_TIMEOUT = 180       # seconds, whole test, enforced with SIGALRM
LO4 = "127.0.0.1"
NOBODY = 65534

PIDCAP = os.path.join(ROOT, "build", "pidcap")


class Fail(Exception):
    """The test's expectation does not hold."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def brief(rec):
    """One record in a few words, for failure messages."""
    return (f"{{{rec.get('ifname')} {rec.get('dir')} {rec.get('proto')} "
            f"{rec.get('src')}.{rec.get('sport')} > {rec.get('dst')}.{rec.get('dport')} "
            f"pid={rec.get('pid')} comm={rec.get('comm')!r} uid={rec.get('uid')} "
            f"peer_pid={rec.get('peer_pid')}}}")


def show(recs, n=3):
    more = f" (+{len(recs) - n} more)" if len(recs) > n else ""
    return ", ".join(brief(r) for r in recs[:n]) + more


def stop_after(cap, pred, timeout=10.0):
    """Waits until pred(records) holds (bounded), lets stragglers arrive, stops pidcap."""
    cap.wait_for(pred, timeout)
    time.sleep(SETTLE)
    return cap.stop()


def of_pid(recs, pid):
    return [r for r in recs if r.get("pid") == pid]


def stderr_line(err, *needles):
    """The first stderr line that starts with "pidcap: " and holds every needle."""
    for line in err.splitlines():
        if line.startswith("pidcap: ") and all(n in line for n in needles):
            return line
    return None


# ---- --help, --version, usage errors -----------------------------------------

HELP_OPTIONS = ["-i", "-n", "-c", "-s", "-Q", "-v", "-D", "--json", "--pid", "--comm",
                "--uid", "--cgroup", "--help", "--version"]


def test_help():
    rc, out, err = run([PIDCAP, "--help"], timeout=10)
    check(rc == 0, f"exit {rc}, want 0; stderr={err.strip()!r}")
    check("Usage" in out or "usage" in out, f"no usage text on stdout: {out[:200]!r}")
    missing = [o for o in HELP_OPTIONS
               if not re.search(r"(^|[\s,\[])" + re.escape(o) + r"(?![\w-])", out, re.M)]
    check(not missing, f"--help does not list {missing}")


def test_version():
    rc, out, err = run([PIDCAP, "--version"], timeout=10)
    check(rc == 0, f"exit {rc}, want 0; stderr={err.strip()!r}")
    check(re.search(r"^pidcap \d+\.\d+", out), f"stdout {out!r}: want 'pidcap X.Y...'")


# name, argv, words the message must contain
USAGE_CASES = [
    ("unknown_option", ["--no-such-option"], ["unknown option", "--no-such-option"]),
    ("count_zero", ["-c", "0"], ["-c", "0"]),
    ("count_not_number", ["-c", "abc"], ["-c", "abc"]),
    ("snaplen_negative", ["-s", "-1"], ["-s", "-1"]),
    ("direction_sideways", ["-Q", "sideways"], ["-Q", "sideways"]),
    ("buffer_too_small", ["-B", "10"], ["-B", "10"]),
    ("pid_zero", ["--pid", "0"], ["--pid", "0"]),
    ("pid_not_number", ["--pid", "abc"], ["--pid", "abc"]),
    ("comm_too_long", ["--comm", "abcdefghijklmnop"], ["--comm", "abcdefghijklmnop"]),
    ("dashes_without_command", ["--"], ["--", "command"]),
]


def usage_test(argv, words):
    def test():
        rc, out, err = run([PIDCAP, *argv], timeout=15)
        check(rc == 2, f"exit {rc}, want 2; stderr={err.strip()[:300]!r}")
        check(out == "", f"printed to stdout: {out[:200]!r}")
        check(err.startswith("pidcap: "), f"stderr does not start with 'pidcap: ': {err[:300]!r}")
        check("listening on" not in err, "started capturing")
        first = err.splitlines()[0]
        missing = [w for w in words if w not in first]
        check(not missing, f"message {first!r} does not mention {missing}")
    return test


# ---- runtime errors ---------------------------------------------------------

def runtime_error(argv, needles, wrapper=(), timeout=30):
    rc, out, err = run([*wrapper, PIDCAP, *argv], timeout=timeout)
    check(rc == 1, f"exit {rc}, want 1; stderr={err.strip()[-400:]!r}")
    check("listening on" not in err, f"said it was listening: {err.strip()[-300:]!r}")
    line = stderr_line(err, *needles)
    check(line, f"no stderr line starting with 'pidcap: ' that contains {needles}: "
                f"{err.strip()[-400:]!r}")
    check(out == "", f"printed to stdout: {out[:200]!r}")


def test_unknown_interface():
    runtime_error(["-i", "nosuchif0"], ["nosuchif0"])


def filter_error_test(words, mode=()):
    """An expression libpcap refuses is a usage error (exit 2) with its message."""
    def test():
        want = h.libpcap_error(" ".join(words)) or "syntax error"
        usage_test([*mode, *words], [want])()
    return test


def test_pid_not_running():
    pid = h.free_pid()
    runtime_error(["--pid", str(pid)], [str(pid)])


def test_no_privileges():
    """As uid 65534 without capabilities: exit 1 naming the missing capabilities."""
    if shutil.which("setpriv"):
        wrapper = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   "--inh-caps=-all"]
    elif shutil.which("runuser"):
        wrapper = ["runuser", "-u", "nobody", "--"]
    else:
        raise Fail("neither setpriv nor runuser is installed")
    # A copy that uid 65534 can surely reach and run, whatever the tree's modes.
    tmp = tempfile.mkdtemp(prefix="pidcap-cli-")
    try:
        os.chmod(tmp, 0o755)
        exe = os.path.join(tmp, "pidcap")
        shutil.copy(PIDCAP, exe)
        os.chmod(exe, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        rc, out, err = run([*wrapper, exe, "-i", "lo"], timeout=30, cwd=tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 1, f"exit {rc}, want 1; stderr={err.strip()[-400:]!r}")
    check("listening on" not in err, "said it was listening")
    line = stderr_line(err, "CAP_")
    check(line, f"no 'pidcap: ' line naming capabilities: {err.strip()[-400:]!r}")
    missing = [c for c in ("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN") if c not in line]
    check(not missing, f"message {line!r} does not name {missing}")


def test_no_btf():
    """A kernel without BTF (hidden here by a tmpfs over /sys/kernel/btf in a
    private mount namespace): with --backend ebpf, exit 1 naming BTF and what
    to do (auto would fall back to libpcap: test_fallback.py)."""
    script = ("mount --make-rprivate / && mount -t tmpfs none /sys/kernel/btf && "
              f"exec {PIDCAP} --backend ebpf -i lo")
    rc, out, err = run(["unshare", "-m", "sh", "-c", script], timeout=30)
    check(rc == 1, f"exit {rc}, want 1; stderr={err.strip()[-400:]!r}")
    check("listening on" not in err, "said it was listening")
    line = stderr_line(err, "BTF")
    check(line, f"no 'pidcap: ' line about BTF: {err.strip()[-400:]!r}")
    check("CONFIG_DEBUG_INFO_BTF" in line, f"message {line!r} does not say what is missing")


# ---- -c ---------------------------------------------------------------------

def test_count():
    b, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "-c", "5", f"udp port {b.port}"])
    a.start_send((LO4, b.port), n=400, interval=0.01)   # about 4 s of traffic
    rc = cap.wait_exit(20)
    recs = cap.records()
    check(rc == 0, f"exit {rc}, want 0; stderr={cap.errtext().strip()[-300:]!r}")
    check(len(recs) == 5, f"{len(recs)} JSON lines, want exactly 5")
    check(a.proc.poll() is None, "traffic had already stopped when pidcap exited")


# ---- pcap filter expressions ------------------------------------------------

def filter_udp_port(wrapper=(), where="filter in the kernel"):
    """Only 'udp and port B' of UDP to two ports and TCP noise, wherever the
    filter runs; the start-up line says where."""
    b, c, a, noise = Child(), Child(), Child(), Child()
    cap = Capture(PIDCAP, ["--json", "udp", "and", "port", str(b.port)], wrapper=wrapper)
    line = next((x for x in cap.errtext().splitlines() if "listening on" in x), "")
    check(f", {where}" in line, f"start-up line does not say {where!r}: {line!r}")
    noise.start_tcp(n=30, interval=0.01)
    a.send((LO4, c.port), n=10)
    a.send((LO4, b.port), n=10)
    a.send((LO4, c.port), n=10)
    noise.wait_done()
    rc = stop_after(cap, lambda r: len([x for x in r if x.get("dport") == b.port]) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if r.get("proto") != "udp" or b.port not in (r.get("sport"), r.get("dport"))]
    check(not bad, f"{len(bad)} records outside 'udp and port {b.port}': {show(bad)}")
    mine = [r for r in recs if r.get("dport") == b.port and r.get("pid") == a.pid]
    check(len(mine) == 10, f"{len(mine)} records of the 10 datagrams {a.pid} -> port {b.port}")


def test_filter_udp_port():
    filter_udp_port()


def test_filter_kernel_refused():
    """The kernel refusing the generated program (or the capture behind it)
    moves the filter to user space, with the same packets."""
    filter_udp_port(("env", "PIDCAP_BPF_REJECT=pc_filter"),
                    "filter in user space (the kernel refused the generated program: ")
    filter_udp_port(("env", "PIDCAP_BPF_REJECT=pc_egress_cont"),
                    "filter in user space (the kernel refused pc_egress_cont: ")
    filter_udp_port(("env", "PIDCAP_BPF_VARIANT=compat"))


def test_filter_host():
    b = Child(bind="127.0.0.2")
    c, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "host", "127.0.0.2"])
    a.send((LO4, c.port), n=10)
    a.send(("127.0.0.2", b.port), n=10)
    c.send((LO4, a.port), n=10)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if "127.0.0.2" not in (r.get("src"), r.get("dst"))]
    check(not bad, f"{len(bad)} records not to or from 127.0.0.2: {show(bad)}")
    mine = [r for r in of_pid(recs, a.pid) if r.get("dst") == "127.0.0.2"]
    check(len(mine) == 10, f"{len(mine)} records of the 10 datagrams to 127.0.0.2")


def test_filter_ip6():
    b6 = Child(bind="::1")
    c6 = Child(bind="::1")
    try:
        b4 = Child(bind=LO4, port=b6.port)   # same port over IPv4: only "ip6" tells them apart
    except TestError:
        b4 = Child(bind=LO4)
    a = Child()
    cap = Capture(PIDCAP, ["--json", "ip6", "and", "udp", "port", str(b6.port)])
    a.send((LO4, b4.port), n=10)
    a.send(("::1", c6.port), n=10)
    a.send(("::1", b6.port), n=10)
    a.send((LO4, b4.port), n=10)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if r.get("proto") != "udp" or ":" not in str(r.get("src"))
           or ":" not in str(r.get("dst")) or b6.port not in (r.get("sport"), r.get("dport"))]
    check(not bad, f"{len(bad)} records outside 'ip6 and udp port {b6.port}': {show(bad)}")
    mine = [r for r in of_pid(recs, a.pid) if r.get("dst") == "::1" and r.get("dport") == b6.port]
    check(len(mine) == 10, f"{len(mine)} records of the 10 datagrams to [::1].{b6.port}")


# ---- -Q ---------------------------------------------------------------------

def direction_run(direction):
    b, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "-Q", direction, "udp", "port", str(b.port)])
    a.send((LO4, b.port), n=10)
    b.send((LO4, a.port), n=10)   # replies, to the sender's port (same filter)
    rc = stop_after(cap, lambda r: len(r) >= 20)
    check(rc == 0, f"exit {rc} after SIGINT")
    return a, b, cap.records()


def test_direction_out():
    a, b, recs = direction_run("out")
    bad = [r for r in recs if r.get("dir") != "out"]
    check(not bad, f"{len(bad)} records not 'out' with -Q out: {show(bad)}")
    ab = [r for r in recs if r.get("pid") == a.pid and r.get("dport") == b.port]
    check(len(ab) == 10, f"{len(ab)} 'out' records of the 10 datagrams {a.pid} -> {b.pid}")
    wrong_peer = [r for r in ab if r.get("peer_pid") != b.pid]
    check(not wrong_peer, f"peer_pid is not the receiver {b.pid}: {show(wrong_peer)}")
    ba = [r for r in recs if r.get("pid") == b.pid and r.get("dport") == a.port]
    check(len(ba) == 10, f"{len(ba)} 'out' records of the 10 datagrams {b.pid} -> {a.pid}")


def test_direction_in():
    a, b, recs = direction_run("in")
    bad = [r for r in recs if r.get("dir") != "in"]
    check(not bad, f"{len(bad)} records not 'in' with -Q in: {show(bad)}")
    ab = [r for r in recs if r.get("dport") == b.port and r.get("sport") == a.port]
    check(len(ab) == 10, f"{len(ab)} 'in' records of the 10 datagrams {a.pid} -> {b.pid}: {show(recs)}")
    wrong = [r for r in ab if r.get("pid") != b.pid]
    check(not wrong, f"pid is not the receiver {b.pid}: {show(wrong)}")
    ba = [r for r in recs if r.get("dport") == a.port and r.get("sport") == b.port]
    check(len(ba) == 10 and all(r.get("pid") == a.pid for r in ba),
          f"replies {b.pid} -> {a.pid}: want 10 'in' records with pid {a.pid}: {show(ba)}")


# ---- --pid, --comm, --uid ---------------------------------------------------

def pid_traffic(a, b, c):
    a.send((LO4, b.port), n=10)
    b.send((LO4, a.port), n=10)
    c.send((LO4, b.port), n=10)
    b.send((LO4, c.port), n=10)
    c.send((LO4, c.port), n=10)


def test_pid_one():
    a, b, c = Child(), Child(), Child()
    cap = Capture(PIDCAP, ["--json", "--pid", str(a.pid)])
    pid_traffic(a, b, c)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if a.pid not in (r.get("pid"), r.get("peer_pid"))]
    check(not bad, f"{len(bad)} records without pid {a.pid} as pid or peer_pid: {show(bad)}")
    check(len(of_pid(recs, a.pid)) >= 10,
          f"{len(of_pid(recs, a.pid))} records with pid {a.pid}, want its 10 datagrams")


def test_pid_two():
    a, b, c = Child(), Child(), Child()
    cap = Capture(PIDCAP, ["--json", "--pid", str(a.pid), "--pid", str(b.pid)])
    pid_traffic(a, b, c)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10 and len(of_pid(r, b.pid)) >= 20)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    both = {a.pid, b.pid}
    bad = [r for r in recs if r.get("pid") not in both and r.get("peer_pid") not in both]
    check(not bad, f"{len(bad)} records of neither {a.pid} nor {b.pid}: {show(bad)}")
    check(len(of_pid(recs, a.pid)) >= 10, f"{len(of_pid(recs, a.pid))} records with pid {a.pid}")
    check(len(of_pid(recs, b.pid)) >= 20, f"{len(of_pid(recs, b.pid))} records with pid {b.pid}")


def test_comm():
    tok = secrets.token_hex(3)
    name_a, name_b = f"pccA{tok}", f"pccB{tok}"
    sink = Child()
    a, b = Child(comm=name_a), Child(comm=name_b)
    check(a.comm == name_a.encode() and b.comm == name_b.encode(), "PR_SET_NAME did not apply")
    cap = Capture(PIDCAP, ["--json", "--comm", name_a])
    for _ in range(2):
        a.send((LO4, sink.port), n=5)
        b.send((LO4, sink.port), n=5)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if r.get("comm") != name_a or r.get("pid") != a.pid]
    check(not bad, f"{len(bad)} records not of {name_a}[{a.pid}]: {show(bad)}")
    check(len(recs) >= 10, f"{len(recs)} records of {name_a}, want its 10 datagrams")


def test_uid():
    sink = Child()
    u = Child(uid=NOBODY)
    r = Child()
    check(u.uid == NOBODY, f"child runs as uid {u.uid}")
    cap = Capture(PIDCAP, ["--json", "--uid", str(NOBODY), "udp", "port", str(sink.port)])
    for _ in range(2):
        u.send((LO4, sink.port), n=5)
        r.send((LO4, sink.port), n=5)
    rc = stop_after(cap, lambda x: len(of_pid(x, u.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [x for x in recs if x.get("uid") != NOBODY or x.get("pid") != u.pid]
    check(not bad, f"{len(bad)} records not of uid {NOBODY} child {u.pid}: {show(bad)}")
    check(len(recs) >= 10, f"{len(recs)} records of the uid {NOBODY} child, want its 10")


def cgroup2_root():
    """The cgroup v2 mount point, from /proc/self/mountinfo."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return left.split()[4]
    raise Fail("no cgroup2 mount in /proc/self/mountinfo")


def test_cgroup():
    """--cgroup PATH: only the processes in a cgroup the test makes, or in a
    cgroup made below it after pidcap started (caught from its first packet)."""
    root = cgroup2_root()
    name = f"pctest-cli-{secrets.token_hex(4)}"
    path = os.path.join(root, name)
    late_path = os.path.join(path, "late")
    os.mkdir(path)
    try:
        sink = Child()
        inside, outside, late = Child(), Child(), Child()
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(inside.pid))
        cap = Capture(PIDCAP, ["--json", "--cgroup", "/" + name, "udp", "port", str(sink.port)])
        os.mkdir(late_path)
        with open(os.path.join(late_path, "cgroup.procs"), "w") as f:
            f.write(str(late.pid))
        for _ in range(2):
            inside.send((LO4, sink.port), n=5)
            outside.send((LO4, sink.port), n=5)
            late.send((LO4, sink.port), n=5)
        rc = stop_after(cap, lambda x: len(of_pid(x, inside.pid)) >= 10 and
                        len(of_pid(x, late.pid)) >= 10)
        recs = cap.records()
        check(rc == 0, f"exit {rc} after SIGINT")
        bad = [x for x in recs if x.get("pid") not in (inside.pid, late.pid)]
        check(not bad, f"{len(bad)} records not of the children in {name}: {show(bad)}")
        for child, cg in ((inside, "/" + name), (late, f"/{name}/late")):
            mine = of_pid(recs, child.pid)
            check(len(mine) == 10, f"{len(mine)} records of the child in {cg}, want its 10")
            check(all(x.get("cgroup") == cg for x in mine), f"cgroup key not {cg}: {show(mine)}")
    finally:
        h.cleanup()
        for p in (late_path, path):
            for _ in range(50):  # a cgroup empties once its process is reaped
                try:
                    os.rmdir(p)
                    break
                except OSError:
                    time.sleep(0.1)


MOVER_SRC = r"""
import os, socket, sys
sink = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", sink))
print(os.getpid(), flush=True)
for step in ("root", "moved", "setuid"):
    sys.stdin.readline()
    if step == "setuid":
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)
    for _ in range(3):
        u.send(step.encode())
    print(step, flush=True)
"""


def test_owner_follows_moves():
    """A connected UDP socket's packets name the cgroup its process is in
    and the uid it has at each send: moved to another cgroup, then setuid,
    without a new socket or a new name."""
    root = cgroup2_root()
    name = f"pctest-mv-{secrets.token_hex(4)}"
    path = os.path.join(root, name)
    os.mkdir(path)
    try:
        sink = Child()
        mover = subprocess.Popen([sys.executable, "-c", MOVER_SRC, str(sink.port)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pid = int(mover.stdout.readline())
        cap = Capture(PIDCAP, ["--json", "udp", "port", str(sink.port)])
        for step in ("root", "moved", "setuid"):
            if step == "moved":
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            mover.stdin.write("go\n")
            mover.stdin.flush()
            check(mover.stdout.readline().strip() == step, f"mover did not send {step}")
        mover.stdin.close()
        mover.wait(10)
        rc = stop_after(cap, lambda x: len(of_pid(x, pid)) >= 9)
        check(rc == 0, f"exit {rc} after SIGINT")
        recs = of_pid(cap.records(), pid)
        check(len(recs) == 9, f"{len(recs)} records of the mover, want 9: {show(recs)}")
        for n, r in enumerate(recs):
            i = n // 3  # root, moved, setuid
            want_cg = "/" + name if i >= 1 else None
            want_uid = 65534 if i == 2 else 0
            check(r.get("uid") == want_uid, f"packet {n}: uid {r.get('uid')}, "
                  f"want {want_uid}: {show([r])}")
            if want_cg:
                check(r.get("cgroup") == want_cg, f"packet {n}: cgroup {r.get('cgroup')}, "
                      f"want {want_cg}: {show([r])}")
            else:
                check(r.get("cgroup") != "/" + name, f"packet {n} before the move names {name}")
    finally:
        h.cleanup()
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)


# ---- -- COMMAND ---------------------------------------------------------------

CMD_SRC = r'''
import os, socket, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
def blast(tag):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(8):
        s.sendto(b"%s %d" % (tag, i), ("127.0.0.1", port))
        time.sleep(0.02)
    s.close()
blast(b"command")
pid = os.fork()
if pid == 0:
    time.sleep(0.3)
    blast(b"child of command")
    os._exit(0)
with open(pidfile, "w") as f:
    f.write("%d %d\n" % (os.getpid(), pid))
os.waitpid(pid, 0)
sys.exit(3)
'''


def test_command():
    sink, noise = Child(), Child()
    noise.start_send((LO4, sink.port), n=3000, interval=0.01)   # until killed
    fd, pidfile = tempfile.mkstemp(prefix="pidcap-cli-")
    os.close(fd)
    try:
        cap = Capture(PIDCAP, ["--json", "--", sys.executable, "-c", CMD_SRC,
                               str(sink.port), pidfile])
        rc = cap.wait_exit(30)
        with open(pidfile) as f:
            text = f.read().split()
    finally:
        os.unlink(pidfile)
    check(len(text) == 2, f"the command did not write its pids ({text}); "
                          f"stderr={cap.errtext().strip()[-300:]!r}")
    cmd_pid, child_pid = int(text[0]), int(text[1])
    recs = cap.records()
    check(rc == 3, f"exit {rc}, want the command's 3")
    bad = [r for r in recs if r.get("pid") not in (cmd_pid, child_pid)]
    check(not bad, f"{len(bad)} records of other processes (command {cmd_pid}, its child "
                   f"{child_pid}, noise {noise.pid}): {show(bad)}")
    n_cmd, n_child = len(of_pid(recs, cmd_pid)), len(of_pid(recs, child_pid))
    check(n_cmd == 8 and n_child == 8,
          f"{n_cmd} records of the command {cmd_pid} and {n_child} of its child "
          f"{child_pid}, want 8 and 8")


# ---- summary, text output, hostile names, -i ---------------------------------

def test_summary():
    b, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "udp", "port", str(b.port)])
    a.send((LO4, b.port), n=20)
    rc = stop_after(cap, lambda r: len(r) >= 20)
    recs = cap.records()
    err = cap.errtext()
    check(rc == 0, f"exit {rc} after SIGINT")
    got = h.summary(err)
    missing = [k for k in h.SUMMARY_RE if k not in got]
    check(not missing, f"summary lines missing {missing}: {err.strip()[-300:]!r}")
    check(got["captured"] == len(recs),
          f"'{got['captured']} packets captured' but {len(recs)} JSON lines")
    check(len(recs) == 20, f"{len(recs)} records for 20 datagrams")
    no_owner = len([r for r in recs if r.get("pid") is None])
    check(got["no_owner"] == no_owner,
          f"'{got['no_owner']} packets without owning process' but {no_owner} records have pid null")
    check(got["dropped"] < 1000, f"'{got['dropped']} packets dropped by kernel' for 20 packets")


def text_flow(verbose):
    tok = secrets.token_hex(3)
    a, b = Child(comm=f"pctxA{tok}"), Child(comm=f"pctxB{tok}")
    cap = Capture(PIDCAP, [*(["-v"] if verbose else []), "udp", "port", str(b.port)])
    a.send((LO4, b.port), n=5)
    tag = f"[{a.pid}]".encode()
    cap.wait_for_text(lambda ls: any(tag in x for x in ls))
    time.sleep(SETTLE)
    rc = cap.stop()
    check(rc == 0, f"exit {rc} after SIGINT")
    lines = [x.decode(errors="replace") for x in cap.lines() if tag in x]
    check(lines, f"no line with {tag.decode()}: {cap.out[:300]!r}")
    return a, b, lines


def test_text():
    a, b, lines = text_flow(False)
    want = f"{a.comm.decode()}[{a.pid}] -> {b.comm.decode()}[{b.pid}]"
    bad = [x for x in lines if want not in x]
    check(not bad, f"line {bad[0]!r} lacks {want!r}" if bad else "")


def test_text_verbose():
    a, b, lines = text_flow(True)
    bad = [x for x in lines if "uid=" not in x or "exe=" not in x]
    check(not bad, f"-v line lacks uid= or exe=: {bad[0]!r}" if bad else "")


HOSTILE = b'\x1b[31mevil"\\'
ESC = b"\x1b"


def test_hostile_comm_text():
    sink = Child()
    evil = Child(comm=HOSTILE)
    check(evil.comm == HOSTILE, f"PR_SET_NAME gave {evil.comm!r}")
    cap = Capture(PIDCAP, ["udp", "port", str(sink.port)])
    evil.send((LO4, sink.port), n=5)
    tag = f"[{evil.pid}]".encode()
    cap.wait_for_text(lambda ls: any(tag in x for x in ls))
    time.sleep(SETTLE)
    rc = cap.stop()
    out = cap.out
    check(rc == 0, f"exit {rc} after SIGINT")
    check(any(tag in x for x in cap.lines()), f"no line with {tag.decode()}: {out[:300]!r}")
    raw = [x for x in cap.lines() if ESC in x]
    check(not raw, f"raw ESC on stdout: {raw[0]!r}" if raw else "")


def test_hostile_comm_json():
    sink = Child()
    evil = Child(comm=HOSTILE)
    check(evil.comm == HOSTILE, f"PR_SET_NAME gave {evil.comm!r}")
    cap = Capture(PIDCAP, ["--json", "udp", "port", str(sink.port)])
    evil.send((LO4, sink.port), n=5)
    rc = stop_after(cap, lambda r: len(of_pid(r, evil.pid)) >= 5)
    recs = cap.records()   # raises if a line is not JSON
    check(rc == 0, f"exit {rc} after SIGINT")
    check(ESC not in cap.out, "raw ESC on stdout")
    mine = of_pid(recs, evil.pid)
    check(mine, f"no record with pid {evil.pid}")
    bad = [r for r in mine if r.get("comm") != HOSTILE.decode()]
    check(not bad, f"comm {bad[0].get('comm')!r}, want {HOSTILE.decode()!r}" if bad else "")


def closed_port(fam):
    """A UDP port on loopback that nothing listens on (bound once, closed)."""
    with socket.socket(fam, socket.SOCK_DGRAM) as probe:
        probe.bind((LO4 if fam == socket.AF_INET else "::1", 0))
        return probe.getsockname()[1]


def test_buffer_size():
    """-B sizes the ring buffer (a power of two at least that big) and the
    capture works with it."""
    b, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "-B", "100", "udp", "port", str(b.port)])
    sizes = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True)
    mine = [m for m in json.loads(sizes.stdout or "[]") if m.get("name") == "events"
            and m.get("max_entries") == 131072]
    a.send((LO4, b.port), n=5)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 5)
    check(rc == 0, f"exit {rc} after SIGINT")
    check(mine, "no 128 KiB ring buffer named events while pidcap -B 100 ran")
    check(len(of_pid(cap.records(), a.pid)) == 5, "the 5 datagrams were not captured")


def test_icmp_error_names_receiver():
    """The kernel's port unreachable belongs to no process and goes to the
    socket that sent the datagram it quotes: that process is its peer."""
    a = Child()
    cap = Capture(PIDCAP, ["--json", "icmp", "or", "icmp6"])
    a.send((LO4, closed_port(socket.AF_INET)), n=3)
    a.send(("::1", closed_port(socket.AF_INET6)), n=3)
    rc = stop_after(cap, lambda r: len([x for x in r if x.get("peer_pid") == a.pid]) >= 6)
    recs = [r for r in cap.records() if r.get("proto") in ("icmp", "icmp6")]
    check(rc == 0, f"exit {rc} after SIGINT")
    for proto in ("icmp", "icmp6"):
        mine = [r for r in recs if r["proto"] == proto]
        named = [r for r in mine if r.get("peer_pid") == a.pid and r.get("pid") is None]
        check(len(named) >= 3, f"{proto}: {len(named)} of {len(mine)} errors name the "
              f"receiver {a.pid}: {mine[:2]}")


def test_iface_lo():
    b, a = Child(), Child()
    cap = Capture(PIDCAP, ["--json", "-i", "lo"])
    a.send((LO4, b.port), n=10)
    rc = stop_after(cap, lambda r: len(of_pid(r, a.pid)) >= 10)
    recs = cap.records()
    check(rc == 0, f"exit {rc} after SIGINT")
    bad = [r for r in recs if r.get("ifname") != "lo"]
    check(not bad, f"{len(bad)} records not on lo with -i lo: {show(bad)}")
    check(len(of_pid(recs, a.pid)) == 10, f"{len(of_pid(recs, a.pid))} records of the 10 datagrams")
    # The same loopback traffic must not show with -i OTHER.
    others = [n for _, n in socket.if_nameindex() if n != "lo"]
    if not others:
        return
    other = others[0]
    cap = Capture(PIDCAP, ["--json", "-i", other])
    a.send((LO4, b.port), n=10)
    time.sleep(1.0)
    rc = cap.stop()
    recs = cap.records()
    check(rc == 0, f"-i {other}: exit {rc} after SIGINT")
    bad = [r for r in recs if r.get("ifname") != other]
    check(not bad, f"-i {other}: {len(bad)} records on other interfaces: {show(bad)}")


# ---- runner -----------------------------------------------------------------

TESTS = [
    ("icmp_error_names_receiver", test_icmp_error_names_receiver),
    ("buffer_size", test_buffer_size),
    ("help", test_help),
    ("version", test_version),
    *[(f"usage_{name}", usage_test(argv, words)) for name, argv, words in USAGE_CASES],
    ("unknown_interface", test_unknown_interface),
    ("invalid_filter_tcp_port", filter_error_test(["tcp", "port"])),
    ("invalid_filter_portt", filter_error_test(["portt", "80"])),
    ("invalid_filter_top", filter_error_test(["tcp", "port"], ["top", "--batch"])),
    ("invalid_filter_read", filter_error_test(["portt", "80"], ["-r", "/dev/null"])),
    ("pid_not_running", test_pid_not_running),
    ("no_privileges", test_no_privileges),
    ("no_btf", test_no_btf),
    ("count", test_count),
    ("filter_udp_port", test_filter_udp_port),
    ("filter_kernel_refused", test_filter_kernel_refused),
    ("filter_host", test_filter_host),
    ("filter_ip6", test_filter_ip6),
    ("direction_out", test_direction_out),
    ("direction_in", test_direction_in),
    ("pid_one", test_pid_one),
    ("pid_two", test_pid_two),
    ("comm", test_comm),
    ("uid", test_uid),
    ("cgroup", test_cgroup),
    ("owner_follows_moves", test_owner_follows_moves),
    ("command", test_command),
    ("summary", test_summary),
    ("text", test_text),
    ("text_verbose", test_text_verbose),
    ("hostile_comm_text", test_hostile_comm_text),
    ("hostile_comm_json", test_hostile_comm_json),
    ("iface_lo", test_iface_lo),
]


def _executable():
    if not os.access(PIDCAP, os.X_OK):
        raise Fail(f"{PIDCAP} is not an executable file")


def _set_pidcap(path):
    global PIDCAP
    PIDCAP = path


def main():
    return h.run_suite("test_cli", TESTS, __doc__, PIDCAP, TEST_TIMEOUT, (Fail, TestError),
                       _set_pidcap, precheck=_executable)


if __name__ == "__main__":
    sys.exit(main())
