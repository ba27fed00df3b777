/* pidcap top grouped by container: sums the process rows of one update per
 * container id and lists each group's rows. Pure (the container of a row
 * comes from the caller's callback). Not for naming, sorting or drawing. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/topgroup.h"

static void add(struct pc_traffic *to, const struct pc_traffic *t)
{
	to->tx_bytes += t->tx_bytes;
	to->rx_bytes += t->rx_bytes;
	to->tx_payload += t->tx_payload;
	to->rx_payload += t->rx_payload;
	to->tx_packets += t->tx_packets;
	to->rx_packets += t->rx_packets;
	to->tx_rate += t->tx_rate;
	to->rx_rate += t->rx_rate;
	to->tx_pkt_rate += t->tx_pkt_rate;
	to->rx_pkt_rate += t->rx_pkt_rate;
}

static int reserve(struct pc_top_groups *gs, size_t n)
{
	size_t *idx, *gof;

	if (n <= gs->idxcap)
		return 0;
	idx = realloc(gs->idx, n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	gs->idx = idx;
	gof = realloc(gs->gof, n * sizeof(*gof));
	if (!gof)
		return -ENOMEM;
	gs->gof = gof;
	gs->idxcap = n;
	return 0;
}

/* The group of ct, a new one at the end when there is none yet; SIZE_MAX
 * when out of memory. Linear: a host has tens of containers, not thousands,
 * and rows of one container tend to follow each other (last looked first). */
static size_t find_or_add(struct pc_top_groups *gs, const struct pc_ct_ident *ct, size_t last)
{
	size_t i;

	if (last < gs->n && !strcmp(gs->g[last].ct.id, ct->id))
		return last;
	for (i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].ct.id, ct->id))
			return i;
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 16;
		struct pc_top_group *g = realloc(gs->g, cap * sizeof(*g));

		if (!g)
			return SIZE_MAX;
		gs->g = g;
		gs->cap = cap;
	}
	memset(&gs->g[gs->n], 0, sizeof(gs->g[0]));
	gs->g[gs->n].ct = *ct;
	return gs->n++;
}

int pc_top_group(struct pc_top_groups *gs, const struct pc_proc_row *rows, const size_t *which,
		 size_t n, pc_ct_of_fn *ct_of, void *ctx)
{
	struct pc_ct_ident ct;
	size_t i, g = SIZE_MAX, at = 0;
	int err;

	gs->n = 0;
	err = reserve(gs, n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const struct pc_proc_row *r = &rows[which ? which[i] : i];

		memset(&ct, 0, sizeof(ct));
		if (r->pid) /* traffic of no process: the host's */
			ct_of(ctx, r, &ct);
		g = find_or_add(gs, &ct, g);
		if (g == SIZE_MAX) {
			gs->n = 0;
			return -ENOMEM;
		}
		gs->gof[i] = g;
		add(&gs->g[g].t, &r->t);
		gs->g[g].nrows++;
		gs->g[g].nexited += r->exited != 0;
	}
	/* each group's slice of idx, then its rows in the order given */
	for (g = 0; g < gs->n; g++) {
		gs->g[g].rows = gs->idx + at;
		at += gs->g[g].nrows;
		gs->g[g].nrows = 0;
	}
	for (i = 0; i < n; i++) {
		struct pc_top_group *grp = &gs->g[gs->gof[i]];

		grp->rows[grp->nrows++] = which ? which[i] : i;
	}
	return 0;
}

void pc_top_groups_free(struct pc_top_groups *gs)
{
	free(gs->g);
	free(gs->idx);
	free(gs->gof);
	memset(gs, 0, sizeof(*gs));
}

const char *pc_top_group_label(const struct pc_top_group *g)
{
	if (!g->ct.id[0])
		return "(host)";
	return g->ct.label[0] ? g->ct.label : g->ct.id;
}
