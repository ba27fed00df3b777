/* Unit tests of src/proc/procinfo.c: the /proc parsers, the pid cache against the
 * committed tree tests/fixtures/proc (and temporary trees where files must
 * change), kernel events, expiry, cgroup paths, and one live /proc check.
 * Not for capture or output: run from the repository root. */
#include "proc/procinfo.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX_PROC "tests/fixtures/proc"
#define FIX_CG "tests/fixtures/cgroup2"
#define SEC 1000000000ull

static const char *argv0;

static uint64_t ino_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	return st.st_ino;
}

static void write_file(const char *dir, const char *name, const void *data,
		       size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void write_str(const char *dir, const char *name, const char *s)
{
	write_file(dir, name, s, strlen(s));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes a minimal /proc/PID directory under root. */
static void fake_pid(const char *root, unsigned int pid, const char *comm,
		     const char *cmdline, size_t cmdline_len, const char *exe)
{
	char dir[PATH_MAX], buf[512], link[PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	mkdir(dir, 0755);
	snprintf(buf, sizeof(buf),
		 "%u (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0\n",
		 pid, comm);
	write_str(dir, "stat", buf);
	snprintf(buf, sizeof(buf), "%s\n", comm);
	write_str(dir, "comm", buf);
	write_str(dir, "status", "Name:\tx\nPPid:\t1\nUid:\t42\t42\t42\t42\n");
	write_file(dir, "cmdline", cmdline, cmdline_len);
	snprintf(link, sizeof(link), "%s/exe", dir);
	unlink(link);
	if (exe)
		CHECK(symlink(exe, link) == 0);
}

static char *make_tmp(void)
{
	static char dir[64];

	strcpy(dir, "/tmp/pidcap-procinfo-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	return dir;
}

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
	return fake_now;
}

/* ---- parsers ---- */

TEST(parse_stat)
{
	struct pc_stat_fields f;
	const char *s;

	s = "100 (fake-daemon) S 1 100 100 0 -1 4194560 1234 0 0 0 10 5 0 0 "
	    "20 0 1 0 4242 12345678 456\n";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), 0);
	CHECK_EQ_INT(f.pid, 100);
	CHECK_EQ_STR(f.comm, "fake-daemon");
	CHECK_EQ_INT(f.state, 'S');
	CHECK_EQ_INT(f.ppid, 1);
	CHECK_EQ_INT(f.starttime, 4242);

	/* comm ends at the last ')', spaces and ") (" included */
	s = "7 (a) (b c) R 3 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), 0);
	CHECK_EQ_STR(f.comm, "a) (b c");
	CHECK_EQ_INT(f.state, 'R');
	CHECK_EQ_INT(f.ppid, 3);
	CHECK_EQ_INT(f.starttime, 99);

	/* a comm like ") 1 2" must not be read as the state */
	s = "8 () Z 9 9) S 4";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), 0);
	CHECK_EQ_STR(f.comm, ") Z 9 9");
	CHECK_EQ_INT(f.state, 'S');
	CHECK_EQ_INT(f.ppid, 4);
	CHECK_EQ_INT(f.starttime, 0); /* absent */

	/* longer than 15 (kworker names): cut */
	s = "9 (kworker/0:1-events_unbound) I 2";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), 0);
	CHECK_EQ_STR(f.comm, "kworker/0:1-eve");

	/* not NUL-terminated: only len bytes are read */
	s = "5 (x) S 12345";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s) - 3, &f), 0);
	CHECK_EQ_INT(f.ppid, 12);

	CHECK_EQ_INT(pc_parse_stat("", 0, &f), -EINVAL);
	s = "5 (x S 1";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "5 (x)";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "5 (x) S";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "5 (x) S -1";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "4294967296 (x) S 1";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "5 (x) S 99999999999999999999999";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
	s = "garbage\n";
	CHECK_EQ_INT(pc_parse_stat(s, strlen(s), &f), -EINVAL);
}

