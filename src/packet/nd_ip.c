/* tcpdump's text of the IP layer: IPv4 (-v: the header line), IPv6 and its
 * extension headers, the hand-over to the transport printers, and the
 * helpers they share (addresses, checksums, truncation).
 * Not for the transports themselves (nd_tcp.c, nd_udp.c, ...). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "packet/nd.h"

void nd_trunc(struct pc_nd *nd)
{
	longjmp(nd->trunc, 1);
}

void nd_puts(struct pc_nd *nd, const char *s)
{
	pc_sb_puts(nd->o, s);
}

const char *nd_ip4(struct pc_nd *nd, const uint8_t *p, char buf[16])
{
	nd_need(nd, p, 4);
	snprintf(buf, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	return buf;
}

const char *nd_ip6(struct pc_nd *nd, const uint8_t *p, char buf[46])
{
	nd_need(nd, p, 16);
	if (!inet_ntop(AF_INET6, p, buf, 46))
		snprintf(buf, 46, "?");
	return buf;
}

static uint32_t sum_bytes(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t nd_cksum(struct pc_nd *nd, const uint8_t *p, uint32_t n)
{
	nd_need(nd, p, n);
	return (uint16_t)~fold(sum_bytes(p, n, 0));
}

uint16_t nd_l4_cksum(struct pc_nd *nd, const struct nd_ipinfo *ip, uint8_t proto, const uint8_t *p,
		     uint32_t n)
{
	uint32_t alen = ip->v6 ? 16 : 4, sum;

	nd_need(nd, p, n);
	sum = sum_bytes(ip->src, alen, 0);
	sum = sum_bytes(ip->dst, alen, sum);
	sum += proto + (n & 0xffff) + (n >> 16);
	return (uint16_t)~fold(sum_bytes(p, n, sum));
}

void nd_ports_start(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p)
{
	char a[46], b[46];

	if (nd_have(nd, p, 4))
		return;
	if (ip->v6)
		nd_printf(nd, "%s > %s:", nd_ip6(nd, ip->src, a), nd_ip6(nd, ip->dst, b));
	else
		nd_printf(nd, "%s > %s:", nd_ip4(nd, ip->src, a), nd_ip4(nd, ip->dst, b));
	nd_trunc(nd);
}

void nd_ports_print(struct pc_nd *nd, const struct nd_ipinfo *ip, uint16_t sport, uint16_t dport)
{
	char a[46], b[46];

	if (!ip->direct)
		nd_printf(nd, "%u > %u: ", sport, dport);
	else if (ip->v6)
		nd_printf(nd, "%s.%u > %s.%u: ", nd_ip6(nd, ip->src, a), sport,
			  nd_ip6(nd, ip->dst, b), dport);
	else
		nd_printf(nd, "%s.%u > %s.%u: ", nd_ip4(nd, ip->src, a), sport,
			  nd_ip4(nd, ip->dst, b), dport);
}

uint16_t nd_cksum_shouldbe(uint16_t sum, uint16_t computed)
{
	return fold((uint32_t)sum + computed);
}

const char *nd_ipproto_name(uint8_t proto)
{
	switch (proto) {
	case 0:
		return "Options";
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 4:
		return "IPIP";
	case 6:
		return "TCP";
	case 8:
		return "EGP";
	case 9:
		return "IGRP";
	case 17:
		return "UDP";
	case 33:
		return "DCCP";
	case 41:
		return "IPv6";
	case 43:
		return "Routing";
	case 44:
		return "Fragment";
	case 46:
		return "RSVP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	case 55:
		return "Mobile IP";
	case 58:
		return "ICMPv6";
	case 62:
		return "Mobile IP (old)";
	case 88:
		return "EIGRP";
	case 89:
		return "OSPF";
	case 103:
		return "PIM";
	case 108:
		return "Compressed IP";
	case 112:
		return "VRRP";
	case 113:
		return "PGM";
	case 132:
		return "SCTP";
	case 135:
		return "Mobility";
	default:
		return NULL;
	}
}

/* The transport after the IP layer (tcpdump's ip_demux_print). */
static void demux(struct pc_nd *nd, const struct nd_ipinfo *ip, uint8_t nh, const uint8_t *p,
		  uint32_t len)
{
	const char *name;

	switch (nh) {
	case 6:
		nd_tcp_print(nd, ip, p, len);
		return;
	case 17:
		nd_udp_print(nd, ip, p, len);
		return;
	case 1:
		nd_icmp_print(nd, ip, p, len);
		return;
	case 58:
		nd_icmp6_print(nd, ip, p, len);
		return;
	case 59:
		return; /* no next header */
	}
	name = nd_ipproto_name(nh);
	if (name)
		nd_printf(nd, "%s", name);
	else
		nd_printf(nd, "ip-proto-%u", nh);
	nd_printf(nd, " %u", len);
}

