/* Unit tests for src/pcapfile/pcapng_comment.c: the exact comment for known processes, a
 * round trip of hostile strings (spaces, '=', backslashes, controls,
 * invalid UTF-8, fake keys), and rejection of malformed comments.
 * Not for the pcapng blocks that carry the comment (test_pcapng_write.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile/pcapng_comment.h"
#include "unit.h"

static char comment[PC_META_COMMENT_MAX];

static void who(struct pc_meta_who *w, uint32_t pid, const char *comm)
{
	memset(w, 0, sizeof(*w));
	w->known = 1;
	w->pid = pid;
	w->tid = pid;
	snprintf(w->comm, sizeof(w->comm), "%s", comm);
}

static int same_who(const struct pc_meta_who *a, const struct pc_meta_who *b)
{
	return a->known == b->known && a->pid == b->pid && a->tid == b->tid &&
	       a->has_uid == b->has_uid && a->uid == b->uid && !strcmp(a->comm, b->comm) &&
	       a->has_exe == b->has_exe && !strcmp(a->exe, b->exe) &&
	       a->has_cmdline == b->has_cmdline && !strcmp(a->cmdline, b->cmdline) &&
	       a->has_user == b->has_user && !strcmp(a->user, b->user) &&
	       a->has_cgroup == b->has_cgroup && !strcmp(a->cgroup, b->cgroup);
}

TEST(exact_format)
{
	static struct pc_meta m;

	memset(&m, 0, sizeof(m));
	who(&m.owner, 4821, "curl");
	m.owner.has_exe = 1;
	strcpy(m.owner.exe, "/usr/bin/curl");
	m.owner.has_uid = 1;
	m.owner.uid = 1000;
	m.owner.has_user = 1;
	strcpy(m.owner.user, "alice");
	m.owner.has_cgroup = 1;
	strcpy(m.owner.cgroup, "/user.slice");
	m.owner.has_cmdline = 1;
	strcpy(m.owner.cmdline, "curl https://x");
	who(&m.peer, 912, "nginx");
	m.segs = 1;
	CHECK(pc_comment_format(&m, comment, sizeof(comment)) > 0);
	CHECK_EQ_STR(comment, "pid=4821 tid=4821 comm=curl exe=/usr/bin/curl uid=1000 user=alice "
			      "cgroup=/user.slice cmdline=curl\\x20https://x peer_pid=912 "
			      "peer_tid=912 peer_comm=nginx");
	memset(&m, 0, sizeof(m));
	m.segs = 3;
	m.listener = 1;
	CHECK_EQ_INT(pc_comment_format(&m, comment, sizeof(comment)), 28);
	CHECK_EQ_STR(comment, "owner=none segs=3 listener=1");
}

/* The container keys of either end, written only when not empty and read
 * back (names are untrusted: escaped like the others). */
TEST(container_keys)
{
	static struct pc_meta m, back;

	memset(&m, 0, sizeof(m));
	who(&m.owner, 4821, "curl");
	m.owner.has_container = 1;
	memset(m.owner.ct.id, 'a', PC_CT_ID_LEN);
	strcpy(m.owner.ct.name, "web 1");
	strcpy(m.owner.ct.image, "localhost/busybox:latest");
	who(&m.peer, 912, "nginx");
	m.peer.has_container = 1;
	strcpy(m.peer.ct.pod, "shop");
	strcpy(m.peer.ct.pod_ns, "prod");
	CHECK(pc_comment_format(&m, comment, sizeof(comment)) > 0);
	CHECK_EQ_STR(comment, "pid=4821 tid=4821 comm=curl container_id="
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
			      "container_name=web\\x201 container_image=localhost/busybox:latest "
			      "peer_pid=912 peer_tid=912 peer_comm=nginx peer_pod=shop "
			      "peer_pod_namespace=prod");
	CHECK_EQ_INT(pc_comment_parse(comment, strlen(comment), &back), 0);
	CHECK_EQ_INT(back.owner.has_container, 1);
	CHECK_EQ_STR(back.owner.ct.id, m.owner.ct.id);
	CHECK_EQ_STR(back.owner.ct.name, "web 1");
	CHECK_EQ_STR(back.owner.ct.image, "localhost/busybox:latest");
	CHECK_EQ_STR(back.owner.ct.pod, "");
	CHECK_EQ_INT(back.peer.has_container, 1);
	CHECK_EQ_STR(back.peer.ct.pod, "shop");
	CHECK_EQ_STR(back.peer.ct.pod_ns, "prod");
	CHECK_EQ_INT(pc_comment_parse("pid=1 container_name=a\\x00", 26, &back), -EINVAL);
}

