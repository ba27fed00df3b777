/* The one general hash table (64-bit keys to pointers), first written for
 * the process cache. Not for tables with their own layout (the flow table
 * keeps entries inline, the fallback's owner rules chain by hash). */
#include <errno.h>
#include <stdlib.h>
#include "lib/hash.h"
#include "lib/htab.h"

/* Index of key, or of the empty slot where it would go. cap > 0. */
static size_t find(const struct pc_htab *h, uint64_t key)
{
	size_t mask = h->cap - 1, i = pc_hash_mix64(key) & mask;

	while (h->slots[i].val && h->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

void *pc_htab_get(const struct pc_htab *h, uint64_t key)
{
	if (!h->cap)
		return NULL;
	return h->slots[find(h, key)].val;
}

static int grow(struct pc_htab *h)
{
	struct pc_htab n = { 0 };
	size_t i;

	n.cap = h->cap ? h->cap * 2 : 64;
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (i = 0; i < h->cap; i++) {
		if (h->slots[i].val)
			n.slots[find(&n, h->slots[i].key)] = h->slots[i];
	}
	n.len = h->len;
	free(h->slots);
	*h = n;
	return 0;
}

int pc_htab_put(struct pc_htab *h, uint64_t key, void *val)
{
	size_t i;
	int err;

	if ((h->len + 1) * 10 > h->cap * 7) {
		err = grow(h);
		if (err)
			return err;
	}
	i = find(h, key);
	if (!h->slots[i].val)
		h->len++;
	h->slots[i].key = key;
	h->slots[i].val = val;
	return 0;
}

int pc_htab_del(struct pc_htab *h, uint64_t key)
{
	size_t i;

	if (!h->cap)
		return -ENOENT;
	i = find(h, key);
	if (!h->slots[i].val)
		return -ENOENT;
	pc_htab_del_at(h, i);
	return 0;
}

void pc_htab_del_at(struct pc_htab *h, size_t i)
{
	size_t mask = h->cap - 1, j = i, home;

	h->slots[i].val = NULL;
	h->len--;
	for (;;) {
		j = (j + 1) & mask;
		if (!h->slots[j].val)
			break;
		home = pc_hash_mix64(h->slots[j].key) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->slots[i] = h->slots[j];
			h->slots[j].val = NULL;
			i = j;
		}
	}
}