static void ip4_frag_flags(struct pc_nd *nd, uint16_t off)
{
	static const struct {
		uint16_t bit;
		const char *s;
	} fl[] = {{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}};
	size_t i;
	int n = 0;

	for (i = 0; i < 3; i++)
		if (off & fl[i].bit)
			nd_printf(nd, "%s%s", n++ ? ", " : "", fl[i].s);
	if (!n)
		nd_puts(nd, "none");
}

static void ip4_print(struct pc_nd *nd, const uint8_t *p, uint32_t length)
{
	struct nd_ipinfo ip = {0};
	uint32_t hlen, len;
	uint16_t off;
	uint8_t tos, nh;
	char a[16], b[16];
	const char *name;

	nd->proto = "ip";
	nd_need(nd, p, 20);
	hlen = (uint32_t)(p[0] & 0x0f) * 4;
	if (length < 20 || hlen < 20) {
		nd_printf(nd, "[|ip]");
		return;
	}
	len = nd_be16(nd, p + 2);
	if (len > length) {
		nd_printf(nd, "[total length %u > length %u] (invalid) ", len, length);
		len = length;
	}
	if (len < hlen) {
		nd_printf(nd, "[total length %u < header length %u] (invalid)", len, hlen);
		return;
	}
	off = nd_be16(nd, p + 6);
	nh = p[9];
	if (nd->vflag) {
		tos = p[1];
		nd_printf(nd, "(tos 0x%x", tos);
		if ((tos & 3) == 1)
			nd_puts(nd, ",ECT(1)");
		else if ((tos & 3) == 2)
			nd_puts(nd, ",ECT(0)");
		else if ((tos & 3) == 3)
			nd_puts(nd, ",CE");
		if (p[8] >= 1)
			nd_printf(nd, ", ttl %u", p[8]);
		nd_printf(nd, ", id %u, offset %u, flags [", nd_be16(nd, p + 4),
			  (off & 0x1fff) * 8);
		ip4_frag_flags(nd, off);
		name = nd_ipproto_name(nh);
		nd_printf(nd, "], proto %s (%u), length %u", name ? name : "unknown", nh,
			  nd_be16(nd, p + 2));
		if (hlen > 20)
			nd_puts(nd, ", options (...)");
		if (nd_have(nd, p, hlen)) {
			uint16_t sum = nd_cksum(nd, p, hlen);

			if (sum)
				nd_printf(nd, ", bad cksum %x (->%x)!", nd_be16(nd, p + 10),
					  nd_cksum_shouldbe(nd_be16(nd, p + 10), sum));
		}
		nd_puts(nd, ")\n    ");
	}
	ip.src = p + 12;
	ip.dst = p + 16;
	ip.fragmented = (off & 0x3fff) != 0;
	ip.direct = 1;
	if (off & 0x1fff) {
		nd_printf(nd, "%s > %s:", nd_ip4(nd, p + 12, a), nd_ip4(nd, p + 16, b));
		name = nd_ipproto_name(nh);
		if (name)
			nd_printf(nd, " %s", name);
		else
			nd_printf(nd, " ip-proto-%u", nh);
		return;
	}
	if (nh != 6 && nh != 17 && nh != 132 && nh != 33)
		nd_printf(nd, "%s > %s: ", nd_ip4(nd, p + 12, a), nd_ip4(nd, p + 16, b));
	demux(nd, &ip, nh, p + hlen, len - hlen);
}

/* Hop-by-hop and destination options (-v lists them). */
static void ip6_opts(struct pc_nd *nd, const uint8_t *p, uint32_t len)
{
	uint32_t i, optlen;
	uint8_t type;

	for (i = 0; i < len; i += optlen) {
		type = nd_u8(nd, p + i);
		optlen = type == 0 ? 1 : (uint32_t)nd_u8(nd, p + i + 1) + 2;
		switch (type) {
		case 0:
			nd_puts(nd, "(pad1)");
			break;
		case 1:
			nd_puts(nd, "(padn)");
			break;
		case 5:
			nd_printf(nd, "(rtalert: 0x%04x) ", nd_be16(nd, p + i + 2));
			break;
		case 0xc2:
			nd_printf(nd, "(jumbo: %u) ", nd_be32(nd, p + i + 2));
			break;
		default:
			nd_printf(nd, "(opt_type 0x%02x: len=%u)", type, optlen - 2);
			break;
		}
	}
	nd_puts(nd, " ");
}