TEST(hostile_round_trip)
{
	static const char *const evil[] = {
		"a b", "x=y", "peer_pid=1", "back\\slash", "\\x41", "quote\"d", "\x1b[31mred",
		"tab\there", "new\nline", "\xff\xfe invalid utf8", "caf\xc3\xa9", "", " ",
		"ends with \\", "=", "==", "%s%n",
	};
	static struct pc_meta m, back;
	size_t i;
	int n;

	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		memset(&m, 0, sizeof(m));
		who(&m.owner, 7, "x");
		snprintf(m.owner.comm, sizeof(m.owner.comm), "%.15s", evil[i]);
		m.owner.has_exe = m.owner.has_cmdline = m.owner.has_user = m.owner.has_cgroup = 1;
		snprintf(m.owner.exe, sizeof(m.owner.exe), "/bin/%s", evil[i]);
		snprintf(m.owner.cmdline, sizeof(m.owner.cmdline), "%s %s", evil[i], evil[i]);
		snprintf(m.owner.user, sizeof(m.owner.user), "%s", evil[i]);
		snprintf(m.owner.cgroup, sizeof(m.owner.cgroup), "/%s", evil[i]);
		who(&m.peer, 8, "y");
		m.peer.has_cmdline = 1;
		snprintf(m.peer.cmdline, sizeof(m.peer.cmdline), "%s", evil[i]);
		n = pc_comment_format(&m, comment, sizeof(comment));
		CHECK(n > 0);
		/* nothing but printable ASCII, so a comment is one grep-able line */
		for (int k = 0; k < n; k++)
			CHECK(comment[k] > 0x20 - (comment[k] == ' ') && comment[k] < 0x7f);
		CHECK_EQ_INT(pc_comment_parse(comment, (size_t)n, &back), 0);
		if (!same_who(&m.owner, &back.owner) || !same_who(&m.peer, &back.peer)) {
			fprintf(stderr, "round trip of case %zu failed: %s\n", i, comment);
			CHECK(0);
		}
	}
}

TEST(long_values_fit_an_option)
{
	static struct pc_meta m, back;
	int n;

	memset(&m, 0, sizeof(m));
	who(&m.owner, 1, "long");
	who(&m.peer, 2, "long");
	m.owner.has_exe = m.owner.has_cmdline = m.owner.has_user = m.owner.has_cgroup = 1;
	m.peer.has_exe = m.peer.has_cmdline = m.peer.has_user = m.peer.has_cgroup = 1;
	memset(m.owner.cmdline, '\x01', sizeof(m.owner.cmdline) - 1);
	memset(m.owner.exe, '\x02', sizeof(m.owner.exe) - 1);
	memset(m.owner.cgroup, '\x03', sizeof(m.owner.cgroup) - 1);
	memset(m.owner.user, '\x04', sizeof(m.owner.user) - 1);
	m.peer = m.owner;
	m.peer.pid = 2;
	n = pc_comment_format(&m, comment, sizeof(comment));
	CHECK(n > 0 && n <= 0xffff);
	/* cut at PC_META_VALUE_MAX escaped bytes: 1792 of the 4095 bytes */
	CHECK_EQ_INT(pc_comment_parse(comment, (size_t)n, &back), 0);
	CHECK_EQ_INT(strlen(back.owner.cmdline), PC_META_VALUE_MAX / 4);
	CHECK_EQ_INT(back.peer.pid, 2);
	CHECK_EQ_INT(pc_comment_format(&m, comment, 100), -ENOSPC);
	CHECK_EQ_INT(strlen(comment) < 100, 1);
}

TEST(parse_errors)
{
	static struct pc_meta m;
	static const char *const bad[] = {
		"pid=1 tid", "pid=", "pid=x", "pid=4294967296", "pid=1 comm=\\x0", "pid=1 comm=\\q",
		"pid=1 comm=\\x00", "pid=1 comm=12345678901234567", "pid=1  tid=2", "pid=-1",
		"pid=1 =2", "pid=1 segs=1x", "owner=none owner=nobody",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pc_comment_parse(bad[i], strlen(bad[i]), &m) != -EINVAL) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		}
		CHECK_EQ_INT(m.owner.known, 0);
	}
	CHECK_EQ_INT(pc_comment_parse("hello", 5, &m), -ENOENT);
	CHECK_EQ_INT(pc_comment_parse("owner=nobody", 12, &m), -ENOENT);
	CHECK_EQ_INT(pc_comment_parse("", 0, &m), -ENOENT);
	CHECK_EQ_INT(pc_comment_parse("pid=5 future_key=x\\x20y tid=6", 29, &m), 0);
	CHECK_EQ_INT(m.owner.pid, 5);
	CHECK_EQ_INT(m.owner.tid, 6);
	/* not NUL-terminated: only len bytes are read */
	CHECK_EQ_INT(pc_comment_parse("pid=12345", 5, &m), 0);
	CHECK_EQ_INT(m.owner.pid, 1);
	CHECK_EQ_INT(pc_comment_parse("owner=none peer_pid=3 peer_comm=a\\x20b", 38, &m), 0);
	CHECK_EQ_INT(m.owner.known, 0);
	CHECK_EQ_INT(m.peer.known, 1);
	CHECK_EQ_STR(m.peer.comm, "a b");
}

int main(void)
{
	RUN(exact_format);
	RUN(container_keys);
	RUN(hostile_round_trip);
	RUN(long_values_fit_an_option);
	RUN(parse_errors);
	return UNIT_DONE();
}
