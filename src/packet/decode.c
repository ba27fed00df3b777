/* Packet decoder: IPv4/IPv6 (+ extension headers) and L4 headers into a
 * struct pc_decoded, plus the tcpdump-like text of the L4 part.
 * Not for link layers, payload dissection or output: it never prints. */
#include "packet/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PC_MAX_EXT_HDRS 8

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef IPPROTO_DCCP
#define IPPROTO_DCCP 33
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* Bounds-checked readers: 0 and *val set, or -1 when off+size > caplen. */
static inline int in_bounds(uint32_t caplen, uint32_t off, uint32_t size)
{
	return off <= caplen && caplen - off >= size;
}

static inline int get_u8(const uint8_t *p, uint32_t caplen, uint32_t off,
			 uint8_t *val)
{
	if (!in_bounds(caplen, off, 1))
		return -1;
	*val = p[off];
	return 0;
}

static inline int get_be16(const uint8_t *p, uint32_t caplen, uint32_t off,
			   uint16_t *val)
{
	if (!in_bounds(caplen, off, 2))
		return -1;
	*val = (uint16_t)(p[off] << 8 | p[off + 1]);
	return 0;
}

static inline int get_be32(const uint8_t *p, uint32_t caplen, uint32_t off,
			   uint32_t *val)
{
	if (!in_bounds(caplen, off, 4))
		return -1;
	*val = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
	       (uint32_t)p[off + 2] << 8 | (uint32_t)p[off + 3];
	return 0;
}

static inline int get_bytes(const uint8_t *p, uint32_t caplen, uint32_t off,
			    uint8_t *dst, uint32_t size)
{
	if (!in_bounds(caplen, off, size))
		return -1;
	memcpy(dst, p + off, size);
	return 0;
}

/* ip_len - l4_off - hdr, or -1 when the headers do not fit in ip_len. */
static int64_t payload_after(const struct pc_decoded *d, uint32_t hdr)
{
	int64_t n = (int64_t)d->ip_len - d->l4_off - hdr;

	return n < 0 ? -1 : n;
}

/* Source and destination ports, the first 4 bytes of every ported header. */
static int decode_ports(const uint8_t *p, uint32_t caplen, uint32_t off,
			struct pc_decoded *d)
{
	if (get_be16(p, caplen, off, &d->sport) ||
	    get_be16(p, caplen, off + 2, &d->dport))
		return -1;
	d->has_ports = 1;
	return 0;
}

static void decode_tcp(const uint8_t *p, uint32_t caplen, struct pc_decoded *d)
{
	uint32_t off = d->l4_off;
	uint8_t doff_byte;
	uint32_t doff;

	if (decode_ports(p, caplen, off, d) ||
	    get_be32(p, caplen, off + 4, &d->tcp_seq) ||
	    get_be32(p, caplen, off + 8, &d->tcp_ack) ||
	    get_u8(p, caplen, off + 12, &doff_byte) ||
	    get_u8(p, caplen, off + 13, &d->tcp_flags) ||
	    get_be16(p, caplen, off + 14, &d->tcp_win) ||
	    !in_bounds(caplen, off, 20)) {
		d->truncated = 1;
		return;
	}
	doff = (uint32_t)(doff_byte >> 4) * 4;
	if (doff < 20)
		return; /* bogus header length: payload stays -1 */
	if (!in_bounds(caplen, off, doff))
		d->truncated = 1; /* options cut; the length is still known */
	d->payload = payload_after(d, doff);
}

static void decode_udp(const uint8_t *p, uint32_t caplen, struct pc_decoded *d)
{
	uint32_t off = d->l4_off;
	uint16_t ulen;

	if (decode_ports(p, caplen, off, d) ||
	    get_be16(p, caplen, off + 4, &ulen) || !in_bounds(caplen, off, 8)) {
		d->truncated = 1;
		return;
	}
	/* UDP-Lite's length field is the checksum coverage, not a length. */
	if (d->proto == IPPROTO_UDP && ulen >= 8 &&
	    (int64_t)ulen <= (int64_t)d->ip_len - d->l4_off)
		d->payload = ulen - 8;
	else
		d->payload = payload_after(d, 8);
}

static void decode_sctp(const uint8_t *p, uint32_t caplen,
			struct pc_decoded *d)
{
	if (decode_ports(p, caplen, d->l4_off, d) ||
	    !in_bounds(caplen, d->l4_off, 12)) {
		d->truncated = 1;
		return;
	}
	d->payload = payload_after(d, 12);
}

