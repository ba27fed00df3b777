// sources: src/cmd/promtext.c src/lib/strbuf.c
/* libFuzzer target for src/cmd/promtext.c: label escaping of arbitrary bytes
 * with a destination size from the input (valid UTF-8, every quote and
 * backslash escaped, no raw newline, truncation a prefix), and a series
 * table driven by the input whose counters must never go backwards.
 * Not for the HTTP server (exporter.c). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/promtext.h"

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Strict UTF-8 with no NUL, no raw newline, escapes well formed. */
static void check_label(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len, k;
	uint32_t cp;

	while (i < n) {
		check(u[i] != 0 && u[i] != '\n' && u[i] != '"');
		if (u[i] == '\\') {
			check(i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == 'n'));
			i += 2;
			continue;
		}
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		len = u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : 2;
		check(u[i] >= 0xc2 && u[i] <= 0xf4 && i + len <= n);
		cp = u[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			check((u[i + k] & 0xc0) == 0x80);
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		check(!(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff);
		check(!(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000));
		i += len;
	}
}

static void fuzz_escape(const uint8_t *data, size_t size)
{
	static char full[8192], cut[8192];
	size_t n, m, dstsz;

	if (size < 2)
		return;
	dstsz = data[0] | (data[1] & 0x1f) << 8;
	data += 2, size -= 2;
	n = pc_prom_escape(full, sizeof(full), (const char *)data, size);
	check(n < sizeof(full) && full[n] == 0 && strlen(full) == n);
	check_label(full, n);
	m = pc_prom_escape(cut, dstsz, (const char *)data, size);
	if (!dstsz)
		return;
	check(m < dstsz && cut[m] == 0 && m <= n && !memcmp(cut, full, m));
	check_label(cut, m);
}

struct seen {
	char key[256]; /* labels of a transmit bytes line */
	uint64_t v;
};

/* Checks every transmit bytes line of out against the previous render:
 * a series listed in two renders in a row is the same series (removal and
 * creation are an update apart) and must not go down. */
static void check_render(char *out, struct seen *prev, size_t *nprev)
{
	static const char head[] = "process_network_io_bytes_total{network_io_direction=\"transmit\"";
	struct seen cur[64];
	size_t ncur = 0, i;
	char *line;

	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *close = strrchr(line, '}');
		size_t kl;

		if (strncmp(line, head, sizeof(head) - 1) || !close)
			continue;
		check(ncur < 64);
		kl = close - line;
		check(kl < sizeof(cur[0].key));
		memcpy(cur[ncur].key, line, kl);
		cur[ncur].key[kl] = 0;
		cur[ncur].v = strtoull(close + 2, NULL, 10);
		for (i = 0; i < ncur; i++)
			check(strcmp(cur[i].key, cur[ncur].key)); /* one line per series */
		for (i = 0; i < *nprev; i++)
			if (!strcmp(prev[i].key, cur[ncur].key))
				check(cur[ncur].v >= prev[i].v);
		ncur++;
	}
	memcpy(prev, cur, ncur * sizeof(cur[0]));
	*nprev = ncur;
}

/* Ops of 8 bytes: pid (0..16), labels, exited, whether the totals restart,
 * growth, end of update and time passing. */
static void fuzz_series(const uint8_t *data, size_t size)
{
	static const char *const exes[] = { "a", "b\"", "c\n", "\xff" };
	static struct seen prev[64];
	uint64_t tx[17] = { 0 }, now = 1;
	struct pc_prom_self self = { 0 };
	struct pc_prom *p;
	size_t i, nprev = 0;

	if (pc_prom_new(&p, data[0] % 3, (data[0] >> 2) * 100000000ULL, 8))
		return;
	pc_prom_begin(p);
	for (i = 1; i + 8 <= size; i += 8) {
		uint32_t pid = data[i] % 17;
		struct pc_prom_labels l = { exes[data[i + 1] & 3], "cmd", "u",
					    data[i + 1] & 0x20 ? "abc" : NULL,
					    exes[(data[i + 1] >> 2) & 3] };
		struct pc_traffic t = { 0 };
		uint32_t grow;
		char *out;
		size_t len;

		memcpy(&grow, data + i + 2, 4);
		tx[pid] = (data[i + 1] & 0x80) ? grow : tx[pid] + grow; /* may go down */
		t.tx_bytes = tx[pid];
		pc_prom_observe(p, pid, &l, data[i + 1] & 0x40, &t, now);
		if (!(data[i + 6] & 1))
			continue;
		now += (uint64_t)data[i + 7] * 10000000ULL;
		pc_prom_end(p, now);
		if (pc_prom_render(p, &self, &out, &len))
			break;
		check(strlen(out) == len);
		check(pc_prom_nseries(p) <= 8);
		check_render(out, prev, &nprev);
		free(out);
		pc_prom_begin(p);
	}
	pc_prom_end(p, now);
	pc_prom_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 0x80)
		fuzz_escape(data + 1, size - 1);
	else
		fuzz_series(data, size);
	return 0;
}
