/* tcpdump's text of ICMPv6: echo, the errors with the address and port of
 * the packet they quote, neighbour discovery (-v: flags and link-address
 * options). Not for ICMPv4 (nd_icmp.c) or the mobility and RPL messages. */
#include "packet/nd.h"

static const char *type_name(uint8_t type)
{
	switch (type) {
	case 1:
		return "destination unreachable";
	case 2:
		return "packet too big";
	case 3:
		return "time exceeded in-transit";
	case 4:
		return "parameter problem";
	case 128:
		return "echo request";
	case 129:
		return "echo reply";
	case 130:
		return "multicast listener query";
	case 131:
		return "multicast listener report";
	case 132:
		return "multicast listener done";
	case 133:
		return "router solicitation";
	case 134:
		return "router advertisement";
	case 135:
		return "neighbor solicitation";
	case 136:
		return "neighbor advertisement";
	case 137:
		return "redirect";
	case 138:
		return "router renumbering";
	case 143:
		return "multicast listener report v2";
	default:
		return NULL;
	}
}

static const char *unreach_name(uint8_t code)
{
	switch (code) {
	case 0:
		return "unreachable route";
	case 1:
		return "unreachable prohibited";
	case 2:
		return "beyond scope";
	case 3:
		return "unreachable address";
	case 4:
		return "unreachable port";
	default:
		return NULL;
	}
}

/* The quoted packet's transport header (extension headers skipped). */
static const uint8_t *upper_layer(struct pc_nd *nd, const uint8_t *oip, uint8_t *proto)
{
	const uint8_t *cp = oip + 40;
	uint8_t nh = nd_u8(nd, oip + 6);
	int i;

	for (i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 60); i++) {
		nh = nd_u8(nd, cp);
		cp += ((uint32_t)nd_u8(nd, cp + 1) + 1) * 8;
	}
	*proto = nh;
	return cp;
}

static const char *opt_name(uint8_t type)
{
	switch (type) {
	case 1:
		return "source link-address";
	case 2:
		return "destination link-address";
	case 3:
		return "prefix info";
	case 4:
		return "redirected header";
	case 5:
		return "mtu";
	case 8:
		return "homeagent info";
	case 14:
		return "nonce";
	case 24:
		return "route info";
	case 25:
		return "rdnss";
	case 31:
		return "dnssl";
	default:
		return "unknown";
	}
}

static void nd_options(struct pc_nd *nd, const uint8_t *cp, int32_t resid)
{
	uint32_t olen, i;
	uint8_t type;

	while (resid > 0) {
		type = nd_u8(nd, cp);
		olen = nd_u8(nd, cp + 1);
		if (!olen || (int32_t)(olen << 3) > resid)
			nd_trunc(nd);
		nd_printf(nd, "\n\t  %s option (%u), length %u (%u): ", opt_name(type), type,
			  olen << 3, olen);
		if (type == 1 || type == 2) {
			for (i = 0; i < (olen << 3) - 2; i++)
				nd_printf(nd, i ? ":%02x" : "%02x", nd_u8(nd, cp + 2 + i));
		} else if (type == 5) {
			nd_printf(nd, " %u", nd_be32(nd, cp + 4));
		}
		cp += olen << 3;
		resid -= (int32_t)(olen << 3);
	}
}

void nd_icmp6_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len)
{
	const uint8_t *ul;
	const char *name;
	uint16_t sum, isum;
	uint8_t type, code, proto;
	uint32_t fl;
	char a[46];
	int n;

	nd->proto = "icmp6";
	if (nd->vflag && !ip->fragmented && nd_have(nd, p, len)) {
		isum = nd_be16(nd, p + 2);
		sum = nd_l4_cksum(nd, ip, 58, p, len);
		if (sum)
			nd_printf(nd, "[bad icmp6 cksum 0x%04x -> 0x%04x!] ", isum,
				  nd_cksum_shouldbe(isum, sum));
		else
			nd_puts(nd, "[icmp6 sum ok] ");
	}
	type = nd_u8(nd, p);
	code = nd_u8(nd, p + 1);
	name = type_name(type);
	if (name)
		nd_printf(nd, "ICMP6, %s", name);
	else
		nd_printf(nd, "ICMP6, unknown icmp6 type (%u)", type);
	if (nd->vflag && (type == 133 || type == 134 || type == 135 || type == 136 || type == 137))
		nd_printf(nd, ", length %u", len);
	switch (type) {
	case 1:
		name = unreach_name(code);
		if (name)
			nd_printf(nd, ", %s", name);
		else
			nd_printf(nd, ", unknown unreach code (%u)", code);
		if (code == 0 || code == 1 || code == 3) {
			nd_printf(nd, " %s", nd_ip6(nd, p + 8 + 24, a));
		} else if (code == 4) {
			ul = upper_layer(nd, p + 8, &proto);
			nd_ip6(nd, p + 8 + 24, a);
			if (proto == 6)
				nd_printf(nd, ", %s tcp port %u", a, nd_be16(nd, ul + 2));
			else if (proto == 17)
				nd_printf(nd, ", %s udp port %u", a, nd_be16(nd, ul + 2));
			else
				nd_printf(nd, ", %s protocol %u port %u unreachable", a, proto,
					  nd_be16(nd, ul + 2));
		}
		break;
	case 2:
		nd_printf(nd, ", mtu %u", nd_be32(nd, p + 4));
		break;
	case 3:
		if (code == 0)
			nd_printf(nd, " for %s", nd_ip6(nd, p + 8 + 24, a));
		else if (code == 1)
			nd_puts(nd, " (reassembly)");
		else
			nd_printf(nd, ", unknown code (%u)", code);
		break;
	case 128:
	case 129:
		nd_printf(nd, ", id %u, seq %u", nd_be16(nd, p + 4), nd_be16(nd, p + 6));
		break;
	case 135:
		nd_printf(nd, ", who has %s", nd_ip6(nd, p + 8, a));
		if (nd->vflag)
			nd_options(nd, p + 24, (int32_t)len - 24);
		break;
	case 136:
		nd_printf(nd, ", tgt is %s", nd_ip6(nd, p + 8, a));
		if (nd->vflag) {
			fl = nd_be32(nd, p + 4);
			nd_puts(nd, ", Flags [");
			n = 0;
			if (fl & 0x80000000u)
				nd_printf(nd, "%srouter", n++ ? ", " : "");
			if (fl & 0x40000000u)
				nd_printf(nd, "%ssolicited", n++ ? ", " : "");
			if (fl & 0x20000000u)
				nd_printf(nd, "%soverride", n++ ? ", " : "");
			nd_puts(nd, n ? "]" : "none]");
			nd_options(nd, p + 24, (int32_t)len - 24);
		}
		break;
	case 133:
		if (nd->vflag)
			nd_options(nd, p + 8, (int32_t)len - 8);
		break;
	case 4:
	case 130:
	case 131:
	case 132:
	case 134:
	case 137:
	case 143:
		break;
	default:
		nd_printf(nd, ", length %u", len);
		return;
	}
	if (!nd->vflag)
		nd_printf(nd, ", length %u", len);
}
