/* pidcap exporter: serves per-process traffic counters to Prometheus over
 * HTTP (/metrics). Not for counting (flowtab.c) or the text format of the
 * metrics (promtext.c). */
#ifndef PIDCAP_EXPORTER_H
#define PIDCAP_EXPORTER_H

#include "cmd/options.h"

/* Serves until SIGINT/SIGTERM (or the end of -- CMD). Returns the process
 * exit status. */
int pc_exporter_main(struct pc_options *opt);

#endif
