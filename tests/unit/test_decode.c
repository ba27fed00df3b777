/* Unit tests for src/packet/decode.c: IPv4/IPv6 headers, extension headers, L4
 * fields, payload lengths, summaries and every truncation of valid packets.
 * Not for link layers or capture: packets here start at the IP header. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "packet/decode.h"
#include "unit.h"

/* Packet builder: bytes appended in network order. */
struct pkt {
	uint8_t b[1024];
	uint32_t n;
};

static void put8(struct pkt *p, uint8_t v)
{
	if (p->n < sizeof(p->b))
		p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void putzero(struct pkt *p, uint32_t n)
{
	while (n--)
		put8(p, 0);
}

static void put_addr(struct pkt *p, int family, const char *s)
{
	uint8_t a[16];
	int i, n = family == AF_INET ? 4 : 16;

	CHECK(inet_pton(family, s, a) == 1);
	for (i = 0; i < n; i++)
		put8(p, a[i]);
}

/* IPv4 header with ihl_words*4 bytes; options are Router Alert + NOPs. */
static void ipv4(struct pkt *p, uint8_t ihl_words, uint16_t tot_len,
		 uint16_t frag, uint8_t proto)
{
	uint32_t opt = (ihl_words - 5u) * 4;

	put8(p, 0x40 | ihl_words);
	put8(p, 0);
	put16(p, tot_len);
	put16(p, 0x1234); /* id */
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0); /* checksum: not checked */
	put_addr(p, AF_INET, "10.0.0.1");
	put_addr(p, AF_INET, "192.168.1.200");
	if (opt >= 4) {
		put8(p, 0x94);
		put8(p, 4);
		put16(p, 0);
		opt -= 4;
	}
	while (opt--)
		put8(p, 1);
}

static void ipv6(struct pkt *p, uint16_t plen, uint8_t nh, const char *src,
		 const char *dst)
{
	put32(p, 0x60000000);
	put16(p, plen);
	put8(p, nh);
	put8(p, 64);
	put_addr(p, AF_INET6, src);
	put_addr(p, AF_INET6, dst);
}

/* TCP header of doff_words*4 bytes; options are MSS, SACK-permitted, NOPs. */
static void tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t seq,
		uint32_t ack, uint8_t doff_words, uint8_t flags, uint16_t win)
{
	uint32_t opt = (doff_words - 5u) * 4;

	put16(p, sport);
	put16(p, dport);
	put32(p, seq);
	put32(p, ack);
	put8(p, (uint8_t)(doff_words << 4));
	put8(p, flags);
	put16(p, win);
	put16(p, 0);
	put16(p, 0);
	if (opt >= 6) {
		put8(p, 2);
		put8(p, 4);
		put16(p, 1460);
		put8(p, 4);
		put8(p, 2);
		opt -= 6;
	}
	while (opt--)
		put8(p, 1);
}

static void udp(struct pkt *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, len);
	put16(p, 0);
}

static void icmp_echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
	put8(p, type);
	put8(p, 0);
	put16(p, 0);
	put16(p, id);
	put16(p, seq);
}

/* IPv6 extension header (hop-by-hop, routing, dest-opts) of len8*8+8 bytes
 * filled with PadN. */
static void ext(struct pkt *p, uint8_t nh, uint8_t len8)
{
	uint32_t pad = (uint32_t)len8 * 8 + 6;

	put8(p, nh);
	put8(p, len8);
	put8(p, 1); /* PadN */
	put8(p, (uint8_t)(pad - 2));
	putzero(p, pad - 2);
}

static void frag6(struct pkt *p, uint8_t nh, uint16_t off8, int more)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	put32(p, 0xdeadbeef);
}

static void check_truncations(const struct pkt *p, uint32_t hdr_end);

static const char *summary(const struct pc_decoded *d)
{
	static char buf[256];

	return pc_l4_summary(d, buf, sizeof(buf));
}

