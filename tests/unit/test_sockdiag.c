/* Unit tests of the pure part of src/fallback/sockdiag.c: requests as the kernel
 * wants them (UDP's ends the other way round), replies and destroy
 * notifications parsed from hand-built netlink bytes, and every malformed
 * length refused. Not for the socket I/O (e2e tests run it). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "fallback/sockdiag.h"
#include "unit.h"

static uint8_t buf[4096] __attribute__((aligned(8)));

/* Appends one SOCK_DIAG_BY_FAMILY message at off; returns the new end. */
static size_t put_msg(size_t off, uint8_t family, const char *src, uint16_t sport,
		      const char *dst, uint16_t dport, uint32_t inode, uint64_t cookie,
		      int proto_attr, uint64_t cgroup, uint16_t flags)
{
	struct nlmsghdr h = { 0 };
	struct inet_diag_msg m = { 0 };
	size_t start = off, len = sizeof(h) + sizeof(m);
	uint16_t alen, type;

	m.idiag_family = family;
	m.idiag_state = 1;
	m.id.idiag_sport = htons(sport);
	m.id.idiag_dport = htons(dport);
	inet_pton(family, src, m.id.idiag_src);
	inet_pton(family, dst, m.id.idiag_dst);
	m.idiag_uid = 1000;
	m.idiag_inode = inode;
	m.id.idiag_cookie[0] = (uint32_t)cookie;
	m.id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	memcpy(buf + off + sizeof(h), &m, sizeof(m));
	if (proto_attr) {
		alen = 5;
		type = INET_DIAG_PROTOCOL;
		memcpy(buf + off + len, &alen, 2);
		memcpy(buf + off + len + 2, &type, 2);
		buf[off + len + 4] = (uint8_t)proto_attr;
		len += 8;
	}
	if (cgroup) {
		alen = 12;
		type = INET_DIAG_CGROUP_ID;
		memcpy(buf + off + len, &alen, 2);
		memcpy(buf + off + len + 2, &type, 2);
		memcpy(buf + off + len + 4, &cgroup, 8);
		len += 12;
	}
	h.nlmsg_len = len;
	h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h.nlmsg_flags = flags;
	memcpy(buf + start, &h, sizeof(h));
	return start + NLMSG_ALIGN(len);
}

static size_t put_ctl(size_t off, uint16_t type, int32_t error)
{
	struct nlmsghdr h = { 0 };

	h.nlmsg_len = sizeof(h) + 4;
	h.nlmsg_type = type;
	h.nlmsg_flags = NLM_F_MULTI;
	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + sizeof(h), &error, 4);
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

static struct pc_sock got[8];
static size_t ngot;

static int collect(void *ctx, const struct pc_sock *sk)
{
	(void)ctx;
	if (ngot < 8)
		got[ngot] = *sk;
	ngot++;
	return 0;
}

TEST(parse_reply_v4_v6)
{
	size_t n = put_msg(0, AF_INET, "127.0.0.1", 40000, "127.0.0.2", 80, 777,
			   0x100000002ULL, IPPROTO_TCP, 42, NLM_F_MULTI);
	uint8_t v6[16];

	n = put_msg(n, AF_INET6, "2001:db8::1", 53, "::", 0, 0, 9, 0, 0, NLM_F_MULTI);
	n = put_ctl(n, NLMSG_DONE, 0);
	ngot = 0;
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), PC_SOCKDIAG_DONE);
	CHECK_EQ_INT(ngot, 2);
	CHECK_EQ_INT(got[0].family, AF_INET);
	CHECK_EQ_INT(got[0].proto, IPPROTO_TCP);
	CHECK_EQ_INT(got[0].lport, 40000);
	CHECK_EQ_INT(got[0].rport, 80);
	CHECK(got[0].laddr[0] == 127 && got[0].laddr[3] == 1 && got[0].raddr[3] == 2);
	CHECK_EQ_INT(got[0].inode, 777);
	CHECK_EQ_INT(got[0].uid, 1000);
	CHECK(got[0].cookie == 0x100000002ULL);
	CHECK_EQ_INT(got[0].cgroup_id, 42);
	inet_pton(AF_INET6, "2001:db8::1", v6);
	CHECK(!memcmp(got[1].laddr, v6, 16));
	CHECK_EQ_INT(got[1].proto, 0); /* no attribute: the caller knows */
	CHECK_EQ_INT(got[1].inode, 0);
	/* a part without DONE: more to come */
	n = put_msg(0, AF_INET, "10.0.0.1", 1, "10.0.0.2", 2, 1, 1, 0, 0, NLM_F_MULTI);
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), PC_SOCKDIAG_MORE);
	/* a one-socket answer (no NLM_F_MULTI) ends by itself */
	n = put_msg(0, AF_INET, "10.0.0.1", 1, "10.0.0.2", 2, 1, 1, 0, 0, 0);
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), PC_SOCKDIAG_DONE);
}

