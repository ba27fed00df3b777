#!/usr/bin/env python3
"""Traffic with known owners, and its ground truth, for pidcap's end-to-end tests.

For: forking processes with known pids that exchange a bounded amount of real
traffic (TCP, UDP, ICMP ping, raw IP, on loopback and over a veth pair between
two "pctest*" namespaces it creates and deletes), and recording which pid sent
and received every flow. Not for: running or judging pidcap (accuracy.py).

Standalone: `python3 tests/e2e/workload.py --out truth.json [--cases a-tcp4,...]`.
As a module: Workload(cases).prepare() before the capture starts (it opens the
sockets of case h-preexisting), .run() once it listens, .cleanup() always.
"""

import argparse
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import spawn  # noqa: E402

# Emulated kernels (make check-kernels) are slower: PIDCAP_E2E_TIMEOUT_SCALE
# multiplies every timeout of the workload and of accuracy.py (default 1).
TIMEOUT_SCALE = float(os.environ.get("PIDCAP_E2E_TIMEOUT_SCALE", "1"))
IO_TIMEOUT = 10.0 * TIMEOUT_SCALE    # every socket operation of every child
GO_TIMEOUT = 120.0 * TIMEOUT_SCALE   # how long case h's processes wait for the capture
# Seconds the processes of the plain cases (a-e, m) keep their sockets open
# after the exchange: a capture that looks owners up afterwards (pidcap
# --backend pcap) needs them alive then. accuracy.py --expect lookup sets it.
LINGER = float(os.environ.get("PIDCAP_E2E_LINGER", "0"))
V4, V6 = socket.AF_INET, socket.AF_INET6
LO4, LO6 = "127.0.0.1", "::1"
PING_CLIENT = "127.0.0.3"    # source of the echo requests: tells them from replies
RAW_CLIENT = "127.0.0.4"     # source of the raw sender: tells it from the receiver
RAW_PROTO = 253              # IANA "use for experimentation and testing"
NS_A, NS_B = "pctestA", "pctestB"
VETH_A, VETH_B = "pcta", "pctb"
NET4_A, NET4_B = "192.0.2.1", "192.0.2.2"
NET6_A, NET6_B = "2001:db8::1", "2001:db8::2"
PING_RANGE = "net.ipv4.ping_group_range"


