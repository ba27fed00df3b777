/* Unit tests of the owner rules (src/fallback/owner_rules.h, owner_*.c) with
 * made-up times: a socket's only holder named; two holders, an exited
 * holder, a holder born after the packet or a fork since the observation
 * give no process (or ask for a new scan);
 * an unconnected UDP port seen only after the packet is a guess.
 * Not for netlink or /proc I/O. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "fallback/owner_rules.h"
#include "unit.h"

#define MS 1000000ULL

static struct pc_sock_query query(uint8_t proto, uint16_t lport, uint16_t rport)
{
	struct pc_sock_query q;

	memset(&q, 0, sizeof(q));
	q.family = AF_INET;
	q.proto = proto;
	q.lport = lport;
	q.rport = rport;
	q.laddr[0] = q.raddr[0] = 127;
	q.laddr[3] = q.raddr[3] = 1;
	return q;
}

static struct pc_sock sock(const struct pc_sock_query *q, uint32_t inode, uint64_t cookie,
			   int connected)
{
	struct pc_sock s;

	memset(&s, 0, sizeof(s));
	s.family = q->family;
	s.proto = q->proto;
	s.state = connected ? 1 : 7;
	s.lport = q->lport;
	s.rport = connected ? q->rport : 0;
	memcpy(s.laddr, q->laddr, 16);
	if (connected)
		memcpy(s.raddr, q->raddr, 16);
	s.inode = inode;
	s.cookie = cookie;
	return s;
}

static void scan(struct pc_owners *o, uint64_t at, const uint32_t *pids, const uint32_t *inodes,
		 size_t n)
{
	size_t i;

	pc_owners_scan_begin(o, 1, at);
	for (i = 0; i < n; i++)
		pc_owners_scan_holder(o, pids[i], inodes[i]);
	pc_owners_scan_end(o, at + 1 * MS);
}

/* Looks q up at packet time t; returns the pid, 0 for none, -1 when a
 * query or a scan is asked for. */
static long ask(struct pc_owners *o, const struct pc_sock_query *q, uint64_t t, uint64_t now,
		int *kind)
{
	struct pc_owner_answer a;
	uint32_t inode;
	int r = pc_owners_lookup(o, q, t, now, &a, &inode);

	*kind = a.kind;
	return r == PC_OWNERS_DONE ? (long)a.pid : -1;
}

TEST(sole_holder)
{
	struct pc_owners *o;
	struct pc_sock_query q = query(IPPROTO_TCP, 40000, 80);
	struct pc_sock s = sock(&q, 11, 1, 1);
	uint32_t pids[] = { 500 }, inodes[] = { 11 };
	int kind;

	CHECK_EQ_INT(pc_owners_new(&o, 0), 0);
	pc_owners_fork(o, 1, 500, 100 * MS);
	CHECK_EQ_INT(ask(o, &q, 200 * MS, 210 * MS, &kind), -1); /* query first */
	pc_owners_query_result(o, &q, &s, 210 * MS, 211 * MS);
	CHECK_EQ_INT(ask(o, &q, 200 * MS, 211 * MS, &kind), -1); /* then a scan */
	CHECK(pc_owners_pending_scans(o) > 0);
	scan(o, 212 * MS, pids, inodes, 1);
	CHECK_EQ_INT(ask(o, &q, 200 * MS, 214 * MS, &kind), 500);
	CHECK_EQ_INT(kind, PC_OWNER_EXACT);
	CHECK_EQ_INT(ask(o, &q, 300 * MS, 301 * MS, &kind), 500);
	/* not born yet at the packet: not it */
	CHECK_EQ_INT(ask(o, &q, 50 * MS, 301 * MS, &kind), 0);
	/* exited: nothing after its exit */
	pc_owners_exit(o, 500, 400 * MS);
	CHECK_EQ_INT(ask(o, &q, 350 * MS, 401 * MS, &kind), 500);
	CHECK_EQ_INT(ask(o, &q, 450 * MS, 451 * MS, &kind), 0);
	pc_owners_free(o);
}

