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
	int quiet;              /* -q */
	int link;               /* -e: the link part (interface index, protocol) */
	int tstamp;             /* -t count (0: time of day) */
	int nano;               /* nanosecond time stamps */
	int hex, hexascii, ascii; /* -x -X -A counts (2: from the link header) */
	int number;             /* -#: packet numbers */
	uint64_t count;         /* packets formatted (for -#) */
	int64_t first_ns, prev_ns; /* for -ttt and -ttttt */
	struct pc_procs *procs;
	int64_t mono_to_real_ns; /* add to a record's ts_ns for wall time */
};

/* Formats one packet record into buf (text or JSON per pr, no newline);
 * returns the length, truncated to len - 1. */
size_t pc_format_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns,
			char *buf, size_t len);
/* Formats and writes one line to pr->out. */
void pc_print_packet(struct pc_printer *pr, const struct pc_packet *rec, uint64_t now_ns);

/* For packets read from capture files: the processes come from m (the
 * file's comment and pid/tid option) instead of the process cache, so the
 * lines are the same as live ones. m may be NULL (no process). flags: */
struct pc_meta;
#define PC_FMT_NO_PROCESS 1u /* the file has no process information: text
			      * lines end after the packet summary */
#define PC_FMT_NO_DIR 2u     /* direction unknown: no In/Out in text,
			      * "dir":null in JSON */
size_t pc_format_packet_meta(struct pc_printer *pr, const struct pc_packet *rec,
			     const struct pc_meta *m, unsigned int flags, char *buf, size_t len);
void pc_print_packet_meta(struct pc_printer *pr, const struct pc_packet *rec,
			  const struct pc_meta *m, unsigned int flags);

#endif
