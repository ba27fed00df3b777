// sources: src/packet/nd_ip.c src/packet/nd_tcp.c src/packet/nd_udp.c src/packet/nd_icmp.c
// sources: src/packet/nd_icmp6.c src/packet/nd_dns.c src/lib/strbuf.c
/* libFuzzer target for the tcpdump-style printers (src/packet/nd_*.c):
 * arbitrary bytes as an IP packet under every -v/-q/-e setting, into exact
 * and small buffers. Not for decode.c (fuzz_decode.c) or link layers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/nd.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pc_nd_tcpseq *seqs;
	uint32_t n = size > 65535 ? 65535 : (uint32_t)size;
	size_t caps[] = {4096, 64, 1};
	char *buf;
	int v, i;

	if (!seqs)
		seqs = pc_nd_tcpseq_new();
	for (v = 0; v < 4; v++)
		for (i = 0; i < 3; i++) {
			struct pc_sb o;
			struct pc_nd nd = {.o = &o,
					   .vflag = v,
					   .qflag = v == 3,
					   .eflag = i == 1,
					   .seqs = i ? seqs : NULL};

			buf = malloc(caps[i]);
			if (!buf)
				return 0;
			pc_sb_fixed(&o, buf, caps[i]);
			/* the wire length as captured, and longer (cut by the snap length) */
			pc_nd_ip_print(&nd, data, n, v & 1 ? n : n + 100);
			check(strlen(buf) < caps[i]);
			free(buf);
		}
	return 0;
}
