/* Escapers for untrusted strings: JSON string bodies and terminal-safe text.
 * Output is always NUL-terminated and truncated only between whole escapes.
 * Not for parsing, quoting or allocation: callers own the buffers. */
#include "lib/escape.h"
#include "lib/strbuf.h"

#include <string.h>

static const char hexdig[] = "0123456789abcdef";

/* Length (2..4) of the well-formed UTF-8 sequence at s, 0 if ill-formed:
 * no overlongs, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t pc_escape_json(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	struct pc_sb sb;
	size_t i = 0, n;
	char esc[6];

	if (!dstsz)
		return 0;
	pc_sb_fixed(&sb, dst, dstsz);
	while (i < srclen) {
		unsigned char c = s[i];
		const char *out = esc;

		n = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' ||
			   c == '\f') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' :
				 c == '\t' ? 't' :
				 c == '\r' ? 'r' :
				 c == '\b' ? 'b' :
					     'f';
			n = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			out = (const char *)s + i;
		} else if (c >= 0x80 && (n = utf8_len(s + i, srclen - i))) {
			out = (const char *)s + i;
		} else {
			/* other controls, DEL and bytes of invalid UTF-8 */
			memcpy(esc, "\\u00", 4);
			esc[4] = hexdig[c >> 4];
			esc[5] = hexdig[c & 0xf];
			n = 6;
		}
		if (pc_sb_put_whole(&sb, out, n))
			break;
		/* a kept UTF-8 sequence consumes n source bytes; escapes 1 */
		i += out == esc ? 1 : n;
	}
	return sb.len;
}

size_t pc_escape_text(char *dst, size_t dstsz, const char *src, size_t srclen,
		      int space_too)
{
	const unsigned char *s = (const unsigned char *)src;
	struct pc_sb sb;
	size_t i, n;
	char esc[4];

	if (!dstsz)
		return 0;
	pc_sb_fixed(&sb, dst, dstsz);
	for (i = 0; i < srclen; i++) {
		unsigned char c = s[i];

		if (c == '\\') {
			esc[0] = esc[1] = '\\';
			n = 2;
		} else if (c > 0x20 && c < 0x7f &&
			   !(space_too == 1 && (c == '=' || c == '"')) &&
			   !(space_too == PC_ESC_QUOTED && c == '"')) {
			esc[0] = (char)c;
			n = 1;
		} else if (c == ' ' && space_too != 1) {
			esc[0] = ' ';
			n = 1;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hexdig[c >> 4];
			esc[3] = hexdig[c & 0xf];
			n = 4;
		}
		if (pc_sb_put_whole(&sb, esc, n))
			break;
	}
	return sb.len;
}
