/* pidcap's live capture: every packet with the process that sent or
 * received it. Wires options -> capture -> filters -> hold queue -> printer
 * or -w, in one epoll loop. Not for formatting, kernel work or dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "pcapfile/capout.h"
#include "capture/capture.h"
#include "capture/holdq.h"
#include "cmd/live.h"
#include "cmd/options.h"
#include "packet/pktfilter.h"
#include "cmd/print.h"
#include "proc/procinfo.h"
#include "cmd/session.h"

#define PRINT_SNAPLEN 256           /* enough for every header we decode */
#define HOLD_NS (300ULL * 1000000)  /* wait for a claim at most this long */
#define POLL_MS 50       /* while records come: the longest one waits for output */
#define IDLE_POLL_MS 250 /* after a quiet second (20 empty polls): fewer wake-ups */
#define QUIET_POLLS 20

struct app {
	struct pc_options opt;
	struct pc_capture *cap;
	struct pc_procs *procs;
	struct pc_pktfilter *filter;
	struct pc_holdq *holdq;
	struct pc_wallclock wall;   /* monotonic -> wall clock, following steps */
	struct pc_printer printer;
	struct pc_capout *capout;   /* -w */
	char write_err[512];        /* first failure of -w; ends the capture */
	uint64_t printed, no_owner;
	int done;
	struct pc_session ses;      /* process filters, -- CMD, signals */
	uint64_t rec_now;           /* the clock for records, read every REC_NOW_EVERY */
	unsigned int rec_now_age;
};

/* Records come in batches of thousands: reading the clock for every one was
 * a seventh of -w's CPU. Every REC_NOW_EVERY records it is read again, so
 * it is never behind by more than the time those take (microseconds). */
#define REC_NOW_EVERY 64

static uint64_t rec_now(struct app *app)
{
	if (!app->rec_now_age--) {
		app->rec_now = pc_now_ns();
		app->rec_now_age = REC_NOW_EVERY - 1;
	}
	return app->rec_now;
}

static int iface_wanted(const struct app *app, const char *ifname)
{
	size_t i;

	if (!app->opt.nifaces)
		return 1;
	for (i = 0; i < app->opt.nifaces; i++)
		if (!strcmp(app->opt.ifaces[i], "any") ||
		    !strncmp(app->opt.ifaces[i], ifname, PC_IFNAME_LEN))
			return 1;
	return 0;
}

static void emit_packet(void *ctx, const struct pc_packet *rec, size_t size)
{
	struct app *app = ctx;
	/* the process cache's clock: only printing and comments ask it */
	uint64_t now = !app->capout || app->opt.print || !app->opt.no_comments ? rec_now(app) : 0;

	(void)size;
	if (app->done)
		return;
	if (!app->capout || app->opt.print)
		pc_print_packet(&app->printer, rec, now);
	if (app->capout) {
		int r = pc_capout_packet(app->capout, rec, app->procs, now,
					 rec->ts_ns + app->printer.mono_to_real_ns, app->write_err,
					 sizeof(app->write_err));

		if (!r && app->opt.flush_write) /* -U */
			r = pc_capout_flush(app->capout, app->write_err, sizeof(app->write_err));
		if (r) { /* 1: -G -W wrote its files; < 0: write_err says why */
			app->done = 1;
			return;
		}
	}
	app->printed++;
	if (!(rec->flags & PC_PKT_OWNER))
		app->no_owner++;
	if (app->opt.count && app->printed >= (uint64_t)app->opt.count)
		app->done = 1;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct app *app = ctx;
	const struct pc_packet *pkt = data;
	const struct pc_claim *claim = data;

	switch (*(const uint8_t *)data) {
	case PC_REC_PACKET:
		if (size < sizeof(*pkt) || pkt->caplen > size - sizeof(*pkt))
			return 0;
		if (!iface_wanted(app, pkt->ifname) ||
		    !pc_pktfilter_match(app->filter, pkt->data, pkt->caplen, pkt->len))
			return 0;
		if (pc_holdq_packet(app->holdq, pkt, sizeof(*pkt) + pkt->caplen, rec_now(app)))
			return -ENOMEM;
		break;
	case PC_REC_CLAIM:
		if (size >= sizeof(*claim))
			pc_holdq_claim(app->holdq, claim, rec_now(app));
		break;
	default: /* exec, fork, exit */
		pc_session_proc_event(app->procs, data, size);
		break;
	}
	return app->done ? 1 : 0;
}

