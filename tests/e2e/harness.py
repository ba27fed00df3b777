"""Process, namespace and sysctl helpers shared by the pidcap end-to-end tests.

For: forking child processes with a known pid that talk to their parent over
JSON-line pipes, entering, creating and removing the "pctest*" network
namespaces, and setting a sysctl for the length of a test.
Not for: making traffic or checking pidcap's output (workload.py, accuracy.py).
"""

import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback

CLONE_NEWNET = 0x40000000
NETNS_PREFIX = "pctest"
NETNS_DIR = "/run/netns"

# Children forked by this process and not yet reaped; kill_all() ends them.
_children = []


class ChildError(Exception):
    """A child failed, timed out, or said something unexpected."""


def _read_line(fd, buf, timeout, who):
    """Reads one JSON line from fd, keeping leftovers in buf (a bytearray)."""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ChildError(f"{who}: no message within {timeout:.0f} s")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            raise ChildError(f"{who}: pipe closed before a message")
        buf.extend(chunk)
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return json.loads(line)


def _write_line(fd, obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


class Channel:
    """The child's end: send() reports to the parent, recv() waits for it."""

    def __init__(self, up_w, down_r, name):
        self._up, self._down, self.name = up_w, down_r, name
        self._buf = bytearray()

    def send(self, obj):
        _write_line(self._up, obj)

    def recv(self, timeout=30.0):
        return _read_line(self._down, self._buf, timeout, self.name)

    def fileno(self):
        """The pipe from the parent, for select()."""
        return self._down


class Child:
    """The parent's handle on one forked child process."""

    def __init__(self, name, pid, up_r, down_w):
        self.name, self.pid = name, pid
        self._up, self._down = up_r, down_w
        self._buf = bytearray()
        self.status = None

    def recv(self, timeout=30.0):
        """Returns the child's next message (a JSON value)."""
        return _read_line(self._up, self._buf, timeout, f"{self.name}[{self.pid}]")

    def send(self, obj):
        _write_line(self._down, obj)

    def wait(self, timeout=30.0):
        """Waits for a clean exit; kills the child and raises otherwise."""
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._reaped(status)
                break
            if time.monotonic() > deadline:
                self.kill()
                raise ChildError(f"{self.name}[{self.pid}]: still running after {timeout:.0f} s, killed")
            time.sleep(0.01)
        code = os.waitstatus_to_exitcode(self.status)
        if code != 0:
            raise ChildError(f"{self.name}[{self.pid}]: exited with {code}")

    def kill(self):
        """SIGKILLs this child (by its pid) if it still runs, and reaps it."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(self.pid, 0)
            self._reaped(status)

    def _reaped(self, status):
        self.status = status
        for fd in (self._up, self._down):
            os.close(fd)
        if self in _children:
            _children.remove(self)

    def _close_in_child(self):
        os.close(self._up)
        os.close(self._down)


def spawn(name, fn, *args, netns=None):
    """Forks a child that runs fn(channel, *args), optionally in a named netns.

    The child exits 0 when fn returns and 1 (after printing the traceback)
    when it raises. It never returns into the caller's code.
    """
    up_r, up_w = os.pipe()
    down_r, down_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(up_r)
            os.close(down_w)
            for sibling in _children:
                sibling._close_in_child()
            _children.clear()
            if netns:
                enter_netns(netns)
            fn(Channel(up_w, down_r, name), *args)
            code = 0
        except BaseException:
            print(f"e2e child {name}[{os.getpid()}] failed:", file=sys.stderr)
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(up_w)
    os.close(down_r)
    child = Child(name, pid, up_r, down_w)
    _children.append(child)
    return child


def live_children():
    """The children this process forked and has not reaped yet."""
    return list(_children)


def kill_all():
    """Kills (by pid) and reaps every child this process forked and still has."""
    for child in list(_children):
        child.kill()


def enter_netns(name):
    """Moves the calling process into the named network namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def ip(*args, check=True):
    """Runs `ip ARGS...`; raises with ip's stderr when check and it fails."""
    res = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if check and res.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {res.stderr.strip()}")
    return res


def test_namespaces():
    """Names of the existing network namespaces that these tests own."""
    res = ip("netns", "list", check=False)
    names = [line.split()[0] for line in res.stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(NETNS_PREFIX)]


def remove_test_namespaces():
    """Deletes every "pctest*" namespace (and so the veths inside them)."""
    for name in test_namespaces():
        ip("netns", "delete", name, check=False)


def sysctl_path(name):
    return "/proc/sys/" + name.replace(".", "/")


def sysctl_read(name):
    with open(sysctl_path(name)) as f:
        return f.read().strip()


def sysctl_write(name, value):
    with open(sysctl_path(name), "w") as f:
        f.write(value)
