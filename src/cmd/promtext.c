/* Series of the exporter and their Prometheus text rendering. Each pid
 * seen in flowtab rows has a track (its last totals); its growth is added
 * to the series of its labels, so that counters never go backwards, keep
 * the traffic of exited processes (--by-exe) and leave grace_ns after the
 * last of their processes exited. Not for HTTP or reading the kernel. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/promtext.h"
#include "lib/hash.h"
#include "lib/strbuf.h"

#define LABEL_MAX 512     /* bytes of an escaped label value */
#define SERIES_BUCKETS 4096
#define TRACK_BUCKETS 4096

enum { TX_BYTES, RX_BYTES, TX_PACKETS, RX_PACKETS, NVALS };

struct series {
	struct series *next;         /* hash chain */
	struct series *prev_all, *next_all; /* creation order, for rendering */
	uint64_t hash;
	char *key;                   /* pid \n exe \n cmd \n owner \n ctid \n ctname,
				      * escaped; then the values again, NUL-terminated */
	uint32_t pid;                /* 0 unless by pid */
	char *exe, *cmd, *owner;     /* escaped, point after the key */
	char *ctid, *ctname;
	uint64_t val[NVALS];
	size_t refs;                 /* tracks pointing here */
	size_t live;                 /* of which not exited */
	uint64_t gone_ns;            /* when live fell to 0; 0 while live */
};

struct track {
	struct track *next;
	uint32_t pid;
	int exited;
	uint32_t gen;
	uint64_t raw[NVALS];
	struct series *s;            /* NULL when max_series was hit */
};

struct pc_prom {
	int by;
	uint64_t grace_ns;
	size_t max_series, nseries;
	uint64_t overflow;
	uint32_t gen;
	struct series *buckets[SERIES_BUCKETS];
	struct series *first, *last;
	struct track *tracks[TRACK_BUCKETS];
	uint64_t unowned[NVALS], unowned_raw[NVALS];
	int unowned_seen;
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t pc_prom_escape(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	if (!dstsz)
		return 0;
	while (i < srclen) {
		const char *rep;
		size_t n = s[i] ? utf8_len(s + i, srclen - i) : 0, rl;

		if (n == 0) {
			rep = "\xef\xbf\xbd", rl = 3, n = 1;
		} else if (s[i] == '\\') {
			rep = "\\\\", rl = 2;
		} else if (s[i] == '"') {
			rep = "\\\"", rl = 2;
		} else if (s[i] == '\n') {
			rep = "\\n", rl = 2;
		} else {
			rep = (const char *)s + i, rl = n;
		}
		if (o + rl >= dstsz)
			break;
		memcpy(dst + o, rep, rl);
		o += rl;
		i += n;
	}
	dst[o] = 0;
	return o;
}

int pc_prom_new(struct pc_prom **out, int by, uint64_t grace_ns, size_t max_series)
{
	struct pc_prom *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->by = by;
	p->grace_ns = grace_ns;
	p->max_series = max_series;
	*out = p;
	return 0;
}

static void free_series(struct pc_prom *p, struct series *s)
{
	struct series **pp = &p->buckets[s->hash % SERIES_BUCKETS];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	if (s->prev_all)
		s->prev_all->next_all = s->next_all;
	else
		p->first = s->next_all;
	if (s->next_all)
		s->next_all->prev_all = s->prev_all;
	else
		p->last = s->prev_all;
	free(s->key);
	free(s);
	p->nseries--;
}

void pc_prom_free(struct pc_prom *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < TRACK_BUCKETS; i++) {
		struct track *t = p->tracks[i], *n;

		for (; t; t = n) {
			n = t->next;
			free(t);
		}
	}
	while (p->first)
		free_series(p, p->first);
	free(p);
}

/* An escaped label value; "" for NULL or when not wanted. */
static size_t label(char *dst, const char *s, int want)
{
	dst[0] = 0;
	return want && s ? pc_prom_escape(dst, LABEL_MAX, s, strlen(s)) : 0;
}

/* The series for these labels (and pid when by pid), created if new;
 * NULL when out of memory or past max_series. */
static struct series *get_series(struct pc_prom *p, uint32_t pid, const struct pc_prom_labels *l)
{
	char exe[LABEL_MAX], cmd[LABEL_MAX], owner[LABEL_MAX], ctid[LABEL_MAX],
		ctname[LABEL_MAX], pidbuf[16];
	int by_pid = p->by == PC_PROM_BY_PID, process = p->by != PC_PROM_BY_CONTAINER;
	size_t le, lc, lo, lp, li, ln, klen;
	struct series *s;
	uint64_t h;
	char *k;

