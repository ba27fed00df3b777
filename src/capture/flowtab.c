/* Turns the kernel's per-CPU flow counters into per-process rows with
 * totals and rates. Counters in the kernel only grow; deltas between two
 * reads give the rates. A connection that leaves the kernel's map (idle,
 * deleted) folds into its process's total, and at its limit the table folds
 * idle connections early: bounded, never fatal. Not for drawing or serving. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include "packet/decode.h"
#include "capture/flowtab.h"
#include "lib/hash.h"

/* Entries kept: the kernel's 64K flows and 16K process folds fit */
#define DEFAULT_LIMIT (1u << 17)

struct entry {
	struct pc_flow_key key;
	int used;               /* 1; in a rebuild 2: fold it, 3: retire it */
	int in_kernel;          /* the kernel map has this key now */
	uint64_t seen_bytes, seen_payload, seen_packets; /* kernel sums at last read */
	uint64_t bytes, payload, packets;                /* totals, deletions survived */
	uint64_t delta_bytes, delta_packets;             /* over the last interval */
	uint64_t pend_bytes, pend_packets;               /* added in user space since */
	uint64_t last_ns;
	uint32_t uid, tid;
	char comm[PC_COMM_LEN];
	uint32_t touched;       /* update generation that last saw it in the kernel */
};

struct exited {
	uint32_t pid;
	unsigned int intervals; /* updates since the exit */
	int has_entries;
};

struct pc_flowtab {
	int fd, fold_fd;
	size_t limit;           /* entries at most */
	struct pc_flowtab_stats stats;
	int ncpus;
	struct pc_flow_val *vals;
	struct entry *e;
	size_t cap, used;
	uint32_t generation;
	uint64_t last_update_ns;
	unsigned int keep_intervals;
	struct exited *ex;
	size_t nex, exc;
	struct pc_proc_row *rows;
	size_t nrows, rowcap;
	struct pc_conn *conns;
	size_t nconns, conncap;
	struct pc_traffic totals; /* totals only: rates come from rows */
	uint64_t retired_bytes[2], retired_payload[2], retired_packets[2]; /* [tx] */
	struct pc_flow_key *idle;  /* kernel entries to delete after a walk */
	size_t nidle, idlecap;
	int (*keep)(void *ctx, uint32_t pid); /* NULL: every process */
	void *keep_ctx;
};

static int remember_idle(struct pc_flowtab *t, const struct pc_flow_key *k)
{
	if (t->nidle == t->idlecap) {
		size_t cap = t->idlecap ? t->idlecap * 2 : 256;
		struct pc_flow_key *n = realloc(t->idle, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->idle = n;
		t->idlecap = cap;
	}
	t->idle[t->nidle++] = *k;
	return 0;
}

static uint64_t hash_key(const struct pc_flow_key *k)
{
	return pc_hash_bytes(k, sizeof(*k));
}

/* A process's total of connections folded away: pid and dir, the rest 0
 * (the layout of the kernel's flows_fold keys). */
static int is_fold(const struct pc_flow_key *k)
{
	return !k->family;
}

static struct pc_flow_key fold_key(const struct pc_flow_key *k)
{
	struct pc_flow_key f;

	memset(&f, 0, sizeof(f));
	f.pid = k->pid;
	f.dir = k->dir;
	return f;
}

/* Puts e into the first free slot of its probe sequence in tab (cap a
 * power of two, e's key not there yet): the rehash of grow and retire. */
static void place(struct entry *tab, size_t cap, const struct entry *e)
{
	size_t j;

	for (j = hash_key(&e->key) & (cap - 1); tab[j].used; j = (j + 1) & (cap - 1))
		;
	tab[j] = *e;
}

static int grow(struct pc_flowtab *t)
{
	struct entry *old = t->e, *n;
	size_t oldcap = t->cap, i, cap = t->cap ? t->cap * 2 : 1024;

	n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = 0; i < oldcap; i++)
		if (old[i].used)
			place(n, cap, &old[i]);
	free(old);
	t->e = n;
	t->cap = cap;
	return 0;
}

static struct entry *lookup_slot(struct entry *tab, size_t cap, const struct pc_flow_key *k)
{
	size_t i;

