#!/usr/bin/env python3
"""End-to-end test of containers: pidcap names the container of every packet.

For: a real runtime (podman with runc, Debian 12) running three containers of
a busybox-static image made here with `podman import`: A sends to B over the
podman bridge, C talks with a server in this process on the bridge address.
Checks that `pidcap --json` names the right container and process for every
payload byte (0 wrong), that text lines read eth0@NAME and nc[PID]@NAME, that `--container` keeps exactly that container's
packets (live, and with -r from a -w file's keys), and that `top --batch
--json` (per process and --by-container) and the exporter (--by-container)
count each container's bytes exactly as the capture saw them. Not for: the cgroup path and state-file
parsers (tests/unit/test_container.c).

The image localhost/pidcap-e2e-busybox:1 is cached (made once, kept); the
containers (named pidcap-e2e-*-PID) and temporary files are removed. podman,
runc or busybox-static missing is a failure. Traffic stays on the podman
bridge between this test's containers and this process.

Usage: tests/e2e/test_containers.py [--pidcap build/pidcap]
(PIDCAP_KEEP=1 keeps the outputs of the captures in a temporary directory.)
Prints "ok NAME" or "FAIL NAME: reason", then "test_containers: N passed, N failed".
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request

IMAGE = "localhost/pidcap-e2e-busybox:1"
APPLETS = ["sh", "nc", "sleep", "head", "cat", "touch", "test", "["]
# runc sets the container's RLIMITs; here they cannot be raised (no
# CAP_SYS_RESOURCE) and podman's defaults (and --ulimit host, measured) ask
# for more than we have: ask for less.
RUN = ["podman", "run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "podman"]
N_AB = 300000   # bytes A sends to B
N_C = 200000    # bytes C sends to this process
N_H = 100000    # bytes this process sends back to C
BRIDGE = "10.88.0.1"
WAIT = 20       # seconds for any one step

PIDCAP = None
results = []


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def sh(cmd, timeout=WAIT, ok=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if ok and r.returncode:
        raise Fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return r.stdout.strip()


def ensure_image():
    """The cached image, made from the static busybox if missing."""
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode == 0:
        return
    busybox = "/bin/busybox"
    out = sh(["file", "-L", busybox], ok=False) if shutil.which("file") else "static"
    check(os.path.exists(busybox) and ("static" in out or "statically" in out),
          "busybox-static is not installed (scripts/install-deps.sh --test)")
    tmp = tempfile.mkdtemp(prefix="pidcap-img-")
    try:
        tar = os.path.join(tmp, "rootfs.tar")
        with tarfile.open(tar, "w") as t:
            for d in ["bin", "tmp", "proc", "sys", "dev", "etc"]:
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
                t.addfile(info)
            t.add(busybox, "bin/busybox")
            for a in APPLETS:
                info = tarfile.TarInfo(f"bin/{a}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                t.addfile(info)
        sh(["podman", "import", tar, IMAGE], timeout=120)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Pidcap:
    """A pidcap process with its stdout in a file; ready when `ready` shows."""

    def __init__(self, args, tmp, name, ready_out=False):
        self.out_path = os.path.join(tmp, name + ".out")
        self.err_path = os.path.join(tmp, name + ".err")
        self.proc = subprocess.Popen([PIDCAP] + args, stdout=open(self.out_path, "wb"),
                                     stderr=open(self.err_path, "wb"))
        self.ready_out = ready_out

    def wait_ready(self, word):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            path = self.out_path if self.ready_out else self.err_path
            with open(path, "rb") as f:
                if word.encode() in f.read():
                    return
            check(self.proc.poll() is None, f"pidcap exited {self.proc.returncode}: "
                  f"{open(self.err_path).read()[:500]}")
            time.sleep(0.05)
        raise Fail(f"pidcap not ready ({word!r}): {open(self.err_path).read()[:500]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")


def host_server(lsock, got):
    """Reads one connection to its end, then sends N_H bytes back."""
    lsock.settimeout(WAIT)
    try:
        c, _ = lsock.accept()
        c.settimeout(WAIT)
        n = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
        c.sendall(b"h" * N_H)
        c.close()
        got.append(n)
    except OSError as e:
        got.append(e)


def record_owner(r):
    return (r.get("container_name"), r.get("pid"), r.get("comm"))


def run_scenario(tmp):
    """Starts the containers and the captures, makes the traffic, stops all.
    Returns a dict of what each part saw."""
    tag = f"pidcap-e2e-%s-{os.getpid()}"
    names = {k: tag % k for k in "abc"}
    ctx = {"names": names}
    # A and C wait for /tmp/go, which says where to connect. B and the
    # server here start after pidcap: a container that starts later is
    # named too. (Sockets accepted from a listener that existed before
    # pidcap have no owner until their process first uses them: a
    # limitation of the kernel side, not of containers.)
    wait_go = "while [ ! -s /tmp/go ]; do sleep 0.05; done"
    sh(RUN + ["--name", names["a"], IMAGE, "/bin/sh", "-c",
              f"head -c {N_AB} /dev/urandom > /tmp/p; {wait_go}; "
              "exec nc $(cat /tmp/go) < /tmp/p > /dev/null"])
    sh(RUN + ["--name", names["c"], IMAGE, "/bin/sh", "-c",
              f"head -c {N_C} /dev/urandom > /tmp/p; {wait_go}; "
              "exec nc $(cat /tmp/go) < /tmp/p > /dev/null"])

    expr = ["net", "10.88.0.0/16"]
    pcfile = os.path.join(tmp, "a.pcapng")
    caps = {
        "all": Pidcap(["--json", "-l"] + expr, tmp, "all"),
        "only_a": Pidcap(["--json", "-l", "--container", names["a"]] + expr, tmp, "only_a"),
        # B starts after these two: caught from its first packet on
        "only_b": Pidcap(["--json", "-l", "--container", names["b"]] + expr, tmp, "only_b"),
        "top_b": Pidcap(["top", "--batch", "--json", "-d", "0.5", "--container", names["b"]],
                        tmp, "top_b", ready_out=True),
        "text_a": Pidcap(["-l", "--container", names["a"]] + expr, tmp, "text_a"),
        "write": Pidcap(["-w", pcfile] + expr, tmp, "write"),
        "top": Pidcap(["top", "--batch", "--json", "-d", "0.5"], tmp, "top", ready_out=True),
        "topgrp": Pidcap(["top", "--batch", "--json", "-d", "0.5", "--by-container"], tmp,
                         "topgrp", ready_out=True),
        "exp": Pidcap(["exporter", "--listen", "127.0.0.1:0", "--by-container"], tmp, "exp"),
    }
    got, lsock, srv = [], None, None
    try:
        for k, p in caps.items():
            p.wait_ready({"top": '"processes"', "top_b": '"processes"',
                          "topgrp": '"containers"',
                          "exp": "exporter listening"}.get(k, "listening"))
        ctx["late_notice"] = open(caps["only_b"].err_path).read()
        err = open(caps["exp"].err_path).read()
        url = err.split("listening on ")[1].split()[0]
        # B echoes: nc -e execs cat on the accepted socket (same pid, comm
        # "cat"), which ends when A has sent everything and shut down its side
        sh(RUN + ["--name", names["b"], IMAGE, "/bin/nc", "-l", "-p", "5001", "-e", "/bin/cat"])
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((BRIDGE, 0))
        lsock.listen(4)
        srv = threading.Thread(target=host_server, args=(lsock, got))
        srv.start()
        ips, pids, ids = {}, {}, {}
        for k in "abc":
            ips[k] = sh(["podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", names[k]])
            pids[k] = int(sh(["podman", "inspect", "-f", "{{.State.Pid}}", names[k]]))
            ids[k] = sh(["podman", "inspect", "-f", "{{.Id}}", names[k]])
        ctx.update(ips=ips, pids=pids, ids=ids)
        go = {"a": f"{ips['b']} 5001", "c": f"{BRIDGE} {lsock.getsockname()[1]}"}
        for k in "ac":
            sh(["podman", "exec", names[k], "/bin/sh", "-c", f"echo {go[k]} > /tmp/go"])
        for k in "abc":
            sh(["podman", "wait", names[k]], timeout=WAIT)
        srv.join(WAIT)
        check(got and got[0] == N_C, f"the host server got {got}, want {N_C} bytes")
        time.sleep(1.5)  # the last ACKs and FINs, then a top interval
        # the exporter renders once a second: scrape until two scrapes in a
        # row give the same per-container series, all three there
        prev, end = None, time.monotonic() + WAIT
        while True:
            with urllib.request.urlopen(url, timeout=WAIT) as resp:
                ctx["metrics"] = resp.read().decode()
            cur = exporter_series(ctx["metrics"], names)
            if (cur == prev and {c for c, _ in cur} == set(names.values())) or \
                    time.monotonic() > end:
                break
            prev = cur
            time.sleep(0.6)
    finally:
        outs = {k: p.stop() for k, p in caps.items()}
        if lsock:
            lsock.close()
    ctx["outs"] = outs
    ctx["read_a"] = sh([PIDCAP, "-r", pcfile, "--json", "--container", names["a"]])
    ctx["read_all"] = sh([PIDCAP, "-r", pcfile, "--json"])
    return ctx


def expected_owner(ctx, ip):
    """Who owns the socket at ip: (container name, pid, comm)."""
    for k in "abc":
        if ctx["ips"][k] == ip:
            return (ctx["names"][k], ctx["pids"][k], "cat" if k == "b" else "nc")
    return (None, os.getpid(), None)


def records(text):
    return [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]


def test_json_names(ctx):
    """Every payload byte of the three flows names the right container and process."""
    right = wrong = 0
    seen = {}
    bad = []
    for r in records(ctx["outs"]["all"]):
        if r["proto"] != "tcp" or not r["payload"]:
            continue
        local = r["src"] if r["dir"] == "out" else r["dst"]
        want = expected_owner(ctx, local)
        have = record_owner(r)
        ok = have[0] == want[0] and have[1] == want[1] and (want[2] is None or have[2] == want[2])
        if ok:
            right += r["payload"]
        else:
            wrong += r["payload"]
            bad.append((r["dir"], r["src"], r["dst"], have, want))
        key = (r["dir"], local)
        seen[key] = seen.get(key, 0) + r["payload"]
    ips = ctx["ips"]
    need = {("out", ips["a"]): N_AB, ("in", ips["b"]): N_AB, ("out", ips["b"]): N_AB,
            ("in", ips["a"]): N_AB, ("out", ips["c"]): N_C,
            ("in", BRIDGE): N_C, ("out", BRIDGE): N_H, ("in", ips["c"]): N_H}
    short = {k: (seen.get(k, 0), n) for k, n in need.items() if seen.get(k, 0) < n}
    check(wrong == 0, f"{wrong} of {right + wrong} payload bytes named wrongly: {bad[:3]}")
    check(not short, f"payload bytes missing (seen, sent): {short}")
    print(f"  json: {right} payload bytes, all named right")


def check_only(recs, ctx, k, what):
    """recs are container k's packets (A or B), every byte A sent to B."""
    check(recs, f"{what}: no packets")
    name = ctx["names"][k]
    others = [record_owner(r) for r in recs if r.get("container_name") != name]
    check(not others, f"{what}: {len(others)} packets of others: {others[:3]}")
    pids = {r["pid"] for r in recs}
    check(pids == {ctx["pids"][k]}, f"{what}: pids {pids}, want {ctx['pids'][k]}")
    for d in ("out", "in"):
        n = sum(r["payload"] or 0 for r in recs if r["dir"] == d)
        check(n >= N_AB, f"{what}: {n} payload bytes {d}, want {N_AB}")


