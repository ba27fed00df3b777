/* NETLINK_SOCK_DIAG for inet sockets (TCP and UDP, IPv4 and IPv6): request
 * building and reply parsing as pure functions over bytes (fuzzed), and the
 * socket I/O around them: one-socket queries, dumps, destroy notifications.
 * Not for deciding owners (fallback/owner_rules.c) or reading /proc (procfd.c). */
#ifndef PIDCAP_SOCKDIAG_H
#define PIDCAP_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

/* One socket as sock_diag reports it. */
struct pc_sock {
	uint8_t family;        /* AF_INET or AF_INET6 */
	uint8_t proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;         /* TCP_* (UDP: TCP_ESTABLISHED once connected, TCP_CLOSE) */
	uint8_t pad;
	uint16_t lport, rport; /* host order; rport 0: not connected */
	uint8_t laddr[16];     /* IPv4 in the first 4 bytes */
	uint8_t raddr[16];
	uint32_t ifindex;      /* bound device, 0 for none */
	uint32_t uid;
	uint32_t inode;        /* 0: no file (request, time-wait or orphaned socket) */
	uint64_t cookie;       /* equals bpf_get_socket_cookie() */
	uint64_t cgroup_id;    /* cgroup v2 of the socket, 0 when not reported */
};

/* What a one-socket query asks for: the socket the kernel would hand a
 * packet between these two ends (local end first). */
struct pc_sock_query {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

/* Called for each socket of a reply or notification. Return 0 to go on. */
typedef int (*pc_sock_fn)(void *ctx, const struct pc_sock *sk);

/* pc_sockdiag_parse results besides negative errnos. */
#define PC_SOCKDIAG_MORE 0 /* more messages of this reply will follow */
#define PC_SOCKDIAG_DONE 1 /* NLMSG_DONE seen, or a non-multipart reply ended */

/* ---- pure functions (no I/O) ---- */

/* Builds a dump request for every socket of family/proto in buf. Returns
 * the length, or -ENOSPC. */
int pc_sockdiag_build_dump(void *buf, size_t len, uint32_t seq, uint8_t family, uint8_t proto);

/* Builds a request for the one socket matching q. Returns the length or
 * -ENOSPC / -EINVAL (unsupported family or protocol). */
int pc_sockdiag_build_query(void *buf, size_t len, uint32_t seq, const struct pc_sock_query *q);

/* Parses len bytes of netlink messages (a dump reply part, a query reply or
 * destroy notifications): each inet_diag_msg becomes a pc_sock for fn.
 * Never trusts a length. Returns PC_SOCKDIAG_MORE, PC_SOCKDIAG_DONE (also
 * when fn returned nonzero: parsing stops there), the negative errno of an
 * NLMSG_ERROR (-ENOENT: no such socket) or -EINVAL for malformed bytes. */
int pc_sockdiag_parse(const void *buf, size_t len, pc_sock_fn fn, void *ctx);

/* Fills *sk from one inet_diag_msg and its attributes (payload of one
 * netlink message, len bytes). Returns 0 or -EINVAL. */
int pc_sockdiag_parse_msg(const void *msg, size_t len, struct pc_sock *sk);

/* ---- socket I/O ---- */

/* Opens a NETLINK_SOCK_DIAG socket (close-on-exec). groups: 0 for
 * queries and dumps, or 1 to subscribe to the TCP and UDP, IPv4 and IPv6
 * destroy notifications (needs CAP_NET_ADMIN; non-blocking). Returns the
 * fd or a negative errno. */
int pc_sockdiag_open(int destroy_groups);

/* Every socket of family/proto through fn. Returns 0 or a negative errno. */
int pc_sockdiag_dump(int fd, uint8_t family, uint8_t proto, pc_sock_fn fn, void *ctx);

/* The one socket matching q: 0 with *out filled, -ENOENT when there is
 * none, another negative errno on failure. */
int pc_sockdiag_query(int fd, const struct pc_sock_query *q, struct pc_sock *out);

/* Reads every pending destroy notification of a non-blocking socket from
 * pc_sockdiag_open(1). Returns the number of datagrams read, or -ENOBUFS
 * when notifications were lost (those read were still handed to fn), or
 * another negative errno. */
int pc_sockdiag_read_events(int fd, pc_sock_fn fn, void *ctx);

#endif
