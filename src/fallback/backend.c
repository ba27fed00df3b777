/* The fallback backend: libpcap packets, stripped to IP, wait in one FIFO
 * (with process events, in arrival order) until the owner of their socket
 * is known or a hold time passes; owners come from sock_diag one-socket
 * queries and /proc/PID/fd scans (rate-limited, coalesced), judged by
 * fallback/owner_rules.c against fork/exec/exit events from the proc connector.
 * Not for the rules of attribution (fallback/owner_rules.c) or the wire formats
 * (sockdiag.c, procconn.c, linkhdr.c). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "lib/clock.h"
#include "lib/htab.h"
#include "proc/cgroups.h"
#include "packet/decode.h"
#include "packet/linkhdr.h"
#include "fallback/owner_rules.h"
#include "fallback/backend.h"
#include "fallback/procconn.h"
#include "fallback/procfd.h"

#define MS 1000000ULL
#define HOLD_NS (300 * MS)         /* a packet waits this long for its owner */
#define TIMER_NS (20 * MS)         /* wake-up while packets wait */
#define PCAP_TIMEOUT_MS 2          /* TPACKET_V3 block timeout: short-lived processes
				    * must still be there when we look */
#define PCAP_BUFFER (16 << 20)
#define COUNT_SNAPLEN 128          /* counting mode: headers only */
#define MAX_QUEUE 200000           /* packets waiting; past it the oldest go unattributed */
#define MAX_QUEUE_BYTES (64u << 20)
#define SCANS_PER_SEC 10.0         /* full /proc scans: token bucket */
#define SCAN_DUTY 4                /* and at most 1/(1+SCAN_DUTY) of the time scanning */
#define QUERIES_PER_SEC 20000.0    /* sock_diag one-socket queries */
#define MAX_RESCAN_PIDS 64
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

static void update_clocks(struct pc_pcapback *b)
{
	b->real_to_mono = pc_clock_offset_ns(CLOCK_REALTIME, CLOCK_MONOTONIC);
	b->boot_to_mono = pc_clock_offset_ns(CLOCK_BOOTTIME, CLOCK_MONOTONIC);
}

static int take(struct bucket *k, uint64_t now)
{
	k->tokens += (now - k->last_ns) / 1e9 * k->rate;
	if (k->tokens > k->burst)
		k->tokens = k->burst;
	k->last_ns = now;
	if (k->tokens < 1)
		return 0;
	k->tokens -= 1;
	return 1;
}

/* ---- the pid filter set (--pid, -- CMD and its children) ---- */

/* Exited members stay this long (their last packets wait up to 300 ms for
 * an owner), unless a fork reuses the pid first. */
#define PID_KEEP_NS (2000ULL * 1000000)
#define PID_LIVE ((void *)1)

static int in_set(const struct pc_pcapback *b, uint32_t pid)
{
	return pc_htab_get(&b->pids, pid) != NULL;
}

int pc_pcapback_add_pid(struct pc_pcapback *b, uint32_t pid)
{
	return pc_htab_put(&b->pids, pid, PID_LIVE);
}

static void pid_exited(struct pc_pcapback *b, uint32_t pid, uint64_t now)
{
	if (in_set(b, pid))
		pc_htab_put(&b->pids, pid, (void *)(uintptr_t)(now | 1));
}

/* Once a second: members that exited PID_KEEP_NS ago leave. */
static void sweep_pids(struct pc_pcapback *b, uint64_t now)
{
	size_t i;

	if (now - b->last_pid_sweep < 1000000000ULL)
		return;
	b->last_pid_sweep = now;
	for (i = 0; i < b->pids.cap; i++) {
		uintptr_t v = (uintptr_t)b->pids.slots[i].val;

		if (v > 1 && now - v > PID_KEEP_NS) {
			pc_htab_del_at(&b->pids, i);
			i--; /* a later entry may have moved here */
		}
	}
}

/* ---- the queue ---- */