def payload(n):
    """n bytes of recognisable data."""
    unit = b"pidcap e2e payload "
    return (unit * (n // len(unit) + 1))[:n]


def fam_name(family):
    return "ipv4" if family == V4 else "ipv6"


def rounds(n, base, step, limit):
    """n request/response sizes for lock-step UDP exchanges."""
    return [(base + (i * step) % limit, base // 2 + (i * step * 3) % limit) for i in range(n)]


def flow(case, proto, family, client_pid, server_pid, client, server, c2s, s2c, link="lo"):
    """One ground-truth flow. client/server are (addr, port); port None without ports."""
    return {
        "case": case, "proto": proto, "family": fam_name(family), "link": link,
        "client_pid": client_pid, "server_pid": server_pid,
        "client": [client[0], client[1]], "server": [server[0], server[1]],
        "bytes_c2s": c2s, "bytes_s2c": s2c,
    }


# ---- exchanges on an open socket -------------------------------------------

def recv_exact(sock, n):
    got = 0
    while got < n:
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            raise ConnectionError(f"EOF after {got} of {n} bytes")
        got += len(chunk)


def tcp_serve(conn, greet, req, resp, linger=0):
    """Server side of one connection: greeting, read the request, answer, close."""
    conn.settimeout(IO_TIMEOUT)
    if greet:
        conn.sendall(payload(greet))
    recv_exact(conn, req)
    if resp:
        conn.sendall(payload(resp))
    time.sleep(linger)
    conn.close()


def tcp_talk(sock, greet, req, resp):
    """Client side of tcp_serve(): read the greeting, send, read the answer."""
    sock.settimeout(IO_TIMEOUT)
    recv_exact(sock, greet)
    sock.sendall(payload(req))
    recv_exact(sock, resp)


def udp_talk(sock, server, sizes):
    """Lock-step UDP client: one datagram out, one back; server None if connected."""
    sock.settimeout(IO_TIMEOUT)
    for req, resp in sizes:
        if server is None:
            sock.send(payload(req))
        else:
            sock.sendto(payload(req), server)
        data = sock.recv(65536)
        if len(data) != resp:
            raise ValueError(f"udp answer of {len(data)} bytes, expected {resp}")


def udp_answer(sock, sizes, connect_back):
    """Lock-step UDP server; connect_back connects to the client after its first datagram."""
    sock.settimeout(IO_TIMEOUT)
    peer = None
    for req, resp in sizes:
        data, src = sock.recvfrom(65536)
        if len(data) != req:
            raise ValueError(f"udp request of {len(data)} bytes, expected {req}")
        if connect_back and peer is None:
            sock.connect(src)
        peer = src
        if connect_back:
            sock.send(payload(resp))
        else:
            sock.sendto(payload(resp), src)
    return peer


def local(sock):
    addr = sock.getsockname()
    return [addr[0], addr[1]]


# ---- child processes -------------------------------------------------------

def tcp_server(chan, family, addr, nconns, sizes, linger=0):
    """One process: listen, then accept and serve nconns connections in turn."""
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.bind((addr, 0))
    ls.listen(64)
    ls.settimeout(IO_TIMEOUT)
    chan.send({"server": local(ls)})
    served = []
    for _ in range(nconns):
        conn, peer = ls.accept()
        tcp_serve(conn, *sizes, linger=linger)
        served.append(peer[1])
    chan.send({"served": served})


def tcp_client(chan, family, server, sizes, linger=0):
    """Connect, talk, close, report the local address, exit."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(IO_TIMEOUT)
    sock.connect(tuple(server))
    me = local(sock)
    tcp_talk(sock, *sizes)
    time.sleep(linger)
    sock.close()
    chan.send({"client": me})


def udp_server(chan, family, addr, sizes, connect_back, linger=0):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, 0))
    chan.send({"server": local(sock)})
    peer = udp_answer(sock, sizes, connect_back)
    time.sleep(linger)
    chan.send({"peer": [peer[0], peer[1]]})


def udp_client(chan, family, server, sizes, connected, linger=0):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if connected:
        sock.connect(tuple(server))
    udp_talk(sock, None if connected else tuple(server), sizes)
    time.sleep(linger)
    chan.send({"client": local(sock)})


def udp_sink(chan, family, addr, count):
    """Receives count datagrams and says where each came from."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, 0))
    sock.settimeout(IO_TIMEOUT)
    chan.send({"server": local(sock)})
    seen = [sock.recvfrom(65536)[1][:2] for _ in range(count)]
    chan.send({"seen": seen})


def udp_one_shot(chan, family, server, size):
    """Sends one datagram and exits at once."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.sendto(payload(size), tuple(server))
    chan.send({"client": local(sock)})


# ---- plain cases -----------------------------------------------------------

def tcp_pair(case, family, addr, sizes, link="lo", ns_client=None, ns_server=None):
    """One server process and one client process, one connection."""
    srv = spawn(f"{case}-tcp-server", tcp_server, family, addr, 1, sizes, LINGER, netns=ns_server)
    server = srv.recv()["server"]
    cli = spawn(f"{case}-tcp-client", tcp_client, family, server, sizes, LINGER, netns=ns_client)
    client = cli.recv()["client"]
    cli.wait()
    srv.recv()
    srv.wait()
    greet, req, resp = sizes
    return flow(case, "tcp", family, cli.pid, srv.pid, client, server, req, greet + resp, link)


def udp_pair(case, family, addr, sizes, client_connected, server_connects,
             link="lo", ns_client=None, ns_server=None):
    srv = spawn(f"{case}-udp-server", udp_server, family, addr, sizes, server_connects, LINGER,
                netns=ns_server)
    server = srv.recv()["server"]
    cli = spawn(f"{case}-udp-client", udp_client, family, server, sizes, client_connected,
                LINGER, netns=ns_client)
    cli.recv()
    cli.wait()
    client = srv.recv()["peer"]  # an unbound client's own name is the wildcard
    srv.wait()
    c2s = sum(q for q, _ in sizes)
    s2c = sum(r for _, r in sizes)
    return flow(case, "udp", family, cli.pid, srv.pid, client, server, c2s, s2c, link)


def case_tcp4(wl):
    return [tcp_pair("a-tcp4", V4, LO4, (0, 200_000, 100_000))]


def case_tcp6(wl):
    return [tcp_pair("b-tcp6", V6, LO6, (0, 200_000, 100_000))]


def case_udp4_connected(wl):
    return [udp_pair("c-udp4-connected", V4, LO4, rounds(40, 200, 97, 1300), True, True)]


def case_udp4_unconnected(wl):
    return [udp_pair("d-udp4-unconnected", V4, LO4, rounds(40, 300, 89, 1200), False, False)]


def case_udp6(wl):
    return [udp_pair("e-udp6", V6, LO6, rounds(40, 250, 83, 1400), True, False)]


def case_short_lived(wl):
    """20 one-datagram processes and 20 connect-send-exit TCP clients."""
    case, n = "f-short-lived", 20
    flows = []
    sink = spawn(f"{case}-udp-sink", udp_sink, V4, LO4, n)
    server = sink.recv()["server"]
    senders = [spawn(f"{case}-udp{i}", udp_one_shot, V4, server, 300 + i) for i in range(n)]
    ports = []
    for s in senders:
        ports.append(s.recv()["client"][1])
        s.wait()
    seen = {port: addr for addr, port in sink.recv()["seen"]}
    sink.wait()
    for i, (s, port) in enumerate(zip(senders, ports)):
        client = (seen[port], port)  # an unbound sender's own name is the wildcard
        flows.append(flow(case, "udp", V4, s.pid, sink.pid, client, server, 300 + i, 0))

    sizes = (0, 3000, 0)
    srv = spawn(f"{case}-tcp-server", tcp_server, V4, LO4, n, sizes)
    server = srv.recv()["server"]
    clients = [spawn(f"{case}-tcp{i}", tcp_client, V4, server, sizes) for i in range(n)]
    for c in clients:
        client = c.recv()["client"]
        c.wait()
        flows.append(flow(case, "tcp", V4, c.pid, srv.pid, client, server, 3000, 0))
    srv.recv()
    srv.wait()
    return flows


# ---- g: prefork server -----------------------------------------------------

def prefork_master(chan, addr, nworkers, sizes):
    """Binds and listens, forks workers that accept; never accepts itself."""
    ls = socket.socket(V4, socket.SOCK_STREAM)
    ls.bind((addr, 0))
    ls.listen(64)
    ls.setblocking(False)
    workers = [spawn(f"g-worker{i}", prefork_worker, ls, sizes) for i in range(nworkers)]
    chan.send({"server": local(ls), "workers": [w.pid for w in workers]})
    chan.recv(timeout=GO_TIMEOUT)
    served = {}
    for w in workers:
        w.send("stop")
        for port in w.recv()["served"]:
            served[str(port)] = w.pid
        w.wait()
    chan.send({"served": served})


def prefork_worker(chan, ls, sizes):
    served = []
    deadline = time.monotonic() + GO_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([ls, chan], [], [], 0.5)
        if chan in ready:
            chan.recv()
            break
        if ls in ready:
            try:
                conn, peer = ls.accept()
            except BlockingIOError:
                continue  # another worker took it
            tcp_serve(conn, *sizes)
            served.append(peer[1])
    chan.send({"served": served})


def case_prefork(wl):
    case, sizes = "g-prefork", (64, 10_000, 20_000)
    master = spawn(f"{case}-master", prefork_master, LO4, 3, sizes)
    server = master.recv()["server"]
    clients = [spawn(f"{case}-client{i}", tcp_client, V4, server, sizes) for i in range(9)]
    ports = []
    for c in clients:
        ports.append((c, c.recv()["client"]))
        c.wait()
    master.send("stop")
    served = master.recv()["served"]
    master.wait()
    flows = []
    for c, client in ports:
        worker = served.get(str(client[1]))
        if worker is None:
            raise harness.ChildError(f"no worker says it served client port {client[1]}")
        flows.append(flow(case, "tcp", V4, c.pid, worker, client, server, sizes[1],
                          sizes[0] + sizes[2]))
    return flows


# ---- h: sockets opened before the capture ----------------------------------

H_OLD, H_NEW = (0, 50_000, 30_000), (0, 20_000, 20_000)
H_UDP = rounds(10, 400, 71, 900)


def pre_server(chan):
    ls = socket.socket(V4, socket.SOCK_STREAM)
    ls.bind((LO4, 0))
    ls.listen(8)
    ls.settimeout(IO_TIMEOUT)
    us = socket.socket(V4, socket.SOCK_DGRAM)
    us.bind((LO4, 0))
    chan.send({"tcp": local(ls), "udp": local(us)})
    old, _ = ls.accept()
    chan.send({"accepted": True})
    chan.recv(timeout=GO_TIMEOUT)
    tcp_serve(old, *H_OLD)
    new, _ = ls.accept()
    tcp_serve(new, *H_NEW)
    udp_answer(us, H_UDP, False)
    chan.send({"done": True})


def pre_client(chan, tcp_server_addr):
    old = socket.socket(V4, socket.SOCK_STREAM)
    old.settimeout(IO_TIMEOUT)
    old.connect(tuple(tcp_server_addr))
    us = socket.socket(V4, socket.SOCK_DGRAM)
    us.bind((LO4, 0))
    chan.send({"tcp": local(old), "udp": local(us)})
    server = chan.recv(timeout=GO_TIMEOUT)
    tcp_talk(old, *H_OLD)
    old.close()
    new = socket.socket(V4, socket.SOCK_STREAM)
    new.settimeout(IO_TIMEOUT)
    new.connect(tuple(tcp_server_addr))
    me = local(new)
    tcp_talk(new, *H_NEW)
    new.close()
    udp_talk(us, tuple(server["udp"]), H_UDP)
    chan.send({"new_tcp": me})


def prepare_preexisting():
    """Starts case h's two processes; they open their sockets and wait."""
    srv = spawn("h-pre-server", pre_server)
    ports = srv.recv()
    cli = spawn("h-pre-client", pre_client, ports["tcp"])
    mine = cli.recv()
    srv.recv()
    return {"srv": srv, "cli": cli, "server": ports, "client": mine}


def case_preexisting(wl):
    case, pre = "h-preexisting", wl.pre
    if pre is None:
        raise harness.ChildError("case h was not prepared before the capture")
    srv, cli = pre["srv"], pre["cli"]
    srv.send("go")
    cli.send(pre["server"])
    new_client = cli.recv()["new_tcp"]
    cli.wait()
    srv.recv()
    srv.wait()
    c2s_u, s2c_u = sum(q for q, _ in H_UDP), sum(r for _, r in H_UDP)
    server_tcp = pre["server"]["tcp"]
    return [
        flow(case, "tcp", V4, cli.pid, srv.pid, pre["client"]["tcp"], server_tcp,
             H_OLD[1], H_OLD[2]),
        flow(case, "tcp", V4, cli.pid, srv.pid, new_client, server_tcp, H_NEW[1], H_NEW[2]),
        flow(case, "udp", V4, cli.pid, srv.pid, pre["client"]["udp"], pre["server"]["udp"],
             c2s_u, s2c_u),
    ]


# ---- i: a socket inherited across fork and across exec ---------------------

I_FORK, I_EXEC_TCP = (64, 20_000, 20_000), (0, 30_000, 10_000)
I_EXEC_UDP = rounds(10, 500, 61, 1000)


def forking_server(chan, addr, nconns, sizes):
    """Accepts in this process, serves each connection in a forked handler."""
    ls = socket.socket(V4, socket.SOCK_STREAM)
    ls.bind((addr, 0))
    ls.listen(16)
    ls.settimeout(IO_TIMEOUT)
    chan.send({"server": local(ls)})
    handlers = []
    for _ in range(nconns):
        conn, peer = ls.accept()
        handlers.append((spawn("i-handler", fork_handler, ls, conn, sizes), peer[1]))
        conn.close()
    served = {}
    for handler, port in handlers:
        handler.wait()
        served[str(port)] = handler.pid
    chan.send({"served": served})


def fork_handler(chan, ls, conn, sizes):
    ls.close()
    tcp_serve(conn, *sizes)


def exec_creator(chan, tcp_addr, udp_addr):
    """Opens a TCP connection and a connected UDP socket, hands both to an exec'd program."""
    tsock = socket.create_connection(tuple(tcp_addr), timeout=IO_TIMEOUT)
    usock = socket.socket(V4, socket.SOCK_DGRAM)
    usock.connect(tuple(udp_addr))
    fds = (tsock.fileno(), usock.fileno())
    prog = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--inherited", str(fds[0]), str(fds[1])],
        pass_fds=fds, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    chan.send({"pid": prog.pid, "tcp": local(tsock), "udp": local(usock)})
    tsock.close()
    usock.close()
    try:
        out, _ = prog.communicate(b"go\n", timeout=30 * TIMEOUT_SCALE)
    finally:
        if prog.poll() is None:
            prog.kill()
            prog.wait()
    if prog.returncode != 0 or json.loads(out) != {"ok": True}:
        raise harness.ChildError(f"exec'd program exited {prog.returncode}: {out!r}")
    chan.send({"done": True})


def inherited_main(tcp_fd, udp_fd):
    """The exec'd program: talks on the two fds it inherited, once told to."""
    tsock = socket.socket(fileno=tcp_fd)
    usock = socket.socket(fileno=udp_fd)
    sys.stdin.readline()
    tcp_talk(tsock, *I_EXEC_TCP)
    tsock.close()
    udp_talk(usock, None, I_EXEC_UDP)
    print(json.dumps({"ok": True}), flush=True)


def case_inherited(wl):
    case, flows = "i-inherited", []
    fsrv = spawn(f"{case}-forking-server", forking_server, LO4, 3, I_FORK)
    server = fsrv.recv()["server"]
    clients = [spawn(f"{case}-client{i}", tcp_client, V4, server, I_FORK) for i in range(3)]
    ports = []
    for c in clients:
        ports.append((c, c.recv()["client"]))
        c.wait()
    served = fsrv.recv()["served"]
    fsrv.wait()
    for c, client in ports:
        flows.append(flow(case, "tcp", V4, c.pid, served[str(client[1])], client, server,
                          I_FORK[1], I_FORK[0] + I_FORK[2]))

    tsrv = spawn(f"{case}-tcp-server", tcp_server, V4, LO4, 1, I_EXEC_TCP)
    usrv = spawn(f"{case}-udp-server", udp_server, V4, LO4, I_EXEC_UDP, False)
    tserver, userver = tsrv.recv()["server"], usrv.recv()["server"]
    creator = spawn(f"{case}-exec-creator", exec_creator, tserver, userver)
    info = creator.recv()
    creator.recv()
    creator.wait()
    for srv in (tsrv, usrv):
        srv.recv()
        srv.wait()
    flows.append(flow(case, "tcp", V4, info["pid"], tsrv.pid, info["tcp"], tserver,
                      I_EXEC_TCP[1], I_EXEC_TCP[2]))
    flows.append(flow(case, "udp", V4, info["pid"], usrv.pid, info["udp"], userver,
                      sum(q for q, _ in I_EXEC_UDP), sum(r for _, r in I_EXEC_UDP)))
    return flows


# ---- j: sockets passed with SCM_RIGHTS -------------------------------------

J_TCP, J_UDP = (0, 30_000, 10_000), rounds(10, 600, 53, 800)


def scm_creator(chan, unix, tcp_addr, udp_addr):
    """Process A: opens both sockets, passes them to B, closes its copies, exits."""
    tsock = socket.create_connection(tuple(tcp_addr), timeout=IO_TIMEOUT)
    usock = socket.socket(V4, socket.SOCK_DGRAM)
    usock.connect(tuple(udp_addr))
    socket.send_fds(unix, [b"fds"], [tsock.fileno(), usock.fileno()])
    chan.send({"tcp": local(tsock), "udp": local(usock)})
    tsock.close()
    usock.close()


def scm_user(chan, unix):
    """Process B: receives the sockets, waits until A is gone, talks on them."""
    unix.settimeout(IO_TIMEOUT)
    _, fds, _, _ = socket.recv_fds(unix, 16, 2)
    tsock, usock = socket.socket(fileno=fds[0]), socket.socket(fileno=fds[1])
    chan.recv()
    tcp_talk(tsock, *J_TCP)
    tsock.close()
    udp_talk(usock, None, J_UDP)
    chan.send({"done": True})


def case_scm_rights(wl):
    case = "j-scm-rights"
    tsrv = spawn(f"{case}-tcp-server", tcp_server, V4, LO4, 1, J_TCP)
    usrv = spawn(f"{case}-udp-server", udp_server, V4, LO4, J_UDP, False)
    tserver, userver = tsrv.recv()["server"], usrv.recv()["server"]
    a_end, b_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        user = spawn(f"{case}-B", scm_user, b_end)
        creator = spawn(f"{case}-A", scm_creator, a_end, tserver, userver)
    finally:
        a_end.close()
        b_end.close()
    ends = creator.recv()
    creator.wait()
    user.send("go")
    user.recv()
    user.wait()
    for srv in (tsrv, usrv):
        srv.recv()
        srv.wait()
    return [
        flow(case, "tcp", V4, user.pid, tsrv.pid, ends["tcp"], tserver, J_TCP[1], J_TCP[2]),
        flow(case, "udp", V4, user.pid, usrv.pid, ends["udp"], userver,
             sum(q for q, _ in J_UDP), sum(r for _, r in J_UDP)),
    ]


# ---- k: ICMP ping socket; l: raw IP protocol 253 ---------------------------

K_COUNT, K_DATA = 10, 1000
L_SIZES = [(1000, 500)] * 10


def pinger(chan):
    sock = socket.socket(V4, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    sock.bind((PING_CLIENT, 0))
    sock.settimeout(IO_TIMEOUT)
    for seq in range(K_COUNT):
        sock.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, seq) + payload(K_DATA), (LO4, 0))
        while True:
            reply = sock.recv(65536)
            if reply[0] == 0 and struct.unpack("!H", reply[6:8])[0] == seq:
                break
    chan.send({"done": True})


def case_icmp_ping(wl):
    """Echo requests belong to the pinger; the kernel answers them."""
    case = "k-icmp-ping"
    old = harness.sysctl_read(PING_RANGE)
    harness.sysctl_write(PING_RANGE, "0 2147483647")
    try:
        p = spawn(f"{case}-pinger", pinger)
        p.recv()
        p.wait()
    finally:
        harness.sysctl_write(PING_RANGE, old)
    data = K_COUNT * K_DATA
    return [flow(case, "icmp", V4, p.pid, None, (PING_CLIENT, None), (LO4, None), data, data)]


def raw_receiver(chan, sizes):
    sock = socket.socket(V4, socket.SOCK_RAW, RAW_PROTO)
    sock.bind((LO4, 0))
    sock.settimeout(IO_TIMEOUT)
    chan.send({"ready": True})
    for req, resp in sizes:
        packet, src = sock.recvfrom(65536)
        ihl = (packet[0] & 0x0F) * 4
        if len(packet) - ihl != req or src[0] != RAW_CLIENT:
            raise ValueError(f"raw packet of {len(packet) - ihl} bytes from {src[0]}")
        sock.sendto(payload(resp), (RAW_CLIENT, 0))
    chan.send({"done": True})


def raw_sender(chan, sizes):
    sock = socket.socket(V4, socket.SOCK_RAW, RAW_PROTO)
    sock.bind((RAW_CLIENT, 0))
    sock.settimeout(IO_TIMEOUT)
    for req, resp in sizes:
        sock.sendto(payload(req), (LO4, 0))
        packet = sock.recv(65536)
        if len(packet) - (packet[0] & 0x0F) * 4 != resp:
            raise ValueError("raw answer of the wrong size")
    chan.send({"done": True})


def case_raw(wl):
    case = "l-raw-253"
    recv = spawn(f"{case}-receiver", raw_receiver, L_SIZES)
    recv.recv()
    send = spawn(f"{case}-sender", raw_sender, L_SIZES)
    send.recv()
    send.wait()
    recv.recv()
    recv.wait()
    return [flow(case, str(RAW_PROTO), V4, send.pid, recv.pid, (RAW_CLIENT, None), (LO4, None),
                 sum(q for q, _ in L_SIZES), sum(r for _, r in L_SIZES))]


# ---- n: hand-overs that bypass the socket syscalls ---------------------------

HANDOVER_BIN = os.environ.get("PIDCAP_E2E_HANDOVER") or next(
    (p for p in (os.path.join(os.path.dirname(os.path.abspath(__file__)), "handover"),
                 os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                     os.path.abspath(__file__)))), "build", "tests", "handover"))
     if os.path.exists(p)), "handover")