static const char *saddr(const struct pc_decoded *d)
{
	static char buf[INET6_ADDRSTRLEN];

	return pc_addr_str(d, 1, buf, sizeof(buf));
}

static const char *daddr(const struct pc_decoded *d)
{
	static char buf[INET6_ADDRSTRLEN];

	return pc_addr_str(d, 0, buf, sizeof(buf));
}

static int decode(const struct pkt *p, struct pc_decoded *d)
{
	return pc_decode_ip(p->b, p->n, p->n, d);
}

TEST(ipv4_tcp_with_ip_and_tcp_options)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 6, 24 + 32 + 5, 0x4000 /* DF */, IPPROTO_TCP);
	tcp(&p, 43210, 443, 100, 200, 8, 0x18, 512);
	putzero(&p, 5);
	CHECK_EQ_INT(p.n, 61);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.family, AF_INET);
	CHECK_EQ_INT(d.proto, IPPROTO_TCP);
	CHECK_EQ_STR(saddr(&d), "10.0.0.1");
	CHECK_EQ_STR(daddr(&d), "192.168.1.200");
	CHECK_EQ_INT(d.ip_len, 61);
	CHECK_EQ_INT(d.l4_off, 24);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.sport, 43210);
	CHECK_EQ_INT(d.dport, 443);
	CHECK_EQ_INT(d.tcp_seq, 100);
	CHECK_EQ_INT(d.tcp_ack, 200);
	CHECK_EQ_INT(d.tcp_flags, 0x18);
	CHECK_EQ_INT(d.tcp_win, 512);
	CHECK_EQ_INT(d.payload, 5);
	CHECK_EQ_INT(d.fragment, 0);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d),
		     "Flags [P.], seq 100:105, ack 200, win 512, length 5");
}

TEST(tcp_flags_and_seq_wrap)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 5, 20 + 20 + 10, 0, IPPROTO_TCP);
	tcp(&p, 1, 2, 0xfffffffb, 0, 5, 0x01 | 0x04 | 0x20 | 0x40 | 0x80, 0);
	putzero(&p, 10);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(summary(&d),
		     "Flags [FRUEW], seq 4294967291:5, win 0, length 10");

	p.n = 0;
	ipv4(&p, 5, 40, 0, IPPROTO_TCP);
	tcp(&p, 1, 2, 7, 9, 5, 0, 1);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(summary(&d), "Flags [none], seq 7, win 1, length 0");
}

TEST(tcp_bad_doff_and_short_tot_len)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 5, 40, 0, IPPROTO_TCP);
	tcp(&p, 1, 2, 7, 9, 5, 0x02, 1);
	p.b[20 + 12] = 0x40; /* doff 4 */
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d), "Flags [S], seq 7, win 1, bad length");

	p.n = 0;
	ipv4(&p, 5, 30 /* < 20 + 20 */, 0, IPPROTO_TCP);
	tcp(&p, 1, 2, 7, 9, 5, 0x02, 1);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_INT(d.sport, 1);

	p.n = 0;
	ipv4(&p, 5, 10 /* < ihl */, 0, 253);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_STR(summary(&d), "ip-proto-253, bad length");
}

TEST(ipv4_udp)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 5, 20 + 8 + 12, 0, IPPROTO_UDP);
	udp(&p, 5353, 53, 8 + 12);
	putzero(&p, 12);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, IPPROTO_UDP);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.sport, 5353);
	CHECK_EQ_INT(d.dport, 53);
	CHECK_EQ_INT(d.payload, 12);
	CHECK_EQ_STR(summary(&d), "UDP, length 12");

	/* UDP length larger than the IP packet: fall back to ip_len */
	p.b[24] = 0x03;
	p.b[25] = 0xe8;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, 12);
	/* UDP length smaller than the IP packet (trailer): trust UDP */
	p.b[24] = 0;
	p.b[25] = 10;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, 2);
	/* UDP length below the header size: fall back to ip_len */
	p.b[25] = 3;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, 12);
}