TEST(errors)
{
	size_t n = put_ctl(0, NLMSG_ERROR, -ENOENT);

	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -ENOENT);
	n = put_ctl(0, NLMSG_ERROR, 0); /* an ack */
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), PC_SOCKDIAG_DONE);
	n = put_ctl(0, NLMSG_ERROR, 5); /* positive: not an errno */
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -EINVAL);
}

TEST(malformed)
{
	size_t n = put_msg(0, AF_INET, "127.0.0.1", 1, "127.0.0.1", 2, 3, 4, IPPROTO_UDP, 0, 0);
	struct nlmsghdr h;
	uint16_t alen = 200;
	size_t cut;

	ngot = 0;
	for (cut = 0; cut < n; cut++) /* every truncation: no socket, no crash */
		pc_sockdiag_parse(buf, cut, collect, NULL);
	CHECK_EQ_INT(ngot, 0);
	memcpy(&h, buf, sizeof(h));
	h.nlmsg_len = n + 4; /* longer than the buffer */
	memcpy(buf, &h, sizeof(h));
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -EINVAL);
	h.nlmsg_len = 8; /* shorter than a header */
	memcpy(buf, &h, sizeof(h));
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -EINVAL);
	/* an attribute running past its message */
	n = put_msg(0, AF_INET, "127.0.0.1", 1, "127.0.0.1", 2, 3, 4, IPPROTO_UDP, 0, 0);
	memcpy(buf + sizeof(h) + sizeof(struct inet_diag_msg), &alen, 2);
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -EINVAL);
	/* an unknown family */
	n = put_msg(0, AF_INET, "127.0.0.1", 1, "127.0.0.1", 2, 3, 4, 0, 0, 0);
	buf[sizeof(h)] = 99;
	CHECK_EQ_INT(pc_sockdiag_parse(buf, n, collect, NULL), -EINVAL);
	CHECK_EQ_INT(ngot, 0);
}

TEST(requests)
{
	struct pc_sock_query q = { .family = AF_INET, .proto = IPPROTO_UDP, .lport = 53, .rport = 4000 };
	struct nlmsghdr h;
	struct inet_diag_req_v2 r;
	int n;

	inet_pton(AF_INET, "192.0.2.1", q.laddr);
	inet_pton(AF_INET, "192.0.2.2", q.raddr);
	n = pc_sockdiag_build_query(buf, sizeof(buf), 7, &q);
	CHECK_EQ_INT(n, sizeof(h) + sizeof(r));
	memcpy(&h, buf, sizeof(h));
	memcpy(&r, buf + sizeof(h), sizeof(r));
	CHECK_EQ_INT(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
	CHECK_EQ_INT(h.nlmsg_flags, NLM_F_REQUEST);
	CHECK_EQ_INT(h.nlmsg_seq, 7);
	CHECK_EQ_INT(r.sdiag_protocol, IPPROTO_UDP);
	/* UDP: the packet's source (the remote end) first */
	CHECK_EQ_INT(ntohs(r.id.idiag_sport), 4000);
	CHECK_EQ_INT(ntohs(r.id.idiag_dport), 53);
	CHECK(r.id.idiag_cookie[0] == INET_DIAG_NOCOOKIE);
	q.proto = IPPROTO_TCP; /* TCP: the socket's own end first */
	pc_sockdiag_build_query(buf, sizeof(buf), 8, &q);
	memcpy(&r, buf + sizeof(h), sizeof(r));
	CHECK_EQ_INT(ntohs(r.id.idiag_sport), 53);
	CHECK_EQ_INT(ntohs(r.id.idiag_dport), 4000);
	q.proto = IPPROTO_ICMP;
	CHECK_EQ_INT(pc_sockdiag_build_query(buf, sizeof(buf), 9, &q), -EINVAL);
	CHECK_EQ_INT(pc_sockdiag_build_query(buf, 10, 9, &q), -EINVAL);
	q.proto = IPPROTO_TCP;
	CHECK_EQ_INT(pc_sockdiag_build_query(buf, 10, 9, &q), -ENOSPC);
	n = pc_sockdiag_build_dump(buf, sizeof(buf), 10, AF_INET6, IPPROTO_UDP);
	memcpy(&h, buf, sizeof(h));
	CHECK(n > 0 && (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
}

int main(void)
{
	RUN(parse_reply_v4_v6);
	RUN(errors);
	RUN(malformed);
	RUN(requests);
	return UNIT_DONE();
}