static void ip6_print(struct pc_nd *nd, const uint8_t *p, uint32_t length)
{
	struct nd_ipinfo ip = {.v6 = 1};
	const uint8_t *cp;
	uint32_t plen, len, flow, adv;
	uint16_t offlg;
	uint8_t nh;
	char a[46], b[46];
	const char *name;

	nd->proto = "ip6";
	nd_need(nd, p, 40);
	plen = nd_be16(nd, p + 4);
	len = plen ? plen + 40 : length;
	if (len > length) {
		nd_printf(nd, "[total length %u > length %u] (invalid) ", len, length);
		len = length;
	}
	nh = p[6];
	if (nd->vflag) {
		flow = nd_be32(nd, p);
		nd_puts(nd, "(");
		if (flow & 0x0ff00000)
			nd_printf(nd, "class 0x%02x, ", (flow & 0x0ff00000) >> 20);
		if (flow & 0x000fffff)
			nd_printf(nd, "flowlabel 0x%05x, ", flow & 0x000fffff);
		name = nd_ipproto_name(nh);
		nd_printf(nd, "hlim %u, next-header %s (%u) payload length: %u) ", p[7],
			  name ? name : "unknown", nh, plen);
	}
	ip.src = p + 8;
	ip.dst = p + 24;
	cp = p + 40;
	len -= 40;
	ip.direct = nh == 6 || nh == 17 || nh == 33 || nh == 132;
	if (nh != 6 && nh != 17 && nh != 33 && nh != 132)
		nd_printf(nd, "%s > %s: ", nd_ip6(nd, p + 8, a), nd_ip6(nd, p + 24, b));
	for (;;) {
		switch (nh) {
		case 0:	 /* hop-by-hop */
		case 60: /* destination options */
			nd->proto = nh ? "dstopt" : "hbh";
			adv = ((uint32_t)nd_u8(nd, cp + 1) + 1) * 8;
			nd_need(nd, cp, adv);
			nd_puts(nd, nh ? "DSTOPT " : "HBH ");
			if (nd->vflag)
				ip6_opts(nd, cp + 2, adv - 2);
			break;
		case 43: /* routing */
			nd->proto = "rt6";
			adv = ((uint32_t)nd_u8(nd, cp + 1) + 1) * 8;
			nd_printf(nd, "srcrt (len=%u, type=%u, segleft=%u) ", nd_u8(nd, cp + 1),
				  nd_u8(nd, cp + 2), nd_u8(nd, cp + 3));
			break;
		case 44: /* fragment */
			nd->proto = "frag6";
			adv = 8;
			offlg = nd_be16(nd, cp + 2);
			if (nd->vflag)
				nd_printf(nd, "frag (0x%08x:%u|%u) ", nd_be32(nd, cp + 4),
					  offlg & 0xfff8, len - 8);
			else
				nd_printf(nd, "frag (%u|%u) ", offlg & 0xfff8, len - 8);
			ip.fragmented = 1;
			if (offlg & 0xfff8)
				return;
			break;
		default:
			demux(nd, &ip, nh, cp, len);
			return;
		}
		if (len < adv) {
			nd_trunc(nd);
		}
		nh = nd_u8(nd, cp);
		cp += adv;
		len -= adv;
		if (!nd_have(nd, cp, 1) && nh != 59)
			return;
	}
}

void nd_ip_inner(struct pc_nd *nd, const uint8_t *p, uint32_t len)
{
	uint8_t v = nd_u8(nd, p) >> 4;

	if (v == 4) {
		if (!nd->eflag)
			nd_puts(nd, "IP ");
		ip4_print(nd, p, len);
	} else if (v == 6) {
		if (!nd->eflag)
			nd_puts(nd, "IP6 ");
		ip6_print(nd, p, len);
	} else {
		nd_printf(nd, "IP%u (invalid)", v);
	}
}

void pc_nd_ip_print(struct pc_nd *nd, const uint8_t *pkt, uint32_t caplen, uint32_t len)
{
	nd->start = pkt;
	nd->end = pkt + caplen;
	nd->proto = "ip";
	if (setjmp(nd->trunc)) {
		nd_printf(nd, " [|%s]", nd->proto);
		return;
	}
	nd_ip_inner(nd, pkt, len);
}
