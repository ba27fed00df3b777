/* Compiles tcpdump filter expressions with libpcap (pcap_compile on a dead
 * DLT_RAW handle, since records start at the IP header) and runs them
 * with pcap_offline_filter. Not for anything but matching bytes. */
#include <errno.h>
#include <stddef.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include "packet/pktfilter.h"

struct pc_pktfilter {
	struct bpf_program prog;
};

int pc_pktfilter_new(struct pc_pktfilter **out, const char *expr, uint32_t snaplen, char *err,
		     size_t errlen)
{
	struct pc_pktfilter *f;
	pcap_t *dead;
	int ret = 0;

	*out = NULL;
	dead = pcap_open_dead(DLT_RAW, snaplen);
	if (!dead) {
		snprintf(err, errlen, "cannot open a libpcap handle");
		return -ENOMEM;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (pcap_compile(dead, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		ret = -EINVAL;
		snprintf(err, errlen, "invalid filter '%s': %s", expr, pcap_geterr(dead));
		free(f);
		goto out;
	}
	*out = f;
out:
	pcap_close(dead);
	return ret;
}

_Static_assert(sizeof(struct pc_cbpf_insn) == sizeof(struct bpf_insn), "cBPF layout");
_Static_assert(offsetof(struct pc_cbpf_insn, k) == offsetof(struct bpf_insn, k), "cBPF layout");

void pc_pktfilter_cbpf(const struct pc_pktfilter *f, const struct pc_cbpf_insn **insns,
		       size_t *n)
{
	*insns = (const struct pc_cbpf_insn *)f->prog.bf_insns;
	*n = f->prog.bf_len;
}

void pc_pktfilter_free(struct pc_pktfilter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	free(f);
}

int pc_pktfilter_match(const struct pc_pktfilter *f, const uint8_t *pkt, uint32_t caplen,
		       uint32_t wirelen)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };

	if (!f)
		return 1;
	return pcap_offline_filter(&f->prog, &h, pkt) != 0;
}

int pc_pktfilter_match_cbpf(const struct pc_cbpf_insn *insns, size_t n, const uint8_t *pkt,
			    uint32_t caplen, uint32_t wirelen)
{
	struct bpf_program prog = { .bf_len = n, .bf_insns = (struct bpf_insn *)insns };
	struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };

	if (!bpf_validate(prog.bf_insns, (int)n))
		return 0;
	return pcap_offline_filter(&prog, &h, pkt) != 0;
}
