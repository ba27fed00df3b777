/* Unit tests for src/cmd/promtext.c: label escaping (hostile names, UTF-8,
 * truncation), counters that never go backwards (pid reuse, exits),
 * --grace removal, --by-exe sums, the series limit, rendering.
 * Not for HTTP or the kernel counters. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "cmd/promtext.h"
#include "unit.h"

#define SEC 1000000000ULL

static const char *esc(const char *s, size_t n)
{
	static char buf[256];

	pc_prom_escape(buf, sizeof(buf), s, n);
	return buf;
}

#define ESC(s) esc(s, sizeof(s) - 1)

TEST(escape_specials)
{
	CHECK_EQ_STR(ESC("curl"), "curl");
	CHECK_EQ_STR(ESC("a\"b"), "a\\\"b");
	CHECK_EQ_STR(ESC("a\\b"), "a\\\\b");
	CHECK_EQ_STR(ESC("a\nb"), "a\\nb");
	CHECK_EQ_STR(ESC("tab\there"), "tab\there"); /* legal in a label value */
	CHECK_EQ_STR(ESC(""), "");
}

TEST(escape_utf8)
{
	CHECK_EQ_STR(ESC("caf\xc3\xa9"), "caf\xc3\xa9");
	CHECK_EQ_STR(ESC("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	CHECK_EQ_STR(ESC("a\xffz"), "a\xef\xbf\xbdz");
	CHECK_EQ_STR(ESC("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");          /* overlong */
	CHECK_EQ_STR(ESC("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	CHECK_EQ_STR(ESC("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");          /* cut short */
	CHECK_EQ_STR(esc("a\0b", 3), "a\xef\xbf\xbd" "b");
}

TEST(escape_truncation)
{
	char buf[8];
	size_t n;

	CHECK_EQ_INT(pc_prom_escape(buf, 0, "abc", 3), 0);
	n = pc_prom_escape(buf, 4, "ab\"c", 4); /* "ab" fits, \" does not */
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(buf, "ab");
	n = pc_prom_escape(buf, 5, "ab\xc3\xa9z", 5); /* never half a character */
	CHECK_EQ_STR(buf, "ab\xc3\xa9");
	CHECK_EQ_INT(n, 4);
	n = pc_prom_escape(buf, 4, "ab\xc3\xa9z", 5);
	CHECK_EQ_STR(buf, "ab");
	n = pc_prom_escape(buf, 3, "\xff", 1);
	CHECK_EQ_STR(buf, "");
}

static struct pc_traffic tr(uint64_t tx, uint64_t rx)
{
	struct pc_traffic t = { 0 };

	t.tx_bytes = tx;
	t.rx_bytes = rx;
	t.tx_packets = tx / 100;
	t.rx_packets = rx / 100;
	return t;
}

/* Value of the first line that holds all of needle and needle2. */
static long long metric(const struct pc_prom *p, const char *needle, const char *needle2)
{
	struct pc_prom_self self = { 0 };
	long long v = -1;
	char *out, *line;
	size_t len;

	if (pc_prom_render(p, &self, &out, &len))
		return -2;
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '#' && strstr(line, needle) && (!needle2 || strstr(line, needle2))) {
			v = atoll(strrchr(line, ' ') + 1);
			break;
		}
	free(out);
	return v;
}

static void update(struct pc_prom *p, uint64_t now, uint32_t pid, const char *exe, int exited,
		   uint64_t tx, uint64_t rx)
{
	struct pc_prom_labels l = { exe, exe, "root", NULL, NULL };
	struct pc_traffic t = tr(tx, rx);

	pc_prom_begin(p);
	if (pid)
		pc_prom_observe(p, pid, &l, exited, &t, now);
	pc_prom_end(p, now);
}

TEST(counters_never_go_back)
{
	struct pc_prom *p;
	const char *tx = "process_network_io_bytes_total{network_io_direction=\"transmit\",process_pid=\"10\"";

	CHECK_EQ_INT(pc_prom_new(&p, 0, 5 * SEC, 100), 0);
	update(p, 1 * SEC, 10, "curl", 0, 100, 7);
	CHECK_EQ_INT(metric(p, tx, NULL), 100);
	update(p, 2 * SEC, 10, "curl", 0, 250, 7);
	CHECK_EQ_INT(metric(p, tx, NULL), 250);
	update(p, 3 * SEC, 10, "curl", 0, 40, 7); /* totals went down: from 0 again */
	CHECK_EQ_INT(metric(p, tx, NULL), 290);
	update(p, 4 * SEC, 10, "wget", 0, 60, 7); /* labels stay those first seen */
	CHECK_EQ_INT(metric(p, tx, NULL), 310);
	CHECK(metric(p, "process_executable_name=\"curl\"", NULL) == 310);
	CHECK_EQ_INT(metric(p, "wget", NULL), -1);
	CHECK_EQ_INT(pc_prom_nseries(p), 1);
	pc_prom_free(p);
}

TEST(grace_after_exit)
{
	struct pc_prom *p;
	const char *tx = "network_io_direction=\"transmit\",process_pid=\"7\"";

	CHECK_EQ_INT(pc_prom_new(&p, 0, 5 * SEC, 100), 0);
	update(p, 1 * SEC, 7, "nc", 0, 500, 0);
	update(p, 2 * SEC, 7, "nc", 1, 600, 0); /* exit seen, last bytes in */
	CHECK_EQ_INT(metric(p, tx, NULL), 600);
	update(p, 3 * SEC, 0, NULL, 0, 0, 0); /* no longer in the rows */
	CHECK_EQ_INT(metric(p, tx, NULL), 600);
	update(p, 6 * SEC, 0, NULL, 0, 0, 0); /* 4 s after the exit */
	CHECK_EQ_INT(metric(p, tx, NULL), 600);
	update(p, 7 * SEC, 0, NULL, 0, 0, 0); /* 5 s: gone */
	CHECK_EQ_INT(metric(p, tx, NULL), -1);
	CHECK_EQ_INT(pc_prom_nseries(p), 0);
	/* the pid comes back (reused): a new series from its new totals */
	update(p, 8 * SEC, 7, "nc", 0, 30, 0);
	CHECK_EQ_INT(metric(p, tx, NULL), 30);
	pc_prom_free(p);
}

TEST(live_series_stay)
{
	struct pc_prom *p;
	int i;

	CHECK_EQ_INT(pc_prom_new(&p, 0, 0, 100), 0); /* --grace 0 */
	for (i = 1; i <= 20; i++)
		update(p, i * 100 * SEC, 3, "sshd", 0, 10, 0);
	CHECK_EQ_INT(metric(p, "process_pid=\"3\"", NULL), 10);
	update(p, 2500 * SEC, 3, "sshd", 1, 10, 0);
	update(p, 2501 * SEC, 0, NULL, 0, 0, 0);
	CHECK_EQ_INT(pc_prom_nseries(p), 0);
	pc_prom_free(p);
}

static void observe(struct pc_prom *p, uint64_t now, uint32_t pid, const char *exe, int exited,
		    uint64_t tx)
{
	struct pc_prom_labels l = { exe, "cmd", "root", NULL, NULL };
	struct pc_traffic t = tr(tx, 0);

	pc_prom_observe(p, pid, &l, exited, &t, now);
}

TEST(by_exe_sums)
{
	struct pc_prom *p;
	const char *tx = "process_network_io_bytes_total{network_io_direction=\"transmit\",process_executable_name=\"nginx\"";

	CHECK_EQ_INT(pc_prom_new(&p, 1, 10 * SEC, 100), 0);
	pc_prom_begin(p);
	observe(p, 1 * SEC, 100, "nginx", 0, 1000);
	observe(p, 1 * SEC, 101, "nginx", 0, 500);
	observe(p, 1 * SEC, 200, "curl", 0, 5);
	pc_prom_end(p, 1 * SEC);
	CHECK_EQ_INT(metric(p, tx, NULL), 1500);
	CHECK_EQ_INT(pc_prom_nseries(p), 2);
	CHECK_EQ_INT(metric(p, "process_pid", NULL), -1);
	/* a worker exits and leaves the rows: its bytes stay */
	pc_prom_begin(p);
	observe(p, 2 * SEC, 100, "nginx", 0, 1200);
	observe(p, 2 * SEC, 101, "nginx", 1, 600);
	pc_prom_end(p, 2 * SEC);
	CHECK_EQ_INT(metric(p, tx, NULL), 1800);
	pc_prom_begin(p);
	observe(p, 3 * SEC, 100, "nginx", 0, 1200);
	observe(p, 3 * SEC, 102, "nginx", 0, 50); /* a new worker */
	pc_prom_end(p, 3 * SEC);
	CHECK_EQ_INT(metric(p, tx, NULL), 1850);
	/* all gone: kept for grace, then removed */
	pc_prom_begin(p);
	observe(p, 4 * SEC, 100, "nginx", 1, 1200);
	observe(p, 4 * SEC, 102, "nginx", 1, 50);
	pc_prom_end(p, 4 * SEC);
	update(p, 13 * SEC, 0, NULL, 0, 0, 0);
	CHECK_EQ_INT(metric(p, tx, NULL), 1850);
	update(p, 14 * SEC, 0, NULL, 0, 0, 0);
	CHECK_EQ_INT(metric(p, tx, NULL), -1);
	pc_prom_free(p);
}

TEST(series_limit)
{
	struct pc_prom *p;
	uint32_t pid;

	CHECK_EQ_INT(pc_prom_new(&p, 0, SEC, 3), 0);
	pc_prom_begin(p);
	for (pid = 1; pid <= 5; pid++)
		observe(p, SEC, pid, "x", 0, 10);
	pc_prom_end(p, SEC);
	CHECK_EQ_INT(pc_prom_nseries(p), 3);
	CHECK_EQ_INT(pc_prom_overflow(p), 2);
	CHECK_EQ_INT(metric(p, "pidcap_exporter_series_overflow_total", NULL), 2);
	pc_prom_free(p);
}

TEST(render_escapes_and_unowned)
{
	struct pc_prom_labels l = { "a\"b\\c\nd\xff", "x y", "ro\"ot", NULL, NULL };
	struct pc_traffic t = tr(10, 20);
	struct pc_prom *p;

	CHECK_EQ_INT(pc_prom_new(&p, 0, SEC, 10), 0);
	pc_prom_begin(p);
	pc_prom_observe(p, 42, &l, 0, &t, SEC);
	t = tr(3, 4);
	pc_prom_observe(p, 0, &l, 0, &t, SEC);
	pc_prom_end(p, SEC);
	CHECK_EQ_INT(metric(p, "process_executable_name=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"",
			    "process_owner=\"ro\\\"ot\""), 10);
	CHECK_EQ_INT(metric(p, "process_command=\"x y\"", "receive"), 20);
	CHECK_EQ_INT(metric(p, "pidcap_unowned_network_io_bytes_total", "transmit"), 3);
	CHECK_EQ_INT(metric(p, "pidcap_unowned_network_io_packets_total", "receive"), 0);
	CHECK_EQ_INT(metric(p, "# TYPE", NULL), -1); /* comments are skipped by metric() */
	pc_prom_free(p);
	pc_prom_free(NULL);
}

/* Container labels go with the series of a process in a container only;
 * --by-container sums every process of a container into one series. */
TEST(container_labels)
{
	struct pc_prom_labels in = { "nc", "nc", "root", "a1b2", "web" };
	struct pc_prom_labels out = { "curl", "curl", "root", "", "" };
	struct pc_traffic t = tr(10, 20);
	struct pc_prom *p;
	int by;

	for (by = PC_PROM_BY_PID; by <= PC_PROM_BY_CONTAINER; by++) {
		CHECK_EQ_INT(pc_prom_new(&p, by, SEC, 10), 0);
		pc_prom_begin(p);
		t = tr(10, 20);
		pc_prom_observe(p, 7, &in, 0, &t, SEC);
		t = tr(5, 1);
		pc_prom_observe(p, 8, &in, 0, &t, SEC);
		t = tr(100, 200);
		pc_prom_observe(p, 9, &out, 0, &t, SEC);
		pc_prom_end(p, SEC);
		if (by == PC_PROM_BY_PID) {
			CHECK_EQ_INT(metric(p, "process_pid=\"7\"", "container_id=\"a1b2\","
								 "container_name=\"web\"} "), 10);
			CHECK_EQ_INT(metric(p, "process_pid=\"9\"", "container"), -1);
		} else if (by == PC_PROM_BY_EXE) {
			CHECK_EQ_INT(metric(p, "process_executable_name=\"nc\"", "container_name=\"web\""),
				     15);
		} else {
			CHECK_EQ_INT(metric(p, "bytes_total{network_io_direction=\"transmit\","
					       "container_id=\"a1b2\",container_name=\"web\"} ", NULL), 15);
			CHECK_EQ_INT(metric(p, "bytes_total{network_io_direction=\"receive\"} ", NULL),
				     200);
			CHECK_EQ_INT(metric(p, "process_pid", NULL), -1);
			CHECK_EQ_INT(pc_prom_nseries(p), 2);
		}
		pc_prom_free(p);
	}
}

int main(void)
{
	RUN(escape_specials);
	RUN(escape_utf8);
	RUN(escape_truncation);
	RUN(counters_never_go_back);
	RUN(grace_after_exit);
	RUN(live_series_stay);
	RUN(by_exe_sums);
	RUN(series_limit);
	RUN(render_escapes_and_unowned);
	RUN(container_labels);
	return UNIT_DONE();
}