static struct qent *enqueue(struct pc_pcapback *b, size_t size, int is_packet, uint64_t now)
{
	struct qent *e = calloc(1, sizeof(*e) + size);

	if (!e)
		return NULL;
	e->arrived_ns = now;
	e->is_packet = is_packet;
	e->size = size;
	if (b->tail)
		b->tail->next = e;
	else
		b->head = e;
	b->tail = e;
	b->qlen++;
	b->qbytes += size;
	return e;
}

/* ---- process details for owner records ---- */

static uint64_t born_ns(const struct pc_pcapback *b, uint64_t starttime)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t boot;

	if (!starttime || hz <= 0)
		return 0;
	/* rounded up by one tick: never earlier than the real start */
	boot = (starttime + 1) * (1000000000ULL / hz);
	return boot > (uint64_t)b->boot_to_mono ? boot - b->boot_to_mono : 1;
}

/* Reads what an owner record and the filters need about pid. */
static int read_info(struct pc_pcapback *b, uint32_t pid, struct pc_procfd_info *pi)
{
	struct pc_owner_info info;

	if (pc_procfd_read_info(PROC, pid, pi))
		return -ESRCH;
	memset(&info, 0, sizeof(info));
	memcpy(info.comm, pi->comm, sizeof(info.comm));
	info.uid = pi->uid;
	info.uid_known = pi->has_uid;
	if (pi->cgroup[0] && b->cgroot[0])
		pc_cgroup2_dir_id(b->cgroot, pi->cgroup, &info.cgroup_id);
	pc_owners_process(b->own, pid, pi->ppid, born_ns(b, pi->starttime));
	pc_owners_set_info(b->own, pid, &info);
	return 0;
}

/* ---- process events ---- */

static void queue_task_event(struct pc_pcapback *b, uint8_t type, uint32_t pid, uint32_t ppid,
			     uint64_t ts, uint64_t now)
{
	struct qent *e = enqueue(b, sizeof(struct pc_task_event), 0, now);
	struct pc_task_event *te;
	const struct pc_owner_info *info;

	if (!e)
		return;
	te = (struct pc_task_event *)e->rec;
	te->type = type;
	te->pid = pid;
	te->ppid = ppid;
	te->ts_ns = ts;
	info = pc_owners_info(b->own, type == PC_REC_FORK ? ppid : pid);
	if (info) {
		memcpy(te->comm, info->comm, sizeof(te->comm));
		te->uid = info->uid;
	}
}

static void queue_exec(struct pc_pcapback *b, uint32_t pid, uint64_t ts, uint64_t now)
{
	struct pc_procfd_info pi;
	const struct pc_owner_info *info;
	struct pc_exec *ex;
	struct qent *e;
	size_t used;

	if (read_info(b, pid, &pi))
		return; /* gone already: the process cache keeps what it knew */
	e = enqueue(b, sizeof(*ex), 0, now);
	if (!e)
		return;
	ex = (struct pc_exec *)e->rec;
	ex->type = PC_REC_EXEC;
	ex->pid = pid;
	ex->ppid = pi.ppid;
	ex->uid = pi.has_uid ? pi.uid : UINT32_MAX;
	ex->ts_ns = ts;
	info = pc_owners_info(b->own, pid);
	ex->cgroup_id = info ? info->cgroup_id : 0;
	memcpy(ex->comm, pi.comm, sizeof(ex->comm));
	pc_procfd_read_exec(PROC, pid, ex->filename, sizeof(ex->filename), ex->args,
			    sizeof(ex->args), &used);
	ex->args_len = used;
}

