#!/usr/bin/env python3
"""Traffic for test_tcpdump.py, run inside its network namespace.

For: making, on loopback and a veth pair, every kind of packet the comparison
with tcpdump covers: TCP with options, UDP, ICMP echo and port unreachable
(IPv4 and IPv6), IPv6 with hop-by-hop and destination options headers,
neighbour discovery, and DNS queries and answers (UDP and TCP) from a tiny
resolver on port 53. Not for checking anything: the test compares the capture.
"""

import socket
import struct
import sys
import threading
import time

V4_SRV, V4_DNS = "127.61.0.2", "127.61.0.53"
V6_SRV, V6_DNS, V6_PEER = "fd00:61::2", "fd00:61::53", "fd00:62::2"
TCP_PORT, UDP_PORT, CLOSED_PORT = 47011, 47012, 47013
ANSWERS = {1: socket.inet_pton(socket.AF_INET, "192.0.2.1"),
           28: socket.inet_pton(socket.AF_INET6, "2001:db8::1")}


def dns_query(qid, name, qtype):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer(query):
    qid, = struct.unpack("!H", query[:2])
    end = 12
    while query[end]:
        end += query[end] + 1
    qtype, = struct.unpack("!H", query[end + 1:end + 3])
    question = query[12:end + 5]
    rdata = ANSWERS.get(qtype)
    if rdata is None:
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
    rr = struct.pack("!HHHIH", 0xc00c, qtype, 1, 300, len(rdata)) + rdata
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + rr


def serve_dns(fam, addr):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, 53))
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(4)

    def udp():
        while True:
            data, peer = u.recvfrom(2048)
            u.sendto(dns_answer(data), peer)

    def tcp():
        while True:
            c, _ = t.accept()
            n, = struct.unpack("!H", c.recv(2))
            data = c.recv(n)
            a = dns_answer(data)
            c.sendall(struct.pack("!H", len(a)) + a)
            c.close()

    for f in (udp, tcp):
        threading.Thread(target=f, daemon=True).start()


def serve_tcp_udp(fam, addr):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, TCP_PORT))
    t.listen(4)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, UDP_PORT))

    def tcp():
        while True:
            c, _ = t.accept()
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(b"echo: " + d)
            c.close()

    def udp():
        while True:
            d, peer = u.recvfrom(2048)
            u.sendto(b"reply: " + d, peer)

    for f in (tcp, udp):
        threading.Thread(target=f, daemon=True).start()


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ping(dst, seq):
    v6 = ":" in dst
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.settimeout(1)
    p = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x4242, seq) + b"pidcap ping data"
    if not v6:
        p = p[:2] + struct.pack("!H", cksum(p)) + p[4:]
    s.sendto(p, (dst, 0))
    try:
        s.recvfrom(2048)
    except OSError:
        pass
    s.close()


def tcp_client(fam, addr):
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect((addr, TCP_PORT))
    for i in range(3):
        c.sendall(b"hello pidcap %d\n" % i)
        c.recv(4096)
        time.sleep(0.02)
    c.close()
    time.sleep(0.05)


def udp_client(fam, addr, opts=None):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(1)
    if opts:
        u.setsockopt(socket.IPPROTO_IPV6, opts[0], opts[1])
    u.sendto(b"udp payload", (addr, UDP_PORT))
    try:
        u.recvfrom(2048)
    except OSError:
        pass
    u.sendto(b"to a closed port", (addr, CLOSED_PORT))
    time.sleep(0.05)
    u.close()


def dns_client(fam, server):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(1)
    for qid, name, qtype in ((4101, "example.com", 1), (4102, "example.com", 28),
                             (4103, "www.pidcap.test", 1), (4104, "nothing.test", 16)):
        u.sendto(dns_query(qid, name, qtype), (server, 53))
        u.recvfrom(2048)
    u.close()
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.connect((server, 53))
    q = dns_query(4105, "tcp.example.com", 1)
    t.sendall(struct.pack("!H", len(q)) + q)
    t.recv(2048)
    t.close()
    time.sleep(0.05)


def main():
    serve_dns(socket.AF_INET, V4_DNS)
    serve_dns(socket.AF_INET6, V6_DNS)
    serve_tcp_udp(socket.AF_INET, V4_SRV)
    serve_tcp_udp(socket.AF_INET6, V6_SRV)
    time.sleep(0.1)
    for fam, srv, dns in ((socket.AF_INET, V4_SRV, V4_DNS), (socket.AF_INET6, V6_SRV, V6_DNS)):
        tcp_client(fam, srv)
        udp_client(fam, srv)
        dns_client(fam, dns)
        ping(srv, 1)
    # IPv6 extension headers: hop-by-hop (router alert + padding), destination options
    hbh = bytes([0, 0, 5, 2, 0, 0, 1, 0])
    dst = bytes([0, 0, 1, 4, 0, 0, 0, 0])
    udp_client(socket.AF_INET6, V6_SRV, (54, hbh))
    udp_client(socket.AF_INET6, V6_SRV, (59, dst))
    ping(V6_PEER, 2)  # neighbour discovery on the veth first
    sys.stdout.write("done\n")


if __name__ == "__main__":
    main()
