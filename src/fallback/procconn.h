/* Process events from the kernel's proc connector (NETLINK_CONNECTOR,
 * CN_IDX_PROC): fork, exec, exit and comm changes, for the fallback
 * backend. Message parsing is pure (bytes in, one event out); the socket
 * I/O is kept apart. Not for what the events mean (fallback/owner_pids.c,
 * fallback/backend_procs.c). */
#ifndef PIDCAP_PROCCONN_H
#define PIDCAP_PROCCONN_H

#include <stddef.h>
#include <stdint.h>

enum pc_procconn_what {
	PC_PROCCONN_FORK = 1, /* pid/tgid: the child; ppid: the parent's tgid */
	PC_PROCCONN_EXEC,     /* pid/tgid: the task that ran execve() */
	PC_PROCCONN_EXIT,     /* pid/tgid: the task that exited; ppid: its parent's tgid */
	PC_PROCCONN_COMM,     /* pid/tgid renamed itself to comm */
};

struct pc_procconn_event {
	uint32_t what;    /* enum pc_procconn_what */
	uint32_t pid;     /* the task (thread id) */
	uint32_t tgid;    /* its process; pid == tgid for a process (not a thread) */
	uint32_t ppid;    /* parent process (fork and exit), 0 otherwise */
	uint64_t ts_ns;   /* CLOCK_MONOTONIC of the event, from the kernel */
	char comm[16];    /* COMM: the new name, NUL-terminated; "" otherwise */
};

/* Parses one datagram of the connector socket (len bytes, one or more
 * netlink messages; the first proc event is taken). Returns 0 with *ev
 * filled, -ENOENT for messages that carry no event we use (the subscription
 * ack, uid/sid/ptrace/coredump events), -EINVAL for malformed bytes. */
int pc_procconn_parse(const void *buf, size_t len, struct pc_procconn_event *ev);

/* Opens a non-blocking, close-on-exec connector socket and subscribes to
 * process events (needs CAP_NET_ADMIN). Returns the fd or a negative errno. */
int pc_procconn_open(void);

/* Called for each event read. */
typedef void (*pc_procconn_fn)(void *ctx, const struct pc_procconn_event *ev);

/* Reads every pending event. Returns the number of events, or -ENOBUFS
 * when events were lost (the socket overflowed; those read were handed
 * to fn), or another negative errno. */
int pc_procconn_read(int fd, pc_procconn_fn fn, void *ctx);

#endif
