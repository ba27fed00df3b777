/* Reader of capture files (pcap in both byte orders and resolutions, and
 * pcapng): hands each IP packet to a callback as a packet record plus the
 * process the file recorded for it (pidcap's comment, Darwin process blocks
 * as pidcap and macOS tcpdump -k write them, option 8). A parser of
 * untrusted input: never trusts a length. Not for printing or filtering (offline.c does those). */
#ifndef PIDCAP_CAPFILE_READ_H
#define PIDCAP_CAPFILE_READ_H

#include <stdint.h>
#include <stdio.h>
#include "pcapfile/pcapng_comment.h"
#include "records.h"

#define PC_CAPFILE_MAX_BLOCK (16u << 20) /* larger blocks/records: an error */
#define PC_CAPFILE_MAX_IFACES 65536      /* per pcapng section */
#define PC_CAPFILE_MAX_PROCS (1u << 20)  /* process blocks per section */

/* Positive results of pc_capfile_read(). */
#define PC_CAPFILE_TRUNCATED 1 /* the file ends inside a block: warning in err */
#define PC_CAPFILE_STOPPED 2   /* the callback asked to stop */

enum pc_capfile_format {
	PC_CAPFILE_PCAP = 1,
	PC_CAPFILE_PCAPNG = 2,
};

/* One packet. rec->data (also ip) holds rec->caplen bytes starting at the
 * IP header; rec->ts_ns is wall-clock nanoseconds; rec->ifname is "" when
 * the file names no interface. owner/peer in rec are set from meta. */
struct pc_capfile_pkt {
	const struct pc_packet *rec;
	const uint8_t *ip;
	const struct pc_meta *meta; /* process info of the packet, NULL if none */
	int dir_known;              /* 0: rec->dir is PC_DIR_IN by default */
	uint32_t linktype;
	uint64_t offset;            /* of its block (pcapng) or record (pcap) */
};

/* Return 0 to go on, anything else to stop reading. */
typedef int (*pc_capfile_fn)(void *ctx, const struct pc_capfile_pkt *pkt);

struct pc_capfile_stats {
	int format;              /* enum pc_capfile_format, 0 before the magic */
	uint64_t packets;        /* handed to the callback */
	uint64_t skipped;        /* not IP, or a link type without IP decoding */
	int pidcap_section;      /* a pcapng section written by pidcap was seen */
};

/* Reads f to its end (or until fn stops it). Returns 0, PC_CAPFILE_STOPPED,
 * PC_CAPFILE_TRUNCATED (a warning in err: every whole packet before it was
 * handed over), or a negative errno with "offset N: problem" in err:
 * -EINVAL for a corrupt or unsupported file, -EIO, -ENOMEM. st may be NULL. */
int pc_capfile_read(FILE *f, pc_capfile_fn fn, void *ctx, struct pc_capfile_stats *st, char *err,
		    size_t errlen);

#endif
