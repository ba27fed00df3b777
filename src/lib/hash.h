/* The hash functions of pidcap's tables: one mixer for integer keys and
 * one hash of bytes (struct keys, strings). Not for cryptography or for
 * anything an attacker may choose to collide on purpose. */
#ifndef PIDCAP_HASH_H
#define PIDCAP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finalizer: every bit of x moves every bit of the result,
 * so that "& (size - 1)" of it spreads sequential pids and inodes. */
static inline uint64_t pc_hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* FNV-1a, 64 bits, over n bytes (keys must be zero-padded). */
static inline uint64_t pc_hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

#endif
