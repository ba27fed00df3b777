/* pidcap top grouped by container: the process rows of one update summed
 * per container, each group keeping the list of its rows. Pure: the caller
 * says which container a row is in, so it runs without root or /proc.
 * Not for naming containers (proc/) or for drawing or printing them. */
#ifndef PIDCAP_TOPGROUP_H
#define PIDCAP_TOPGROUP_H

#include <stddef.h>
#include "capture/flowtab.h"
#include "proc/container.h"

/* Which container a row is in (raw bytes, not escaped). */
struct pc_ct_ident {
	char id[PC_CT_ID_LEN + 1]; /* "": outside any container (the host group) */
	char name[256];            /* "" when unknown */
	char label[256];           /* for a column: the name, else 12 hex digits of the id */
	char pod[256];             /* "" outside Kubernetes */
};

struct pc_top_group {
	struct pc_ct_ident ct;     /* of the group's first row */
	struct pc_traffic t;       /* the sums of its rows (rates too) */
	size_t *rows;              /* indices into the rows, in the order given */
	size_t nrows;
	size_t nexited;            /* of them, processes that exited */
};

/* Groups and their storage, kept between updates; zero it before the
 * first use. */
struct pc_top_groups {
	struct pc_top_group *g;
	size_t n, cap;
	size_t *idx, *gof;         /* every group's rows; scratch: the group of a row */
	size_t idxcap;
};

/* Fills ct (cleared by the caller) with the container of row. */
typedef void pc_ct_of_fn(void *ctx, const struct pc_proc_row *row, struct pc_ct_ident *ct);

/* Groups rows[which[0..n-1]] (which NULL: rows[0..n-1]) by container id,
 * the groups in the order of their first row, a group's rows in the order
 * given. Traffic of no process (pid 0) goes with the host group.
 * Returns 0 or -ENOMEM (then gs->n is 0). */
int pc_top_group(struct pc_top_groups *gs, const struct pc_proc_row *rows, const size_t *which,
		 size_t n, pc_ct_of_fn *ct_of, void *ctx);
/* Frees the storage. Accepts a zeroed (or already freed) gs. */
void pc_top_groups_free(struct pc_top_groups *gs);

/* "(host)" for the group outside containers, else the container's label. */
const char *pc_top_group_label(const struct pc_top_group *g);

#endif
