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
/* One classic BPF instruction, laid out as libpcap's and the kernel's
 * (struct bpf_insn of pcap/bpf.h, struct sock_filter of linux/filter.h). */
struct pc_cbpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* The compiled program, valid as long as f. */
void pc_pktfilter_cbpf(const struct pc_pktfilter *f, const struct pc_cbpf_insn **insns,
		       size_t *n);
/* Runs a classic program of n instructions with pcap_offline_filter (for
 * tests of programs libpcap did not compile): 1 accepted, 0 not. The
 * program must be valid (bpf_validate): libpcap runs it unchecked. */
int pc_pktfilter_match_cbpf(const struct pc_cbpf_insn *insns, size_t n, const uint8_t *pkt,
			    uint32_t caplen, uint32_t wirelen);
/* 1 when the packet matches (or f is NULL), 0 otherwise. */
int pc_pktfilter_match(const struct pc_pktfilter *f, const uint8_t *pkt, uint32_t caplen,
		       uint32_t wirelen);

#endif
