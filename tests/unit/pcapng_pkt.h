/* For unit tests of the pcapng writer and reader: one packet written with
 * option 8 and a comment only, as pidcap wrote them before process blocks.
 * Not for tests of process blocks: they fill struct pc_pcapng_pkt. */
#ifndef PIDCAP_TEST_PCAPNG_PKT_H
#define PIDCAP_TEST_PCAPNG_PKT_H

#include "pcapfile/pcapng_write.h"

static inline int pkt(struct pc_pcapng_w *w, const struct pc_packet *rec, uint64_t ts,
		      uint32_t pid, uint32_t tid, const char *comment)
{
	struct pc_pcapng_pkt o = { .pid = pid, .tid = tid, .proc = PC_PCAPNG_NO_PROC,
				   .eproc = PC_PCAPNG_NO_PROC, .comment = comment,
				   .comment_len = -1 };

	return pc_pcapng_w_packet(w, rec, ts, &o);
}

#endif
