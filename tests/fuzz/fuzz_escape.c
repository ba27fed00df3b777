// sources: src/lib/escape.c
/* libFuzzer target for src/lib/escape.c: both escapers on arbitrary bytes with a
 * destination size taken from the input, output invariants checked.
 * Not for the decoder (fuzz_decode.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* No raw control bytes or bare quotes; every backslash starts an escape. */
static void check_json(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		check(c >= 0x20 && c != 0x7f && c != '"');
		if (c == '\\') {
			check(i + 1 < n);
			if (s[i + 1] == 'u') {
				check(i + 5 < n);
				i += 5;
			} else {
				check(strchr("\"\\bfnrt", s[i + 1]) != NULL);
				i++;
			}
		}
	}
}

static void check_text(const char *s, size_t n, int space_too)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		check(c >= 0x20 && c < 0x7f);
		if (space_too)
			check(c != ' ' && c != '=' && c != '"');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data + 2;
	size_t srclen, dstsz, n, full_n;
	char *dst, *full;
	int mode;

	if (size < 2)
		return 0;
	srclen = size - 2;
	dstsz = ((size_t)data[0] << 8 | data[1]) % (srclen * 6 + 2);
	mode = data[0] & 1;

	full = malloc(srclen * 6 + 1);
	dst = malloc(dstsz);
	if (!full || (dstsz && !dst))
		goto out;

	full_n = pc_escape_json(full, srclen * 6 + 1, src, srclen);
	check(full_n == strlen(full));
	check_json(full, full_n);
	n = pc_escape_json(dst, dstsz, src, srclen);
	check(dstsz ? n < dstsz && n == strlen(dst) : n == 0);
	check(n <= full_n && memcmp(dst, full, n) == 0);
	check_json(dst, n);

	full_n = pc_escape_text(full, srclen * 4 + 1, src, srclen, mode);
	check(full_n == strlen(full));
	check_text(full, full_n, mode);
	n = pc_escape_text(dst, dstsz, src, srclen, mode);
	check(dstsz ? n < dstsz && n == strlen(dst) : n == 0);
	check(n <= full_n && memcmp(dst, full, n) == 0);
	check_text(dst, n, mode);
out:
	free(full);
	free(dst);
	return 0;
}
