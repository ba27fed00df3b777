/* Parsers of /proc contents (stat, status, cgroup, mountinfo, cmdline):
 * pure functions over bytes that a caller has read, exposed for tests and
 * fuzzing. Not for reading files or caching: see procinfo.h, cgroups.h. */
#ifndef PIDCAP_PROCPARSE_H
#define PIDCAP_PROCPARSE_H

#include <stdint.h>
#include <stddef.h>

/* Longest command line kept per process, in bytes (longer ones are cut). */
#define PC_CMDLINE_MAX 4096

/* Bytes of comm kept, without the NUL. */
#define PC_COMM_MAX 15

/* None of the parsers needs a NUL terminator: they read exactly len bytes. */

struct pc_stat_fields {
	uint32_t pid;
	char comm[16];      /* cut to 15 bytes, NUL-terminated */
	char state;
	uint32_t ppid;
	uint64_t starttime; /* clock ticks after boot; 0 when absent */
};

/* Parses /proc/PID/stat ("pid (comm) state ppid ..."). comm may hold
 * spaces and ')': it ends at the last ')'. Returns 0 or -EINVAL. */
int pc_parse_stat(const char *buf, size_t len, struct pc_stat_fields *out);

struct pc_status_fields {
	uint32_t uid;  /* real uid, from "Uid:" */
	uint32_t tgid;
	uint32_t ppid;
	int has_uid, has_tgid, has_ppid;
};

/* Parses /proc/PID/status. Returns 0 when a "Uid:" line was found,
 * -EINVAL otherwise; the has_ flags say which fields were found. */
int pc_parse_status(const char *buf, size_t len,
		    struct pc_status_fields *out);

/* Finds the cgroup v2 line "0::/path" of /proc/PID/cgroup and copies the
 * path into out. Returns 0, -ENOENT or -ENAMETOOLONG. */
int pc_parse_cgroup_file(const char *buf, size_t len, char *out,
			 size_t outlen);

/* Finds the first cgroup2 mount point in mountinfo contents, undoing the
 * octal escapes (\040). Returns 0, -ENOENT or -ENAMETOOLONG. */
int pc_parse_mountinfo_cgroup2(const char *buf, size_t len, char *out,
			       size_t outlen);

/* Joins NUL-separated argv into one string: each NUL becomes a space, one
 * trailing NUL is dropped, at most PC_CMDLINE_MAX bytes are kept. Returns
 * a malloc'd string, or NULL when empty or out of memory. */
char *pc_join_args(const char *args, size_t len);

/* A /proc directory name as a pid: decimal digits only, no leading zero,
 * fits in 32 bits. NUL-terminated name. Returns 0 or -EINVAL. */
int pc_parse_pid_name(const char *name, uint32_t *pid);

/* Copies len bytes of src, cut to PC_COMM_MAX, and a NUL into dst. */
void pc_copy_comm(char dst[16], const char *src, size_t len);

#endif