# (mode, protocol): the child sends only through io_uring (inline, or on
# io_uring's worker threads with IOSQE_ASYNC) or splice() from a pipe
N_VARIANTS = (("uring", "tcp"), ("uring-async", "tcp"), ("splice", "tcp"),
              ("uring", "udp"), ("uring-async", "udp"))
N_TCP = (300, 40_000, 20_000)          # parent's bytes, child's bytes, answer
N_UDP = (200, 900, 700, 6)             # parent's datagram, child's, answer, child rounds


def run_handover(mode, proto, server):
    """The C client (tests/e2e/handover.c): parent talks, forks, child takes over."""
    if proto == "tcp":
        parent, child, resp, rounds = N_TCP + (1,)
    else:
        parent, child, resp, rounds = N_UDP
    cmd = [HANDOVER_BIN, mode, proto, server[0], str(server[1]), str(parent), str(child),
           str(resp), str(rounds)]
    out = subprocess.run(cmd, capture_output=True, timeout=30 * TIMEOUT_SCALE)
    if out.returncode != 0:
        raise harness.ChildError(f"{' '.join(cmd)} exited {out.returncode}: "
                                 f"{out.stderr.decode(errors='replace')}")
    return json.loads(out.stdout)


def case_handover(wl):
    """A parent uses a socket, forks; the child talks without socket syscalls.

    The flow's bytes have an order: the parent's first, then the child's
    (c2s_parts / s2c_parts), and the child's thread ids are checked too.
    """
    case, flows = "n-handover", []
    for mode, proto in N_VARIANTS:
        if proto == "tcp":
            parent, child, resp = N_TCP
            srv = spawn(f"{case}-{mode}-tcp-server", tcp_server, V4, LO4, 1,
                        (0, parent + child, resp))
        else:
            parent, child, resp, rounds = N_UDP
            sizes = [(parent, resp)] + [(child, resp)] * rounds
            srv = spawn(f"{case}-{mode}-udp-server", udp_server, V4, LO4, sizes, False)
        server = srv.recv()["server"]
        info = run_handover(mode, proto, server)
        srv.recv()
        srv.wait()
        p, c = info["parent"], info["child"]
        if proto == "tcp":
            f = flow(case, "tcp", V4, c, srv.pid, info["local"], server, parent + child, resp)
            f["c2s_parts"] = [[p, parent], [c, child]]
        else:
            f = flow(case, "udp", V4, c, srv.pid, info["local"], server,
                     parent + child * rounds, resp * (rounds + 1))
            f["c2s_parts"] = [[p, parent], [c, child * rounds]]
            f["s2c_parts"] = [[p, resp], [c, resp * rounds]]
        f["tids"] = {str(p): [p], str(c): info["child_tids"]}
        f["variant"] = f"{mode}/{proto}"
        flows.append(f)
    return flows


