/* The fallback backend's set-up and loop: libpcap on "any" with the filter
 * in the kernel, the sock_diag and proc connector sockets, the seed of every
 * socket and holder that exists at start, epoll, and pc_pcapback_consume,
 * which reads events and packets, resolves, scans and emits in turn.
 * Not for the queue and owner look-ups (backend_queue.c), process events
 * (backend_procs.c), the rules of attribution (fallback/owner_rules.c) or
 * the wire formats (sockdiag.c, procconn.c, linkhdr.c). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "lib/clock.h"
#include "proc/cgroups.h"
#include "fallback/backend_state.h"

#define TIMER_NS (20 * MS)         /* wake-up while packets wait */
#define PCAP_TIMEOUT_MS 2          /* TPACKET_V3 block timeout: short-lived processes
				    * must still be there when we look */
#define PCAP_BUFFER (16 << 20)
#define COUNT_SNAPLEN 128          /* counting mode: headers only */
#define SCANS_PER_SEC 10.0         /* full /proc scans: token bucket */
#define QUERIES_PER_SEC 20000.0    /* sock_diag one-socket queries */

/* ---- the loop ---- */

static void update_clocks(struct pc_pcapback *b)
{
	b->real_to_mono = pc_clock_offset_ns(CLOCK_REALTIME, CLOCK_MONOTONIC);
	b->boot_to_mono = pc_clock_offset_ns(CLOCK_BOOTTIME, CLOCK_MONOTONIC);
}

/* Process events and socket destructions queued so far. */
static void read_events(struct pc_pcapback *b)
{
	if (b->cn_fd >= 0 && pc_procconn_read(b->cn_fd, pb_on_proc_event, b) == -ENOBUFS)
		b->cnt[PC_CNT_EVENT_DROPPED]++;
	if (b->diag_ev_fd >= 0)
		pc_sockdiag_read_events(b->diag_ev_fd, pb_on_destroy, b);
}

int pc_pcapback_consume(struct pc_pcapback *b)
{
	struct itimerspec its = { 0 };
	uint64_t now, exp;
	int n, stop = 0, r;

	update_clocks(b);
	b->queries_left = 1;
	if (read(b->timer_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return -errno;
	read_events(b);
	do {
		r = pcap_dispatch(b->pcap, 4096, pb_on_pcap, (u_char *)b);
	} while (r > 0 && b->qlen < MAX_QUEUE);
	if (r == PCAP_ERROR)
		return -EIO;
	/* every fork, exec and exit before the packets just read is queued
	 * on the connector by now: the rules must know them (a fork the
	 * rules miss could name the parent for its child's packets) */
	read_events(b);
	now = pc_clock_ns(CLOCK_MONOTONIC);
	pb_sweep_pids(b, now);
	pb_resolve(b, now);
	if (pb_scan(b, now)) {
		read_events(b);
		now = pc_clock_ns(CLOCK_MONOTONIC);
		pb_resolve(b, now);
	}
	n = pb_emit(b, now, &stop);
	if (now - b->last_expire_ns > 1000 * MS) {
		pc_owners_expire(b->own, now);
		b->last_expire_ns = now;
	}
	if (b->head) { /* packets wait: come back soon even without new ones */
		its.it_value.tv_nsec = TIMER_NS;
		timerfd_settime(b->timer_fd, 0, &its, NULL);
	}
	return n;
}

/* ---- set-up ---- */

struct dump_ctx {
	struct pc_pcapback *b;
	uint8_t proto;
	uint64_t now;
};

static int on_dumped(void *ctx, const struct pc_sock *sk)
{
	struct dump_ctx *c = ctx;
	struct pc_sock s = *sk;

	if (!s.proto)
		s.proto = c->proto;
	pc_owners_add_socket(c->b->own, &s, c->now);
	return 0;
}

/* Every socket that exists now, and who holds them: packets of sockets
 * older than pidcap are attributed from the start. */
static void seed(struct pc_pcapback *b)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 }, protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct dump_ctx c = { b, 0, pc_clock_ns(CLOCK_MONOTONIC) };
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			c.proto = protos[j];
			pc_sockdiag_dump(b->diag_fd, fams[i], protos[j], on_dumped, &c);
		}
	pc_owners_scan_begin(b->own, 1, c.now);
	pc_procfd_scan_all(PROC, pb_on_scan_holder, b, NULL);
	pc_owners_scan_end(b->own, pc_clock_ns(CLOCK_MONOTONIC));
}

