/* pidcap exporter: a long-lived service that opens the capture in counting
 * mode and serves the counters to Prometheus. One epoll loop: the ring
 * buffer (process events), signals, and libmicrohttpd driven from it (its
 * epoll fd, MHD_run), so HTTP and counting never race. Not for the metric
 * text (promtext.c) or counting (flowtab.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cmd/counting.h"
#include "cmd/exporter.h"
#include "cmd/promtext.h"
#include "cmd/topfmt.h"

#define DEFAULT_LISTEN "127.0.0.1:9888"
#define IDLE_NS (60ULL * 1000000000)        /* kernel entries idle this long are deleted */
#define REFRESH_NS (10ULL * 1000000000)     /* update at least this often without scrapes */
#define MIN_REFRESH_NS (100ULL * 1000000)   /* scrapes closer than this share an update */
#define PROC_KEEP_NS (120ULL * 1000000000)  /* exited processes kept by the cache */
#define KEEP_INTERVALS 3                    /* updates an exited pid stays in flowtab rows */
#define MAX_SERIES 50000
#define MAX_CONNECTIONS 64                  /* past it the oldest unfinished request goes */
#define HARD_CONNECTIONS 96                 /* MHD's own limit: room to evict in */
#define PER_IP_CONNECTIONS HARD_CONNECTIONS /* eviction, not a per-address cap, keeps room */
#define CONNECTION_TIMEOUT_S 10             /* inactivity */
#define REQUEST_DEADLINE_NS (10ULL * 1000000000) /* a whole request, however it trickles */
#define CONNECTION_MEMORY (32 * 1024)       /* request line + headers per connection */

/* A connection the server keeps: since when its current request runs. */
struct conn {
	struct conn *prev, *next;
	int fd;
	uint64_t since_ns; /* connection start, or the end of its last request */
	int cut;           /* shut down: MHD closes it next */
};

struct exporter {
	struct pc_options *opt;
	struct conn conns;  /* list head */
	size_t nconns;
	/* one rendered body per update, shared by every scrape until the next */
	struct MHD_Response *body;
	uint64_t body_gen, gen;
	struct pc_counting c;  /* session, process cache, capture, flow table */
	struct pc_prom *prom;
	struct MHD_Daemon *mhd;
	int listen_fd;
	struct pc_row_info info;
	int done;
	int update_err;
};

/* process_command: argv[0], the first word of the joined command line. */
static void first_word(char *dst, size_t n, const char *cmdline)
{
	size_t len = strcspn(cmdline, " ");

	if (len >= n)
		len = n - 1;
	memcpy(dst, cmdline, len);
	dst[len] = 0;
}

/* Reads the kernel counters into the series. */
static int refresh(struct exporter *e)
{
	const struct pc_proc_row *rows;
	uint64_t now = pc_now_ns();
	char cmd[1024], owner[32];
	size_t n, i;
	int err;

	if (e->c.last_update_ns && now - e->c.last_update_ns < MIN_REFRESH_NS)
		return 0;
	err = pc_counting_update(&e->c, now, IDLE_NS);
	if (err)
		return err;
	n = pc_flowtab_rows(e->c.ft, &rows);
	pc_prom_begin(e->prom);
	for (i = 0; i < n; i++) {
		struct pc_prom_labels l = { 0 };

		pc_row_info(e->c.procs, &rows[i], now, &e->info);
		if (e->info.have_cmdline)
			first_word(cmd, sizeof(cmd), e->info.cmdline);
		else
			snprintf(cmd, sizeof(cmd), "%s", e->info.comm);
		snprintf(owner, sizeof(owner), "%u", rows[i].uid);
		l.exe_name = e->info.exe_name;
		l.command = cmd;
		l.owner = e->info.have_user ? e->info.user : owner;
		l.container_id = e->info.ct_id;
		l.container_name = e->info.ct_name;
		err = pc_prom_observe(e->prom, rows[i].pid, &l, rows[i].exited, &rows[i].t, now);
		if (err)
			break;
	}
	pc_prom_end(e->prom, now);
	e->gen++;
	/* after the rows: an exited process keeps its labels until expired */
	pc_counting_expire(&e->c, now, PROC_KEEP_NS);
	return err;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	return reply(c, status, "text/plain; charset=utf-8", (void *)msg, strlen(msg),
		     MHD_RESPMEM_PERSISTENT);
}

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>pidcap exporter</title></head>\n"
	"<body><h1>pidcap exporter</h1>\n"
	"<p>Network traffic per process, counted in the kernel.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

static enum MHD_Result metrics(struct exporter *e, struct MHD_Connection *c)
{
	uint64_t cnt[PC_CNT_MAX] = { 0 };
	struct pc_prom_self self = { 0 };
	struct MHD_Response *r;
	struct pc_limits lim;
	char *body;
	size_t len;
	int err = refresh(e);

