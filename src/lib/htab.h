/* A hash table from 64-bit keys to pointers: open addressing, linear
 * probing, deletion without tombstones. Callers may walk slots[] to visit
 * or free every value. Not for keys wider than 64 bits (hash them first
 * and compare in the value) or for values that may be NULL. */
#ifndef PIDCAP_HTAB_H
#define PIDCAP_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* A slot is empty when val is NULL, so values are never NULL. */
struct pc_slot {
	uint64_t key;
	void *val;
};

struct pc_htab {
	struct pc_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

/* The value of key, or NULL. */
void *pc_htab_get(const struct pc_htab *h, uint64_t key);
/* Inserts or replaces (val not NULL). Returns 0 or -ENOMEM. */
int pc_htab_put(struct pc_htab *h, uint64_t key, void *val);
/* Empties slot i and shifts later members of its cluster back, so that no
 * tombstones are needed. A caller iterating upwards must look at slot i
 * again; an entry may move from the start of the table to its end. */
void pc_htab_del_at(struct pc_htab *h, size_t i);
/* Deletes key. Returns 0 or -ENOENT. */
int pc_htab_del(struct pc_htab *h, uint64_t key);

#endif
