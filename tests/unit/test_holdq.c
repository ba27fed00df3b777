/* Unit tests of src/capture/holdq.c: records owned by a listener wait for the
 * accept event that names their process, in order, with a timeout; the
 * owner and peer ends are matched by address, port and network namespace.
 * Not for decoding (test_decode.c) or printing. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "capture/holdq.h"
#include "unit.h"

#define MS 1000000ull
#define HOLD (100 * MS)

/* What the emit callback saw, in order. */
struct seen {
	uint64_t id; /* rec.cookie: which record */
	uint16_t flags;
	uint32_t owner_pid, peer_pid;
	char owner_comm[PC_COMM_LEN];
	size_t size;
	int data_ok; /* the packet bytes came through unchanged */
};

static struct seen seen[128];
static size_t nseen, nemits;

static void emit(void *ctx, const struct pc_packet *rec, size_t size)
{
	struct seen *s;
	size_t i;

	CHECK(ctx == &nseen);
	nemits++;
	if (nseen >= sizeof(seen) / sizeof(seen[0]))
		return;
	s = &seen[nseen++];
	s->id = rec->cookie;
	s->flags = rec->flags;
	s->owner_pid = rec->owner.pid;
	s->peer_pid = rec->peer.pid;
	memcpy(s->owner_comm, rec->owner.comm, PC_COMM_LEN);
	s->size = size;
	/* the whole record came through: size, and the 8 payload bytes
	 * that end a fully captured packet */
	s->data_ok = size == sizeof(*rec) + rec->caplen && rec->caplen == rec->len &&
		     rec->caplen >= 8;
	for (i = rec->caplen - 8; s->data_ok && i < rec->caplen; i++)
		s->data_ok = rec->data[i] == 0xa5;
}

static void reset_seen(void)
{
	memset(seen, 0, sizeof(seen));
	nseen = nemits = 0;
}

/* A TCP packet record between src:sport and dst:dport (IPv4 when the
 * addresses are dotted quads, IPv6 otherwise), with 8 payload bytes. */
struct rec {
	struct pc_packet *p;
	size_t size;
};

static struct rec make(uint64_t id, int dir, uint16_t flags, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport)
{
	struct rec r = { 0 };
	int v6 = strchr(src, ':') != NULL;
	uint32_t iplen = (v6 ? 40 : 20) + 20 + 8;
	uint8_t *d;

	r.size = sizeof(*r.p) + iplen;
	r.p = calloc(1, r.size);
	if (!r.p)
		abort();
	r.p->type = PC_REC_PACKET;
	r.p->dir = dir;
	r.p->flags = flags;
	r.p->ifindex = 1;
	r.p->ts_ns = id * MS;
	r.p->len = iplen;
	r.p->caplen = iplen;
	r.p->gso_segs = 1;
	r.p->l3proto = v6 ? 0x86DD : 0x0800;
	r.p->cookie = id;
	memcpy(r.p->ifname, "lo", 3);
	/* owner/peer as the kernel writes them for a listener: the server */
	r.p->owner.pid = 1;
	r.p->owner.listener = 1;
	memcpy(r.p->owner.comm, "master", 7);
	if (flags & PC_PKT_PEER_LISTENER) {
		r.p->peer.pid = 1;
		memcpy(r.p->peer.comm, "master", 7);
	} else if (flags & PC_PKT_PEER) {
		r.p->peer.pid = 77;
		memcpy(r.p->peer.comm, "client", 7);
	}
	d = r.p->data;
	if (v6) {
		d[0] = 0x60;
		d[4] = 0;
		d[5] = 28;
		d[6] = IPPROTO_TCP;
		d[7] = 64;
		CHECK(inet_pton(AF_INET6, src, d + 8) == 1);
		CHECK(inet_pton(AF_INET6, dst, d + 24) == 1);
		d += 40;
	} else {
		d[0] = 0x45;
		d[3] = iplen;
		d[8] = 64;
		d[9] = IPPROTO_TCP;
		CHECK(inet_pton(AF_INET, src, d + 12) == 1);
		CHECK(inet_pton(AF_INET, dst, d + 16) == 1);
		d += 20;
	}
	d[0] = sport >> 8;
	d[1] = sport & 0xff;
	d[2] = dport >> 8;
	d[3] = dport & 0xff;
	d[12] = 5 << 4;
	d[13] = 0x18;
	memset(d + 20, 0xa5, 8);
	return r;
}