TEST(parse_status)
{
	struct pc_status_fields f;
	const char *s;

	s = "Name:\tx\nTgid:\t200\nPid:\t200\nPPid:\t100\n"
	    "Uid:\t1000\t0\t1000\t1000\nGid:\t5\t5\t5\t5\n";
	CHECK_EQ_INT(pc_parse_status(s, strlen(s), &f), 0);
	CHECK_EQ_INT(f.uid, 1000); /* the real uid, not the effective 0 */
	CHECK(f.has_uid && f.has_tgid && f.has_ppid);
	CHECK_EQ_INT(f.tgid, 200);
	CHECK_EQ_INT(f.ppid, 100);

	/* "Name:" is process-controlled: a fake Uid inside it is no line */
	s = "Name:\tUid:\t0\nUid:  7 7 7 7";
	CHECK_EQ_INT(pc_parse_status(s, strlen(s), &f), 0);
	CHECK_EQ_INT(f.uid, 7);

	s = "Name:\tx\nPid:\t1\n";
	CHECK_EQ_INT(pc_parse_status(s, strlen(s), &f), -EINVAL);
	CHECK(!f.has_uid);
	s = "Uid:\tnope\n";
	CHECK_EQ_INT(pc_parse_status(s, strlen(s), &f), -EINVAL);
	CHECK_EQ_INT(pc_parse_status("", 0, &f), -EINVAL);
}

