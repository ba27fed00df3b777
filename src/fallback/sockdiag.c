/* NETLINK_SOCK_DIAG (inet_diag) for the fallback backend: requests and
 * replies as pure functions over bytes, never trusting a length (the
 * parser is fuzzed), then the plain socket I/O. Not for owners or /proc. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "fallback/netlink.h"
#include "fallback/sockdiag.h"

#define ALL_STATES 0xfffu /* TCP_ESTABLISHED .. TCP_NEW_SYN_RECV, as ss -a */
#define RECV_BUF 65536

struct diag_request {
	struct nlmsghdr nh;
	struct inet_diag_req_v2 r;
};

static int build(void *buf, size_t len, uint32_t seq, uint16_t flags, uint8_t family,
		 uint8_t proto, struct diag_request *req)
{
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	if (len < sizeof(*req))
		return -ENOSPC;
	req->nh.nlmsg_len = sizeof(*req);
	req->nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req->nh.nlmsg_seq = seq;
	req->r.sdiag_family = family;
	req->r.sdiag_protocol = proto;
	req->r.idiag_states = ALL_STATES;
	req->r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memcpy(buf, req, sizeof(*req));
	return sizeof(*req);
}

int pc_sockdiag_build_dump(void *buf, size_t len, uint32_t seq, uint8_t family, uint8_t proto)
{
	struct diag_request req;

	memset(&req, 0, sizeof(req));
	return build(buf, len, seq, NLM_F_DUMP, family, proto, &req);
}

int pc_sockdiag_build_query(void *buf, size_t len, uint32_t seq, const struct pc_sock_query *q)
{
	struct diag_request req;
	size_t alen = q->family == AF_INET ? 4 : 16;

	memset(&req, 0, sizeof(req));
	/* TCP wants the socket's own end as "src", as in the replies; UDP's
	 * lookup takes them the other way round (the packet's source first:
	 * measured on 6.18, the kernel source says "swapped for historical
	 * reasons"). */
	if (q->proto == IPPROTO_UDP) {
		req.r.id.idiag_sport = htons(q->rport);
		req.r.id.idiag_dport = htons(q->lport);
		memcpy(req.r.id.idiag_src, q->raddr, alen);
		memcpy(req.r.id.idiag_dst, q->laddr, alen);
	} else {
		req.r.id.idiag_sport = htons(q->lport);
		req.r.id.idiag_dport = htons(q->rport);
		memcpy(req.r.id.idiag_src, q->laddr, alen);
		memcpy(req.r.id.idiag_dst, q->raddr, alen);
	}
	return build(buf, len, seq, 0, q->family, q->proto, &req);
}

