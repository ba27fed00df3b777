/* Parses pidcap's command line from a single option table, which also
 * prints --help. tcpdump's letters where the meaning is the same.
 * Not for validating against the system (interfaces, pids): live.c does. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/capture.h"
#include "cmd/options.h"
#include "packet/pktfilter.h"

enum {
	OPT_JSON = 256,
	OPT_PID,
	OPT_COMM,
	OPT_UID,
	OPT_CGROUP,
	OPT_HELP,
	OPT_VERSION,
	OPT_PRINT,
	OPT_NO_COMMENTS,
	OPT_BATCH,
	OPT_LISTEN,
	OPT_BY_EXE,
	OPT_GRACE,
	OPT_BACKEND,
	OPT_TSPREC,
	OPT_HOLD,
	OPT_CONTAINER,
	OPT_POD,
	OPT_BY_CONTAINER,
};

#define M_CAP (1u << PC_MODE_CAPTURE)
#define M_TOP (1u << PC_MODE_TOP)
#define M_EXP (1u << PC_MODE_EXPORTER)
#define M_ALL (M_CAP | M_TOP | M_EXP)


/* What parsing an option does with its argument. */
enum opt_kind {
	K_CODE,   /* a special case in parse_special() */
	K_FLAG,   /* int field = 1 */
	K_COUNT,  /* int field++ (-v -v) */
	K_U32,    /* uint32_t field, min..max */
	K_LONG,   /* long field from a uint32 in min..max */
	K_U64,    /* uint64_t field = uint32 in min..max times scale */
	K_DOUBLE, /* double field, min..max */
	K_STR,    /* char * field, a copy; at least min, at most max bytes (0: any) */
	K_CHOICE, /* int field = index of the argument in choices */
};

#define F(field) offsetof(struct pc_options, field)
/* set_off 0 means none: it is the offset of mode, never set by an option */
_Static_assert(offsetof(struct pc_options, mode) == 0, "set_off 0 is free");

static const char *const precisions[] = { "micro", "nano", NULL };

static const char *const backends[] = {
	[PC_BACKEND_AUTO] = "auto", [PC_BACKEND_EBPF] = "ebpf", [PC_BACKEND_PCAP] = "pcap", NULL
};

/* One row per option: getopt_long, --help and the value in one place (the
 * shape of xdp-tools' params.h). Rows with a letter become short options. */