static void on_proc_event(void *ctx, const struct pc_procconn_event *ev)
{
	struct pc_pcapback *b = ctx;
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);

	switch (ev->what) {
	case PC_PROCCONN_FORK:
		if (ev->pid != ev->tgid)
			return; /* a thread: same process, same files */
		pc_owners_fork(b->own, ev->ppid, ev->pid, ev->ts_ns);
		if (b->follow_children && in_set(b, ev->ppid))
			pc_pcapback_add_pid(b, ev->pid);
		else /* the pid of an exited member, reused */
			pc_htab_del(&b->pids, ev->pid);
		queue_task_event(b, PC_REC_FORK, ev->pid, ev->ppid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_EXEC:
		pc_owners_exec(b->own, ev->tgid, ev->ts_ns);
		queue_exec(b, ev->tgid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_EXIT:
		if (ev->pid != ev->tgid)
			return;
		pc_owners_exit(b->own, ev->pid, ev->ts_ns);
		pid_exited(b, ev->pid, now);
		queue_task_event(b, PC_REC_EXIT, ev->pid, ev->ppid, ev->ts_ns, now);
		break;
	case PC_PROCCONN_COMM:
		if (ev->pid == ev->tgid)
			pc_owners_set_comm(b->own, ev->tgid, ev->comm);
		break;
	}
}

static int on_destroy(void *ctx, const struct pc_sock *sk)
{
	struct pc_pcapback *b = ctx;

	pc_owners_socket_gone(b->own, sk->cookie, pc_clock_ns(CLOCK_MONOTONIC));
	return 0;
}

/* ---- looking up owners ---- */

static int query(struct pc_pcapback *b, const struct pc_sock_query *q, uint64_t now)
{
	struct pc_sock sk;
	int err;

	if (!take(&b->queries, now))
		return -EAGAIN;
	err = pc_sockdiag_query(b->diag_fd, q, &sk);
	pc_owners_query_result(b->own, q, err ? NULL : &sk, now, pc_clock_ns(CLOCK_MONOTONIC));
	return 0;
}

/* Looks up every side of e not known yet: cached answers, then a
 * sock_diag query while the bucket allows. Returns 1 when all are done. */
static int try_resolve(struct pc_pcapback *b, struct qent *e, uint64_t now)
{
	const struct pc_packet *rec = (const struct pc_packet *)e->rec;
	struct pc_owner_answer ans;
	uint32_t inode;
	int s, r, all = 1;

	for (s = 0; s < e->nsides; s++) {
		if (e->done[s])
			continue;
		r = pc_owners_lookup(b->own, &e->q[s], rec->ts_ns, now, &ans, &inode);
		if (r == PC_OWNERS_NEED_QUERY) {
			if (!b->queries_left || query(b, &e->q[s], now)) {
				b->queries_left = 0;
				all = 0;
				continue;
			}
			r = pc_owners_lookup(b->own, &e->q[s], rec->ts_ns, now, &ans, &inode);
			if (r == PC_OWNERS_NEED_QUERY)
				r = PC_OWNERS_DONE; /* answered "none" without caching */
		}
		/* a socket without file yet (waiting in accept's queue): its
		 * process comes with accept(), ask again later */
		if (r != PC_OWNERS_DONE || (ans.cookie && !ans.inode && now - e->arrived_ns < HOLD_NS)) {
			all = 0;
			continue;
		}
		e->ans[s] = ans;
		e->done[s] = 1;
	}
	return all;
}

/* Tries the waiting packets again; drops the resolved ones from the list. */
static void resolve(struct pc_pcapback *b, uint64_t now)
{
	struct qent **p = &b->waiting, *e;

	b->queries_left = 1;
	while ((e = *p)) {
		if (try_resolve(b, e, now) || now - e->arrived_ns >= HOLD_NS) {
			*p = e->wnext;
			e->wnext = NULL;
			e->in_wait = 0;
			continue;
		}
		p = &e->wnext;
	}
	b->wtail = p;
}

/* ---- packets ---- */

static const char *ifname_of(struct pc_pcapback *b, uint32_t index)
{
	size_t slot = index % (sizeof(b->ifs) / sizeof(b->ifs[0]));

	if (b->ifs[slot].index != index || !b->ifs[slot].name[0]) {
		b->ifs[slot].index = index;
		if (!if_indextoname(index, b->ifs[slot].name))
			b->ifs[slot].name[0] = 0;
	}
	return b->ifs[slot].name;
}

static void set_query(struct pc_sock_query *q, const struct pc_decoded *d, int local_is_src)
{
	size_t alen = d->family == AF_INET ? 4 : 16;

	memset(q, 0, sizeof(*q));
	q->family = d->family;
	q->proto = d->proto;
	q->lport = local_is_src ? d->sport : d->dport;
	q->rport = local_is_src ? d->dport : d->sport;
	memcpy(q->laddr, local_is_src ? d->saddr : d->daddr, alen);
	memcpy(q->raddr, local_is_src ? d->daddr : d->saddr, alen);
}

static void on_pcap(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pc_pcapback *b = (struct pc_pcapback *)user;
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);
	struct pc_linkhdr lh;
	struct pc_packet *rec;
	struct pc_decoded d;
	struct qent *e;
	uint32_t caplen, len;
	int dir, lo;

	if (pc_linkhdr_parse(b->dlt, bytes, h->caplen, &lh) || lh.off > h->caplen || lh.off > h->len)
		return; /* not IP */
	caplen = h->caplen - lh.off;
	len = h->len - lh.off;
	if (caplen > b->snaplen)
		caplen = b->snaplen;
	lo = lh.ifindex && lh.ifindex == b->lo_ifindex;
	dir = lh.pkttype == PC_PKTTYPE_OUTGOING ? PC_DIR_OUT : PC_DIR_IN;
	memset(&d, 0, sizeof(d));
	pc_decode_ip(bytes + lh.off, caplen, len, &d);
	/* loopback TCP/UDP once, as sent, with the receiver as peer (as the
	 * eBPF backend shows it); libpcap delivers only the incoming copy */
	if (lo && d.has_ports && (d.proto == IPPROTO_TCP || d.proto == IPPROTO_UDP))
		dir = PC_DIR_OUT;
	if ((dir == PC_DIR_OUT && !b->want_out) || (dir == PC_DIR_IN && !b->want_in))
		return;
	b->cnt[PC_CNT_SEEN]++;
	e = enqueue(b, sizeof(*rec) + caplen, 1, now);
	if (!e) {
		b->cnt[PC_CNT_DROPPED]++;
		return;
	}
	rec = (struct pc_packet *)e->rec;
	rec->type = PC_REC_PACKET;
	rec->dir = dir;
	rec->ifindex = lh.ifindex;
	rec->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec - b->real_to_mono;
	rec->len = len;
	rec->caplen = caplen;
	rec->netns = b->netns;
	rec->gso_segs = 1;
	rec->l3proto = lh.l3proto;
	if (lh.ifindex)
		strncpy(rec->ifname, ifname_of(b, lh.ifindex), PC_IFNAME_LEN - 1);
	memcpy(rec->data, bytes + lh.off, caplen);
	if (!d.has_ports || d.fragment || (d.proto != IPPROTO_TCP && d.proto != IPPROTO_UDP))
		return; /* no socket lookup for ICMP, raw and fragments */
	e->nsides = lo ? 2 : 1;
	set_query(&e->q[0], &d, dir == PC_DIR_OUT);
	if (lo)
		set_query(&e->q[1], &d, 0);
	if (!try_resolve(b, e, now)) { /* wait for a scan or a retry */
		e->in_wait = 1;
		*b->wtail = e;
		b->wtail = &e->wnext;
	}
}