	if (err) {
		e->update_err = err;
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the kernel's counters\n");
	}
	if (e->body && e->body_gen == e->gen) /* scrapes of one update share its body */
		return MHD_queue_response(c, MHD_HTTP_OK, e->body);
	pc_capture_counters(e->c.cap, cnt);
	self.counted = cnt[PC_CNT_SEEN];
	self.dropped = cnt[PC_CNT_DROPPED];
	self.events_dropped = cnt[PC_CNT_EVENT_DROPPED];
	self.flows_full = cnt[PC_CNT_FLOWS_FULL];
	pc_limits_get(&lim, e->c.ft, cnt);
	self.uncounted = lim.uncounted;
	self.flows_folded = lim.folded;
	self.flows_evicted = lim.evicted;
	self.filtered = cnt[PC_CNT_FILTERED];
	if (pc_prom_render(e->prom, &self, &body, &len))
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	/* responses are reference counted: one still being sent stays */
	if (e->body)
		MHD_destroy_response(e->body);
	e->body = r;
	e->body_gen = e->gen;
	return MHD_queue_response(c, MHD_HTTP_OK, r);
}

/* Connections, for the deadline of a whole request and the eviction of the
 * oldest unfinished one when all slots are taken (a slow client trickling
 * a byte every few seconds beats the inactivity timeout alone). */
static void conn_cut(struct conn *k)
{
	if (!k->cut)
		shutdown(k->fd, SHUT_RDWR); /* MHD sees the end and closes it */
	k->cut = 1;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct exporter *e = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *k = *socket_context, *old, *oldest = NULL;
	uint64_t now = pc_now_ns();

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!k)
			return;
		k->prev->next = k->next;
		k->next->prev = k->prev;
		e->nconns--;
		free(k);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	k = calloc(1, sizeof(*k));
	if (!k || !ci) {
		free(k);
		return;
	}
	k->fd = ci->connect_fd;
	k->since_ns = now;
	k->prev = e->conns.prev;
	k->next = &e->conns;
	e->conns.prev->next = k;
	e->conns.prev = k;
	e->nconns++;
	*socket_context = k;
	if (e->nconns <= MAX_CONNECTIONS)
		return;
	for (old = e->conns.next; old != &e->conns; old = old->next)
		if (!old->cut && old != k && (!oldest || old->since_ns < oldest->since_ns))
			oldest = old;
	if (oldest)
		conn_cut(oldest);
}

/* A request answered: the connection's clock starts again for the next. */
static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	(void)cls;
	(void)req_cls;
	(void)toe;
	if (k)
		k->since_ns = pc_now_ns();
}

static void enforce_deadlines(struct exporter *e)
{
	uint64_t now = pc_now_ns();
	struct conn *k;

	for (k = e->conns.next; k != &e->conns; k = k->next)
		if (now - k->since_ns > REQUEST_DEADLINE_NS)
			conn_cut(k);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static int started;
	struct exporter *e = cls;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD\n");
	if (!*req_cls) { /* headers are in; a body, if any, comes next */
		*req_cls = &started;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a GET with a body: ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/metrics"))
		return metrics(e, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)index_html,
			     sizeof(index_html) - 1, MHD_RESPMEM_PERSISTENT);
	return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

/* ADDR:PORT, [ADDR6]:PORT or :PORT (all IPv4 addresses). Port 0: any. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, char *err,
			size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon;
	unsigned long p;
	size_t hl;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			goto bad;
		hl = close - s - 1;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		port = close + 2;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		*sl = sizeof(*in6);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		if (memchr(s, ':', colon - s)) {
			snprintf(err, errlen, "invalid --listen '%s': write IPv6 addresses in brackets, as [::1]:9888", s);
			return -EINVAL;
		}
		hl = colon - s;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
		host[hl] = 0;
		port = colon + 1;
		if (!hl)
			in4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto bad;
		in4->sin_family = AF_INET;
		*sl = sizeof(*in4);
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p > 65535 || *port == '-' || *port == '+')
		goto bad;
	if (ss->ss_family == AF_INET6)
		in6->sin6_port = htons(p);
	else
		in4->sin_port = htons(p);
	return 0;
bad:
	snprintf(err, errlen,
		 "invalid --listen '%s': want IPV4:PORT, [IPV6]:PORT or :PORT with a numeric address "
		 "and a port from 0 to 65535",
		 s);
	return -EINVAL;
}

static int open_listener(const char *spec, char *where, size_t wlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss, got;
	socklen_t sl, gl = sizeof(got);
	char a[INET6_ADDRSTRLEN];
	int fd, one = 1, ret;

	ret = parse_listen(spec, &ss, &sl, err, errlen);
	if (ret)
		return ret;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a socket for %s: %s", spec, strerror(errno));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&got, &gl)) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s%s", spec, strerror(errno),
			 errno == EADDRINUSE ? " (another exporter? choose one with --listen)" :
			 errno == EADDRNOTAVAIL ? " (no local interface has this address)" : "");
		close(fd);
		return ret;
	}
	if (got.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&got)->sin6_addr, a, sizeof(a));
		snprintf(where, wlen, "[%s]:%u", a, ntohs(((struct sockaddr_in6 *)&got)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&got)->sin_addr, a, sizeof(a));
		snprintf(where, wlen, "%s:%u", a, ntohs(((struct sockaddr_in *)&got)->sin_port));
	}
	return fd;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int run_loop(struct exporter *e, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(e->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event got[8];
	int ep, mfd, cfd = pc_capture_fd(e->c.cap), ret = 0, n, i;

	if (!di) {
		snprintf(err, errlen, "libmicrohttpd has no epoll fd");
		return -ENOTSUP;
	}
	mfd = di->epoll_fd;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || add_fd(ep, mfd) || add_fd(ep, e->c.ses.sigfd) || add_fd(ep, cfd)) {
		ret = -errno;
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		if (ep >= 0)
			close(ep);
		return ret;
	}
	while (!e->done) {
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int timeout = 1000;

		if (MHD_get_timeout(e->mhd, &mhd_ms) == MHD_YES && mhd_ms < (unsigned)timeout)
			timeout = (int)mhd_ms;
		n = epoll_wait(ep, got, 8, timeout);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			int sig;

			if (got[i].data.fd != e->c.ses.sigfd)
				continue;
			sig = pc_session_signals(&e->c.ses);
			if (sig & (PC_SESSION_STOP | PC_SESSION_CHILD_EXIT))
				e->done = 1;
		}
		if (pc_capture_consume(e->c.cap) < 0) {
			ret = -EIO;
			snprintf(err, errlen, "cannot read the ring buffer");
			break;
		}
		MHD_run(e->mhd); /* accepts, reads, answers, times out */
		enforce_deadlines(e);
		if (!e->c.last_update_ns || pc_now_ns() - e->c.last_update_ns >= REFRESH_NS)
			e->update_err = refresh(e);
		if (e->update_err) {
			ret = e->update_err;
			snprintf(err, errlen, "cannot read the kernel's counters: %s", strerror(-ret));
			break;
		}
	}
	close(ep);
	return ret;
}

