/* The tables behind fallback/owner_rules.h, shared by the owner_*.c files
 * only: flows (the packet's addresses -> socket, negative answers too),
 * sockets (by cookie, from sock_diag), ports (unconnected UDP), inodes
 * (socket inode -> the processes holding it, as observed by a scan between
 * two times) and pids (birth, exit, forks and children's exec/exit times),
 * on a small chained hash table. Not for callers outside owner_*.c: they
 * use owner_rules.h. */
#ifndef PIDCAP_OWNER_TABLES_H
#define PIDCAP_OWNER_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include "fallback/owner_rules.h"

#define MS 1000000ULL
#define NHIST 16                   /* fork and child-event times kept per pid */
#define MAX_YOUNG 256              /* processes started since the last full scan */

/* ---- a small chained hash table over 64-bit hashes (owner_tables.c) ---- */

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

int ow_tab_init(struct htab *t);
void ow_tab_add(struct htab *t, struct hnode *e, uint64_t hash);
/* The first entry with this hash, then the next one with the same hash. */
struct hnode *ow_tab_first(const struct htab *t, uint64_t hash);
struct hnode *ow_tab_next(struct hnode *e);
void ow_tab_del(struct htab *t, struct hnode *e);
/* Calls fn on every entry; fn may delete the entry it is given. */
void ow_tab_each(struct htab *t, void (*fn)(void *ctx, struct hnode *e), void *ctx);
void ow_tab_free_all(struct htab *t);

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

/* ---- pids (owner_pids.c) ---- */

struct pid_ent *ow_pid_find(const struct pc_owners *o, uint32_t pid);
/* Finds or adds pid (NULL for pid 0 or out of memory). */
struct pid_ent *ow_pid_get(struct pc_owners *o, uint32_t pid);

/* ---- sockets and flows (owner_socks.c) ---- */

uint64_t ow_key_hash(const struct pc_sock_query *k);
uint64_t ow_port_hash(uint8_t family, uint16_t lport);
/* k = q with the unused address bytes zeroed, fit to hash and compare. */
void ow_normalize(struct pc_sock_query *k, const struct pc_sock_query *q);
struct flow_ent *ow_flow_find(const struct pc_owners *o, const struct pc_sock_query *k,
			      uint64_t hash);

/* ---- scans (owner_scans.c) ---- */

/* pid forked or exec'd: it may hold sockets no full scan has seen. */
void ow_young_add(struct pc_owners *o, uint32_t pid);
struct ino_ent *ow_ino_find(const struct htab *t, uint32_t inode);
/* Asks for a scan of inode's holders: a partial one when it was observed
 * before and full is 0, else a full one. */
void ow_want_scan(struct pc_owners *o, uint32_t inode, int full);

#endif
