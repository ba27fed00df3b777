/* The owner tables' storage: the chained hash table they share, creating
 * and freeing them, forgetting idle flows, dead sockets, long-exited pids
 * and old inode observations, and their counts. Not for what the entries
 * mean (owner_socks.c, owner_scans.c, owner_pids.c, owner_rules.c). */
#include <errno.h>
#include <stdlib.h>
#include "fallback/owner_tables.h"
#include "lib/hash.h"

#define FLOW_IDLE_NS (120000 * MS)
#define DEAD_KEEP_NS (2000 * MS)  /* destroyed sockets kept for late packets */
#define PID_KEEP_NS (30000 * MS)  /* exited pids kept for late packets */
#define INODE_KEEP_NS (600000 * MS)

/* ---- the chained hash table ---- */

int ow_tab_init(struct htab *t)
{
	t->nb = 256;
	t->n = 0;
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

static void tab_grow(struct htab *t)
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

void ow_tab_add(struct htab *t, struct hnode *e, uint64_t hash)
{
	struct hnode **head;

	if (t->n >= t->nb)
		tab_grow(t);
	e->hash = hash;
	head = &t->b[pc_hash_mix64(hash) & (t->nb - 1)];
	e->next = *head;
	*head = e;
	t->n++;
}

struct hnode *ow_tab_first(const struct htab *t, uint64_t hash)
{
	struct hnode *e = t->b[pc_hash_mix64(hash) & (t->nb - 1)];

	while (e && e->hash != hash)
		e = e->next;
	return e;
}

struct hnode *ow_tab_next(struct hnode *e)
{
	uint64_t hash = e->hash;

	for (e = e->next; e && e->hash != hash; e = e->next)
		;
	return e;
}

void ow_tab_del(struct htab *t, struct hnode *e)
{
	struct hnode **p = &t->b[pc_hash_mix64(e->hash) & (t->nb - 1)];

	for (; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			t->n--;
			return;
		}
}

void ow_tab_each(struct htab *t, void (*fn)(void *ctx, struct hnode *e), void *ctx)
{
	struct hnode *e, *next;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			fn(ctx, e);
		}
}

void ow_tab_free_all(struct htab *t)
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

/* ---- the tables ---- */

int pc_owners_new(struct pc_owners **out, uint64_t now_ns)
{
	struct pc_owners *o = calloc(1, sizeof(*o));

	(void)now_ns;
	*out = NULL;
	if (!o)
		return -ENOMEM;
	if (ow_tab_init(&o->flows) || ow_tab_init(&o->socks) || ow_tab_init(&o->ports) ||
	    ow_tab_init(&o->inodes) || ow_tab_init(&o->pids)) {
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
	ow_tab_free_all(&o->flows);
	ow_tab_free_all(&o->socks);
	ow_tab_free_all(&o->ports);
	ow_tab_free_all(&o->inodes);
	ow_tab_free_all(&o->pids);
	ow_tab_free_all(&o->scan_inodes);
	free(o->pend);
	free(o);
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
	ow_tab_del(&c->o->flows, h);
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
	ow_tab_del(&c->o->ports, h);
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
	ow_tab_del(&c->o->socks, h);
	free(sk);
}

static void expire_pid(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct pid_ent *p = (struct pid_ent *)h;

	if (!p->exit_ns || c->now < p->exit_ns + PID_KEEP_NS)
		return;
	ow_tab_del(&c->o->pids, h);
	free(p);
}

static void expire_inode(void *ctx, struct hnode *h)
{
	struct exp_ctx *c = ctx;
	struct ino_ent *i = (struct ino_ent *)h;

	if (i->pending || c->now < i->b + INODE_KEEP_NS)
		return;
	ow_tab_del(&c->o->inodes, h);
	free(i);
}

void pc_owners_expire(struct pc_owners *o, uint64_t now_ns)
{
	struct exp_ctx c = { o, now_ns };

	ow_tab_each(&o->flows, expire_flow, &c);
	ow_tab_each(&o->ports, expire_port, &c);
	ow_tab_each(&o->socks, expire_sock, &c);
	ow_tab_each(&o->pids, expire_pid, &c);
	ow_tab_each(&o->inodes, expire_inode, &c);
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