TEST(ipv4_udplite_sctp_dccp_gre)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 5, 20 + 8 + 30, 0, 136);
	udp(&p, 1000, 2000, 8); /* coverage, not a length */
	putzero(&p, 30);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.payload, 30);
	CHECK_EQ_STR(summary(&d), "UDP-Lite, length 30");

	p.n = 0;
	ipv4(&p, 5, 20 + 12 + 16, 0, 132);
	put16(&p, 5000);
	put16(&p, 6000);
	put32(&p, 1);
	put32(&p, 0);
	putzero(&p, 16);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.sport, 5000);
	CHECK_EQ_INT(d.dport, 6000);
	CHECK_EQ_INT(d.payload, 16);
	CHECK_EQ_STR(summary(&d), "SCTP, length 16");

	p.n = 0;
	ipv4(&p, 5, 20 + 16 + 4, 0, 33);
	put16(&p, 7000);
	put16(&p, 8000);
	put8(&p, 4); /* data offset in words */
	putzero(&p, 11);
	putzero(&p, 4);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.sport, 7000);
	CHECK_EQ_INT(d.payload, 4);
	CHECK_EQ_STR(summary(&d), "DCCP, length 4");
	check_truncations(&p, 20 + 16);
	p.b[24] = 2; /* data offset below the 12-byte generic header */
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_STR(summary(&d), "dccp, bad length");

	p.n = 0;
	ipv4(&p, 5, 20 + 24, 0, IPPROTO_GRE);
	putzero(&p, 24);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.has_ports, 0);
	CHECK_EQ_INT(d.payload, 24);
	CHECK_EQ_STR(summary(&d), "gre, length 24");
}

TEST(ipv4_icmp_echo)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv4(&p, 5, 20 + 8 + 56, 0, IPPROTO_ICMP);
	icmp_echo(&p, 8, 5, 1);
	putzero(&p, 56);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, IPPROTO_ICMP);
	CHECK_EQ_INT(d.has_ports, 0);
	CHECK_EQ_INT(d.icmp_type, 8);
	CHECK_EQ_INT(d.icmp_code, 0);
	CHECK_EQ_INT(d.icmp_id, 5);
	CHECK_EQ_INT(d.icmp_seq, 1);
	CHECK_EQ_INT(d.payload, 56);
	CHECK_EQ_STR(summary(&d), "ICMP echo request, id 5, seq 1, length 64");

	p.b[20] = 0;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(summary(&d), "ICMP echo reply, id 5, seq 1, length 64");

	p.b[20] = 3; /* port unreachable: id/seq are not echo fields */
	p.b[21] = 3;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.icmp_id, 0);
	CHECK_EQ_STR(summary(&d), "ICMP unreachable, code 3, length 64");

	p.b[20] = 200;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(summary(&d), "ICMP type-#200, code 3, length 64");
}

TEST(ipv4_fragments)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	/* first fragment: L4 header present, payload of this fragment */
	ipv4(&p, 5, 20 + 8 + 100, 0x2000 /* MF */, IPPROTO_UDP);
	udp(&p, 1, 2, 8 + 3000);
	putzero(&p, 100);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.fragment, 1);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.payload, 100);

	/* later fragment: bytes after the IP header are not an L4 header */
	p.b[6] = 0x00;
	p.b[7] = 0x0e;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.fragment, 1);
	CHECK_EQ_INT(d.has_ports, 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d), "udp fragment");
}