static void decode_dccp(const uint8_t *p, uint32_t caplen,
			struct pc_decoded *d)
{
	uint8_t doff;

	if (decode_ports(p, caplen, d->l4_off, d) ||
	    get_u8(p, caplen, d->l4_off + 4, &doff)) {
		d->truncated = 1;
		return;
	}
	/* The generic header is at least 12 bytes (16 with extended seq). */
	if ((uint32_t)doff * 4 < 12)
		return;
	if (!in_bounds(caplen, d->l4_off, (uint32_t)doff * 4))
		d->truncated = 1;
	d->payload = payload_after(d, (uint32_t)doff * 4);
}

static int is_echo(const struct pc_decoded *d)
{
	if (d->proto == IPPROTO_ICMP)
		return d->icmp_type == 0 || d->icmp_type == 8;
	return d->icmp_type == 128 || d->icmp_type == 129;
}

static void decode_icmp(const uint8_t *p, uint32_t caplen,
			struct pc_decoded *d)
{
	uint32_t off = d->l4_off;

	if (get_u8(p, caplen, off, &d->icmp_type) ||
	    get_u8(p, caplen, off + 1, &d->icmp_code) ||
	    !in_bounds(caplen, off, 8)) {
		d->truncated = 1;
		return;
	}
	if (is_echo(d) && (get_be16(p, caplen, off + 4, &d->icmp_id) ||
			   get_be16(p, caplen, off + 6, &d->icmp_seq))) {
		d->truncated = 1; /* unreachable: 8 bytes were checked */
		return;
	}
	d->payload = payload_after(d, 8);
}

/* L4 header at d->l4_off; d->proto, ip_len and l4_off are already set. */
static void decode_l4(const uint8_t *p, uint32_t caplen, struct pc_decoded *d)
{
	d->payload = -1;
	switch (d->proto) {
	case IPPROTO_TCP:
		decode_tcp(p, caplen, d);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		decode_udp(p, caplen, d);
		break;
	case IPPROTO_SCTP:
		decode_sctp(p, caplen, d);
		break;
	case IPPROTO_DCCP:
		decode_dccp(p, caplen, d);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		decode_icmp(p, caplen, d);
		break;
	default:
		d->payload = payload_after(d, 0);
		break;
	}
}

static int decode_ipv4(const uint8_t *p, uint32_t caplen, uint32_t wirelen,
		       struct pc_decoded *d)
{
	uint8_t vihl;
	uint16_t tot_len, frag;
	uint32_t ihl;

	if (get_u8(p, caplen, 0, &vihl) || get_be16(p, caplen, 2, &tot_len) ||
	    get_be16(p, caplen, 6, &frag) || get_u8(p, caplen, 9, &d->proto) ||
	    get_bytes(p, caplen, 12, d->saddr, 4) ||
	    get_bytes(p, caplen, 16, d->daddr, 4)) {
		d->truncated = 1;
		return -EINVAL;
	}
	ihl = (uint32_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return -EINVAL;
	d->family = AF_INET;
	d->ip_len = tot_len ? tot_len : wirelen;
	d->l4_off = ihl;
	d->fragment = (frag & 0x3fff) != 0; /* MF or a fragment offset */
	if (!in_bounds(caplen, 0, ihl)) {
		d->truncated = 1; /* options cut: the L4 header is unknown */
		return 0;
	}
	if (frag & 0x1fff)
		return 0; /* not the first fragment: no L4 header here */
	decode_l4(p, caplen, d);
	return 0;
}

/* Walks the IPv6 extension headers from offset 40; sets d->proto and
 * d->l4_off. Returns 1 when the L4 header can be decoded, 0 otherwise. */
static int walk_ipv6_ext(const uint8_t *p, uint32_t caplen, uint8_t nh,
			 struct pc_decoded *d)
{
	uint32_t off = 40, hlen;
	uint16_t frag;
	uint8_t next, len;
	int i;

