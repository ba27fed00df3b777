/* Unit tests for src/cmd/topgroup.c: process rows summed per container,
 * the host group (no container, traffic of no process), the order of
 * groups and of their rows, a subset through which, reuse of the storage.
 * Not for naming containers (test_container.c) or printing (test_topfmt.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/topgroup.h"
#include "unit.h"

/* The container of each pid, as the process cache would say. */
static const struct {
	uint32_t pid;
	const char *id, *name, *pod;
} cts[] = {
	{ 10, "aaaa", "web", "" },
	{ 11, "bbbb", "", "shop" },
	{ 12, "aaaa", "web", "" },
	{ 13, "", "", "" },
};

static int calls;

static void ct_of(void *ctx, const struct pc_proc_row *row, struct pc_ct_ident *ct)
{
	size_t i;

	(void)ctx;
	calls++;
	for (i = 0; i < sizeof(cts) / sizeof(cts[0]); i++)
		if (cts[i].pid == row->pid) {
			snprintf(ct->id, sizeof(ct->id), "%s", cts[i].id);
			snprintf(ct->name, sizeof(ct->name), "%s", cts[i].name);
			snprintf(ct->label, sizeof(ct->label), "%s", cts[i].name);
			snprintf(ct->pod, sizeof(ct->pod), "%s", cts[i].pod);
		}
}

static void row(struct pc_proc_row *r, uint32_t pid, uint64_t tx, uint64_t rx, double rate)
{
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->t.tx_bytes = tx;
	r->t.rx_bytes = rx;
	r->t.tx_payload = tx / 2;
	r->t.rx_payload = rx / 2;
	r->t.tx_packets = tx / 100;
	r->t.rx_packets = rx / 100;
	r->t.tx_rate = rate;
	r->t.rx_pkt_rate = rate / 10;
}

TEST(sums_per_container)
{
	struct pc_top_groups gs = { 0 };
	struct pc_proc_row rows[5];
	const struct pc_top_group *web, *shop, *host;

	row(&rows[0], 10, 1000, 200, 5.5);
	row(&rows[1], 13, 300, 0, 1);
	row(&rows[2], 11, 700, 700, 2);
	row(&rows[3], 12, 100, 400, 0.5);
	row(&rows[4], 0, 0, 40, 0); /* traffic of no process */
	rows[3].exited = 1;
	calls = 0;
	CHECK_EQ_INT(pc_top_group(&gs, rows, NULL, 5, ct_of, NULL), 0);
	CHECK_EQ_INT(calls, 4); /* never asked about pid 0 */
	CHECK_EQ_INT(gs.n, 3);
	if (gs.n != 3)
		goto out;
	/* in the order of their first row */
	web = &gs.g[0], host = &gs.g[1], shop = &gs.g[2];
	CHECK_EQ_STR(web->ct.id, "aaaa");
	CHECK_EQ_STR(pc_top_group_label(web), "web");
	CHECK_EQ_INT(web->nrows, 2);
	CHECK_EQ_INT(web->rows[0], 0);
	CHECK_EQ_INT(web->rows[1], 3);
	CHECK_EQ_INT(web->nexited, 1);
	CHECK_EQ_INT(web->t.tx_bytes, 1100);
	CHECK_EQ_INT(web->t.rx_bytes, 600);
	CHECK_EQ_INT(web->t.tx_payload, 550);
	CHECK_EQ_INT(web->t.rx_payload, 300);
	CHECK_EQ_INT(web->t.tx_packets, 11);
	CHECK_EQ_INT(web->t.rx_packets, 6);
	CHECK(web->t.tx_rate == 6.0);
	CHECK(web->t.rx_pkt_rate > 0.5999 && web->t.rx_pkt_rate < 0.6001);
	/* outside containers, with the traffic of no process */
	CHECK_EQ_STR(host->ct.id, "");
	CHECK_EQ_STR(pc_top_group_label(host), "(host)");
	CHECK_EQ_INT(host->nrows, 2);
	CHECK_EQ_INT(host->rows[0], 1);
	CHECK_EQ_INT(host->rows[1], 4);
	CHECK_EQ_INT(host->t.tx_bytes, 300);
	CHECK_EQ_INT(host->t.rx_bytes, 40);
	/* no name: the label is the id; the pod is kept */
	CHECK_EQ_STR(pc_top_group_label(shop), "bbbb");
	CHECK_EQ_STR(shop->ct.pod, "shop");
	CHECK_EQ_INT(shop->t.tx_bytes + shop->t.rx_bytes, 1400);
	/* every byte in exactly one group */
	CHECK_EQ_INT(web->t.tx_bytes + host->t.tx_bytes + shop->t.tx_bytes, 2100);
out:
	pc_top_groups_free(&gs);
	pc_top_groups_free(&gs); /* twice: a freed gs is a zeroed one */
}

