// sources: src/pcapfile/pcapng_comment.c src/lib/escape.c
/* libFuzzer target for src/pcapfile/pcapng_comment.c: arbitrary bytes as a process
 * comment; whatever parses must format and parse back to the same fields.
 * Not for the pcapng blocks around the comment (fuzz_capfile.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pcapfile/pcapng_comment.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static int same_who(const struct pc_meta_who *a, const struct pc_meta_who *b)
{
	return a->known == b->known && a->pid == b->pid && a->tid == b->tid &&
	       a->has_uid == b->has_uid && (!a->has_uid || a->uid == b->uid) &&
	       !strcmp(a->comm, b->comm) && a->has_exe == b->has_exe && !strcmp(a->exe, b->exe) &&
	       a->has_cmdline == b->has_cmdline && !strcmp(a->cmdline, b->cmdline) &&
	       a->has_user == b->has_user && !strcmp(a->user, b->user) &&
	       a->has_cgroup == b->has_cgroup && !strcmp(a->cgroup, b->cgroup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pc_meta m, back;
	static char out[PC_META_COMMENT_MAX];
	int ret, n;

	ret = pc_comment_parse((const char *)data, size, &m);
	check(ret == 0 || ret == -EINVAL || ret == -ENOENT);
	if (ret)
		return 0;
	/* a parsed end without pid= (tid= alone) formats as pid=0: skip those */
	if ((!m.owner.known && (m.owner.tid || m.owner.has_uid || m.owner.comm[0])) ||
	    (!m.peer.known && (m.peer.tid || m.peer.has_uid || m.peer.comm[0])))
		return 0;
	n = pc_comment_format(&m, out, sizeof(out));
	check(n >= 0 && (size_t)n < sizeof(out) && strlen(out) == (size_t)n);
	ret = pc_comment_parse(out, (size_t)n, &back);
	check(ret == 0);
	/* values longer than PC_META_VALUE_MAX escaped bytes are cut */
	if (strlen(m.owner.cmdline) * 4 < PC_META_VALUE_MAX && strlen(m.owner.exe) * 4 < PC_META_VALUE_MAX &&
	    strlen(m.owner.cgroup) * 4 < PC_META_VALUE_MAX && strlen(m.peer.cmdline) * 4 < PC_META_VALUE_MAX &&
	    strlen(m.peer.exe) * 4 < PC_META_VALUE_MAX && strlen(m.peer.cgroup) * 4 < PC_META_VALUE_MAX &&
	    m.owner.known && m.peer.known) {
		check(same_who(&m.owner, &back.owner));
		check(same_who(&m.peer, &back.peer));
	}
	check((m.segs > 1 ? m.segs : 0) == (back.segs > 1 ? back.segs : 0));
	check(m.listener == back.listener);
	return 0;
}