/* "(ifindex 2 or ifindex 7) and (EXPR)" for -i, or EXPR alone. */
static char *filter_text(const struct pc_capture_opts *o, char *errbuf, size_t errlen)
{
	size_t i, len = 64 + (o->filter ? strlen(o->filter) : 0) + o->nifaces * 24;
	char *s = calloc(1, len), *p;
	int any = !o->nifaces;

	if (!s)
		return NULL;
	for (i = 0; i < o->nifaces; i++)
		if (!strcmp(o->ifaces[i], "any"))
			any = 1;
	p = s;
	if (!any) {
		p += sprintf(p, "(");
		for (i = 0; i < o->nifaces; i++) {
			unsigned int idx = if_nametoindex(o->ifaces[i]);

			if (!idx) {
				snprintf(errbuf, errlen, "unknown interface '%s'", o->ifaces[i]);
				free(s);
				return NULL;
			}
			p += sprintf(p, "%sifindex %u", i ? " or " : "", idx);
		}
		p += sprintf(p, ")%s", o->filter ? " and " : "");
	}
	if (o->filter)
		sprintf(p, "(%s)", o->filter);
	return s;
}

static int open_pcap(struct pc_pcapback *b, const struct pc_capture_opts *o, char *errbuf,
		     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "", *text = NULL;
	struct bpf_program prog;
	int r;

	b->pcap = pcap_create("any", perr);
	if (!b->pcap) {
		snprintf(errbuf, errlen, "libpcap cannot open 'any': %s", perr);
		return -ENODEV;
	}
	pcap_set_snaplen(b->pcap, b->snaplen + 64); /* + link header */
	pcap_set_promisc(b->pcap, 0);
	pcap_set_timeout(b->pcap, PCAP_TIMEOUT_MS);
	pcap_set_immediate_mode(b->pcap, 0);
	pcap_set_buffer_size(b->pcap, o->ring_bytes ? (int)o->ring_bytes : PCAP_BUFFER);
	pcap_set_tstamp_precision(b->pcap, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(b->pcap);
	if (r < 0) {
		snprintf(errbuf, errlen, "libpcap cannot capture on 'any': %s%s", pcap_geterr(b->pcap),
			 r == PCAP_ERROR_PERM_DENIED ? " (needs CAP_NET_RAW: run as root)" : "");
		return r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
	}
	/* SLL2 names the interface of every packet; SLL (older libpcap) does not */
	pcap_set_datalink(b->pcap, DLT_LINUX_SLL2);
	b->dlt = pcap_datalink(b->pcap);
	if (o->filter || o->nifaces) {
		text = filter_text(o, errbuf, errlen);
		if (!text)
			return -EINVAL;
		if (pcap_compile(b->pcap, &prog, text, 1, PCAP_NETMASK_UNKNOWN)) {
			snprintf(errbuf, errlen, "invalid filter expression: %s", pcap_geterr(b->pcap));
			free(text);
			return -EINVAL;
		}
		free(text);
		r = pcap_setfilter(b->pcap, &prog); /* a socket filter in the kernel */
		pcap_freecode(&prog);
		if (r) {
			snprintf(errbuf, errlen, "cannot set the filter: %s", pcap_geterr(b->pcap));
			return -EINVAL;
		}
	}
	if (pcap_setnonblock(b->pcap, 1, perr)) {
		snprintf(errbuf, errlen, "libpcap: %s", perr);
		return -EIO;
	}
	b->pcap_fd = pcap_get_selectable_fd(b->pcap);
	return b->pcap_fd < 0 ? -EIO : 0;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 || !epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? 0 : -errno;
}

int pc_pcapback_open(struct pc_pcapback **out, const struct pc_capture_opts *o,
		     pc_record_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	struct pc_pcapback *b;
	uint64_t now = pc_clock_ns(CLOCK_MONOTONIC);
	struct stat st;
	size_t i;
	int err;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	b->ep = b->timer_fd = b->diag_fd = b->diag_ev_fd = b->cn_fd = b->pcap_fd = -1;
	b->wtail = &b->waiting;
	b->fn = fn;
	b->ctx = ctx;
	b->snaplen = o->count_mode || !o->snaplen ? COUNT_SNAPLEN : o->snaplen;
	b->want_in = o->want_in;
	b->want_out = o->want_out;
	b->count_mode = o->count_mode;
	b->filter_pids = o->filter_pids;
	b->follow_children = o->follow_children;
	if (o->comm)
		strncpy(b->comm, o->comm, PC_COMM_LEN - 1);
	b->uid_set = o->uid_set;
	b->uid = o->uid;
	b->cgroup_match = o->cgroup_match;
	b->cgroup_ctx = o->cgroup_match_ctx;
	b->scans = (struct bucket){ SCANS_PER_SEC, SCANS_PER_SEC, SCANS_PER_SEC, now };
	b->queries = (struct bucket){ QUERIES_PER_SEC / 10, QUERIES_PER_SEC, QUERIES_PER_SEC / 10, now };
	b->lo_ifindex = if_nametoindex("lo");
	b->netns = stat(PROC "/self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;
	if (pc_find_cgroup2(PROC, b->cgroot, sizeof(b->cgroot)))
		b->cgroot[0] = 0;
	update_clocks(b);
	for (i = 0; i < o->npids; i++)
		if (pc_pcapback_add_pid(b, o->pids[i])) {
			err = -ENOMEM;
			snprintf(errbuf, errlen, "out of memory");
			goto fail;
		}
	err = pc_owners_new(&b->own, now);
	if (err) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	b->diag_fd = pc_sockdiag_open(0);
	if (b->diag_fd < 0) {
		err = b->diag_fd;
		snprintf(errbuf, errlen, "cannot open NETLINK_SOCK_DIAG: %s", strerror(-err));
		goto fail;
	}
	b->diag_ev_fd = pc_sockdiag_open(1); /* optional: sockets found gone on query */
	b->cn_fd = pc_procconn_open();       /* optional: scans still name processes */
	err = open_pcap(b, o, errbuf, errlen);
	if (err)
		goto fail;
	seed(b);
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->timer_fd < 0 || b->ep < 0 || add_fd(b->ep, b->pcap_fd) || add_fd(b->ep, b->cn_fd) ||
	    add_fd(b->ep, b->diag_ev_fd) || add_fd(b->ep, b->timer_fd)) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot set up epoll: %s", strerror(errno));
		goto fail;
	}
	snprintf(b->method, sizeof(b->method),
		 "fallback without eBPF: libpcap on any (%s, filter in the kernel), owners from "
		 "sock_diag and /proc/PID/fd%s%s",
		 b->dlt == DLT_LINUX_SLL2 ? "LINUX_SLL2" : pcap_datalink_val_to_name(b->dlt),
		 b->cn_fd >= 0 ? ", process events from the proc connector" :
				 ", NO process events (proc connector: needs CAP_NET_ADMIN)",
		 b->diag_ev_fd >= 0 ? "" : ", no socket destroy notifications");
	*out = b;
	return 0;
fail:
	pc_pcapback_close(b);
	return err;
}

void pc_pcapback_close(struct pc_pcapback *b)
{
	struct qent *e, *next;

	if (!b)
		return;
	for (e = b->head; e; e = next) {
		next = e->next;
		free(e);
	}
	if (b->pcap)
		pcap_close(b->pcap);
	if (b->ep >= 0)
		close(b->ep);
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	if (b->diag_fd >= 0)
		close(b->diag_fd);
	if (b->diag_ev_fd >= 0)
		close(b->diag_ev_fd);
	if (b->cn_fd >= 0)
		close(b->cn_fd);
	pc_owners_free(b->own);
	free(b->pids.slots);
	free(b);
}

int pc_pcapback_fd(const struct pc_pcapback *b)
{
	return b->ep;
}

int pc_pcapback_counters(const struct pc_pcapback *b, uint64_t out[PC_CNT_MAX])
{
	struct pcap_stat ps;

	memcpy(out, b->cnt, sizeof(b->cnt));
	if (!pcap_stats(b->pcap, &ps))
		out[PC_CNT_DROPPED] += ps.ps_drop;
	return 0;
}

const char *pc_pcapback_method(const struct pc_pcapback *b)
{
	return b->method;
}