TEST(subset_and_reuse)
{
	struct pc_top_groups gs = { 0 };
	struct pc_proc_row rows[4];
	size_t which[] = { 3, 1, 0 }; /* a filter's sorted order */

	row(&rows[0], 10, 10, 0, 0);
	row(&rows[1], 12, 20, 0, 0);
	row(&rows[2], 11, 40, 0, 0);
	row(&rows[3], 13, 80, 0, 0);
	CHECK_EQ_INT(pc_top_group(&gs, rows, which, 3, ct_of, NULL), 0);
	CHECK_EQ_INT(gs.n, 2);
	if (gs.n == 2) {
		CHECK_EQ_STR(gs.g[0].ct.id, "");
		CHECK_EQ_INT(gs.g[1].nrows, 2);
		CHECK_EQ_INT(gs.g[1].rows[0], 1); /* the order given, not the rows' */
		CHECK_EQ_INT(gs.g[1].rows[1], 0);
		CHECK_EQ_INT(gs.g[1].t.tx_bytes, 30);
	}
	/* again, fewer rows: the old groups are gone */
	CHECK_EQ_INT(pc_top_group(&gs, rows, NULL, 1, ct_of, NULL), 0);
	CHECK_EQ_INT(gs.n, 1);
	CHECK_EQ_INT(gs.g[0].t.tx_bytes, 10);
	CHECK_EQ_INT(pc_top_group(&gs, rows, NULL, 0, ct_of, NULL), 0);
	CHECK_EQ_INT(gs.n, 0);
	pc_top_groups_free(&gs);
}

/* More containers than the first allocation holds. */
TEST(many_groups)
{
	struct pc_top_groups gs = { 0 };
	struct pc_proc_row *rows = calloc(100, sizeof(*rows));
	size_t i;

	CHECK(rows != NULL);
	if (!rows)
		return;
	for (i = 0; i < 100; i++)
		row(&rows[i], (uint32_t)(1000 + i), i, 0, 0);
	/* every pid unknown to ct_of: one host group */
	CHECK_EQ_INT(pc_top_group(&gs, rows, NULL, 100, ct_of, NULL), 0);
	CHECK_EQ_INT(gs.n, 1);
	CHECK_EQ_INT(gs.g[0].nrows, 100);
	CHECK_EQ_INT(gs.g[0].t.tx_bytes, 99 * 100 / 2);
	pc_top_groups_free(&gs);
	free(rows);
}

static void ct_per_pid(void *ctx, const struct pc_proc_row *row, struct pc_ct_ident *ct)
{
	(void)ctx;
	snprintf(ct->id, sizeof(ct->id), "%064u", row->pid);
}

TEST(one_group_per_container)
{
	struct pc_top_groups gs = { 0 };
	struct pc_proc_row rows[40];
	size_t i;

	for (i = 0; i < 40; i++)
		row(&rows[i], (uint32_t)(i + 1), 1, 1, 0);
	CHECK_EQ_INT(pc_top_group(&gs, rows, NULL, 40, ct_per_pid, NULL), 0);
	CHECK_EQ_INT(gs.n, 40);
	for (i = 0; i < gs.n; i++) {
		CHECK_EQ_INT(gs.g[i].nrows, 1);
		CHECK_EQ_INT(gs.g[i].rows[0], i);
		CHECK_EQ_INT(strlen(gs.g[i].ct.id), PC_CT_ID_LEN);
	}
	CHECK_EQ_STR(pc_top_group_label(&gs.g[0]), gs.g[0].ct.id); /* no name: the id */
	pc_top_groups_free(&gs);
}

int main(void)
{
	RUN(sums_per_container);
	RUN(subset_and_reuse);
	RUN(many_groups);
	RUN(one_group_per_container);
	return UNIT_DONE();
}
