/* The exporter's series: per-process (or per-executable) traffic counters
 * kept monotonic and bounded across flowtab updates, process exits and
 * pid reuse, rendered in the Prometheus text format 0.0.4.
 * Not for HTTP or for reading the kernel (exporter.c, flowtab.c). */
#ifndef PIDCAP_PROMTEXT_H
#define PIDCAP_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>
#include "capture/flowtab.h"

/* Raw (unescaped, untrusted) label values of one process; NULL = "". */
struct pc_prom_labels {
	const char *exe_name; /* process_executable_name: basename of exe */
	const char *command;  /* process_command: argv[0] */
	const char *owner;    /* process_owner: user name */
	const char *container_id;   /* container_id (OpenTelemetry container.id) */
	const char *container_name; /* container_name (container.name) */
};

/* What one series stands for. */
enum pc_prom_by {
	PC_PROM_BY_PID = 0,   /* a process: pid, command, executable, owner */
	PC_PROM_BY_EXE = 1,   /* --by-exe: executable name and owner */
	PC_PROM_BY_CONTAINER, /* --by-container: the container (none: no labels) */
};

/* pidcap's own counters, summed from the kernel's per-CPU counters. */
struct pc_prom_self {
	uint64_t counted;        /* packets that passed the filters */
	uint64_t dropped;        /* packet records lost (ring buffer full) */
	uint64_t events_dropped; /* process events lost */
	uint64_t flows_full;     /* packets counted per process only: flows map full */
	uint64_t uncounted;      /* packets not counted: the overflow map full too */
	uint64_t flows_folded;   /* connections folded into their process's total */
	uint64_t flows_evicted;  /* of them, early: the flow table at its limit */
	uint64_t filtered;       /* packets rejected by the process filters */
};

struct pc_prom;

/* by (enum pc_prom_by): one series per pid, per (executable name, owner)
 * or per container; the container labels go with every series whose
 * process is in a container, and are left out for the others.
 * grace_ns: how long series of exited processes stay. max_series bounds
 * memory: past it new series are not created (and counted). */
int pc_prom_new(struct pc_prom **out, int by, uint64_t grace_ns, size_t max_series);
void pc_prom_free(struct pc_prom *p);

/* One flowtab update: pc_prom_begin, then pc_prom_observe for every row
 * (pid 0 = traffic of no process), then pc_prom_end. A pid missing from
 * an update is forgotten (its series stays for grace_ns). Counters only
 * grow: a pid's totals that go down (pid reused) count from zero again. */
void pc_prom_begin(struct pc_prom *p);
int pc_prom_observe(struct pc_prom *p, uint32_t pid, const struct pc_prom_labels *l,
		    int exited, const struct pc_traffic *t, uint64_t now_ns);
void pc_prom_end(struct pc_prom *p, uint64_t now_ns);

/* Renders every family into a malloc'd buffer (*out, *len; the caller
 * frees it). Returns 0 or -ENOMEM. */
int pc_prom_render(const struct pc_prom *p, const struct pc_prom_self *self, char **out,
		   size_t *len);

/* Number of series, and series not created because max_series was hit. */
size_t pc_prom_nseries(const struct pc_prom *p);
uint64_t pc_prom_overflow(const struct pc_prom *p);

/* A label value as the text format wants it: \ " and newline escaped
 * (\\ \" \n), invalid UTF-8 and NUL bytes replaced by U+FFFD. Writes at
 * most dstsz bytes including the NUL, never cutting an escape or a
 * character; returns the length written. */
size_t pc_prom_escape(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