TEST(ipv6_tcp)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv6(&p, 20, IPPROTO_TCP, "2001:db8::1", "::1");
	tcp(&p, 8080, 51000, 1, 2, 5, 0x12, 512);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.family, AF_INET6);
	CHECK_EQ_STR(saddr(&d), "2001:db8::1");
	CHECK_EQ_STR(daddr(&d), "::1");
	CHECK_EQ_INT(d.ip_len, 60);
	CHECK_EQ_INT(d.l4_off, 40);
	CHECK_EQ_INT(d.sport, 8080);
	CHECK_EQ_INT(d.dport, 51000);
	CHECK_EQ_INT(d.payload, 0);
	CHECK_EQ_INT(d.fragment, 0);
	CHECK_EQ_STR(summary(&d), "Flags [S.], seq 1, ack 2, win 512, length 0");
}

TEST(ipv6_ext_headers)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	/* hop-by-hop (8) + dest-opts (16) + fragment (8, first) + UDP */
	ipv6(&p, 8 + 16 + 8 + 8 + 4, IPPROTO_HOPOPTS, "fe80::1", "ff02::fb");
	ext(&p, IPPROTO_DSTOPTS, 0);
	ext(&p, IPPROTO_FRAGMENT, 1);
	frag6(&p, IPPROTO_UDP, 0, 1);
	udp(&p, 5353, 5353, 8 + 4);
	putzero(&p, 4);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, IPPROTO_UDP);
	CHECK_EQ_INT(d.l4_off, 40 + 8 + 16 + 8);
	CHECK_EQ_INT(d.ip_len, p.n);
	CHECK_EQ_INT(d.fragment, 1);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.sport, 5353);
	CHECK_EQ_INT(d.payload, 4);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d), "UDP, length 4");

	/* routing + AH ((4+2)*4 = 24 bytes) + TCP */
	p.n = 0;
	ipv6(&p, 8 + 24 + 20, IPPROTO_ROUTING, "2001:db8::1", "2001:db8::2");
	ext(&p, IPPROTO_AH, 0);
	put8(&p, IPPROTO_TCP);
	put8(&p, 4);
	putzero(&p, 22);
	tcp(&p, 22, 40000, 10, 0, 5, 0x02, 100);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, IPPROTO_TCP);
	CHECK_EQ_INT(d.l4_off, 40 + 8 + 24);
	CHECK_EQ_INT(d.sport, 22);
	CHECK_EQ_INT(d.payload, 0);

	/* no next header */
	p.n = 0;
	ipv6(&p, 8, IPPROTO_DSTOPTS, "::1", "::1");
	ext(&p, 59, 0);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, 59);
	CHECK_EQ_INT(d.l4_off, 48);
	CHECK_EQ_INT(d.payload, 0);
	CHECK_EQ_STR(summary(&d), "none, length 0");
}

TEST(ipv6_too_many_ext_headers)
{
	struct pkt p = { 0 };
	struct pc_decoded d;
	int i;

	ipv6(&p, 9 * 8 + 8, IPPROTO_DSTOPTS, "::1", "::1");
	for (i = 0; i < 9; i++)
		ext(&p, i == 8 ? IPPROTO_UDP : IPPROTO_DSTOPTS, 0);
	udp(&p, 1, 2, 8);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.family, AF_INET6);
	CHECK_EQ_INT(d.has_ports, 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_STR(summary(&d), "dstopts, bad length");

	/* exactly 8 is still walked */
	p.n = 0;
	ipv6(&p, 8 * 8 + 8, IPPROTO_DSTOPTS, "::1", "::1");
	for (i = 0; i < 8; i++)
		ext(&p, i == 7 ? IPPROTO_UDP : IPPROTO_DSTOPTS, 0);
	udp(&p, 1, 2, 8);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.has_ports, 1);
	CHECK_EQ_INT(d.payload, 0);
}

TEST(ipv6_non_first_fragment)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv6(&p, 8 + 64, IPPROTO_FRAGMENT, "2001:db8::1", "2001:db8::2");
	frag6(&p, IPPROTO_TCP, 185, 0);
	putzero(&p, 64);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.fragment, 1);
	CHECK_EQ_INT(d.proto, IPPROTO_TCP);
	CHECK_EQ_INT(d.l4_off, 48);
	CHECK_EQ_INT(d.has_ports, 0);
	CHECK_EQ_INT(d.payload, -1);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d), "tcp fragment");
}

