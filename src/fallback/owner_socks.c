/* The owner tables' sockets, as sock_diag reports them: the answers to
 * one-socket queries (negative ones too, for a short time), the sockets of
 * the start-up dump, destroy notifications, and the last unconnected UDP
 * socket of each port. Not for who holds them (owner_scans.c, owner_rules.c). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "fallback/owner_tables.h"
#include "lib/hash.h"

#define NEG_TTL_NS (200 * MS)     /* no socket for these addresses: ask again after */
#define SHORT_TTL_NS (30 * MS)    /* listener or inode-less socket: the real one comes soon */
#define TCP_LISTEN 10

uint64_t ow_key_hash(const struct pc_sock_query *k)
{
	return pc_hash_bytes(k, sizeof(*k));
}

uint64_t ow_port_hash(uint8_t family, uint16_t lport)
{
	return (uint64_t)family << 16 | lport;
}

void ow_normalize(struct pc_sock_query *k, const struct pc_sock_query *q)
{
	memset(k, 0, sizeof(*k));
	k->family = q->family;
	k->proto = q->proto;
	k->lport = q->lport;
	k->rport = q->rport;
	memcpy(k->laddr, q->laddr, q->family == AF_INET ? 4 : 16);
	memcpy(k->raddr, q->raddr, q->family == AF_INET ? 4 : 16);
}

static struct sk_ent *sock_put(struct pc_owners *o, const struct pc_sock *s, uint64_t seen_ns)
{
	struct sk_ent *e = (struct sk_ent *)ow_tab_first(&o->socks, s->cookie);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->first_seen_ns = seen_ns;
		ow_tab_add(&o->socks, &e->h, s->cookie);
	}
	e->s = *s;
	e->last_used_ns = seen_ns;
	return e;
}

static void port_put(struct pc_owners *o, struct sk_ent *sk)
{
	uint64_t h = ow_port_hash(sk->s.family, sk->s.lport);
	struct port_ent *p = (struct port_ent *)ow_tab_first(&o->ports, h);

	if (sk->s.proto != IPPROTO_UDP || sk->s.rport)
		return;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		ow_tab_add(&o->ports, &p->h, h);
	} else {
		p->sk->refs--;
	}
	p->sk = sk;
	sk->refs++;
}

struct flow_ent *ow_flow_find(const struct pc_owners *o, const struct pc_sock_query *k,
			      uint64_t hash)
{
	struct hnode *e;

	for (e = ow_tab_first(&o->flows, hash); e; e = ow_tab_next(e))
		if (!memcmp(&((struct flow_ent *)e)->key, k, sizeof(*k)))
			return (struct flow_ent *)e;
	return NULL;
}

static void flow_set(struct pc_owners *o, const struct pc_sock_query *k, struct sk_ent *sk,
		     uint64_t expires_ns, uint64_t now_ns)
{
	uint64_t hash = ow_key_hash(k);
	struct flow_ent *f = ow_flow_find(o, k, hash);

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->key = *k;
		ow_tab_add(&o->flows, &f->h, hash);
	} else if (f->sk) {
		f->sk->refs--;
	}
	f->sk = sk;
	if (sk)
		sk->refs++;
	f->expires_ns = expires_ns;
	f->last_used_ns = now_ns;
}

void pc_owners_add_socket(struct pc_owners *o, const struct pc_sock *s, uint64_t seen_ns)
{
	struct pc_sock_query k;
	struct sk_ent *sk = sock_put(o, s, seen_ns);

	if (!sk)
		return;
	port_put(o, sk);
	if (!s->rport || s->state == TCP_LISTEN)
		return; /* flows of unconnected sockets are found by query */
	k.family = s->family;
	k.proto = s->proto;
	k.lport = s->lport;
	k.rport = s->rport;
	memcpy(k.laddr, s->laddr, 16);
	memcpy(k.raddr, s->raddr, 16);
	ow_normalize(&k, &k);
	flow_set(o, &k, sk, s->inode ? 0 : seen_ns + SHORT_TTL_NS, seen_ns);
}

void pc_owners_query_result(struct pc_owners *o, const struct pc_sock_query *q,
			    const struct pc_sock *s, uint64_t asked_ns, uint64_t now_ns)
{
	struct pc_sock_query k;
	struct sk_ent *sk = NULL;
	uint64_t expires = now_ns + NEG_TTL_NS;

	(void)asked_ns;
	o->queries++;
	ow_normalize(&k, q);
	if (s) {
		sk = sock_put(o, s, now_ns);
		if (!sk)
			return;
		port_put(o, sk);
		expires = 0;
		if (!s->inode || (s->proto == IPPROTO_TCP && s->state == TCP_LISTEN))
			expires = now_ns + SHORT_TTL_NS;
	}
	flow_set(o, &k, sk, expires, now_ns);
}

void pc_owners_socket_gone(struct pc_owners *o, uint64_t cookie, uint64_t now_ns)
{
	struct sk_ent *e = (struct sk_ent *)ow_tab_first(&o->socks, cookie);

	if (e && !e->dead_ns)
		e->dead_ns = now_ns;
}
