/* FIFO of copied packet records waiting for a claim (the first use of an accepted socket), plus a short
 * memory of recent claims for records that arrive after their event.
 * Not for capture or printing: emits through the caller's callback. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "packet/decode.h"
#include "capture/holdq.h"

#define RECENT_ACCEPTS 256
#define MAX_HELD 65536 /* past this many records, or max_bytes, the oldest record
			* goes out unresolved, as after hold_ns */

struct held {
	struct held *next;
	uint64_t arrived_ns;
	size_t size;
	struct pc_decoded d; /* addresses and ports, to match claims */
	int decoded;
	struct pc_packet rec; /* followed by rec.caplen bytes */
};

struct pc_holdq {
	struct held *head, *tail;
	size_t len;
	size_t bytes, max_bytes; /* of the held records' copies */
	uint64_t early;          /* records let out unresolved because of a bound */
	uint64_t hold_ns;
	pc_emit_fn emit;
	void *ctx;
	struct pc_claim recent[RECENT_ACCEPTS];
	unsigned int next_recent;
};

static const uint16_t PENDING = PC_PKT_OWNER_LISTENER | PC_PKT_PEER_LISTENER;

int pc_holdq_new(struct pc_holdq **out, uint64_t hold_ns, size_t max_bytes, pc_emit_fn emit,
		 void *ctx)
{
	struct pc_holdq *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (!q)
		return -ENOMEM;
	q->hold_ns = hold_ns;
	q->max_bytes = max_bytes;
	q->emit = emit;
	q->ctx = ctx;
	*out = q;
	return 0;
}

void pc_holdq_free(struct pc_holdq *q)
{
	struct held *h, *next;

	if (!q)
		return;
	for (h = q->head; h; h = next) {
		next = h->next;
		free(h);
	}
	free(q);
}

/* Is a (packet address, port) the accepted socket's (address, port)?
 * An IPv4 packet matches an IPv6 socket through a v4-mapped address. */
static int same_end(const struct pc_decoded *d, const uint8_t *addr, uint16_t port,
		    const struct pc_claim *ev, int local)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *ea = local ? ev->laddr : ev->raddr;
	uint16_t ep = local ? ev->lport : ev->rport;

	if (port != ep)
		return 0;
	if (d->family == AF_INET6)
		return ev->family == AF_INET6 && !memcmp(addr, ea, 16);
	if (ev->family == AF_INET)
		return !memcmp(addr, ea, 4);
	return !memcmp(ea, mapped, 12) && !memcmp(addr, ea + 12, 4);
}

/* Does the accepted socket own the local end "src" (or "dst") of h? */
static int accepted_end(const struct held *h, const struct pc_claim *ev, int src)
{
	const struct pc_decoded *d = &h->d;

	if (!h->decoded || !d->has_ports)
		return 0;
	if (h->rec.netns && ev->netns && h->rec.netns != ev->netns)
		return 0;
	if (src)
		return same_end(d, d->saddr, d->sport, ev, 1) &&
		       same_end(d, d->daddr, d->dport, ev, 0);
	return same_end(d, d->daddr, d->dport, ev, 1) && same_end(d, d->saddr, d->sport, ev, 0);
}

/* A claim names the owner of packets close to it in time only: the
 * same addresses and ports may belong to an older connection. */
#define MATCH_WINDOW_NS (2ULL * 1000000000)

/* Applies a claim to a held record. The owner is the local end
 * that sent an "out" packet or received an "in" one; the peer the other. */
static void resolve(struct held *h, const struct pc_claim *ev)
{
	struct pc_packet *rec = &h->rec;
	int out = rec->dir == PC_DIR_OUT;
	uint64_t gap = ev->ts_ns > rec->ts_ns ? ev->ts_ns - rec->ts_ns : rec->ts_ns - ev->ts_ns;

	if (gap > MATCH_WINDOW_NS)
		return;

	if ((rec->flags & PC_PKT_OWNER_LISTENER) && accepted_end(h, ev, out)) {
		rec->owner = ev->owner;
		rec->flags &= ~PC_PKT_OWNER_LISTENER;
	}
	if ((rec->flags & PC_PKT_PEER_LISTENER) && accepted_end(h, ev, !out)) {
		rec->peer = ev->owner;
		rec->flags &= ~PC_PKT_PEER_LISTENER;
	}
}

/* Newest claim first: the latest connection on a reused port wins. */
static void resolve_from_recent(struct pc_holdq *q, struct held *h)
{
	unsigned int i, slot;

	for (i = 1; i <= RECENT_ACCEPTS && (h->rec.flags & PENDING); i++) {
		slot = (q->next_recent - i) % RECENT_ACCEPTS;
		if (q->recent[slot].type)
			resolve(h, &q->recent[slot]);
	}
}

int pc_holdq_packet(struct pc_holdq *q, const struct pc_packet *rec, size_t size, uint64_t now_ns)
{
	struct held *h;

	if (!q->head && !(rec->flags & PENDING)) {
		q->emit(q->ctx, rec, size);
		return 0;
	}
	h = malloc(sizeof(*h) - sizeof(h->rec) + size);
	if (!h)
		return -ENOMEM;
	h->next = NULL;
	h->arrived_ns = now_ns;
	h->size = size;
	memcpy(&h->rec, rec, size);
	h->decoded = 0;
	if (h->rec.flags & PENDING) {
		h->decoded = pc_decode_ip(h->rec.data, h->rec.caplen, h->rec.len, &h->d) == 0;
		resolve_from_recent(q, h);
	}
	if (q->tail)
		q->tail->next = h;
	else
		q->head = h;
	q->tail = h;
	q->len++;
	q->bytes += h->size;
	pc_holdq_flush(q, now_ns, 0);
	return 0;
}

void pc_holdq_claim(struct pc_holdq *q, const struct pc_claim *ev, uint64_t now_ns)
{
	struct held *h;

	q->recent[q->next_recent++ % RECENT_ACCEPTS] = *ev;
	for (h = q->head; h; h = h->next)
		if (h->rec.flags & PENDING)
			resolve(h, ev);
	pc_holdq_flush(q, now_ns, 0);
}

void pc_holdq_flush(struct pc_holdq *q, uint64_t now_ns, int all)
{
	struct held *h;
	int waiting, over;

	while ((h = q->head)) {
		waiting = (h->rec.flags & PENDING) && now_ns - h->arrived_ns < q->hold_ns;
		over = q->len > MAX_HELD || q->bytes > q->max_bytes;
		if (!all && waiting && !over)
			break;
		if (waiting && over)
			q->early++;
		q->head = h->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
		q->bytes -= h->size;
		q->emit(q->ctx, &h->rec, h->size);
		free(h);
	}
}

uint64_t pc_holdq_early(const struct pc_holdq *q)
{
	return q->early;
}

size_t pc_holdq_len(const struct pc_holdq *q)
{
	return q->len;
}