TEST(ipv6_icmp6_echo)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	ipv6(&p, 8 + 8, IPPROTO_ICMPV6, "::1", "::1");
	icmp_echo(&p, 129, 7, 3);
	putzero(&p, 8);
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.proto, IPPROTO_ICMPV6);
	CHECK_EQ_INT(d.icmp_type, 129);
	CHECK_EQ_INT(d.icmp_id, 7);
	CHECK_EQ_INT(d.icmp_seq, 3);
	CHECK_EQ_INT(d.payload, 8);
	CHECK_EQ_STR(summary(&d), "ICMP6, echo reply, id 7, seq 3, length 16");

	p.b[40] = 135;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_INT(d.icmp_id, 0);
	CHECK_EQ_STR(summary(&d), "ICMP6, neighbor solicitation, length 16");

	p.b[40] = 200;
	p.b[41] = 1;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(summary(&d), "ICMP6, type-#200, code 1, length 16");
}

TEST(gso_zero_length)
{
	struct pkt p = { 0 };
	struct pc_decoded d;

	/* IPv4 TSO/BIG TCP: tot_len 0, only the headers captured */
	ipv4(&p, 5, 0, 0x4000, IPPROTO_TCP);
	tcp(&p, 1, 2, 1000, 1, 8, 0x10, 64);
	CHECK_EQ_INT(pc_decode_ip(p.b, p.n, 150000, &d), 0);
	CHECK_EQ_INT(d.ip_len, 150000);
	CHECK_EQ_INT(d.payload, 150000 - 20 - 32);
	CHECK_EQ_INT(d.truncated, 0);

	/* IPv6 jumbo: payload_len 0 */
	p.n = 0;
	ipv6(&p, 0, IPPROTO_HOPOPTS, "::1", "::2");
	ext(&p, IPPROTO_TCP, 0);
	tcp(&p, 1, 2, 1000, 1, 5, 0x10, 64);
	CHECK_EQ_INT(pc_decode_ip(p.b, p.n, 200000, &d), 0);
	CHECK_EQ_INT(d.ip_len, 200000);
	CHECK_EQ_INT(d.l4_off, 48);
	CHECK_EQ_INT(d.payload, 200000 - 48 - 20);
}

TEST(garbage)
{
	struct pkt p = { 0 };
	struct pc_decoded d;
	char buf[64];

	ipv4(&p, 5, 40, 0, IPPROTO_TCP);
	tcp(&p, 1, 2, 3, 4, 5, 0, 0);
	p.b[0] = 0x55; /* version 5 */
	CHECK_EQ_INT(decode(&p, &d), -EINVAL);
	CHECK_EQ_INT(d.family, 0);
	CHECK_EQ_INT(d.truncated, 0);
	CHECK_EQ_STR(summary(&d), "not IP");
	CHECK_EQ_STR(pc_addr_str(&d, 1, buf, sizeof(buf)), "?");

	p.b[0] = 0x44; /* IHL 4 */
	CHECK_EQ_INT(decode(&p, &d), -EINVAL);
	CHECK_EQ_INT(d.family, 0);
	CHECK_EQ_INT(d.proto, 0);

	CHECK_EQ_INT(pc_decode_ip(p.b, 0, 0, &d), -EINVAL);
	CHECK_EQ_INT(d.truncated, 1);
	CHECK_EQ_STR(summary(&d), "[|ip]");

	/* a buffer too small for the address */
	p.b[0] = 0x45;
	CHECK_EQ_INT(decode(&p, &d), 0);
	CHECK_EQ_STR(pc_addr_str(&d, 1, buf, 4), "?");
	CHECK_EQ_STR(buf, "?");
	CHECK_EQ_STR(pc_addr_str(&d, 1, buf, 0), "?");
}

