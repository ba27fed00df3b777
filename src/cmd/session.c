/* Set-up shared by the capture, pidcap top and the exporter: process
 * filters into capture settings, the -- CMD child held on a pipe until the
 * kernel side is attached, signals through a signalfd, and process events
 * into the process cache. Not for packets, counting or output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmd/session.h"
#include "lib/clock.h"

uint64_t pc_now_ns(void)
{
	return pc_clock_ns(CLOCK_MONOTONIC);
}

void pc_session_init(struct pc_session *s)
{
	memset(s, 0, sizeof(*s));
	s->sigfd = -1;
	s->child = -1;
	s->go_fd = -1;
}

/* The capture's one-line notices (the fallback's reason) go to stderr. */
static void notice_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "pidcap: %s\n", line);
}

static int check_pids(const struct pc_options *opt, char *err, size_t errlen)
{
	char path[64];
	size_t i;

	for (i = 0; i < opt->npids; i++) {
		snprintf(path, sizeof(path), "/proc/%u", opt->pids[i]);
		if (access(path, F_OK)) {
			snprintf(err, errlen, "no process with pid %u (--pid)", opt->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

/* pc_capture_opts.cgroup_match */
static int cgroup_wanted(void *ctx, uint64_t id)
{
	return pc_session_cgroup_wanted(ctx, id);
}

int pc_session_cgroup_wanted(const struct pc_session *s, uint64_t id)
{
	const struct pc_container *c;
	const char *path = pc_cgroup_path(s->procs, id);

	if (!path)
		return -1;
	if (s->cgroup_top)
		return pc_cgroup_under(path, s->cgroup_top);
	c = pc_container_of(s->procs, id);
	return c ? pc_container_wanted(c, s->want_container, s->want_pod) : 0;
}

static int setup_cgroup_filter(struct pc_session *s, const struct pc_options *opt,
			       struct pc_procs *procs, char *err, size_t errlen)
{
	const char *path;
	uint64_t id;

	if (pc_cgroup_id(procs, opt->cgroup, &id) || !(path = pc_cgroup_path(procs, id))) {
		snprintf(err, errlen,
			 "no cgroup v2 '%s' (--cgroup wants a path below the cgroup2 mount)",
			 opt->cgroup);
		return -ENOENT;
	}
	s->cgroup_top = strdup(path);
	return s->cgroup_top ? 0 : -ENOMEM;
}

/* --container and --pod: an id prefix must not name several running
 * containers; one that does not run yet is caught when it starts. */
static int setup_container_filter(struct pc_session *s, const struct pc_options *opt,
				  struct pc_procs *procs, char *err, size_t errlen)
{
	const char *want = opt->pod ? opt->pod : opt->container;
	const char *what = opt->pod ? "pod" : "container";
	uint64_t id;
	int ret = pc_container_cgroup_id(procs, want, !!opt->pod, &id);

	if (ret == -EEXIST) {
		snprintf(err, errlen, "'%s' starts the ids of several containers (--container): "
				      "give more of the id, or the name", want);
		return ret;
	}
	if (ret)
		fprintf(stderr, "pidcap: no %s '%s' runs now: its packets are captured once it "
				"starts\n", what, want);
	s->want_container = want;
	s->want_pod = !!opt->pod;
	return 0;
}

/* Forks the command, held on a pipe until pc_session_go. The child gets
 * the signal mask pidcap had before blocking its signals. */
static int start_command(struct pc_session *s, const struct pc_options *opt, char *err,
			 size_t errlen)
{
	int p[2], ret;
	char c;

	if (pipe2(p, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return ret;
	}
	s->child = fork();
	if (s->child < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot fork for '%s': %s", opt->cmd[0], strerror(errno));
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (s->child == 0) {
		close(p[1]);
		setpgid(0, 0); /* a group of its own: SIGKILL reaches its children */
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		if (pc_privs_become(&s->cmd_cred)) {
			fprintf(stderr, "pidcap: cannot run '%s' as uid %u: %s\n", opt->cmd[0],
				(unsigned)s->cmd_cred.uid, strerror(errno));
			_exit(127);
		}
		execvp(opt->cmd[0], opt->cmd);
		fprintf(stderr, "pidcap: cannot run '%s': %s\n", opt->cmd[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	setpgid(s->child, s->child); /* either side may run first */
	/* in the foreground of a terminal, the terminal goes with it (a shell
	 * as CMD reads it; ^C reaches it), except to top's own screen */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp() &&
	    (opt->mode != PC_MODE_TOP || opt->batch) && !tcsetpgrp(STDIN_FILENO, s->child))
		s->gave_tty = 1;
	s->go_fd = p[1];
	s->child_pid = s->child;
	return 0;
}

int pc_session_setup(struct pc_session *s, const struct pc_options *opt,
		     struct pc_procs *procs, struct pc_capture_opts *co, char *err,
		     size_t errlen)
{
	sigset_t mask;
	int ret;

	ret = check_pids(opt, err, errlen);
	if (ret)
		return ret;
	if (opt->run_as) { /* an unknown user is an error before anything loads */
		ret = pc_privs_lookup(opt->run_as, &s->run_cred, err, errlen);
		if (ret)
			return ret;
	}
	s->procs = procs;
	ret = 0;
	if (opt->cgroup)
		ret = setup_cgroup_filter(s, opt, procs, err, errlen);
	else if (opt->container || opt->pod)
		ret = setup_container_filter(s, opt, procs, err, errlen);
	if (ret)
		return ret;
	if (opt->cgroup || opt->container || opt->pod) {
		co->cgroup_match = cgroup_wanted;
		co->cgroup_match_ctx = s;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &s->oldmask);
	/* not in the signalfd: taking the terminal back from the background */
	sigaddset(&mask, SIGTTOU);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return ret;
	}
	co->pids = opt->pids;
	co->npids = opt->npids;
	co->filter_pids = opt->npids > 0;
	co->follow_children = 0;
	co->comm = opt->comm;
	co->uid_set = opt->uid_set;
	co->uid = opt->uid;
	co->backend = opt->backend;
	co->filter = opt->filter;
	co->ifaces = opt->ifaces;
	co->nifaces = opt->nifaces;
	co->notice = notice_stderr;
	if (opt->cmd) {
		ret = pc_privs_command(opt->run_as, &s->cmd_cred, err, errlen);
		if (ret)
			return ret;
		ret = start_command(s, opt, err, errlen);
		if (ret)
			return ret;
		co->pids = &s->child_pid;
		co->npids = 1;
		co->filter_pids = 1;
		co->follow_children = 1;
	}
	return 0;
}

int pc_session_drop_privileges(struct pc_session *s, char *err, size_t errlen)
{
	return pc_privs_drop(&s->run_cred, err, errlen);
}

int pc_session_go(struct pc_session *s, const struct pc_options *opt, char *err,
		  size_t errlen)
{
	if (s->go_fd < 0)
		return 0;
	if (write(s->go_fd, "g", 1) != 1) {
		snprintf(err, errlen, "cannot start '%s'", opt->cmd ? opt->cmd[0] : "command");
		return -EIO;
	}
	close(s->go_fd);
	s->go_fd = -1;
	return 0;
}

int pc_session_signals(struct pc_session *s)
{
	struct signalfd_siginfo si;
	int ret = 0;

	if (s->sigfd < 0)
		return 0;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			ret |= PC_SESSION_STOP;
			if (s->child > 0)
				kill(s->child, si.ssi_signo);
			if (!s->stop_ns)
				s->stop_ns = pc_now_ns();
			continue;
		}
		if (s->child > 0 && waitpid(s->child, &s->child_status, WNOHANG) == s->child) {
			s->child = -1;
			s->child_reaped = 1;
			ret |= PC_SESSION_CHILD_EXIT;
		}
	}
	return ret;
}

int pc_session_exit_code(const struct pc_session *s)
{
	if (!s->child_reaped)
		return -1;
	if (WIFEXITED(s->child_status))
		return WEXITSTATUS(s->child_status);
	if (WIFSIGNALED(s->child_status))
		return 128 + WTERMSIG(s->child_status);
	return -1;
}

/* Waits for the command while reading signals; its group gets SIGKILL
 * PC_SESSION_GRACE_NS after the first stop signal. */
static void wait_child(struct pc_session *s)
{
	struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };
	int killed = 0;

	while (s->child > 0) {
		pid_t got = waitpid(s->child, &s->child_status, WNOHANG);

		if (got == s->child || (got < 0 && errno == ECHILD)) {
			s->child_reaped = got == s->child;
			s->child = -1;
			break;
		}
		if (s->stop_ns && !killed && pc_now_ns() - s->stop_ns >= PC_SESSION_GRACE_NS) {
			kill(-s->child, SIGKILL);
			kill(s->child, SIGKILL); /* in case it left its group */
			killed = 1;
		}
		if (s->sigfd < 0 || killed) {
			if (waitpid(s->child, &s->child_status, 0) == s->child)
				s->child_reaped = 1;
			s->child = -1;
			break;
		}
		if (poll(&pfd, 1, 50) > 0)
			pc_session_signals(s);
	}
}

void pc_session_close(struct pc_session *s)
{
	if (s->go_fd >= 0)
		close(s->go_fd);
	s->go_fd = -1;
	wait_child(s);
	if (s->gave_tty) {
		tcsetpgrp(STDIN_FILENO, getpgrp());
		s->gave_tty = 0;
	}
	if (s->sigfd >= 0)
		close(s->sigfd);
	s->sigfd = -1;
	free(s->cgroup_top);
	s->cgroup_top = NULL;
}

uint32_t pc_session_proc_event(struct pc_procs *procs, const void *rec, size_t size)
{
	const struct pc_exec *ex = rec;
	const struct pc_task_event *te = rec;

	if (size < 1)
		return 0;
	switch (*(const uint8_t *)rec) {
	case PC_REC_EXEC:
		if (size >= sizeof(*ex))
			pc_procs_exec(procs, ex->pid, ex->ppid, ex->uid, ex->comm, ex->filename,
				      ex->args,
				      ex->args_len < sizeof(ex->args) ? ex->args_len : sizeof(ex->args),
				      ex->cgroup_id);
		break;
	case PC_REC_FORK:
		if (size >= sizeof(*te))
			pc_procs_fork(procs, te->pid, te->ppid, te->comm);
		break;
	case PC_REC_EXIT:
		if (size >= sizeof(*te)) {
			pc_procs_exit(procs, te->pid, te->ts_ns);
			return te->pid;
		}
		break;
	}
	return 0;
}
