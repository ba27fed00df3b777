/* Formats and parses the key=value process comment of pcapng packets, so
 * that the writer (pcapng_write.c via capout.c) and the reader
 * (capfile_read.c) agree on one format. Not for file I/O or printing. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "lib/escape.h"
#include "pcapfile/pcapng_comment.h"

struct obuf {
	char *buf;
	size_t len, cap; /* cap includes the NUL */
	int full;
};

static void put_raw(struct obuf *o, const char *s, size_t n)
{
	if (o->full || n >= o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void put_u32(struct obuf *o, const char *prefix, const char *key, uint32_t v)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%s%s%s=%u", o->len ? " " : "", prefix, key, v);

	put_raw(o, tmp, (size_t)n);
}

static void put_str(struct obuf *o, const char *prefix, const char *key, const char *s)
{
	char tmp[PC_META_VALUE_MAX + 1];
	size_t n;

	if (o->len)
		put_raw(o, " ", 1);
	put_raw(o, prefix, strlen(prefix));
	put_raw(o, key, strlen(key));
	put_raw(o, "=", 1);
	n = pc_escape_text(tmp, sizeof(tmp), s, strlen(s), 1);
	put_raw(o, tmp, n);
}

static void put_who(struct obuf *o, const char *prefix, const struct pc_meta_who *w)
{
	put_u32(o, prefix, "pid", w->pid);
	put_u32(o, prefix, "tid", w->tid);
	put_str(o, prefix, "comm", w->comm);
	if (w->has_exe)
		put_str(o, prefix, "exe", w->exe);
	if (w->has_uid)
		put_u32(o, prefix, "uid", w->uid);
	if (w->has_user)
		put_str(o, prefix, "user", w->user);
	if (w->has_cgroup)
		put_str(o, prefix, "cgroup", w->cgroup);
	if (w->has_cmdline)
		put_str(o, prefix, "cmdline", w->cmdline);
	if (!w->has_container)
		return;
	if (w->ct.id[0])
		put_str(o, prefix, "container_id", w->ct.id);
	if (w->ct.name[0])
		put_str(o, prefix, "container_name", w->ct.name);
	if (w->ct.image[0])
		put_str(o, prefix, "container_image", w->ct.image);
	if (w->ct.pod[0])
		put_str(o, prefix, "pod", w->ct.pod);
	if (w->ct.pod_ns[0])
		put_str(o, prefix, "pod_namespace", w->ct.pod_ns);
}

int pc_comment_format(const struct pc_meta *m, char *buf, size_t len)
{
	struct obuf o = { buf, 0, len, 0 };

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	if (m->owner.known)
		put_who(&o, "", &m->owner);
	else
		put_raw(&o, "owner=none", 10);
	if (m->peer.known)
		put_who(&o, "peer_", &m->peer);
	if (m->segs > 1)
		put_u32(&o, "", "segs", m->segs);
	if (m->listener)
		put_u32(&o, "", "listener", 1);
	return o.full ? -ENOSPC : (int)o.len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pc_comment_unescape(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n; i++) {
		c = v[i];
		if (c == '\\') {
			if (i + 1 < n && v[i + 1] == '\\') {
				i++;
			} else if (i + 3 < n && v[i + 1] == 'x' && (hi = hexval(v[i + 2])) >= 0 &&
				   (lo = hexval(v[i + 3])) >= 0) {
				c = (char)(hi << 4 | lo);
				i += 3;
			} else {
				return -EINVAL;
			}
		}
		if (!c)
			return -EINVAL;
		if (o + 1 < outlen)
			out[o] = c;
		o++;
	}
	out[o + 1 < outlen ? o : outlen - 1] = 0;
	return o > 0x7fffffff ? -EINVAL : (int)o;
}

static int parse_u32(const char *v, size_t n, uint32_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (!n || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

static int key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(k, name, klen);
}

/* The container keys of one end; others are skipped. */
static int set_container(struct pc_meta_who *w, const char *k, size_t kl, const char *v,
			 size_t vl)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
#define CT_KEY(k, f) { k, offsetof(struct pc_container, f), sizeof(((struct pc_container *)0)->f) }
		CT_KEY("container_id", id),
		CT_KEY("container_name", name),
		CT_KEY("container_image", image),
		CT_KEY("pod", pod),
		CT_KEY("pod_namespace", pod_ns),
#undef CT_KEY
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!key_is(k, kl, keys[i].key))
			continue;
		w->has_container = 1;
		return pc_comment_unescape(v, vl, (char *)&w->ct + keys[i].off, keys[i].len) < 0
			       ? -EINVAL
			       : 0;
	}
	return 0; /* unknown: skipped */
}