TEST(proto_names)
{
	CHECK_EQ_STR(pc_proto_name(IPPROTO_TCP), "tcp");
	CHECK_EQ_STR(pc_proto_name(IPPROTO_UDP), "udp");
	CHECK_EQ_STR(pc_proto_name(IPPROTO_ICMP), "icmp");
	CHECK_EQ_STR(pc_proto_name(IPPROTO_ICMPV6), "icmp6");
	CHECK_EQ_STR(pc_proto_name(136), "udplite");
	CHECK_EQ_STR(pc_proto_name(132), "sctp");
	CHECK_EQ_STR(pc_proto_name(47), "gre");
	CHECK_EQ_STR(pc_proto_name(50), "esp");
	CHECK_EQ_STR(pc_proto_name(51), "ah");
	CHECK_EQ_STR(pc_proto_name(253), "ip-proto-253");
	CHECK_EQ_STR(pc_proto_name(255), "ip-proto-255");
}

TEST(summary_small_buffers)
{
	struct pkt p = { 0 };
	struct pc_decoded d;
	char full[256], buf[256];
	size_t len, n;

	ipv6(&p, 20, IPPROTO_TCP, "2001:db8::1", "::1");
	tcp(&p, 8080, 51000, 1, 2, 5, 0x12, 512);
	CHECK_EQ_INT(decode(&p, &d), 0);
	pc_l4_summary(&d, full, sizeof(full));
	n = strlen(full);
	for (len = 1; len <= n + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		CHECK(pc_l4_summary(&d, buf, len) == buf);
		CHECK_EQ_INT(strlen(buf), len - 1);
		CHECK(strncmp(buf, full, len - 1) == 0);
	}
	CHECK(pc_l4_summary(&d, buf, 0) == buf);
}

/* Decodes every prefix of p from a heap copy of exactly that many bytes,
 * so ASan sees any read past caplen. Prefixes shorter than hdr_end must
 * report truncation; longer ones must decode as the whole packet does. */
static void check_truncations(const struct pkt *p, uint32_t hdr_end)
{
	struct pc_decoded full, d;
	char buf[256], abuf[INET6_ADDRSTRLEN];
	uint32_t caplen;
	int rc;

	CHECK_EQ_INT(pc_decode_ip(p->b, p->n, p->n, &full), 0);
	CHECK_EQ_INT(full.truncated, 0);
	for (caplen = 0; caplen <= p->n; caplen++) {
		uint8_t *copy = malloc(caplen);

		CHECK(caplen == 0 || copy);
		if (caplen && !copy)
			return;
		memcpy(copy, p->b, caplen);
		rc = pc_decode_ip(copy, caplen, p->n, &d);
		pc_l4_summary(&d, buf, sizeof(buf));
		pc_addr_str(&d, 1, abuf, sizeof(abuf));
		pc_addr_str(&d, 0, abuf, sizeof(abuf));
		if (caplen < hdr_end) {
			if (!(rc == -EINVAL || d.truncated))
				fprintf(stderr, "caplen %u of %u: no truncation\n",
					caplen, p->n);
			CHECK(rc == -EINVAL || d.truncated);
			CHECK(rc != -EINVAL || d.family == 0);
		} else {
			CHECK_EQ_INT(rc, 0);
			CHECK_EQ_INT(d.truncated, 0);
			CHECK_EQ_INT(d.family, full.family);
			CHECK_EQ_INT(d.proto, full.proto);
			CHECK_EQ_INT(d.l4_off, full.l4_off);
			CHECK_EQ_INT(d.ip_len, full.ip_len);
			CHECK_EQ_INT(d.payload, full.payload);
			CHECK_EQ_INT(d.sport, full.sport);
			CHECK_EQ_INT(d.dport, full.dport);
			CHECK_EQ_INT(d.tcp_seq, full.tcp_seq);
			CHECK_EQ_INT(d.icmp_seq, full.icmp_seq);
			CHECK(memcmp(d.saddr, full.saddr, 16) == 0);
		}
		free(copy);
	}
}