	le = label(exe, l->exe_name, process);
	lc = label(cmd, l->command, by_pid);
	lo = label(owner, l->owner, process);
	li = label(ctid, l->container_id, 1);
	/* a name without an id is not shown: no series of its own either */
	ln = label(ctname, l->container_name, li > 0);
	lp = by_pid ? (size_t)snprintf(pidbuf, sizeof(pidbuf), "%" PRIu32, pid) : 0;
	if (!by_pid)
		pidbuf[0] = 0;
	/* key: pid \n exe \n cmd \n owner \n ctid \n ctname (escaped values
	 * hold no newline) */
	klen = lp + 1 + le + 1 + lc + 1 + lo + 1 + li + 1 + ln;
	k = malloc(2 * (klen + 1));
	if (!k)
		return NULL;
	snprintf(k, klen + 1, "%s\n%s\n%s\n%s\n%s\n%s", pidbuf, exe, cmd, owner, ctid, ctname);
	h = pc_hash_bytes(k, klen);
	for (s = p->buckets[h % SERIES_BUCKETS]; s; s = s->next)
		if (s->hash == h && !strcmp(s->key, k)) {
			free(k);
			return s;
		}
	if (p->nseries >= p->max_series) {
		free(k);
		p->overflow++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(k);
		return NULL;
	}
	s->hash = h;
	s->key = k;
	s->pid = pid;
	/* a copy of the key after it, split into the three label values */
	memcpy(k + klen + 1, k, klen + 1);
	s->exe = k + klen + 1 + lp + 1;
	s->cmd = s->exe + le + 1;
	s->owner = s->cmd + lc + 1;
	s->ctid = s->owner + lo + 1;
	s->ctname = s->ctid + li + 1;
	s->exe[le] = s->cmd[lc] = s->owner[lo] = s->ctid[li] = 0;
	s->next = p->buckets[h % SERIES_BUCKETS];
	p->buckets[h % SERIES_BUCKETS] = s;
	s->prev_all = p->last;
	if (p->last)
		p->last->next_all = s;
	else
		p->first = s;
	p->last = s;
	p->nseries++;
	return s;
}

static struct track **find_track(struct pc_prom *p, uint32_t pid)
{
	struct track **tp = &p->tracks[pid % TRACK_BUCKETS];

	while (*tp && (*tp)->pid != pid)
		tp = &(*tp)->next;
	return tp;
}

static void detach(struct track *t, uint64_t now_ns)
{
	struct series *s = t->s;

	if (!s)
		return;
	if (!t->exited && --s->live == 0)
		s->gone_ns = now_ns ? now_ns : 1;
	s->refs--;
	t->s = NULL;
}

static void attach(struct track *t, struct series *s)
{
	t->s = s;
	if (!s)
		return;
	s->refs++;
	if (!t->exited) {
		s->live++;
		s->gone_ns = 0;
	}
}

void pc_prom_begin(struct pc_prom *p)
{
	p->gen++;
	p->unowned_seen = 0;
}

/* Adds the growth of raw over last to acc: a total that went down
 * started again from zero. */
static void grow(uint64_t *acc, uint64_t *last, const uint64_t *raw)
{
	int i;

	for (i = 0; i < NVALS; i++) {
		acc[i] += raw[i] >= last[i] ? raw[i] - last[i] : raw[i];
		last[i] = raw[i];
	}
}

int pc_prom_observe(struct pc_prom *p, uint32_t pid, const struct pc_prom_labels *l,
		    int exited, const struct pc_traffic *tr, uint64_t now_ns)
{
	uint64_t raw[NVALS] = { tr->tx_bytes, tr->rx_bytes, tr->tx_packets, tr->rx_packets };
	struct track **tp, *t;
	struct series *s;

	if (!pid) {
		grow(p->unowned, p->unowned_raw, raw);
		p->unowned_seen = 1;
		return 0;
	}
	tp = find_track(p, pid);
	t = *tp;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->pid = pid;
		t->next = p->tracks[pid % TRACK_BUCKETS];
		p->tracks[pid % TRACK_BUCKETS] = t;
	}
	t->gen = p->gen;
	/* A pid keeps the labels it was first seen with: what the process
	 * cache knows about it can change (exe from the exec event, then from
	 * /proc), and a new label set would restart its counters from 0. */
	if (!t->s) {
		s = get_series(p, pid, l);
		attach(t, s);
	}
	if (exited && !t->exited) {
		if (t->s && --t->s->live == 0)
			t->s->gone_ns = now_ns ? now_ns : 1;
		t->exited = 1;
	} else if (!exited && t->exited) { /* pid reused while listed */
		t->exited = 0;
		if (t->s && t->s->live++ == 0)
			t->s->gone_ns = 0;
	}
	if (t->s)
		grow(t->s->val, t->raw, raw);
	else
		memcpy(t->raw, raw, sizeof(raw));
	return 0;
}

void pc_prom_end(struct pc_prom *p, uint64_t now_ns)
{
	struct series *s, *n;
	size_t i;

	if (!p->unowned_seen)
		memset(p->unowned_raw, 0, sizeof(p->unowned_raw));
	for (i = 0; i < TRACK_BUCKETS; i++) {
		struct track **tp = &p->tracks[i];

		while (*tp) {
			struct track *t = *tp;

			if (t->gen == p->gen) {
				tp = &t->next;
				continue;
			}
			detach(t, now_ns);
			*tp = t->next;
			free(t);
		}
	}
	for (s = p->first; s; s = n) {
		n = s->next_all;
		if (!s->refs && s->gone_ns && now_ns - s->gone_ns >= p->grace_ns)
			free_series(p, s);
	}
}