def test_text_names(ctx):
    """Text lines: the interface in A's namespace is eth0@A, the process nc[PID]@A."""
    a, pid = ctx["names"]["a"], ctx["pids"]["a"]
    lines = [ln for ln in ctx["outs"]["text_a"].splitlines() if " IP " in ln]
    check(lines, "no text lines for --container A")
    bad = [ln for ln in lines if ln.split()[1] != f"eth0@{a}" or f"nc[{pid}]@{a}" not in ln]
    check(not bad, f"{len(bad)} of {len(lines)} lines without eth0@{a} and nc[{pid}]@{a}: "
          f"{bad[:2]}")


def test_container_filter(ctx):
    """--container A keeps A's packets, all of them, live and with -r."""
    check_only(records(ctx["outs"]["only_a"]), ctx, "a", "--container")
    check_only(records(ctx["read_a"]), ctx, "a", "-r --container")
    # the file has the others too, so -r's filter did the work
    names = {r.get("container_name") for r in records(ctx["read_all"])}
    check(set(ctx["names"].values()) <= names, f"-r without a filter: containers {names}")
    # one that never starts: said at start, then nothing captured
    rc = subprocess.run(["timeout", "--preserve-status", "-s", "INT", "1", PIDCAP, "--container", "pidcap-e2e-none"],
                        capture_output=True, text=True, timeout=WAIT)
    check(rc.returncode == 0 and "no container 'pidcap-e2e-none' runs now" in rc.stderr
          and "0 packets captured" in rc.stderr and not rc.stdout,
          f"a container that never starts: exit {rc.returncode}, {rc.stderr.strip()!r}")