TEST(parse_cgroup_file)
{
	char out[64], tiny[4];
	const char *s;

	s = "9:name=systemd:/a\n4:memory:/b\n0::/system.slice/x.service\n";
	CHECK_EQ_INT(pc_parse_cgroup_file(s, strlen(s), out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/system.slice/x.service");
	s = "0::/";
	CHECK_EQ_INT(pc_parse_cgroup_file(s, strlen(s), out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/");
	s = "0::/with space\n";
	CHECK_EQ_INT(pc_parse_cgroup_file(s, strlen(s), out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/with space");
	s = "1:cpu:/a\n";
	CHECK_EQ_INT(pc_parse_cgroup_file(s, strlen(s), out, sizeof(out)),
		     -ENOENT);
	s = "0::/long\n";
	CHECK_EQ_INT(pc_parse_cgroup_file(s, strlen(s), tiny, sizeof(tiny)),
		     -ENAMETOOLONG);
}

TEST(parse_mountinfo)
{
	char out[64], tiny[8];
	const char *s;

	s = "1 0 0:1 / / rw - ext4 /dev/sda1 rw\n"
	    "2 1 0:2 / /mnt/decoy rw - tmpfs cgroup2 rw\n"
	    "3 1 0:3 / /mnt/cg\\040two\\134x rw shared:1 master:2 - cgroup2 "
	    "cgroup2 rw\n"
	    "4 1 0:4 / /mnt/second rw - cgroup2 cgroup2 rw\n";
	CHECK_EQ_INT(pc_parse_mountinfo_cgroup2(s, strlen(s), out,
						sizeof(out)), 0);
	CHECK_EQ_STR(out, "/mnt/cg two\\x");
	CHECK_EQ_INT(pc_parse_mountinfo_cgroup2(s, strlen(s), tiny,
						sizeof(tiny)), -ENAMETOOLONG);

	/* a cgroup v1 hierarchy or "-" as a mount point is no match */
	s = "1 0 0:1 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
	    "2 0 0:1 / - rw - cgroup cgroup2 rw\n";
	CHECK_EQ_INT(pc_parse_mountinfo_cgroup2(s, strlen(s), out,
						sizeof(out)), -ENOENT);
	/* a NUL escaped into the path makes the line unusable */
	s = "1 0 0:1 / /a\\000b rw - cgroup2 cgroup2 rw\n"
	    "2 0 0:1 / /good rw - cgroup2 cgroup2 rw";
	CHECK_EQ_INT(pc_parse_mountinfo_cgroup2(s, strlen(s), out,
						sizeof(out)), 0);
	CHECK_EQ_STR(out, "/good");
	CHECK_EQ_INT(pc_parse_mountinfo_cgroup2("", 0, out, sizeof(out)),
		     -ENOENT);
}

TEST(join_args)
{
	static char big[PC_CMDLINE_MAX + 100];
	char *s;

	s = pc_join_args("ls\0-l\0/tmp\0", 10);
	CHECK_EQ_STR(s, "ls -l /tmp");
	free(s);
	s = pc_join_args("a\0\0b", 4); /* empty argument, no trailing NUL */
	CHECK_EQ_STR(s, "a  b");
	free(s);
	CHECK(pc_join_args("", 0) == NULL);
	CHECK(pc_join_args("\0", 1) == NULL);
	memset(big, 'x', sizeof(big));
	s = pc_join_args(big, sizeof(big));
	CHECK(s && strlen(s) == PC_CMDLINE_MAX);
	free(s);
}

/* ---- the cache against the fixture tree ---- */

TEST(find_cgroup2)
{
	char buf[PATH_MAX], tiny[8];

	CHECK_EQ_INT(pc_find_cgroup2(FIX_PROC, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, FIX_CG);
	CHECK_EQ_INT(pc_find_cgroup2(FIX_PROC, tiny, sizeof(tiny)),
		     -ENAMETOOLONG);
	CHECK_EQ_INT(pc_find_cgroup2("tests/fixtures/nonexistent", buf,
				     sizeof(buf)), -ENOENT);
}

TEST(fixture_daemon)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	e = pc_procs_get(p, 100, NULL, SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(e->pid, 100);
		CHECK_EQ_INT(e->ppid, 1);
		CHECK_EQ_INT(e->uid, 0);
		CHECK_EQ_STR(e->comm, "fake-daemon");
		CHECK_EQ_STR(e->exe, "/usr/sbin/fake-daemon");
		CHECK_EQ_STR(e->cmdline,
			     "/usr/sbin/fake-daemon --foreground -c "
			     "/etc/fake.conf");
		CHECK_EQ_INT(e->cgroup_id,
			     ino_of(FIX_CG "/system.slice/fake.service"));
		CHECK(e->cgroup_id != 0);
		CHECK_EQ_STR(pc_cgroup_path(p, e->cgroup_id),
			     "/system.slice/fake.service");
		CHECK(!e->exited);
	}
	/* a hit returns the same entry */
	CHECK(pc_procs_get(p, 100, "fake-daemon", SEC) == e);
	CHECK(pc_procs_find(p, 100) == e);
	CHECK(pc_procs_get(p, 0, "swapper/0", SEC) == NULL);
	pc_procs_free(p);
	pc_procs_free(NULL);
}

TEST(fixture_hostile)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, FIX_CG "/"), 0);
	if (!p)
		return;
	e = pc_procs_get(p, 200, NULL, SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "x) (y) z");
		CHECK_EQ_INT(e->ppid, 100);
		CHECK_EQ_INT(e->uid, 1000);
		/* raw bytes: escaping is the printer's job */
		CHECK_EQ_STR(e->cmdline,
			     "./evil --color=\033[31mred\033[0m two\nlines");
		CHECK_EQ_STR(e->exe, "/tmp/evil bin (deleted)");
		CHECK_EQ_INT(e->cgroup_id,
			     ino_of(FIX_CG "/user.slice/user-1000.slice"));
		CHECK_EQ_STR(pc_cgroup_path(p, e->cgroup_id),
			     "/user.slice/user-1000.slice");
	}
	pc_procs_free(p);
}

TEST(fixture_kthread_zombie_broken)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	e = pc_procs_get(p, 300, NULL, SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "kworker/0:1-eve");
		CHECK(e->exe == NULL);
		CHECK(e->cmdline == NULL);
		CHECK_EQ_INT(e->ppid, 2);
		CHECK_EQ_INT(e->cgroup_id, ino_of(FIX_CG));
		CHECK_EQ_STR(pc_cgroup_path(p, e->cgroup_id), "/");
	}
	e = pc_procs_get(p, 500, NULL, 3 * SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "defunct");
		CHECK_EQ_INT(e->uid, 1000);
		CHECK(e->exited);
		CHECK_EQ_INT(e->exit_ts_ns, 3 * SEC);
	}
	/* a stat that does not parse is no process */
	CHECK(pc_procs_get(p, 400, NULL, SEC) == NULL);
	pc_procs_free(p);
}

TEST(vanished_pid)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	CHECK(pc_procs_get(p, 999, NULL, SEC) == NULL);
	CHECK_EQ_INT(pc_procs_count(p), 1); /* the miss is remembered */
	CHECK(pc_procs_get(p, 999, NULL, SEC + 1) == NULL);
	CHECK(pc_procs_find(p, 999) == NULL);
	/* with the record's comm there is something to show */
	e = pc_procs_get(p, 999, "ghost", SEC + 2);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "ghost");
		CHECK(e->exe == NULL && e->cmdline == NULL);
		CHECK_EQ_INT(e->uid, UINT32_MAX);
		CHECK_EQ_INT(e->ppid, 0);
		CHECK(e->exited); /* gone from /proc */
	}
	e = pc_procs_get(p, 998, "other", SEC);
	CHECK(e && !strcmp(e->comm, "other") && e->exited);
	pc_procs_free(p);
}

