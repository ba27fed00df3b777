/* Per-process and per-connection traffic for pidcap top and the exporter:
 * reads the kernel's per-CPU flow counters (counting mode), turns them into
 * totals and rates, and keeps exited processes for a while.
 * Not for drawing or serving: top.c and exporter.c do that. */
#ifndef PIDCAP_FLOWTAB_H
#define PIDCAP_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>
#include "records.h"

struct pc_traffic {
	uint64_t tx_bytes, rx_bytes;     /* IP bytes on the wire, totals */
	uint64_t tx_payload, rx_payload; /* L4 payload bytes, totals */
	uint64_t tx_packets, rx_packets;
	double tx_rate, rx_rate;         /* bytes/s over the last interval */
	double tx_pkt_rate, rx_pkt_rate; /* packets/s */
};

/* One connection of a process: key.dir is always PC_DIR_OUT here. */
struct pc_conn {
	struct pc_flow_key key;
	struct pc_traffic t;
	uint64_t last_ns;                /* last packet, bpf_ktime_get_ns() */
};

struct pc_proc_row {
	uint32_t pid;                    /* 0: traffic no process owns */
	uint32_t uid, tid;
	char comm[PC_COMM_LEN];
	struct pc_traffic t;
	int exited;                      /* exit event seen */
	struct pc_conn *conns;           /* busiest first */
	size_t nconns;
};

struct pc_flowtab;

/* What the bounds cost, all counts only growing. */
struct pc_flowtab_stats {
	uint64_t folded;   /* connections that left the kernel's map (or were idle),
			    * folded into their process's totals */
	uint64_t evicted;  /* connections folded early: the table was at its limit */
	uint64_t full;     /* additions with no room even for the process's total:
			    * in the overall totals only */
};

/* flows_fd: the kernel's "flows" map, fold_fd its per-process overflow
 * (-1: none). keep_intervals: how many updates an exited process stays
 * listed. */
int pc_flowtab_new(struct pc_flowtab **out, int flows_fd, int fold_fd,
		   unsigned int keep_intervals);
void pc_flowtab_free(struct pc_flowtab *t);
/* Reads the kernel counters and recomputes rows and rates; returns 0 or a
 * negative errno. Kernel entries idle for idle_ns are deleted there (their
 * totals stay here). */
int pc_flowtab_update(struct pc_flowtab *t, uint64_t now_ns, uint64_t idle_ns);
/* Rows of the last update (exited processes included while kept). Valid
 * until the next update. */
size_t pc_flowtab_rows(const struct pc_flowtab *t, const struct pc_proc_row **rows);
/* The bounds' counters. */
void pc_flowtab_stats(const struct pc_flowtab *t, struct pc_flowtab_stats *st);
/* Processes whose traffic is not wanted after all: the kernel counts a
 * process of a cgroup the cgroup filter had no answer for yet, and the
 * answer comes later. keep(pid) returning 0 drops its kernel entries
 * uncounted. NULL: every process. */
void pc_flowtab_set_keep(struct pc_flowtab *t, int (*keep)(void *ctx, uint32_t pid), void *ctx);
/* At most limit entries (default 131072, above the kernel maps' 81920);
 * connections fold into their processes past it. For tests. */
void pc_flowtab_set_limit(struct pc_flowtab *t, size_t limit);
/* Sum of all traffic ever counted, processes no longer listed included. */
void pc_flowtab_totals(const struct pc_flowtab *t, struct pc_traffic *sum);
/* A process exited (from the kernel's exit event). */
void pc_flowtab_exited(struct pc_flowtab *t, uint32_t pid);

/* Counting in user space (the fallback backend has no flows map: pass
 * flows_fd -1 to pc_flowtab_new): traffic added to the entry of k, as the
 * kernel would have summed it; rates follow at the next update. owner
 * (may be NULL) names the process. Connections idle for the update's
 * idle_ns fold into their process's total. Returns 0: a full table folds
 * (counted), it never refuses. */
int pc_flowtab_add(struct pc_flowtab *t, const struct pc_flow_key *k, uint64_t bytes,
		   uint64_t payload, uint64_t packets, const struct pc_owner *owner, uint64_t ts_ns);
/* A packet record (header-only is enough) into pc_flowtab_add: its owner's
 * end, and the peer's end on loopback. Returns 0 or a negative errno. */
int pc_flowtab_add_packet(struct pc_flowtab *t, const struct pc_packet *rec, size_t size);

#endif