/* Owner of the accepted socket: pid with comm "workerN". laddr:lport is
 * the server's end. family AF_INET6 with IPv4 addresses gives v4-mapped. */
static struct pc_claim acc(uint32_t pid, int family, const char *laddr, uint16_t lport,
			    const char *raddr, uint16_t rport)
{
	struct pc_claim a;

	memset(&a, 0, sizeof(a));
	a.type = PC_REC_CLAIM;
	a.family = family;
	a.lport = lport;
	a.rport = rport;
	a.sk = 0xffff000000000000ull + pid;
	a.owner.pid = pid;
	a.owner.tid = pid;
	snprintf(a.owner.comm, sizeof(a.owner.comm), "worker%u", pid);
	if (family == AF_INET) {
		CHECK(inet_pton(AF_INET, laddr, a.laddr) == 1);
		CHECK(inet_pton(AF_INET, raddr, a.raddr) == 1);
	} else if (strchr(laddr, ':')) {
		CHECK(inet_pton(AF_INET6, laddr, a.laddr) == 1);
		CHECK(inet_pton(AF_INET6, raddr, a.raddr) == 1);
	} else {
		a.laddr[10] = a.laddr[11] = 0xff;
		a.raddr[10] = a.raddr[11] = 0xff;
		CHECK(inet_pton(AF_INET, laddr, a.laddr + 12) == 1);
		CHECK(inet_pton(AF_INET, raddr, a.raddr + 12) == 1);
	}
	return a;
}

static struct pc_holdq *newq(void)
{
	struct pc_holdq *q = NULL;

	reset_seen();
	CHECK_EQ_INT(pc_holdq_new(&q, HOLD, (size_t)1 << 40, emit, &nseen), 0);
	CHECK(q != NULL);
	if (!q)
		abort();
	return q;
}

/* Queues r (then frees the caller's copy: the queue must have its own). */
static void put(struct pc_holdq *q, struct rec r, uint64_t now)
{
	CHECK_EQ_INT(pc_holdq_packet(q, r.p, r.size, now), 0);
	memset(r.p, 0xee, r.size);
	free(r.p);
}

#define OWNER_L (PC_PKT_OWNER | PC_PKT_OWNER_LISTENER)
#define SERVER "10.0.0.1"
#define CLIENT "10.0.0.2"

TEST(passthrough)
{
	struct pc_holdq *q = newq();
	struct rec r = make(1, PC_DIR_OUT, PC_PKT_OWNER, CLIENT, 5555, SERVER, 80);

	CHECK_EQ_INT(pc_holdq_packet(q, r.p, r.size, 0), 0);
	/* emitted at once, from the caller's record (not copied) */
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(pc_holdq_len(q), 0);
	CHECK_EQ_INT(seen[0].id, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 1);
	CHECK_EQ_INT(seen[0].size, r.size);
	CHECK(seen[0].data_ok);
	free(r.p);
	put(q, make(2, PC_DIR_IN, 0, CLIENT, 5555, SERVER, 80), 1);
	CHECK_EQ_INT(nseen, 2);
	pc_holdq_flush(q, 2, 0);
	pc_holdq_flush(q, 2, 1);
	CHECK_EQ_INT(nseen, 2);
	pc_holdq_free(q);
	pc_holdq_free(NULL);
}

/* Incoming SYN to a listener, then a final packet of another connection
 * behind it: both wait; the accept releases both, in order. */
TEST(order_and_accept_in)
{
	struct pc_holdq *q = newq();
	struct pc_claim a = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 10);
	CHECK_EQ_INT(nseen, 0);
	CHECK_EQ_INT(pc_holdq_len(q), 1);
	put(q, make(2, PC_DIR_OUT, PC_PKT_OWNER, "10.0.0.9", 1234, "8.8.8.8", 53), 11);
	CHECK_EQ_INT(nseen, 0);
	CHECK_EQ_INT(pc_holdq_len(q), 2);
	pc_holdq_flush(q, 12, 0);
	CHECK_EQ_INT(nseen, 0);

	pc_holdq_claim(q, &a, 13);
	CHECK_EQ_INT(nseen, 2);
	CHECK_EQ_INT(pc_holdq_len(q), 0);
	CHECK_EQ_INT(seen[0].id, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK_EQ_STR(seen[0].owner_comm, "worker42");
	CHECK_EQ_INT(seen[0].flags, PC_PKT_OWNER);
	CHECK(seen[0].data_ok);
	CHECK_EQ_INT(seen[1].id, 2);
	CHECK_EQ_INT(seen[1].owner_pid, 1);
	CHECK(seen[1].data_ok);
	pc_holdq_free(q);
}

