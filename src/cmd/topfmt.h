/* Text of pidcap top that does not need curses: amounts in units,
 * protocols and endpoints, and the --batch snapshots (text lines or JSON
 * lines). Not for the event loop (top.c) or the screen (topview.c). */
#ifndef PIDCAP_TOPFMT_H
#define PIDCAP_TOPFMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "capture/flowtab.h"
#include "proc/container.h"
#include "cmd/topgroup.h"

struct pc_procs;

enum pc_unit {
	PC_UNIT_AUTO, /* the largest unit that keeps the number >= 1 */
	PC_UNIT_K,    /* kilo: 1024 bytes or 1000 bits */
	PC_UNIT_M,    /* mega */
	PC_UNIT_COUNT,
};

/* An amount of bytes (or bytes/s) as at most 7 characters: "512",
 * "1.5K", "1023.9M"; in bits (x8, 1000-based, "k"/"m"/"g" lower case...)
 * when bits is set: "1.2Mb". */
void pc_fmt_amount(char *dst, size_t n, double bytes, int bits, enum pc_unit unit);
/* A count (packets) in at most 7 characters: "9999999", then "12.3M". */
void pc_fmt_count(char *dst, size_t n, uint64_t count);
/* "tcp", "udp", "icmp", "icmp6", ... or the protocol number. */
const char *pc_fmt_proto(uint8_t proto, char *buf, size_t n);
/* Whether the flow key's protocol has ports. */
int pc_proto_has_ports(uint8_t proto);
/* Address of a flow key side (family 4 or 6): "127.0.0.1", "::1". */
void pc_fmt_addr(char *dst, size_t n, uint8_t family, const uint8_t *addr);
/* "127.0.0.1:80", "[::1]:80", or the address alone without ports. */
void pc_fmt_endpoint(char *dst, size_t n, uint8_t family, uint8_t proto, const uint8_t *addr,
		     uint16_t port);

/* What the process cache says about a row's pid, copied out (the cache
 * may move its entries on the next lookup). Raw bytes, not escaped. */
struct pc_row_info {
	int have_exe, have_cmdline, have_user;
	char comm[PC_COMM_LEN + 1];
	char ct_id[PC_CT_ID_LEN + 1];   /* "" outside a container */
	char ct_name[256];              /* "" when unknown */
	char ct_label[256];             /* for a column: the name, else 12 hex digits of the id */
	char ct_pod[256];               /* "" outside Kubernetes */
	char exe[1024], cmdline[4097], user[64];
	const char *exe_name;           /* basename of exe, else comm */
};

void pc_row_info(struct pc_procs *procs, const struct pc_proc_row *row, uint64_t now_ns,
		 struct pc_row_info *out);

/* pc_top_group with the containers the process cache names (the row's
 * pid's cgroup). Returns 0 or -ENOMEM. */
int pc_top_group_procs(struct pc_top_groups *gs, const struct pc_proc_row *rows,
		       const size_t *which, size_t n, struct pc_procs *procs, uint64_t now_ns);

/* What the bounds of counting mode cost so far (counters only grow). */
struct pc_limits {
	uint64_t folded;     /* connections folded into their process's total */
	uint64_t evicted;    /* of them, folded early: the flow table was full */
	uint64_t map_full;   /* packets counted per process: kernel flows map full */
	uint64_t uncounted;  /* packets not counted: the overflow map full too */
};

/* Fills l from the flow table and the kernel's counters (enum pc_counter). */
void pc_limits_get(struct pc_limits *l, const struct pc_flowtab *t, const uint64_t *counters);
/* "flows: 5 evicted, 1.2M packets past the kernel map (per process)..." for
 * top's header, or "" while no limit was reached. */
void pc_fmt_limits(char *dst, size_t n, const struct pc_limits *l);

/* One snapshot of pidcap top for --batch. */
struct pc_snapshot {
	double ts;                      /* wall clock, seconds */
	double interval;                /* seconds since the previous update */
	const struct pc_traffic *totals;
	const struct pc_proc_row *rows;
	size_t nrows;
	struct pc_procs *procs;         /* names the pids: user, exe, cmdline */
	uint64_t now_ns;                /* monotonic time of the update */
	const struct pc_limits *limits; /* NULL: none */
	int by_container;               /* a row per container, not per process */
};

/* A header line with time and totals, a column line, one line per
 * process (or per container: by_container), escaped, a blank line. */
void pc_snapshot_text(FILE *f, const struct pc_snapshot *s);
/* One JSON object on one line (keys in the README). */
void pc_snapshot_json(FILE *f, const struct pc_snapshot *s);

#endif
