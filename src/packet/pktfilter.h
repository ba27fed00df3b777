/* pcap filter expressions (tcpdump syntax), compiled by libpcap for
 * packets that start at the IP header. Not for process filters: those run
 * in the kernel (capture/ebpf.c). */
#ifndef PIDCAP_PKTFILTER_H
#define PIDCAP_PKTFILTER_H

#include <stddef.h>
#include <stdint.h>

struct pc_pktfilter;

/* Compiles expr; on error returns -EINVAL with libpcap's message in err. */
int pc_pktfilter_new(struct pc_pktfilter **out, const char *expr, uint32_t snaplen, char *err,
		     size_t errlen);
void pc_pktfilter_free(struct pc_pktfilter *f);
/* 1 when the packet matches (or f is NULL), 0 otherwise. */
int pc_pktfilter_match(const struct pc_pktfilter *f, const uint8_t *pkt, uint32_t caplen,
		       uint32_t wirelen);

#endif
