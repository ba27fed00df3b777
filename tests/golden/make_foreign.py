#!/usr/bin/env python3
"""Writes the foreign golden capture files (known bytes, as other tools lay them out).

For: regenerating tests/golden/foreign_*.pcap* byte for byte:
  foreign_be_nsec_sll.pcap   pcap, big-endian, nanosecond magic, LINUX_SLL: UDP out/in, ARP
  foreign_le_usec_eth.pcap   pcap, little-endian, microseconds, EN10MB: TCP SYN, ICMPv6, VLAN UDP
  foreign_raw_null.pcapng    pcapng: RAW and NULL interfaces, if_tsresol 2^-10, if_tsoffset,
                             epb_flags, a comment of another tool, a custom block, unknown options
  foreign_macos_dpib.pcapng  pcapng as macOS tcpdump -k writes it: Darwin process blocks (pid,
                             long names, UUID), EPB options 0x8001, 0x8003 and other Apple ones
  broken_procref.pcapng      an EPB whose 0x8001 names a process block the section lacks
Not for: pidcap's own captures (made once by pidcap) or the expected output
(`TZ=UTC build/pidcap -r F [--json]`, checked by hand before committing).
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0x1234, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4


def ip6(src, dst, nh, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, bytes(src), bytes(dst)) + l4


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def tcp_syn(sp, dp, seq):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, 0, 5 << 4, 0x02, 64240, 0, 0)


def icmp6_echo(ident, seq, data):
    return struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data


A4, B4 = [192, 0, 2, 1], [192, 0, 2, 2]
A6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
B6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]


def pcap(path, be, nano, linktype, records):
    e = ">" if be else "<"
    out = struct.pack(e + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                      linktype)
    for sec, frac, frame in records:
        out += struct.pack(e + "IIII", sec, frac, len(frame), len(frame)) + frame
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(out)


def sll(pkttype, proto, payload):
    return struct.pack("!HHH8sH", pkttype, 772, 0, b"", proto) + payload


def eth(ethertype, payload, vlan=None):
    h = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype) + payload


def opt(code, data):
    return struct.pack("<HH", code, len(data)) + data + b"\0" * (-len(data) % 4)


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def epb(ifid, ts, frame, opts=b""):
    body = struct.pack("<IIIII", ifid, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
    body += frame + b"\0" * (-len(frame) % 4) + opts
    return block(6, body)


def main():
    arp = bytes(28)
    pcap("foreign_be_nsec_sll.pcap", True, True, 113, [
        (1700000000, 123456789, sll(4, 0x0800, ip4(A4, B4, 17, udp(40000, 53, b"query")))),
        (1700000000, 223456789, sll(0, 0x0800, ip4(B4, A4, 17, udp(53, 40000, b"answer!")))),
        (1700000001, 5, sll(0, 0x0806, arp)),
    ])
    pcap("foreign_le_usec_eth.pcap", False, False, 1, [
        (1700000100, 1, eth(0x0800, ip4(A4, B4, 6, tcp_syn(40001, 443, 1000)))),
        (1700000100, 999999, eth(0x86DD, ip6(A6, B6, 58, icmp6_echo(7, 1, b"abcdefgh")))),
        (1700000101, 500000, eth(0x0800, ip4(A4, B4, 17, udp(5000, 6000, b"v")), vlan=5)),
    ])
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                opt(4, b"some other tool 1.0") + opt(0x7777, b"unknown") + b"\0" * 4)
    idb_raw = block(1, struct.pack("<HHI", 101, 0, 65535) + opt(2, b"tun0") +
                    opt(9, bytes([0x8A])) + b"\0" * 4)  # 2^-10 s
    idb_null = block(1, struct.pack("<HHI", 0, 0, 65535) + opt(2, b"lo0") +
                     opt(14, struct.pack("<q", 1700000000)) + b"\0" * 4)  # microseconds + offset
    custom = block(0x40000BAD, struct.pack("<I", 32473) + b"vendor data")
    p1 = ip4(A4, B4, 17, udp(1111, 2222, b"raw v4"))
    p2 = ip6(B6, A6, 17, udp(3333, 4444, b"raw v6"))
    p3 = struct.pack("<I", 2) + ip4(B4, A4, 6, tcp_syn(80, 40002, 5))
    p4 = struct.pack("<I", 30) + ip6(A6, B6, 58, icmp6_echo(9, 2, b""))  # AF_INET6 of macOS
    out = shb + idb_raw + idb_null + custom
    out += epb(0, (1700000200 << 10) + 512, p1, opt(2, struct.pack("<I", 2)) +
               opt(1, b"a comment from another tool") + b"\0" * 4)
    out += epb(0, (1700000200 << 10) + 768, p2, opt(2, struct.pack("<I", 1)) +
               opt(0x9999, b"xx") + b"\0" * 4)
    out += epb(1, 250000, p3)
    out += epb(1, 1250000, p4)
    with open(os.path.join(HERE, "foreign_raw_null.pcapng"), "wb") as f:
        f.write(out)
    macos()


def dpib(pid, name, uuid=None):
    body = struct.pack("<I", pid) + opt(2, name)
    if uuid:
        body += opt(4, uuid)
    return block(0x80000001, body + b"\0" * 4)


def macos():
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                opt(3, b"Darwin 24.1.0") + opt(4, b"tcpdump (libpcap 1.10.1)") + b"\0" * 4)
    idb = block(1, struct.pack("<HHI", 1, 0, 524288) + opt(2, b"en0") +
                opt(9, bytes([6])) + b"\0" * 4)
    u32 = lambda code, v: opt(code, struct.pack("<I", v))  # noqa: E731
    p1 = eth(0x0800, ip4(A4, B4, 6, tcp_syn(50001, 443, 77)))
    p2 = eth(0x0800, ip4(B4, A4, 17, udp(53, 50002, b"dns answer")))
    p3 = eth(0x0800, ip4(A4, B4, 17, udp(50003, 123, b"ntp")))
    out = shb + idb
    out += dpib(401, b"com.apple.WebKit.Networking", bytes(range(16)))
    out += dpib(88, b"nsurlsessiond")
    # sent by WebKit on behalf of ("effective") nsurlsessiond, flags out
    out += epb(0, 1700000300000001, p1, u32(2, 2) + u32(0x8001, 0) + u32(0x8003, 1) +
               u32(0x8002, 0x12C) + u32(0x8004, 0x8) + b"\0" * 4)
    out += dpib(4242, b"evil\x1b[31mname")
    out += epb(0, 1700000300000002, p2, u32(2, 1) + u32(0x8001, 2) + b"\0" * 4)
    out += epb(0, 1700000300000003, p3, u32(2, 2) + u32(0x8001, 1) + b"\0" * 4)
    with open(os.path.join(HERE, "foreign_macos_dpib.pcapng"), "wb") as f:
        f.write(out)
    bad = shb + idb + dpib(88, b"nsurlsessiond")
    bad += epb(0, 1700000300000003, p3, u32(0x8001, 0) + b"\0" * 4)
    bad += epb(0, 1700000300000004, p3, u32(0x8001, 5) + b"\0" * 4)
    with open(os.path.join(HERE, "broken_procref.pcapng"), "wb") as f:
        f.write(bad)


if __name__ == "__main__":
    main()
