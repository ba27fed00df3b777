/* Unit tests for src/capture/flowtab.c, counting in user space (no flows
 * map: flows_fd -1, as the fallback runs it): totals, rates over an
 * interval, exited processes leaving the rows after keep_intervals while
 * their traffic stays in the totals, counters that never go back, and the
 * bound: connections fold into their process's total, never refused.
 * Not for reading the kernel's map (that needs eBPF: tests/e2e). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <netinet/in.h>

#include "capture/flowtab.h"
#include "unit.h"

#define SEC 1000000000ULL

static struct pc_flow_key key(uint32_t pid, int dir, uint16_t lport)
{
	struct pc_flow_key k;

	memset(&k, 0, sizeof(k));
	k.pid = pid;
	k.dir = dir;
	k.proto = IPPROTO_TCP;
	k.family = 4;
	k.lport = lport;
	k.rport = 80;
	k.laddr[0] = k.raddr[0] = 127;
	k.laddr[3] = k.raddr[3] = 1;
	return k;
}

static int add(struct pc_flowtab *t, uint32_t pid, int dir, uint16_t lport, uint64_t bytes,
	       uint64_t packets, uint64_t ts)
{
	struct pc_flow_key k = key(pid, dir, lport);
	struct pc_owner ow = { .pid = pid, .tid = pid, .uid = 1000 };

	memcpy(ow.comm, "curl", 5);
	return pc_flowtab_add(t, &k, bytes, bytes / 2, packets, pid ? &ow : NULL, ts);
}

static const struct pc_proc_row *row_of(struct pc_flowtab *t, uint32_t pid)
{
	const struct pc_proc_row *rows;
	size_t n = pc_flowtab_rows(t, &rows), i;

	for (i = 0; i < n; i++)
		if (rows[i].pid == pid)
			return &rows[i];
	return NULL;
}

TEST(totals_per_process_and_overall)
{
	struct pc_flowtab *t;
	struct pc_traffic sum;
	const struct pc_proc_row *r;
	uint32_t me = (uint32_t)getpid();

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 3), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_OUT, 40000, 1500, 1, 1), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_OUT, 40000, 500, 2, 2), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_IN, 40000, 3000, 3, 3), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_OUT, 40001, 100, 1, 4), 0);
	CHECK_EQ_INT(add(t, 0, PC_DIR_IN, 0, 60, 1, 5), 0); /* no process */
	CHECK_EQ_INT(pc_flowtab_update(t, 10 * SEC, 60 * SEC), 0);
	r = row_of(t, me);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_INT(r->t.tx_bytes, 2100);
		CHECK_EQ_INT(r->t.rx_bytes, 3000);
		CHECK_EQ_INT(r->t.tx_packets, 4);
		CHECK_EQ_INT(r->t.rx_packets, 3);
		CHECK_EQ_INT(r->t.tx_payload, 750 + 250 + 50);
		CHECK_EQ_INT(r->nconns, 2);
		CHECK_EQ_INT(r->uid, 1000);
		CHECK_EQ_STR(r->comm, "curl");
		CHECK(!r->exited);
		/* both directions of a connection in one conn, busiest first */
		CHECK_EQ_INT(r->conns[0].key.lport, 40000);
		CHECK_EQ_INT(r->conns[0].key.dir, PC_DIR_OUT);
		CHECK_EQ_INT(r->conns[0].t.tx_bytes + r->conns[0].t.rx_bytes, 5000);
	}
	CHECK(row_of(t, 0) != NULL);
	pc_flowtab_totals(t, &sum);
	CHECK_EQ_INT(sum.tx_bytes, 2100);
	CHECK_EQ_INT(sum.rx_bytes, 3060);
	CHECK_EQ_INT(sum.tx_packets + sum.rx_packets, 8);
	pc_flowtab_free(t);
}

