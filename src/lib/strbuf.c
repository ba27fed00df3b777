/* printf into a string builder, cutting or growing. Not for binary data. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/strbuf.h"

int pc_sb_alloc(struct pc_sb *sb, size_t cap)
{
	*sb = (struct pc_sb){ .cap = cap, .grow = 1 };
	sb->buf = malloc(cap);
	if (!sb->buf)
		return -ENOMEM;
	sb->buf[0] = 0;
	return 0;
}

void pc_sb_printf(struct pc_sb *sb, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *np;
	int n;

	if (!sb->grow) {
		if (!pc_sb_room(sb))
			return;
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		sb->len += (size_t)n < sb->cap - sb->len ? (size_t)n : sb->cap - sb->len - 1;
		return;
	}
	for (;;) {
		va_start(ap, fmt);
		n = sb->oom ? 0 : vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (sb->oom || n < 0) {
			sb->oom = 1;
			return;
		}
		if ((size_t)n < sb->cap - sb->len) {
			sb->len += n;
			return;
		}
		cap = (sb->cap + n + 1) * 2;
		np = realloc(sb->buf, cap);
		if (!np) {
			sb->oom = 1;
			return;
		}
		sb->buf = np;
		sb->cap = cap;
	}
}