/* dir out: the owner is the source end (the server's SYN-ACK). */
TEST(accept_out_owner_is_src)
{
	struct pc_holdq *q = newq();
	struct pc_claim wrong = acc(41, AF_INET, CLIENT, 5555, SERVER, 80);
	struct pc_claim right = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);

	put(q, make(1, PC_DIR_OUT, OWNER_L, SERVER, 80, CLIENT, 5555), 0);
	/* the ends swapped: that socket is the client's, not this owner */
	pc_holdq_claim(q, &wrong, 1);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_claim(q, &right, 2);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK_EQ_INT(seen[0].flags, PC_PKT_OWNER);
	pc_holdq_free(q);
}

TEST(accept_in_wrong_end_does_not_resolve)
{
	struct pc_holdq *q = newq();
	struct pc_claim swapped = acc(41, AF_INET, CLIENT, 5555, SERVER, 80);

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	pc_holdq_claim(q, &swapped, 1);
	CHECK_EQ_INT(nseen, 0);
	CHECK_EQ_INT(pc_holdq_len(q), 1);
	pc_holdq_flush(q, 0, 1);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 1);
	CHECK_EQ_INT(seen[0].flags, OWNER_L);
	pc_holdq_free(q);
}

/* Loopback: an out packet of the client whose peer is the listener. The
 * peer is the destination end. */
TEST(accept_resolves_peer)
{
	struct pc_holdq *q = newq();
	struct pc_claim client_side = acc(41, AF_INET, "127.0.0.1", 5555, "127.0.0.1", 80);
	struct pc_claim a = acc(42, AF_INET, "127.0.0.1", 80, "127.0.0.1", 5555);
	struct rec r = make(1, PC_DIR_OUT, PC_PKT_OWNER | PC_PKT_PEER | PC_PKT_PEER_LISTENER,
			    "127.0.0.1", 5555, "127.0.0.1", 80);

	r.p->owner.pid = 77;
	r.p->owner.listener = 0;
	put(q, r, 0);
	CHECK_EQ_INT(nseen, 0);
	/* a socket whose local end is the packet's source is not the peer */
	pc_holdq_claim(q, &client_side, 1);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_claim(q, &a, 2);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 77);
	CHECK_EQ_INT(seen[0].peer_pid, 42);
	CHECK_EQ_INT(seen[0].flags, PC_PKT_OWNER | PC_PKT_PEER);
	pc_holdq_free(q);
}

/* Both ends listeners (a server connecting to itself through its own
 * listener is the same socket pair seen from both sides): each accept
 * resolves the end it owns. */
TEST(owner_and_peer_from_two_accepts)
{
	struct pc_holdq *q = newq();
	struct pc_claim srv = acc(42, AF_INET, "127.0.0.1", 80, "127.0.0.1", 81);
	struct pc_claim other = acc(43, AF_INET, "127.0.0.1", 81, "127.0.0.1", 80);

	put(q, make(1, PC_DIR_OUT, OWNER_L | PC_PKT_PEER | PC_PKT_PEER_LISTENER, "127.0.0.1",
		    80, "127.0.0.1", 81), 0);
	pc_holdq_claim(q, &srv, 1);
	CHECK_EQ_INT(nseen, 0); /* the peer still waits */
	pc_holdq_claim(q, &other, 2);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK_EQ_INT(seen[0].peer_pid, 43);
	CHECK_EQ_INT(seen[0].flags, PC_PKT_OWNER | PC_PKT_PEER);
	pc_holdq_free(q);
}

TEST(ports_must_match)
{
	struct pc_holdq *q = newq();
	struct pc_claim lport = acc(41, AF_INET, SERVER, 81, CLIENT, 5555);
	struct pc_claim rport = acc(42, AF_INET, SERVER, 80, CLIENT, 5556);
	struct pc_claim raddr = acc(43, AF_INET, SERVER, 80, "10.0.0.3", 5555);
	struct pc_claim laddr = acc(44, AF_INET, "10.0.0.4", 80, CLIENT, 5555);

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	pc_holdq_claim(q, &lport, 1);
	pc_holdq_claim(q, &rport, 1);
	pc_holdq_claim(q, &raddr, 1);
	pc_holdq_claim(q, &laddr, 1);
	CHECK_EQ_INT(nseen, 0);
	CHECK_EQ_INT(pc_holdq_len(q), 1);
	pc_holdq_free(q); /* frees what it holds: LeakSanitizer checks */
}

