/* Netlink for the fallback's sockets (sock_diag, the proc connector): the
 * one receive loop of the non-blocking event sockets, and the one walk over
 * the messages of a datagram that checks every length. Not for request/reply
 * dumps (sockdiag.c) or for what a message carries (its parser's callback). */
#ifndef PIDCAP_NETLINK_H
#define PIDCAP_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* Called with each datagram; returns 1 when it counts (was used), 0 not. */
typedef int (*pc_netlink_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

/* Receives every waiting datagram into buf (size bytes, aligned for
 * netlink headers) and hands each to fn, until none is left. Returns the
 * count; -ENOBUFS when the kernel dropped messages (the socket buffer ran
 * over: read on, but the caller lost events); another negative errno when
 * recv failed otherwise. */
int pc_netlink_drain(int fd, uint8_t *buf, size_t size, pc_netlink_msg_fn fn, void *ctx);

/* Called for each netlink message of a walk with its header (a copy) and
 * its payload, body[0..len) (len = nlmsg_len - the header). Returns 0 to
 * go on; anything else ends the walk with that value. */
typedef int (*pc_netlink_each_fn)(void *ctx, const struct nlmsghdr *h, const uint8_t *body,
				  size_t len);

/* Walks the netlink messages in buf[0..len) (one datagram), never trusting
 * a length: a header whose nlmsg_len is below the header's size or past the
 * end is -EINVAL; a last message whose alignment padding is cut ends the
 * walk. Returns fn's first nonzero value, -EINVAL, or 0 when every message
 * was walked. */
int pc_netlink_walk(const void *buf, size_t len, pc_netlink_each_fn fn, void *ctx);

#endif
