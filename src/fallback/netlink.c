/* The receive loop over a non-blocking netlink socket, with the kernel's
 * ENOBUFS (lost messages) reported once at the end, and the bounds-checked
 * walk over the messages of one datagram. Not for what the messages mean. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "fallback/netlink.h"

int pc_netlink_drain(int fd, uint8_t *buf, size_t size, pc_netlink_msg_fn fn, void *ctx)
{
	int count = 0, lost = 0, err = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = 1;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				err = -errno;
			break;
		}
		if (n == 0)
			break;
		count += fn(ctx, buf, (size_t)n);
	}
	if (lost)
		return -ENOBUFS;
	return err ? err : count;
}

int pc_netlink_walk(const void *buf, size_t len, pc_netlink_each_fn fn, void *ctx)
{
	const uint8_t *p = buf;
	size_t off = 0, step;
	int r;

	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EINVAL;
		r = fn(ctx, &h, p + off + sizeof(h), h.nlmsg_len - sizeof(h));
		if (r)
			return r;
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
	return 0;
}
