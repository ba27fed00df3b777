/* tcpdump's text of UDP: the addresses and ports, the checksum under -v
 * (IPv6) or -vv (IPv4), DNS on port 53 and "UDP, length N" for the rest.
 * Not for the other protocols tcpdump knows by their UDP port. */
#include "packet/nd.h"

void nd_udp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t length)
{
	uint32_t ulen;
	uint16_t sport, dport, usum, sum;

	nd->proto = "udp";
	if (length < 8) {
		nd_printf(nd, "truncated-udp %u", length);
		return;
	}
	nd_ports_start(nd, ip, p);
	sport = nd_be16(nd, p);
	dport = nd_be16(nd, p + 2);
	ulen = nd_be16(nd, p + 4);
	if (ulen == 0 && length > 65535)
		ulen = length;
	if (ulen < 8) {
		nd_ports_print(nd, ip, sport, dport);
		nd_printf(nd, "truncated-udplength %u", ulen);
		return;
	}
	ulen -= 8;
	length -= 8;
	if (ulen < length)
		length = ulen;
	nd_ports_print(nd, ip, sport, dport);
	if (nd->qflag) {
		if (ulen > length && !ip->fragmented)
			nd_printf(nd, "UDP, bad length %u > %u", ulen, length);
		else
			nd_printf(nd, "UDP, length %u", ulen);
		return;
	}
	if (nd->vflag && !ip->fragmented && (ip->v6 || nd->vflag > 1)) {
		usum = nd_be16(nd, p + 6);
		if (!ip->v6 && usum == 0)
			nd_puts(nd, "[no cksum] ");
		else if (nd_have(nd, p, length + 8)) {
			sum = nd_l4_cksum(nd, ip, 17, p, length + 8);
			if (sum)
				nd_printf(nd, "[bad udp cksum 0x%04x -> 0x%04x!] ", usum,
					  nd_cksum_shouldbe(usum, sum));
			else
				nd_puts(nd, "[udp sum ok] ");
		}
	}
	if (sport == 53 || dport == 53) {
		nd_dns_print(nd, p + 8, length, 0);
		return;
	}
	if (ulen > length && !ip->fragmented)
		nd_printf(nd, "UDP, bad length %u > %u", ulen, length);
	else
		nd_printf(nd, "UDP, length %u", ulen);
}
