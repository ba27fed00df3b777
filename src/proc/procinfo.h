/* Process information cache: names the pid of a packet record (exe, cmdline,
 * user, ppid, cgroup path), from /proc and from kernel exec/fork/exit events,
 * and keeps exited processes for a while. Not for escaping or printing:
 * strings are raw bytes, callers escape them before output. */
#ifndef PIDCAP_PROCINFO_H
#define PIDCAP_PROCINFO_H

#include <stdint.h>
#include <stddef.h>

/* The /proc parsers (PC_CMDLINE_MAX, pc_parse_*, pc_join_args) and the
 * cgroup2 mount (pc_find_cgroup2), for the callers of this cache. */
#include "proc/cgroups.h"
#include "proc/container.h"
#include "proc/procparse.h"

struct pc_proc {
	uint32_t pid, ppid, uid; /* ppid: 0 when unknown, uid: UINT32_MAX */
	char comm[16];
	char *exe;       /* readlink of /proc/PID/exe or the exec filename;
			  * NULL if unknown */
	char *cmdline;   /* argv joined with single spaces, raw bytes (not
			  * escaped); NULL if unknown */
	uint64_t cgroup_id;
	int exited;      /* exit event seen, or found gone from /proc */
	uint64_t exit_ts_ns;
};

struct pc_procs;

/* proc_root is "/proc" normally, a fixture directory in tests.
 * cgroup2_root: the cgroup v2 mount point, or NULL to find it from
 * proc_root/self/mountinfo (may stay unknown: then cgroup paths are NULL).
 * Returns 0 or a negative errno. Not thread-safe: one event loop owns it;
 * returned pointers stay valid until the next call that changes p. */
int pc_procs_new(struct pc_procs **out, const char *proc_root,
		 const char *cgroup2_root);
void pc_procs_free(struct pc_procs *p);

/* Replaces the monotonic clock that rate-limits cgroup walks (for tests);
 * NULL restores CLOCK_MONOTONIC. */
void pc_procs_set_clock(struct pc_procs *p, uint64_t (*now_ns)(void));

/* Returns the entry for pid, reading proc_root/PID on a miss; NULL if
 * pid == 0 or nothing at all is known. A lookup that found nothing is
 * remembered for 1 second. comm_hint (may be NULL) is the comm of the
 * kernel record: used as comm when /proc has nothing, and when it differs
 * from the cached comm the entry is refreshed from /proc once (at most
 * once a second per pid, so that thread names don't cause a read per
 * packet). The pointer and its strings stay valid until the next call
 * that changes p (get, exec, fork, exit, expire, scan, free). */
const struct pc_proc *pc_procs_get(struct pc_procs *p, uint32_t pid,
				   const char *comm_hint, uint64_t now_ns);

/* Like pc_procs_get without reading /proc or changing anything. */
const struct pc_proc *pc_procs_find(struct pc_procs *p, uint32_t pid);

/* Number of entries, the remembered misses included. */
size_t pc_procs_count(const struct pc_procs *p);

/* Events from the kernel, in order. exec: replaces exe/cmdline/comm (args
 * are NUL-separated argv, args_len bytes; filename, NUL-terminated, is
 * kept as exe unless readlink of proc_root/PID/exe succeeds). fork: creates
 * the child copying the parent's exe/cmdline/comm/uid/cgroup if known.
 * exit: marks exited. Allocation failures lose the event silently. */
void pc_procs_exec(struct pc_procs *p, uint32_t pid, uint32_t ppid,
		   uint32_t uid, const char *comm, const char *filename,
		   const char *args, size_t args_len, uint64_t cgroup_id);
void pc_procs_fork(struct pc_procs *p, uint32_t pid, uint32_t ppid,
		   const char *comm);
void pc_procs_exit(struct pc_procs *p, uint32_t pid, uint64_t ts_ns);

/* Drops exited entries whose exit is older than keep_ns before now_ns and
 * remembered misses older than 1 s. Also checks a few live entries per
 * call against proc_root and marks those gone as exited at now_ns, so that
 * a lost exit event cannot keep an entry forever. Call once a second. */
void pc_procs_expire(struct pc_procs *p, uint64_t now_ns, uint64_t keep_ns);

/* Loads every numeric directory of proc_root (every live process) that is
 * not cached yet, for start-up seeding. Returns 0 or a negative errno. */
int pc_procs_scan(struct pc_procs *p, uint64_t now_ns);

/* User name for uid via getpwuid_r, cached; NULL when there is none. */
const char *pc_user_name(struct pc_procs *p, uint32_t uid);

/* Path of a cgroup v2 id relative to the cgroup2 root ("/" for the root,
 * "/system.slice/x.service"), cached. A miss walks the cgroup2 mount
 * (depth-bounded), at most once a second. NULL when unknown. */
const char *pc_cgroup_path(struct pc_procs *p, uint64_t cgroup_id);

/* Inverse, for the --cgroup filter: id of path (absolute under the mount,
 * or relative to the cgroup2 root). Returns 0 or -ENOENT. */
int pc_cgroup_id(struct pc_procs *p, const char *path, uint64_t *id);

/* Inode of proc_root/self/ns/net (pidcap's network namespace), read once;
 * 0 when unknown. */
uint64_t pc_procs_netns(struct pc_procs *p);

/* Prefix of the container runtimes' state directories ("" at creation: the
 * real ones), for tests. Returns 0 or -ENOMEM. */
int pc_procs_set_state_root(struct pc_procs *p, const char *root);

/* The container (or pod) of a cgroup id, NULL when none: the cached path
 * through pc_containers_get. */
const struct pc_container *pc_container_of(struct pc_procs *p, uint64_t cgroup_id);

/* For --container / --pod (pod != 0): the cgroup id of the container named
 * want or whose id starts with want, or of the pod named want. Returns 0,
 * -ENOENT, -EEXIST (an ambiguous id prefix) or -ENAMETOOLONG. */
int pc_container_cgroup_id(struct pc_procs *p, const char *want, int pod, uint64_t *id);

#endif