static int on_scan_holder(void *ctx, uint32_t pid, uint32_t inode)
{
	struct pc_pcapback *b = ctx;
	struct pc_procfd_info pi;

	pc_owners_scan_holder(b->own, pid, inode);
	if (pc_owners_info_wanted(b->own, pid))
		read_info(b, pid, &pi);
	return 0;
}

/* One coalesced scan for every inode waiting: the pids it concerns when
 * that is enough, else all of /proc; rate-limited. Returns 1 if it ran. */
static int scan(struct pc_pcapback *b, uint64_t now)
{
	uint32_t pids[MAX_RESCAN_PIDS];
	uint64_t end;
	size_t n, i;
	int full;

	if (!pc_owners_pending_scans(b->own) || now < b->next_scan_ns)
		return 0;
	full = pc_owners_rescan_pids(b->own, pids, MAX_RESCAN_PIDS, &n);
	if (full && !take(&b->scans, now))
		return 0;
	pc_owners_scan_begin(b->own, full, now);
	if (full)
		pc_procfd_scan_all(PROC, on_scan_holder, b, NULL);
	else
		for (i = 0; i < n; i++)
			pc_procfd_scan_pid(PROC, pids[i], on_scan_holder, b);
	end = pc_clock_ns(CLOCK_MONOTONIC);
	pc_owners_scan_end(b->own, end);
	b->next_scan_ns = end + SCAN_DUTY * (end - now);
	return 1;
}

