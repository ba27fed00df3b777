/* Output of packet records as tcpdump-style text lines or JSON lines,
 * with the owning (and peer) process named from the process cache.
 * Not for capture or filtering: it formats what it is given. */
#ifndef PIDCAP_PRINT_H
#define PIDCAP_PRINT_H

#include <stdint.h>
#include <stdio.h>
#include "records.h"

struct pc_procs;

struct pc_printer {
	FILE *out;
	int json;
	int verbose;
	struct pc_procs *procs;
	int64_t mono_to_real_ns; /* add to a record's ts_ns for wall time */
};

/* Formats one packet record into buf (text or JSON per pr, no newline);
 * returns the length, truncated to len - 1. */
size_t pc_format_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns,
			char *buf, size_t len);
/* Formats and writes one line to pr->out. */
void pc_print_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns);

#endif