/* An IPv6 socket accepting an IPv4 connection has v4-mapped addresses. */
TEST(v4_mapped)
{
	struct pc_holdq *q = newq();
	struct pc_claim a = acc(42, AF_INET6, SERVER, 80, CLIENT, 5555);

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	pc_holdq_claim(q, &a, 1);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	pc_holdq_free(q);

	/* ::ffff:0:0/96 only: ::10.0.0.1 (v4-compatible) is not mapped */
	q = newq();
	a = acc(42, AF_INET6, SERVER, 80, CLIENT, 5555);
	a.laddr[10] = a.laddr[11] = 0;
	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	pc_holdq_claim(q, &a, 1);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_free(q);
}

TEST(ipv6)
{
	struct pc_holdq *q = newq();
	struct pc_claim v4 = acc(41, AF_INET, SERVER, 80, CLIENT, 5555);
	struct pc_claim other = acc(43, AF_INET6, "2001:db8::1", 80, "2001:db8::3", 5555);
	struct pc_claim a = acc(42, AF_INET6, "2001:db8::1", 80, "2001:db8::2", 5555);

	put(q, make(1, PC_DIR_IN, OWNER_L, "2001:db8::2", 5555, "2001:db8::1", 80), 0);
	pc_holdq_claim(q, &v4, 1);
	pc_holdq_claim(q, &other, 1);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_claim(q, &a, 2);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK(seen[0].data_ok);
	pc_holdq_free(q);
}

TEST(netns)
{
	struct pc_holdq *q = newq();
	struct pc_claim a = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);
	struct rec r = make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);

	r.p->netns = 4026531840u;
	put(q, r, 0);
	a.netns = 4026532000u;
	pc_holdq_claim(q, &a, 1);
	CHECK_EQ_INT(nseen, 0);
	a.netns = 4026531840u;
	a.owner.pid = 43;
	pc_holdq_claim(q, &a, 2);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 43);
	pc_holdq_free(q);

	/* an unknown netns (0) on either side does not prevent a match */
	q = newq();
	r = make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);
	put(q, r, 0);
	a.netns = 4026531840u;
	pc_holdq_claim(q, &a, 1);
	CHECK_EQ_INT(nseen, 1);
	pc_holdq_free(q);
}

/* The accept event was read before the record (another CPU's ring
 * position): the record is resolved as it arrives. */
TEST(recent_accept)
{
	struct pc_holdq *q = newq();
	struct pc_claim a = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);
	struct pc_claim b = acc(43, AF_INET6, "2001:db8::1", 443, "2001:db8::2", 6000);

	pc_holdq_claim(q, &a, 0);
	pc_holdq_claim(q, &b, 0);
	CHECK_EQ_INT(nseen, 0);
	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 1);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(pc_holdq_len(q), 0);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK_EQ_INT(seen[0].flags, PC_PKT_OWNER);
	put(q, make(2, PC_DIR_OUT, OWNER_L, "2001:db8::1", 443, "2001:db8::2", 6000), 2);
	CHECK_EQ_INT(nseen, 2);
	CHECK_EQ_INT(seen[1].owner_pid, 43);
	/* a record of another connection still waits */
	put(q, make(3, PC_DIR_IN, OWNER_L, CLIENT, 5556, SERVER, 80), 3);
	CHECK_EQ_INT(nseen, 2);
	CHECK_EQ_INT(pc_holdq_len(q), 1);
	pc_holdq_free(q);
}

/* More accepts than the memory holds: the oldest are forgotten, the
 * newest still resolve. */
TEST(recent_accept_memory_is_bounded)
{
	struct pc_holdq *q = newq();
	struct pc_claim a;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		a = acc(1000 + i, AF_INET, SERVER, 80, CLIENT, 10000 + i);
		pc_holdq_claim(q, &a, i);
	}
	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 10999, SERVER, 80), 1000);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 1999);
	put(q, make(2, PC_DIR_IN, OWNER_L, CLIENT, 10000, SERVER, 80), 1000);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(pc_holdq_len(q), 1);
	pc_holdq_free(q);
}