/* ---- handing records over ---- */

static int proc_matches(const struct pc_pcapback *b, const struct pc_owner *ow,
			const struct pc_owner_info *info)
{
	if (b->filter_pids && !in_set(b, ow->pid))
		return 0;
	if (b->comm[0] && strncmp(ow->comm, b->comm, PC_COMM_LEN))
		return 0;
	if (b->uid_set && (!info || !info->uid_known || info->uid != b->uid))
		return 0;
	/* asked each time: a container's name may be known only later */
	if (b->cgroup_match && (!info || b->cgroup_match(b->cgroup_ctx, info->cgroup_id) <= 0))
		return 0;
	return 1;
}

static int fill_owner(struct pc_pcapback *b, struct pc_owner *ow, const struct pc_owner_answer *a)
{
	const struct pc_owner_info *info;
	struct pc_procfd_info pi;

	if (a->kind == PC_OWNER_NONE || !a->pid)
		return 0;
	if (pc_owners_info_wanted(b->own, a->pid))
		read_info(b, a->pid, &pi);
	info = pc_owners_info(b->own, a->pid);
	memset(ow, 0, sizeof(*ow));
	ow->pid = a->pid;
	ow->tid = 0; /* which thread: unknown here */
	ow->uid = info && info->uid_known ? info->uid : a->sock_uid;
	ow->cgroup_id = info ? info->cgroup_id : 0;
	if (info)
		memcpy(ow->comm, info->comm, PC_COMM_LEN);
	return 1;
}

/* The head record, owners filled in; returns the callback's answer or 0
 * when the process filters dropped it. */
static int hand_over(struct pc_pcapback *b, struct qent *e)
{
	struct pc_packet *rec = (struct pc_packet *)e->rec;
	int any_filter = b->filter_pids || b->comm[0] || b->uid_set || b->cgroup_match;
	int own = 0, peer = 0;

	if (!e->is_packet)
		return b->fn(b->ctx, e->rec, e->size);
	if (e->nsides > 0 && e->done[0])
		own = fill_owner(b, &rec->owner, &e->ans[0]);
	if (e->nsides > 1 && e->done[1])
		peer = fill_owner(b, &rec->peer, &e->ans[1]);
	if (own) {
		rec->flags |= PC_PKT_OWNER;
		rec->cookie = e->ans[0].cookie;
	}
	if (peer)
		rec->flags |= PC_PKT_PEER;
	if ((own && e->ans[0].kind == PC_OWNER_GUESS) || (peer && e->ans[1].kind == PC_OWNER_GUESS))
		rec->flags |= PC_PKT_GUESS;
	if (any_filter &&
	    !(own && proc_matches(b, &rec->owner, pc_owners_info(b->own, rec->owner.pid))) &&
	    !(peer && proc_matches(b, &rec->peer, pc_owners_info(b->own, rec->peer.pid)))) {
		b->cnt[PC_CNT_FILTERED]++;
		return 0;
	}
	if (!own)
		b->cnt[PC_CNT_NO_OWNER]++;
	return b->fn(b->ctx, e->rec, sizeof(*rec) + rec->caplen);
}