# ---- m: veth pair between two namespaces -----------------------------------

def veth_up():
    """pctestA and pctestB joined by pcta <-> pctb, IPv4 and IPv6 (no DAD)."""
    for ns in (NS_A, NS_B):
        harness.ip("netns", "add", ns)
    harness.ip("link", "add", VETH_A, "netns", NS_A, "type", "veth",
               "peer", "name", VETH_B, "netns", NS_B)
    for ns, dev, a4, a6 in ((NS_A, VETH_A, NET4_A, NET6_A), (NS_B, VETH_B, NET4_B, NET6_B)):
        harness.ip("-n", ns, "addr", "add", a4 + "/24", "dev", dev)
        harness.ip("-n", ns, "addr", "add", a6 + "/64", "dev", dev, "nodad")
        harness.ip("-n", ns, "link", "set", "lo", "up")
        harness.ip("-n", ns, "link", "set", dev, "up")


def veth_down():
    for ns in (NS_A, NS_B):
        harness.ip("netns", "delete", ns, check=False)


def case_veth(wl):
    """Clients in pctestA, servers in pctestB."""
    case, kw = "m-veth", {"link": "veth", "ns_client": NS_A, "ns_server": NS_B}
    veth_up()
    try:
        return [
            tcp_pair(case, V4, NET4_B, (0, 100_000, 50_000), **kw),
            tcp_pair(case, V6, NET6_B, (0, 100_000, 50_000), **kw),
            udp_pair(case, V4, NET4_B, rounds(20, 300, 79, 1100), True, False, **kw),
            udp_pair(case, V6, NET6_B, rounds(20, 300, 67, 1100), False, True, **kw),
        ]
    finally:
        veth_down()


