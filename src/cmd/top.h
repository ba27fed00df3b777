/* pidcap top: live bandwidth per process from the kernel's counters, as a
 * curses view or --batch snapshots (text or --json).
 * Not for counting (flowtab.c) or drawing details (topview.c). */
#ifndef PIDCAP_TOP_H
#define PIDCAP_TOP_H

#include "cmd/options.h"

/* Runs pidcap top until q, SIGINT/SIGTERM, -n ITERATIONS or the end of
 * -- CMD. Returns the process exit status. */
int pc_top_main(struct pc_options *opt);

#endif
