/* pidcap's live capture (no "top"/"exporter" word, no -r): packets with
 * their processes, printed or written with -w; and -D. Not for reading
 * files (offline.c) or counting (counting.c). */
#ifndef PIDCAP_LIVE_H
#define PIDCAP_LIVE_H

#include "cmd/options.h"

/* Captures until -c, SIGINT/SIGTERM or the end of -- CMD. Returns the
 * process exit status (the command's with -- CMD). opt stays the caller's. */
int pc_live_main(const struct pc_options *opt);
/* -D: prints the interfaces pidcap can capture on; returns the exit status. */
int pc_live_list_interfaces(void);

#endif