TEST(negative_cache)
{
	struct pc_procs *p;
	const struct pc_proc *e;
	char *root = make_tmp();

	CHECK_EQ_INT(pc_procs_new(&p, root, NULL), 0);
	if (!p)
		goto out;
	CHECK(pc_procs_get(p, 4321, NULL, 10 * SEC) == NULL);
	fake_pid(root, 4321, "late", "late\0", 5, NULL);
	/* within a second of the miss /proc is not read again */
	CHECK(pc_procs_get(p, 4321, NULL, 10 * SEC + SEC / 2) == NULL);
	e = pc_procs_get(p, 4321, NULL, 11 * SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "late");
		CHECK_EQ_INT(e->uid, 42);
		CHECK(e->cgroup_id == 0); /* no cgroup2 mount known */
	}
	/* expiry forgets misses after a second */
	CHECK(pc_procs_get(p, 4322, NULL, 11 * SEC) == NULL);
	CHECK_EQ_INT(pc_procs_count(p), 2);
	pc_procs_expire(p, 11 * SEC + SEC / 2, 5 * SEC);
	CHECK_EQ_INT(pc_procs_count(p), 2);
	pc_procs_expire(p, 12 * SEC, 5 * SEC);
	CHECK_EQ_INT(pc_procs_count(p), 1);
	pc_procs_free(p);
out:
	rm_tree(root);
}

TEST(comm_change_refresh)
{
	struct pc_procs *p;
	const struct pc_proc *e;
	char *root = make_tmp();

	CHECK_EQ_INT(pc_procs_new(&p, root, NULL), 0);
	if (!p)
		goto out;
	fake_pid(root, 77, "old", "old\0-x\0", 7, "/bin/old");
	e = pc_procs_get(p, 77, "old", SEC);
	CHECK(e && !strcmp(e->comm, "old"));
	/* the process execs: a record with the new comm refreshes once */
	fake_pid(root, 77, "new", "new\0-y\0", 7, "/bin/new");
	e = pc_procs_get(p, 77, "old", SEC);
	CHECK(e && !strcmp(e->comm, "old"));
	e = pc_procs_get(p, 77, "new", SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "new");
		CHECK_EQ_STR(e->cmdline, "new -y");
		CHECK_EQ_STR(e->exe, "/bin/new");
	}
	/* at most one refresh a second per pid */
	fake_pid(root, 77, "third", "third\0", 6, "/bin/third");
	e = pc_procs_get(p, 77, "third", SEC + 1);
	CHECK(e && !strcmp(e->comm, "new"));
	e = pc_procs_get(p, 77, "third", 3 * SEC);
	CHECK(e && !strcmp(e->comm, "third"));
	/* a thread name differs for good: one read, not one per packet */
	e = pc_procs_get(p, 77, "worker", 5 * SEC);
	CHECK(e && !strcmp(e->comm, "third"));
	fake_pid(root, 77, "fourth", "fourth\0", 7, "/bin/fourth");
	e = pc_procs_get(p, 77, "worker", 7 * SEC);
	CHECK(e && !strcmp(e->comm, "third"));
	pc_procs_free(p);
out:
	rm_tree(root);
}

