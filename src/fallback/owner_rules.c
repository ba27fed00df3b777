/* The rules of owner attribution for the fallback backend: a packet at
 * time t gets a process only when that process alone can have held the
 * socket at t (holders observed by scans, checked against births, exits,
 * forks and children's exec/exit); every rule errs towards "unknown".
 * Not for keeping the tables (owner_tables.c, owner_socks.c, owner_scans.c,
 * owner_pids.c) or for I/O: the caller queries, scans and feeds. */
#include <netinet/in.h>
#include <string.h>
#include "fallback/owner_tables.h"

#define NOHOLDER_RETRY_NS (1000 * MS)
#define FORK_WINDOW_NS (1000 * MS) /* a child forked this shortly before a packet may hold it */

/* Did p fork in (from, to] a child still alive at t (that could hold a
 * copy of its sockets then)? Forks lost from a full ring count as "maybe"
 * when the oldest kept one is after from. */
static int forked_live(const struct pc_owners *o, const struct pid_ent *p, uint64_t from,
		       uint64_t to, uint64_t t)
{
	unsigned int i, kept = p->nforks < NHIST ? p->nforks : NHIST;
	uint64_t oldest = UINT64_MAX;

	for (i = 0; i < kept; i++) {
		const struct pid_ent *c = (const struct pid_ent *)ow_tab_first(&o->pids, p->forked[i]);

		if (p->forks[i] < oldest)
			oldest = p->forks[i];
		if (p->forks[i] <= from || p->forks[i] > to)
			continue;
		if (c && c->born_ns == p->forks[i] && c->exit_ns && c->exit_ns <= t)
			continue; /* that child was gone by t */
		return 1;
	}
	return p->nforks > NHIST && oldest > from;
}

/* Did anything in ring happen in (from, to]? Times lost from a full ring
 * count as "maybe" when the oldest kept one is after from. */
static int happened(const uint64_t *ring, unsigned int n, uint64_t from, uint64_t to)
{
	unsigned int i, kept = n < NHIST ? n : NHIST;
	uint64_t oldest = UINT64_MAX;

	for (i = 0; i < kept; i++) {
		if (ring[i] > from && ring[i] <= to)
			return 1;
		if (ring[i] < oldest)
			oldest = ring[i];
	}
	return n > NHIST && oldest > from;
}

/* ---- the rules ---- */

/* The one process that can have held inode entry i at time t, or 0. Sets
 * *rescan when a newer observation could still name one. */
static uint32_t sole_holder(struct pc_owners *o, const struct ino_ent *i, uint64_t t,
			    uint64_t now_ns, int *rescan)
{
	uint32_t cand = 0, k;
	struct pid_ent *p;
	uint64_t from;

	*rescan = 0;
	if (i->n > 2)
		return 0;
	if (!i->n) {
		/* observed with no holder: look again later, when the packet is newer */
		*rescan = t > i->b && now_ns > i->b + NOHOLDER_RETRY_NS;
		return 0;
	}
	for (k = 0; k < i->n; k++) {
		p = ow_pid_find(o, i->pids[k]);
		if (p && p->exit_ns && p->exit_ns <= t)
			continue; /* gone before the packet */
		if (p && p->born_ns && p->born_ns > t)
			continue; /* not born yet */
		if (cand)
			return 0; /* two processes held it */
		cand = i->pids[k];
	}
	if (!cand)
		return 0;
	p = ow_pid_find(o, cand);
	if (!p)
		return cand;
	if (t >= i->b) {
		/* after the observation: a fork since may have copied it */
		if (forked_live(o, p, i->a, t, t)) {
			*rescan = 1;
			return 0;
		}
		return cand;
	}
	/* before (or during) the observation: a child forked since the
	 * observation before (or shortly before the packet, without one), or
	 * a child that exec'd or exited since the packet, may have held it at
	 * t and be gone from this observation */
	from = i->prev_b && i->prev_b < t ? i->prev_b : t > FORK_WINDOW_NS ? t - FORK_WINDOW_NS : 0;
	if (forked_live(o, p, from, t, t) ||
	    happened(p->children, p->nchildren, t, i->b))
		return 0;
	return cand;
}

static int answer_from(struct pc_owners *o, struct sk_ent *sk, uint64_t t, uint64_t now_ns,
		       int guess, struct pc_owner_answer *ans, uint32_t *inode)
{
	struct ino_ent *i;
	uint32_t pid;
	int rescan;

	ans->cookie = sk->s.cookie;
	ans->inode = sk->s.inode;
	ans->sock_uid = sk->s.uid;
	sk->last_used_ns = now_ns;
	if (!sk->s.inode)
		return PC_OWNERS_DONE;
	i = ow_ino_find(&o->inodes, sk->s.inode);
	if (!i) {
		/* never seen held: the young processes first, once; then all */
		if (sk->first_seen_ns >= o->young_a && !o->young_overflow)
			o->need_young = 1;
		else
			ow_want_scan(o, sk->s.inode, 1);
		*inode = sk->s.inode;
		return PC_OWNERS_NEED_SCAN;
	}
	if (i->pending) {
		*inode = sk->s.inode;
		return PC_OWNERS_NEED_SCAN;
	}
	pid = sole_holder(o, i, t, now_ns, &rescan);
	if (rescan) {
		ow_want_scan(o, sk->s.inode, !i->n);
		*inode = sk->s.inode;
		return PC_OWNERS_NEED_SCAN;
	}
	if (!pid)
		return PC_OWNERS_DONE;
	/* an unconnected UDP socket first seen after the packet: the port may
	 * have been someone else's at that time */
	if (!guess && sk->s.proto == IPPROTO_UDP && !sk->s.rport && sk->first_seen_ns > t)
		guess = 1;
	ans->pid = pid;
	ans->kind = guess ? PC_OWNER_GUESS : PC_OWNER_EXACT;
	return PC_OWNERS_DONE;
}

static int addr_wild(const uint8_t *a, uint8_t family)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, family == AF_INET ? 4 : 16);
}

int pc_owners_lookup(struct pc_owners *o, const struct pc_sock_query *q, uint64_t t_ns,
		     uint64_t now_ns, struct pc_owner_answer *ans, uint32_t *inode)
{
	struct pc_sock_query k;
	struct flow_ent *f;
	struct port_ent *p;
	struct sk_ent *sk;

	memset(ans, 0, sizeof(*ans));
	*inode = 0;
	ow_normalize(&k, q);
	f = ow_flow_find(o, &k, ow_key_hash(&k));
	if (!f || (f->expires_ns && now_ns >= f->expires_ns) ||
	    (f->sk && f->sk->dead_ns && t_ns >= f->sk->dead_ns))
		return PC_OWNERS_NEED_QUERY;
	f->last_used_ns = now_ns;
	if (f->sk)
		return answer_from(o, f->sk, t_ns, now_ns, 0, ans, inode);
	if (k.proto != IPPROTO_UDP)
		return PC_OWNERS_DONE;
	/* no socket now: the unconnected UDP socket last seen on the port, if
	 * it may still have been there at t, is a guess */
	p = (struct port_ent *)ow_tab_first(&o->ports, ow_port_hash(k.family, k.lport));
	if (!p)
		return PC_OWNERS_DONE;
	sk = p->sk;
	if ((sk->dead_ns && sk->dead_ns <= t_ns) ||
	    (!addr_wild(sk->s.laddr, sk->s.family) &&
	     memcmp(sk->s.laddr, k.laddr, k.family == AF_INET ? 4 : 16)))
		return PC_OWNERS_DONE;
	return answer_from(o, sk, t_ns, now_ns, 1, ans, inode);
}