def test_late_container(ctx):
    """--container B, started before B: B's packets from its first one on,
    no one else's; top --container B counts B's bytes exactly."""
    check(f"no container '{ctx['names']['b']}' runs now" in ctx["late_notice"],
          f"no notice that B does not run yet: {ctx['late_notice']!r}")
    check_only(records(ctx["outs"]["only_b"]), ctx, "b", "--container (started later)")
    # every packet the unfiltered capture saw at B's address, the first SYN included
    ip = ctx["ips"]["b"]
    at_b = [r for r in records(ctx["outs"]["all"])
            if (r["src"] if r["dir"] == "out" else r["dst"]) == ip]
    only_b = records(ctx["outs"]["only_b"])
    check(len(only_b) == len(at_b), f"--container B: {len(only_b)} packets, "
          f"{len(at_b)} at B's address in the unfiltered capture")
    snaps = [json.loads(ln) for ln in ctx["outs"]["top_b"].splitlines() if ln.startswith("{")]
    check(snaps, "top --container B printed no snapshot")
    procs = snaps[-1]["processes"]
    b = ctx["names"]["b"]
    check(procs and all(p.get("container_name") == b for p in procs),
          f"top --container B lists {[(p['pid'], p.get('container_name')) for p in procs]}")
    tot = {}
    for p in procs:
        tot[(b, "tx")] = tot.get((b, "tx"), 0) + p["tx_bytes"]
        tot[(b, "rx")] = tot.get((b, "rx"), 0) + p["rx_bytes"]
    want = {k: v for k, v in wire_bytes(ctx).items() if k[0] == b}
    check(tot == want, f"top --container B {sorted(tot.items())}, capture {sorted(want.items())}")
    print(f"  late container: {len(records(ctx['outs']['only_b']))} packets, top {tot}")