TEST(exec_fork_exit)
{
	static const char args[] = "curl\0-s\0http://x/\0";
	struct pc_procs *p;
	const struct pc_proc *e, *c;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	/* no /proc/7000: the exec filename is the exe */
	pc_procs_exec(p, 7000, 100, 1000, "curl", "/usr/bin/curl", args,
		      sizeof(args) - 1, 555);
	e = pc_procs_get(p, 7000, "curl", SEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->comm, "curl");
		CHECK_EQ_STR(e->exe, "/usr/bin/curl");
		CHECK_EQ_STR(e->cmdline, "curl -s http://x/");
		CHECK_EQ_INT(e->ppid, 100);
		CHECK_EQ_INT(e->uid, 1000);
		CHECK_EQ_INT(e->cgroup_id, 555);
	}
	/* readlink of /proc/PID/exe wins over the filename */
	pc_procs_exec(p, 100, 1, 0, "fake-daemon", "./relative", "x", 1, 0);
	e = pc_procs_find(p, 100);
	CHECK_EQ_STR(e ? e->exe : NULL, "/usr/sbin/fake-daemon");
	CHECK_EQ_STR(e ? e->cmdline : NULL, "x");

	/* fork copies the parent */
	pc_procs_fork(p, 7001, 7000, "curl");
	c = pc_procs_find(p, 7001);
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ_INT(c->ppid, 7000);
		CHECK_EQ_STR(c->exe, "/usr/bin/curl");
		CHECK_EQ_STR(c->cmdline, "curl -s http://x/");
		CHECK_EQ_INT(c->uid, 1000);
		CHECK_EQ_INT(c->cgroup_id, 555);
		CHECK(c->exe != pc_procs_find(p, 7000)->exe);
	}
	/* the child execs: its own, the parent's untouched */
	pc_procs_exec(p, 7001, 7000, 1000, "sh", "/bin/sh", "sh\0-c\0", 6, 0);
	c = pc_procs_find(p, 7001);
	CHECK_EQ_STR(c ? c->comm : NULL, "sh");
	CHECK_EQ_STR(c ? c->cmdline : NULL, "sh -c");
	CHECK(c && c->cgroup_id == 555);
	CHECK_EQ_STR(pc_procs_find(p, 7000)->cmdline, "curl -s http://x/");

	/* fork of an unknown parent: the comm only, /proc tried on lookup */
	pc_procs_fork(p, 7002, 8888, "orphan");
	c = pc_procs_find(p, 7002);
	CHECK(c && !strcmp(c->comm, "orphan") && !c->exe && !c->exited);
	CHECK_EQ_INT(c ? c->uid : 0, UINT32_MAX);
	c = pc_procs_get(p, 7002, "orphan", 2 * SEC);
	CHECK(c && c->exited); /* not in /proc */

	/* exit: still named afterwards */
	pc_procs_exit(p, 7000, 2 * SEC);
	e = pc_procs_get(p, 7000, "curl", 3 * SEC);
	CHECK(e && e->exited && e->exit_ts_ns == 2 * SEC);
	CHECK_EQ_STR(e ? e->exe : NULL, "/usr/bin/curl");
	pc_procs_exit(p, 424242, SEC); /* unknown: ignored */
	CHECK(pc_procs_find(p, 424242) == NULL);

	/* the pid is reused: a fork replaces the exited entry */
	pc_procs_fork(p, 7000, 100, "fake-daemon");
	e = pc_procs_find(p, 7000);
	CHECK(e && !e->exited && !strcmp(e->comm, "fake-daemon"));
	CHECK_EQ_STR(e ? e->exe : NULL, "/usr/sbin/fake-daemon");
	pc_procs_free(p);
}

TEST(exited_then_reused)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	pc_procs_exec(p, 100, 1, 0, "gone", "/bin/gone", "gone", 4, 0);
	pc_procs_exit(p, 100, SEC);
	/* same comm: the exited entry, no /proc read */
	e = pc_procs_get(p, 100, "gone", 2 * SEC);
	CHECK(e && e->exited && !strcmp(e->comm, "gone"));
	/* another comm and a live process in /proc: the pid was reused */
	e = pc_procs_get(p, 100, "fake-daemon", 2 * SEC);
	CHECK(e && !e->exited && !strcmp(e->comm, "fake-daemon"));
	CHECK(e && e->cmdline && !strncmp(e->cmdline, "/usr/sbin/", 10));
	pc_procs_free(p);
}

TEST(zombie_refresh)
{
	struct pc_procs *p;
	const struct pc_proc *e;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	/* a zombie's /proc has lost exe and cmdline: what the events told
	 * is kept when a record's comm asks for a refresh */
	pc_procs_exec(p, 500, 100, 1000, "app", "/bin/app", "app\0-v", 6, 0);
	e = pc_procs_get(p, 500, "defunct", SEC);
	CHECK_EQ_STR(e ? e->comm : NULL, "app");
	CHECK_EQ_STR(e ? e->exe : NULL, "/bin/app");
	CHECK_EQ_STR(e ? e->cmdline : NULL, "app -v");
	CHECK(e && !e->exited);
	pc_procs_free(p);
}