TEST(rates_over_the_interval)
{
	struct pc_flowtab *t;
	const struct pc_proc_row *r;
	uint32_t me = (uint32_t)getpid();

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 3), 0);
	add(t, me, PC_DIR_OUT, 40000, 1000, 1, 1);
	CHECK_EQ_INT(pc_flowtab_update(t, 10 * SEC, 60 * SEC), 0);
	r = row_of(t, me);
	CHECK(r && r->t.tx_rate == 0); /* no interval yet */
	add(t, me, PC_DIR_OUT, 40000, 4000, 4, 2);
	add(t, me, PC_DIR_IN, 40000, 2000, 2, 3);
	CHECK_EQ_INT(pc_flowtab_update(t, 12 * SEC, 60 * SEC), 0);
	r = row_of(t, me);
	CHECK(r != NULL);
	if (r) {
		CHECK(r->t.tx_rate == 2000.0);
		CHECK(r->t.rx_rate == 1000.0);
		CHECK(r->t.tx_pkt_rate == 2.0);
		CHECK_EQ_INT(r->t.tx_bytes, 5000);
	}
	/* nothing new: the rate falls to 0, the total stays */
	CHECK_EQ_INT(pc_flowtab_update(t, 13 * SEC, 60 * SEC), 0);
	r = row_of(t, me);
	CHECK(r && r->t.tx_rate == 0 && r->t.tx_bytes == 5000);
	pc_flowtab_free(t);
}

TEST(exited_processes_leave_after_keep_intervals)
{
	struct pc_flowtab *t;
	struct pc_traffic sum;
	const struct pc_proc_row *r;
	uint32_t me = (uint32_t)getpid(), gone = me + 1;
	int i;

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 2), 0);
	add(t, me, PC_DIR_OUT, 40000, 100, 1, 1);
	add(t, gone, PC_DIR_OUT, 40002, 700, 7, 1);
	add(t, gone, PC_DIR_IN, 40002, 300, 3, 1);
	pc_flowtab_exited(t, gone);
	/* listed (as exited) for keep_intervals updates */
	for (i = 1; i <= 2; i++) {
		CHECK_EQ_INT(pc_flowtab_update(t, (uint64_t)i * SEC, 60 * SEC), 0);
		r = row_of(t, gone);
		CHECK(r && r->exited && r->t.tx_bytes == 700);
	}
	CHECK_EQ_INT(pc_flowtab_update(t, 3 * SEC, 60 * SEC), 0);
	CHECK(row_of(t, gone) == NULL);
	CHECK(row_of(t, me) != NULL);
	/* its traffic is still counted */
	pc_flowtab_totals(t, &sum);
	CHECK_EQ_INT(sum.tx_bytes, 800);
	CHECK_EQ_INT(sum.rx_bytes, 300);
	CHECK_EQ_INT(sum.tx_packets, 8);
	/* and after the entries are dropped from the table too */
	CHECK_EQ_INT(pc_flowtab_update(t, 4 * SEC, 60 * SEC), 0);
	pc_flowtab_totals(t, &sum);
	CHECK_EQ_INT(sum.tx_bytes, 800);
	CHECK_EQ_INT(sum.rx_bytes, 300);
	pc_flowtab_free(t);
}

TEST(counters_never_go_backwards)
{
	struct pc_flowtab *t;
	struct pc_traffic sum, prev = { 0 };
	uint32_t me = (uint32_t)getpid();
	uint64_t seed = 1;
	int round, i;

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 1), 0);
	for (round = 1; round <= 40; round++) {
		for (i = 0; i < 50; i++) {
			uint32_t pid = me + 1 + (uint32_t)(seed % 64); /* short-lived ones */

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			add(t, seed % 3 ? pid : me, seed & 1 ? PC_DIR_OUT : PC_DIR_IN,
			    (uint16_t)(1024 + seed % 500), 40 + seed % 1400, 1, (uint64_t)round * SEC);
			if (seed % 7 == 0)
				pc_flowtab_exited(t, pid);
		}
		CHECK_EQ_INT(pc_flowtab_update(t, (uint64_t)round * SEC, 60 * SEC), 0);
		pc_flowtab_totals(t, &sum);
		CHECK(sum.tx_bytes >= prev.tx_bytes && sum.rx_bytes >= prev.rx_bytes);
		CHECK(sum.tx_packets >= prev.tx_packets && sum.rx_packets >= prev.rx_packets);
		CHECK(sum.tx_payload >= prev.tx_payload && sum.rx_payload >= prev.rx_payload);
		CHECK_EQ_INT(sum.tx_packets + sum.rx_packets, (uint64_t)round * 50);
		prev = sum;
	}
	pc_flowtab_free(t);
}

