/* Counting mode, what pidcap top and the exporter share: the process
 * cache, the session, the capture opened to count in the kernel, the flow
 * table fed from it, and the once-a-second expiry of exited processes.
 * Not for showing or serving the counts (top.c, exporter.c). */
#ifndef PIDCAP_COUNTING_H
#define PIDCAP_COUNTING_H

#include <stddef.h>
#include <stdint.h>
#include "capture/capture.h"
#include "capture/flowtab.h"
#include "cmd/options.h"
#include "cmd/session.h"
#include "proc/procinfo.h"

struct pc_counting {
	struct pc_session ses;
	struct pc_procs *procs;
	struct pc_capture *cap;
	struct pc_flowtab *ft;
	uint64_t last_update_ns;  /* 0 before the first update */
	uint64_t last_expire_ns;
	double interval;          /* seconds between the last two updates, 0 at first */
	const char *filter_where; /* ", filter in the kernel" or "" without a filter */
};

/* Call first: pc_counting_close is then safe whatever happens next. */
void pc_counting_init(struct pc_counting *c);
/* Scans /proc, sets up the session (process filters, -- CMD), opens the
 * capture in counting mode and the flow table keeping exited processes for
 * keep_intervals updates. Returns 0 or a negative errno with a message;
 * a filter expression the kernel refuses is an error (-ENOTSUP): the
 * counters are the kernel's, user space cannot filter them. */
int pc_counting_open(struct pc_counting *c, const struct pc_options *opt,
		     unsigned int keep_intervals, char *err, size_t errlen);
/* Process events first (they name the pids), then the kernel's counters
 * at now; kernel entries idle longer than idle_ns are deleted. Returns 0,
 * -EIO when the ring buffer cannot be read, or flowtab's error. */
int pc_counting_update(struct pc_counting *c, uint64_t now, uint64_t idle_ns);
/* Once a second at most: drops processes that exited more than keep_ns ago
 * from the cache. */
void pc_counting_expire(struct pc_counting *c, uint64_t now, uint64_t keep_ns);
/* Exit status of pidcap: the command's with -- CMD, else 0. */
int pc_counting_exit_code(const struct pc_counting *c, const struct pc_options *opt);
void pc_counting_close(struct pc_counting *c);

#endif
