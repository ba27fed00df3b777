/* Strips the link layer of a live packet or of a capture file's frame down
 * to the IP header, keeping what it says about direction and interface.
 * Every read is bounds-checked. Not for IP (decode.c). */
#include <errno.h>
#include <string.h>
#include <pcap/dlt.h>
#include "packet/linkhdr.h"

#define ETH_IP 0x0800
#define ETH_IP6 0x86DD

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IP version nibble, for link types that do not name the protocol. */
static int by_version(const uint8_t *p, uint32_t caplen, uint32_t off, struct pc_linkhdr *out)
{
	if (caplen <= off)
		return -EINVAL;
	switch (p[off] >> 4) {
	case 4:
		out->l3proto = ETH_IP;
		return 0;
	case 6:
		out->l3proto = ETH_IP6;
		return 0;
	}
	return -EINVAL;
}

static int by_ethertype(uint16_t type, struct pc_linkhdr *out)
{
	if (type != ETH_IP && type != ETH_IP6)
		return -EINVAL;
	out->l3proto = type;
	return 0;
}

int pc_linkhdr_parse(int dlt, const uint8_t *p, uint32_t caplen, struct pc_linkhdr *out)
{
	uint16_t type;
	uint32_t af;
	int tags;

	memset(out, 0, sizeof(*out));
	out->pkttype = PC_PKTTYPE_UNKNOWN;
	switch (dlt) {
	case DLT_LINUX_SLL: /* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
		if (caplen < 16)
			return -EINVAL;
		out->pkttype = be16(p);
		out->off = 16;
		return by_ethertype(be16(p + 14), out);
	case DLT_LINUX_SLL2: /* protocol(2) rsvd(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) */
		if (caplen < 20)
			return -EINVAL;
		out->ifindex = be32(p + 4);
		out->pkttype = p[10];
		out->off = 20;
		return by_ethertype(be16(p), out);
	case DLT_EN10MB:
		if (caplen < 14)
			return -EINVAL;
		type = be16(p + 12);
		out->off = 14;
		for (tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 4; tags++) {
			if (caplen < out->off + 4)
				return -EINVAL;
			type = be16(p + out->off + 2);
			out->off += 4;
		}
		return by_ethertype(type, out);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return by_version(p, caplen, 0, out);
	case DLT_NULL: /* 4 bytes of address family in the writer's byte order */
	case DLT_LOOP: /* the same in network byte order */
		if (caplen < 4)
			return -EINVAL;
		af = be32(p);
		if (af > 0xffff) /* written little-endian (or on the other byte order) */
			af = __builtin_bswap32(af);
		out->off = 4;
		if (af == 2)
			return by_ethertype(ETH_IP, out);
		/* AF_INET6 of Linux, the BSDs and macOS */
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return by_ethertype(ETH_IP6, out);
		return -EINVAL;
	}
	return -ENOTSUP;
}