/* Regression (was a bug): src/capture/holdq.c:156 keeps accepts in "recent" with no time limit, and
 * resolve_from_recent (line 113, called at :140) looks them up from slot
 * 0, not newest first. A new connection that reuses the 4-tuple of an earlier accepted
 * one (client bound to a fixed port, TIME_WAIT reuse) is resolved at once
 * to the earlier connection's worker, before its own accept arrives.
 * Input: accept(pid 42, 10.0.0.1:80 <- 10.0.0.2:5555) at t=0, then 10 s
 * later a held SYN of the same 4-tuple, then accept(pid 43). Expected
 * owner 43, got 42. */
TEST(stale_recent_accept)
{
	struct pc_holdq *q = newq();
	struct pc_claim old = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);
	struct pc_claim now = acc(43, AF_INET, SERVER, 80, CLIENT, 5555);
	struct rec r = make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);

	old.ts_ns = 0;
	pc_holdq_claim(q, &old, 0);
	r.p->ts_ns = 10000 * MS;
	put(q, r, 10000 * MS);
	now.ts_ns = 10000 * MS + 1;
	pc_holdq_claim(q, &now, 10000 * MS + 1);
	pc_holdq_flush(q, 0, 1);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 43);
	pc_holdq_free(q);
}

TEST(timeout_in_order)
{
	struct pc_holdq *q = newq();

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	put(q, make(2, PC_DIR_OUT, PC_PKT_OWNER, CLIENT, 1, SERVER, 2), 10 * MS);
	put(q, make(3, PC_DIR_IN, OWNER_L, CLIENT, 5556, SERVER, 80), 50 * MS);
	put(q, make(4, PC_DIR_OUT, PC_PKT_OWNER, CLIENT, 1, SERVER, 2), 60 * MS);
	CHECK_EQ_INT(pc_holdq_len(q), 4);
	pc_holdq_flush(q, HOLD - 1, 0);
	CHECK_EQ_INT(nseen, 0);
	/* record 1 times out: it and the final record 2 behind it go */
	pc_holdq_flush(q, HOLD, 0);
	CHECK_EQ_INT(nseen, 2);
	CHECK_EQ_INT(pc_holdq_len(q), 2);
	CHECK_EQ_INT(seen[0].id, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 1); /* unresolved: the listener's */
	CHECK_EQ_INT(seen[0].flags, OWNER_L);
	CHECK_EQ_INT(seen[1].id, 2);
	pc_holdq_flush(q, 50 * MS + HOLD - 1, 0);
	CHECK_EQ_INT(nseen, 2);
	/* a packet arriving later also flushes what has timed out */
	put(q, make(5, PC_DIR_OUT, PC_PKT_OWNER, CLIENT, 1, SERVER, 2), 50 * MS + HOLD);
	CHECK_EQ_INT(nseen, 5);
	CHECK_EQ_INT(pc_holdq_len(q), 0);
	CHECK_EQ_INT(seen[2].id, 3);
	CHECK_EQ_INT(seen[3].id, 4);
	CHECK_EQ_INT(seen[4].id, 5);
	pc_holdq_free(q);
}

/* A resolved record behind an unresolved one waits for it. */
TEST(resolved_waits_behind_unresolved)
{
	struct pc_holdq *q = newq();
	struct pc_claim b = acc(43, AF_INET, SERVER, 80, CLIENT, 5556);
	struct pc_claim a = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);

	put(q, make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 0);
	put(q, make(2, PC_DIR_IN, OWNER_L, CLIENT, 5556, SERVER, 80), 1);
	put(q, make(3, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80), 2);
	pc_holdq_claim(q, &b, 3);
	CHECK_EQ_INT(nseen, 0);
	CHECK_EQ_INT(pc_holdq_len(q), 3);
	/* a's accept releases all three, each with its own owner */
	pc_holdq_claim(q, &a, 4);
	CHECK_EQ_INT(nseen, 3);
	CHECK_EQ_INT(seen[0].id, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 42);
	CHECK_EQ_INT(seen[1].id, 2);
	CHECK_EQ_INT(seen[1].owner_pid, 43);
	CHECK_EQ_INT(seen[2].id, 3);
	CHECK_EQ_INT(seen[2].owner_pid, 42);
	pc_holdq_free(q);
}