/* One key=value of one end (key without the "peer_" prefix). */
static int set_who(struct pc_meta_who *w, const char *k, size_t kl, const char *v, size_t vl)
{
	int n;

	if (key_is(k, kl, "pid")) {
		w->known = 1;
		return parse_u32(v, vl, &w->pid);
	}
	if (key_is(k, kl, "tid"))
		return parse_u32(v, vl, &w->tid);
	if (key_is(k, kl, "uid")) {
		w->has_uid = 1;
		return parse_u32(v, vl, &w->uid);
	}
	if (key_is(k, kl, "comm")) {
		n = pc_comment_unescape(v, vl, w->comm, sizeof(w->comm));
		return n < 0 || n > PC_COMM_LEN ? -EINVAL : 0;
	}
	if (key_is(k, kl, "exe"))
		return (w->has_exe = 1, pc_comment_unescape(v, vl, w->exe, sizeof(w->exe)) < 0 ? -EINVAL : 0);
	if (key_is(k, kl, "cmdline"))
		return (w->has_cmdline = 1,
			pc_comment_unescape(v, vl, w->cmdline, sizeof(w->cmdline)) < 0 ? -EINVAL : 0);
	if (key_is(k, kl, "cgroup"))
		return (w->has_cgroup = 1,
			pc_comment_unescape(v, vl, w->cgroup, sizeof(w->cgroup)) < 0 ? -EINVAL : 0);
	if (key_is(k, kl, "user"))
		return (w->has_user = 1, pc_comment_unescape(v, vl, w->user, sizeof(w->user)) < 0 ? -EINVAL : 0);
	return set_container(w, k, kl, v, vl);
}

int pc_comment_parse(const char *s, size_t len, struct pc_meta *m)
{
	size_t i = 0, ks, kl, vs, vl;
	uint32_t v;
	int ret = 0;

	memset(&m->owner, 0, sizeof(m->owner));
	memset(&m->peer, 0, sizeof(m->peer));
	m->segs = 0;
	m->listener = 0;
	if (!starts(s, len, "pid=") && !starts(s, len, "owner=none"))
		return -ENOENT;
	while (i < len && !ret) {
		ks = i;
		while (i < len && s[i] != '=' && s[i] != ' ')
			i++;
		kl = i - ks;
		if (i >= len || s[i] != '=' || !kl) {
			ret = -EINVAL;
			break;
		}
		vs = ++i;
		while (i < len && s[i] != ' ')
			i++;
		vl = i - vs;
		if (i < len)
			i++; /* the separating space */
		if (kl > 5 && !memcmp(s + ks, "peer_", 5))
			ret = set_who(&m->peer, s + ks + 5, kl - 5, s + vs, vl);
		else if (key_is(s + ks, kl, "segs"))
			ret = parse_u32(s + vs, vl, &m->segs);
		else if (key_is(s + ks, kl, "listener"))
			ret = parse_u32(s + vs, vl, &v) ? -EINVAL : (m->listener = v != 0, 0);
		else if (key_is(s + ks, kl, "owner"))
			ret = vl == 4 && !memcmp(s + vs, "none", 4) ? 0 : -EINVAL;
		else
			ret = set_who(&m->owner, s + ks, kl, s + vs, vl);
	}
	if (ret) {
		memset(&m->owner, 0, sizeof(m->owner));
		memset(&m->peer, 0, sizeof(m->peer));
		m->segs = 0;
		m->listener = 0;
	}
	return ret;
}