int pc_sockdiag_parse_msg(const void *msg, size_t len, struct pc_sock *sk)
{
	const uint8_t *p = msg;
	struct inet_diag_msg m;
	size_t off, alen;

	if (len < sizeof(m))
		return -EINVAL;
	memcpy(&m, p, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return -EINVAL;
	memset(sk, 0, sizeof(*sk));
	alen = m.idiag_family == AF_INET ? 4 : 16;
	sk->family = m.idiag_family;
	sk->state = m.idiag_state;
	sk->lport = ntohs(m.id.idiag_sport);
	sk->rport = ntohs(m.id.idiag_dport);
	memcpy(sk->laddr, m.id.idiag_src, alen);
	memcpy(sk->raddr, m.id.idiag_dst, alen);
	sk->ifindex = m.id.idiag_if;
	sk->uid = m.idiag_uid;
	sk->inode = m.idiag_inode;
	sk->cookie = (uint64_t)m.id.idiag_cookie[0] | (uint64_t)m.id.idiag_cookie[1] << 32;
	/* attributes: struct nlattr { u16 len; u16 type; } + value, 4-aligned */
	off = NLMSG_ALIGN(sizeof(m));
	while (off + 4 <= len) {
		uint16_t alen16, type;

		memcpy(&alen16, p + off, 2);
		memcpy(&type, p + off + 2, 2);
		type &= NLA_TYPE_MASK;
		if (alen16 < 4 || alen16 > len - off)
			return -EINVAL;
		if (type == INET_DIAG_PROTOCOL && alen16 >= 5)
			sk->proto = p[off + 4];
		else if (type == INET_DIAG_CGROUP_ID && alen16 >= 12)
			memcpy(&sk->cgroup_id, p + off + 4, 8);
		off += NLA_ALIGN(alen16);
	}
	return 0;
}

struct parse_ctx {
	pc_sock_fn fn;
	void *ctx;
	int multi;
};

/* One message of a reply: 0 to go on, else what pc_sockdiag_parse returns. */
static int one_msg(void *ctx, const struct nlmsghdr *h, const uint8_t *body, size_t len)
{
	struct parse_ctx *c = ctx;
	struct pc_sock sk;
	int32_t error;

	if (h->nlmsg_flags & NLM_F_MULTI)
		c->multi = 1;
	switch (h->nlmsg_type) {
	case NLMSG_DONE:
		return PC_SOCKDIAG_DONE;
	case NLMSG_ERROR:
		if (len < sizeof(error))
			return -EINVAL;
		memcpy(&error, body, sizeof(error));
		if (error > 0 || error < -4095)
			return -EINVAL;
		return error ? error : PC_SOCKDIAG_DONE; /* 0: an ack */
	case SOCK_DIAG_BY_FAMILY:
		if (pc_sockdiag_parse_msg(body, len, &sk))
			return -EINVAL;
		if (c->fn && c->fn(c->ctx, &sk))
			return PC_SOCKDIAG_DONE;
		return 0;
	default: /* NLMSG_NOOP, overrun...: nothing for us */
		return 0;
	}
}

int pc_sockdiag_parse(const void *buf, size_t len, pc_sock_fn fn, void *ctx)
{
	struct parse_ctx c = { fn, ctx, 0 };
	int r = pc_netlink_walk(buf, len, one_msg, &c);

	if (r)
		return r;
	return c.multi ? PC_SOCKDIAG_MORE : PC_SOCKDIAG_DONE;
}

/* ---- I/O ---- */

int pc_sockdiag_open(int destroy_groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	int fd, size = 4 << 20, type = SOCK_RAW | SOCK_CLOEXEC, err;

	if (destroy_groups)
		type |= SOCK_NONBLOCK;
	fd = socket(AF_NETLINK, type, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (destroy_groups) {
		sa.nl_groups = 1u << (SKNLGRP_INET_TCP_DESTROY - 1) |
			       1u << (SKNLGRP_INET_UDP_DESTROY - 1) |
			       1u << (SKNLGRP_INET6_TCP_DESTROY - 1) |
			       1u << (SKNLGRP_INET6_UDP_DESTROY - 1);
		/* a burst of closes must not overflow it: FORCE needs CAP_NET_ADMIN */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	} else {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int send_request(int fd, const void *req, int len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (len < 0)
		return len;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != len)
		return -errno ? -errno : -EIO;
	return 0;
}

/* Reads replies until DONE or an error. */
static int read_replies(int fd, pc_sock_fn fn, void *ctx)
{
	static uint8_t buf[RECV_BUF] __attribute__((aligned(8)));
	ssize_t n;
	int r;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		r = pc_sockdiag_parse(buf, n, fn, ctx);
		if (r < 0)
			return r;
		if (r == PC_SOCKDIAG_DONE)
			return 0;
	}
}

static uint32_t next_seq;

int pc_sockdiag_dump(int fd, uint8_t family, uint8_t proto, pc_sock_fn fn, void *ctx)
{
	struct diag_request req;
	int err;

	err = send_request(fd, &req, pc_sockdiag_build_dump(&req, sizeof(req), ++next_seq, family,
							     proto));
	return err ? err : read_replies(fd, fn, ctx);
}

struct one {
	struct pc_sock *out;
	int found;
};

static int take_one(void *ctx, const struct pc_sock *sk)
{
	struct one *o = ctx;

	if (!o->found)
		*o->out = *sk;
	o->found = 1;
	return 0;
}

int pc_sockdiag_query(int fd, const struct pc_sock_query *q, struct pc_sock *out)
{
	struct diag_request req;
	struct one o = { out, 0 };
	int err;

	err = send_request(fd, &req, pc_sockdiag_build_query(&req, sizeof(req), ++next_seq, q));
	if (!err)
		err = read_replies(fd, take_one, &o);
	if (err)
		return err;
	if (!o.found)
		return -ENOENT;
	if (!out->proto)
		out->proto = q->proto;
	return 0;
}

struct events_ctx {
	pc_sock_fn fn;
	void *ctx;
};

static int one_datagram(void *ctx, const uint8_t *msg, size_t len)
{
	struct events_ctx *e = ctx;

	pc_sockdiag_parse(msg, len, e->fn, e->ctx);
	return 1;
}

int pc_sockdiag_read_events(int fd, pc_sock_fn fn, void *ctx)
{
	static uint8_t buf[RECV_BUF] __attribute__((aligned(8)));
	struct events_ctx e = { fn, ctx };

	return pc_netlink_drain(fd, buf, sizeof(buf), one_datagram, &e);
}
