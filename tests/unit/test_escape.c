/* Unit tests for src/lib/escape.c: hostile process names and command lines,
 * UTF-8 handling and truncation at every buffer size.
 * Not for callers' quoting or NUL-to-space conversion of argv. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/escape.h"
#include "unit.h"

/* Escapes src with a large buffer; returns a static copy. */
static const char *json(const char *src, size_t n)
{
	static char buf[4096];

	pc_escape_json(buf, sizeof(buf), src, n);
	return buf;
}

static const char *text(const char *src, size_t n, int space_too)
{
	static char buf[4096];

	pc_escape_text(buf, sizeof(buf), src, n, space_too);
	return buf;
}

#define JSON(s) json(s, sizeof(s) - 1)
#define TEXT(s) text(s, sizeof(s) - 1, 0)
#define KV(s) text(s, sizeof(s) - 1, 1)

/* Independent check that s is well-formed UTF-8 with no raw controls. */
static int valid_json_body(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, k;
	uint32_t cp, min;

	while (s[i]) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] == '"')
			return 0; /* quotes are always escaped */
		if (s[i] == '\\') {
			if (!s[i + 1] || !strchr("\"\\/bfnrtu", s[i + 1]))
				return 0;
			i += s[i + 1] == 'u' ? 6 : 2;
			continue;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

TEST(json_plain_and_specials)
{
	CHECK_EQ_STR(JSON("bash"), "bash");
	CHECK_EQ_STR(JSON(""), "");
	CHECK_EQ_STR(JSON("a\"b\\c/d"), "a\\\"b\\\\c/d");
	CHECK_EQ_STR(JSON("\n\t\r\b\f"), "\\n\\t\\r\\b\\f");
	CHECK_EQ_STR(JSON("\x1b[31mred\x1b[0m"), "\\u001b[31mred\\u001b[0m");
	CHECK_EQ_STR(JSON("\x01\x1f\x7f"), "\\u0001\\u001f\\u007f");
	CHECK_EQ_STR(JSON("a\0b"), "a\\u0000b");
	CHECK_EQ_STR(JSON("\"},{\"pid\":1"), "\\\"},{\\\"pid\\\":1");
}

TEST(json_utf8)
{
	/* valid multibyte sequences are kept as they are */
	CHECK_EQ_STR(JSON("h\xc3\xa9llo"), "h\xc3\xa9llo");
	CHECK_EQ_STR(JSON("\xe2\x82\xac"), "\xe2\x82\xac");
	CHECK_EQ_STR(JSON("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	CHECK_EQ_STR(JSON("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");
	CHECK_EQ_STR(JSON("\xed\x9f\xbf"), "\xed\x9f\xbf");
	/* invalid bytes become \u00XX, one per byte */
	CHECK_EQ_STR(JSON("\xff"), "\\u00ff");
	CHECK_EQ_STR(JSON("\x80x"), "\\u0080x");
	CHECK_EQ_STR(JSON("\xc3"), "\\u00c3");
	CHECK_EQ_STR(JSON("\xc3("), "\\u00c3(");
	CHECK_EQ_STR(JSON("\xc0\xaf"), "\\u00c0\\u00af");
	CHECK_EQ_STR(JSON("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af");
	CHECK_EQ_STR(JSON("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080");
	CHECK_EQ_STR(JSON("\xf0\x8f\xbf\xbf"), "\\u00f0\\u008f\\u00bf\\u00bf");
	CHECK_EQ_STR(JSON("\xf4\x90\x80\x80"), "\\u00f4\\u0090\\u0080\\u0080");
	CHECK_EQ_STR(JSON("\xe2\x82"), "\\u00e2\\u0082");
	CHECK_EQ_STR(JSON("\xe2\x82\xe2\x82\xac"), "\\u00e2\\u0082\xe2\x82\xac");
	CHECK(valid_json_body(JSON("\xf8\x88\x80\x80\x80\xfe\xff")));
}

TEST(text_escapes)
{
	CHECK_EQ_STR(TEXT("nginx: worker"), "nginx: worker");
	CHECK_EQ_STR(TEXT("\x1b[31mred"), "\\x1b[31mred");
	CHECK_EQ_STR(TEXT("a\\b"), "a\\\\b");
	CHECK_EQ_STR(TEXT("a\"b=c"), "a\"b=c");
	CHECK_EQ_STR(TEXT("l1\nl2\r\t"), "l1\\x0al2\\x0d\\x09");
	CHECK_EQ_STR(TEXT("h\xc3\xa9\x7f"), "h\\xc3\\xa9\\x7f");
	CHECK_EQ_STR(TEXT("a\0b"), "a\\x00b");
	CHECK_EQ_STR(KV("a b=c\"d\\e"), "a\\x20b\\x3dc\\x22d\\\\e");
	CHECK_EQ_STR(KV("x\x9b"), "x\\x9b");
}

TEST(zero_size_buffer)
{
	char buf[4] = "zzz";

	CHECK_EQ_INT(pc_escape_json(buf, 0, "abc", 3), 0);
	CHECK_EQ_INT(pc_escape_text(buf, 0, "abc", 3, 1), 0);
	CHECK_EQ_STR(buf, "zzz");
	CHECK_EQ_INT(pc_escape_json(buf, 1, "abc", 3), 0);
	CHECK_EQ_STR(buf, "");
}

typedef size_t (*escaper)(char *dst, size_t dstsz, const char *src,
			  size_t srclen, int mode);

static size_t esc_json(char *dst, size_t dstsz, const char *src,
		       size_t srclen, int mode)
{
	(void)mode;
	return pc_escape_json(dst, dstsz, src, srclen);
}

static size_t esc_text(char *dst, size_t dstsz, const char *src,
		       size_t srclen, int mode)
{
	return pc_escape_text(dst, dstsz, src, srclen, mode);
}

/*
 * For every dstsz from 1 to the full length + 1, the output must be the
 * escape of the longest source prefix that ends on a whole character
 * (its escape is a prefix of the full escape) and fits with its NUL. The
 * destination is a heap block of exactly dstsz bytes so ASan sees overruns.
 */
static void check_truncation(escaper fn, int mode, const char *src,
			     size_t srclen)
{
	char full[1024], pre[1024];
	size_t fulllen, dstsz, k, want;

	fulllen = fn(full, sizeof(full), src, srclen, mode);
	CHECK_EQ_INT(fulllen, strlen(full));
	for (dstsz = 1; dstsz <= fulllen + 1; dstsz++) {
		char *dst = malloc(dstsz);
		size_t got;

		if (!dst) {
			CHECK(dst);
			return;
		}
		got = fn(dst, dstsz, src, srclen, mode);
		want = 0;
		for (k = 0; k <= srclen; k++) {
			size_t n = fn(pre, sizeof(pre), src, k, mode);

			if (n < dstsz && strncmp(pre, full, n) == 0)
				want = n;
		}
		CHECK_EQ_INT(got, want);
		CHECK_EQ_INT(strlen(dst), got);
		CHECK(strncmp(dst, full, got) == 0);
		if (fn == esc_json)
			CHECK(valid_json_body(dst));
		free(dst);
	}
}

TEST(truncation_at_every_size)
{
	static const char *const hostile[] = {
		"\x1b[31mred\x1b[0m",
		"a\"b\\c\nd",
		"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80!",
		"\xff\xc3\xe2\x82\xed\xa0\x80 x",
		"key=val \"quoted\" \x7f\x01",
		"/usr/bin/python3 -c import os\tos.system('x')",
	};
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		size_t n = strlen(hostile[i]);

		check_truncation(esc_json, 0, hostile[i], n);
		check_truncation(esc_text, 0, hostile[i], n);
		check_truncation(esc_text, 1, hostile[i], n);
	}
}

TEST(all_bytes)
{
	char src[256], out[256 * 6 + 1];
	size_t i, n;

	for (i = 0; i < 256; i++)
		src[i] = (char)i;
	n = pc_escape_json(out, sizeof(out), src, sizeof(src));
	CHECK_EQ_INT(n, strlen(out));
	CHECK(valid_json_body(out));
	n = pc_escape_text(out, sizeof(out), src, sizeof(src), 1);
	CHECK_EQ_INT(n, strlen(out));
	for (i = 0; i < n; i++)
		CHECK(out[i] > 0x20 && out[i] < 0x7f && out[i] != '=' &&
		      out[i] != '"');
}

int main(void)
{
	RUN(json_plain_and_specials);
	RUN(json_utf8);
	RUN(text_escapes);
	RUN(zero_size_buffer);
	RUN(truncation_at_every_size);
	RUN(all_bytes);
	return UNIT_DONE();
}
