/* Holds packet records whose owner is still "the listener" (handshake and
 * data of a connection before a process took it) until the claim record
 * (that process's first send or receive on it) names the process, so that a prefork server's packets go to the worker,
 * not the master. Keeps output order. Not for anything else. */
#ifndef PIDCAP_HOLDQ_H
#define PIDCAP_HOLDQ_H

#include <stddef.h>
#include <stdint.h>
#include "records.h"

struct pc_holdq;

typedef void (*pc_emit_fn)(void *ctx, const struct pc_packet *rec, size_t size);

/* hold_ns: how long a record may wait for its claim; max_bytes: how much
 * the held copies may take (past it, or 65,536 records, the oldest goes
 * out unresolved at once, as after hold_ns: nothing is dropped). */
int pc_holdq_new(struct pc_holdq **out, uint64_t hold_ns, size_t max_bytes, pc_emit_fn emit,
		 void *ctx);
void pc_holdq_free(struct pc_holdq *q);
/* A packet record: emitted at once when nothing is held and its owners are
 * final, otherwise copied and queued. Returns 0 or -ENOMEM. */
int pc_holdq_packet(struct pc_holdq *q, const struct pc_packet *rec, size_t size, uint64_t now_ns);
/* A process took an accepted socket: resolves held records of its connection
 * (matched by addresses, ports and network namespace). */
void pc_holdq_claim(struct pc_holdq *q, const struct pc_claim *ev, uint64_t now_ns);
/* Emits held records from the head that are resolved or older than
 * hold_ns (all of them when `all`). */
void pc_holdq_flush(struct pc_holdq *q, uint64_t now_ns, int all);
size_t pc_holdq_len(const struct pc_holdq *q);
/* Records let out unresolved before hold_ns because of a bound. */
uint64_t pc_holdq_early(const struct pc_holdq *q);

#endif
