/* The process of a packet as a key=value comment ("pid=4821 tid=4821
 * comm=curl ... peer_pid=912 peer_comm=nginx"), written into pcapng files
 * and parsed back when reading them. Not for files or /proc: strings in. */
#ifndef PIDCAP_PCAPNG_COMMENT_H
#define PIDCAP_PCAPNG_COMMENT_H

#include <stddef.h>
#include <stdint.h>
#include "proc/container.h"
#include "records.h"

#define PC_META_STR_MAX 4096 /* longest exe/cmdline/cgroup kept, with NUL */
#define PC_META_USER_MAX 256
/* Longest escaped value written; 8 values of this fit in a pcapng option
 * (65535 bytes), and it holds every string the printer shows. */
#define PC_META_VALUE_MAX 7168
/* Room for any comment pc_comment_format() writes, with its NUL. */
#define PC_META_COMMENT_MAX 65532

/* One end of a packet: raw bytes (not escaped), NUL-terminated. */
struct pc_meta_who {
	int known;                /* 0: no process (then nothing else is set) */
	uint32_t pid, tid, uid;
	int has_uid;
	char comm[PC_COMM_LEN + 1];
	int has_exe, has_cmdline, has_user, has_cgroup;
	char exe[PC_META_STR_MAX];
	char cmdline[PC_META_STR_MAX];
	char cgroup[PC_META_STR_MAX];
	char user[PC_META_USER_MAX];
	int has_container;        /* any container_ or pod key: ct */
	struct pc_container ct;   /* id, name, image, pod, pod_ns only */
};

struct pc_meta {
	struct pc_meta_who owner, peer; /* owner: sender of out, receiver of in */
	uint32_t segs;                  /* GSO segments, 0 when not said (= 1) */
	int listener;                   /* owner still a listening socket's */
};

/* Writes the comment for m into buf: "owner=none" or "pid=.. tid=.. comm=..
 * [exe=..] [uid=..] [user=..] [cgroup=..] [cmdline=..] [container_id=..]
 * [container_name=..] [container_image=..] [pod=..] [pod_namespace=..]"
 * (container keys only when not empty), then the peer's
 * with "peer_" keys, then "segs=N" when N > 1 and "listener=1". Values are
 * escaped with pc_escape_text(space_too=1) and cut at PC_META_VALUE_MAX.
 * Returns the length, or -ENOSPC when len is too small (buf then holds
 * a cut comment); len >= PC_META_COMMENT_MAX always fits. */
int pc_comment_format(const struct pc_meta *m, char *buf, size_t len);

/* Parses a comment written by pc_comment_format() (s need not be
 * NUL-terminated). Unknown keys are skipped; a repeated key wins.
 * Returns 0; -ENOENT when s is not such a comment (does not start with
 * "pid=" or "owner=none"); -EINVAL when it is malformed (bad escape, NUL
 * byte, bad number, comm longer than 16 bytes, key without '='), m then
 * cleared. */
int pc_comment_parse(const char *s, size_t len, struct pc_meta *m);

/* Undoes pc_escape_text (either form) of v[0..n) into out, cut to
 * outlen - 1 bytes and NUL-terminated (outlen >= 1). Returns the decoded
 * length before cutting, or -EINVAL (a bad escape, a NUL byte). */
int pc_comment_unescape(const char *v, size_t n, char *out, size_t outlen);

#endif