TEST(expiry)
{
	struct pc_procs *p;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	CHECK(pc_procs_get(p, 100, NULL, SEC) != NULL);
	pc_procs_exec(p, 7000, 1, 0, "a", "/a", "a", 1, 0);
	pc_procs_exec(p, 7001, 1, 0, "b", "/b", "b", 1, 0);
	pc_procs_exit(p, 7000, 10 * SEC);
	pc_procs_expire(p, 12 * SEC, 5 * SEC);
	CHECK(pc_procs_find(p, 7000) != NULL);
	/* 7001 lost its exit event: the sweep finds it gone from /proc */
	CHECK(pc_procs_find(p, 7001) && pc_procs_find(p, 7001)->exited);
	CHECK_EQ_INT(pc_procs_find(p, 7001)->exit_ts_ns, 12 * SEC);
	CHECK(pc_procs_find(p, 100) && !pc_procs_find(p, 100)->exited);
	pc_procs_expire(p, 15 * SEC, 5 * SEC);
	CHECK(pc_procs_find(p, 7000) != NULL);
	pc_procs_expire(p, 15 * SEC + 1, 5 * SEC);
	CHECK(pc_procs_find(p, 7000) == NULL);
	CHECK(pc_procs_find(p, 7001) != NULL);
	pc_procs_expire(p, 18 * SEC, 5 * SEC);
	CHECK(pc_procs_find(p, 7001) == NULL);
	CHECK(pc_procs_find(p, 100) != NULL);
	CHECK_EQ_INT(pc_procs_count(p), 1);
	pc_procs_free(p);
}

TEST(many_pids)
{
	struct pc_procs *p;
	uint32_t pid;
	int missing = 0, wrong = 0;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	for (pid = 10000; pid < 30000; pid++)
		pc_procs_exec(p, pid, 1, pid, "x", "/x", "x", 1, 0);
	CHECK_EQ_INT(pc_procs_count(p), 20000);
	for (pid = 10000; pid < 30000; pid += 3)
		pc_procs_exit(p, pid, SEC);
	pc_procs_expire(p, 10 * SEC, SEC);
	for (pid = 10000; pid < 30000; pid++) {
		const struct pc_proc *e = pc_procs_find(p, pid);

		if ((pid - 10000) % 3 == 0)
			wrong += e != NULL;
		else if (!e || e->uid != pid)
			missing++;
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(missing, 0);
	CHECK_EQ_INT(pc_procs_count(p), 20000 - 6667);
	pc_procs_free(p);
}

TEST(scan)
{
	struct pc_procs *p;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	CHECK_EQ_INT(pc_procs_scan(p, SEC), 0);
	CHECK(pc_procs_find(p, 100) != NULL);
	CHECK(pc_procs_find(p, 200) != NULL);
	CHECK(pc_procs_find(p, 300) != NULL);
	CHECK(pc_procs_find(p, 500) != NULL);
	CHECK(pc_procs_find(p, 400) == NULL);
	CHECK_EQ_INT(pc_procs_count(p), 5); /* 400 as a remembered miss */
	pc_procs_free(p);

	CHECK_EQ_INT(pc_procs_new(&p, "tests/fixtures/nonexistent", NULL), 0);
	if (p)
		CHECK_EQ_INT(pc_procs_scan(p, SEC), -ENOENT);
	pc_procs_free(p);
}

/* ---- cgroups and users ---- */

TEST(cgroup_path_by_id)
{
	struct pc_procs *p;
	uint64_t ids[4];

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	pc_procs_set_clock(p, fake_clock);
	fake_now = 100 * SEC;
	ids[0] = ino_of(FIX_CG);
	ids[1] = ino_of(FIX_CG "/system.slice");
	ids[2] = ino_of(FIX_CG "/user.slice/user-1000.slice");
	ids[3] = ino_of(FIX_CG "/system.slice/fake.service/.keep");
	CHECK_EQ_STR(pc_cgroup_path(p, ids[1]), "/system.slice");
	CHECK_EQ_STR(pc_cgroup_path(p, ids[0]), "/");
	CHECK_EQ_STR(pc_cgroup_path(p, ids[2]), "/user.slice/user-1000.slice");
	CHECK(pc_cgroup_path(p, ids[3]) == NULL); /* a file is no cgroup */
	CHECK(pc_cgroup_path(p, 0) == NULL);
	pc_procs_free(p);

	/* no cgroup2 mount known: nothing */
	CHECK_EQ_INT(pc_procs_new(&p, "tests/fixtures/nonexistent", NULL), 0);
	if (p)
		CHECK(pc_cgroup_path(p, ids[1]) == NULL);
	pc_procs_free(p);
}

TEST(cgroup_walk_limits)
{
	char path[PATH_MAX], deep[PATH_MAX];
	struct pc_procs *p;
	uint64_t id;
	char *root = make_tmp();
	int i;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, root), 0);
	if (!p)
		goto out;
	pc_procs_set_clock(p, fake_clock);
	fake_now = 50 * SEC;
	CHECK(pc_cgroup_path(p, 1) == NULL); /* walks: nothing new */
	snprintf(path, sizeof(path), "%s/late", root);
	CHECK(mkdir(path, 0755) == 0);
	id = ino_of(path);
	/* at most one walk a second for unknown ids */
	fake_now += SEC / 2;
	CHECK(pc_cgroup_path(p, id) == NULL);
	fake_now += SEC / 2;
	CHECK_EQ_STR(pc_cgroup_path(p, id), "/late");

	/* depth is bounded: level 32 is found, level 33 is not */
	snprintf(deep, sizeof(deep), "%s", root);
	for (i = 1; i <= 33; i++) {
		strcat(deep, "/d");
		CHECK(mkdir(deep, 0755) == 0);
		if (i == 32)
			id = ino_of(deep);
	}
	fake_now += SEC;
	CHECK(pc_cgroup_path(p, id) != NULL);
	CHECK(pc_cgroup_path(p, ino_of(deep)) == NULL);
	pc_procs_free(p);