static int ready(const struct qent *e, uint64_t now)
{
	int s;

	if (!e->is_packet || now - e->arrived_ns >= HOLD_NS)
		return 1;
	for (s = 0; s < e->nsides; s++)
		if (!e->done[s])
			return 0;
	return 1;
}

static int emit(struct pc_pcapback *b, uint64_t now, int *stop)
{
	struct qent *e;
	int n = 0;

	while ((e = b->head) && !*stop) {
		int force = b->qlen > MAX_QUEUE || b->qbytes > MAX_QUEUE_BYTES;

		if (!force && !ready(e, now))
			break;
		b->head = e->next;
		if (!b->head)
			b->tail = NULL;
		if (e->in_wait) { /* forced out: the oldest waiting is the oldest of all */
			b->waiting = e->wnext;
			if (!b->waiting)
				b->wtail = &b->waiting;
		}
		b->qlen--;
		b->qbytes -= e->size;
		if (hand_over(b, e))
			*stop = 1;
		free(e);
		n++;
	}
	return n;
}

int pc_pcapback_consume(struct pc_pcapback *b)
{
	struct itimerspec its = { 0 };
	uint64_t now, exp;
	int n, stop = 0, r;

	update_clocks(b);
	b->queries_left = 1;
	if (read(b->timer_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return -errno;
	if (b->cn_fd >= 0 && pc_procconn_read(b->cn_fd, on_proc_event, b) == -ENOBUFS)
		b->cnt[PC_CNT_EVENT_DROPPED]++;
	if (b->diag_ev_fd >= 0)
		pc_sockdiag_read_events(b->diag_ev_fd, on_destroy, b);
	do {
		r = pcap_dispatch(b->pcap, 4096, on_pcap, (u_char *)b);
	} while (r > 0 && b->qlen < MAX_QUEUE);
	if (r == PCAP_ERROR)
		return -EIO;
	now = pc_clock_ns(CLOCK_MONOTONIC);
	sweep_pids(b, now);
	resolve(b, now);
	if (scan(b, now)) {
		now = pc_clock_ns(CLOCK_MONOTONIC);
		resolve(b, now);
	}
	n = emit(b, now, &stop);
	if (now - b->last_expire_ns > 1000 * MS) {
		pc_owners_expire(b->own, now);
		b->last_expire_ns = now;
	}
	if (b->head) { /* packets wait: come back soon even without new ones */
		its.it_value.tv_nsec = TIMER_NS;
		timerfd_settime(b->timer_fd, 0, &its, NULL);
	}
	return n;
}

/* ---- set-up ---- */

struct dump_ctx {
	struct pc_pcapback *b;
	uint8_t proto;
	uint64_t now;
};

static int on_dumped(void *ctx, const struct pc_sock *sk)
{
	struct dump_ctx *c = ctx;
	struct pc_sock s = *sk;

	if (!s.proto)
		s.proto = c->proto;
	pc_owners_add_socket(c->b->own, &s, c->now);
	return 0;
}

/* Every socket that exists now, and who holds them: packets of sockets
 * older than pidcap are attributed from the start. */
static void seed(struct pc_pcapback *b)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 }, protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct dump_ctx c = { b, 0, pc_clock_ns(CLOCK_MONOTONIC) };
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			c.proto = protos[j];
			pc_sockdiag_dump(b->diag_fd, fams[i], protos[j], on_dumped, &c);
		}
	pc_owners_scan_begin(b->own, 1, c.now);
	pc_procfd_scan_all(PROC, on_scan_holder, b, NULL);
	pc_owners_scan_end(b->own, pc_clock_ns(CLOCK_MONOTONIC));
}