def wire_bytes(ctx):
    """Bytes on the wire per container name and direction: every packet the
    capture saw leave or reach the container's address (its one process's
    sockets), whoever it was named for; a GSO packet's segments each have
    their headers, as top and the exporter count them."""
    tot = {}
    for r in records(ctx["outs"]["all"]):
        for k in "abc":
            ip = ctx["ips"][k]
            if (r["src"] if r["dir"] == "out" else r["dst"]) != ip:
                continue
            hdr = r["len"] - (r["payload"] or 0)
            key = (ctx["names"][k], "tx" if r["dir"] == "out" else "rx")
            tot[key] = tot.get(key, 0) + r["len"] + (r["segs"] - 1) * hdr
    return tot


def test_top_counts(ctx):
    """top --batch --json counts each container's bytes as the capture saw them."""
    snaps = [json.loads(ln) for ln in ctx["outs"]["top"].splitlines() if ln.startswith("{")]
    check(snaps, "top printed no snapshot")
    tot = {}
    for p in snaps[-1]["processes"]:
        c = p.get("container_name")
        if c in ctx["names"].values():
            tot[(c, "tx")] = tot.get((c, "tx"), 0) + p["tx_bytes"]
            tot[(c, "rx")] = tot.get((c, "rx"), 0) + p["rx_bytes"]
            ids = {v: k for k, v in ctx["names"].items()}
            check(p["container_id"] == ctx["ids"][ids[c]], f"top: id {p['container_id']} for {c}")
    want = wire_bytes(ctx)
    check(tot == want, f"top per container {sorted(tot.items())}, capture {sorted(want.items())}")