	for (i = 0;; i++) {
		d->proto = nh;
		d->l4_off = off;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default:
			return 1; /* upper layer, including 59 (no next header) */
		}
		if (i == PC_MAX_EXT_HDRS)
			return 0;
		if (get_u8(p, caplen, off, &next) ||
		    get_u8(p, caplen, off + 1, &len)) {
			d->truncated = 1;
			return 0;
		}
		if (nh == IPPROTO_FRAGMENT) {
			if (get_be16(p, caplen, off + 2, &frag) ||
			    !in_bounds(caplen, off, 8)) {
				d->truncated = 1;
				return 0;
			}
			d->fragment = 1;
			off += 8;
			if (frag & 0xfff8) {
				/* not the first fragment: no L4 header */
				d->proto = next;
				d->l4_off = off;
				return 0;
			}
		} else {
			hlen = nh == IPPROTO_AH ? ((uint32_t)len + 2) * 4 :
						  ((uint32_t)len + 1) * 8;
			if (!in_bounds(caplen, off, hlen))
				d->truncated = 1; /* next header still known */
			off += hlen;
		}
		nh = next;
	}
}

static int decode_ipv6(const uint8_t *p, uint32_t caplen, uint32_t wirelen,
		       struct pc_decoded *d)
{
	uint16_t plen;
	uint8_t nh;

	if (get_be16(p, caplen, 4, &plen) || get_u8(p, caplen, 6, &nh) ||
	    get_bytes(p, caplen, 8, d->saddr, 16) ||
	    get_bytes(p, caplen, 24, d->daddr, 16)) {
		d->truncated = 1;
		return -EINVAL;
	}
	d->family = AF_INET6;
	d->ip_len = plen ? 40u + plen : wirelen;
	if (walk_ipv6_ext(p, caplen, nh, d))
		decode_l4(p, caplen, d);
	return 0;
}

int pc_decode_ip(const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
		 struct pc_decoded *out)
{
	uint8_t v;
	int err;

	memset(out, 0, sizeof(*out));
	out->payload = -1;
	if (get_u8(pkt, caplen, 0, &v)) {
		out->truncated = 1;
		return -EINVAL;
	}
	switch (v >> 4) {
	case 4:
		err = decode_ipv4(pkt, caplen, wirelen, out);
		break;
	case 6:
		err = decode_ipv6(pkt, caplen, wirelen, out);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err) {
		/* Keep only "truncated": nothing else is meaningful. */
		int truncated = out->truncated;

		memset(out, 0, sizeof(*out));
		out->truncated = truncated;
		out->payload = -1;
	}
	return err;
}

const char *pc_proto_name(uint8_t proto)
{
	static __thread char buf[sizeof("ip-proto-255")];

	switch (proto) {
	case 0: return "hopopt";
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 41: return "ip6";
	case 43: return "routing";
	case 44: return "frag";
	case 46: return "rsvp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmp6";
	case 59: return "none";
	case 60: return "dstopts";
	case 88: return "eigrp";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 115: return "l2tp";
	case 132: return "sctp";
	case 136: return "udplite";
	case 137: return "mpls-in-ip";
	default:
		snprintf(buf, sizeof(buf), "ip-proto-%u", proto);
		return buf;
	}
}

const char *pc_addr_str(const struct pc_decoded *d, int src, char *buf,
			size_t len)
{
	const uint8_t *a = src ? d->saddr : d->daddr;
	socklen_t n = len > INET6_ADDRSTRLEN ? INET6_ADDRSTRLEN : (socklen_t)len;

	if (!buf || !len)
		return "?";
	if (d->family == AF_INET && len >= INET_ADDRSTRLEN) {
		/* dotted quad by hand: inet_ntop formats IPv4 with sprintf */
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned int v = a[i];

			if (v >= 100)
				*p++ = '0' + v / 100;
			if (v >= 10)
				*p++ = '0' + v / 10 % 10;
			*p++ = '0' + v % 10;
			*p++ = i < 3 ? '.' : 0;
		}
		return buf;
	}
	if ((d->family != AF_INET && d->family != AF_INET6) ||
	    !inet_ntop(d->family, a, buf, n)) {
		/* callers that ignore the return value still get a string */
		snprintf(buf, len, "?");
		return "?";
	}
	return buf;
}

/* Appends to a fixed buffer, truncating; keeps it NUL-terminated. */
struct sbuf {
	char *buf;
	size_t len, pos;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->pos + 1 >= sb->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sb->len - sb->pos)
		sb->pos = sb->len - 1;
	else
		sb->pos += (size_t)n;
}