/* A flood of connections of one live process against a small limit: the
 * table folds them into the process's total, nothing is refused or lost,
 * the counters only grow and the evictions are counted. */
TEST(flood_folds_at_the_limit)
{
	struct pc_flowtab *t;
	struct pc_flowtab_stats st;
	struct pc_traffic sum, prev = { 0 };
	const struct pc_proc_row *r;
	uint32_t me = (uint32_t)getpid();
	int round, i;

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 3), 0);
	pc_flowtab_set_limit(t, 64);
	for (round = 1; round <= 5; round++) {
		for (i = 0; i < 1000; i++)
			CHECK_EQ_INT(add(t, me, i & 1 ? PC_DIR_IN : PC_DIR_OUT,
					 (uint16_t)(round * 1000 + i), 100, 1, round * SEC), 0);
		CHECK_EQ_INT(add(t, 0, PC_DIR_IN, (uint16_t)round, 60, 1, round * SEC), 0);
		CHECK_EQ_INT(pc_flowtab_update(t, round * SEC, 60 * SEC), 0);
		r = row_of(t, me);
		CHECK(r != NULL);
		if (r) {
			CHECK_EQ_INT(r->t.tx_bytes + r->t.rx_bytes, (uint64_t)round * 100000);
			CHECK_EQ_INT(r->t.tx_packets + r->t.rx_packets, (uint64_t)round * 1000);
			CHECK(r->nconns <= 64);
		}
		pc_flowtab_totals(t, &sum);
		CHECK_EQ_INT(sum.tx_bytes + sum.rx_bytes, (uint64_t)round * (100000 + 60));
		CHECK(sum.tx_bytes >= prev.tx_bytes && sum.rx_bytes >= prev.rx_bytes);
		prev = sum;
	}
	pc_flowtab_stats(t, &st);
	CHECK(st.evicted > 0);
	CHECK_EQ_INT(st.full, 0);
	pc_flowtab_free(t);
}

/* A connection idle for idle_ns leaves the connection list; its bytes stay
 * in its process's row and in the totals. */
TEST(idle_connections_fold_into_the_process)
{
	struct pc_flowtab *t;
	struct pc_flowtab_stats st;
	const struct pc_proc_row *r;
	uint32_t me = (uint32_t)getpid();

	CHECK_EQ_INT(pc_flowtab_new(&t, -1, -1, 3), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_OUT, 40000, 1000, 1, 1 * SEC), 0);
	CHECK_EQ_INT(add(t, me, PC_DIR_OUT, 40001, 500, 1, 50 * SEC), 0);
	CHECK_EQ_INT(pc_flowtab_update(t, 70 * SEC, 60 * SEC), 0);
	r = row_of(t, me);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_INT(r->t.tx_bytes, 1500);
		CHECK_EQ_INT(r->nconns, 1);
		CHECK_EQ_INT(r->conns[0].key.lport, 40001);
	}
	pc_flowtab_stats(t, &st);
	CHECK_EQ_INT(st.folded, 1);
	CHECK_EQ_INT(st.evicted, 0);
	pc_flowtab_free(t);
}

int main(void)
{
	RUN(totals_per_process_and_overall);
	RUN(rates_over_the_interval);
	RUN(exited_processes_leave_after_keep_intervals);
	RUN(counters_never_go_backwards);
	RUN(flood_folds_at_the_limit);
	RUN(idle_connections_fold_into_the_process);
	return UNIT_DONE();
}
