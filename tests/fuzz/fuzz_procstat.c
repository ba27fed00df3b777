// sources: src/proc/procparse.c
/* libFuzzer target for the /proc parsers of src/proc/procinfo.c: every input goes
 * through the stat, status, cgroup and mountinfo parsers and the argv joiner,
 * output invariants checked. Not for the cache itself (unit tests do that). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/procinfo.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A copied-out path: NUL-terminated inside out, no shorter than claimed. */
static void check_path(int err, const char *out, size_t outlen)
{
	if (err) {
		check(err == -ENOENT || err == -ENAMETOOLONG);
		return;
	}
	check(strnlen(out, outlen) < outlen);
	check(out[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[PATH_MAX];
	struct pc_stat_fields st;
	struct pc_status_fields sf;
	const char *buf = (const char *)data;
	size_t small = size ? data[0] % 32 + 1 : 1;
	char *joined;
	int err;

	err = pc_parse_stat(buf, size, &st);
	check(err == 0 || err == -EINVAL);
	if (!err) {
		check(strnlen(st.comm, sizeof(st.comm)) < sizeof(st.comm));
		check(memchr(buf, ')', size) != NULL);
	}

	err = pc_parse_status(buf, size, &sf);
	check(err == 0 || err == -EINVAL);
	check(!err == !!sf.has_uid);

	err = pc_parse_cgroup_file(buf, size, out, sizeof(out));
	check_path(err, out, sizeof(out));
	if (!err)
		check(out[0] == '/');
	check_path(pc_parse_cgroup_file(buf, size, out, small), out, small);

	err = pc_parse_mountinfo_cgroup2(buf, size, out, sizeof(out));
	check_path(err, out, sizeof(out));
	check_path(pc_parse_mountinfo_cgroup2(buf, size, out, small), out,
		   small);

	joined = pc_join_args(buf, size);
	if (joined) {
		size_t n = size && !buf[size - 1] ? size - 1 : size;

		if (n > PC_CMDLINE_MAX)
			n = PC_CMDLINE_MAX;
		check(strlen(joined) == n);
		free(joined);
	}
	return 0;
}
