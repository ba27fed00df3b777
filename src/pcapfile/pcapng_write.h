/* pcapng writer for packet records: a Section Header Block, one Interface
 * Description Block per (netns, ifname) seen, and an Enhanced Packet Block
 * per packet with a synthesized LINUX_SLL2 header, direction flags, pid/tid
 * option and process comment. Library code: no printing, no exiting, no
 * file names or rotation (capout.c does those); writes whole blocks to a FILE*. */
#ifndef PIDCAP_PCAPNG_WRITE_H
#define PIDCAP_PCAPNG_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include "records.h"

#define PC_LINKTYPE_LINUX_SLL2 276
#define PC_SLL2_HDR_LEN 20
#define PC_PCAPNG_MAX_IFACES 65536

struct pc_pcapng_section {
	const char *hardware; /* shb_hardware, NULL to leave out */
	const char *os;       /* shb_os */
	const char *userappl; /* shb_userappl, e.g. "pidcap 0.1.0" */
};

struct pc_pcapng_w;

/* Creates a writer for f and writes the Section Header Block (f NULL:
 * nothing is written before pc_pcapng_w_restart()). snaplen: the
 * IP bytes kept per packet (the IDBs say snaplen + 20 for the SLL2 header).
 * The strings of sec are copied. Returns 0 or a negative errno. */
int pc_pcapng_w_new(struct pc_pcapng_w **out, FILE *f, const struct pc_pcapng_section *sec,
		    uint32_t snaplen);
/* Starts a new file on f (rotation): SHB, then the IDBs of every interface
 * seen so far, in the same order, so interface ids stay the same. The old
 * FILE is neither flushed nor closed. Returns 0 or a negative errno. */
int pc_pcapng_w_restart(struct pc_pcapng_w *w, FILE *f);
/* Writes one packet: the IDB of its interface first if this file has not
 * got it yet, then the EPB. ts_real_ns: wall-clock time in nanoseconds.
 * pid/tid go into option 8 when pid != 0. comment (may be NULL) is an
 * opt_comment, at most 65535 bytes. Returns 0 or a negative errno
 * (-EINVAL: comment too long or record inconsistent, -ENOSPC: too many
 * interfaces, or the errno of the failed write). */
int pc_pcapng_w_packet(struct pc_pcapng_w *w, const struct pc_packet *rec, uint64_t ts_real_ns,
		       uint32_t pid, uint32_t tid, const char *comment);
/* Bytes written to the current file so far. */
uint64_t pc_pcapng_w_bytes(const struct pc_pcapng_w *w);
/* Frees the writer; does not close its FILE. Accepts NULL. */
void pc_pcapng_w_free(struct pc_pcapng_w *w);

/* The 20-byte LINUX_SLL2 header pidcap puts before the IP bytes of rec. */
void pc_sll2_header(const struct pc_packet *rec, uint8_t out[PC_SLL2_HDR_LEN]);

#endif
