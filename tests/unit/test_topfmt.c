/* Unit tests for src/cmd/topfmt.c: amounts in units (bytes, bits, fixed K/M),
 * counts, endpoints, and the --batch snapshots (text and JSON, per
 * process and per container) with hostile process names. Not for the curses view or the event loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/topfmt.h"
#include "unit.h"

#define STARTS(s, lit) (!strncmp((s), (lit), sizeof(lit) - 1))

static const char *amt(double v, int bits, enum pc_unit u)
{
	static char buf[32];

	pc_fmt_amount(buf, sizeof(buf), v, bits, u);
	return buf;
}

TEST(amounts)
{
	CHECK_EQ_STR(amt(0, 0, PC_UNIT_AUTO), "0");
	CHECK_EQ_STR(amt(512, 0, PC_UNIT_AUTO), "512");
	CHECK_EQ_STR(amt(1023, 0, PC_UNIT_AUTO), "1023");
	CHECK_EQ_STR(amt(1536, 0, PC_UNIT_AUTO), "1.5K");
	CHECK_EQ_STR(amt(150 * 1024, 0, PC_UNIT_AUTO), "150K");
	CHECK_EQ_STR(amt(3.25 * 1024 * 1024, 0, PC_UNIT_AUTO), "3.2M");
	CHECK_EQ_STR(amt(1000, 1, PC_UNIT_AUTO), "8.0kb");
	CHECK_EQ_STR(amt(100, 1, PC_UNIT_AUTO), "800b");
	CHECK_EQ_STR(amt(125000000, 1, PC_UNIT_AUTO), "1.0Gb");
	CHECK_EQ_STR(amt(5 * 1024 * 1024, 0, PC_UNIT_K), "5120K");
	CHECK_EQ_STR(amt(512, 0, PC_UNIT_K), "0.5K");
	CHECK_EQ_STR(amt(1024.0 * 1024 * 1024, 0, PC_UNIT_M), "1024M");
	CHECK_EQ_STR(amt(1e12, 0, PC_UNIT_K), "931G"); /* too wide in K: scaled */
	CHECK_EQ_STR(amt(-5, 0, PC_UNIT_AUTO), "0");
	CHECK(strlen(amt(1e30, 0, PC_UNIT_AUTO)) > 0);
}

TEST(counts_and_endpoints)
{
	uint8_t v4[16] = { 127, 0, 0, 1 }, v6[16] = { 0 };
	char buf[64], p[8];

	pc_fmt_count(buf, sizeof(buf), 9999999);
	CHECK_EQ_STR(buf, "9999999");
	pc_fmt_count(buf, sizeof(buf), 12345678);
	CHECK_EQ_STR(buf, "12.3M");
	v6[15] = 1;
	pc_fmt_endpoint(buf, sizeof(buf), 4, 6, v4, 80);
	CHECK_EQ_STR(buf, "127.0.0.1:80");
	pc_fmt_endpoint(buf, sizeof(buf), 6, 17, v6, 53);
	CHECK_EQ_STR(buf, "[::1]:53");
	pc_fmt_endpoint(buf, sizeof(buf), 4, 1, v4, 0);
	CHECK_EQ_STR(buf, "127.0.0.1");
	CHECK_EQ_STR(pc_fmt_proto(58, p, sizeof(p)), "icmp6");
	CHECK_EQ_STR(pc_fmt_proto(253, p, sizeof(p)), "253");
}

/* Two rows (one with a hostile name, one without process) through a writer;
 * by_container: grouped (no process cache here: both in the host group). */
