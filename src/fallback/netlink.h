/* Draining a non-blocking netlink socket (sock_diag destroy notifications,
 * the proc connector): the one receive loop of the fallback's event
 * sockets. Not for request/reply dumps (sockdiag.c) or parsing messages. */
#ifndef PIDCAP_NETLINK_H
#define PIDCAP_NETLINK_H

#include <stddef.h>
#include <stdint.h>

/* Called with each datagram; returns 1 when it counts (was used), 0 not. */
typedef int (*pc_netlink_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

/* Receives every waiting datagram into buf (size bytes, aligned for
 * netlink headers) and hands each to fn, until none is left. Returns the
 * count; -ENOBUFS when the kernel dropped messages (the socket buffer ran
 * over: read on, but the caller lost events); another negative errno when
 * recv failed otherwise. */
int pc_netlink_drain(int fd, uint8_t *buf, size_t size, pc_netlink_msg_fn fn, void *ctx);

#endif
