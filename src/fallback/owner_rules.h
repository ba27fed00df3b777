/* Who owns a packet's socket, for the fallback backend (no eBPF): sockets
 * from sock_diag, their holders from /proc/PID/fd scans, and process
 * events (fork, exec, exit), each with the time it was observed, combined
 * by rules that answer "unknown" rather than a wrong process. Pure logic
 * over what the caller feeds in, unit tested with made-up times: the rules
 * in owner_rules.c, the tables they read in owner_socks.c (sock_diag),
 * owner_scans.c (/proc/PID/fd), owner_pids.c (process events) and
 * owner_tables.c (storage, expiry), all over owner_tables.h.
 * Not for netlink, /proc or pcap I/O (sockdiag.c, procfd.c, fallback/backend.c). */
#ifndef PIDCAP_OWNERS_H
#define PIDCAP_OWNERS_H

#include <stddef.h>
#include <stdint.h>
#include "fallback/sockdiag.h"

struct pc_owners;

/* Times are CLOCK_MONOTONIC nanoseconds. */
int pc_owners_new(struct pc_owners **out, uint64_t now_ns);
void pc_owners_free(struct pc_owners *o);

enum pc_owner_kind {
	PC_OWNER_NONE = 0, /* no process can be named without risking a wrong one */
	PC_OWNER_EXACT,    /* the socket and its only holder are known for that time */
	PC_OWNER_GUESS,    /* likely, not certain: a UDP port seen only after the packet */
};

struct pc_owner_answer {
	int kind;             /* enum pc_owner_kind */
	uint32_t pid;         /* 0 with PC_OWNER_NONE */
	uint64_t cookie;      /* the socket, 0 when unknown */
	uint32_t inode;       /* its inode, 0 when unknown */
	uint32_t sock_uid;    /* sock_diag's uid of the socket */
};

enum pc_owner_step {
	PC_OWNERS_DONE = 0,   /* *ans is final */
	PC_OWNERS_NEED_QUERY, /* ask sock_diag for q, then pc_owners_query_result() */
	PC_OWNERS_NEED_SCAN,  /* the holders of *inode are needed: scan, then ask again */
};

/* The socket at the local end of q (q's local end = this host's side) for a
 * packet at t_ns. Returns enum pc_owner_step; *inode is set for NEED_SCAN.
 * Negative answers are remembered for a short time (then NEED_QUERY again). */
int pc_owners_lookup(struct pc_owners *o, const struct pc_sock_query *q, uint64_t t_ns,
		     uint64_t now_ns, struct pc_owner_answer *ans, uint32_t *inode);

/* The answer of sock_diag to q, asked at [asked_ns, now_ns]: sk, or NULL
 * when there is no such socket. */
void pc_owners_query_result(struct pc_owners *o, const struct pc_sock_query *q,
			    const struct pc_sock *sk, uint64_t asked_ns, uint64_t now_ns);

/* A socket from a dump (start-up): known from then on, as if it had been
 * queried at seen_ns. */
void pc_owners_add_socket(struct pc_owners *o, const struct pc_sock *sk, uint64_t seen_ns);

/* sock_diag destroy notification: the socket with this cookie is gone
 * (at the latest at now_ns). */
void pc_owners_socket_gone(struct pc_owners *o, uint64_t cookie, uint64_t now_ns);

/* Scans of /proc/PID/fd. A full scan (every process) replaces everything
 * known about holders; a partial one re-observes the inodes it was asked
 * for (pc_owners_rescan_pids) among the pids it read.
 * begin(start) -> holder(pid, inode)... -> end(done). */
void pc_owners_scan_begin(struct pc_owners *o, int full, uint64_t start_ns);
void pc_owners_scan_holder(struct pc_owners *o, uint32_t pid, uint32_t inode);
void pc_owners_scan_end(struct pc_owners *o, uint64_t end_ns);

/* Inodes waiting for a scan: 1 when one of them was never observed (a full
 * scan is needed), 0 when re-reading pids[0..*npids) is enough (their
 * known holders and those holders' children), which fills at most max. */
int pc_owners_rescan_pids(struct pc_owners *o, uint32_t *pids, size_t max, size_t *npids);
/* Number of inodes waiting for a scan. */
size_t pc_owners_pending_scans(const struct pc_owners *o);

/* Process events. born/exit times bound when a pid can own anything. */
void pc_owners_fork(struct pc_owners *o, uint32_t ppid, uint32_t pid, uint64_t ts_ns);
void pc_owners_exec(struct pc_owners *o, uint32_t pid, uint64_t ts_ns);
void pc_owners_exit(struct pc_owners *o, uint32_t pid, uint64_t ts_ns);
/* A process met in a scan that no fork event announced: started at
 * born_ns (0: before pidcap started). */
void pc_owners_process(struct pc_owners *o, uint32_t pid, uint32_t ppid, uint64_t born_ns);

/* Owner details of a pid, kept with it (read from /proc by the caller).
 * info_wanted: 1 when the caller should read and set them (new pid, or
 * exec since). */
struct pc_owner_info {
	char comm[16];
	uint32_t uid;
	uint64_t cgroup_id;
	int uid_known;
};
int pc_owners_info_wanted(struct pc_owners *o, uint32_t pid);
void pc_owners_set_info(struct pc_owners *o, uint32_t pid, const struct pc_owner_info *info);
/* NULL when never set. */
const struct pc_owner_info *pc_owners_info(struct pc_owners *o, uint32_t pid);
/* comm changed (PR_SET_NAME). */
void pc_owners_set_comm(struct pc_owners *o, uint32_t pid, const char *comm);

/* Forgets idle flows, dead sockets and long-exited pids. Call about once
 * a second. */
void pc_owners_expire(struct pc_owners *o, uint64_t now_ns);

struct pc_owners_stats {
	size_t flows, sockets, inodes, pids;
	uint64_t queries, scans_full, scans_partial;
};
void pc_owners_stats(const struct pc_owners *o, struct pc_owners_stats *st);

#endif