/* "(ifindex 2 or ifindex 7) and (EXPR)" for -i, or EXPR alone. */
static char *filter_text(const struct pc_capture_opts *o, char *errbuf, size_t errlen)
{
	size_t i, len = 64 + (o->filter ? strlen(o->filter) : 0) + o->nifaces * 24;
	char *s = calloc(1, len), *p;
	int any = !o->nifaces;

	if (!s)
		return NULL;
	for (i = 0; i < o->nifaces; i++)
		if (!strcmp(o->ifaces[i], "any"))
			any = 1;
	p = s;
	if (!any) {
		p += sprintf(p, "(");
		for (i = 0; i < o->nifaces; i++) {
			unsigned int idx = if_nametoindex(o->ifaces[i]);

			if (!idx) {
				snprintf(errbuf, errlen, "unknown interface '%s'", o->ifaces[i]);
				free(s);
				return NULL;
			}
			p += sprintf(p, "%sifindex %u", i ? " or " : "", idx);
		}
		p += sprintf(p, ")%s", o->filter ? " and " : "");
	}
	if (o->filter)
		sprintf(p, "(%s)", o->filter);
	return s;
}

static int open_pcap(struct pc_pcapback *b, const struct pc_capture_opts *o, char *errbuf,
		     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "", *text = NULL;
	struct bpf_program prog;
	int r;

	b->pcap = pcap_create("any", perr);
	if (!b->pcap) {
		snprintf(errbuf, errlen, "libpcap cannot open 'any': %s", perr);
		return -ENODEV;
	}
	pcap_set_snaplen(b->pcap, b->snaplen + 64); /* + link header */
	pcap_set_promisc(b->pcap, 0);
	pcap_set_timeout(b->pcap, PCAP_TIMEOUT_MS);
	pcap_set_immediate_mode(b->pcap, 0);
	pcap_set_buffer_size(b->pcap, o->ring_bytes ? (int)o->ring_bytes : PCAP_BUFFER);
	pcap_set_tstamp_precision(b->pcap, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(b->pcap);
	if (r < 0) {
		snprintf(errbuf, errlen, "libpcap cannot capture on 'any': %s%s", pcap_geterr(b->pcap),
			 r == PCAP_ERROR_PERM_DENIED ? " (needs CAP_NET_RAW: run as root)" : "");
		return r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
	}
	/* SLL2 names the interface of every packet; SLL (older libpcap) does not */
	pcap_set_datalink(b->pcap, DLT_LINUX_SLL2);
	b->dlt = pcap_datalink(b->pcap);
	if (o->filter || o->nifaces) {
		text = filter_text(o, errbuf, errlen);
		if (!text)
			return -EINVAL;
		if (pcap_compile(b->pcap, &prog, text, 1, PCAP_NETMASK_UNKNOWN)) {
			snprintf(errbuf, errlen, "invalid filter expression: %s", pcap_geterr(b->pcap));
			free(text);
			return -EINVAL;
		}
		free(text);
		r = pcap_setfilter(b->pcap, &prog); /* a socket filter in the kernel */
		pcap_freecode(&prog);
		if (r) {
			snprintf(errbuf, errlen, "cannot set the filter: %s", pcap_geterr(b->pcap));
			return -EINVAL;
		}
	}
	if (pcap_setnonblock(b->pcap, 1, perr)) {
		snprintf(errbuf, errlen, "libpcap: %s", perr);
		return -EIO;
	}
	b->pcap_fd = pcap_get_selectable_fd(b->pcap);
	return b->pcap_fd < 0 ? -EIO : 0;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 || !epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? 0 : -errno;
}

int pc_pcapback_open(struct pc_pcapback **out, const struct pc_capture_opts *o,
		     pc_record_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	struct pc_pcapback *b;
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);
	struct stat st;
	size_t i;
	int err;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	b->ep = b->timer_fd = b->diag_fd = b->diag_ev_fd = b->cn_fd = b->pcap_fd = -1;
	b->wtail = &b->waiting;
	b->fn = fn;
	b->ctx = ctx;
	b->snaplen = o->count_mode || !o->snaplen ? COUNT_SNAPLEN : o->snaplen;
	b->want_in = o->want_in;
	b->want_out = o->want_out;
	b->count_mode = o->count_mode;
	b->filter_pids = o->filter_pids;
	b->follow_children = o->follow_children;
	if (o->comm)
		strncpy(b->comm, o->comm, PC_COMM_LEN - 1);
	b->uid_set = o->uid_set;
	b->uid = o->uid;
	b->cgroup_match = o->cgroup_match;
	b->cgroup_ctx = o->cgroup_match_ctx;
	b->scans = (struct bucket){ SCANS_PER_SEC, SCANS_PER_SEC, SCANS_PER_SEC, now };
	b->queries = (struct bucket){ QUERIES_PER_SEC / 10, QUERIES_PER_SEC, QUERIES_PER_SEC / 10, now };
	b->lo_ifindex = if_nametoindex("lo");
	b->netns = stat(PROC "/self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;
	if (pc_find_cgroup2(PROC, b->cgroot, sizeof(b->cgroot)))
		b->cgroot[0] = 0;
	update_clocks(b);
	for (i = 0; i < o->npids; i++)
		if (pc_pcapback_add_pid(b, o->pids[i])) {
			err = -ENOMEM;
			snprintf(errbuf, errlen, "out of memory");
			goto fail;
		}
	err = pc_owners_new(&b->own, now);
	if (err) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	b->diag_fd = pc_sockdiag_open(0);
	if (b->diag_fd < 0) {
		err = b->diag_fd;
		snprintf(errbuf, errlen, "cannot open NETLINK_SOCK_DIAG: %s", strerror(-err));
		goto fail;
	}
	b->diag_ev_fd = pc_sockdiag_open(1); /* optional: sockets found gone on query */
	b->cn_fd = pc_procconn_open();       /* optional: scans still name processes */
	err = open_pcap(b, o, errbuf, errlen);
	if (err)
		goto fail;
	seed(b);
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->timer_fd < 0 || b->ep < 0 || add_fd(b->ep, b->pcap_fd) || add_fd(b->ep, b->cn_fd) ||
	    add_fd(b->ep, b->diag_ev_fd) || add_fd(b->ep, b->timer_fd)) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot set up epoll: %s", strerror(errno));
		goto fail;
	}
	snprintf(b->method, sizeof(b->method),
		 "fallback without eBPF: libpcap on any (%s, filter in the kernel), owners from "
		 "sock_diag and /proc/PID/fd%s%s",
		 b->dlt == DLT_LINUX_SLL2 ? "LINUX_SLL2" : pcap_datalink_val_to_name(b->dlt),
		 b->cn_fd >= 0 ? ", process events from the proc connector" :
				 ", NO process events (proc connector: needs CAP_NET_ADMIN)",
		 b->diag_ev_fd >= 0 ? "" : ", no socket destroy notifications");
	*out = b;
	return 0;
fail:
	pc_pcapback_close(b);
	return err;
}

void pc_pcapback_close(struct pc_pcapback *b)
{
	struct qent *e, *next;

	if (!b)
		return;
	for (e = b->head; e; e = next) {
		next = e->next;
		free(e);
	}
	if (b->pcap)
		pcap_close(b->pcap);
	if (b->ep >= 0)
		close(b->ep);
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	if (b->diag_fd >= 0)
		close(b->diag_fd);
	if (b->diag_ev_fd >= 0)
		close(b->diag_ev_fd);
	if (b->cn_fd >= 0)
		close(b->cn_fd);
	pc_owners_free(b->own);
	free(b->pids.slots);
	free(b);
}

int pc_pcapback_fd(const struct pc_pcapback *b)
{
	return b->ep;
}

int pc_pcapback_counters(const struct pc_pcapback *b, uint64_t out[PC_CNT_MAX])
{
	struct pcap_stat ps;

	memcpy(out, b->cnt, sizeof(b->cnt));
	if (!pcap_stats(b->pcap, &ps))
		out[PC_CNT_DROPPED] += ps.ps_drop;
	return 0;
}

const char *pc_pcapback_method(const struct pc_pcapback *b)
{
	return b->method;
}
