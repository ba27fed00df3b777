/* What the capture, pidcap top and the exporter share around the kernel
 * side: the process filters (--pid, --comm, --uid, --cgroup, -- CMD) turned
 * into capture settings, the command forked and released, signals read
 * through a signalfd, process events fed to the process cache.
 * Not for packets, counting or output. */
#ifndef PIDCAP_SESSION_H
#define PIDCAP_SESSION_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "capture/capture.h"
#include "cmd/options.h"
#include "cmd/privs.h"
#include "proc/procinfo.h"

struct pc_session {
	int sigfd;          /* SIGINT, SIGTERM, SIGHUP, SIGCHLD; -1 without */
	pid_t child;        /* -- CMD until reaped, -1 otherwise */
	int child_status;   /* waitpid status once reaped */
	int child_reaped;
	int go_fd;          /* the command waits for a byte on this pipe */
	uint32_t child_pid; /* the initial pid set of the capture with -- CMD */
	int gave_tty;       /* the command's process group has the terminal */
	uint64_t stop_ns;   /* first stop signal (forwarded to the command), 0: none */
	sigset_t oldmask;
	struct pc_cred cmd_cred; /* whom -- CMD runs as (-Z, or sudo's user) */
	struct pc_cred run_cred; /* -Z: whom pidcap runs as once set up */
	/* the cgroup filter: --cgroup's canonical path, or the wanted
	 * container's name or id prefix (or pod's name) */
	struct pc_procs *procs;
	char *cgroup_top;
	const char *want_container;
	int want_pod;
};

/* From a stop signal to SIGKILL of the command's process group. */
#define PC_SESSION_GRACE_NS (2000ULL * 1000000)

/* Results of pc_session_signals, or-ed. */
#define PC_SESSION_STOP 1       /* SIGINT, SIGTERM or SIGHUP */
#define PC_SESSION_CHILD_EXIT 2 /* -- CMD exited and was reaped */

void pc_session_init(struct pc_session *s);
/* -Z: become the user, keeping only what a running capture needs; call it
 * once the capture is set up (and before files are opened). No-op without
 * -Z. */
int pc_session_drop_privileges(struct pc_session *s, char *err, size_t errlen);
/* Checks that --pid processes exist, resolves --cgroup, blocks the signals
 * into a signalfd, forks -- CMD (held until pc_session_go) and fills the
 * process-filter fields of co. Returns 0 or a negative errno with a
 * message in err. */
int pc_session_setup(struct pc_session *s, const struct pc_options *opt,
		     struct pc_procs *procs, struct pc_capture_opts *co, char *err,
		     size_t errlen);
/* The cgroup filter (--cgroup, --container, --pod), asked once per cgroup:
 * is cgroup id --cgroup's or below it, or the wanted container's or pod's?
 * 1 or 0; -1 while its path or name is not known. Call only with one of
 * those options (after pc_session_setup). */
int pc_session_cgroup_wanted(const struct pc_session *s, uint64_t id);
/* Lets -- CMD run: call once the capture is attached. */
int pc_session_go(struct pc_session *s, const struct pc_options *opt, char *err,
		  size_t errlen);
/* Reads every pending signal; reaps the command. SIGINT, SIGTERM and SIGHUP
 * are forwarded to the command. Returns PC_SESSION_* bits. */
int pc_session_signals(struct pc_session *s);
/* Exit status for pidcap when -- CMD ran: its exit code, 128+signal if it
 * was killed, -1 when there was no command or it was not reaped. */
int pc_session_exit_code(const struct pc_session *s);
/* Closes the go pipe (a held command sees EOF and exits 127), waits for
 * the command (still forwarding signals; PC_SESSION_GRACE_NS after a stop
 * signal its process group gets SIGKILL), closes the signalfd. Call it
 * after the capture is closed, so that pidcap is detached while it waits.
 * Safe to call twice. */
void pc_session_close(struct pc_session *s);

/* Feeds a ring buffer record to the process cache when it is a process
 * event (PC_REC_EXEC, FORK, EXIT). Returns the pid of an EXIT record, 0
 * for anything else. */
uint32_t pc_session_proc_event(struct pc_procs *procs, const void *rec, size_t size);

/* CLOCK_MONOTONIC in nanoseconds, the clock of the kernel's timestamps. */
uint64_t pc_now_ns(void);

#endif
