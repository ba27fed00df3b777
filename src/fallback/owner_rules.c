/* Owner attribution of the fallback backend. Four tables: flows (the
 * packet's addresses -> socket, negative answers too), sockets (by cookie,
 * from sock_diag), inodes (socket inode -> the processes holding it, as
 * observed by a scan between two times) and pids (birth, exit, forks and
 * children's exec/exit times). A packet at time t gets a process only when
 * that process alone can have held the socket at t; every rule below errs
 * towards "unknown". Not for I/O: the caller queries, scans and feeds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "fallback/owner_rules.h"
#include "lib/hash.h"

#define MS 1000000ULL
#define NEG_TTL_NS (200 * MS)     /* no socket for these addresses: ask again after */
#define SHORT_TTL_NS (30 * MS)    /* listener or inode-less socket: the real one comes soon */
#define FLOW_IDLE_NS (120000 * MS)
#define DEAD_KEEP_NS (2000 * MS)  /* destroyed sockets kept for late packets */
#define PID_KEEP_NS (30000 * MS)  /* exited pids kept for late packets */
#define NOHOLDER_RETRY_NS (1000 * MS)
#define FORK_WINDOW_NS (1000 * MS) /* a child forked this shortly before a packet may hold it */
#define INODE_KEEP_NS (600000 * MS)
#define NHIST 16                   /* fork and child-event times kept per pid */
#define TCP_LISTEN 10
#define MAX_YOUNG 256              /* processes started since the last full scan */

/* ---- a small chained hash table over 64-bit hashes ---- */

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

