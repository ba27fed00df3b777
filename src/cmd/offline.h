/* -r: prints the packets of a capture file as live capture would, with the
 * same filters applied in user space. Not for parsing the file
 * (capfile_read.c) or formatting lines (print.c). */
#ifndef PIDCAP_OFFLINE_H
#define PIDCAP_OFFLINE_H

#include "cmd/options.h"

/* Reads opt->read_file ("-" = stdin) and prints its packets to stdout,
 * messages to stderr. Returns the exit status: 0 when the file was read to
 * its end (a file cut inside its last block, as a killed writer leaves it,
 * is a warning and still 0), 1 on a corrupt or unreadable file (after
 * printing every packet before the problem) or a bad filter. */
int pc_offline_run(const struct pc_options *opt);

#endif
