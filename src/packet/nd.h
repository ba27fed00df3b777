/* tcpdump's text of a packet, in the shape of its print-*.c: one printer per
 * protocol (nd_ip.c, nd_tcp.c, nd_udp.c, nd_icmp.c, nd_icmp6.c, nd_dns.c)
 * writing into a string buffer through bounds-checked accessors that end the
 * packet with " [|proto]" when the capture is cut. Not for output, link
 * layers or process names: cmd/print.c puts the line together. */
#ifndef PIDCAP_ND_H
#define PIDCAP_ND_H

#include <setjmp.h>
#include <stdint.h>
#include "lib/strbuf.h"

struct pc_nd_tcpseq; /* tcpdump's table of initial sequence numbers */

struct pc_nd {
	struct pc_sb *o;
	int vflag, qflag, eflag;
	struct pc_nd_tcpseq *seqs; /* NULL: absolute sequence numbers */
	/* filled by the printers */
	const uint8_t *start, *end; /* bytes that may be read now */
	const char *proto;	    /* named by " [|proto]" on truncation */
	jmp_buf trunc;
};

/* tcpdump's text of the IP packet pkt[0..caplen) (wire length len), from
 * "IP " or "IP6 " on (no timestamp or link). eflag leaves out "IP "/"IP6 "
 * (tcpdump -e names the protocol in the link part). */
void pc_nd_ip_print(struct pc_nd *nd, const uint8_t *pkt, uint32_t caplen, uint32_t len);

/* The relative sequence numbers of TCP (tcpdump keeps them per connection
 * for the whole run). pc_nd_tcpseq_new returns NULL when out of memory. */
struct pc_nd_tcpseq *pc_nd_tcpseq_new(void);
void pc_nd_tcpseq_free(struct pc_nd_tcpseq *t);

/* ---- for the printers ------------------------------------------------- */

/* Ends the packet's text with " [|proto]" (longjmp to pc_nd_ip_print). */
__attribute__((noreturn)) void nd_trunc(struct pc_nd *nd);

static inline void nd_need(struct pc_nd *nd, const uint8_t *p, uint32_t n)
{
	if (p < nd->start || p > nd->end || (uint32_t)(nd->end - p) < n)
		nd_trunc(nd);
}

static inline int nd_have(const struct pc_nd *nd, const uint8_t *p, uint32_t n)
{
	return p >= nd->start && p <= nd->end && (uint32_t)(nd->end - p) >= n;
}

static inline uint8_t nd_u8(struct pc_nd *nd, const uint8_t *p)
{
	nd_need(nd, p, 1);
	return p[0];
}

static inline uint16_t nd_be16(struct pc_nd *nd, const uint8_t *p)
{
	nd_need(nd, p, 2);
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nd_be32(struct pc_nd *nd, const uint8_t *p)
{
	nd_need(nd, p, 4);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define nd_printf(nd, ...) pc_sb_printf((nd)->o, __VA_ARGS__)
void nd_puts(struct pc_nd *nd, const char *s);
/* The address at p (4 or 16 bytes, checked) as tcpdump -n prints it. */
const char *nd_ip4(struct pc_nd *nd, const uint8_t *p, char buf[16]);
const char *nd_ip6(struct pc_nd *nd, const uint8_t *p, char buf[46]);

/* The IP layer a transport printer is under, for its addresses and checksum. */
struct nd_ipinfo {
	int v6;
	const uint8_t *src, *dst; /* 4 or 16 bytes, already checked */
	int fragmented;		  /* not the whole datagram: no checksum */
	int direct;		  /* the IP header names this transport (no IPv6
				   * extension header): it prints the addresses */
};

/* One's complement sum of p[0..n) (checked) plus the pseudo-header of
 * proto/len; 0 when the checksum is right. */
uint16_t nd_l4_cksum(struct pc_nd *nd, const struct nd_ipinfo *ip, uint8_t proto, const uint8_t *p,
		     uint32_t n);
uint16_t nd_cksum(struct pc_nd *nd, const uint8_t *p, uint32_t n);
/* The checksum field value that would have been right (in_cksum_shouldbe). */
uint16_t nd_cksum_shouldbe(uint16_t sum, uint16_t computed);

/* TCP's and UDP's start: the addresses alone and " [|proto]" when the
 * ports are cut, else "addr.port > addr.port: " (the ports alone after
 * IPv6 extension headers, which printed the addresses). */
void nd_ports_start(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p);
void nd_ports_print(struct pc_nd *nd, const struct nd_ipinfo *ip, uint16_t sport, uint16_t dport);

/* Transport printers: p is the header, len the bytes of the datagram from
 * it (as the IP header says). */
void nd_tcp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len);
void nd_udp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len);
void nd_icmp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len);
void nd_icmp6_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t len);
/* DNS message at p of len bytes; over_tcp: with its 2-byte length prefix. */
void nd_dns_print(struct pc_nd *nd, const uint8_t *p, uint32_t len, int over_tcp);
/* An IPv4 or IPv6 packet inside another (ICMP's quoted packet): len bytes. */
void nd_ip_inner(struct pc_nd *nd, const uint8_t *p, uint32_t len);
/* "TCP", "UDP", ... as tcpdump's ipproto table names them, or NULL. */
const char *nd_ipproto_name(uint8_t proto);

#endif