TEST(truncated_at_every_length)
{
	struct pkt p = { 0 };

	ipv4(&p, 6, 24 + 32 + 5, 0, IPPROTO_TCP);
	tcp(&p, 43210, 443, 100, 200, 8, 0x18, 512);
	putzero(&p, 5);
	check_truncations(&p, 24 + 32);

	p.n = 0;
	ipv4(&p, 5, 20 + 8 + 12, 0, IPPROTO_UDP);
	udp(&p, 5353, 53, 8 + 12);
	putzero(&p, 12);
	check_truncations(&p, 28);

	p.n = 0;
	ipv4(&p, 5, 20 + 8 + 16, 0, IPPROTO_ICMP);
	icmp_echo(&p, 8, 5, 1);
	putzero(&p, 16);
	check_truncations(&p, 28);

	p.n = 0;
	ipv6(&p, 8 + 16 + 8 + 8 + 4, IPPROTO_HOPOPTS, "fe80::1", "ff02::fb");
	ext(&p, IPPROTO_DSTOPTS, 0);
	ext(&p, IPPROTO_FRAGMENT, 1);
	frag6(&p, IPPROTO_UDP, 0, 1);
	udp(&p, 5353, 5353, 8 + 4);
	putzero(&p, 4);
	check_truncations(&p, 40 + 8 + 16 + 8 + 8);

	p.n = 0;
	ipv6(&p, 8 + 24 + 20, IPPROTO_ROUTING, "2001:db8::1", "2001:db8::2");
	ext(&p, IPPROTO_AH, 0);
	put8(&p, IPPROTO_TCP);
	put8(&p, 4);
	putzero(&p, 22);
	tcp(&p, 22, 40000, 10, 0, 5, 0x02, 100);
	check_truncations(&p, p.n);

	p.n = 0;
	ipv6(&p, 8 + 64, IPPROTO_FRAGMENT, "2001:db8::1", "2001:db8::2");
	frag6(&p, IPPROTO_TCP, 185, 0);
	putzero(&p, 64);
	check_truncations(&p, 48);

	/* an upper layer without a decoded header still needs the ext header */
	p.n = 0;
	ipv6(&p, 16 + 8, IPPROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
	ext(&p, IPPROTO_GRE, 1);
	putzero(&p, 8);
	check_truncations(&p, 40 + 16);

	p.n = 0;
	ipv6(&p, 8 + 8, IPPROTO_ICMPV6, "::1", "::1");
	icmp_echo(&p, 128, 7, 3);
	putzero(&p, 8);
	check_truncations(&p, 48);

	p.n = 0;
	ipv4(&p, 5, 20 + 12 + 16, 0, 132);
	put16(&p, 5000);
	put16(&p, 6000);
	putzero(&p, 8 + 16);
	check_truncations(&p, 32);
}

int main(void)
{
	RUN(ipv4_tcp_with_ip_and_tcp_options);
	RUN(tcp_flags_and_seq_wrap);
	RUN(tcp_bad_doff_and_short_tot_len);
	RUN(ipv4_udp);
	RUN(ipv4_udplite_sctp_dccp_gre);
	RUN(ipv4_icmp_echo);
	RUN(ipv4_fragments);
	RUN(ipv6_tcp);
	RUN(ipv6_ext_headers);
	RUN(ipv6_too_many_ext_headers);
	RUN(ipv6_non_first_fragment);
	RUN(ipv6_icmp6_echo);
	RUN(gso_zero_length);
	RUN(garbage);
	RUN(proto_names);
	RUN(summary_small_buffers);
	RUN(truncated_at_every_length);
	return UNIT_DONE();
}