	for (i = hash_key(k) & (cap - 1); tab[i].used; i = (i + 1) & (cap - 1))
		if (!memcmp(&tab[i].key, k, sizeof(*k)))
			break;
	return &tab[i];
}

/* Adds the traffic of e to f (a fold entry), rates included. */
static void fold_into(struct entry *f, const struct entry *e)
{
	f->bytes += e->bytes;
	f->payload += e->payload;
	f->packets += e->packets;
	f->delta_bytes += e->delta_bytes;
	f->delta_packets += e->delta_packets;
	f->pend_bytes += e->pend_bytes;
	f->pend_packets += e->pend_packets;
	if (e->last_ns > f->last_ns)
		f->last_ns = e->last_ns;
	if (e->comm[0] && !f->comm[0]) {
		memcpy(f->comm, e->comm, sizeof(f->comm));
		f->uid = e->uid;
		f->tid = e->tid;
	}
}

/* Rebuilds the table without the entries marked 2 (folded into their
 * process's fold entry) and 3 (retired into the totals). Folds never need
 * more room than the entries they replace. */
static int rebuild(struct pc_flowtab *t)
{
	struct entry *old = t->e, *n;
	size_t i, cap = t->cap;

	n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->used = 0;
	for (i = 0; i < cap; i++) {
		if (old[i].used != 1)
			continue;
		place(n, cap, &old[i]);
		t->used++;
	}
	for (i = 0; i < cap; i++) {
		const struct entry *e = &old[i];
		struct pc_flow_key fk;
		struct entry *f;
		int tx = e->key.dir == PC_DIR_OUT;

		if (e->used == 3) {
			t->retired_bytes[tx] += e->bytes;
			t->retired_payload[tx] += e->payload;
			t->retired_packets[tx] += e->packets;
		}
		if (e->used != 2)
			continue;
		fk = fold_key(&e->key);
		f = lookup_slot(n, cap, &fk);
		if (!f->used) {
			f->used = 1;
			f->key = fk;
			f->touched = t->generation;
			t->used++;
		}
		fold_into(f, e);
	}
	free(old);
	t->e = n;
	return 0;
}

/* The table is at its limit: folds connections that are not in the
 * kernel, the idle ones first, into their processes' totals. */
static void make_room(struct pc_flowtab *t)
{
	size_t i, n = 0;
	int pass;

	for (pass = 0; pass < 2 && n < t->limit / 8; pass++) {
		for (i = 0; i < t->cap; i++) {
			struct entry *e = &t->e[i];

			if (e->used != 1 || e->in_kernel || is_fold(&e->key))
				continue;
			if (!pass && (e->delta_bytes || e->pend_bytes))
				continue;
			e->used = 2;
			n++;
		}
	}
	if (n && !rebuild(t))
		t->stats.evicted += n;
	else if (n) /* out of memory: nothing folded after all */
		for (i = 0; i < t->cap; i++)
			if (t->e[i].used == 2)
				t->e[i].used = 1;
}

/* The entry of k, added if new; NULL when the table is full even after
 * make_room (counted by the caller). */
static struct entry *find_or_add(struct pc_flowtab *t, const struct pc_flow_key *k)
{
	struct entry *e = lookup_slot(t->e, t->cap, k);

	if (e->used)
		return e;
	if (t->used + 1 > t->limit) {
		make_room(t);
		if (t->used + 1 > t->limit)
			return NULL;
	}
	if ((t->used + 1) * 2 > t->cap && grow(t))
		return NULL;
	e = lookup_slot(t->e, t->cap, k);
	e->used = 1;
	e->key = *k;
	t->used++;
	return e;
}

