/* pidcap top: opens the capture in counting mode (traffic summed in the
 * kernel per process and connection) and runs one epoll loop over the ring
 * buffer (process events), signals, a refresh timer and, for the curses
 * view, the keyboard. Not for drawing (topview.c) or formatting (topfmt.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "cmd/counting.h"
#include "lib/clock.h"
#include "cmd/top.h"
#include "cmd/topfmt.h"
#include "cmd/topview.h"

#define IDLE_NS (30ULL * 1000000000)      /* kernel entries idle this long are deleted */
#define PROC_KEEP_NS (120ULL * 1000000000) /* exited processes kept by the cache */

struct top {
	struct pc_options *opt;
	struct pc_counting c;       /* session, process cache, capture, flow table */
	struct pc_topview *view;    /* NULL with --batch */
	long snapshots;
	int done;
	int cmd_exited;
};

/* One refresh: process events, counters, then the process cache's expiry. */
static int update(struct top *t)
{
	uint64_t now = pc_now_ns();
	int err;

	err = pc_counting_update(&t->c, now, IDLE_NS);
	if (err)
		return err;
	pc_counting_expire(&t->c, now, PROC_KEEP_NS);
	return 0;
}

static void show(struct top *t)
{
	struct pc_topview_data d = { 0 };
	struct pc_snapshot s = { 0 };
	struct pc_traffic totals;
	const struct pc_proc_row *rows;
	size_t n = pc_flowtab_rows(t->c.ft, &rows);
	uint64_t cnt[PC_CNT_MAX] = { 0 };
	struct pc_limits lim;

	pc_flowtab_totals(t->c.ft, &totals);
	pc_capture_counters(t->c.cap, cnt);
	pc_limits_get(&lim, t->c.ft, cnt);
	if (t->view) {
		d.rows = rows;
		d.nrows = n;
		d.totals = totals;
		d.procs = t->c.procs;
		d.now_ns = t->c.last_update_ns;
		d.interval = t->c.interval;
		d.limits = lim;
		if (t->cmd_exited)
			snprintf(d.status, sizeof(d.status), "%s exited (%d)", t->opt->cmd[0],
				 pc_session_exit_code(&t->c.ses));
		pc_topview_draw(t->view, &d);
		return;
	}
	s.ts = pc_wall_s();
	s.interval = t->c.interval;
	s.totals = &totals;
	s.rows = rows;
	s.nrows = n;
	s.procs = t->c.procs;
	s.now_ns = t->c.last_update_ns;
	s.limits = &lim;
	s.by_container = t->opt->by_container;
	if (t->opt->json)
		pc_snapshot_json(stdout, &s);
	else
		pc_snapshot_text(stdout, &s);
	fflush(stdout);
}

/* The refresh timer fired (or the end came in batch mode). */
static int tick(struct top *t)
{
	int err;

	if (t->view && pc_topview_paused(t->view))
		return pc_capture_consume(t->c.cap) < 0 ? -EIO : 0;
	err = update(t);
	if (err)
		return err;
	show(t);
	t->snapshots++;
	if (t->opt->iterations && t->snapshots >= t->opt->iterations)
		t->done = 1;
	return 0;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int run_loop(struct top *t, char *err, size_t errlen)
{
	struct itimerspec its = { 0 };
	struct epoll_event got[8];
	int ep = -1, tfd = -1, cfd = pc_capture_fd(t->c.cap), ret = 0, n, i;
	uint64_t ns = (uint64_t)(t->opt->delay * 1e9), exp;

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	its.it_value.tv_sec = its.it_interval.tv_sec = ns / 1000000000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = ns % 1000000000;
	if (timerfd_settime(tfd, 0, &its, NULL) || add_fd(ep, tfd) || add_fd(ep, t->c.ses.sigfd) ||
	    add_fd(ep, cfd) || (t->view && add_fd(ep, STDIN_FILENO))) {
		ret = -errno;
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	while (!t->done) {
		n = epoll_wait(ep, got, 8, -1);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n && !t->done; i++) {
			int fd = got[i].data.fd;

			if (fd == t->c.ses.sigfd) {
				int sig = pc_session_signals(&t->c.ses);

				if (sig & PC_SESSION_STOP) {
					t->done = 1;
					ret = t->view ? 0 : update(t);
					if (!t->view && !ret) /* a last snapshot for the record */
						show(t);
				}
				if ((sig & PC_SESSION_CHILD_EXIT) && !t->cmd_exited) {
					t->cmd_exited = 1;
					/* in batch mode the end of CMD ends pidcap */
					if (!t->view && !t->done) {
						ret = update(t);
						if (!ret)
							show(t);
						t->done = 1;
					}
				}
			} else if (fd == tfd) {
				if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
					continue;
				ret = tick(t);
			} else if (fd == cfd) {
				if (pc_capture_consume(t->c.cap) < 0)
					ret = -EIO;
			}
			if (ret) {
				snprintf(err, errlen, "cannot read the kernel's counters: %s",
					 strerror(-ret));
				t->done = 1;
			}
		}
		/* keys and KEY_RESIZE: after stdin events and after EINTR (SIGWINCH) */
		if (t->view && !t->done && pc_topview_input(t->view) == PC_VIEW_QUIT)
			t->done = 1;
	}
out:
	if (tfd >= 0)
		close(tfd);
	if (ep >= 0)
		close(ep);
	return ret;
}

int pc_top_main(struct pc_options *opt)
{
	struct top t = { .opt = opt };
	unsigned int keep;
	char err[1024];
	int ret = 1;

	pc_counting_init(&t.c);
	if (opt->nifaces) {
		fprintf(stderr, "pidcap: top counts every interface: -i is not supported here\n");
		return 2;
	}
	if (opt->json)
		opt->batch = 1;
	if (!opt->batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "pidcap: top needs a terminal; use --batch for text or --json\n");
		return 2;
	}
	keep = (unsigned int)(5.0 / opt->delay);
	keep = keep < 3 ? 3 : keep > 50 ? 50 : keep;
	if (pc_counting_open(&t.c, opt, keep, err, sizeof(err)))
		goto fail;
	if (update(&t)) { /* the baseline of the first rates */
		snprintf(err, sizeof(err), "cannot read the kernel's counters");
		goto fail;
	}
	if (opt->batch)
		fprintf(stderr, "pidcap: listening on all interfaces%s, counting per process every "
			"%g s (%s)\n", t.c.filter_where, opt->delay, pc_capture_method(t.c.cap));
	else if (pc_topview_open(&t.view, opt->delay, opt->by_container)) {
		snprintf(err, sizeof(err), "cannot start the curses view (TERM=%s)",
			 getenv("TERM") ? getenv("TERM") : "unset");
		goto fail;
	}
	if (pc_session_drop_privileges(&t.c.ses, err, sizeof(err)))
		goto fail;
	if (pc_session_go(&t.c.ses, opt, err, sizeof(err)))
		goto fail;
	if (t.view) /* batch: nothing until the first interval */
		show(&t);
	if (run_loop(&t, err, sizeof(err)))
		goto fail;
	ret = pc_counting_exit_code(&t.c, opt);
	goto out;
fail:
	pc_topview_close(t.view);
	t.view = NULL;
	fprintf(stderr, "pidcap: %s\n", err);
	ret = 1;
out:
	pc_topview_close(t.view);
	pc_counting_close(&t.c);
	return ret;
}