int pc_live_list_interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	if (!ifs) {
		fprintf(stderr, "pidcap: cannot list interfaces: %s\n", strerror(errno));
		return 1;
	}
	for (i = ifs; i->if_index; i++)
		printf("%u.%s\n", i->if_index, i->if_name);
	printf("%u.any (all interfaces, all network namespaces)\n", (unsigned int)(i - ifs + 1));
	if_freenameindex(ifs);
	return 0;
}

/* Checks what the kernel will not: interfaces that exist (pids: session.c). */
static int validate(struct app *app, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < app->opt.nifaces; i++) {
		const char *name = app->opt.ifaces[i];

		if (strcmp(name, "any") && !if_nametoindex(name)) {
			snprintf(err, errlen,
				 "unknown interface '%s' (pidcap -D lists the interfaces)", name);
			return -ENODEV;
		}
	}
	return 0;
}

static void print_summary(struct app *app)
{
	uint64_t c[PC_CNT_MAX] = { 0 };

	if (app->cap)
		pc_capture_counters(app->cap, c);
	fprintf(stderr,
		"%llu packets captured\n%llu packets dropped by kernel\n"
		"%llu packets without owning process\n",
		(unsigned long long)app->printed, (unsigned long long)c[PC_CNT_DROPPED],
		(unsigned long long)app->no_owner);
	if (c[PC_CNT_EVENT_DROPPED])
		fprintf(stderr, "%llu process events dropped by kernel\n",
			(unsigned long long)c[PC_CNT_EVENT_DROPPED]);
	if (app->holdq && pc_holdq_early(app->holdq))
		fprintf(stderr,
			"%llu packets of just-accepted connections shown before their process "
			"was known (--hold-buffer full)\n",
			(unsigned long long)pc_holdq_early(app->holdq));
}

static int run_loop(struct app *app, int sigfd)
{
	struct epoll_event ev = { .events = EPOLLIN }, got[4];
	int ep, n, i, err = 0;
	uint64_t last_expire = pc_now_ns(), child_exit_ns = 0;
	int quiet = 0, got_records; /* polls in a row that found no record */

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	ev.data.fd = sigfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev);
	ev.data.fd = pc_capture_fd(app->cap);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	while (!app->done) {
		n = epoll_wait(ep, got, 4,
			       quiet >= QUIET_POLLS && !pc_holdq_len(app->holdq) ? IDLE_POLL_MS :
										 POLL_MS);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			int sig;

			if (got[i].data.fd != sigfd)
				continue;
			sig = pc_session_signals(&app->ses);
			if (sig & PC_SESSION_CHILD_EXIT)
				child_exit_ns = pc_now_ns();
			if (sig & PC_SESSION_STOP)
				app->done = 1;
		}
		/* Always drain: the kernel batches wake-ups. */
		app->rec_now_age = 0; /* a fresh clock for each batch */
		got_records = pc_capture_consume(app->cap);
		if (got_records < 0) {
			err = -EIO;
			break;
		}
		quiet = got_records ? 0 : quiet + 1;
		/* wall-clock steps show in timestamps within a second */
		app->printer.mono_to_real_ns = pc_wallclock_offset(&app->wall, pc_now_ns());
		pc_holdq_flush(app->holdq, pc_now_ns(), 0);
		fflush(app->printer.out);
		if (app->capout && pc_capout_flush(app->capout, app->write_err, sizeof(app->write_err)))
			break;
		if (pc_now_ns() - last_expire > 1000000000ULL) {
			last_expire = pc_now_ns();
			pc_procs_expire(app->procs, last_expire, 60ULL * 1000000000);
		}
		/* after CMD exits, give its last packets a moment to arrive */
		if (child_exit_ns && pc_now_ns() - child_exit_ns > 200000000ULL)
			break;
	}
	if (!app->done)
		pc_capture_consume(app->cap);
	pc_holdq_flush(app->holdq, pc_now_ns(), 1);
	fflush(app->printer.out);
	close(ep);
	return err;
}