static int h_init(struct htab *t)
{
	t->nb = 256;
	t->n = 0;
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

static void h_grow(struct htab *t)
{
	size_t nb = t->nb * 2, i;
	struct hnode **b = calloc(nb, sizeof(*b)), *e, *next;

	if (!b)
		return; /* chains get longer, nothing breaks */
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			e->next = b[pc_hash_mix64(e->hash) & (nb - 1)];
			b[pc_hash_mix64(e->hash) & (nb - 1)] = e;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static void h_add(struct htab *t, struct hnode *e, uint64_t hash)
{
	struct hnode **head;

	if (t->n >= t->nb)
		h_grow(t);
	e->hash = hash;
	head = &t->b[pc_hash_mix64(hash) & (t->nb - 1)];
	e->next = *head;
	*head = e;
	t->n++;
}

static struct hnode *h_first(const struct htab *t, uint64_t hash)
{
	struct hnode *e = t->b[pc_hash_mix64(hash) & (t->nb - 1)];

	while (e && e->hash != hash)
		e = e->next;
	return e;
}

static struct hnode *h_next(struct hnode *e)
{
	uint64_t hash = e->hash;

	for (e = e->next; e && e->hash != hash; e = e->next)
		;
	return e;
}

static void h_del(struct htab *t, struct hnode *e)
{
	struct hnode **p = &t->b[pc_hash_mix64(e->hash) & (t->nb - 1)];

	for (; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			t->n--;
			return;
		}
}

/* Calls fn on every entry; fn may delete the entry it is given. */
static void h_each(struct htab *t, void (*fn)(void *ctx, struct hnode *e), void *ctx)
{
	struct hnode *e, *next;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			fn(ctx, e);
		}
}

static void h_free_all(struct htab *t)
{
	struct hnode *e, *next;
	size_t i;

	for (i = 0; t->b && i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	t->b = NULL;
}

/* ---- entries ---- */

struct sk_ent {
	struct hnode h; /* by cookie */
	struct pc_sock s;
	uint64_t first_seen_ns; /* it existed at this time at the latest */
	uint64_t dead_ns;       /* destroy notification, 0 while alive */
	uint64_t last_used_ns;
	unsigned int refs;      /* flows and the port index pointing here */
};

struct flow_ent {
	struct hnode h; /* by hash of key */
	struct pc_sock_query key;
	struct sk_ent *sk;      /* NULL: no socket (negative) */
	uint64_t expires_ns;    /* 0: until the socket is destroyed */
	uint64_t last_used_ns;
};

struct port_ent {
	struct hnode h; /* by (family, lport) */
	struct sk_ent *sk; /* the unconnected UDP socket last seen on that port */
};

struct ino_ent {
	struct hnode h; /* by inode */
	uint32_t n;        /* holders seen (pids[] keeps the first two) */
	uint32_t pids[2];
	uint64_t a, b;     /* observed by a scan that ran from a to b */
	uint64_t prev_b;   /* end of the observation before, 0 if none */
	int pending;       /* waiting for a partial scan */
	int scanned_full;  /* observed by a full scan, then partial ones */
	uint32_t pscan;    /* partial scan that last reset it */
};

struct pid_ent {
	struct hnode h; /* by pid */
	uint32_t pid, ppid;
	uint64_t born_ns;  /* 0: unknown (then no birth check) */
	uint64_t exit_ns;  /* 0: alive */
	uint64_t forks[NHIST];    /* last fork times (ring) */
	uint32_t forked[NHIST];   /* and the children they made */
	uint64_t children[NHIST]; /* last exec/exit times of its children (ring) */
	unsigned int nforks, nchildren;
	int info_set, info_stale;
	struct pc_owner_info info;
};

struct pc_owners {
	struct htab flows, socks, ports, inodes, pids;
	uint32_t *pend;          /* inodes waiting for a partial scan */
	size_t npend, pendcap;
	int need_full;           /* an inode was never observed: scan everything */
	int need_young;          /* a new inode: the young processes may hold it */
	uint32_t young[MAX_YOUNG]; /* forked or exec'd since the last full scan began */
	size_t nyoung;
	int young_overflow;
	uint64_t young_a;        /* the last scan of the young ones began then */
	int scan_young;
	int scan_full;
	uint64_t scan_start;
	uint32_t pscan;
	struct htab scan_inodes; /* the new inode table of a full scan */
	uint64_t queries, scans_full, scans_partial;
};

static uint64_t key_hash(const struct pc_sock_query *k)
{
	return pc_hash_bytes(k, sizeof(*k));
}

static uint64_t port_hash(uint8_t family, uint16_t lport)
{
	return (uint64_t)family << 16 | lport;
}

static void normalize(struct pc_sock_query *k, const struct pc_sock_query *q)
{
	memset(k, 0, sizeof(*k));
	k->family = q->family;
	k->proto = q->proto;
	k->lport = q->lport;
	k->rport = q->rport;
	memcpy(k->laddr, q->laddr, q->family == AF_INET ? 4 : 16);
	memcpy(k->raddr, q->raddr, q->family == AF_INET ? 4 : 16);
}

int pc_owners_new(struct pc_owners **out, uint64_t now_ns)
{
	struct pc_owners *o = calloc(1, sizeof(*o));

	(void)now_ns;
	*out = NULL;
	if (!o)
		return -ENOMEM;
	if (h_init(&o->flows) || h_init(&o->socks) || h_init(&o->ports) || h_init(&o->inodes) ||
	    h_init(&o->pids)) {
		pc_owners_free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

void pc_owners_free(struct pc_owners *o)
{
	if (!o)
		return;
	h_free_all(&o->flows);
	h_free_all(&o->socks);
	h_free_all(&o->ports);
	h_free_all(&o->inodes);
	h_free_all(&o->pids);
	h_free_all(&o->scan_inodes);
	free(o->pend);
	free(o);
}

/* ---- pids ---- */

static struct pid_ent *pid_find(const struct pc_owners *o, uint32_t pid)
{
	return (struct pid_ent *)h_first(&o->pids, pid);
}

static struct pid_ent *pid_get(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = pid_find(o, pid);

	if (p || !pid)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->info_stale = 1;
	h_add(&o->pids, &p->h, pid);
	return p;
}

static void young_add(struct pc_owners *o, uint32_t pid)
{
	size_t i;

	for (i = 0; i < o->nyoung; i++)
		if (o->young[i] == pid)
			return;
	if (o->nyoung == MAX_YOUNG)
		o->young_overflow = 1;
	else
		o->young[o->nyoung++] = pid;
}

static void remember(uint64_t *ring, unsigned int *n, uint64_t ts)
{
	ring[*n % NHIST] = ts;
	(*n)++;
}

/* Did p fork in (from, to] a child still alive at t (that could hold a
 * copy of its sockets then)? Forks lost from a full ring count as "maybe"
 * when the oldest kept one is after from. */
static int forked_live(const struct pc_owners *o, const struct pid_ent *p, uint64_t from,
		       uint64_t to, uint64_t t)
{
	unsigned int i, kept = p->nforks < NHIST ? p->nforks : NHIST;
	uint64_t oldest = UINT64_MAX;

	for (i = 0; i < kept; i++) {
		const struct pid_ent *c = (const struct pid_ent *)h_first(&o->pids, p->forked[i]);

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

void pc_owners_fork(struct pc_owners *o, uint32_t ppid, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *parent = pid_get(o, ppid), *child = pid_get(o, pid);

	if (parent) {
		parent->forked[parent->nforks % NHIST] = pid;
		remember(parent->forks, &parent->nforks, ts_ns);
	}
	if (child) {
		young_add(o, pid);
		child->ppid = ppid;
		child->born_ns = ts_ns;
		child->exit_ns = 0;
		child->nforks = child->nchildren = 0;
		child->info_set = 0;
		child->info_stale = 1;
		if (parent && parent->info_set) { /* a fork runs its parent's program */
			child->info = parent->info;
			child->info_set = 1;
		}
	}
}

static void child_event(struct pc_owners *o, struct pid_ent *p, uint64_t ts_ns)
{
	struct pid_ent *parent = p && p->ppid ? pid_find(o, p->ppid) : NULL;

	if (parent)
		remember(parent->children, &parent->nchildren, ts_ns);
}

void pc_owners_exec(struct pc_owners *o, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *p = pid_get(o, pid);

	if (!p)
		return;
	p->info_stale = 1; /* new comm, maybe new uid */
	young_add(o, pid);
	child_event(o, p, ts_ns); /* close-on-exec sockets of its parent's are gone */
}

void pc_owners_exit(struct pc_owners *o, uint32_t pid, uint64_t ts_ns)
{
	struct pid_ent *p = pid_get(o, pid);

	if (!p)
		return;
	p->exit_ns = ts_ns ? ts_ns : 1;
	child_event(o, p, ts_ns);
}

void pc_owners_process(struct pc_owners *o, uint32_t pid, uint32_t ppid, uint64_t born_ns)
{
	struct pid_ent *p = pid_get(o, pid);

	if (!p)
		return;
	if (!p->ppid)
		p->ppid = ppid;
	if (!p->born_ns)
		p->born_ns = born_ns;
}

int pc_owners_info_wanted(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = pid_find(o, pid);

	return !p || p->info_stale;
}

void pc_owners_set_info(struct pc_owners *o, uint32_t pid, const struct pc_owner_info *info)
{
	struct pid_ent *p = pid_get(o, pid);

	if (!p)
		return;
	p->info = *info;
	p->info.comm[15] = 0;
	p->info_set = 1;
	p->info_stale = 0;
}

const struct pc_owner_info *pc_owners_info(struct pc_owners *o, uint32_t pid)
{
	struct pid_ent *p = pid_find(o, pid);

	return p && p->info_set ? &p->info : NULL;
}

void pc_owners_set_comm(struct pc_owners *o, uint32_t pid, const char *comm)
{
	struct pid_ent *p = pid_find(o, pid);

	if (p && p->info_set) {
		strncpy(p->info.comm, comm, sizeof(p->info.comm) - 1);
		p->info.comm[sizeof(p->info.comm) - 1] = 0;
	}
}

/* ---- sockets and flows ---- */

static struct sk_ent *sock_put(struct pc_owners *o, const struct pc_sock *s, uint64_t seen_ns)
{
	struct sk_ent *e = (struct sk_ent *)h_first(&o->socks, s->cookie);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->first_seen_ns = seen_ns;
		h_add(&o->socks, &e->h, s->cookie);
	}
	e->s = *s;
	e->last_used_ns = seen_ns;
	return e;
}

static void port_put(struct pc_owners *o, struct sk_ent *sk)
{
	uint64_t h = port_hash(sk->s.family, sk->s.lport);
	struct port_ent *p = (struct port_ent *)h_first(&o->ports, h);

	if (sk->s.proto != IPPROTO_UDP || sk->s.rport)
		return;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		h_add(&o->ports, &p->h, h);
	} else {
		p->sk->refs--;
	}
	p->sk = sk;
	sk->refs++;
}

static struct flow_ent *flow_find(const struct pc_owners *o, const struct pc_sock_query *k,
				  uint64_t hash)
{
	struct hnode *e;

	for (e = h_first(&o->flows, hash); e; e = h_next(e))
		if (!memcmp(&((struct flow_ent *)e)->key, k, sizeof(*k)))
			return (struct flow_ent *)e;
	return NULL;
}

static void flow_set(struct pc_owners *o, const struct pc_sock_query *k, struct sk_ent *sk,
		     uint64_t expires_ns, uint64_t now_ns)
{
	uint64_t hash = key_hash(k);
	struct flow_ent *f = flow_find(o, k, hash);

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->key = *k;
		h_add(&o->flows, &f->h, hash);
	} else if (f->sk) {
		f->sk->refs--;
	}
	f->sk = sk;
	if (sk)
		sk->refs++;
	f->expires_ns = expires_ns;
	f->last_used_ns = now_ns;
}

void pc_owners_add_socket(struct pc_owners *o, const struct pc_sock *s, uint64_t seen_ns)
{
	struct pc_sock_query k;
	struct sk_ent *sk = sock_put(o, s, seen_ns);

	if (!sk)
		return;
	port_put(o, sk);
	if (!s->rport || s->state == TCP_LISTEN)
		return; /* flows of unconnected sockets are found by query */
	k.family = s->family;
	k.proto = s->proto;
	k.lport = s->lport;
	k.rport = s->rport;
	memcpy(k.laddr, s->laddr, 16);
	memcpy(k.raddr, s->raddr, 16);
	normalize(&k, &k);
	flow_set(o, &k, sk, s->inode ? 0 : seen_ns + SHORT_TTL_NS, seen_ns);
}

void pc_owners_query_result(struct pc_owners *o, const struct pc_sock_query *q,
			    const struct pc_sock *s, uint64_t asked_ns, uint64_t now_ns)
{
	struct pc_sock_query k;
	struct sk_ent *sk = NULL;
	uint64_t expires = now_ns + NEG_TTL_NS;

	(void)asked_ns;
	o->queries++;
	normalize(&k, q);
	if (s) {
		sk = sock_put(o, s, now_ns);
		if (!sk)
			return;
		port_put(o, sk);
		expires = 0;
		if (!s->inode || (s->proto == IPPROTO_TCP && s->state == TCP_LISTEN))
			expires = now_ns + SHORT_TTL_NS;
	}
	flow_set(o, &k, sk, expires, now_ns);
}

void pc_owners_socket_gone(struct pc_owners *o, uint64_t cookie, uint64_t now_ns)
{
	struct sk_ent *e = (struct sk_ent *)h_first(&o->socks, cookie);

	if (e && !e->dead_ns)
		e->dead_ns = now_ns;
}

/* ---- scans ---- */

static struct ino_ent *ino_find(const struct htab *t, uint32_t inode)
{
	return (struct ino_ent *)h_first(t, inode);
}

static void want_scan(struct pc_owners *o, uint32_t inode, int full)
{
	struct ino_ent *i = ino_find(&o->inodes, inode);
	uint32_t *p;

	if (full || !i) {
		o->need_full = 1;
		return;
	}
	if (i->pending)
		return;
	if (o->npend == o->pendcap) {
		size_t cap = o->pendcap ? o->pendcap * 2 : 64;

		p = realloc(o->pend, cap * sizeof(*p));
		if (!p) {
			o->need_full = 1;
			return;
		}
		o->pend = p;
		o->pendcap = cap;
	}
	i->pending = 1;
	o->pend[o->npend++] = inode;
}

size_t pc_owners_pending_scans(const struct pc_owners *o)
{
	return o->npend + (o->need_full || o->need_young ? 1 : 0);
}


static int add_pid(uint32_t *pids, size_t max, size_t *n, uint32_t pid)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (pids[i] == pid)
			return 0;
	if (*n >= max)
		return -ENOSPC;
	pids[(*n)++] = pid;
	return 0;
}

struct children_ctx {
	uint32_t parent;
	uint32_t *pids;
	size_t max, *n;
	int full;
};

static void add_child(void *ctx, struct hnode *h)
{
	struct children_ctx *c = ctx;
	struct pid_ent *p = (struct pid_ent *)h;

	if (p->ppid == c->parent && !p->exit_ns && add_pid(c->pids, c->max, c->n, p->pid))
		c->full = 1;
}

int pc_owners_rescan_pids(struct pc_owners *o, uint32_t *pids, size_t max, size_t *npids)
{
	size_t k, j;

	*npids = 0;
	if (o->need_full || (o->need_young && o->young_overflow))
		return 1;
	o->scan_young = o->need_young;
	for (k = 0; o->need_young && k < o->nyoung; k++) {
		struct pid_ent *p = pid_find(o, o->young[k]);

		if (p && p->exit_ns)
			continue;
		if (add_pid(pids, max, npids, o->young[k]))
			return 1;
	}
	for (k = 0; k < o->npend; k++) {
		struct ino_ent *i = ino_find(&o->inodes, o->pend[k]);

		if (!i || !i->n || i->n > 2 || !i->scanned_full)
			return 1;
		for (j = 0; j < i->n; j++) {
			struct children_ctx c = { i->pids[j], pids, max, npids, 0 };

			if (add_pid(pids, max, npids, i->pids[j]))
				return 1;
			h_each(&o->pids, add_child, &c);
			if (c.full)
				return 1;
		}
	}
	return 0;
}

void pc_owners_scan_begin(struct pc_owners *o, int full, uint64_t start_ns)
{
	o->scan_full = full;
	o->scan_start = start_ns;
	h_free_all(&o->scan_inodes);
	o->pscan++;
	if (full && h_init(&o->scan_inodes))
		o->scan_full = 0; /* out of memory: a partial scan of nothing */
	if (o->scan_full) { /* who starts from now on is young */
		o->nyoung = 0;
		o->young_overflow = 0;
		o->scan_young = 0;
	}
	if (o->scan_young)
		o->young_a = start_ns;
}

static void holder_add(struct ino_ent *i, uint32_t pid)
{
	uint32_t k;

	for (k = 0; k < i->n && k < 2; k++)
		if (i->pids[k] == pid)
			return;
	if (i->n < 2)
		i->pids[i->n] = pid;
	i->n++;
}

void pc_owners_scan_holder(struct pc_owners *o, uint32_t pid, uint32_t inode)
{
	struct htab *t = o->scan_full ? &o->scan_inodes : &o->inodes;
	struct ino_ent *i = ino_find(t, inode);

	if (!o->scan_full) {
		/* partial: inodes asked for get their holders anew; inodes
		 * nobody held at the last full scan (newer ones) are created
		 * from the young processes, which alone can hold them (short
		 * of SCM_RIGHTS); other holders seen are added */
		if (!i) {
			if (!o->scan_young)
				return;
			i = calloc(1, sizeof(*i));
			if (!i)
				return;
			i->pscan = o->pscan;
			i->a = o->scan_start;
			i->b = UINT64_MAX; /* set at scan end */
			i->scanned_full = 1;
			h_add(t, &i->h, inode);
		} else if (i->pending && i->pscan != o->pscan) {
			i->pscan = o->pscan; /* its first holder in this scan */
			i->n = 0;
		}
		holder_add(i, pid);
		pid_get(o, pid);
		return;
	}
	if (!i) {
		i = calloc(1, sizeof(*i));
		if (!i)
			return;
		h_add(t, &i->h, inode);
	}
	holder_add(i, pid);
	pid_get(o, pid);
}

struct end_ctx {
	struct pc_owners *o;
	uint64_t a, b;
};

static void stamp_new(void *ctx, struct hnode *h)
{
	struct end_ctx *c = ctx;
	struct ino_ent *i = (struct ino_ent *)h;

	struct ino_ent *old = ino_find(&c->o->inodes, (uint32_t)h->hash);

	i->prev_b = old ? old->b : 0;
	i->a = c->a;
	i->b = c->b;
	i->scanned_full = 1;
}

/* Known sockets whose inode no process holds get an "observed: no
 * holder" entry, so that they do not ask for a scan again at once. */
static void no_holder(void *ctx, struct hnode *h)
{
	struct end_ctx *c = ctx;
	struct sk_ent *sk = (struct sk_ent *)h;
	struct ino_ent *i;

	if (!sk->s.inode || ino_find(&c->o->scan_inodes, sk->s.inode))
		return;
	i = calloc(1, sizeof(*i));
	if (!i)
		return;
	i->a = c->a;
	i->b = c->b;
	i->scanned_full = 1;
	h_add(&c->o->scan_inodes, &i->h, sk->s.inode);
}

static void stamp_created(void *ctx, struct hnode *h)
{
	struct end_ctx *c = ctx;
	struct ino_ent *i = (struct ino_ent *)h;

	if (i->b == UINT64_MAX)
		i->b = c->b;
}

void pc_owners_scan_end(struct pc_owners *o, uint64_t end_ns)
{
	struct end_ctx c = { o, o->scan_start, end_ns };
	size_t k;

	if (o->scan_full) {
		h_each(&o->scan_inodes, stamp_new, &c);
		h_each(&o->socks, no_holder, &c);
		h_free_all(&o->inodes);
		o->inodes = o->scan_inodes;
		memset(&o->scan_inodes, 0, sizeof(o->scan_inodes));
		o->npend = 0;
		o->need_full = 0;
		o->need_young = 0;
		o->scans_full++;
		return;
	}
	if (o->scan_young)
		h_each(&o->inodes, stamp_created, &c);
	o->need_young = 0;
	o->scan_young = 0;
	for (k = 0; k < o->npend; k++) {
		struct ino_ent *i = ino_find(&o->inodes, o->pend[k]);

		if (!i)
			continue;
		if (i->pscan != o->pscan) /* no holder among the pids read */
			i->n = 0;
		i->prev_b = i->b;
		i->a = o->scan_start;
		i->b = end_ns;
		i->pending = 0;
	}
	o->npend = 0;
	o->scans_partial++;
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
		p = pid_find(o, i->pids[k]);
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
	p = pid_find(o, cand);
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
	i = ino_find(&o->inodes, sk->s.inode);
	if (!i) {
		/* never seen held: the young processes first, once; then all */
		if (sk->first_seen_ns >= o->young_a && !o->young_overflow)
			o->need_young = 1;
		else
			want_scan(o, sk->s.inode, 1);
		*inode = sk->s.inode;
		return PC_OWNERS_NEED_SCAN;
	}
	if (i->pending) {
		*inode = sk->s.inode;
		return PC_OWNERS_NEED_SCAN;
	}
	pid = sole_holder(o, i, t, now_ns, &rescan);
	if (rescan) {
		want_scan(o, sk->s.inode, !i->n);
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
	normalize(&k, q);
	f = flow_find(o, &k, key_hash(&k));
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
	p = (struct port_ent *)h_first(&o->ports, port_hash(k.family, k.lport));
	if (!p)
		return PC_OWNERS_DONE;
	sk = p->sk;
	if ((sk->dead_ns && sk->dead_ns <= t_ns) ||
	    (!addr_wild(sk->s.laddr, sk->s.family) &&
	     memcmp(sk->s.laddr, k.laddr, k.family == AF_INET ? 4 : 16)))
		return PC_OWNERS_DONE;
	return answer_from(o, sk, t_ns, now_ns, 1, ans, inode);
}

/* ---- expiry ---- */

struct exp_ctx {
	struct pc_owners *o;
	uint64_t now;
};

static void expire_flow(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct flow_ent *f = (struct flow_ent *)h;

	if (c->now - f->last_used_ns < FLOW_IDLE_NS &&
	    !(f->sk && f->sk->dead_ns && c->now - f->sk->dead_ns > DEAD_KEEP_NS) &&
	    !(!f->sk && f->expires_ns && c->now > f->expires_ns + FLOW_IDLE_NS / 4))
		return;
	if (f->sk)
		f->sk->refs--;
	h_del(&c->o->flows, h);
	free(f);
}

static void expire_port(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct port_ent *p = (struct port_ent *)h;

	if (!(p->sk->dead_ns && c->now - p->sk->dead_ns > DEAD_KEEP_NS) &&
	    c->now - p->sk->last_used_ns < FLOW_IDLE_NS)
		return;
	p->sk->refs--;
	h_del(&c->o->ports, h);
	free(p);
}

static void expire_sock(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct sk_ent *sk = (struct sk_ent *)h;

	if (sk->refs)
		return;
	if (!(sk->dead_ns && c->now - sk->dead_ns > DEAD_KEEP_NS) &&
	    c->now - sk->last_used_ns < FLOW_IDLE_NS)
		return;
	h_del(&c->o->socks, h);
	free(sk);
}

static void expire_pid(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct pid_ent *p = (struct pid_ent *)h;

	if (!p->exit_ns || c->now < p->exit_ns + PID_KEEP_NS)
		return;
	h_del(&c->o->pids, h);
	free(p);
}

static void expire_inode(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct ino_ent *i = (struct ino_ent *)h;

	if (i->pending || c->now < i->b + INODE_KEEP_NS)
		return;
	h_del(&c->o->inodes, h);
	free(i);
}

void pc_owners_expire(struct pc_owners *o, uint64_t now_ns)
{
	struct exp_ctx c = { o, now_ns };

	h_each(&o->flows, expire_flow, &c);
	h_each(&o->ports, expire_port, &c);
	h_each(&o->socks, expire_sock, &c);
	h_each(&o->pids, expire_pid, &c);
	h_each(&o->inodes, expire_inode, &c);
}

void pc_owners_stats(const struct pc_owners *o, struct pc_owners_stats *st)
{
	st->flows = o->flows.n;
	st->sockets = o->socks.n;
	st->inodes = o->inodes.n;
	st->pids = o->pids.n;
	st->queries = o->queries;
	st->scans_full = o->scans_full;
	st->scans_partial = o->scans_partial;
}
