/* The owner tables' view of /proc/PID/fd scans: the inodes waiting for a
 * scan, which pids a partial scan must read (the holders, their children and
 * the young processes) or whether all of /proc is needed, and the holders a
 * scan observed between its start and end. Not for reading /proc (procfd.c)
 * or for judging the holders (owner_rules.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fallback/owner_tables.h"

struct ino_ent *ow_ino_find(const struct htab *t, uint32_t inode)
{
	return (struct ino_ent *)ow_tab_first(t, inode);
}

void ow_young_add(struct pc_owners *o, uint32_t pid)
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

void ow_want_scan(struct pc_owners *o, uint32_t inode, int full)
{
	struct ino_ent *i = ow_ino_find(&o->inodes, inode);
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
		struct pid_ent *p = ow_pid_find(o, o->young[k]);

		if (p && p->exit_ns)
			continue;
		if (add_pid(pids, max, npids, o->young[k]))
			return 1;
	}
	for (k = 0; k < o->npend; k++) {
		struct ino_ent *i = ow_ino_find(&o->inodes, o->pend[k]);

		if (!i || !i->n || i->n > 2 || !i->scanned_full)
			return 1;
		for (j = 0; j < i->n; j++) {
			struct children_ctx c = { i->pids[j], pids, max, npids, 0 };

			if (add_pid(pids, max, npids, i->pids[j]))
				return 1;
			ow_tab_each(&o->pids, add_child, &c);
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
	ow_tab_free_all(&o->scan_inodes);
	o->pscan++;
	if (full && ow_tab_init(&o->scan_inodes))
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
	struct ino_ent *i = ow_ino_find(t, inode);

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
			ow_tab_add(t, &i->h, inode);
		} else if (i->pending && i->pscan != o->pscan) {
			i->pscan = o->pscan; /* its first holder in this scan */
			i->n = 0;
		}
		holder_add(i, pid);
		ow_pid_get(o, pid);
		return;
	}
	if (!i) {
		i = calloc(1, sizeof(*i));
		if (!i)
			return;
		ow_tab_add(t, &i->h, inode);
	}
	holder_add(i, pid);
	ow_pid_get(o, pid);
}

struct end_ctx {
	struct pc_owners *o;
	uint64_t a, b;
};

static void stamp_new(void *ctx, struct hnode *h)
{
	struct end_ctx *c = ctx;
	struct ino_ent *i = (struct ino_ent *)h;

	struct ino_ent *old = ow_ino_find(&c->o->inodes, (uint32_t)h->hash);

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

	if (!sk->s.inode || ow_ino_find(&c->o->scan_inodes, sk->s.inode))
		return;
	i = calloc(1, sizeof(*i));
	if (!i)
		return;
	i->a = c->a;
	i->b = c->b;
	i->scanned_full = 1;
	ow_tab_add(&c->o->scan_inodes, &i->h, sk->s.inode);
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
		ow_tab_each(&o->scan_inodes, stamp_new, &c);
		ow_tab_each(&o->socks, no_holder, &c);
		ow_tab_free_all(&o->inodes);
		o->inodes = o->scan_inodes;
		memset(&o->scan_inodes, 0, sizeof(o->scan_inodes));
		o->npend = 0;
		o->need_full = 0;
		o->need_young = 0;
		o->scans_full++;
		return;
	}
	if (o->scan_young)
		ow_tab_each(&o->inodes, stamp_created, &c);
	o->need_young = 0;
	o->scan_young = 0;
	for (k = 0; k < o->npend; k++) {
		struct ino_ent *i = ow_ino_find(&o->inodes, o->pend[k]);

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