int pc_live_main(const struct pc_options *opt)
{
	struct pc_capture_opts co = { 0 };
	struct app app = { 0 };
	const char *where = "";
	char err[1024];
	int ret = 1;

	pc_session_init(&app.ses);
	app.opt = *opt; /* a copy of the caller's: its strings stay the caller's */
	if (validate(&app, err, sizeof(err)))
		goto fail;
	if (app.opt.filter &&
	    pc_pktfilter_new(&app.filter, app.opt.filter, app.opt.snaplen, err, sizeof(err)))
		goto fail;
	if (pc_procs_new(&app.procs, "/proc", NULL)) {
		snprintf(err, sizeof(err), "cannot create the process cache");
		goto fail;
	}
	pc_procs_scan(app.procs, pc_now_ns());

	/* printing needs only headers; files and the dumps of -x -X -A get
	 * whole packets (-s 262144) */
	co.snaplen = app.opt.snaplen_set || app.opt.write_file || app.opt.hex ||
				     app.opt.hexascii || app.opt.ascii ?
			     app.opt.snaplen :
			     PRINT_SNAPLEN;
	if (co.snaplen > 65536)
		co.snaplen = 65536;
	co.want_in = app.opt.want_in;
	co.want_out = app.opt.want_out;
	co.verbose = app.opt.verbose;
	/* -B: the ring buffer takes a power of two (of pages) */
	for (co.ring_bytes = app.opt.buffer_bytes ? 65536 : 0; co.ring_bytes &&
	     co.ring_bytes < app.opt.buffer_bytes; co.ring_bytes <<= 1)
		;
	if (pc_session_setup(&app.ses, &app.opt, app.procs, &co, err, sizeof(err)))
		goto fail;
	app.printer.out = stdout;
	/* -l, and a pipe: each line as it is printed (tcpdump -l) */
	if (app.opt.linebuf || !isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	app.printer.json = app.opt.json;
	app.printer.verbose = app.opt.verbose;
	app.printer.quiet = app.opt.quiet;
	app.printer.link = app.opt.link;
	app.printer.tstamp = app.opt.tstamp;
	app.printer.nano = app.opt.nano;
	app.printer.hex = app.opt.hex;
	app.printer.hexascii = app.opt.hexascii;
	app.printer.ascii = app.opt.ascii;
	app.printer.number = app.opt.number;
	app.printer.procs = app.procs;
	app.printer.mono_to_real_ns = pc_wallclock_offset(&app.wall, pc_now_ns());
	if (pc_holdq_new(&app.holdq, HOLD_NS, app.opt.hold_bytes, emit_packet, &app)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (pc_capture_open(&app.cap, &co, on_record, &app, err, sizeof(err)))
		goto fail;
	if (pc_capture_filter_where(app.cap, &where)) { /* no second pass needed */
		pc_pktfilter_free(app.filter);
		app.filter = NULL;
	}
	/* -Z: the capture is set up; the files are the user's */
	if (pc_session_drop_privileges(&app.ses, err, sizeof(err)))
		goto fail;
	if (app.opt.write_file) {
		struct pc_capout_opts wo = {
			.path = app.opt.write_file, .rotate_bytes = app.opt.rotate_bytes,
			.ring_files = app.opt.ring_files, .rotate_secs = app.opt.rotate_secs,
			.snaplen = co.snaplen, .userappl = "pidcap " PIDCAP_VERSION,
			.no_comments = app.opt.no_comments,
		};

		if (pc_capout_open(&app.capout, &wo, pc_now_ns() + app.printer.mono_to_real_ns, err,
				   sizeof(err)))
			goto fail;
	}
	fprintf(stderr, "pidcap: listening on %s%s%s, snapshot length %u bytes (%s)\n",
		app.opt.nifaces ? "selected interfaces" : "all interfaces",
		app.opt.filter ? ", " : "", app.opt.filter ? where : "", co.snaplen,
		pc_capture_method(app.cap));
	if (pc_session_go(&app.ses, &app.opt, err, sizeof(err)))
		goto fail;
	if (run_loop(&app, app.ses.sigfd)) {
		snprintf(err, sizeof(err), "capture failed: %s", strerror(errno));
		print_summary(&app);
		goto fail;
	}
	print_summary(&app);
	if (pc_capout_close(app.capout, app.write_err, sizeof(app.write_err)) || app.write_err[0]) {
		app.capout = NULL;
		snprintf(err, sizeof(err), "%s", app.write_err);
		goto fail;
	}
	app.capout = NULL;
	ret = 0;
	if (app.opt.cmd && app.ses.child_reaped && WIFEXITED(app.ses.child_status))
		ret = WEXITSTATUS(app.ses.child_status);
	goto out;
fail:
	fprintf(stderr, "pidcap: %s\n", err);
	ret = 1;
out:
	pc_capture_close(app.cap); /* detached before waiting for CMD */
	pc_session_close(&app.ses); /* a held CMD sees EOF and exits 127 */
	pc_holdq_free(app.holdq);
	pc_capout_close(app.capout, NULL, 0);
	pc_pktfilter_free(app.filter);
	pc_procs_free(app.procs);
	return ret;
}