size_t pc_prom_nseries(const struct pc_prom *p)
{
	return p->nseries;
}

uint64_t pc_prom_overflow(const struct pc_prom *p)
{
	return p->overflow;
}

static void family(struct pc_sb *b, const char *name, const char *type, const char *help)
{
	pc_sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample without labels. */
static void single(struct pc_sb *b, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	family(b, name, type, help);
	pc_sb_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void series_family(struct pc_sb *b, const struct pc_prom *p, const char *name, int tx_idx,
			  int rx_idx)
{
	const struct series *s;
	int d;

	for (s = p->first; s; s = s->next_all) {
		for (d = 0; d < 2; d++) {
			pc_sb_printf(b, "%s{network_io_direction=\"%s\"", name,
				     d ? "receive" : "transmit");
			if (p->by == PC_PROM_BY_PID)
				pc_sb_printf(b,
					     ",process_pid=\"%" PRIu32 "\",process_command=\"%s\"",
					     s->pid, s->cmd);
			if (p->by != PC_PROM_BY_CONTAINER)
				pc_sb_printf(b, ",process_executable_name=\"%s\",process_owner=\"%s\"",
					     s->exe, s->owner);
			if (s->ctid[0])
				pc_sb_printf(b, ",container_id=\"%s\",container_name=\"%s\"", s->ctid,
					     s->ctname);
			pc_sb_printf(b, "} %" PRIu64 "\n", s->val[d ? rx_idx : tx_idx]);
		}
	}
}

int pc_prom_render(const struct pc_prom *p, const struct pc_prom_self *self, char **out,
		   size_t *len)
{
	struct pc_sb b;

	*out = NULL;
	*len = 0;
	if (pc_sb_alloc(&b, 4096))
		return -ENOMEM;
	family(&b, "process_network_io_bytes_total", "counter",
	       "Bytes on the wire (IP headers included) sent and received by the process's "
	       "sockets, counted in the kernel.");
	series_family(&b, p, "process_network_io_bytes_total", TX_BYTES, RX_BYTES);
	family(&b, "process_network_io_packets_total", "counter",
	       "Packets sent and received by the process's sockets (GSO segments counted).");
	series_family(&b, p, "process_network_io_packets_total", TX_PACKETS, RX_PACKETS);
	family(&b, "pidcap_unowned_network_io_bytes_total", "counter",
	       "Bytes on the wire of packets that no process owns (kernel-generated).");
	pc_sb_printf(
		&b,
		"pidcap_unowned_network_io_bytes_total{network_io_direction=\"transmit\"} %" PRIu64
		"\npidcap_unowned_network_io_bytes_total{network_io_direction=\"receive\"} %" PRIu64
		"\n",
		p->unowned[TX_BYTES], p->unowned[RX_BYTES]);
	family(&b, "pidcap_unowned_network_io_packets_total", "counter",
	       "Packets that no process owns (kernel-generated).");
	pc_sb_printf(&b,
		     "pidcap_unowned_network_io_packets_total{network_io_direction=\"transmit\"} "
		     "%" PRIu64 "\npidcap_unowned_network_io_packets_total{network_io_direction="
				"\"receive\"} %" PRIu64 "\n",
		     p->unowned[TX_PACKETS], p->unowned[RX_PACKETS]);
	single(&b, "pidcap_packets_counted_total", "counter",
	       "Packets counted in the kernel (after the process filters).",
	       self->counted);
	single(&b, "pidcap_packets_filtered_total", "counter",
	       "Packets left out by the process filters (--pid, --comm, --uid, --cgroup).",
	       self->filtered);
	single(&b, "pidcap_packets_dropped_total", "counter",
	       "Packet records lost in the kernel (ring buffer full).",
	       self->dropped);
	single(&b, "pidcap_process_events_dropped_total", "counter",
	       "Process events (exec, fork, exit) lost in the kernel (ring buffer full).",
	       self->events_dropped);
	single(&b, "pidcap_flows_map_full_total", "counter",
	       "Packets the kernel's flows map (65536 connections) had no room for: counted in "
	       "their process's total without their connection.",
	       self->flows_full);
	single(&b, "pidcap_packets_uncounted_total", "counter",
	       "Packets not counted: the flows map and its per-process overflow were full.",
	       self->uncounted);
	single(&b, "pidcap_flows_folded_total", "counter",
	       "Connections folded into their process's total (left the kernel's map, or "
	       "evicted).",
	       self->flows_folded);
	single(&b, "pidcap_flows_evicted_total", "counter",
	       "Connections folded early because the flow table reached its limit (131072).",
	       self->flows_evicted);
	single(&b, "pidcap_exporter_series", "gauge", "Process series exported now.", p->nseries);
	single(&b, "pidcap_exporter_series_overflow_total", "counter",
	       "Series not created because the series limit was reached.",
	       p->overflow);
	if (b.oom) {
		free(b.buf);
		return -ENOMEM;
	}
	*out = b.buf;
	*len = b.len;
	return 0;
}
