/* Which processes hold which sockets, from proc_root/PID/fd links
 * ("socket:[INODE]"), and the few facts about a process that an owner
 * record needs (comm, uid, cgroup, start time). The link parser is pure;
 * the readers take proc_root so that tests run on fixtures.
 * Not for deciding owners (fallback/owner_rules.c) or for the process cache (procinfo.c). */
#ifndef PIDCAP_PROCFD_H
#define PIDCAP_PROCFD_H

#include <stddef.h>
#include <stdint.h>

/* The inode of a "socket:[INODE]" link target of len bytes (no NUL
 * needed). Returns 0, or -EINVAL for anything else (pipes, files,
 * anon_inode:..., a malformed or out-of-range number). */
int pc_procfd_parse_link(const char *target, size_t len, uint32_t *inode);

/* Called for each socket held by pid. Return 0 to go on. */
typedef int (*pc_procfd_fn)(void *ctx, uint32_t pid, uint32_t inode);

/* Every socket among proc_root/PID/fd. Returns 0, -ESRCH when the process
 * is gone (or was never there), or another negative errno. fds closed
 * while reading are skipped. */
int pc_procfd_scan_pid(const char *proc_root, uint32_t pid, pc_procfd_fn fn, void *ctx);

struct pc_procfd_stats {
	uint32_t pids;     /* process directories read */
	uint32_t sockets;  /* socket links handed to fn */
	uint32_t vanished; /* processes gone (or unreadable) during the scan */
};

/* Every socket of every process under proc_root (thread group leaders:
 * threads share the table). Processes that vanish while it runs are
 * counted and skipped. st may be NULL. Returns 0 or the negative errno of
 * opening proc_root. */
int pc_procfd_scan_all(const char *proc_root, pc_procfd_fn fn, void *ctx,
		       struct pc_procfd_stats *st);

struct pc_procfd_info {
	uint32_t pid, ppid, uid;
	char comm[16];           /* raw bytes, NUL-terminated: escape before output */
	uint64_t starttime;      /* clock ticks after boot (stat field 22), 0 unknown */
	char cgroup[512];        /* cgroup v2 path relative to the mount, "" unknown */
	int has_uid;
};

/* Reads proc_root/PID/stat, status and cgroup. Returns 0 when stat was
 * read (uid and cgroup may still be unknown), -ESRCH when the process is
 * gone, -EINVAL when stat does not parse. */
int pc_procfd_read_info(const char *proc_root, uint32_t pid, struct pc_procfd_info *out);

/* The executable (readlink of proc_root/PID/exe) and the raw argv
 * (NUL-separated, cut to args_len bytes) of a process, for exec records.
 * Returns 0 when either was read, -ESRCH when the process is gone. */
int pc_procfd_read_exec(const char *proc_root, uint32_t pid, char *exe, size_t exe_len,
			char *args, size_t args_len, size_t *args_used);

#endif
