#!/usr/bin/env python3
"""End-to-end tests of pidcap's capture files: -w, -r, --print, -C/-W/-G.

For: capturing real loopback traffic of child processes with known pids and
names into pcapng, then checking the files with tshark (interop, also live
through `-w - | tshark -r -`), with an independent pcapng parser in this file
(blocks, option 8, comments), and with `pidcap -r` (same lines as the live
capture printed, every packet exactly once across rotated files, a SIGKILLed
writer loses nothing already flushed). Not for: parser corner cases (unit
tests, fuzzing, tests/golden).

Usage: tests/e2e/test_capfile.py [--pidcap build/pidcap] [--only NAME,...]
Prints "ok NAME" or "FAIL NAME: reason" per test, then
"test_capfile: N passed, N failed". Traffic goes to 127.0.0.1 only.
"""

import argparse
import glob
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cli_helpers as h  # noqa: E402
from cli_helpers import SETTLE, Capture, Child, TestError, run  # noqa: E402

LO4 = "127.0.0.1"
TEST_TIMEOUT = 300
PIDCAP = None
TMP = None


class Fail(Exception):
    """The test's expectation does not hold."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---- an independent pcapng parser (little- or big-endian sections) --------

def parse_pcapng(path):
    """Returns {"shb": [opts], "ifs": [...], "pkts": [...]}; raises Fail on any flaw."""
    with open(path, "rb") as f:
        data = f.read()
    off, e, out = 0, "<", {"shb": [], "ifs": [], "pkts": []}
    check(data[:4] == b"\x0a\x0d\x0d\x0a", f"{path}: does not start with a Section Header Block")

    def options(buf):
        opts, i = [], 0
        while i + 4 <= len(buf):
            code, n = struct.unpack_from(e + "HH", buf, i)
            if code == 0:
                break
            check(i + 4 + n <= len(buf), f"{path}: option {code} runs past its block")
            opts.append((code, buf[i + 4:i + 4 + n]))
            i += 4 + n + (-n % 4)
        return opts

    while off < len(data):
        check(off + 12 <= len(data), f"{path}: offset {off}: partial block header")
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack_from(e + "II", data, off)
        check(blen >= 12 and blen % 4 == 0 and off + blen <= len(data),
              f"{path}: offset {off}: bad block length {blen}")
        check(struct.unpack_from(e + "I", data, off + blen - 4)[0] == blen,
              f"{path}: offset {off}: trailing length differs")
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            out["shb"].append(dict(options(body[16:])))
            out["ifs"] = []
        elif btype == 1:
            linktype, _, snaplen = struct.unpack_from(e + "HHI", body, 0)
            out["ifs"].append({"linktype": linktype, "snaplen": snaplen,
                               "opts": dict(options(body[8:]))})
        elif btype == 6:
            ifid, hi, lo, caplen, origlen = struct.unpack_from(e + "IIIII", body, 0)
            check(ifid < len(out["ifs"]), f"{path}: packet on undescribed interface {ifid}")
            frame = body[20:20 + caplen]
            opts = options(body[20 + caplen + (-caplen % 4):])
            pkt = {"if": out["ifs"][ifid], "ts": hi << 32 | lo, "frame": frame,
                   "origlen": origlen, "flags": None, "pidtid": None, "comment": None}
            for code, v in opts:
                if code == 2:
                    pkt["flags"] = struct.unpack(e + "I", v)[0]
                elif code == 8:
                    pkt["pidtid"] = struct.unpack(e + "II", v)
                elif code == 1:
                    pkt["comment"] = v.decode()
            out["pkts"].append(pkt)
        off += blen
    return out


def kv(comment):
    """The key=value fields of a pidcap comment (values still escaped)."""
    return dict(tok.split("=", 1) for tok in comment.split(" "))


def udp_payload(frame):
    """UDP payload of an SLL2 + IPv4 frame, or None."""
    if len(frame) < 48 or frame[:2] != b"\x08\x00" or frame[20 + 9] != 17:
        return None
    ihl = (frame[20] & 15) * 4
    return frame[20 + ihl + 8:]


SEQ_RE = re.compile(rb"^pidcap cli test (\d+) ")


def seqs_of(files):
    """Sequence numbers of the test datagrams in every file, in order."""
    seqs = []
    for f in files:
        for p in parse_pcapng(f)["pkts"]:
            m = SEQ_RE.match(udp_payload(p["frame"]) or b"")
            if m:
                seqs.append(int(m.group(1)))
    return seqs


# ---- tools -----------------------------------------------------------------

def tshark(args, timeout=60):
    """Runs tshark; returns (rc, stdout, stderr without its root warning)."""
    rc, out, err = run(["tshark", *args], timeout=timeout)
    err = "\n".join(line for line in err.splitlines()
                    if "Running as user" not in line and line.strip())
    return rc, out, err


def tshark_clean(path):
    """tshark reads path with no error and no malformed packet; returns its rows."""
    rc, out, err = tshark(["-r", path, "-T", "fields", "-e", "frame.number"])
    check(rc == 0 and not err, f"tshark -r {path}: rc={rc} stderr={err[:300]!r}")
    rc, exp, err = tshark(["-r", path, "-q", "-z", "expert"])
    check(rc == 0 and not err, f"tshark -z expert {path}: rc={rc} stderr={err[:300]!r}")
    check("Malformed" not in exp and not re.search(r"^\s*\d+\s+Error\b", exp, re.M),
          f"tshark finds malformed packets or errors in {path}: {exp[:400]!r}")
    return out.split()


def pidcap_read(path, *args):
    rc, out, err = run([PIDCAP, "-r", path, *args], timeout=60)
    return rc, out, err


def children():
    a = Child(comm="pcw-alpha")
    b = Child(comm="pcw-beta")
    return a, b


def traffic(a, b, n=5, tcp=3):
    """UDP a->b and b->a, and a TCP connection inside a; waits until done."""
    a.send((LO4, b.port), n=n)
    b.send((LO4, a.port), n=n)
    if tcp:
        a.start_tcp(n=tcp)
        a.wait_done(30)


def check_packets(path, a, b, n_udp):
    """Every packet of the file names its sender by option 8 and comment."""
    f = parse_pcapng(path)
    check(len(f["shb"]) == 1, f"{len(f['shb'])} sections, want 1")
    shb = f["shb"][0]
    check(shb.get(4, b"").startswith(b"pidcap "), f"shb_userappl is {shb.get(4)!r}")
    check(shb.get(3) and shb.get(2), "shb_os or shb_hardware missing")
    for i in f["ifs"]:
        check(i["linktype"] == 276, f"link type {i['linktype']}, want 276 (LINUX_SLL2)")
        check(i["opts"].get(9) == b"\x09", "if_tsresol is not 9")
        check(re.fullmatch(rb"netns \d+", i["opts"].get(3, b"")), "if_description is not netns N")
    by = {a.port: a, b.port: b}
    n = {"udp": 0, "tcp": 0}
    for p in f["pkts"]:
        check(p["comment"], "a packet without comment")
        fields = kv(p["comment"])
        fr = p["frame"]
        proto = fr[20 + 9]
        if proto == 17:
            sport = struct.unpack_from("!H", fr, 20 + (fr[20] & 15) * 4)[0]
            sender = by.get(sport)
            check(sender, f"UDP from unknown port {sport}")
            receiver = b if sender is a else a
            n["udp"] += 1
        else:
            check(proto == 6, f"unexpected IP protocol {proto}")
            sender = receiver = a
            n["tcp"] += 1
        want_comm = sender.comm.decode()
        check(fields.get("pid") == str(sender.pid) and fields.get("comm") == want_comm,
              f"comment {p['comment'][:120]!r}: want pid={sender.pid} comm={want_comm}")
        check(fields.get("peer_pid") == str(receiver.pid),
              f"comment {p['comment'][:120]!r}: want peer_pid={receiver.pid}")
        check(p["pidtid"] == (sender.pid, sender.pid),
              f"option 8 is {p['pidtid']}, want ({sender.pid}, {sender.pid})")
        check(p["flags"] is not None and p["flags"] & 3 == 2, f"epb_flags {p['flags']}, want out")
        check(p["origlen"] >= len(fr), "original length below captured length")
    check(n["udp"] == 2 * n_udp, f"{n['udp']} UDP packets, want {2 * n_udp}")
    check(n["tcp"] >= 6, f"only {n['tcp']} TCP packets")
    return f


def check_tshark_comments(rows, a, b):
    """rows: tshark fields comment|udp.srcport|tcp.srcport|direction."""
    check(rows, "tshark printed no packets")
    by = {str(a.port): a, str(b.port): b}
    for row in rows:
        comment, usport, tsport, direction = (row.split("\t") + ["", "", "", ""])[:4]
        sender = by.get(usport) if usport else a
        check(sender, f"tshark row from unknown port: {row[:120]!r}")
        check(f"pid={sender.pid} " in comment and f"comm={sender.comm.decode()} " in comment,
              f"tshark comment {comment[:120]!r}: want pid={sender.pid}")
        check(direction in ("0x00000002", "0x2", "2"), f"tshark direction {direction!r}")


TSHARK_FIELDS = ["-T", "fields", "-e", "frame.comment", "-e", "udp.srcport", "-e",
                 "tcp.srcport", "-e", "frame.packet_flags_direction"]


def option8_note():
    rc, out, _ = tshark(["-G", "fields"])
    if rc == 0 and re.search(r"\tframe\.(process|pid|thread)", out, re.I):
        return "this tshark has a process field"
    ver = tshark(["--version"])[1].splitlines()[:1]
    return (f"note: {ver[0] if ver else 'tshark'} does not expose pcapng option 8 "
            "(epb_processid_threadid); tshark checks use the comment, option 8 is "
            "checked by this script's own parser")


# ---- tests -----------------------------------------------------------------

def t_interop_file():
    a, b = children()
    try:
        path = os.path.join(TMP, "interop.pcapng")
        cap = Capture(PIDCAP, ["-w", path, "--pid", str(a.pid), "--pid", str(b.pid)])
        traffic(a, b)
        time.sleep(SETTLE)
        check(cap.stop() == 0, f"pidcap exited {cap.rc}: {cap.errtext()[-300:]!r}")
        check(cap.out == b"", f"-w without --print printed {cap.out[:200]!r}")
        check_packets(path, a, b, 5)
        tshark_clean(path)
        rc, out, err = tshark(["-r", path, *TSHARK_FIELDS])
        check(rc == 0 and not err, f"tshark fields: rc={rc} {err[:200]!r}")
        check_tshark_comments(out.splitlines(), a, b)
        print(option8_note())
    finally:
        a.close()
        b.close()


def t_interop_pipe():
    """`pidcap -w - | tshark -r -` shows packets while pidcap still runs."""
    a, b = children()
    p1 = p2 = None
    try:
        p1 = h._track(subprocess.Popen([PIDCAP, "-w", "-", "--pid", str(a.pid), "--pid",
                                        str(b.pid)], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE))
        p2 = h._track(subprocess.Popen(["tshark", "-l", "-r", "-", *TSHARK_FIELDS],
                                       stdin=p1.stdout, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE))
        p1.stdout.close()
        err1, out2, err2 = bytearray(), bytearray(), bytearray()

        def pump(f, buf):
            for chunk in iter(lambda: os.read(f.fileno(), 65536), b""):
                buf.extend(chunk)
        threads = [threading.Thread(target=pump, args=x, daemon=True)
                   for x in ((p1.stderr, err1), (p2.stdout, out2), (p2.stderr, err2))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + h.LISTEN_TIMEOUT
        while b"listening on" not in err1:
            check(p1.poll() is None, f"pidcap exited: {bytes(err1)[-300:]!r}")
            check(time.monotonic() < deadline, "pidcap did not start listening")
            time.sleep(0.02)
        traffic(a, b, tcp=0)
        deadline = time.monotonic() + 15
        while out2.count(b"\n") < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        live = out2.count(b"\n")
        check(p1.poll() is None, "pidcap ended early")
        check(live >= 10, f"tshark showed {live} of 10 packets while pidcap ran (not live)")
        os.kill(p1.pid, signal.SIGINT)
        p1.wait(timeout=h.STOP_TIMEOUT)
        p2.wait(timeout=30)
        for t in threads:
            t.join(5)
        check(p1.returncode == 0, f"pidcap exited {p1.returncode}")
        check(p2.returncode == 0, f"tshark exited {p2.returncode}: {bytes(err2)[:300]!r}")
        err = "\n".join(x for x in bytes(err2).decode(errors="replace").splitlines()
                        if "Running as user" not in x and x.strip())
        check(not err, f"tshark stderr: {err[:300]!r}")
        rows = bytes(out2).decode().splitlines()
        check(len(rows) == 10, f"tshark read {len(rows)} packets from the pipe, want 10")
        check_tshark_comments(rows, a, b)
    finally:
        for p in (p1, p2):
            if p:
                h._end(p)
        a.close()
        b.close()


def packets(text):
    """Lines grouped per packet: tcpdump's -v continues a packet on lines
    that start with white space (the IP header on a line of its own)."""
    out = []
    for line in text.splitlines():
        if out and line[:1] in (" ", "\t"):
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out


def t_roundtrip():
    """-w --print prints exactly what -r prints afterwards (text -v and JSON)."""
    a, b = children()
    try:
        for mode in (["-v"], ["--json"]):
            path = os.path.join(TMP, f"rt{mode[0]}.pcapng")
            cap = Capture(PIDCAP, ["-w", path, "--print", *mode, "--pid", str(a.pid), "--pid",
                                   str(b.pid)])
            traffic(a, b)
            time.sleep(SETTLE)
            check(cap.stop() == 0, f"pidcap exited {cap.rc}")
            live = cap.out.decode()
            check(live.count("\n") >= 16, f"--print printed {live.count(chr(10))} lines")
            rc, out, err = pidcap_read(path, *mode)
            check(rc == 0, f"-r exited {rc}: {err[-300:]!r}")
            if out != live:
                lw, lr = live.splitlines(), out.splitlines()
                diff = next((i for i in range(min(len(lw), len(lr))) if lw[i] != lr[i]), None)
                raise Fail(f"{mode}: -r differs from live ({len(lr)} vs {len(lw)} lines); "
                           f"first difference: live {lw[diff][:160] if diff is not None else ''!r}"
                           f" read {lr[diff][:160] if diff is not None else ''!r}")
            # the same filters offline: a pcap expression, --pid, -c
            rc, udp, _ = pidcap_read(path, *mode, "udp")
            want = [x for x in packets(live) if ("UDP," in x or '"proto":"udp"' in x)]
            check(rc == 0 and packets(udp) == want, f"-r udp: {len(packets(udp))} "
                  f"packets, want {len(want)}")
            rc, three, _ = pidcap_read(path, *mode, "-c", "3")
            check(packets(three) == packets(live)[:3], "-r -c 3 differs")
            rc, none, _ = pidcap_read(path, *mode, "--pid", "1")
            check(rc == 0 and none == "", "-r --pid 1 printed packets")
            rc, beta, _ = pidcap_read(path, *mode, "--comm", "pcw-beta")
            check(packets(beta) == want, "--comm pcw-beta is not the UDP exchange")
    finally:
        a.close()
        b.close()


def t_killed_writer():
    """SIGKILL loses nothing already flushed; SIGTERM ends on a whole block."""
    a, b = children()
    try:
        for sig in (signal.SIGKILL, signal.SIGTERM):
            path = os.path.join(TMP, f"killed{int(sig)}.pcapng")
            cap = Capture(PIDCAP, ["-w", path, "--pid", str(a.pid), "--pid", str(b.pid)])
            a.send((LO4, b.port), n=20)
            time.sleep(SETTLE)
            os.kill(cap.pid, sig)
            cap.wait_exit(h.STOP_TIMEOUT)
            rc, out, err = pidcap_read(path)
            check(rc == 0, f"{sig.name}: -r exited {rc}: {err[-300:]!r}")
            check(len(out.splitlines()) == 20, f"{sig.name}: {len(out.splitlines())} of 20 "
                  "packets in the file")
            if sig == signal.SIGTERM:
                check("warning" not in err, f"SIGTERM left a cut block: {err!r}")
                parse_pcapng(path)
    finally:
        a.close()
        b.close()


def rotated(pattern_glob):
    def key(p):
        m = re.search(r"(\d*)$", p)
        return (len(m.group(1)), int(m.group(1) or -1))
    return sorted(glob.glob(pattern_glob), key=key)


def check_files(files, n_sent, exact=True):
    for f in files:
        with open(f, "rb") as fh:
            head = fh.read(12)
        check(head[:4] == b"\x0a\x0d\x0d\x0a", f"{f} does not start with an SHB")
        tshark_clean(f)
        rc, _, err = pidcap_read(f)
        check(rc == 0 and "warning" not in err, f"-r {f}: rc={rc} {err[-200:]!r}")
    seqs = seqs_of(files)
    if exact:
        dup = sorted({s for s in seqs if seqs.count(s) > 1})
        missing = sorted(set(range(n_sent)) - set(seqs))
        check(not dup and not missing and len(seqs) == n_sent,
              f"{len(seqs)} packets in {len(files)} files for {n_sent} sent; duplicated "
              f"{dup[:10]}, missing {missing[:10]}")
    return seqs


def t_rotate_size():
    """-C 1: FILE, FILE1, FILE2...; -C 1 -W 2: a ring of FILE0, FILE1."""
    a, b = children()
    try:
        base = os.path.join(TMP, "size.pcapng")
        cap = Capture(PIDCAP, ["-w", base, "-C", "1", "--pid", str(a.pid)])
        a.send((LO4, b.port), n=80, interval=0.01, size=50000)
        time.sleep(SETTLE)
        check(cap.stop() == 0, f"pidcap exited {cap.rc}")
        files = rotated(base + "*")
        check(len(files) >= 4 and files[0] == base and files[1] == base + "1",
              f"files {[os.path.basename(f) for f in files]}")
        for f in files[:-1]:
            size = os.path.getsize(f)
            check(1000000 < size < 1000000 + 70000, f"{f}: {size} bytes for -C 1")
        check_files(files, 80)

        ring = os.path.join(TMP, "ring.pcapng")
        cap = Capture(PIDCAP, ["-w", ring, "-C", "1", "-W", "2", "--pid", str(a.pid)])
        a.send((LO4, b.port), n=80, interval=0.01, size=50000)
        time.sleep(SETTLE)
        check(cap.stop() == 0, f"pidcap exited {cap.rc}")
        files = rotated(ring + "*")
        check([os.path.basename(f) for f in files] == ["ring.pcapng0", "ring.pcapng1"],
              f"ring files {[os.path.basename(f) for f in files]}")
        seqs = check_files(files, 80, exact=False)
        check(len(set(seqs)) == len(seqs) and max(seqs) == 79,
              "the ring does not hold the newest packets once each")
    finally:
        a.close()
        b.close()


def t_rotate_time():
    """-G 1 over ~3.5 s: FILE, FILE1, ...; with strftime escapes: names by time."""
    a, b = children()
    try:
        base = os.path.join(TMP, "time.pcapng")
        cap = Capture(PIDCAP, ["-w", base, "-G", "1", "--pid", str(a.pid)])
        a.send((LO4, b.port), n=35, interval=0.1)
        time.sleep(SETTLE)
        check(cap.stop() == 0, f"pidcap exited {cap.rc}")
        files = rotated(base + "*")
        check(len(files) >= 3 and files[0] == base and files[1] == base + "1",
              f"files {[os.path.basename(f) for f in files]}")
        check_files(files, 35)
        for f in files:  # each file spans at most the 1 s interval
            ts = [p["ts"] for p in parse_pcapng(f)["pkts"]]
            check(not ts or max(ts) - min(ts) < 1_000_000_000, f"{f} spans more than 1 s")

        pat = os.path.join(TMP, "g-%H%M%S.pcapng")
        cap = Capture(PIDCAP, ["-w", pat, "-G", "1", "--pid", str(a.pid)])
        a.send((LO4, b.port), n=25, interval=0.1)
        time.sleep(SETTLE)
        check(cap.stop() == 0, f"pidcap exited {cap.rc}")
        files = sorted(glob.glob(os.path.join(TMP, "g-[0-9]*.pcapng")))
        check(len(files) >= 2, f"strftime files {files}")
        check_files(files, 25)
    finally:
        a.close()
        b.close()


TESTS = [t_interop_file, t_interop_pipe, t_roundtrip, t_killed_writer, t_rotate_size,
         t_rotate_time]


def main():
    global PIDCAP, TMP
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pidcap", default=os.path.join(HERE, "..", "..", "build", "pidcap"))
    ap.add_argument("--only", default="", help="comma-separated test names")
    args = ap.parse_args()
    PIDCAP = os.path.abspath(args.pidcap)
    only = [x for x in args.only.split(",") if x]
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TestError("test timeout")))
    TMP = tempfile.mkdtemp(prefix="pidcap-capfile-")
    passed = failed = 0
    try:
        if not shutil.which("tshark"):
            print("FAIL setup: tshark is not installed (make test-deps installs it)")
            failed += 1
        for t in TESTS:
            name = t.__name__[2:]
            if only and name not in only or failed and not shutil.which("tshark"):
                continue
            signal.alarm(TEST_TIMEOUT)
            try:
                t()
                print(f"ok {name}", flush=True)
                passed += 1
            except (Fail, TestError) as e:
                print(f"FAIL {name}: {e}", flush=True)
                failed += 1
            except Exception:
                print(f"FAIL {name}: {traceback.format_exc()}", flush=True)
                failed += 1
            finally:
                signal.alarm(0)
                h.cleanup()
    finally:
        h.cleanup()
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"test_capfile: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
