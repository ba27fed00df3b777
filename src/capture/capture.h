/* Kernel side control: loads the eBPF programs, applies settings, attaches
 * them, seeds owners of existing sockets and hands ring buffer records to
 * a callback. Not for decoding or printing records. */
#ifndef PIDCAP_CAPTURE_H
#define PIDCAP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include "records.h"

/* Which capture backend pc_capture_open uses (--backend). */
enum pc_backend {
	PC_BACKEND_AUTO = 0, /* eBPF when it loads, else the fallback with a notice */
	PC_BACKEND_EBPF,     /* eBPF only: its error otherwise */
	PC_BACKEND_PCAP,     /* the fallback: libpcap + sock_diag + /proc (fallback/backend.c) */
};

struct pc_capture_opts {
	uint32_t snaplen;          /* bytes of each packet to copy */
	int want_in, want_out;     /* -Q */
	const uint32_t *pids;      /* --pid and -- CMD: initial pid set */
	size_t npids;
	int filter_pids;           /* restrict to pids (and children) */
	int follow_children;       /* add children forked later */
	const char *comm;          /* --comm, NULL for any */
	int uid_set;
	uint32_t uid;
	/* The cgroup filter (--cgroup, --container, --pod), NULL for none:
	 * whether a process's cgroup v2 id is in it. 1 yes, 0 no, -1 not
	 * known yet (asked again for later packets). Called on the first
	 * packet of each cgroup (eBPF: the kernel remembers the answers) and
	 * for packets the kernel could not decide, so a container started
	 * after pidcap is caught from its first packet. */
	int (*cgroup_match)(void *ctx, uint64_t cgroup_id);
	void *cgroup_match_ctx;
	size_t ring_bytes;         /* power of two (-B); 0: the default */
	int verbose;               /* 2: show libbpf and verifier logs */
	int count_mode;            /* sum traffic per process and connection in
				    * the kernel (flows map), no packet records;
				    * the fallback has no flows map: it sends
				    * header-only packet records instead */
	int backend;               /* enum pc_backend */
	const char *filter;        /* pcap expression: the fallback compiles it
				    * into its packet socket, eBPF translates it
				    * into a program of its own where the kernel
				    * takes it (else the caller filters) */
	char *const *ifaces;       /* -i names ("any" = all): the fallback captures
				    * only these (eBPF: caller filters) */
	size_t nifaces;
	/* One-line notices for the user (auto falling back to pcap: why, and
	 * what the fallback cannot see). NULL: none. */
	void (*notice)(void *ctx, const char *line);
	void *notice_ctx;
};

/* Called for every ring buffer record, in order. Return 0 to go on. */
typedef int (*pc_record_fn)(void *ctx, const void *rec, size_t size);

struct pc_capture;

/* Checks privileges and kernel features, loads and attaches everything.
 * On error returns a negative errno and a message in errbuf that says
 * what is wrong and what to do. */
int pc_capture_open(struct pc_capture **out, const struct pc_capture_opts *opts,
		    pc_record_fn fn, void *ctx, char *errbuf, size_t errlen);
void pc_capture_close(struct pc_capture *cap);
/* epoll fd that becomes readable when records are waiting. */
int pc_capture_fd(const struct pc_capture *cap);
/* Hands every waiting record to the callback; returns the number handled
 * or a negative errno. */
int pc_capture_consume(struct pc_capture *cap);
/* Sums the per-CPU counters (enum pc_counter). */
int pc_capture_counters(const struct pc_capture *cap, uint64_t out[PC_CNT_MAX]);
/* The per-CPU flows map of counting mode (struct pc_flow_key ->
 * struct pc_flow_val), for src/capture/flowtab.c. */
int pc_capture_flows_fd(const struct pc_capture *cap);
/* Its overflow, per process and direction, used once flows is full (same
 * key and value layouts); -1 without eBPF. */
int pc_capture_flows_fold_fd(const struct pc_capture *cap);
/* Adds a pid to the in-kernel filter set. */
int pc_capture_add_pid(struct pc_capture *cap, uint32_t pid);
/* One line naming the hooks in use, for the start-up message. */
const char *pc_capture_method(const struct pc_capture *cap);
/* 1 when the backend runs opts->filter in the kernel, so that the caller
 * need not match it again; 0 when the caller must. *where gets the phrase
 * for the start-up line: "filter in the kernel", "filter in user space
 * (why)", or "" without a filter. */
int pc_capture_filter_where(const struct pc_capture *cap, const char **where);

#endif