TEST(two_holders_and_forks)
{
	struct pc_owners *o;
	struct pc_sock_query q = query(IPPROTO_TCP, 40000, 80);
	struct pc_sock s = sock(&q, 11, 1, 1);
	uint32_t pids[] = { 500, 600 }, inodes[] = { 11, 11 };
	int kind;

	CHECK_EQ_INT(pc_owners_new(&o, 0), 0);
	pc_owners_fork(o, 1, 500, 10 * MS);
	pc_owners_fork(o, 500, 600, 20 * MS);
	pc_owners_query_result(o, &q, &s, 100 * MS, 100 * MS);
	scan(o, 100 * MS, pids, inodes, 2);
	CHECK_EQ_INT(ask(o, &q, 150 * MS, 151 * MS, &kind), 0); /* both hold it */
	/* the child exits: the parent alone after that */
	pc_owners_exit(o, 600, 200 * MS);
	CHECK_EQ_INT(ask(o, &q, 250 * MS, 251 * MS, &kind), 500);
	/* a fork after the observation: it may have copied the socket */
	pc_owners_fork(o, 500, 700, 300 * MS);
	CHECK_EQ_INT(ask(o, &q, 350 * MS, 351 * MS, &kind), -1);
	CHECK(pc_owners_pending_scans(o) > 0);
	pc_owners_free(o);
}

TEST(udp_guess)
{
	struct pc_owners *o;
	struct pc_sock_query q = query(IPPROTO_UDP, 5353, 4000);
	struct pc_sock s = sock(&q, 21, 2, 0);
	uint32_t pids[] = { 800 }, inodes[] = { 21 };
	int kind;

	CHECK_EQ_INT(pc_owners_new(&o, 0), 0);
	pc_owners_query_result(o, &q, &s, 100 * MS, 101 * MS);
	scan(o, 102 * MS, pids, inodes, 1);
	/* the unconnected socket was first seen after the packet: a guess */
	CHECK_EQ_INT(ask(o, &q, 90 * MS, 110 * MS, &kind), 800);
	CHECK_EQ_INT(kind, PC_OWNER_GUESS);
	/* and known before the next one: exact */
	CHECK_EQ_INT(ask(o, &q, 120 * MS, 121 * MS, &kind), 800);
	CHECK_EQ_INT(kind, PC_OWNER_EXACT);
	/* gone: the port's last socket is a guess until its destruction */
	struct pc_sock_query q2 = query(IPPROTO_UDP, 5353, 4001);
	pc_owners_query_result(o, &q2, NULL, 130 * MS, 131 * MS);
	CHECK_EQ_INT(ask(o, &q2, 125 * MS, 131 * MS, &kind), 800);
	CHECK_EQ_INT(kind, PC_OWNER_GUESS);
	pc_owners_socket_gone(o, 2, 140 * MS);
	CHECK_EQ_INT(ask(o, &q2, 150 * MS, 151 * MS, &kind), 0);
	pc_owners_free(o);
}

TEST(no_socket)
{
	struct pc_owners *o;
	struct pc_sock_query q = query(IPPROTO_TCP, 1, 2);
	int kind;

	CHECK_EQ_INT(pc_owners_new(&o, 0), 0);
	pc_owners_query_result(o, &q, NULL, 10 * MS, 10 * MS);
	CHECK_EQ_INT(ask(o, &q, 5 * MS, 11 * MS, &kind), 0);
	CHECK_EQ_INT(kind, PC_OWNER_NONE);
	/* negative answers are asked again after a while */
	CHECK_EQ_INT(ask(o, &q, 5 * MS, 1000 * MS, &kind), -1);
	pc_owners_expire(o, 1000000 * MS);
	pc_owners_free(o);
}

int main(void)
{
	RUN(sole_holder);
	RUN(two_holders_and_forks);
	RUN(udp_guess);
	RUN(no_socket);
	return UNIT_DONE();
}
