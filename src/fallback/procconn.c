/* The proc connector: subscribe, read, and parse fork/exec/exit/comm
 * events. The parser never trusts a length (it reads datagrams from the
 * kernel, but is fuzzed like every parser). Not for acting on events. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include "fallback/netlink.h"
#include "fallback/procconn.h"

/* Offsets in struct proc_event: what, cpu, timestamp_ns, then the union. */
#define EV_WHAT 0
#define EV_TS 8
#define EV_DATA 16

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int parse_event(const uint8_t *p, size_t len, struct pc_procconn_event *ev)
{
	uint32_t what;
	size_t need;

	if (len < EV_DATA)
		return -EINVAL;
	what = get32(p + EV_WHAT);
	memset(ev, 0, sizeof(*ev));
	memcpy(&ev->ts_ns, p + EV_TS, sizeof(ev->ts_ns));
	p += EV_DATA;
	len -= EV_DATA;
	switch (what) {
	case PROC_EVENT_FORK: /* parent_pid, parent_tgid, child_pid, child_tgid */
		if (len < 16)
			return -EINVAL;
		ev->what = PC_PROCCONN_FORK;
		ev->ppid = get32(p + 4);
		ev->pid = get32(p + 8);
		ev->tgid = get32(p + 12);
		return 0;
	case PROC_EVENT_EXEC: /* process_pid, process_tgid */
		if (len < 8)
			return -EINVAL;
		ev->what = PC_PROCCONN_EXEC;
		ev->pid = get32(p);
		ev->tgid = get32(p + 4);
		return 0;
	case PROC_EVENT_EXIT: /* pid, tgid, exit_code, exit_signal, parent_pid, parent_tgid */
		if (len < 16)
			return -EINVAL;
		ev->what = PC_PROCCONN_EXIT;
		ev->pid = get32(p);
		ev->tgid = get32(p + 4);
		need = 24;
		if (len >= need)
			ev->ppid = get32(p + 20);
		return 0;
	case PROC_EVENT_COMM: /* pid, tgid, comm[16] */
		if (len < 8 + 16)
			return -EINVAL;
		ev->what = PC_PROCCONN_COMM;
		ev->pid = get32(p);
		ev->tgid = get32(p + 4);
		memcpy(ev->comm, p + 8, 15);
		ev->comm[15] = 0;
		return 0;
	default:
		return -ENOENT;
	}
}

struct parse_ctx {
	struct pc_procconn_event *ev;
	int err;
};

/* The first proc event ends the walk, with parse_event's answer in err. */
static int one_msg(void *ctx, const struct nlmsghdr *h, const uint8_t *body, size_t len)
{
	struct parse_ctx *c = ctx;
	struct cn_msg cn;

	if (h->nlmsg_type != NLMSG_DONE || len < sizeof(cn))
		return 0;
	memcpy(&cn, body, sizeof(cn));
	if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC || cn.len > len - sizeof(cn))
		return 0;
	c->err = parse_event(body + sizeof(cn), cn.len, c->ev);
	return 1;
}

int pc_procconn_parse(const void *buf, size_t len, struct pc_procconn_event *ev)
{
	struct parse_ctx c = { ev, -ENOENT };
	int r = pc_netlink_walk(buf, len, one_msg, &c);

	return r < 0 ? r : c.err;
}

int pc_procconn_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	uint8_t req[NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(uint32_t))];
	struct nlmsghdr nh = { .nlmsg_len = sizeof(req), .nlmsg_type = NLMSG_DONE };
	struct cn_msg cn = { .id = { CN_IDX_PROC, CN_VAL_PROC }, .len = sizeof(uint32_t) };
	uint32_t op = PROC_CN_MCAST_LISTEN;
	int fd, size = 8 << 20, err;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	memset(req, 0, sizeof(req));
	memcpy(req, &nh, sizeof(nh));
	memcpy(req + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(req + NLMSG_HDRLEN + sizeof(cn), &op, sizeof(op));
	if (send(fd, req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err ? err : -EIO;
}

struct read_ctx {
	pc_procconn_fn fn;
	void *ctx;
};

static int one_event(void *ctx, const uint8_t *msg, size_t len)
{
	struct read_ctx *r = ctx;
	struct pc_procconn_event ev;

	if (pc_procconn_parse(msg, len, &ev))
		return 0;
	r->fn(r->ctx, &ev);
	return 1;
}

int pc_procconn_read(int fd, pc_procconn_fn fn, void *ctx)
{
	uint8_t buf[4096] __attribute__((aligned(8)));
	struct read_ctx r = { fn, ctx };

	return pc_netlink_drain(fd, buf, sizeof(buf), one_event, &r);
}
