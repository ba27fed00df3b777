/* Bounds-checked decoder for packets that start at the IP header (IPv4/IPv6,
 * IPv6 extension headers, TCP/UDP/ICMP/... headers) and tcpdump-like summaries.
 * Not for link layers, reassembly or printing: callers own the output. */
#ifndef PIDCAP_DECODE_H
#define PIDCAP_DECODE_H

#include <stdint.h>
#include <stddef.h>

struct pc_decoded {
	int family;            /* AF_INET, AF_INET6, or 0 when not IP / too short */
	/* final upper-layer protocol number after IPv6 extension headers
	 * (IPPROTO_TCP, ...) */
	uint8_t proto;
	uint8_t saddr[16], daddr[16]; /* IPv4 uses the first 4 bytes */
	/* IP total length from the header (v4 tot_len; v6 40 + payload_len
	 * incl. ext headers); if the header says 0 (IPv4 TSO / IPv6 jumbo,
	 * BIG TCP) use wirelen */
	uint32_t ip_len;
	uint32_t l4_off;       /* offset of the L4 header from the IP header */
	int has_ports;         /* TCP, UDP, UDP-Lite, SCTP, DCCP */
	uint16_t sport, dport;
	/* L4 payload bytes computed from ip_len (not caplen): TCP
	 * ip_len-l4_off-doff*4; UDP udp length field - 8 (or ip_len based if
	 * inconsistent); ICMP/ICMPv6 ip_len - l4_off - 8; other protos
	 * ip_len - l4_off; -1 when not computable (fragment that is not the
	 * first, truncated L4 header) */
	int64_t payload;
	uint8_t tcp_flags;     /* raw TCP flags byte */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* for echo request/reply */
	int fragment;          /* 1 if IPv4 MF/offset or IPv6 fragment header present */
	int truncated;         /* 1 if caplen ended before a header we needed */
};

/*
 * Notes on the fields above:
 * - A fixed IP header (20 or 40 bytes) that is not fully captured makes
 *   pc_decode_ip() return -EINVAL with family 0 and truncated 1.
 * - UDP-Lite, SCTP and DCCP subtract their own header (8, 12, doff*4 bytes)
 *   from the payload, as TCP does; UDP-Lite's length field is a checksum
 *   coverage, not a length, so it is not used.
 * - payload is also -1 when the headers contradict each other (ip_len
 *   shorter than the headers, TCP doff < 5) or when more than 8 IPv6
 *   extension headers precede the upper layer.
 * - truncated is 1 when the IP options, an IPv6 extension header or the L4
 *   header (TCP including options, UDP 8 bytes, ICMP 8 bytes, SCTP 12, DCCP
 *   doff*4) were cut by caplen; the L4 payload itself is never "needed".
 */

/* Decodes pkt[0..caplen) whose length on the wire was wirelen. Returns 0,
 * or -EINVAL when the bytes are not an IP packet (family left 0). Never
 * reads past caplen. */
int pc_decode_ip(const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
		 struct pc_decoded *out);

/* "tcp", "udp", "icmp", "icmp6", "udplite", "sctp", "gre", "esp", "ah", ... ;
 * "ip-proto-N" style into a static per-thread buffer otherwise. Never NULL. */
const char *pc_proto_name(uint8_t proto);

/* Formats the addresses with inet_ntop; buf at least 46 bytes
 * (INET6_ADDRSTRLEN). src nonzero selects saddr, zero daddr. Returns buf,
 * or "?" (also copied into buf when len > 0) when the family is unknown or
 * buf is too small. Never NULL. */
const char *pc_addr_str(const struct pc_decoded *d, int src, char *buf,
			size_t len);

/* tcpdump-like summary of the L4 part after the address/port pair, e.g.
 * "Flags [S.], seq 1, ack 2, win 512, length 0",
 * "Flags [P.], seq 1:518, ack 2, win 512, length 517", "UDP, length 12",
 * "ICMP echo request, id 5, seq 1, length 64",
 * "ICMP6, echo reply, id 5, seq 1, length 64". Like tcpdump, the ICMP
 * length is the whole ICMP message (payload + 8). Writes into buf (always
 * NUL-terminated when len > 0, truncated to fit), returns buf. */
const char *pc_l4_summary(const struct pc_decoded *d, char *buf, size_t len);

#endif
