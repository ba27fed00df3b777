/* -w: the capture files of a live capture. Names them (-C/-W/-G rotation as
 * in tcpdump), opens and closes them, and turns each packet record plus the
 * process cache into a pcapng packet. Not for the pcapng bytes
 * (pcapng_write.c) or for printing: errors come back in err. */
#ifndef PIDCAP_CAPOUT_H
#define PIDCAP_CAPOUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "pcapfile/pcapng_comment.h"
#include "records.h"

struct pc_procs;

struct pc_capout_opts {
	const char *path;      /* "-" = stdout (no rotation) */
	uint64_t rotate_bytes; /* -C in bytes, 0 = off */
	uint32_t ring_files;   /* -W */
	uint32_t rotate_secs;  /* -G, 0 = off */
	uint32_t snaplen;      /* IP bytes kept per packet */
	const char *userappl;  /* "pidcap 0.1.0" */
	int no_comments;       /* --no-comments: no key=value comment per packet */
};

struct pc_capout;

/* Opens the first file and writes its Section Header Block. now_real_ns:
 * wall-clock time, starts the first -G interval. Returns 0 or a negative
 * errno with a message in err. */
int pc_capout_open(struct pc_capout **out, const struct pc_capout_opts *o, uint64_t now_real_ns,
		   char *err, size_t errlen);
/* Writes one packet, first rotating when -C or -G says so, and first the
 * process blocks of its owner and local peer when the file has none for
 * them yet. procs names the processes for the comment (may be NULL);
 * ts_real_ns is the packet's wall-clock time.
 * Returns 0, 1 when -G with -W has written its COUNT files (stop: the
 * packet was not written), or a negative errno with err set. */
int pc_capout_packet(struct pc_capout *c, const struct pc_packet *rec, struct pc_procs *procs,
		     uint64_t now_ns, uint64_t ts_real_ns, char *err, size_t errlen);
/* fflush of the current file. Returns 0 or a negative errno with err. */
int pc_capout_flush(struct pc_capout *c, char *err, size_t errlen);
/* Flushes and closes (not stdout); frees. Accepts NULL. Returns 0 or a
 * negative errno with err. */
int pc_capout_close(struct pc_capout *c, char *err, size_t errlen);

/* The process of each end of rec from the live process cache (procs may be
 * NULL: pid, tid, uid and comm only), as the live printer would name it. */
void pc_meta_from_procs(struct pc_meta *m, const struct pc_packet *rec, struct pc_procs *procs,
			uint64_t now_ns);

/* Name of a capture file, as tcpdump names them. pattern: the -w argument;
 * with use_strftime it is first passed through strftime for local time t.
 * n: the file's number (counting from 0) within the name; ring: -W of a
 * ring (0 = none). n 0 without a ring: the pattern itself; otherwise the
 * pattern plus n (n % ring, zero-padded to the digits of ring - 1).
 * Returns 0, or -ENAMETOOLONG / -EINVAL (empty strftime result). */
int pc_capout_name(char *buf, size_t len, const char *pattern, int use_strftime, time_t t,
		   uint32_t n, uint32_t ring);

#endif
