/* tcpdump's text of ICMP (IPv4): echo, the errors with the address and port
 * of the packet they quote (-v: the quoted packet itself), the rest by name.
 * Not for ICMPv6 (nd_icmp6.c). */
#include <stdio.h>
#include "packet/nd.h"

static const char *type_name(uint8_t type)
{
	switch (type) {
	case 0:
		return "echo reply";
	case 3:
		return "destination unreachable";
	case 4:
		return "source quench";
	case 5:
		return "redirect";
	case 8:
		return "echo request";
	case 9:
		return "router advertisement";
	case 10:
		return "router solicitation";
	case 11:
		return "time exceeded";
	case 12:
		return "parameter problem";
	case 13:
		return "time stamp request";
	case 14:
		return "time stamp reply";
	case 15:
		return "information request";
	case 16:
		return "information reply";
	case 17:
		return "address mask request";
	case 18:
		return "address mask reply";
	default:
		return NULL;
	}
}

static const char *unreach_fmt(uint8_t code)
{
	switch (code) {
	case 5:
		return "%s unreachable - source route failed";
	case 6:
		return "%s unreachable - dest network unknown";
	case 7:
		return "%s unreachable - dest host unknown";
	case 8:
		return "%s unreachable - source host isolated";
	case 9:
		return "%s unreachable - dest network administratively prohibited";
	case 10:
		return "%s unreachable - dest host administratively prohibited";
	case 11:
		return "%s unreachable - tos prohibited";
	case 12:
		return "%s unreachable - tos host prohibited";
	case 13:
		return "%s unreachable - packet filtered";
	case 14:
		return "%s unreachable - precedence violation";
	case 15:
		return "%s unreachable - precedence cutoff";
	default:
		return NULL;
	}
}

static void unreach(struct pc_nd *nd, const uint8_t *oip, uint8_t code, char *buf, size_t n)
{
	char dst[16];
	const char *fmt;
	uint32_t hlen;
	uint16_t mtu;
	uint8_t proto;

	nd_ip4(nd, oip + 16, dst);
	switch (code) {
	case 0:
		snprintf(buf, n, "net %s unreachable", dst);
		break;
	case 1:
		snprintf(buf, n, "host %s unreachable", dst);
		break;
	case 2:
		snprintf(buf, n, "%s protocol %u unreachable", dst, nd_u8(nd, oip + 9));
		break;
	case 3:
		proto = nd_u8(nd, oip + 9);
		hlen = (uint32_t)(nd_u8(nd, oip) & 0x0f) * 4;
		if (proto == 6)
			snprintf(buf, n, "%s tcp port %u unreachable", dst,
				 nd_be16(nd, oip + hlen + 2));
		else if (proto == 17)
			snprintf(buf, n, "%s udp port %u unreachable", dst,
				 nd_be16(nd, oip + hlen + 2));
		else
			snprintf(buf, n, "%s protocol %u port %u unreachable", dst, proto,
				 nd_be16(nd, oip + hlen + 2));
		break;
	case 4:
		mtu = nd_be16(nd, oip - 2);
		if (mtu)
			snprintf(buf, n, "%s unreachable - need to frag (mtu %u)", dst, mtu);
		else
			snprintf(buf, n, "%s unreachable - need to frag", dst);
		break;
	default:
		fmt = unreach_fmt(code);
		if (fmt)
			snprintf(buf, n, fmt, dst);
		else
			snprintf(buf, n, "#%u %s unreachable", code, dst);
		break;
	}
}

void nd_icmp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len)
{
	char buf[256];
	const char *name;
	const uint8_t *save;
	uint8_t type, code;
	uint16_t sum, isum;
	uint32_t ilen;

	nd->proto = "icmp";
	type = nd_u8(nd, p);
	code = nd_u8(nd, p + 1);
	switch (type) {
	case 0:
	case 8:
		snprintf(buf, sizeof(buf), "echo %s, id %u, seq %u", type ? "request" : "reply",
			 nd_be16(nd, p + 4), nd_be16(nd, p + 6));
		break;
	case 3:
		unreach(nd, p + 8, code, buf, sizeof(buf));
		break;
	case 11:
		if (code == 0)
			snprintf(buf, sizeof(buf), "time exceeded in-transit");
		else if (code == 1)
			snprintf(buf, sizeof(buf), "ip reassembly time exceeded");
		else
			snprintf(buf, sizeof(buf), "time exceeded-#%u", code);
		break;
	case 12:
		if (code)
			snprintf(buf, sizeof(buf), "parameter problem - code %u", code);
		else
			snprintf(buf, sizeof(buf), "parameter problem - octet %u",
				 nd_u8(nd, p + 4));
		break;
	default:
		name = type_name(type);
		if (name)
			snprintf(buf, sizeof(buf), "%s", name);
		else
			snprintf(buf, sizeof(buf), "type-#%u", type);
		break;
	}
	nd_printf(nd, "ICMP %s, length %u", buf, len);
	if (nd->vflag && !ip->fragmented && nd_have(nd, p, len)) {
		sum = nd_cksum(nd, p, len);
		if (sum) {
			isum = nd_be16(nd, p + 2);
			nd_printf(nd, " (wrong icmp cksum %x (->%x)!)", isum,
				  nd_cksum_shouldbe(isum, sum));
		}
	}
	if (nd->vflag && (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)) {
		nd_puts(nd, "\n\t");
		ilen = nd_be16(nd, p + 8 + 2);
		save = nd->end;
		if (nd_have(nd, p + 8, ilen))
			nd->end = p + 8 + ilen;
		nd_ip_inner(nd, p + 8, ilen);
		nd->end = save;
	}
}
