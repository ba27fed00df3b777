/* The fallback backend's queue: libpcap packets, stripped to IP, wait in
 * one FIFO (with process events, in arrival order) until the owner of their
 * socket is known or a hold time passes; owners come from sock_diag
 * one-socket queries and /proc/PID/fd scans (rate-limited, coalesced),
 * judged by fallback/owner_rules.c; then the records are handed over with
 * the process filters applied. Not for set-up (backend.c) or process events
 * (backend_procs.c). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/clock.h"
#include "packet/decode.h"
#include "packet/linkhdr.h"
#include "fallback/backend_state.h"

#define HOLD_NS (300 * MS)         /* a packet waits this long for its owner */
#define MAX_QUEUE_BYTES (64u << 20)
#define SCAN_DUTY 4                /* and at most 1/(1+SCAN_DUTY) of the time scanning */
#define MAX_RESCAN_PIDS 64

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

/* ---- the queue ---- */

struct qent *pb_enqueue(struct pc_pcapback *b, size_t size, int is_packet, uint64_t now)
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
void pb_resolve(struct pc_pcapback *b, uint64_t now)
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

void pb_on_pcap(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
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
	e = pb_enqueue(b, sizeof(*rec) + caplen, 1, now);
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

int pb_on_scan_holder(void *ctx, uint32_t pid, uint32_t inode)
{
	struct pc_pcapback *b = ctx;
	struct pc_procfd_info pi;

	pc_owners_scan_holder(b->own, pid, inode);
	if (pc_owners_info_wanted(b->own, pid))
		pb_read_info(b, pid, &pi);
	return 0;
}

/* One coalesced scan for every inode waiting: the pids it concerns when
 * that is enough, else all of /proc; rate-limited. Returns 1 if it ran. */
int pb_scan(struct pc_pcapback *b, uint64_t now)
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
		pc_procfd_scan_all(PROC, pb_on_scan_holder, b, NULL);
	else
		for (i = 0; i < n; i++)
			pc_procfd_scan_pid(PROC, pids[i], pb_on_scan_holder, b);
	end = pc_clock_ns(CLOCK_MONOTONIC);
	pc_owners_scan_end(b->own, end);
	b->next_scan_ns = end + SCAN_DUTY * (end - now);
	return 1;
}

/* ---- handing records over ---- */

static int proc_matches(const struct pc_pcapback *b, const struct pc_owner *ow,
			const struct pc_owner_info *info)
{
	if (b->filter_pids && !pb_in_set(b, ow->pid))
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
		pb_read_info(b, a->pid, &pi);
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

int pb_emit(struct pc_pcapback *b, uint64_t now, int *stop)
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