static char *snapshot(int json, int by_container)
{
	static struct pc_conn conn;
	struct pc_proc_row rows[2];
	struct pc_traffic totals = { 0 };
	struct pc_snapshot s = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	memset(rows, 0, sizeof(rows));
	memset(&conn, 0, sizeof(conn));
	rows[0].pid = 4242;
	rows[0].uid = 1000;
	memcpy(rows[0].comm, "ev\"il\x1b[2J", 10);
	rows[0].t.tx_bytes = 1500;
	rows[0].t.tx_payload = 1400;
	rows[0].t.tx_rate = 750.5;
	conn.key.family = 4;
	conn.key.proto = 17;
	conn.key.laddr[0] = conn.key.raddr[0] = 127;
	conn.key.laddr[3] = conn.key.raddr[3] = 1;
	conn.key.lport = 5000;
	conn.key.rport = 53;
	conn.t = rows[0].t;
	conn.last_ns = 9000000000ULL;
	rows[0].conns = &conn;
	rows[0].nconns = 1;
	rows[1].pid = 0;
	rows[1].t.rx_bytes = 40;
	rows[1].exited = 0;
	totals.tx_bytes = 1500;
	totals.rx_bytes = 40;
	s.ts = 1700000000.25;
	s.interval = 1.0;
	s.totals = &totals;
	s.rows = rows;
	s.nrows = 2;
	s.now_ns = 9500000000ULL;
	s.by_container = by_container;
	if (json)
		pc_snapshot_json(f, &s);
	else
		pc_snapshot_text(f, &s);
	fclose(f);
	return out;
}

TEST(snapshot_json)
{
	char *out = snapshot(1, 0);

	CHECK(STARTS(out, "{\"ts\":1700000000.250000,\"interval\":1.000,\"totals\":{"));
	CHECK(strstr(out, "\"pid\":4242,\"uid\":1000,\"comm\":\"ev\\\"il\\u001b[2J\"") != NULL);
	CHECK(strstr(out, "\"user\":null,\"exe\":null,\"cmdline\":null,\"container_id\":null,\"container_name\":null,\"exited\":false") != NULL);
	CHECK(strstr(out, "{\"proto\":\"udp\",\"family\":4,\"local\":\"127.0.0.1\",\"lport\":5000,"
			  "\"remote\":\"127.0.0.1\",\"rport\":53,\"netns\":null,\"active\":true,") != NULL);
	CHECK(strstr(out, "\"tx_payload\":1400") != NULL);
	CHECK(strstr(out, "{\"pid\":null,\"uid\":null,\"comm\":null") != NULL);
	CHECK(strchr(out, '\x1b') == NULL);
	CHECK_EQ_INT(strchr(out, '\n') - out, (long long)strlen(out) - 1); /* one line */
	free(out);
}

TEST(snapshot_text)
{
	char *out = snapshot(0, 0);

	CHECK(STARTS(out, "2023-11-14T22:13:20.250Z interval 1.00 s: sent 0 B/s"));
	CHECK(strstr(out, "\nPID USER COMM SENT/s RECV/s SENT RECV PACKETS STATE CONTAINER COMMAND\n") != NULL);
	CHECK(strstr(out, "\n4242 1000 ev\\x22il\\x1b[2J 750 0 1500 0 0 running - -\n") != NULL);
	CHECK(strstr(out, "\n- - (no process) 0 0 0 40 0 running - -\n") != NULL);
	CHECK(strchr(out, '\x1b') == NULL);
	free(out);
}

TEST(snapshot_by_container)
{
	char *out = snapshot(1, 1);

	CHECK(STARTS(out, "{\"ts\":1700000000.250000,\"interval\":1.000,\"totals\":{"));
	CHECK(strstr(out, "\"processes\"") == NULL);
	CHECK(strstr(out, ",\"containers\":[{\"container_id\":null,\"container_name\":null,"
			  "\"pod\":null,\"tx_bytes\":1500,\"rx_bytes\":40,\"tx_payload\":1400,") != NULL);
	CHECK(strstr(out, "\"pids\":[4242]}]}\n") != NULL); /* no pid for pid 0 */
	CHECK_EQ_INT(strchr(out, '\n') - out, (long long)strlen(out) - 1);
	free(out);
	out = snapshot(0, 1);
	CHECK(strstr(out, "packets; 2 processes in 1 groups\n") != NULL);
	CHECK(strstr(out, "\nCONTAINER ID POD SENT/s RECV/s SENT RECV PACKETS PIDS\n"
			  "(host) - - 750 0 1500 40 0 4242\n\n") != NULL);
	free(out);
}

int main(void)
{
	RUN(amounts);
	RUN(counts_and_endpoints);
	RUN(snapshot_json);
	RUN(snapshot_text);
	RUN(snapshot_by_container);
	return UNIT_DONE();
}