TEST(flush_all)
{
	struct pc_holdq *q = newq();
	uint64_t i;

	for (i = 1; i <= 5; i++)
		put(q, make(i, PC_DIR_IN, i % 2 ? OWNER_L : PC_PKT_OWNER, CLIENT, 5000 + i,
			    SERVER, 80), i);
	CHECK_EQ_INT(pc_holdq_len(q), 5);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_flush(q, 6, 1);
	CHECK_EQ_INT(pc_holdq_len(q), 0);
	CHECK_EQ_INT(nseen, 5);
	for (i = 0; i < 5; i++)
		CHECK_EQ_INT(seen[i].id, i + 1);
	/* empty again: passthrough */
	put(q, make(9, PC_DIR_IN, PC_PKT_OWNER, CLIENT, 1, SERVER, 2), 7);
	CHECK_EQ_INT(nseen, 6);
	pc_holdq_flush(q, 8, 1);
	CHECK_EQ_INT(nseen, 6);
	pc_holdq_free(q);
}

/* A record that cannot be decoded (no ports) is held until its timeout:
 * no accept can name it. */
TEST(undecodable_held_until_timeout)
{
	struct pc_holdq *q = newq();
	struct pc_claim a = acc(42, AF_INET, SERVER, 80, CLIENT, 5555);
	struct rec r = make(1, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);

	r.p->caplen = 10; /* cut inside the IP header */
	r.size = sizeof(*r.p) + 10;
	put(q, r, 0);
	pc_holdq_claim(q, &a, 1);
	CHECK_EQ_INT(nseen, 0);
	pc_holdq_flush(q, HOLD, 0);
	CHECK_EQ_INT(nseen, 1);
	CHECK_EQ_INT(seen[0].owner_pid, 1);
	CHECK_EQ_INT(seen[0].size, sizeof(struct pc_packet) + 10);
	pc_holdq_free(q);
}

/* Past 65536 held records the oldest goes out unresolved. */
TEST(bounded)
{
	struct pc_holdq *q = newq();
	struct rec r = make(0, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);
	size_t max = 0;
	uint64_t i;

	for (i = 1; i <= 70000; i++) {
		r.p->cookie = i;
		CHECK_EQ_INT(pc_holdq_packet(q, r.p, r.size, 0), 0);
		if (pc_holdq_len(q) > max)
			max = pc_holdq_len(q);
	}
	CHECK(max <= 65536);
	CHECK(max >= 65535);
	CHECK_EQ_INT(nemits + pc_holdq_len(q), 70000);
	CHECK(nseen > 0);
	if (nseen)
		CHECK_EQ_INT(seen[0].id, 1);
	free(r.p);
	pc_holdq_free(q);
}

/* Past max_bytes the oldest held record goes out at once, unresolved and
 * counted; the queue never holds more than the bound. */
TEST(bounded_in_bytes)
{
	struct pc_holdq *q = NULL;
	struct rec r = make(0, PC_DIR_IN, OWNER_L, CLIENT, 5555, SERVER, 80);
	size_t bound = 10 * r.size + r.size / 2;
	uint64_t i;

	reset_seen();
	CHECK_EQ_INT(pc_holdq_new(&q, HOLD, bound, emit, &nseen), 0);
	for (i = 1; i <= 30; i++) {
		r.p->cookie = i;
		CHECK_EQ_INT(pc_holdq_packet(q, r.p, r.size, 0), 0);
		CHECK(pc_holdq_len(q) * r.size <= bound);
	}
	CHECK_EQ_INT(pc_holdq_len(q), 10);
	CHECK_EQ_INT(pc_holdq_early(q), 20);
	CHECK_EQ_INT(nseen, 20);
	CHECK_EQ_INT(seen[0].id, 1);
	CHECK(seen[0].flags & PC_PKT_OWNER_LISTENER); /* unresolved, not dropped */
	pc_holdq_flush(q, HOLD + 1, 0); /* the rest time out: not early */
	CHECK_EQ_INT(pc_holdq_early(q), 20);
	CHECK_EQ_INT(nseen, 30);
	free(r.p);
	pc_holdq_free(q);
}

int main(void)
{
	RUN(passthrough);
	RUN(order_and_accept_in);
	RUN(accept_out_owner_is_src);
	RUN(accept_in_wrong_end_does_not_resolve);
	RUN(accept_resolves_peer);
	RUN(owner_and_peer_from_two_accepts);
	RUN(ports_must_match);
	RUN(v4_mapped);
	RUN(ipv6);
	RUN(netns);
	RUN(recent_accept);
	RUN(recent_accept_memory_is_bounded);
	RUN(stale_recent_accept);
	RUN(timeout_in_order);
	RUN(resolved_waits_behind_unresolved);
	RUN(flush_all);
	RUN(undecodable_held_until_timeout);
	RUN(bounded);
	RUN(bounded_in_bytes);
	return UNIT_DONE();
}