out:
	rm_tree(root);
}

/* An exec in a cgroup made after the last walk (a container that just
 * started) names its path at once, from /proc/PID/cgroup. */
TEST(cgroup_learned_from_exec)
{
	char path[PATH_MAX], pdir[PATH_MAX];
	struct pc_procs *p;
	uint64_t id;
	char *root = make_tmp(), *proc = make_tmp();

	snprintf(pdir, sizeof(pdir), "%s/900", proc);
	CHECK(mkdir(pdir, 0755) == 0);
	write_file(pdir, "cgroup", "0::/late\n", 9);
	CHECK_EQ_INT(pc_procs_new(&p, proc, root), 0);
	if (!p)
		goto out;
	pc_procs_set_clock(p, fake_clock);
	fake_now = 50 * SEC;
	CHECK(pc_cgroup_path(p, 1) == NULL); /* walks: nothing new */
	snprintf(path, sizeof(path), "%s/late", root);
	CHECK(mkdir(path, 0755) == 0);
	id = ino_of(path);
	pc_procs_exec(p, 900, 1, 0, "nc", "/bin/nc", "nc", 2, id);
	CHECK_EQ_STR(pc_cgroup_path(p, id), "/late"); /* no walk this second */
	/* an exec whose /proc says another cgroup teaches that one only */
	pc_procs_exec(p, 900, 1, 0, "nc", "/bin/nc", "nc", 2, id + 12345);
	CHECK(pc_cgroup_path(p, id + 12345) == NULL);
	pc_procs_free(p);
out:
	rm_tree(root);
	rm_tree(proc);
}

TEST(cgroup_id_of_path)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct pc_procs *p;
	uint64_t id = 0, want = ino_of(FIX_CG "/system.slice/fake.service");
	char *root;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	pc_procs_set_clock(p, fake_clock);
	fake_now = SEC;
	CHECK_EQ_INT(pc_cgroup_id(p, "/system.slice/fake.service", &id), 0);
	CHECK_EQ_INT(id, want);
	id = 0;
	CHECK_EQ_INT(pc_cgroup_id(p, "system.slice//./fake.service/", &id), 0);
	CHECK_EQ_INT(id, want);
	id = 0;
	CHECK_EQ_INT(pc_cgroup_id(p, FIX_CG "/system.slice/fake.service",
				  &id), 0);
	CHECK_EQ_INT(id, want);
	CHECK_EQ_INT(pc_cgroup_id(p, "/", &id), 0);
	CHECK_EQ_INT(id, ino_of(FIX_CG));
	CHECK_EQ_INT(pc_cgroup_id(p, "/nope", &id), -ENOENT);
	CHECK_EQ_INT(pc_cgroup_id(p, "/system.slice/../../..", &id), -ENOENT);
	CHECK_EQ_INT(pc_cgroup_id(p, "/system.slice/fake.service/.keep", &id),
		     -ENOENT);
	pc_procs_free(p);

	/* an absolute mount point: its prefix is stripped, a look-alike's
	 * is not; the id found names its path without a walk */
	root = make_tmp();
	snprintf(path, sizeof(path), "%s/a", root);
	CHECK(mkdir(path, 0755) == 0);
	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, root), 0);
	if (p) {
		pc_procs_set_clock(p, fake_clock);
		CHECK(pc_cgroup_path(p, 1) == NULL); /* uses up the walk */
		id = 0;
		CHECK_EQ_INT(pc_cgroup_id(p, path, &id), 0);
		CHECK_EQ_INT(id, ino_of(path));
		CHECK_EQ_STR(pc_cgroup_path(p, id), "/a");
		snprintf(other, sizeof(other), "%sX/a", root);
		CHECK_EQ_INT(pc_cgroup_id(p, other, &id), -ENOENT);
	}
	pc_procs_free(p);
	rm_tree(root);

	CHECK_EQ_INT(pc_procs_new(&p, "tests/fixtures/nonexistent", NULL), 0);
	if (p)
		CHECK_EQ_INT(pc_cgroup_id(p, "/", &id), -ENOENT);
	pc_procs_free(p);
}

