/* Link-layer headers in front of IP, as libpcap hands packets over on
 * Linux and as capture files hold them: LINUX_SLL and SLL2 (the "any"
 * device), EN10MB (up to 4 VLAN tags), RAW/IPV4/IPV6, NULL/LOOP. Pure and
 * bounds-checked; the one copy for the fallback and the file reader.
 * Not for the IP layer (decode.c) or file formats (pcapfile/). */
#ifndef PIDCAP_LINKHDR_H
#define PIDCAP_LINKHDR_H

#include <stdint.h>

/* Linux packet types (PACKET_HOST...), from SLL and SLL2 headers. */
#define PC_PKTTYPE_UNKNOWN (-1)
#define PC_PKTTYPE_HOST 0
#define PC_PKTTYPE_OUTGOING 4

struct pc_linkhdr {
	uint32_t off;      /* the IP header starts here */
	uint16_t l3proto;  /* ETH_P_IP or ETH_P_IPV6 */
	int pkttype;       /* PC_PKTTYPE_*, or the raw SLL value (1 broadcast...) */
	uint32_t ifindex;  /* SLL2 only, 0 unknown */
};

/* Finds the IP header of a frame of link type dlt (DLT_*: file LINKTYPE_
 * values must be mapped first, LINKTYPE_RAW is 101). Returns 0,
 * -EINVAL when it is not IPv4/IPv6 or too short, -ENOTSUP for a link type
 * it does not know. */
int pc_linkhdr_parse(int dlt, const uint8_t *p, uint32_t caplen, struct pc_linkhdr *out);

#endif
