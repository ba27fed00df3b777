/* The curses screen of pidcap top: one row per process (or per container,
 * its processes beneath when expanded), connections of expanded processes,
 * sorting, filter, units, help; keys read without blocking.
 * Not for counting or the event loop (top.c). */
#ifndef PIDCAP_TOPVIEW_H
#define PIDCAP_TOPVIEW_H

#include <stddef.h>
#include <stdint.h>
#include "capture/flowtab.h"
#include "cmd/topfmt.h"

struct pc_procs;

/* What one frame shows; the pointers stay valid until the next flowtab
 * update, and the view keeps them to redraw after a key. */
struct pc_topview_data {
	const struct pc_proc_row *rows;
	size_t nrows;
	struct pc_traffic totals;
	struct pc_procs *procs;
	uint64_t now_ns;       /* monotonic time of the update */
	double interval;       /* seconds covered by the rates */
	char status[128];      /* shown in the title line, e.g. "command exited 0" */
	struct pc_limits limits; /* shown after the totals once a limit was hit */
};

struct pc_topview;

/* Takes the terminal (stdin/stdout); grouped: start with a line per
 * container (c toggles). Returns 0 or a negative errno. */
int pc_topview_open(struct pc_topview **out, double delay, int grouped);
/* Gives the terminal back. Accepts NULL. */
void pc_topview_close(struct pc_topview *v);
/* Draws a frame with new data (copied). */
void pc_topview_draw(struct pc_topview *v, const struct pc_topview_data *d);

#define PC_VIEW_QUIT 1
/* Handles every pending key (and terminal resize), redrawing as needed.
 * Returns PC_VIEW_QUIT when q was pressed, else 0. */
int pc_topview_input(struct pc_topview *v);
/* Space pauses: the loop then stops updating the rows. */
int pc_topview_paused(const struct pc_topview *v);

#endif