TEST(user_names)
{
	struct pc_procs *p;
	struct passwd *pw;
	const char *name;

	CHECK_EQ_INT(pc_procs_new(&p, FIX_PROC, NULL), 0);
	if (!p)
		return;
	pw = getpwuid(0);
	name = pc_user_name(p, 0);
	if (pw)
		CHECK_EQ_STR(name, pw->pw_name);
	CHECK(pc_user_name(p, 0) == name); /* cached */
	CHECK(pc_user_name(p, UINT32_MAX) == NULL);
	if (!getpwuid(3999999999u))
		CHECK(pc_user_name(p, 3999999999u) == NULL);
	pc_procs_free(p);
}

/* ---- the real /proc ---- */

static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

TEST(live_self)
{
	char buf[4096], exe[PATH_MAX], cgroot[PATH_MAX], *nl, *cg;
	struct pc_procs *p;
	const struct pc_proc *e;
	ssize_t n;

	CHECK_EQ_INT(pc_procs_new(&p, "/proc", NULL), 0);
	if (!p)
		return;
	e = pc_procs_get(p, getpid(), NULL, SEC);
	CHECK(e != NULL);
	if (!e)
		goto out;
	CHECK_EQ_INT(e->pid, getpid());
	CHECK_EQ_INT(e->ppid, getppid());
	CHECK_EQ_INT(e->uid, getuid());
	CHECK(!e->exited);
	CHECK(read_small("/proc/self/comm", buf, sizeof(buf)) == 0);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	CHECK_EQ_STR(e->comm, buf);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	if (n > 0) {
		exe[n] = '\0';
		CHECK_EQ_STR(e->exe, exe);
	}
	CHECK(e->cmdline && !strncmp(e->cmdline, argv0, strlen(argv0)));
	/* cgroup: only where a cgroup2 mount exists (not hard-coded) */
	if (pc_find_cgroup2("/proc", cgroot, sizeof(cgroot)) == 0 &&
	    read_small("/proc/self/cgroup", buf, sizeof(buf)) == 0 &&
	    (cg = strstr(buf, "0::/")) && (cg == buf || cg[-1] == '\n')) {
		cg += 3;
		nl = strchr(cg, '\n');
		if (nl)
			*nl = '\0';
		CHECK(e->cgroup_id != 0);
		CHECK_EQ_STR(pc_cgroup_path(p, e->cgroup_id), cg);
	}
	CHECK_EQ_INT(pc_procs_scan(p, SEC), 0);
	CHECK(pc_procs_find(p, 1) != NULL);
	CHECK(pc_procs_count(p) > 1);
out:
	pc_procs_free(p);
}

int main(int argc, char **argv)
{
	(void)argc;
	argv0 = argv[0];
	RUN(parse_stat);
	RUN(parse_status);
	RUN(parse_cgroup_file);
	RUN(parse_mountinfo);
	RUN(join_args);
	RUN(find_cgroup2);
	RUN(fixture_daemon);
	RUN(fixture_hostile);
	RUN(fixture_kthread_zombie_broken);
	RUN(vanished_pid);
	RUN(negative_cache);
	RUN(comm_change_refresh);
	RUN(exec_fork_exit);
	RUN(exited_then_reused);
	RUN(zombie_refresh);
	RUN(expiry);
	RUN(many_pids);
	RUN(scan);
	RUN(cgroup_path_by_id);
	RUN(cgroup_walk_limits);
	RUN(cgroup_learned_from_exec);
	RUN(cgroup_id_of_path);
	RUN(user_names);
	RUN(live_self);
	return UNIT_DONE();
}
