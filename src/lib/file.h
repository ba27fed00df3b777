/* Reading small files whole: /proc and cgroup files, mountinfo. Retries
 * short reads and EINTR. Not for parsing what they hold (proc/procparse.c)
 * or for files that grow while read (capture files: pcapfile/). */
#ifndef PIDCAP_FILE_H
#define PIDCAP_FILE_H

#include <stddef.h>

/* Reads at most cap bytes of dirfd/name into buf (no NUL added) and sets
 * *len. Returns 0 or a negative errno (openat's or read's). */
int pc_read_at(int dirfd, const char *name, char *buf, size_t cap, size_t *len);
/* The same, NUL-terminated: at most cap - 1 bytes (cap >= 1). Returns the
 * length or a negative errno. */
long pc_read_str_at(int dirfd, const char *name, char *buf, size_t cap);
/* Reads the whole file into a malloc'd buffer (*out, to free) of at most
 * max bytes. Returns 0, -EFBIG when it is larger, -ENOMEM or -errno. */
int pc_read_alloc(const char *path, size_t max, char **out, size_t *len);

#endif
