/* FIFO of copied packet records waiting for an accept event, plus a short
 * memory of recent accepts for records that arrive after their event.
 * Not for capture or printing: emits through the caller's callback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "holdq.h"

#define RECENT_ACCEPTS 256

struct held {
	struct held *next;
	uint64_t arrived_ns;
	size_t size;
	struct pc_packet rec; /* followed by rec.caplen bytes */
};

struct pc_holdq {
	struct held *head, *tail;
	size_t len;
	uint64_t hold_ns;
	pc_emit_fn emit;
	void *ctx;
	struct {
		uint64_t sk, ts_ns;
		struct pc_owner owner;
	} recent[RECENT_ACCEPTS];
	unsigned int next_recent;
};

static const uint16_t PENDING = PC_PKT_OWNER_LISTENER | PC_PKT_PEER_LISTENER;

int pc_holdq_new(struct pc_holdq **out, uint64_t hold_ns, pc_emit_fn emit, void *ctx)
{
	struct pc_holdq *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (!q)
		return -ENOMEM;
	q->hold_ns = hold_ns;
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

/* Applies an accept of sk to rec; returns 1 if anything changed. */
static int resolve(struct pc_packet *rec, uint64_t sk, const struct pc_owner *owner)
{
	int changed = 0;

	if ((rec->flags & PC_PKT_OWNER_LISTENER) && rec->owner_sk == sk) {
		rec->owner = *owner;
		rec->flags &= ~PC_PKT_OWNER_LISTENER;
		changed = 1;
	}
	if ((rec->flags & PC_PKT_PEER_LISTENER) && rec->peer_sk == sk) {
		rec->peer = *owner;
		rec->flags &= ~PC_PKT_PEER_LISTENER;
		changed = 1;
	}
	return changed;
}

static void resolve_from_recent(struct pc_holdq *q, struct pc_packet *rec)
{
	unsigned int i;

	for (i = 0; i < RECENT_ACCEPTS && (rec->flags & PENDING); i++)
		if (q->recent[i].sk)
			resolve(rec, q->recent[i].sk, &q->recent[i].owner);
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
	if (h->rec.flags & PENDING)
		resolve_from_recent(q, &h->rec);
	if (q->tail)
		q->tail->next = h;
	else
		q->head = h;
	q->tail = h;
	q->len++;
	pc_holdq_flush(q, now_ns, 0);
	return 0;
}

void pc_holdq_accept(struct pc_holdq *q, uint64_t sk, const struct pc_owner *owner,
		     uint64_t now_ns)
{
	struct held *h;
	unsigned int slot = q->next_recent++ % RECENT_ACCEPTS;

	q->recent[slot].sk = sk;
	q->recent[slot].ts_ns = now_ns;
	q->recent[slot].owner = *owner;
	for (h = q->head; h; h = h->next)
		resolve(&h->rec, sk, owner);
	pc_holdq_flush(q, now_ns, 0);
}

void pc_holdq_flush(struct pc_holdq *q, uint64_t now_ns, int all)
{
	struct held *h;

	while ((h = q->head)) {
		if (!all && (h->rec.flags & PENDING) && now_ns - h->arrived_ns < q->hold_ns)
			break;
		q->head = h->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
		q->emit(q->ctx, &h->rec, h->size);
		free(h);
	}
}

size_t pc_holdq_len(const struct pc_holdq *q)
{
	return q->len;
}