def test_top_group_counts(ctx):
    """top --batch --json --by-container: one object per container, its bytes
    exactly as the capture saw them, its id and its process's pid."""
    snaps = [json.loads(ln) for ln in ctx["outs"]["topgrp"].splitlines() if ln.startswith("{")]
    check(snaps, "top --by-container printed no snapshot")
    tot = {}
    ids = {v: k for k, v in ctx["names"].items()}
    for g in snaps[-1]["containers"]:
        c = g.get("container_name")
        if c not in ids:
            continue
        check((c, "tx") not in tot, f"top --by-container: two objects for {c}")
        tot[(c, "tx")], tot[(c, "rx")] = g["tx_bytes"], g["rx_bytes"]
        k = ids[c]
        check(g["container_id"] == ctx["ids"][k], f"top --by-container: id {g['container_id']} "
              f"for {c}")
        check(ctx["pids"][k] in g["pids"], f"top --by-container: pids {g['pids']} of {c}, "
              f"want {ctx['pids'][k]} among them")
    hosts = [g for g in snaps[-1]["containers"] if g["container_id"] is None]
    check(len(hosts) <= 1 and all(g["container_name"] is None for g in hosts),
          f"top --by-container: host groups {hosts}")
    want = wire_bytes(ctx)
    check(tot == want, f"top --by-container {sorted(tot.items())}, capture {sorted(want.items())}")


def exporter_series(metrics, names):
    """{(container name, "tx"|"rx"): (bytes, container id)} of the test's
    containers in the exporter's --by-container text."""
    series = {}
    for ln in metrics.splitlines():
        if not ln.startswith("process_network_io_bytes_total{") or "container_name" not in ln:
            continue
        labels = ln[ln.index("{") + 1:ln.rindex("}")]
        kv = dict(x.split("=", 1) for x in labels.split(","))
        c = kv["container_name"].strip('"')
        if c in names.values():
            d = "tx" if kv["network_io_direction"] == '"transmit"' else "rx"
            series[(c, d)] = (int(ln.rsplit(" ", 1)[1]), kv["container_id"].strip('"'))
    return series


def test_exporter_counts(ctx):
    """The exporter's --by-container series count each container's bytes exactly."""
    tot = {}
    ids = {v: k for k, v in ctx["names"].items()}
    for (c, d), (n, cid) in exporter_series(ctx["metrics"], ctx["names"]).items():
        tot[(c, d)] = n
        check(cid == ctx["ids"][ids[c]], f"exporter: id of {c}")
    want = wire_bytes(ctx)
    check(tot == want, f"exporter per container {sorted(tot.items())}, capture {sorted(want.items())}")


def cleanup(tag):
    out = sh(["podman", "ps", "-a", "--format", "{{.Names}}"], ok=False)
    mine = [n for n in out.split() if n.startswith("pidcap-e2e-") and n.endswith(f"-{tag}")]
    if mine:
        sh(["podman", "rm", "-f", "-t", "0"] + mine, timeout=60, ok=False)


def main():
    global PIDCAP
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default="build/pidcap")
    PIDCAP = os.path.abspath(ap.parse_args().pidcap)
    passed = failed = 0
    tests = [test_json_names, test_text_names, test_container_filter, test_late_container,
             test_top_counts, test_top_group_counts, test_exporter_counts]
    tmp = tempfile.mkdtemp(prefix="pidcap-ct-")
    ctx = None
    try:
        for tool in ["podman", "runc"]:
            check(shutil.which(tool), f"{tool} is not installed (scripts/install-deps.sh --test)")
        ensure_image()
        ctx = run_scenario(tmp)
    except (Fail, OSError, subprocess.SubprocessError, ValueError) as e:
        print(f"FAIL setup: {e}")
        failed += 1
    finally:
        cleanup(os.getpid())
        if not os.environ.get("PIDCAP_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    for t in tests:
        name = t.__name__[5:]
        if ctx is None:
            print(f"FAIL {name}: no scenario")
            failed += 1
            continue
        try:
            t(ctx)
            print(f"ok {name}")
            passed += 1
        except (Fail, KeyError, ValueError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
    print(f"test_containers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
