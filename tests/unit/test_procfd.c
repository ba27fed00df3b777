/* Unit tests of src/fallback/procfd.c on the committed tree tests/fixtures/procfd:
 * socket links among pipes, files and malformed ones, a socket held by two
 * processes, a process that vanished (no fd/, no stat), a hostile comm
 * (newline, ')' and an escape sequence). Not for owners (test_owner_rules.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fallback/procfd.h"
#include "unit.h"

#define FIX "tests/fixtures/procfd"

struct seen {
	uint32_t pid[16], inode[16];
	size_t n;
};

static int collect(void *ctx, uint32_t pid, uint32_t inode)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		s->pid[s->n] = pid;
		s->inode[s->n] = inode;
	}
	s->n++;
	return 0;
}

static int has(const struct seen *s, uint32_t pid, uint32_t inode)
{
	size_t i;

	for (i = 0; i < s->n && i < 16; i++)
		if (s->pid[i] == pid && s->inode[i] == inode)
			return 1;
	return 0;
}

TEST(parse_link)
{
	uint32_t ino = 0;

	CHECK_EQ_INT(pc_procfd_parse_link("socket:[12345]", 14, &ino), 0);
	CHECK_EQ_INT(ino, 12345);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[4294967295]", 19, &ino), 0);
	CHECK_EQ_INT(ino, 4294967295u);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[4294967296]", 19, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[]", 9, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[0]", 10, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[12a]", 12, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[12", 10, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("pipe:[12]", 9, &ino), -EINVAL);
	CHECK_EQ_INT(pc_procfd_parse_link("/dev/null", 9, &ino), -EINVAL);
	/* only len bytes count: no NUL needed, none read past it */
	CHECK_EQ_INT(pc_procfd_parse_link("socket:[77]trailing", 11, &ino), 0);
	CHECK_EQ_INT(ino, 77);
	CHECK_EQ_INT(pc_procfd_parse_link("", 0, &ino), -EINVAL);
}

TEST(scan_pid)
{
	struct seen s = { 0 };

	CHECK_EQ_INT(pc_procfd_scan_pid(FIX, 100, collect, &s), 0);
	CHECK_EQ_INT(s.n, 2); /* pipe, /dev/null and anon_inode skipped */
	CHECK(has(&s, 100, 1001));
	CHECK(has(&s, 100, 1002));
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(pc_procfd_scan_pid(FIX, 200, collect, &s), 0);
	CHECK_EQ_INT(s.n, 2); /* malformed and out-of-range links skipped */
	CHECK(has(&s, 200, 1001));
	CHECK(has(&s, 200, 2001));
}

TEST(vanished)
{
	struct seen s = { 0 };
	struct pc_procfd_info info;

	CHECK_EQ_INT(pc_procfd_scan_pid(FIX, 300, collect, &s), -ESRCH);
	CHECK_EQ_INT(pc_procfd_scan_pid(FIX, 999, collect, &s), -ESRCH);
	CHECK_EQ_INT(s.n, 0);
	CHECK_EQ_INT(pc_procfd_read_info(FIX, 300, &info), -ESRCH);
	CHECK_EQ_INT(pc_procfd_read_info(FIX, 999, &info), -ESRCH);
}

TEST(scan_all)
{
	struct pc_procfd_stats st;
	struct seen s = { 0 };

	CHECK_EQ_INT(pc_procfd_scan_all(FIX, collect, &s, &st), 0);
	CHECK_EQ_INT(st.pids, 3);     /* 100, 200, 300; not self or abc */
	CHECK_EQ_INT(st.sockets, 4);
	CHECK_EQ_INT(st.vanished, 1); /* 300 */
	CHECK(has(&s, 100, 1001) && has(&s, 200, 1001)); /* one inode, two holders */
	CHECK_EQ_INT(pc_procfd_scan_all(FIX "/nonexistent", collect, &s, NULL), -ENOENT);
}

TEST(read_info_hostile_comm)
{
	struct pc_procfd_info info;

	CHECK_EQ_INT(pc_procfd_read_info(FIX, 100, &info), 0);
	/* comm ends at the last ')': newline and escape kept as raw bytes,
	 * cut to 15, escaped later by the printer */
	CHECK_EQ_STR(info.comm, "ev) il\n\x1b[31m");
	CHECK_EQ_INT(info.ppid, 1);
	CHECK_EQ_INT(info.starttime, 4242);
	CHECK_EQ_INT(info.has_uid, 1);
	CHECK_EQ_INT(info.uid, 1000);
	CHECK_EQ_STR(info.cgroup, "/system.slice/evil.service");
	CHECK_EQ_INT(pc_procfd_read_info(FIX, 200, &info), 0);
	CHECK_EQ_STR(info.comm, "srv");
	CHECK_EQ_INT(info.uid, 0);
	CHECK_EQ_STR(info.cgroup, ""); /* no cgroup file */
}

int main(void)
{
	RUN(parse_link);
	RUN(scan_pid);
	RUN(vanished);
	RUN(scan_all);
	RUN(read_info_hostile_comm);
	return UNIT_DONE();
}
