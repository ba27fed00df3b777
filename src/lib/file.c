/* The one reader of small files for /proc, cgroups and mountinfo: loops
 * over short reads and EINTR. Not for parsing or for capture files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/file.h"

/* Reads from fd until EOF or cap bytes. */
static int read_fd(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += r;
	}
	*len = n;
	return 0;
}

int pc_read_at(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_fd(fd, buf, cap, len);
	close(fd);
	return err;
}

long pc_read_str_at(int dirfd, const char *name, char *buf, size_t cap)
{
	size_t n = 0;
	int err = pc_read_at(dirfd, name, buf, cap - 1, &n);

	if (err)
		return err;
	buf[n] = 0;
	return (long)n;
}

int pc_read_alloc(const char *path, size_t max, char **out, size_t *len)
{
	size_t cap = 8192, n = 0, got;
	char *buf = NULL, *nb;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!buf || n == cap) {
			if (buf)
				cap *= 2;
			if (cap > max) {
				err = -EFBIG;
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		err = read_fd(fd, buf + n, cap - n, &got);
		if (err)
			goto out;
		if (!got)
			break;
		n += got;
	}
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}