int pc_flowtab_new(struct pc_flowtab **out, int flows_fd, int fold_fd,
		   unsigned int keep_intervals)
{
	struct pc_flowtab *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = flows_fd;
	t->fold_fd = flows_fd >= 0 ? fold_fd : -1;
	t->limit = DEFAULT_LIMIT;
	t->keep_intervals = keep_intervals;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		free(t);
		return -EINVAL;
	}
	t->vals = calloc(t->ncpus, sizeof(*t->vals));
	if (!t->vals || grow(t)) {
		pc_flowtab_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void pc_flowtab_free(struct pc_flowtab *t)
{
	if (!t)
		return;
	free(t->vals);
	free(t->e);
	free(t->ex);
	free(t->rows);
	free(t->conns);
	free(t->idle);
	free(t);
}

/* Folds one kernel entry (summed over CPUs, from map fd) into the table.
 * Returns 1 when it has been idle for idle_ns. */
static int absorb(struct pc_flowtab *t, int fd, const struct pc_flow_key *k, uint64_t now_ns,
		  uint64_t idle_ns)
{
	uint64_t bytes = 0, payload = 0, packets = 0, last = 0;
	struct entry *e;
	int cpu, i;

	/* not counted here, and gone from the kernel's map after the walk */
	if (t->keep && k->pid && !t->keep(t->keep_ctx, k->pid))
		return 1;
	if (bpf_map_lookup_elem(fd, k, t->vals))
		return errno == ENOENT ? 0 : -errno;
	for (cpu = 0; cpu < t->ncpus; cpu++) {
		bytes += t->vals[cpu].bytes;
		payload += t->vals[cpu].payload;
		packets += t->vals[cpu].packets;
		if (t->vals[cpu].last_ns > last)
			last = t->vals[cpu].last_ns;
	}
	e = find_or_add(t, k);
	if (!e) { /* cannot happen while limit > the kernel's maps: counted */
		t->stats.full++;
		return 0;
	}
	if (!e->in_kernel) { /* new in the kernel (again): count from zero */
		e->seen_bytes = e->seen_payload = e->seen_packets = 0;
		e->in_kernel = 1;
	}
	if (bytes >= e->seen_bytes) {
		e->delta_bytes = bytes - e->seen_bytes;
		e->delta_packets = packets - e->seen_packets;
		e->bytes += e->delta_bytes;
		e->payload += payload - e->seen_payload;
		e->packets += e->delta_packets;
	}
	e->seen_bytes = bytes;
	e->seen_payload = payload;
	e->seen_packets = packets;
	e->last_ns = last;
	e->touched = t->generation;
	for (i = 0; i < t->ncpus; i++) {
		if (t->vals[i].comm[0]) {
			memcpy(e->comm, t->vals[i].comm, sizeof(e->comm));
			e->uid = t->vals[i].uid;
			e->tid = t->vals[i].tid;
			break;
		}
	}
	/* idle for long: forget it in the kernel after the walk (deleting
	 * during bpf_map_get_next_key restarts the walk), keep totals here */
	if (idle_ns && last && now_ns > last + idle_ns)
		return 1;
	return 0;
}

/* Exited pids, sorted, for binary search. */
static int exited_index(const struct pc_flowtab *t, uint32_t pid)
{
	size_t lo = 0, hi = t->nex;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->ex[mid].pid == pid)
			return (int)mid;
		if (t->ex[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(int)lo - 1; /* where it would go */
}

void pc_flowtab_exited(struct pc_flowtab *t, uint32_t pid)
{
	int at = exited_index(t, pid);
	struct exited *ex;

	if (at >= 0 || !pid)
		return;
	at = -at - 1;
	if (t->nex == t->exc) {
		size_t cap = t->exc ? t->exc * 2 : 64;

		ex = realloc(t->ex, cap * sizeof(*ex));
		if (!ex)
			return;
		t->ex = ex;
		t->exc = cap;
	}
	memmove(&t->ex[at + 1], &t->ex[at], (t->nex - at) * sizeof(*t->ex));
	t->ex[at].pid = pid;
	t->ex[at].intervals = 0;
	t->ex[at].has_entries = 1;
	t->nex++;
}

/* Entries of processes gone long ago and no longer in the kernel leave the
 * table; their traffic stays in the totals. Exited pids with nothing left
 * are forgotten. Keeps memory bounded under process churn. */
static int retire(struct pc_flowtab *t)
{
	struct entry *old = t->e;
	size_t i, j, removed = 0, oldcap = t->cap;
	int err;

	for (i = 0; i < t->nex; i++)
		t->ex[i].has_entries = 0;
	for (i = 0; i < oldcap; i++) {
		struct entry *e = &old[i];
		int xi;

		if (!e->used || !e->key.pid)
			continue;
		xi = exited_index(t, e->key.pid);
		if (xi < 0 && !e->in_kernel && kill(e->key.pid, 0) && errno == ESRCH) {
			pc_flowtab_exited(t, e->key.pid); /* its exit event was lost */
			xi = exited_index(t, e->key.pid);
		}
		if (xi < 0)
			continue;
		if (e->in_kernel || t->ex[xi].intervals <= t->keep_intervals) {
			t->ex[xi].has_entries = 1;
			continue;
		}
		e->used = 3; /* to retire */
		removed++;
	}
	for (i = j = 0; i < t->nex; i++)
		if (t->ex[i].has_entries || t->ex[i].intervals <= t->keep_intervals)
			t->ex[j++] = t->ex[i];
	t->nex = j;
	if (!removed)
		return 0;
	err = rebuild(t);
	if (err) /* kept for the next time */
		for (i = 0; i < oldcap; i++)
			if (old[i].used == 3)
				old[i].used = 1;
	return err;
}

/* By pid, then connection (direction left out), then direction: both
 * directions of a connection end up next to each other. */
static int cmp_entry_pid(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	struct pc_flow_key kx = x->key, ky = y->key;
	int c;

	if (kx.pid != ky.pid)
		return kx.pid < ky.pid ? -1 : 1;
	kx.dir = ky.dir = 0;
	c = memcmp(&kx, &ky, sizeof(kx));
	if (c)
		return c;
	return (int)x->key.dir - (int)y->key.dir;
}

static int cmp_conn_rate(const void *a, const void *b)
{
	const struct pc_conn *x = a, *y = b;
	double rx = x->t.tx_rate + x->t.rx_rate, ry = y->t.tx_rate + y->t.rx_rate;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	return (x->t.tx_bytes + x->t.rx_bytes) > (y->t.tx_bytes + y->t.rx_bytes) ? -1 : 1;
}

static void add_traffic(struct pc_traffic *to, const struct entry *e, int tx, double secs)
{
	double rate = secs > 0 ? e->delta_bytes / secs : 0;
	double prate = secs > 0 ? e->delta_packets / secs : 0;

	if (tx) {
		to->tx_bytes += e->bytes;
		to->tx_payload += e->payload;
		to->tx_packets += e->packets;
		to->tx_rate += rate;
		to->tx_pkt_rate += prate;
	} else {
		to->rx_bytes += e->bytes;
		to->rx_payload += e->payload;
		to->rx_packets += e->packets;
		to->rx_rate += rate;
		to->rx_pkt_rate += prate;
	}
}

static int same_conn(const struct pc_flow_key *a, const struct pc_flow_key *b)
{
	struct pc_flow_key x = *a, y = *b;

	x.dir = y.dir = PC_DIR_OUT;
	return !memcmp(&x, &y, sizeof(x));
}

/* Rebuilds rows from the table: one per pid, connections grouped. A pid
 * that exited more than keep_intervals updates ago is not listed. */
static int build_rows(struct pc_flowtab *t, double secs)
{
	struct entry **list;
	size_t i, n = 0, r;
	int ret = 0;

	list = malloc((t->used ? t->used : 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->e[i].used)
			list[n++] = &t->e[i];
	qsort(list, n, sizeof(*list), cmp_entry_pid);
	t->nrows = t->nconns = 0;
	if (n > t->conncap) {
		struct pc_conn *c = realloc(t->conns, n * sizeof(*c));

		if (!c) {
			ret = -ENOMEM;
			goto out;
		}
		t->conns = c;
		t->conncap = n;
	}
	memset(&t->totals, 0, sizeof(t->totals));
	t->totals.rx_bytes = t->retired_bytes[0];
	t->totals.tx_bytes = t->retired_bytes[1];
	t->totals.rx_payload = t->retired_payload[0];
	t->totals.tx_payload = t->retired_payload[1];
	t->totals.rx_packets = t->retired_packets[0];
	t->totals.tx_packets = t->retired_packets[1];
	for (i = 0; i < n; i++) {
		struct entry *e = list[i];
		struct pc_proc_row *row;
		struct pc_conn *c;
		int xi = exited_index(t, e->key.pid);
		int tx = e->key.dir == PC_DIR_OUT;

		add_traffic(&t->totals, e, tx, secs);
		if (e->key.pid && xi >= 0 && t->ex[xi].intervals > t->keep_intervals)
			continue;
		row = t->nrows ? &t->rows[t->nrows - 1] : NULL;
		if (!row || row->pid != e->key.pid) {
			if (t->nrows == t->rowcap) {
				size_t cap = t->rowcap ? t->rowcap * 2 : 64;
				struct pc_proc_row *rows = realloc(t->rows, cap * sizeof(*rows));

				if (!rows) {
					ret = -ENOMEM;
					goto out;
				}
				t->rows = rows;
				t->rowcap = cap;
			}
			row = &t->rows[t->nrows++];
			memset(row, 0, sizeof(*row));
			row->pid = e->key.pid;
			row->exited = xi >= 0;
			row->conns = &t->conns[t->nconns];
		}
		if (e->comm[0] && (!row->comm[0] || e->last_ns)) {
			memcpy(row->comm, e->comm, sizeof(row->comm));
			row->uid = e->uid;
			row->tid = e->tid;
		}
		add_traffic(&row->t, e, tx, secs);
		if (is_fold(&e->key))
			continue; /* in the process's totals, no connection */
		c = row->nconns ? &row->conns[row->nconns - 1] : NULL;
		if (!c || !same_conn(&c->key, &e->key)) {
			c = &row->conns[row->nconns++];
			t->nconns++;
			memset(c, 0, sizeof(*c));
			c->key = e->key;
			c->key.dir = PC_DIR_OUT;
		}
		add_traffic(&c->t, e, tx, secs);
		if (e->last_ns > c->last_ns)
			c->last_ns = e->last_ns;
	}
	for (r = 0; r < t->nrows; r++)
		qsort(t->rows[r].conns, t->rows[r].nconns, sizeof(struct pc_conn), cmp_conn_rate);
out:
	free(list);
	return ret;
}

/* Walks one kernel map into the table, remembering idle entries. */
static int walk(struct pc_flowtab *t, int fd, uint64_t now_ns, uint64_t idle_ns)
{
	struct pc_flow_key key, next, *prev = NULL;
	size_t i;
	int err;

	t->nidle = 0;
	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		err = absorb(t, fd, &key, now_ns, idle_ns);
		if (err < 0)
			return err;
		if (err > 0 && remember_idle(t, &key))
			return -ENOMEM;
	}
	for (i = 0; i < t->nidle; i++) {
		struct entry *e = lookup_slot(t->e, t->cap, &t->idle[i]);

		if (!bpf_map_delete_elem(fd, &t->idle[i]) && e->used)
			e->in_kernel = 0;
	}
	return 0;
}

int pc_flowtab_update(struct pc_flowtab *t, uint64_t now_ns, uint64_t idle_ns)
{
	double secs;
	size_t i, nfold = 0;
	int err;

	t->generation++;
	for (i = 0; i < t->cap; i++) {
		t->e[i].delta_bytes = t->e[i].pend_bytes;
		t->e[i].delta_packets = t->e[i].pend_packets;
		t->e[i].pend_bytes = t->e[i].pend_packets = 0;
	}
	err = walk(t, t->fd, now_ns, idle_ns);
	if (!err)
		err = walk(t, t->fold_fd, now_ns, idle_ns);
	if (err)
		return err;
	for (i = 0; i < t->cap; i++) {
		struct entry *e = &t->e[i];

		if (!e->used)
			continue;
		/* deleted in the kernel behind our back: restart from zero */
		if (e->touched != t->generation)
			e->in_kernel = 0;
		if (e->in_kernel || is_fold(&e->key))
			continue;
		/* a connection that left the kernel (or, counted in user
		 * space, idle as long): into its process's total */
		if (t->fd >= 0 || (idle_ns && now_ns > e->last_ns + idle_ns)) {
			e->used = 2;
			nfold++;
		}
	}
	if (nfold && !rebuild(t))
		t->stats.folded += nfold;
	else if (nfold) /* out of memory: folded next time */
		for (i = 0; i < t->cap; i++)
			if (t->e[i].used == 2)
				t->e[i].used = 1;
	for (i = 0; i < t->nex; i++)
		t->ex[i].intervals++;
	err = retire(t);
	if (err)
		return err;
	secs = t->last_update_ns ? (now_ns - t->last_update_ns) / 1e9 : 0;
	t->last_update_ns = now_ns;
	return build_rows(t, secs);
}

void pc_flowtab_stats(const struct pc_flowtab *t, struct pc_flowtab_stats *st)
{
	*st = t->stats;
}

void pc_flowtab_set_keep(struct pc_flowtab *t, int (*keep)(void *ctx, uint32_t pid), void *ctx)
{
	t->keep = keep;
	t->keep_ctx = ctx;
}

void pc_flowtab_set_limit(struct pc_flowtab *t, size_t limit)
{
	t->limit = limit < 16 ? 16 : limit;
}

size_t pc_flowtab_rows(const struct pc_flowtab *t, const struct pc_proc_row **rows)
{
	*rows = t->rows;
	return t->nrows;
}

void pc_flowtab_totals(const struct pc_flowtab *t, struct pc_traffic *sum)
{
	*sum = t->totals;
}

int pc_flowtab_add(struct pc_flowtab *t, const struct pc_flow_key *k, uint64_t bytes,
		   uint64_t payload, uint64_t packets, const struct pc_owner *owner, uint64_t ts_ns)
{
	struct entry *e = find_or_add(t, k);

	if (!e) { /* full of processes: the process's total, else the overall one */
		struct pc_flow_key fk = fold_key(k);

		e = find_or_add(t, &fk);
	}
	if (!e) {
		int tx = k->dir == PC_DIR_OUT;

		t->stats.full++;
		t->retired_bytes[tx] += bytes;
		t->retired_payload[tx] += payload;
		t->retired_packets[tx] += packets;
		return 0;
	}
	e->bytes += bytes;
	e->payload += payload;
	e->packets += packets;
	e->pend_bytes += bytes;
	e->pend_packets += packets;
	if (ts_ns > e->last_ns)
		e->last_ns = ts_ns;
	if (owner && owner->pid) {
		memcpy(e->comm, owner->comm, sizeof(e->comm));
		e->uid = owner->uid;
		e->tid = owner->tid;
	}
	return 0;
}

/* One end of a packet as seen from its process. */
static int add_end(struct pc_flowtab *t, const struct pc_packet *rec, const struct pc_decoded *d,
		   const struct pc_owner *ow, int dir, uint64_t payload)
{
	struct pc_flow_key k;
	int local_src = dir == PC_DIR_OUT;
	size_t alen = d->family == AF_INET ? 4 : 16;

	memset(&k, 0, sizeof(k));
	k.pid = ow ? ow->pid : 0;
	k.netns = rec->netns;
	k.dir = dir;
	k.proto = d->proto;
	k.family = d->family == AF_INET ? 4 : 6;
	if (d->has_ports) {
		k.lport = local_src ? d->sport : d->dport;
		k.rport = local_src ? d->dport : d->sport;
	}
	memcpy(k.laddr, local_src ? d->saddr : d->daddr, alen);
	memcpy(k.raddr, local_src ? d->daddr : d->saddr, alen);
	if (!ow || !ow->pid) { /* kernel-generated: one entry, as the kernel keys it */
		memset(k.laddr, 0, sizeof(k.laddr));
		memset(k.raddr, 0, sizeof(k.raddr));
		k.lport = k.rport = 0;
	}
	return pc_flowtab_add(t, &k, rec->len, payload, rec->gso_segs ? rec->gso_segs : 1, ow,
			      rec->ts_ns);
}

int pc_flowtab_add_packet(struct pc_flowtab *t, const struct pc_packet *rec, size_t size)
{
	struct pc_decoded d;
	uint64_t payload;
	int err;

	if (size < sizeof(*rec) || rec->caplen > size - sizeof(*rec))
		return -EINVAL;
	if (pc_decode_ip(rec->data, rec->caplen, rec->len, &d))
		return 0; /* not IP: the kernel's counters skip it too */
	payload = d.payload > 0 ? (uint64_t)d.payload : 0;
	err = add_end(t, rec, &d, rec->flags & PC_PKT_OWNER ? &rec->owner : NULL, rec->dir, payload);
	/* a loopback packet with its receiver: counted in for that end too,
	 * as the kernel counts it at both sockets */
	if (!err && rec->flags & PC_PKT_PEER)
		err = add_end(t, rec, &d, &rec->peer, rec->dir == PC_DIR_OUT ? PC_DIR_IN : PC_DIR_OUT,
			      payload);
	return err;
}
