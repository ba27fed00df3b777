/* The state of the fallback backend, shared by its files only: backend.c
 * (set-up, the consume loop), backend_queue.c (the FIFO of packets and
 * events, owner look-ups, handing records over) and backend_procs.c (the
 * pid filter set, process details, process and socket events).
 * Not for callers: they use fallback/backend.h. */
#ifndef PIDCAP_BACKEND_STATE_H
#define PIDCAP_BACKEND_STATE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>
#include "lib/htab.h"
#include "fallback/backend.h"
#include "fallback/owner_rules.h"
#include "fallback/procconn.h"
#include "fallback/procfd.h"

#define MS 1000000ULL
#define MAX_QUEUE 200000           /* packets waiting; past it the oldest go unattributed */
#define PROC "/proc"

struct qent {
	struct qent *next;
	struct qent *wnext;             /* in the list of packets waiting for owners */
	int in_wait;
	uint64_t arrived_ns;
	int is_packet;
	int nsides;                     /* sides to look up: 0, 1 or 2 (loopback) */
	int done[2];
	struct pc_sock_query q[2];      /* [0] the owner's end, [1] the peer's */
	struct pc_owner_answer ans[2];
	size_t size;
	uint8_t rec[] __attribute__((aligned(8)));
};

struct bucket {
	double tokens, rate, burst;
	uint64_t last_ns;
};

struct pc_pcapback {
	pc_record_fn fn;
	void *ctx;
	uint32_t snaplen;
	int want_in, want_out, count_mode;
	int filter_pids, follow_children;
	char comm[PC_COMM_LEN];
	int uid_set;
	uint32_t uid;
	int (*cgroup_match)(void *ctx, uint64_t cgroup_id); /* the cgroup filter, or NULL */
	void *cgroup_ctx;
	struct pc_htab pids;    /* pid -> PID_LIVE, or the exit time | 1 */
	uint64_t last_pid_sweep;

	pcap_t *pcap;
	int dlt;
	int ep, timer_fd, diag_fd, diag_ev_fd, cn_fd, pcap_fd;
	struct pc_owners *own;
	struct qent *head, *tail;
	size_t qlen, qbytes;
	struct qent *waiting, **wtail;  /* unresolved packets, oldest first */
	int queries_left;               /* this round: the query bucket had tokens */
	struct bucket scans, queries;
	uint64_t next_scan_ns, last_expire_ns;
	int64_t real_to_mono, boot_to_mono;
	uint32_t netns, lo_ifindex;
	struct {
		uint32_t index;
		char name[IF_NAMESIZE];
	} ifs[64];
	char cgroot[4096];
	uint64_t cnt[PC_CNT_MAX];
	char method[512];
};

/* ---- backend_queue.c ---- */

/* A new record of size bytes at the tail of the queue (NULL: out of memory). */
struct qent *pb_enqueue(struct pc_pcapback *b, size_t size, int is_packet, uint64_t now);
/* libpcap's callback: one packet into the queue, its owner looked up. */
void pb_on_pcap(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes);
/* Tries the waiting packets again; drops the resolved ones from the list. */
void pb_resolve(struct pc_pcapback *b, uint64_t now);
/* One coalesced, rate-limited scan for every inode waiting. Returns 1 if it ran. */
int pb_scan(struct pc_pcapback *b, uint64_t now);
/* pc_procfd_fn of every scan: one holder for the owner rules. */
int pb_on_scan_holder(void *ctx, uint32_t pid, uint32_t inode);
/* Hands the ready records at the head over; *stop when the callback asks. */
int pb_emit(struct pc_pcapback *b, uint64_t now, int *stop);

/* ---- backend_procs.c ---- */

/* pid is in the --pid / -- CMD set (or left it less than 2 s ago). */
int pb_in_set(const struct pc_pcapback *b, uint32_t pid);
/* Once a second: members that exited a while ago leave the set. */
void pb_sweep_pids(struct pc_pcapback *b, uint64_t now);
/* Reads what an owner record and the filters need about pid. */
int pb_read_info(struct pc_pcapback *b, uint32_t pid, struct pc_procfd_info *pi);
/* The proc connector's callback (pc_procconn_fn). */
void pb_on_proc_event(void *ctx, const struct pc_procconn_event *ev);
/* sock_diag destroy notifications' callback (pc_sock_fn). */
int pb_on_destroy(void *ctx, const struct pc_sock *sk);

#endif
