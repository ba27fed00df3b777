/* The one string builder: appends to a caller's fixed buffer (truncating,
 * always NUL-terminated) or to a malloc'd one that grows. For the printer's
 * lines, the escapers and the exporter's metrics text. Not for binary
 * blocks (pcapfile/pcapng_write.c) or for escaping (lib/escape.c). */
#ifndef PIDCAP_STRBUF_H
#define PIDCAP_STRBUF_H

#include <stddef.h>
#include <string.h>

struct pc_sb {
	char *buf;
	size_t len, cap; /* cap includes the NUL */
	int grow;        /* buf is malloc'd and grows; else it is cut */
	int oom;         /* growing failed: the text is incomplete */
};

/* A fixed buffer of cap bytes (cap >= 1 to hold anything). */
static inline void pc_sb_fixed(struct pc_sb *sb, char *buf, size_t cap)
{
	*sb = (struct pc_sb){ .buf = buf, .cap = cap };
	if (cap)
		buf[0] = 0;
}

/* A growing buffer, cap bytes to start. Returns 0 or -ENOMEM; free(sb->buf). */
int pc_sb_alloc(struct pc_sb *sb, size_t cap);

/* Bytes that still fit before the NUL (fixed buffers). */
static inline size_t pc_sb_room(const struct pc_sb *sb)
{
	return sb->len + 1 < sb->cap ? sb->cap - sb->len - 1 : 0;
}

/* Appends s[0..n) only if all of it fits: 0, or -1 (nothing written).
 * Keeps escapes whole. Fixed buffers only. */
static inline int pc_sb_put_whole(struct pc_sb *sb, const char *s, size_t n)
{
	if (!sb->cap || n >= sb->cap - sb->len)
		return -1;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
	return 0;
}

/* Appends s, cut to what fits (fixed buffers). */
static inline void pc_sb_puts(struct pc_sb *sb, const char *s)
{
	size_t n = strlen(s), room = pc_sb_room(sb);

	if (!room)
		return;
	if (n > room)
		n = room;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

/* printf to the end: cut (fixed) or grown (growing; oom set on failure). */
void pc_sb_printf(struct pc_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