static const struct pc_opt {
	const char *name; /* long name or NULL */
	int has_arg;
	int val;          /* short letter or OPT_* */
	const char *arg;
	const char *help;
	unsigned int modes; /* PC_MODE_* bits where the option exists */
	enum opt_kind kind;
	size_t off;         /* the field of struct pc_options */
	size_t set_off;     /* an int field also set to 1 (uid_set), 0: none */
	double min, max;    /* bounds of numbers, lengths of strings */
	uint64_t scale;     /* K_U64 */
	const char *const *choices;
	const char *bad;    /* message for a bad argument; %s is the argument */
} table[] = {
	{ NULL, 1, 'i', "IFACE", "capture on IFACE only (repeatable; default: all)", M_ALL,
	  .kind = K_CODE },
	{ NULL, 0, 'n', NULL, "do not resolve names (pidcap never does; for tcpdump habits)", M_CAP,
	  .kind = K_FLAG, .off = F(numeric) },
	{ NULL, 1, 'c', "COUNT", "exit after COUNT packets", M_CAP,
	  .kind = K_LONG, .off = F(count), .min = 1, .max = UINT32_MAX,
	  .bad = "invalid packet count '%s' for -c: want a number >= 1" },
	{ NULL, 1, 's', "SNAPLEN", "bytes copied per packet (default: 256 when printing, all with -w; at most 65536)", M_CAP,
	  .kind = K_CODE },
	{ NULL, 1, 'Q', "in|out|inout", "direction to capture (default inout)", M_CAP,
	  .kind = K_CODE },
	{ NULL, 0, 'v', NULL, "more detail per packet: tid, user, exe, cmdline, cgroup; -vv: also kernel logs", M_CAP | M_TOP | M_EXP,
	  .kind = K_COUNT, .off = F(verbose) },
	{ NULL, 0, 'q', NULL, "quiet: less protocol detail per line (tcpdump -q)", M_CAP,
	  .kind = K_FLAG, .off = F(quiet) },
	{ NULL, 0, 'e', NULL, "show the link: interface index and protocol, as tcpdump -e prints LINUX_SLL2", M_CAP,
	  .kind = K_FLAG, .off = F(link) },
	{ NULL, 0, 't', NULL, "-t: no time; -tt: seconds since 1970; -ttt: since the previous packet; -tttt: with the date; -ttttt: since the first packet", M_CAP,
	  .kind = K_COUNT, .off = F(tstamp) },
	{ NULL, 0, 'x', NULL, "also print each packet in hex (-xx: with the link header); captures whole packets", M_CAP,
	  .kind = K_COUNT, .off = F(hex) },
	{ NULL, 0, 'X', NULL, "also print each packet in hex and ASCII (-XX: with the link header)", M_CAP,
	  .kind = K_COUNT, .off = F(hexascii) },
	{ NULL, 0, 'A', NULL, "also print each packet in ASCII", M_CAP,
	  .kind = K_COUNT, .off = F(ascii) },
	{ NULL, 0, 'l', NULL, "line-buffered output (the default when stdout is a pipe)", M_CAP,
	  .kind = K_FLAG, .off = F(linebuf) },
	{ NULL, 0, '#', NULL, "number the packets", M_CAP,
	  .kind = K_FLAG, .off = F(number) },
	{ NULL, 1, 'B', "KIB", "kernel buffer between the capture and pidcap, in KiB (default 16384; a power of two is used)", M_CAP,
	  .kind = K_U64, .off = F(buffer_bytes), .min = 64, .max = 1048576, .scale = 1024,
	  .bad = "invalid buffer size '%s' for -B: want 64 to 1048576 (KiB)" },
	{ NULL, 0, 'U', NULL, "with -w: write each packet out as it comes", M_CAP,
	  .kind = K_FLAG, .off = F(flush_write) },
	{ NULL, 1, 'F', "FILE", "read the filter expression from FILE", M_CAP,
	  .kind = K_STR, .off = F(filter_file), .min = 1, .max = 0,
	  .bad = "-F wants a file name" },
	{ "time-stamp-precision", 1, OPT_TSPREC, "micro|nano", "time stamps in microseconds (default) or nanoseconds", M_CAP,
	  .kind = K_CHOICE, .off = F(nano), .choices = precisions,
	  .bad = "invalid --time-stamp-precision '%s': want micro or nano" },
	{ NULL, 0, 'D', NULL, "list the interfaces pidcap can capture on and exit", M_CAP,
	  .kind = K_FLAG, .off = F(list_ifaces) },
	{ NULL, 1, 'w', "FILE", "write packets to pcapng FILE ('-': stdout) instead of printing them", M_CAP,
	  .kind = K_STR, .off = F(write_file), .min = 1, .max = 0,
	  .bad = "-w wants a file name ('-' for stdout)" },
	{ NULL, 1, 'r', "FILE", "read packets from pcap/pcapng FILE ('-': stdin) instead of capturing", M_CAP,
	  .kind = K_STR, .off = F(read_file), .min = 1, .max = 0,
	  .bad = "-r wants a file name ('-' for stdin)" },
	{ NULL, 1, 'C', "SIZE", "with -w: start a new file (FILE1, FILE2...) past SIZE million bytes", M_CAP,
	  .kind = K_U64, .off = F(rotate_bytes), .min = 1, .max = 1000000, .scale = 1000000,
	  .bad = "invalid file size '%s' for -C: want 1 to 1000000 (millions of bytes)" },
	{ NULL, 1, 'W', "COUNT", "with -C: reuse COUNT files in a ring; with -G: stop after COUNT files", M_CAP,
	  .kind = K_U32, .off = F(ring_files), .min = 1, .max = 1000000,
	  .bad = "invalid file count '%s' for -W: want 1 to 1000000" },
	{ NULL, 1, 'G', "SECONDS", "with -w: start a new file every SECONDS (FILE may hold strftime %-escapes)", M_CAP,
	  .kind = K_U32, .off = F(rotate_secs), .min = 1, .max = 31 * 24 * 3600,
	  .bad = "invalid interval '%s' for -G: want 1 to 2678400 seconds" },
	{ NULL, 1, 'Z', "USER", "after set-up, run as USER with only CAP_BPF, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; -- CMD runs as USER too (under sudo, by default, as the user who ran sudo)", M_ALL,
	  .kind = K_STR, .off = F(run_as), .min = 1, .max = 255,
	  .bad = "-Z wants a user name" },
	{ "hold-buffer", 1, OPT_HOLD, "MIB", "memory for packets of just-accepted connections waiting for their process (default 32)", M_CAP,
	  .kind = K_U64, .off = F(hold_bytes), .min = 1, .max = 4096, .scale = 1 << 20,
	  .bad = "invalid --hold-buffer '%s': want 1 to 4096 (MiB)" },
	{ "print", 0, OPT_PRINT, NULL, "with -w: print the packets too", M_CAP,
	  .kind = K_FLAG, .off = F(print) },
	{ "no-comments", 0, OPT_NO_COMMENTS, NULL,
	  "with -w: no key=value comment per packet (process blocks and pid/tid stay)", M_CAP,
	  .kind = K_FLAG, .off = F(no_comments) },
	{ "json", 0, OPT_JSON, NULL, "one JSON object per packet per line", M_CAP | M_TOP,
	  .kind = K_FLAG, .off = F(json) },
	{ "pid", 1, OPT_PID, "PID", "only packets of process PID (repeatable)", M_ALL,
	  .kind = K_CODE },
	{ "comm", 1, OPT_COMM, "NAME", "only packets of processes whose command name is NAME", M_ALL,
	  .kind = K_STR, .off = F(comm), .min = 1, .max = 15,
	  .bad = "invalid --comm '%s': a command name has 1 to 15 characters" },
	{ "uid", 1, OPT_UID, "UID", "only packets of processes running as UID", M_ALL,
	  .kind = K_U32, .off = F(uid), .set_off = F(uid_set), .min = 0, .max = UINT32_MAX - 1,
	  .bad = "invalid uid '%s' for --uid: want a number" },
	{ "cgroup", 1, OPT_CGROUP, "PATH", "only packets of processes in cgroup v2 PATH", M_ALL,
	  .kind = K_STR, .off = F(cgroup) },
	{ "container", 1, OPT_CONTAINER, "NAME|ID", "only packets of the container named NAME or whose id starts with ID (also one started later)", M_ALL,
	  .kind = K_STR, .off = F(container), .min = 1, .max = 255,
	  .bad = "invalid --container '%s': want a name or an id prefix of 1 to 255 characters" },
	{ "pod", 1, OPT_POD, "NAME", "only packets of the Kubernetes pod NAME (also one started later)", M_ALL,
	  .kind = K_STR, .off = F(pod), .min = 1, .max = 255,
	  .bad = "invalid --pod '%s': want a pod name of 1 to 255 characters" },
	{ "help", 0, OPT_HELP, NULL, "show this help and exit", M_ALL,
	  .kind = K_CODE },
	{ "version", 0, OPT_VERSION, NULL, "show the version and exit", M_ALL,
	  .kind = K_CODE },
	{ "backend", 1, OPT_BACKEND, "ebpf|pcap|auto", "capture with eBPF, or libpcap + sock_diag + /proc lookups (fewer packets attributed); auto: eBPF if it loads (default)", M_ALL,
	  .kind = K_CHOICE, .off = F(backend), .choices = backends,
	  .bad = "invalid --backend '%s': want ebpf, pcap or auto" },
	{ NULL, 1, 'd', "SECONDS", "top: refresh every SECONDS (default 1)", M_TOP,
	  .kind = K_DOUBLE, .off = F(delay), .min = 0.1, .max = 3600,
	  .bad = "invalid delay '%s' for -d: want seconds from 0.1 to 3600" },
	{ NULL, 1, 'n', "ITERATIONS", "top: stop after ITERATIONS refreshes", M_TOP,
	  .kind = K_LONG, .off = F(iterations), .min = 1, .max = UINT32_MAX,
	  .bad = "invalid iterations '%s' for -n: want a number >= 1" },
	{ "batch", 0, OPT_BATCH, NULL, "top: print a text (or --json) snapshot per interval, no curses", M_TOP,
	  .kind = K_FLAG, .off = F(batch) },
	{ "listen", 1, OPT_LISTEN, "ADDR:PORT", "exporter: serve /metrics here (default 127.0.0.1:9888)", M_EXP,
	  .kind = K_STR, .off = F(listen) },
	{ "by-exe", 0, OPT_BY_EXE, NULL, "exporter: one series per executable, not per pid", M_EXP,
	  .kind = K_FLAG, .off = F(by_exe) },
	{ "by-container", 0, OPT_BY_CONTAINER, NULL, "top: a row per container (the view starts grouped: c toggles); exporter: a series per container (processes outside containers: one row or series of their own)", M_TOP | M_EXP,
	  .kind = K_FLAG, .off = F(by_container) },
	{ "grace", 1, OPT_GRACE, "SECONDS", "exporter: keep series of exited processes this long (default 300)", M_EXP,
	  .kind = K_U32, .off = F(grace_secs), .min = 0, .max = 86400 * 7,
	  .bad = "invalid --grace '%s': want seconds from 0 to 604800" },
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

void pc_options_usage(FILE *f, enum pc_mode mode)
{
	char left[64];
	size_t i;

	if (mode == PC_MODE_TOP)
		fprintf(f, "Usage: pidcap top [options] [expression] [-- COMMAND [ARGS...]]\n"
			   "Live bandwidth per process (counted in the kernel), like nethogs but exact.\n"
			   "Keys: see the help screen (h) in the view.\n\n");
	else if (mode == PC_MODE_EXPORTER)
		fprintf(f, "Usage: pidcap exporter [options] [expression]\n"
			   "Serves per-process traffic counters to Prometheus at /metrics.\n\n");
	else
		fprintf(f, "Usage: pidcap [options] [pcap filter expression]\n"
			   "       pidcap [options] [expression] -- COMMAND [ARGS...]\n"
			   "       pidcap top [options]       live bandwidth per process\n"
			   "       pidcap exporter [options]  Prometheus exporter\n"
			   "Shows every packet with the process that sent or received it.\n"
			   "With -- COMMAND, starts COMMAND and captures only it and its descendants.\n\n");
	fprintf(f, "Options:\n");
	for (i = 0; i < NOPTS; i++) {
		const struct pc_opt *t = &table[i];

		if (!(t->modes & (1u << mode)))
			continue;
		if (t->name)
			snprintf(left, sizeof(left), "--%s%s%s", t->name, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		else
			snprintf(left, sizeof(left), "-%c%s%s", t->val, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		fprintf(f, "  %-22s %s\n", left, t->help);
	}
}

static int parse_u32(const char *s, uint32_t *out, uint32_t min, uint32_t max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static char *join_args(char **args, int n)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, args[i]);
	}
	return s;
}

static int add_string(char ***arr, size_t *n, const char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[*n] = strdup(s);
	if (!a[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The row of option c in this mode (-n differs between modes). */
static const struct pc_opt *row_of(int c, enum pc_mode mode)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (table[i].val == c && (table[i].modes & (1u << mode)))
			return &table[i];
	return NULL;
}

/* getopt_long's short option string and long options for one mode. */
static void build_getopt(enum pc_mode mode, char *shortopts, struct option *longopts)
{
	char *p = shortopts;
	size_t i, nlong = 0;

	*p++ = '+'; /* stop at the first non-option: the expression or "--" */
	*p++ = ':'; /* a missing argument is ':', not '?' */
	for (i = 0; i < NOPTS; i++) {
		if (!(table[i].modes & (1u << mode)))
			continue;
		if (table[i].name)
			longopts[nlong++] = (struct option){ table[i].name, table[i].has_arg, NULL,
							     table[i].val };
		else {
			*p++ = table[i].val;
			if (table[i].has_arg)
				*p++ = ':';
		}
	}
	*p = 0;
	memset(&longopts[nlong], 0, sizeof(longopts[0]));
}

/* Stores the value of a plain option as its row says. Returns 0, -EINVAL
 * (err says why) or -ENOMEM. */
static int set_value(struct pc_options *o, const struct pc_opt *t, const char *arg, char *err,
		     size_t errlen)
{
	char *field = (char *)o + t->off, *end, *copy;
	size_t len;
	uint32_t v = 0;
	int bad = 0, i;

	switch (t->kind) {
	case K_FLAG:
		*(int *)field = 1;
		break;
	case K_COUNT:
		(*(int *)field)++;
		break;
	case K_U32:
	case K_LONG:
	case K_U64:
		bad = parse_u32(arg, &v, (uint32_t)t->min, (uint32_t)t->max);
		if (bad)
			break;
		if (t->kind == K_U32)
			*(uint32_t *)field = v;
		else if (t->kind == K_LONG)
			*(long *)field = v;
		else
			*(uint64_t *)field = (uint64_t)v * t->scale;
		break;
	case K_DOUBLE:
		errno = 0;
		*(double *)field = strtod(arg, &end);
		bad = errno || *end || end == arg ||
		      !(*(double *)field >= t->min && *(double *)field <= t->max);
		break;
	case K_STR:
		len = strlen(arg);
		bad = len < (size_t)t->min || (t->max && len > (size_t)t->max);
		if (bad)
			break;
		copy = strdup(arg);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		break;
	case K_CHOICE:
		bad = 1;
		for (i = 0; bad && t->choices[i]; i++)
			if (!strcmp(arg, t->choices[i])) {
				*(int *)field = i;
				bad = 0;
			}
		break;
	case K_CODE:
		return -EINVAL; /* not a plain value */
	}
	if (bad) {
		snprintf(err, errlen, t->bad, arg);
		return -EINVAL;
	}
	if (t->set_off)
		*(int *)((char *)o + t->set_off) = 1;
	return 0;
}

/* The options that are more than a value. Returns 0, 1 to stop parsing
 * (--help, --version), -EINVAL or -ENOMEM. */
static int parse_special(struct pc_options *o, int c, const char *arg, char *err, size_t errlen)
{
	uint32_t v, *pids;

	switch (c) {
	case 'i':
		return add_string(&o->ifaces, &o->nifaces, arg);
	case 's':
		if (parse_u32(arg, &v, 0, 262144)) {
			snprintf(err, errlen, "invalid snaplen '%s' for -s: want 0 to 262144 (0 = 262144)", arg);
			return -EINVAL;
		}
		o->snaplen = v ? v : 262144;
		o->snaplen_set = 1;
		return 0;
	case 'Q':
		if (!strcmp(arg, "in")) {
			o->want_in = 1, o->want_out = 0;
		} else if (!strcmp(arg, "out")) {
			o->want_in = 0, o->want_out = 1;
		} else if (!strcmp(arg, "inout")) {
			o->want_in = o->want_out = 1;
		} else {
			snprintf(err, errlen, "invalid direction '%s' for -Q: want in, out or inout", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_PID:
		if (parse_u32(arg, &v, 1, INT_MAX)) {
			snprintf(err, errlen, "invalid pid '%s' for --pid: want a number >= 1", arg);
			return -EINVAL;
		}
		pids = realloc(o->pids, (o->npids + 1) * sizeof(*pids));
		if (!pids)
			return -ENOMEM;
		o->pids = pids;
		o->pids[o->npids++] = v;
		return 0;
	case OPT_HELP:
		o->help = 1;
		return 1;
	case OPT_VERSION:
		o->version = 1;
		return 1;
	}
	return -EINVAL;
}

/* What is left after the options: [expression...] [-- COMMAND ARGS...].
 * rest: the first argument getopt did not take; last_optarg: the argument
 * of the last option. Returns 0, -EINVAL or -ENOMEM. */
static int parse_rest(struct pc_options *o, int argc, char **argv, int rest,
		      const char *last_optarg, char *err, size_t errlen)
{
	int c, dashes = -1;

	/* getopt consumed a "--" separator, unless it was an option's argument */
	if (rest > 1 && !strcmp(argv[rest - 1], "--") && argv[rest - 1] != last_optarg)
		dashes = rest - 1;
	for (c = rest; dashes < 0 && c < argc; c++)
		if (!strcmp(argv[c], "--"))
			dashes = c;
	if (dashes >= 0) {
		if (dashes + 1 >= argc) {
			snprintf(err, errlen, "'--' must be followed by a command to run");
			return -EINVAL;
		}
		o->cmd = &argv[dashes + 1];
	}
	if (dashes >= rest || dashes < 0) {
		int end = dashes >= 0 ? dashes : argc;

		if (end > rest) {
			o->filter = join_args(&argv[rest], end - rest);
			if (!o->filter)
				return -ENOMEM;
		}
	}
	return 0;
}

/* -F FILE: the expression is the file's text (as tcpdump: the words on
 * the command line are ignored, '#' starts a comment to the line's end).
 * Returns 0, -EINVAL or -ENOMEM. */
static int read_filter_file(struct pc_options *o, char *err, size_t errlen)
{
	char buf[65536], *p;
	size_t n;
	int comment = 0;
	FILE *f = fopen(o->filter_file, "r");

	if (!f) {
		snprintf(err, errlen, "cannot open -F %s: %s", o->filter_file, strerror(errno));
		return -EINVAL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n == sizeof(buf) - 1) {
		snprintf(err, errlen, "-F %s: longer than %zu bytes", o->filter_file, n);
		return -EINVAL;
	}
	buf[n] = 0;
	for (p = buf; *p; p++) {
		if (*p == '#')
			comment = 1;
		else if (*p == '\n')
			comment = 0;
		if (comment || *p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	free(o->filter);
	o->filter = NULL;
	for (p = buf; *p == ' '; p++)
		;
	if (!*p)
		return 0;
	o->filter = strdup(p);
	return o->filter ? 0 : -ENOMEM;
}

/* Options that do not go together. Returns 0 or -EINVAL. */
static int check_combinations(const struct pc_options *o, char *err, size_t errlen)
{
	struct pc_pktfilter *f;

	/* an expression libpcap refuses is a usage error, in every mode */
	if (o->filter && pc_pktfilter_new(&f, o->filter, 65535, err, errlen))
		return -EINVAL;
	if (o->filter)
		pc_pktfilter_free(f);
	if ((o->rotate_bytes || o->rotate_secs || o->ring_files) && !o->write_file) {
		snprintf(err, errlen, "-C, -W and -G need -w FILE");
		return -EINVAL;
	}
	if (o->no_comments && !o->write_file) {
		snprintf(err, errlen, "--no-comments needs -w FILE");
		return -EINVAL;
	}
	if (o->ring_files && !o->rotate_bytes && !o->rotate_secs) {
		snprintf(err, errlen, "-W needs -C or -G");
		return -EINVAL;
	}
	if (o->write_file && !strcmp(o->write_file, "-") &&
	    (o->rotate_bytes || o->rotate_secs || o->print)) {
		snprintf(err, errlen, "-w - writes to stdout: it cannot rotate (-C, -G) or --print");
		return -EINVAL;
	}
	if (o->by_exe && o->by_container) {
		snprintf(err, errlen, "--by-exe and --by-container: choose one kind of series");
		return -EINVAL;
	}
	if (!!o->cgroup + !!o->container + !!o->pod > 1) {
		snprintf(err, errlen, "--cgroup, --container and --pod each select the one cgroup "
				      "the kernel filters on: use one of them");
		return -EINVAL;
	}
	if (o->read_file && (o->write_file || o->cmd)) {
		snprintf(err, errlen, "-r reads a file: it does not go with -w or -- COMMAND");
		return -EINVAL;
	}
	return 0;
}

int pc_options_parse(struct pc_options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 3];
	const char *last_optarg = NULL;
	const struct pc_opt *t;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->snaplen = 262144;
	o->want_in = o->want_out = 1;
	o->delay = 1.0;
	o->grace_secs = 300;
	o->hold_bytes = 32 << 20;
	if (argc > 1 && !strcmp(argv[1], "top"))
		o->mode = PC_MODE_TOP;
	else if (argc > 1 && !strcmp(argv[1], "exporter"))
		o->mode = PC_MODE_EXPORTER;
	if (o->mode != PC_MODE_CAPTURE) {
		argc--; /* parse as if the mode word were the program name */
		argv++;
	}
	build_getopt(o->mode, shortopts, longopts);
	opterr = 0;
	optind = 0; /* glibc: 0 resets getopt fully, for repeated parses */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		last_optarg = optarg;
		t = c == ':' || c == '?' ? NULL : row_of(c, o->mode);
		if (t && t->kind != K_CODE)
			ret = set_value(o, t, optarg, err, errlen);
		else if (t)
			ret = parse_special(o, c, optarg, err, errlen);
		else if (c == ':')
			snprintf(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
		else if (optopt && optopt < 256)
			snprintf(err, errlen, "unknown option '-%c'", optopt);
		else
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
		if (!t)
			return -EINVAL;
		if (ret == 1) /* --help, --version */
			return 0;
		if (ret)
			goto out;
	}
	ret = parse_rest(o, argc, argv, optind, last_optarg, err, errlen);
	if (!ret && o->filter_file)
		ret = read_filter_file(o, err, errlen);
	if (!ret)
		ret = check_combinations(o, err, errlen);
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

void pc_options_free(struct pc_options *o)
{
	size_t i;

	for (i = 0; i < o->nifaces; i++)
		free(o->ifaces[i]);
	free(o->ifaces);
	free(o->pids);
	free(o->comm);
	free(o->cgroup);
	free(o->container);
	free(o->pod);
	free(o->filter);
	free(o->write_file);
	free(o->read_file);
	free(o->listen);
	free(o->filter_file);
	memset(o, 0, sizeof(*o));
}
