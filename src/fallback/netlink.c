/* The receive loop over a non-blocking netlink socket, with the kernel's
 * ENOBUFS (lost messages) reported once at the end. Not for parsing. */
#include <errno.h>
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
