/* /proc/PID/fd socket links -> (pid, socket inode), and a process's comm,
 * uid, cgroup and start time, for the fallback backend. Reads only what
 * it is asked for; processes may vanish at any step and that is no error.
 * Not for caching or deciding owners (fallback/owner_rules.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fallback/procfd.h"
#include "lib/file.h"
#include "proc/procparse.h"

int pc_procfd_parse_link(const char *target, size_t len, uint32_t *inode)
{
	static const char prefix[] = "socket:[";
	size_t plen = sizeof(prefix) - 1, i;
	uint64_t v = 0;

	if (len < plen + 2 || memcmp(target, prefix, plen) || target[len - 1] != ']')
		return -EINVAL;
	for (i = plen; i < len - 1; i++) {
		if (target[i] < '0' || target[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(target[i] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (i == plen || !v)
		return -EINVAL;
	*inode = (uint32_t)v;
	return 0;
}

static int open_pid_dir(const char *proc_root, uint32_t pid)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%u", proc_root, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ESRCH : -errno;
	return fd;
}

static int scan_fd_dir(int piddir, uint32_t pid, pc_procfd_fn fn, void *ctx, uint32_t *count)
{
	char target[64];
	struct dirent *de;
	uint32_t inode;
	ssize_t n;
	DIR *d;
	int fd, ret = 0;

	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ESRCH ? -ESRCH : -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
		if (n <= 0 || (size_t)n >= sizeof(target)) /* closed meanwhile, or no socket */
			continue;
		if (pc_procfd_parse_link(target, n, &inode))
			continue;
		if (count)
			(*count)++;
		if (fn(ctx, pid, inode))
			break;
	}
	closedir(d);
	return 0;
}

int pc_procfd_scan_pid(const char *proc_root, uint32_t pid, pc_procfd_fn fn, void *ctx)
{
	int dir = open_pid_dir(proc_root, pid), ret;

	if (dir < 0)
		return dir;
	ret = scan_fd_dir(dir, pid, fn, ctx, NULL);
	close(dir);
	return ret;
}

int pc_procfd_scan_all(const char *proc_root, pc_procfd_fn fn, void *ctx,
		       struct pc_procfd_stats *st)
{
	struct pc_procfd_stats local;
	struct dirent *de;
	uint32_t pid;
	DIR *root;
	int dir;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	root = opendir(proc_root);
	if (!root)
		return -errno;
	while ((de = readdir(root))) {
		if (pc_parse_pid_name(de->d_name, &pid))
			continue;
		dir = openat(dirfd(root), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0) {
			st->vanished++;
			continue;
		}
		st->pids++;
		if (scan_fd_dir(dir, pid, fn, ctx, &st->sockets))
			st->vanished++;
		close(dir);
	}
	closedir(root);
	return 0;
}

int pc_procfd_read_info(const char *proc_root, uint32_t pid, struct pc_procfd_info *out)
{
	struct pc_status_fields status;
	struct pc_stat_fields stat;
	char buf[4096];
	ssize_t n;
	int dir, ret = 0;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	dir = open_pid_dir(proc_root, pid);
	if (dir < 0)
		return dir;
	n = pc_read_str_at(dir, "stat", buf, sizeof(buf));
	if (n < 0) {
		ret = n == -ENOENT || n == -ESRCH ? -ESRCH : (int)n;
		goto out;
	}
	if (pc_parse_stat(buf, n, &stat) || stat.pid != pid) {
		ret = -EINVAL;
		goto out;
	}
	memcpy(out->comm, stat.comm, sizeof(out->comm));
	out->ppid = stat.ppid;
	out->starttime = stat.starttime;
	n = pc_read_str_at(dir, "status", buf, sizeof(buf));
	if (n > 0 && !pc_parse_status(buf, n, &status) && status.has_uid) {
		out->uid = status.uid;
		out->has_uid = 1;
	}
	n = pc_read_str_at(dir, "cgroup", buf, sizeof(buf));
	if (n > 0 && pc_parse_cgroup_file(buf, n, out->cgroup, sizeof(out->cgroup)))
		out->cgroup[0] = 0;
out:
	close(dir);
	return ret;
}

int pc_procfd_read_exec(const char *proc_root, uint32_t pid, char *exe, size_t exe_len,
			char *args, size_t args_len, size_t *args_used)
{
	int dir = open_pid_dir(proc_root, pid), got = 0;
	size_t len;
	ssize_t n;

	*args_used = 0;
	if (exe_len)
		exe[0] = 0;
	if (dir < 0)
		return dir;
	n = exe_len > 1 ? readlinkat(dir, "exe", exe, exe_len - 1) : -1;
	if (n > 0) {
		exe[n] = 0;
		got = 1;
	}
	if (!pc_read_at(dir, "cmdline", args, args_len, &len) && len > 0) {
		*args_used = len;
		got = 1;
	}
	close(dir);
	return got ? 0 : -ESRCH;
}
