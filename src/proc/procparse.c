/* Parsers of /proc contents: stat, status, cgroup, mountinfo, argv, pid
 * directory names. Pure: bytes in, fields out, bounds-checked, no I/O and
 * no state. Not for reading /proc or caching (procinfo.c, cgroups.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr; the fuzz build does not pass it */
#endif
#include "proc/procparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char **pos, const char *end, uint64_t *out)
{
	const char *s = *pos;
	uint64_t v = 0;
	unsigned int d;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		s++;
	}
	*pos = s;
	*out = v;
	return 0;
}

static int parse_u32(const char **pos, const char *end, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(pos, end, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

void pc_copy_comm(char dst[16], const char *src, size_t len)
{
	if (len > PC_COMM_MAX)
		len = PC_COMM_MAX;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int pc_parse_stat(const char *buf, size_t len, struct pc_stat_fields *out)
{
	const char *s = buf, *end = buf + len, *comm, *close;
	uint64_t v;
	int field;

	memset(out, 0, sizeof(*out));
	if (parse_u32(&s, end, &out->pid))
		return -EINVAL;
	if (end - s < 2 || s[0] != ' ' || s[1] != '(')
		return -EINVAL;
	comm = s + 2;
	/* comm is free text: only the last ')' ends it. */
	close = memrchr(comm, ')', end - comm);
	if (!close)
		return -EINVAL;
	pc_copy_comm(out->comm, comm, close - comm);
	s = close + 1;
	if (end - s < 3 || s[0] != ' ' || s[2] != ' ')
		return -EINVAL;
	out->state = s[1];
	s += 3;
	if (parse_u32(&s, end, &out->ppid))
		return -EINVAL;
	/* Fields 5..21 are skipped, field 22 is starttime. */
	for (field = 5; field <= 22; field++) {
		if (s >= end || *s != ' ')
			return 0;
		s++;
		if (field == 22)
			break;
		while (s < end && *s != ' ' && *s != '\n')
			s++;
	}
	if (!parse_u64(&s, end, &v))
		out->starttime = v;
	return 0;
}

/* Returns the value after "name:" and blanks when line starts with it. */
static const char *status_value(const char *line, const char *end,
				const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(end - line) < n || memcmp(line, name, n) != 0)
		return NULL;
	line += n;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	return line;
}

int pc_parse_status(const char *buf, size_t len,
		    struct pc_status_fields *out)
{
	const char *s = buf, *end = buf + len, *eol, *v;

	memset(out, 0, sizeof(*out));
	while (s < end) {
		eol = memchr(s, '\n', end - s);
		if (!eol)
			eol = end;
		if ((v = status_value(s, eol, "Uid:")))
			out->has_uid = !parse_u32(&v, eol, &out->uid);
		else if ((v = status_value(s, eol, "Tgid:")))
			out->has_tgid = !parse_u32(&v, eol, &out->tgid);
		else if ((v = status_value(s, eol, "PPid:")))
			out->has_ppid = !parse_u32(&v, eol, &out->ppid);
		s = eol + 1;
	}
	return out->has_uid ? 0 : -EINVAL;
}

int pc_parse_cgroup_file(const char *buf, size_t len, char *out,
			 size_t outlen)
{
	const char *s = buf, *end = buf + len, *eol;
	size_t n = 0;

	while (s < end) {
		eol = memchr(s, '\n', end - s);
		if (!eol)
			eol = end;
		n = eol - s;
		if (n >= 4 && memcmp(s, "0::/", 4) == 0 &&
		    !memchr(s, '\0', n)) {
			n -= 3;
			if (n >= outlen)
				return -ENAMETOOLONG;
			memcpy(out, s + 3, n);
			out[n] = '\0';
			return 0;
		}
		s = eol + 1;
	}
	return -ENOENT;
}

/* Next space-separated field of a line; returns 0 at the end. */
static int next_field(const char **pos, const char *end, const char **f,
		      size_t *flen)
{
	const char *s = *pos;

	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return 0;
	*f = s;
	while (s < end && *s != ' ')
		s++;
	*flen = s - *f;
	*pos = s;
	return 1;
}

/* Undoes mountinfo's octal escapes ("\040" is a space). */
static int unescape_path(const char *f, size_t flen, char *out, size_t outlen)
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < flen; i++) {
		c = f[i];
		if (c == '\\' && flen - i >= 4 && f[i + 1] >= '0' &&
		    f[i + 1] <= '3' && f[i + 2] >= '0' && f[i + 2] <= '7' &&
		    f[i + 3] >= '0' && f[i + 3] <= '7') {
			c = (f[i + 1] - '0') << 6 | (f[i + 2] - '0') << 3 |
			    (f[i + 3] - '0');
			i += 3;
		}
		if (c == '\0')
			return -EINVAL;
		if (n + 1 >= outlen)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	if (!n || n >= outlen)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL
 * FIELDS...] - FSTYPE SOURCE SUPEROPTIONS". -ENOENT unless it is cgroup2. */
static int mountinfo_line(const char *s, const char *eol, char *out,
			  size_t outlen)
{
	const char *f, *mnt = NULL;
	size_t flen, mntlen = 0;
	int idx, err;

	for (idx = 0; next_field(&s, eol, &f, &flen); idx++) {
		if (idx == 4) {
			mnt = f;
			mntlen = flen;
		}
		if (idx >= 6 && flen == 1 && *f == '-')
			break;
	}
	if (!mnt || idx < 6 || !next_field(&s, eol, &f, &flen) ||
	    flen != 7 || memcmp(f, "cgroup2", 7) != 0)
		return -ENOENT;
	err = unescape_path(mnt, mntlen, out, outlen);
	return err == -EINVAL ? -ENOENT : err;
}

int pc_parse_mountinfo_cgroup2(const char *buf, size_t len, char *out,
			       size_t outlen)
{
	const char *s = buf, *end = buf + len, *eol;
	int err;

	while (s < end) {
		eol = memchr(s, '\n', end - s);
		if (!eol)
			eol = end;
		err = mountinfo_line(s, eol, out, outlen);
		if (err != -ENOENT)
			return err;
		s = eol + 1;
	}
	return -ENOENT;
}

char *pc_join_args(const char *args, size_t len)
{
	char *s;
	size_t i;

	if (len && args[len - 1] == '\0')
		len--;
	if (len > PC_CMDLINE_MAX)
		len = PC_CMDLINE_MAX;
	if (!len)
		return NULL;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (i = 0; i < len; i++)
		s[i] = args[i] ? args[i] : ' ';
	s[len] = '\0';
	return s;
}

int pc_parse_pid_name(const char *name, uint32_t *pid)
{
	const char *s = name;

	if (name[0] == '0' || parse_u32(&s, name + strlen(name), pid) || *s)
		return -EINVAL;
	return 0;
}
