/* cgroup v2 on the file system: the mount point from mountinfo, the walk
 * that names every cgroup id, and the id of a path. Not for caching the
 * answers or anything about processes: procinfo.c does that. */
#include "lib/file.h"
#include "proc/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/procparse.h"

#define PC_MOUNTINFO_MAX (16u << 20)
#define PC_CG_WALK_DEPTH 32
#define PC_CG_WALK_DIRS 65536

int pc_find_cgroup2(const char *proc_root, char *buf, size_t len)
{
	char path[PATH_MAX], *data = NULL;
	size_t n = 0;
	int err;

	if (snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root) >=
	    (int)sizeof(path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	err = pc_read_alloc(path, PC_MOUNTINFO_MAX, &data, &n);
	if (err)
		goto out;
	err = pc_parse_mountinfo_cgroup2(data, n, buf, len);
out:
	free(data);
	return err;
}

/* Visits every directory below fd (which it closes), rel being the path
 * of fd relative to the cgroup2 root ("" for the root itself). */
static void cg_walk_dir(int fd, dev_t dev, char *rel, size_t rlen,
			int depth, size_t *budget, pc_cgroup2_visit_fn *visit,
			void *ctx)
{
	struct dirent *de;
	struct stat st;
	size_t nlen;
	DIR *d;
	int cfd;

	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while (*budget && (de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nlen = strlen(de->d_name);
		if (rlen + 1 + nlen >= PATH_MAX)
			continue;
		cfd = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		if (fstat(cfd, &st) || st.st_dev != dev) {
			close(cfd);
			continue;
		}
		(*budget)--;
		rel[rlen] = '/';
		memcpy(rel + rlen + 1, de->d_name, nlen + 1);
		visit(ctx, st.st_ino, rel);
		if (depth + 1 < PC_CG_WALK_DEPTH)
			cg_walk_dir(cfd, dev, rel, rlen + 1 + nlen,
				    depth + 1, budget, visit, ctx);
		else
			close(cfd);
		rel[rlen] = '\0';
	}
	closedir(d);
}

int pc_cgroup2_walk(const char *root, pc_cgroup2_visit_fn *visit, void *ctx)
{
	size_t budget = PC_CG_WALK_DIRS;
	char rel[PATH_MAX] = "";
	struct stat st;
	int fd, err = 0;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		goto out;
	}
	visit(ctx, st.st_ino, "/");
	cg_walk_dir(fd, st.st_dev, rel, 0, 0, &budget, visit, ctx);
out:
	return err;
}

/* root + rel, where rel starts with '/'. */
static int cg_full_path(const char *root, const char *rel, char *buf,
			size_t len)
{
	if (!strcmp(root, "/"))
		root = "";
	if (snprintf(buf, len, "%s%s", root, rel) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int pc_cgroup2_dir_id(const char *root, const char *rel, uint64_t *id)
{
	char full[PATH_MAX];
	struct stat st;
	int err;

	err = cg_full_path(root, rel, full, sizeof(full));
	if (err)
		goto out;
	if (stat(full, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		err = -ENOTDIR;
		goto out;
	}
	*id = st.st_ino;
out:
	return err;
}

/* Canonical "/a/b" form of a path relative to the root; ".." refused. */
static int cg_normalize(const char *s, char *out, size_t outlen)
{
	size_t n = 0, len;
	const char *seg;

	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		seg = s;
		while (*s && *s != '/')
			s++;
		len = s - seg;
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return -ENOENT;
		if (n + 1 + len >= outlen)
			return -ENOENT;
		out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

int pc_cgroup2_path_id(const char *root, const char *path, char *rel,
		       size_t rellen, uint64_t *id)
{
	char full[PATH_MAX];
	struct stat rst, st;
	size_t rootlen;
	int err = -ENOENT;

	rootlen = strlen(root);
	if (strcmp(root, "/") && !strncmp(path, root, rootlen) &&
	    (path[rootlen] == '/' || path[rootlen] == '\0'))
		path += rootlen;
	if (cg_normalize(path, rel, rellen) ||
	    cg_full_path(root, rel, full, sizeof(full)))
		goto out;
	/* Must be a directory of the cgroup2 file system itself. */
	if (stat(root, &rst) || stat(full, &st) || !S_ISDIR(st.st_mode) ||
	    st.st_dev != rst.st_dev)
		goto out;
	*id = st.st_ino;
	err = 0;
out:
	return err;
}

/* FILEID_KERNFS: cgroup v2 directories are exported by their kernfs id,
 * which is the cgroup id. */
#define PC_FILEID_KERNFS 0xfe

int pc_cgroup2_id_path(const char *root, uint64_t id, char *rel, size_t rellen)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], full[PATH_MAX];
	size_t rootlen = strlen(root);
	int mfd, fd, err = 0;
	ssize_t n;

	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = PC_FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	full[n] = 0;
	if (!strcmp(root, "/"))
		rootlen = 0;
	/* the mount point itself, or below it on the same mount */
	if (strncmp(full, root, rootlen) || (full[rootlen] && full[rootlen] != '/')) {
		err = -EXDEV;
		goto out;
	}
	if (snprintf(rel, rellen, "%s", full[rootlen] ? full + rootlen : "/") >= (int)rellen)
		err = -ENAMETOOLONG;
out:
	close(mfd);
	return err;
}

int pc_cgroup_under(const char *path, const char *top)
{
	size_t n = strlen(top);

	while (n > 1 && top[n - 1] == '/')
		n--;
	if (n == 1 && top[0] == '/')
		return path[0] == '/';
	return !strncmp(path, top, n) && (path[n] == 0 || path[n] == '/');
}