int pc_exporter_main(struct pc_options *opt)
{
	struct exporter *e;
	const char *spec = opt->listen ? opt->listen : DEFAULT_LISTEN;
	char err[1024], where[INET6_ADDRSTRLEN + 16];
	int ret = 1, v6;

	if (opt->nifaces) {
		fprintf(stderr, "pidcap: the exporter counts every interface: -i is not supported here\n");
		return 2;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		fprintf(stderr, "pidcap: out of memory\n");
		return 1;
	}
	e->opt = opt;
	e->listen_fd = -1;
	e->conns.prev = e->conns.next = &e->conns;
	pc_counting_init(&e->c);
	signal(SIGPIPE, SIG_IGN);
	/* the address first: a taken port is the likeliest error */
	e->listen_fd = open_listener(spec, where, sizeof(where), err, sizeof(err));
	if (e->listen_fd < 0) {
		ret = e->listen_fd == -EINVAL ? 2 : 1;
		fprintf(stderr, "pidcap: %s\n", err);
		goto out;
	}
	v6 = spec[0] == '[';
	if (pc_prom_new(&e->prom,
			opt->by_container ? PC_PROM_BY_CONTAINER :
			opt->by_exe	  ? PC_PROM_BY_EXE :
					    PC_PROM_BY_PID,
			opt->grace_secs * 1000000000ULL, MAX_SERIES)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (pc_counting_open(&e->c, opt, KEEP_INTERVALS, err, sizeof(err)))
		goto fail;
	e->mhd = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0) |
				  (opt->verbose ? MHD_USE_ERROR_LOG : 0),
				  0, NULL, NULL, handle, e,
				  MHD_OPTION_LISTEN_SOCKET, e->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HARD_CONNECTIONS,
				  MHD_OPTION_NOTIFY_CONNECTION, notify_conn, e,
				  MHD_OPTION_NOTIFY_COMPLETED, request_done, e,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)PER_IP_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				  MHD_OPTION_END);
	if (!e->mhd) {
		snprintf(err, sizeof(err), "cannot start the HTTP server on %s", where);
		goto fail;
	}
	e->listen_fd = -1; /* MHD closes it */
	fprintf(stderr, "pidcap: exporter listening on http://%s/metrics%s (%s%s)\n", where,
		e->c.filter_where, pc_capture_method(e->c.cap),
		opt->by_container ? ", series per container" :
		opt->by_exe	  ? ", series per executable" : "");
	if (pc_session_drop_privileges(&e->c.ses, err, sizeof(err)))
		goto fail;
	if (pc_session_go(&e->c.ses, opt, err, sizeof(err)))
		goto fail;
	if (run_loop(e, err, sizeof(err)))
		goto fail;
	ret = pc_counting_exit_code(&e->c, opt);
	goto out;
fail:
	fprintf(stderr, "pidcap: %s\n", err);
	ret = 1;
out:
	if (e->mhd)
		MHD_stop_daemon(e->mhd);
	if (e->body)
		MHD_destroy_response(e->body);
	if (e->listen_fd >= 0)
		close(e->listen_fd);
	pc_counting_close(&e->c);
	pc_prom_free(e->prom);
	free(e);
	return ret;
}
