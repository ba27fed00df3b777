/* pcapng writer for packet records: a Section Header Block, one Interface
 * Description Block per (netns, ifname) seen, a Darwin Process Information
 * Block per (pid, name) seen, and an Enhanced Packet Block per packet with a
 * synthesized LINUX_SLL2 header, direction flags, pid/tid option, process
 * block indexes and process comment. Library code: no printing, no exiting,
 * no file names or rotation (capout.c does those); writes whole blocks. */
#ifndef PIDCAP_PCAPNG_WRITE_H
#define PIDCAP_PCAPNG_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include "records.h"

#define PC_LINKTYPE_LINUX_SLL2 276
#define PC_SLL2_HDR_LEN 20
#define PC_PCAPNG_MAX_IFACES 65536
/* Process blocks kept per file before the table starts again (the blocks
 * of processes seen again are then written again, with new indexes). */
#define PC_PCAPNG_MAX_PROCS 65536
#define PC_PCAPNG_NO_PROC UINT32_MAX

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
/* The index, in this file, of the Darwin Process Information Block of
 * (pid, name), writing the block first (pid, then option 2 with the name
 * escaped as pc_escape_text does) when this file has none for that pair:
 * a process's first packet, and its first after a name change (exec).
 * name: at most PC_COMM_LEN bytes, NUL-terminated. Returns 0 or a negative
 * errno. */
int pc_pcapng_w_process(struct pc_pcapng_w *w, uint32_t pid, const char *name, uint32_t *index);

/* What an Enhanced Packet Block carries besides the packet. */
struct pc_pcapng_pkt {
	uint32_t pid, tid;  /* option 8 (epb_processid_threadid) when pid != 0 */
	uint32_t proc;      /* option 0x8001: owner's process block, or NO_PROC */
	uint32_t eproc;     /* option 0x8003: "effective" process, or NO_PROC */
	const char *comment; /* opt_comment, NULL for none; at most 65535 bytes */
	int comment_len;    /* its length, or -1: strlen */
};

/* Writes one packet: the IDB of its interface first if this file has not
 * got it yet, then the EPB. ts_real_ns: wall-clock time in nanoseconds.
 * Returns 0 or a negative errno (-EINVAL: comment too long or record
 * inconsistent, -ENOSPC: too many interfaces, or the errno of the failed
 * write). */
int pc_pcapng_w_packet(struct pc_pcapng_w *w, const struct pc_packet *rec, uint64_t ts_real_ns,
		       const struct pc_pcapng_pkt *opts);
/* Bytes written to the current file so far. */
uint64_t pc_pcapng_w_bytes(const struct pc_pcapng_w *w);
/* After a failed write: the end of the last whole block in a file of
 * `size` bytes, at least `known` (an end known to be on disk), for a cut
 * that leaves only whole blocks. */
uint64_t pc_pcapng_w_whole_end(const struct pc_pcapng_w *w, uint64_t size, uint64_t known);
/* Frees the writer; does not close its FILE. Accepts NULL. */
void pc_pcapng_w_free(struct pc_pcapng_w *w);

/* The 20-byte LINUX_SLL2 header pidcap puts before the IP bytes of rec. */
void pc_sll2_header(const struct pc_packet *rec, uint8_t out[PC_SLL2_HDR_LEN]);

#endif