static void summary_tcp(const struct pc_decoded *d, struct sbuf *sb)
{
	/* tcpdump's order and letters; ACK is '.'. */
	static const struct {
		uint8_t bit;
		char c;
	} flags[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	char f[sizeof(flags) / sizeof(flags[0]) + 1];
	size_t i, n = 0;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (d->tcp_flags & flags[i].bit)
			f[n++] = flags[i].c;
	f[n] = '\0';
	sb_printf(sb, "Flags [%s]", n ? f : "none");
	if (d->payload > 0)
		sb_printf(sb, ", seq %u:%u", d->tcp_seq,
			  (uint32_t)(d->tcp_seq + (uint64_t)d->payload));
	else
		sb_printf(sb, ", seq %u", d->tcp_seq);
	if (d->tcp_flags & 0x10)
		sb_printf(sb, ", ack %u", d->tcp_ack);
	sb_printf(sb, ", win %u", d->tcp_win);
	if (d->payload >= 0)
		sb_printf(sb, ", length %lld", (long long)d->payload);
	else
		sb_printf(sb, ", bad length");
}

static const char *icmp4_type_name(uint8_t type)
{
	switch (type) {
	case 0: return "echo reply";
	case 3: return "unreachable";
	case 4: return "source quench";
	case 5: return "redirect";
	case 8: return "echo request";
	case 9: return "router advertisement";
	case 10: return "router solicitation";
	case 11: return "time exceeded";
	case 12: return "parameter problem";
	case 13: return "time stamp request";
	case 14: return "time stamp reply";
	default: return NULL;
	}
}

static const char *icmp6_type_name(uint8_t type)
{
	switch (type) {
	case 1: return "destination unreachable";
	case 2: return "packet too big";
	case 3: return "time exceeded in-transit";
	case 4: return "parameter problem";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 130: return "multicast listener query";
	case 131: return "multicast listener report";
	case 132: return "multicast listener done";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	case 137: return "redirect";
	case 143: return "multicast listener report v2";
	default: return NULL;
	}
}

static void summary_icmp(const struct pc_decoded *d, struct sbuf *sb)
{
	int v6 = d->proto == IPPROTO_ICMPV6;
	const char *name = v6 ? icmp6_type_name(d->icmp_type) :
				icmp4_type_name(d->icmp_type);

	sb_printf(sb, v6 ? "ICMP6, " : "ICMP ");
	if (name)
		sb_printf(sb, "%s", name);
	else
		sb_printf(sb, "type-#%u", d->icmp_type);
	if (is_echo(d))
		sb_printf(sb, ", id %u, seq %u", d->icmp_id, d->icmp_seq);
	else if (d->icmp_code)
		sb_printf(sb, ", code %u", d->icmp_code);
	if (d->payload >= 0)
		sb_printf(sb, ", length %lld", (long long)d->payload + 8);
}

static const char *ported_label(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_UDPLITE: return "UDP-Lite";
	case IPPROTO_SCTP: return "SCTP";
	default: return "DCCP";
	}
}

/* No usable L4 header: cut by caplen, a later fragment, or inconsistent. */
static void summary_no_l4(const struct pc_decoded *d, struct sbuf *sb)
{
	const char *name = pc_proto_name(d->proto);

	if (d->truncated)
		sb_printf(sb, "[|%s]", name);
	else if (d->fragment)
		sb_printf(sb, "%s fragment", name);
	else
		sb_printf(sb, "%s, bad length", name);
}

const char *pc_l4_summary(const struct pc_decoded *d, char *buf, size_t len)
{
	struct sbuf sb = { .buf = buf, .len = len, .pos = 0 };

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!d->family) {
		sb_printf(&sb, d->truncated ? "[|ip]" : "not IP");
		return buf;
	}
	switch (d->proto) {
	case IPPROTO_TCP:
		if (!d->has_ports || (d->truncated && d->payload < 0))
			summary_no_l4(d, &sb);
		else
			summary_tcp(d, &sb);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (!d->has_ports || d->payload < 0)
			summary_no_l4(d, &sb);
		else
			sb_printf(&sb, "%s, length %lld", ported_label(d->proto),
				  (long long)d->payload);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (d->payload < 0 && (d->truncated || d->fragment))
			summary_no_l4(d, &sb);
		else
			summary_icmp(d, &sb);
		break;
	default:
		if (d->payload < 0)
			summary_no_l4(d, &sb);
		else
			sb_printf(&sb, "%s, length %lld",
				  pc_proto_name(d->proto),
				  (long long)d->payload);
		break;
	}
	return buf;
}