CASES = {
    "a-tcp4": case_tcp4,
    "b-tcp6": case_tcp6,
    "c-udp4-connected": case_udp4_connected,
    "d-udp4-unconnected": case_udp4_unconnected,
    "e-udp6": case_udp6,
    "f-short-lived": case_short_lived,
    "g-prefork": case_prefork,
    "h-preexisting": case_preexisting,
    "i-inherited": case_inherited,
    "j-scm-rights": case_scm_rights,
    "k-icmp-ping": case_icmp_ping,
    "l-raw-253": case_raw,
    "m-veth": case_veth,
    "n-handover": case_handover,
}


class Workload:
    """Runs the chosen cases one after another and collects their ground truth."""

    def __init__(self, cases=None):
        self.cases = list(cases or CASES)
        unknown = [c for c in self.cases if c not in CASES]
        if unknown:
            raise ValueError(f"unknown cases: {', '.join(unknown)}")
        self.flows, self.errors, self.pre = [], {}, None

    def prepare(self):
        """Before the capture: remove stale namespaces, open case h's sockets."""
        harness.remove_test_namespaces()
        if "h-preexisting" in self.cases:
            try:
                self.pre = prepare_preexisting()
            except Exception as e:  # reported as this case's failure
                self.errors["h-preexisting"] = f"prepare: {e}"

    def run(self, log=None):
        for name in self.cases:
            if name in self.errors:
                continue
            before = set(harness.live_children())
            start = time.monotonic()
            try:
                self.flows.extend(CASES[name](self))
            except Exception as e:
                self.errors[name] = f"{type(e).__name__}: {e}"
                for child in set(harness.live_children()) - before:
                    child.kill()
            if log:
                status = self.errors.get(name, "ok")
                log(f"workload: {name}: {status} ({time.monotonic() - start:.1f} s)")

    def cleanup(self):
        harness.kill_all()
        harness.remove_test_namespaces()

    def truth(self):
        return {"cases": self.cases, "errors": self.errors, "flows": self.flows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write the ground truth JSON here (default: stdout)")
    ap.add_argument("--cases", help="comma-separated case names (default: all)")
    ap.add_argument("--inherited", nargs=2, type=int, metavar="FD", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inherited:
        inherited_main(*args.inherited)
        return 0
    wl = Workload(args.cases.split(",") if args.cases else None)
    try:
        wl.prepare()
        wl.run(log=lambda msg: print(msg, file=sys.stderr))
    finally:
        wl.cleanup()
    text = json.dumps(wl.truth(), indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 1 if wl.errors else 0


if __name__ == "__main__":
    sys.exit(main())
